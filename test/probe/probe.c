/*
 * probe.c - reports the privileges and surroundings of its own process as one
 * JSON object, for tests that run it inside a void. See README.md.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -std=gnu11 [-static] -o probe probe.c
 *
 * Works without /proc: everything that needs /proc is reported as null.
 * Every escape attempt runs in a short-lived child process, so a seccomp kill
 * or a changed credential never affects the report, and each attempt is built
 * to be harmless if it does succeed (hostname set to its current value,
 * chroot("/"), pivot_root("/", "/") which the kernel refuses with EBUSY even
 * when privileged, a tmpfs mount that is detached at once, PTRACE_SEIZE which
 * does not stop the tracee and ends when the child exits). Still: outside a
 * sandbox, as root, run it with --no-escape.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <stddef.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_IS_SET
#define PR_CAP_AMBIENT_IS_SET 1
#endif
#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif

#define PROBE_VERSION 1
#define MAX_FD 1024
#define READ_MAX 4096
#define MAX_LIST 256

/* ------------------------------------------------------------------ errno */

#define E(x) \
  { x, #x }
static const struct {
  int e;
  const char *n;
} errnames[] = {
    E(EPERM),           E(ENOENT),       E(ESRCH),        E(EINTR),        E(EIO),         E(ENXIO),         E(E2BIG),
    E(ENOEXEC),         E(EBADF),        E(ECHILD),       E(EAGAIN),       E(ENOMEM),      E(EACCES),        E(EFAULT),
    E(ENOTBLK),         E(EBUSY),        E(EEXIST),       E(EXDEV),        E(ENODEV),      E(ENOTDIR),       E(EISDIR),
    E(EINVAL),          E(ENFILE),       E(EMFILE),       E(ENOTTY),       E(ETXTBSY),     E(EFBIG),         E(ENOSPC),
    E(ESPIPE),          E(EROFS),        E(EMLINK),       E(EPIPE),        E(EDOM),        E(ERANGE),        E(EDEADLK),
    E(ENAMETOOLONG),    E(ENOLCK),       E(ENOSYS),       E(ENOTEMPTY),    E(ELOOP),       E(ENODATA),       E(EOVERFLOW),
    E(EUSERS),          E(ENOTSOCK),     E(EDESTADDRREQ), E(EMSGSIZE),     E(EPROTOTYPE),  E(ENOPROTOOPT),   E(EPROTONOSUPPORT),
    E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),   E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE),  E(EADDRNOTAVAIL), E(ENETDOWN),
    E(ENETUNREACH),     E(ENETRESET),    E(ECONNABORTED), E(ECONNRESET),   E(ENOBUFS),     E(EISCONN),       E(ENOTCONN),
    E(ETIMEDOUT),       E(ECONNREFUSED), E(EHOSTDOWN),    E(EHOSTUNREACH), E(EALREADY),    E(EINPROGRESS),   E(ESTALE),
    E(EDQUOT),          E(ECANCELED),    E(EOWNERDEAD),   E(ENOMEDIUM),    E(EMEDIUMTYPE), E(ENOKEY),        E(EKEYREVOKED),
};
#undef E

static const char *errname(int e) {
  static char buf[32];
  for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
    if (errnames[i].e == e) return errnames[i].n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* ------------------------------------------------------------ JSON output */

static struct {
  char *buf;
  size_t len, cap;
  int depth;
  int after_key;
  unsigned char comma[64];
} J;

static void jraw(const char *s, size_t n) {
  if (J.len + n + 1 > J.cap) {
    size_t cap = J.cap ? J.cap : 65536;
    while (J.len + n + 1 > cap) cap *= 2;
    char *b = realloc(J.buf, cap);
    if (!b) _exit(4);
    J.buf = b;
    J.cap = cap;
  }
  memcpy(J.buf + J.len, s, n);
  J.len += n;
}

static void jputs(const char *s) {
  jraw(s, strlen(s));
}

static void jsep(void) {
  if (J.after_key)
    J.after_key = 0;
  else if (J.comma[J.depth])
    jraw(",", 1);
  J.comma[J.depth] = 1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0], cp, min;
  size_t len;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* A JSON string. Control characters, DEL and bytes that are not part of
 * valid UTF-8 are written as \u00XX (so a stray byte 0xE9 becomes "\u00e9"). */
static void jstrn_(const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  jraw("\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      size_t j = i;
      while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '"' && p[j] != '\\') j++;
      jraw(s + i, j - i);
      i = j;
      continue;
    }
    if (c >= 0x80) {
      size_t l = utf8_len(p + i, n - i);
      if (l) {
        jraw(s + i, l);
        i += l;
        continue;
      }
    }
    switch (c) {
      case '"':
        jraw("\\\"", 2);
        break;
      case '\\':
        jraw("\\\\", 2);
        break;
      case '\b':
        jraw("\\b", 2);
        break;
      case '\f':
        jraw("\\f", 2);
        break;
      case '\n':
        jraw("\\n", 2);
        break;
      case '\r':
        jraw("\\r", 2);
        break;
      case '\t':
        jraw("\\t", 2);
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        jraw(u, 6);
      }
    }
    i++;
  }
  jraw("\"", 1);
}

static void jnull(void) {
  jsep();
  jputs("null");
}
static void jstrn(const char *s, size_t n) {
  jsep();
  jstrn_(s, n);
}
static void jstr(const char *s) {
  if (!s)
    jnull();
  else
    jstrn(s, strlen(s));
}
static void jbool(int b) {
  jsep();
  jputs(b ? "true" : "false");
}

static void jfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jfmt(const char *fmt, ...) {
  char b[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof b) n = sizeof b - 1;
  jsep();
  jraw(b, (size_t)n);
}
static void jint(long long v) {
  jfmt("%lld", v);
}
static void jhex64(uint64_t v) {
  jfmt("\"0x%016llx\"", (unsigned long long)v);
}
static void jerr(int e) {
  if (e)
    jstr(errname(e));
  else
    jnull();
}

static void jkey(const char *k) {
  jsep();
  jstrn_(k, strlen(k));
  jraw(":", 1);
  J.after_key = 1;
}

static void jobj(void) {
  jsep();
  jraw("{", 1);
  J.comma[++J.depth] = 0;
}
static void jobj_end(void) {
  J.depth--;
  jraw("}", 1);
}
static void jarr(void) {
  jsep();
  jraw("[", 1);
  J.comma[++J.depth] = 0;
}
static void jarr_end(void) {
  J.depth--;
  jraw("]", 1);
}

/* Per-field failure reasons, emitted last as "errors". */
static struct {
  char key[64];
  char val[48];
} errs[128];
static int nerrs;

static void note_err(const char *key, int e) {
  if (nerrs >= (int)(sizeof errs / sizeof errs[0])) return;
  snprintf(errs[nerrs].key, sizeof errs[nerrs].key, "%s", key);
  snprintf(errs[nerrs].val, sizeof errs[nerrs].val, "%s", errname(e));
  nerrs++;
}

/* ---------------------------------------------------------------- helpers */

static int write_all(int fd, const char *b, size_t n) {
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer. Returns errno. */
static int read_file(const char *path, char **out, size_t *outlen, size_t max) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  size_t cap = 4096, len = 0;
  char *b = malloc(cap + 1);
  if (!b) {
    close(fd);
    return ENOMEM;
  }
  for (;;) {
    if (len == cap) {
      if (cap >= max) break;
      cap *= 2;
      char *nb = realloc(b, cap + 1);
      if (!nb) {
        free(b);
        close(fd);
        return ENOMEM;
      }
      b = nb;
    }
    ssize_t r = read(fd, b + len, cap - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(b);
      close(fd);
      return e;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  b[len] = 0;
  *out = b;
  *outlen = len;
  return 0;
}

/* "key": file contents, or null (reason in errors). */
static void emit_file(const char *key, const char *errkey, const char *path) {
  char *b;
  size_t n;
  jkey(key);
  int e = read_file(path, &b, &n, 1 << 20);
  if (e) {
    jnull();
    note_err(errkey, e);
    return;
  }
  jstrn(b, n);
  free(b);
}

static const char *mode_type(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    case S_IFLNK:
      return "symlink";
    default:
      return "unknown";
  }
}

static void jdev(dev_t d) {
  jfmt("\"%u:%u\"", major(d), minor(d));
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---------------------------------------------------------------- options */

static struct {
  int out_fd;
  int out_fd_given;
  int exit_code; /* -1: not given */
  long sleep_ms;
  int signal_self;
  int orphans;
  int echo_stdin;
  int connect_port;     /* -1: not given */
  const char *abstract; /* --abstract NAME: connect to the abstract unix socket "\0NAME" */
  long sysv_key;        /* --sysv-key K: msgget/shmget/semget(K, 0); -1: not given */
  long kill_pid;        /* --kill-pid P: kill(P, 0); -1: not given */
  int no_escape;
  const char *try_write[MAX_LIST];
  int ntry_write;
  const char *stat[MAX_LIST];
  int nstat;
  const char *read[MAX_LIST];
  int nread;
} O = {.out_fd = 1, .exit_code = -1, .connect_port = -1, .sysv_key = -1, .kill_pid = -1};

static const struct {
  const char *n;
  int s;
} signames[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},   {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},
    {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

static void usage_fail(const char *msg, const char *arg) {
  char b[512];
  int n = snprintf(b, sizeof b,
                   "probe: %s%s%s\n"
                   "usage: probe [--out-fd N] [--echo-stdin] [--try-write PATH]... "
                   "[--stat PATH]... [--read PATH]... [--connect-port N] [--abstract NAME] [--sysv-key K] [--kill-pid P] [--no-escape] "
                   "[--spawn-orphans N] [--sleep MS] [--signal-self SIG] [--exit N] [--] [ARG]...\n",
                   msg, arg ? ": " : "", arg ? arg : "");
  if (n > 0) write_all(2, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
  _exit(2);
}

static long parse_num(const char *s, long lo, long hi, const char *opt) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) usage_fail("bad number for", opt);
  return v;
}

static int parse_sig(const char *s) {
  if (*s >= '0' && *s <= '9') return (int)parse_num(s, 1, 64, "--signal-self");
  if (!strncmp(s, "SIG", 3)) s += 3;
  for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
    if (!strcmp(s, signames[i].n)) return signames[i].s;
  usage_fail("unknown signal", s);
  return 0;
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!strcmp(a, "--")) break; /* the rest is only reported in "argv" */
    if (a[0] != '-') continue;   /* positional arguments are only reported */
    char name[64];
    const char *eq = strchr(a, '=');
    if (!strncmp(a, "--", 2) && eq && (size_t)(eq - a) < sizeof name) {
      memcpy(name, a, (size_t)(eq - a));
      name[eq - a] = 0;
      v = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", a);
    }
#define FLAG(f) (!strcmp(name, f) && !v)
#define VAL(f) (!strcmp(name, f) && (v || (i + 1 < argc ? (v = argv[++i], 1) : (usage_fail("missing value for", f), 0))))
    if (FLAG("--echo-stdin"))
      O.echo_stdin = 1;
    else if (FLAG("--no-escape"))
      O.no_escape = 1;
    else if (FLAG("--help") || FLAG("-h"))
      usage_fail("help", NULL);
    else if (VAL("--out-fd")) {
      O.out_fd = (int)parse_num(v, 0, INT_MAX, name);
      O.out_fd_given = 1;
    } else if (VAL("--exit"))
      O.exit_code = (int)parse_num(v, 0, 255, name);
    else if (VAL("--sleep"))
      O.sleep_ms = parse_num(v, 0, 24L * 3600 * 1000, name);
    else if (VAL("--signal-self"))
      O.signal_self = parse_sig(v);
    else if (VAL("--spawn-orphans"))
      O.orphans = (int)parse_num(v, 0, 1000, name);
    else if (VAL("--connect-port"))
      O.connect_port = (int)parse_num(v, 0, 65535, name);
    else if (VAL("--abstract"))
      O.abstract = v;
    else if (VAL("--sysv-key"))
      O.sysv_key = parse_num(v, 1, 4294967295L, name); /* key_t is an int: 0xf4a543f7 wraps */
    else if (VAL("--kill-pid"))
      O.kill_pid = parse_num(v, 1, INT_MAX, name);
    else if (VAL("--try-write")) {
      if (O.ntry_write < MAX_LIST) O.try_write[O.ntry_write++] = v;
    } else if (VAL("--stat")) {
      if (O.nstat < MAX_LIST) O.stat[O.nstat++] = v;
    } else if (VAL("--read")) {
      if (O.nread < MAX_LIST) O.read[O.nread++] = v;
    } else
      usage_fail("unknown argument", a);
#undef FLAG
#undef VAL
  }
}

/* ---------------------------------------------------- snapshot at startup */

static struct fdsnap {
  int fd, fdflags, flflags, st_err;
  struct stat st;
  char *target;
} fds[MAX_FD];
static int nfds;

static void snapshot_fds(void) {
  for (int fd = 0; fd < MAX_FD; fd++) {
    int ff = fcntl(fd, F_GETFD);
    if (ff < 0) continue;
    struct fdsnap *s = &fds[nfds++];
    s->fd = fd;
    s->fdflags = ff;
    s->flflags = fcntl(fd, F_GETFL);
    s->st_err = fstat(fd, &s->st) < 0 ? errno : 0;
    char p[64], t[PATH_MAX];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n >= 0) {
      t[n] = 0;
      s->target = strdup(t);
    }
  }
}

static uint64_t sig_blocked, sig_ignored;

static void snapshot_signals(void) {
  sigset_t set;
  if (sigprocmask(SIG_BLOCK, NULL, &set) == 0)
    for (int s = 1; s <= 64; s++)
      if (sigismember(&set, s) == 1) sig_blocked |= 1ULL << (s - 1);
  for (int s = 1; s <= 64; s++) {
    struct sigaction sa;
    if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) sig_ignored |= 1ULL << (s - 1);
  }
}

/* ------------------------------------------------------------- collectors */

static void emit_ids(void) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  jkey("pid");
  jint(getpid());
  jkey("ppid");
  jint(getppid());
  jkey("pgid");
  jint(getpgid(0));
  jkey("sid");
  jint(getsid(0));
  if (getresuid(&r, &e, &s) == 0) {
    jkey("uid");
    jint(r);
    jkey("euid");
    jint(e);
    jkey("suid");
    jint(s);
  } else {
    int er = errno;
    jkey("uid");
    jint(getuid());
    jkey("euid");
    jint(geteuid());
    jkey("suid");
    jnull();
    note_err("suid", er);
  }
  if (getresgid(&gr, &ge, &gs) == 0) {
    jkey("gid");
    jint(gr);
    jkey("egid");
    jint(ge);
    jkey("sgid");
    jint(gs);
  } else {
    int er = errno;
    jkey("gid");
    jint(getgid());
    jkey("egid");
    jint(getegid());
    jkey("sgid");
    jnull();
    note_err("sgid", er);
  }
  jkey("groups");
  int n = getgroups(0, NULL);
  gid_t *g = n > 0 ? calloc((size_t)n, sizeof *g) : NULL;
  if (n > 0 && g) n = getgroups(n, g);
  if (n < 0) {
    note_err("groups", errno);
    jnull();
  } else {
    jarr();
    for (int i = 0; i < n && g; i++) jint(g[i]);
    jarr_end();
  }
  free(g);
}

static void emit_caps(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  jkey("caps");
  jobj();
  if (syscall(SYS_capget, &h, d) == 0) {
    jkey("effective");
    jhex64(d[0].effective | (uint64_t)d[1].effective << 32);
    jkey("permitted");
    jhex64(d[0].permitted | (uint64_t)d[1].permitted << 32);
    jkey("inheritable");
    jhex64(d[0].inheritable | (uint64_t)d[1].inheritable << 32);
  } else {
    note_err("caps", errno);
    jkey("effective");
    jnull();
    jkey("permitted");
    jnull();
    jkey("inheritable");
    jnull();
  }
  uint64_t bset = 0;
  int last = -1, berr = 0;
  for (int c = 0; c < 64; c++) {
    int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (r < 0) {
      if (errno != EINVAL) berr = errno;
      break;
    }
    last = c;
    if (r == 1) bset |= 1ULL << c;
  }
  jkey("bounding");
  if (berr || last < 0) {
    note_err("caps.bounding", berr ? berr : EINVAL);
    jnull();
  } else {
    jhex64(bset);
  }
  jkey("last_cap");
  if (last >= 0)
    jint(last);
  else
    jnull();
  uint64_t amb = 0;
  int aerr = 0;
  for (int c = 0; c <= (last >= 0 ? last : 63); c++) {
    int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
    if (r < 0) {
      if (c == 0 || errno != EINVAL) aerr = errno;
      break;
    }
    if (r == 1) amb |= 1ULL << c;
  }
  jkey("ambient");
  if (aerr) {
    note_err("caps.ambient", aerr);
    jnull();
  } else {
    jhex64(amb);
  }
  jobj_end();
}

/* "key": prctl(op) result as a number, or null. */
static void emit_prctl(const char *key, int op) {
  jkey(key);
  int r = prctl(op, 0, 0, 0, 0);
  if (r < 0) {
    note_err(key, errno);
    jnull();
  } else {
    jint(r);
  }
}

static void emit_prctls(void) {
  emit_prctl("securebits", PR_GET_SECUREBITS);
  emit_prctl("no_new_privs", PR_GET_NO_NEW_PRIVS);
  /* 0 = disabled, 2 = filter; EINVAL if the kernel lacks CONFIG_SECCOMP
   * (in strict mode the call itself would kill us, but strict mode could
   * not have let us get this far). */
  emit_prctl("seccomp", PR_GET_SECCOMP);
  emit_prctl("dumpable", PR_GET_DUMPABLE);
  int sig = 0;
  jkey("pdeathsig");
  if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0) {
    note_err("pdeathsig", errno);
    jnull();
  } else {
    jint(sig);
  }
  mode_t m = umask(0);
  umask(m);
  jkey("umask");
  jfmt("\"%04o\"", (unsigned)m);
}

static void emit_uts(void) {
  struct utsname u;
  if (uname(&u) < 0) {
    note_err("hostname", errno);
    jkey("hostname");
    jnull();
    jkey("domainname");
    jnull();
    return;
  }
  jkey("hostname");
  jstr(u.nodename);
  jkey("domainname");
  jstr(u.domainname);
}

static void emit_strv(const char *key, char **v) {
  jkey(key);
  jarr();
  for (; v && *v; v++) jstr(*v);
  jarr_end();
}

static void emit_fds(void) {
  jkey("fds");
  jarr();
  for (int i = 0; i < nfds; i++) {
    struct fdsnap *s = &fds[i];
    jobj();
    jkey("fd");
    jint(s->fd);
    jkey("flags");
    jint(s->flflags);
    jkey("access");
    switch (s->flflags < 0 ? -1 : s->flflags & O_ACCMODE) {
      case O_RDONLY:
        jstr("r");
        break;
      case O_WRONLY:
        jstr("w");
        break;
      case O_RDWR:
        jstr("rw");
        break;
      default:
        jnull();
    }
    jkey("cloexec");
    jbool(s->fdflags & FD_CLOEXEC);
    jkey("type");
    jstr(s->st_err ? "unknown" : mode_type(s->st.st_mode));
    jkey("dev_rdev");
    if (!s->st_err && (S_ISCHR(s->st.st_mode) || S_ISBLK(s->st.st_mode)))
      jdev(s->st.st_rdev);
    else
      jnull();
    jkey("dev");
    if (s->st_err)
      jnull();
    else
      jdev(s->st.st_dev);
    jkey("ino");
    if (s->st_err)
      jnull();
    else
      jint((long long)s->st.st_ino);
    jkey("target");
    jstr(s->target);
    jobj_end();
  }
  jarr_end();
}

/* Decodes mountinfo's \ooo escapes in place. */
static void unoctal(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
}

static void emit_mounts(void) {
  char *b;
  size_t n;
  jkey("mounts");
  int e = read_file("/proc/self/mountinfo", &b, &n, 16 << 20);
  if (e) {
    note_err("mounts", e);
    jnull();
    return;
  }
  jarr();
  char *save = NULL;
  for (char *line = strtok_r(b, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[128];
    int nf = 0;
    char *s2 = NULL;
    for (char *t = strtok_r(line, " ", &s2); t && nf < 128; t = strtok_r(NULL, " ", &s2)) f[nf++] = t;
    int dash = -1;
    for (int i = 6; i < nf; i++)
      if (!strcmp(f[i], "-")) {
        dash = i;
        break;
      }
    if (dash < 0) continue;
    unoctal(f[3]);
    unoctal(f[4]);
    jobj();
    jkey("id");
    jint(atoll(f[0]));
    jkey("parent_id");
    jint(atoll(f[1]));
    jkey("dev");
    jstr(f[2]);
    jkey("root");
    jstr(f[3]);
    jkey("mount_point");
    jstr(f[4]);
    jkey("options");
    jstr(f[5]);
    jkey("propagation");
    jarr();
    for (int i = 6; i < dash; i++) jstr(f[i]);
    jarr_end();
    jkey("fs_type");
    jstr(dash + 1 < nf ? f[dash + 1] : NULL);
    if (dash + 2 < nf) unoctal(f[dash + 2]);
    jkey("source");
    jstr(dash + 2 < nf ? f[dash + 2] : NULL);
    jkey("super_options");
    jstr(dash + 3 < nf ? f[dash + 3] : NULL);
    jobj_end();
  }
  jarr_end();
  free(b);
}

static void emit_ns(void) {
  static const char *names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"};
  struct stat st;
  jkey("ns");
  if (stat("/proc/self/ns", &st) < 0) {
    note_err("ns", errno);
    jnull();
    return;
  }
  jobj();
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/ns/%s", names[i]);
    jkey(names[i]);
    if (stat(p, &st) == 0)
      jint((long long)st.st_ino);
    else
      jnull();
  }
  jobj_end();
}

static void emit_net(void) {
  jkey("net_interfaces");
  struct if_nameindex *ni = if_nameindex();
  if (!ni) {
    note_err("net_interfaces", errno);
    jnull();
    return;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  jarr();
  for (struct if_nameindex *p = ni; p->if_index || p->if_name; p++) {
    jobj();
    jkey("name");
    jstr(p->if_name);
    jkey("index");
    jint(p->if_index);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", p->if_name ? p->if_name : "");
    int ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    jkey("flags");
    if (ok)
      jint((unsigned short)ifr.ifr_flags);
    else
      jnull();
    jkey("up");
    if (ok)
      jbool(ifr.ifr_flags & IFF_UP);
    else
      jnull();
    jobj_end();
  }
  jarr_end();
  if (s >= 0) close(s);
  if_freenameindex(ni);
}

static void emit_root_listing(void) {
  jkey("root_listing");
  DIR *d = opendir("/");
  if (!d) {
    note_err("root_listing", errno);
    jnull();
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) break;
      names = nn;
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmpstr);
  jarr();
  for (size_t i = 0; i < n; i++) {
    jstr(names[i]);
    free(names[i]);
  }
  jarr_end();
  free(names);
}

/* Creates, writes one byte to, and removes a file. Returns errno, 0 on
 * success; *step says which step failed. */
static int create_write_unlink(const char *path, const char **step) {
  *step = "create";
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) return errno;
  *step = "write";
  int e = 0;
  if (write(fd, "x", 1) != 1) e = errno ? errno : EIO;
  close(fd);
  if (unlink(path) < 0 && !e) {
    *step = "unlink";
    e = errno;
  }
  return e;
}

/* --try-write PATH: a directory gets a temporary file created, written and
 * removed inside it; a missing path is created, written and removed; an
 * existing non-directory is only opened for writing (not modified). */
static void emit_try_write(const char *path) {
  char target[PATH_MAX + 64];
  const char *step = "stat";
  int e;
  struct stat st;
  int st_err = stat(path, &st) == 0 ? 0 : errno;
  snprintf(target, sizeof target, "%s", path);
  if (!st_err && S_ISDIR(st.st_mode)) {
    size_t l = strlen(path);
    snprintf(target, sizeof target, "%s%s.probe-write-test-%d", path, l && path[l - 1] == '/' ? "" : "/", (int)getpid());
    e = create_write_unlink(target, &step);
  } else if (!st_err) {
    step = "open";
    int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    e = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
  } else if (st_err == ENOENT) {
    e = create_write_unlink(target, &step);
  } else {
    e = st_err;
  }
  jobj();
  jkey("path");
  jstr(path);
  jkey("target");
  jstr(target);
  jkey("ok");
  jbool(!e);
  jkey("errno");
  jerr(e);
  jkey("step");
  if (e)
    jstr(step);
  else
    jnull();
  jobj_end();
}

static void emit_writes(void) {
  jkey("root_writable");
  {
    const char *step;
    int e = create_write_unlink("/.probe-write-test", &step);
    jobj();
    jkey("path");
    jstr("/.probe-write-test");
    jkey("ok");
    jbool(!e);
    jkey("errno");
    jerr(e);
    jkey("step");
    if (e)
      jstr(step);
    else
      jnull();
    jobj_end();
  }
  jkey("tmp_writable");
  jarr();
  for (int i = 0; i < O.ntry_write; i++) emit_try_write(O.try_write[i]);
  jarr_end();
}

static void emit_mount_flags(unsigned long f) {
  static const struct {
    unsigned long bit;
    const char *n;
  } fl[] = {
      {ST_RDONLY, "ro"},     {ST_NOSUID, "nosuid"},   {ST_NODEV, "nodev"},           {ST_NOEXEC, "noexec"},     {ST_SYNCHRONOUS, "sync"},
      {ST_MANDLOCK, "mand"}, {ST_NOATIME, "noatime"}, {ST_NODIRATIME, "nodiratime"}, {ST_RELATIME, "relatime"},
  };
  jarr();
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
    if (f & fl[i].bit) jstr(fl[i].n);
  jarr_end();
}

static void emit_access(const char *key, const char *path, int mode) {
  int ok = access(path, mode) == 0;
  int e = ok ? 0 : errno;
  jkey(key);
  jbool(ok);
  char k[48];
  snprintf(k, sizeof k, "%s_errno", key);
  jkey(k);
  jerr(e);
}

static void emit_paths(void) {
  jkey("paths");
  jarr();
  for (int i = 0; i < O.nstat; i++) {
    const char *p = O.stat[i];
    struct stat st, lst;
    int ok = stat(p, &st) == 0;
    int e = ok ? 0 : errno;
    int lok = lstat(p, &lst) == 0;
    jobj();
    jkey("path");
    jstr(p);
    jkey("exists");
    jbool(ok);
    jkey("errno");
    jerr(e);
    jkey("is_symlink");
    jbool(lok && S_ISLNK(lst.st_mode));
    jkey("type");
    if (ok)
      jstr(mode_type(st.st_mode));
    else
      jnull();
    jkey("mode");
    if (ok)
      jfmt("\"%04o\"", (unsigned)(st.st_mode & 07777));
    else
      jnull();
    jkey("uid");
    if (ok)
      jint(st.st_uid);
    else
      jnull();
    jkey("gid");
    if (ok)
      jint(st.st_gid);
    else
      jnull();
    jkey("size");
    if (ok)
      jint((long long)st.st_size);
    else
      jnull();
    jkey("dev");
    if (ok)
      jdev(st.st_dev);
    else
      jnull();
    jkey("ino");
    if (ok)
      jint((long long)st.st_ino);
    else
      jnull();
    jkey("dev_rdev");
    if (ok && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
      jdev(st.st_rdev);
    else
      jnull();
    emit_access("readable", p, R_OK);
    emit_access("writable", p, W_OK);
    emit_access("executable", p, X_OK);
    struct statvfs sv;
    jkey("mount_flags");
    if (statvfs(p, &sv) == 0)
      emit_mount_flags(sv.f_flag);
    else
      jnull();
    jobj_end();
  }
  jarr_end();
}

static void emit_reads(void) {
  static const char hex[] = "0123456789abcdef";
  jkey("read");
  jarr();
  for (int i = 0; i < O.nread; i++) {
    const char *p = O.read[i];
    char buf[READ_MAX + 1];
    size_t n = 0;
    int e = 0, truncated = 0;
    int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      e = errno;
    } else {
      while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0) {
          if (errno == EINTR) continue;
          e = errno;
          break;
        }
        if (r == 0) break;
        n += (size_t)r;
      }
      close(fd);
      if (n > READ_MAX) {
        n = READ_MAX;
        truncated = 1;
      }
    }
    jobj();
    jkey("path");
    jstr(p);
    jkey("ok");
    jbool(!e);
    jkey("errno");
    jerr(e);
    jkey("content");
    if (fd >= 0)
      jstrn(buf, n);
    else
      jnull();
    jkey("hex");
    if (fd >= 0) {
      char *h = malloc(n * 2 + 1);
      if (h) {
        for (size_t k = 0; k < n; k++) {
          h[2 * k] = hex[(unsigned char)buf[k] >> 4];
          h[2 * k + 1] = hex[(unsigned char)buf[k] & 15];
        }
        jstrn(h, n * 2);
        free(h);
      } else {
        jnull();
      }
    } else {
      jnull();
    }
    jkey("bytes");
    jint((long long)n);
    jkey("truncated");
    jbool(truncated);
    jobj_end();
  }
  jarr_end();
}

/* ------------------------------------------------------------ escapes */

/* An attempt runs in a child; it fills out[0] with the errno of the main
 * step (0 = succeeded) and may fill out[1..3] with extra results. */
typedef void (*attempt_fn)(int out[4], const void *arg);

struct attempt {
  int ran; /* the child reported back */
  int out[4];
  int harness;   /* errno of pipe/fork if the child could not run */
  int killed_by; /* signal that killed the child, 0 if none */
};

static struct attempt run_attempt(attempt_fn fn, const void *arg) {
  struct attempt a;
  memset(&a, 0, sizeof a);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    a.harness = errno;
    return a;
  }
  pid_t pid = fork();
  if (pid < 0) {
    a.harness = errno;
    close(p[0]);
    close(p[1]);
    return a;
  }
  if (pid == 0) {
    close(p[0]);
    int out[4] = {0, -1, -1, -1};
    fn(out, arg);
    if (write(p[1], out, sizeof out) < 0) _exit(1);
    _exit(0);
  }
  close(p[1]);
  size_t got = 0;
  while (got < sizeof a.out) {
    ssize_t r = read(p[0], (char *)a.out + got, sizeof a.out - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(p[0]);
  a.ran = got == sizeof a.out;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status)) a.killed_by = WTERMSIG(status);
  return a;
}

/* {"ok", "errno"} plus harness/killed_by when the child failed; leaves the
 * object open for extra members. */
static void emit_attempt_open(const char *key, const struct attempt *a) {
  jkey(key);
  jobj();
  jkey("ok");
  jbool(a->ran && a->out[0] == 0);
  jkey("errno");
  if (a->ran)
    jerr(a->out[0]);
  else
    jerr(a->harness);
  if (!a->ran) {
    jkey("killed_by");
    if (a->killed_by)
      jint(a->killed_by);
    else
      jnull();
    jkey("harness_errno");
    jerr(a->harness);
  }
}

static void att_mount(int out[4], const void *arg) {
  const char *target = arg;
  if (mount("none", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") < 0) {
    out[0] = errno;
    return;
  }
  out[0] = 0;
  out[1] = umount2(target, MNT_DETACH) < 0 ? errno : 0;
}

static void att_unshare_user(int out[4], const void *arg) {
  (void)arg;
  out[0] = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
}

static void att_sethostname(int out[4], const void *arg) {
  (void)arg;
  struct utsname u;
  if (uname(&u) < 0) {
    out[0] = errno;
    return;
  }
  /* Sets the name it already has: the permission check is the point. */
  out[0] = sethostname(u.nodename, strlen(u.nodename)) < 0 ? errno : 0;
}

static void att_chroot(int out[4], const void *arg) {
  (void)arg;
  out[0] = chroot("/") < 0 ? errno : 0;
}

static void att_pivot_root(int out[4], const void *arg) {
  (void)arg;
  /* EPERM without CAP_SYS_ADMIN; with it, EBUSY or EINVAL (new_root is
   * the current root), so this never changes anything. */
  out[0] = syscall(SYS_pivot_root, "/", "/") < 0 ? errno : 0;
}

static void att_ptrace(int out[4], const void *arg) {
  pid_t target = *(const pid_t *)arg;
  /* PTRACE_SEIZE has PTRACE_ATTACH's permission checks but does not stop
   * the tracee; the tracing ends when this child exits. */
  out[0] = ptrace(PTRACE_SEIZE, target, 0, 0) < 0 ? errno : 0;
}

static void att_kill1(int out[4], const void *arg) {
  (void)arg;
  out[0] = kill(1, 0) < 0 ? errno : 0;
}

static void att_socket(int out[4], const void *arg) {
  int port = *(const int *)arg;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    out[0] = errno;
    return;
  }
  out[0] = 0;
  if (port < 0) return;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fl = fcntl(s, F_GETFL);
  if (fl >= 0) fcntl(s, F_SETFL, fl | O_NONBLOCK);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
    out[1] = 0;
  } else if (errno == EINPROGRESS) {
    struct pollfd pf = {s, POLLOUT, 0};
    int r = poll(&pf, 1, 2000);
    if (r == 0) {
      out[1] = ETIMEDOUT;
    } else if (r < 0) {
      out[1] = errno;
    } else {
      int err = 0;
      socklen_t l = sizeof err;
      out[1] = getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l) < 0 ? errno : err;
    }
  } else {
    out[1] = errno;
  }
  close(s);
}

static void att_setuid0(int out[4], const void *arg) {
  (void)arg;
  out[0] = setuid(0) < 0 ? errno : 0;
}

static void att_devnull(int out[4], const void *arg) {
  (void)arg;
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    out[0] = errno;
    return;
  }
  out[0] = 0;
  out[1] = write(fd, "x", 1) == 1 ? 0 : errno;
  close(fd);
}

/* Connect to a host's abstract unix socket: abstract names belong to the
 * network namespace, so a void must not find the host's. */
static void att_abstract(int out[4], const void *arg) {
  const char *name = arg;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    out[0] = errno;
    return;
  }
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len > sizeof sa.sun_path - 2) len = sizeof sa.sun_path - 2;
  memcpy(sa.sun_path + 1, name, len);
  out[0] = connect(s, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0 ? 0 : errno;
  close(s);
}

/* Find the host's SysV IPC objects by key: the IPC namespace hides them. */
static void att_sysv(int out[4], const void *arg) {
  key_t key = (key_t)(uint32_t) * (const long *)arg;
  out[0] = msgget(key, 0) >= 0 ? 0 : errno;
  out[1] = shmget(key, 0, 0) >= 0 ? 0 : errno;
  out[2] = semget(key, 0, 0) >= 0 ? 0 : errno;
}

/* Signal a process by a pid number from outside (signal 0: only the check). */
static void att_kill_pid(int out[4], const void *arg) {
  out[0] = kill((pid_t) * (const long *)arg, 0) == 0 ? 0 : errno;
}

static void emit_simple_attempt(const char *key, attempt_fn fn, const void *arg) {
  struct attempt a = run_attempt(fn, arg);
  emit_attempt_open(key, &a);
  jobj_end();
}

static void emit_escapes(pid_t ppid) {
  jkey("escape");
  if (O.no_escape) {
    jnull();
    return;
  }
  jobj();

  struct stat st;
  const char *target = stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode) ? "/tmp" : "/";
  struct attempt a = run_attempt(att_mount, target);
  emit_attempt_open("mount_tmpfs", &a);
  jkey("target");
  jstr(target);
  jkey("undone");
  if (a.ran && a.out[0] == 0)
    jbool(a.out[1] == 0);
  else
    jnull();
  jobj_end();

  emit_simple_attempt("unshare_user", att_unshare_user, NULL);
  emit_simple_attempt("sethostname", att_sethostname, NULL);
  emit_simple_attempt("chroot", att_chroot, NULL);
  emit_simple_attempt("pivot_root", att_pivot_root, NULL);

  if (ppid != 0) {
    a = run_attempt(att_ptrace, &ppid);
    emit_attempt_open("ptrace_parent", &a);
    jkey("skipped");
    jbool(0);
  } else {
    jkey("ptrace_parent");
    jobj();
    jkey("ok");
    jbool(0);
    jkey("errno");
    jnull();
    jkey("skipped");
    jbool(1);
  }
  jkey("target");
  jint(ppid);
  jobj_end();

  emit_simple_attempt("kill_1", att_kill1, NULL);

  a = run_attempt(att_socket, &O.connect_port);
  int sock_ok = a.ran && a.out[0] == 0;
  int has_conn = sock_ok && O.connect_port >= 0;
  jkey("socket_inet");
  jobj();
  jkey("ok");
  jbool(sock_ok && (!has_conn || a.out[1] == 0));
  jkey("errno");
  if (!a.ran)
    jerr(a.harness);
  else if (!sock_ok)
    jerr(a.out[0]);
  else
    jerr(has_conn ? a.out[1] : 0);
  jkey("socket_ok");
  jbool(sock_ok);
  jkey("socket_errno");
  if (a.ran)
    jerr(a.out[0]);
  else
    jerr(a.harness);
  jkey("connect_port");
  if (O.connect_port >= 0)
    jint(O.connect_port);
  else
    jnull();
  jkey("connect_ok");
  if (has_conn)
    jbool(a.out[1] == 0);
  else
    jnull();
  jkey("connect_errno");
  if (has_conn)
    jerr(a.out[1]);
  else
    jnull();
  if (!a.ran) {
    jkey("killed_by");
    if (a.killed_by)
      jint(a.killed_by);
    else
      jnull();
  }
  jobj_end();

  emit_simple_attempt("setuid0", att_setuid0, NULL);

  if (O.kill_pid >= 0) emit_simple_attempt("kill_pid", att_kill_pid, &O.kill_pid);
  if (O.abstract != NULL) emit_simple_attempt("abstract_unix", att_abstract, O.abstract);
  if (O.sysv_key >= 0) {
    a = run_attempt(att_sysv, &O.sysv_key);
    emit_attempt_open("sysv_ipc", &a);
    jkey("msg_errno");
    if (a.ran)
      jerr(a.out[0]);
    else
      jnull();
    jkey("shm_errno");
    if (a.ran)
      jerr(a.out[1]);
    else
      jnull();
    jkey("sem_errno");
    if (a.ran)
      jerr(a.out[2]);
    else
      jnull();
    jobj_end();
  }

  a = run_attempt(att_devnull, NULL);
  emit_attempt_open("open_dev_null_rw", &a);
  jkey("write_ok");
  if (a.ran && a.out[0] == 0)
    jbool(a.out[1] == 0);
  else
    jnull();
  jobj_end();

  jobj_end();
}

/* ---------------------------------------------------------------- misc */

static void emit_clock(const char *key, clockid_t id) {
  struct timespec ts;
  jkey(key);
  if (clock_gettime(id, &ts) < 0) {
    note_err(key, errno);
    jnull();
  } else {
    jfmt("%lld.%09ld", (long long)ts.tv_sec, (long)ts.tv_nsec);
  }
}

static void emit_time(void) {
  jkey("time_ns");
  jobj();
  emit_clock("monotonic", CLOCK_MONOTONIC);
  emit_clock("boottime", CLOCK_BOOTTIME);
  emit_clock("realtime", CLOCK_REALTIME);
  emit_file("offsets", "time_ns.offsets", "/proc/self/timens_offsets");
  jobj_end();
}

static void emit_rlimits(void) {
  static const struct {
    const char *n;
    int r;
  } rl[] = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  jkey("rlimits");
  jobj();
  for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++) {
    struct rlimit r;
    jkey(rl[i].n);
    if (getrlimit((__rlimit_resource_t)rl[i].r, &r) < 0) {
      jnull();
      continue;
    }
    jobj();
    jkey("soft");
    jint(r.rlim_cur == RLIM_INFINITY ? -1 : (long long)r.rlim_cur);
    jkey("hard");
    jint(r.rlim_max == RLIM_INFINITY ? -1 : (long long)r.rlim_max);
    jobj_end();
  }
  jobj_end();
}

static void emit_cwd(void) {
  char b[PATH_MAX];
  jkey("cwd");
  if (getcwd(b, sizeof b))
    jstr(b);
  else {
    note_err("cwd", errno);
    jnull();
  }
}

/* --spawn-orphans N: children that setsid(), close every fd and sleep 30s. */
static pid_t orphan_pids[1000];
static int norphans;

static void spawn_orphans(void) {
  for (int i = 0; i < O.orphans; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      note_err("orphans", errno);
      break;
    }
    if (pid == 0) {
      setsid();
      prctl(PR_SET_NAME, "probe-orphan", 0, 0, 0);
      for (int fd = 0; fd < MAX_FD; fd++) close(fd);
      sleep_ms(30000);
      _exit(0);
    }
    orphan_pids[norphans++] = pid;
  }
}

struct echo_result {
  long long bytes;
  int rerr, werr;
} echo;

static void echo_stdin(void) {
  char b[65536];
  for (;;) {
    ssize_t r = read(0, b, sizeof b);
    if (r < 0) {
      if (errno == EINTR) continue;
      echo.rerr = errno;
      return;
    }
    if (r == 0) return;
    int e = write_all(1, b, (size_t)r);
    if (e) {
      echo.werr = e;
      return;
    }
    echo.bytes += r;
  }
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
  snapshot_fds(); /* before anything opens a file */
  snapshot_signals();
  parse_args(argc, argv);
  if (O.echo_stdin && !O.out_fd_given) O.out_fd = 2;
  int out_open = fcntl(O.out_fd, F_GETFD) >= 0;
  signal(SIGPIPE, SIG_IGN); /* write errors become EPIPE */

  pid_t ppid = getppid();

  if (O.echo_stdin) echo_stdin();
  spawn_orphans();

  jobj();
  jkey("probe_version");
  jint(PROBE_VERSION);
  emit_strv("argv", argv);
  emit_strv("env", environ);
  jkey("out_fd");
  jint(O.out_fd);
  emit_ids();
  emit_caps();
  emit_prctls();
  jkey("signals");
  jobj();
  jkey("blocked");
  jhex64(sig_blocked);
  jkey("ignored");
  jhex64(sig_ignored);
  jobj_end();
  emit_rlimits();
  emit_uts();
  emit_cwd();
  struct stat st;
  jkey("proc");
  jbool(stat("/proc/self", &st) == 0);
  emit_fds();
  emit_mounts();
  emit_file("uid_map", "uid_map", "/proc/self/uid_map");
  emit_file("gid_map", "gid_map", "/proc/self/gid_map");
  emit_file("setgroups", "setgroups", "/proc/self/setgroups");
  emit_ns();
  emit_file("cgroup", "cgroup", "/proc/self/cgroup");
  emit_net();
  emit_root_listing();
  emit_writes();
  emit_paths();
  emit_reads();
  emit_time();
  emit_escapes(ppid);
  jkey("echo_stdin");
  if (O.echo_stdin) {
    jobj();
    jkey("bytes");
    jint(echo.bytes);
    jkey("read_errno");
    jerr(echo.rerr);
    jkey("write_errno");
    jerr(echo.werr);
    jobj_end();
  } else {
    jnull();
  }
  jkey("orphans");
  jarr();
  for (int i = 0; i < norphans; i++) jint(orphan_pids[i]);
  jarr_end();
  jkey("exit_with");
  if (O.exit_code >= 0)
    jint(O.exit_code);
  else
    jnull();
  jkey("signal_self");
  if (O.signal_self)
    jint(O.signal_self);
  else
    jnull();
  jkey("errors");
  jobj();
  for (int i = 0; i < nerrs; i++) {
    jkey(errs[i].key);
    jstr(errs[i].val);
  }
  jobj_end();
  jobj_end();
  jraw("\n", 1);

  if (O.sleep_ms > 0) sleep_ms(O.sleep_ms);

  int werr = out_open ? write_all(O.out_fd, J.buf, J.len) : EBADF;

  if (O.signal_self) {
    /* Make sure the signal can act: default action, unblocked. A PID 1
     * of a pid namespace still ignores it; then we fall through. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, O.signal_self);
    signal(O.signal_self, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(O.signal_self);
  }
  if (O.exit_code >= 0) return O.exit_code;
  return werr ? 3 : 0;
}
