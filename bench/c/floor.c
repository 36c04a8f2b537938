/*
 * floor — the C floor for building one void: the syscalls of
 * native/void_spawn.c, in the same order, from a plain single-purpose C
 * program with nothing else running in it. bench/run.ts compares the addon
 * (Node, libuv worker, watcher thread) against it, run by run.
 *
 *   floor PLANFILE [-n N] [-j THREADS] [--fds N] [--direct] [--no-net] [--native] [--seccomp]
 *
 * PLANFILE holds a plan marshalled by src/orchestrator/marshal.ts — the
 * very bytes the addon gets — and is parsed with native/plan.c. A planned
 * fd whose launcher source is fd 100 is this program's timing pipe: the
 * entrypoint (bench/c/true.c) writes its first CLOCK_MONOTONIC reading
 * there.
 *
 * What the child does, as void_spawn.c (see there for the reasons):
 * reset every signal disposition, PR_SET_PDEATHSIG and the host-ppid check,
 * setgroups/uid_map/gid_map, / MS_REC|MS_PRIVATE FIRST, a tmpfs base on
 * /tmp with newroot (tmpfs) and oldroot, pivot_root, the planned dirs,
 * symlinks and read-only binds (mount_setattr), /dev/null, detach the host,
 * pivot_root(".", "."), detach the base, read-only root, hostname and
 * domain name, place the fds and close_range the rest, unshare
 * CLONE_NEWTIME, drop capabilities, lock securebits, no_new_privs, the
 * seccomp filter if the plan has one (--seccomp), then execveat void-init
 * (or, with --direct, execve the entrypoint itself: no PID 1 of ours).
 *
 *   --native   use native/void_spawn() (native/spawn_clone.c, with the
 *              child of native/void_spawn.c) instead of the child below:
 *              the addon's own code without Node around it
 *
 * Why a handwritten child beside void_spawn.c, rather than only --native:
 * the plan is shared (native/plan.c parses it, so both build the same
 * void), and --native already runs void_spawn.c's child unchanged; but
 * the default child exists to measure what --native cannot. It stamps
 * each step's time into memory it shares with this program (the
 * latency-steps figure of docs/performance.md): doing that in
 * void_spawn.c would put timing code into the child of every real void,
 * a call the child-symbols test rightly refuses (clock_gettime is not a
 * system-call wrapper of the allow-list). And its variants (--direct: no
 * void-init; --no-net: no network namespace; no seccomp filter) are
 * voids the production child must never be able to build. The two are
 * kept honest against each other by the latency suite, which reports the
 * handwritten floor and --native side by side (1.02x apart when last
 * measured).
 *   --no-net   no CLONE_NEWNET (the network namespace's share)
 *   --fds N    hold N more open fds (copies of /dev/null) while spawning, as
 *              an orchestrator with many live voids does: clone copies the
 *              fd table and the child's close_range closes every copy
 *   -j N       throughput mode: N threads spawning concurrently, -n voids in
 *              all (fds that would go to the timing pipe go to /dev/null)
 *
 * Output, one JSON line: latency mode (no -j) gives per-spawn samples in ns
 * from just before clone: "clone" (clone returned: the child exec'd),
 * "first" (the entrypoint's first reading), "exit" (waitid on the pidfd
 * returned), and (handwritten child) "steps": each step's duration;
 * throughput mode gives {"voids":N,"wall_ns":W}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "linux_compat.h"
#include "seccomp_filter.h"

int void_spawn(struct void_plan *plan, int *pidfd_out); /* native/spawn_clone.c (the child: native/void_spawn.c) */

#define TIMING_FD 100
#define STACK_SIZE (256 * 1024)

static int opt_direct, opt_no_net, opt_native, opt_seccomp;
static int init_fd = -1;

/* Where the time goes inside the child: it shares our memory (CLONE_VM)
 * while we are suspended, so it stamps each step here (a plain store;
 * clock_gettime is the vDSO) and we read them after it has exec'd. Only
 * the handwritten child stamps (not --native). */
enum step {
  STEP_START,
  STEP_SIGNALS,
  STEP_PDEATHSIG,
  STEP_IDMAPS,
  STEP_PRIVATE,
  STEP_BASE,
  STEP_BINDS,
  STEP_DEVNULL,
  STEP_NEWROOT,
  STEP_NAMES,
  STEP_FDS,
  STEP_TIMENS,
  STEP_CAPS,
  STEP_SECCOMP,
  NSTEPS
};
static const char *const step_names[NSTEPS] = {"clone: parent to child running",
                                               "reset signal dispositions",
                                               "pdeathsig + host ppid check",
                                               "uid/gid maps",
                                               "make / private",
                                               "base tmpfs + newroot tmpfs + pivot_root",
                                               "planned dirs, symlinks, binds",
                                               "/dev/null",
                                               "detach host, pivot, detach base, ro root",
                                               "hostname, domain name",
                                               "place fds, close_range",
                                               "unshare CLONE_NEWTIME",
                                               "drop capabilities, securebits, no_new_privs",
                                               "seccomp filter"};
static volatile int64_t step_at[NSTEPS];

static int64_t now_ns(void);
#define STAMP(s) (step_at[s] = now_ns())

struct child {
  const struct void_plan *plan;
  int status_fd;
  pid_t parent;
};

/* Never returns; reports nothing (the floor has no one to tell). */
__attribute__((noreturn)) static void fail(int step) {
  _exit(100 + step);
}

static void write_file(const char *path, const char *s, int step) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) fail(step);
  close(fd);
}

static void join(char *out, const char *a, const char *b) {
  size_t n = strlen(a);
  memcpy(out, a, n);
  if (strcmp(b, "/") != 0)
    strcpy(out + n, b);
  else
    out[n] = 0;
}

static void mkdir_p(char *path) {
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    if (mkdir(path, 0755) < 0 && errno != EEXIST) fail(10);
    *p = saved;
    if (saved == 0) return;
  }
}

static void mkdir_parent(const char *path) {
  char b[4200];
  strcpy(b, path);
  char *slash = strrchr(b, '/');
  if (slash && slash != b) {
    *slash = 0;
    mkdir_p(b);
  }
}

static int setattr(const char *path, uint64_t attrs, int recursive) {
  struct mount_attr_v0 a = {.attr_set = attrs};
  return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a);
}

static void make_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
  if (fd < 0) fail(11);
  close(fd);
}

/* No snprintf in a CLONE_VM child. */
static void itoa(char *out, unsigned v) {
  char tmp[12];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) > 0);
  while (n > 0) *out++ = tmp[--n];
  *out = 0;
}

#ifdef PLAN_MAX_SECCOMP_RANGES
/* The same program as void_spawn.c's install_seccomp (native/seccomp_filter.h). */
static void seccomp_filter(const struct void_plan *p) {
  struct sock_filter prog[VOID_FILTER_MAX_INSNS(p->seccomp_nranges, p->seccomp_nenosys)];
  struct sock_fprog fprog = {build_void_filter(p, prog), prog};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) fail(19);
}
#endif

static int child_main(void *arg) {
  struct child *c = arg;
  const struct void_plan *p = c->plan;
  char b[4200], d[4200];
  STAMP(STEP_START);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL);
  STAMP(STEP_SIGNALS);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(1);
  { /* host ppid from /proc/self/stat, as void_spawn.c */
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, b, 511) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0) fail(1);
    b[n] = 0;
    char *q = strrchr(b, ')');
    if (q == NULL) fail(1);
    q += 2;
    while (*q && *q != ' ') q++;
    if ((pid_t)strtol(q, NULL, 10) != c->parent) _exit(125);
  }
  if (setsid() < 0) fail(1); /* a session of its own, as void_spawn.c */
  STAMP(STEP_PDEATHSIG);
  write_file("/proc/self/setgroups", "deny", 2);
  write_file("/proc/self/uid_map", p->uid_map, 2);
  write_file("/proc/self/gid_map", p->gid_map, 2);

  STAMP(STEP_IDMAPS);
  /* FIRST mount operation: nothing below may propagate to the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(3);
  STAMP(STEP_PRIVATE);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k") < 0) fail(4);
  if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0) fail(4);
  {
    /* The plan's ROOT record, as void_spawn.c mounts it. */
    char opts[96];
    snprintf(opts, sizeof opts, "mode=%o,size=%llu,nr_inodes=%u", (unsigned)p->root_mode, (unsigned long long)p->root_size, (unsigned)p->root_inodes);
    if (mount("tmpfs", "newroot", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) fail(4);
  }
  if (syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0) fail(4);

  STAMP(STEP_BASE);
  for (int i = 0; i < p->nmounts; i++) {
    const struct mount_op *op = &p->mounts[i];
    if (op->kind == MOUNT_DEVICE) continue; /* /dev/null only (checked in main): below */
    join(d, "/newroot", op->dest);
    if (op->kind == MOUNT_DIR) {
      mkdir_p(d);
    } else if (op->kind == MOUNT_SYMLINK) {
      mkdir_parent(d);
      if (symlink(op->source, d) < 0 && errno != EEXIST) fail(5);
    } else {
      struct stat st;
      if (lstat(d, &st) < 0) {
        mkdir_parent(d);
        if (op->flags & BIND_DIRECTORY) {
          if (mkdir(d, 0755) < 0) fail(5);
        } else {
          make_file(d);
        }
      }
      join(b, "/oldroot", op->source);
      if (mount(b, d, NULL, MS_BIND | MS_REC, NULL) < 0) fail(5);
      uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | ((op->flags & BIND_READONLY) ? MOUNT_ATTR_RDONLY : 0);
      if (setattr(d, attrs, 1) < 0) fail(5);
    }
  }
  STAMP(STEP_BINDS);
  strcpy(d, "/newroot/dev");
  mkdir_p(d);
  make_file("/newroot/dev/null");
  if (mount("/oldroot/dev/null", "/newroot/dev/null", NULL, MS_BIND, NULL) < 0) fail(6);
  if (setattr("/newroot/dev/null", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0) < 0) fail(6);

  STAMP(STEP_DEVNULL);
  if (umount2("/oldroot", MNT_DETACH) < 0 || chdir("/newroot") < 0) fail(7);
  if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) fail(7);
  if (setattr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0) < 0) fail(7);

  STAMP(STEP_NEWROOT);
  const char *h = p->hostname ? p->hostname : "void", *dn = p->domainname ? p->domainname : "(none)";
  if (sethostname(h, strlen(h)) < 0 || setdomainname(dn, strlen(dn)) < 0) fail(8);

  STAMP(STEP_NAMES);
  /* fds: duplicate above every target, dup3 into place, close the rest */
  int top = VOID_FD_FIRST_GRANTED - 1;
  for (int i = 0; i < p->nfds; i++)
    if (p->fds[i].target > top) top = p->fds[i].target;
  int st_target = top + VOID_FD_STATUS_ABOVE_GRANTS;
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) fail(9);
  int tmp[p->nfds > 0 ? p->nfds : 1];
  for (int i = 0; i < p->nfds; i++) {
    tmp[i] = fcntl(p->fds[i].source < 0 ? devnull : p->fds[i].source, F_DUPFD_CLOEXEC, st_target + 1);
    if (tmp[i] < 0) fail(9);
  }
  int status = fcntl(c->status_fd, F_DUPFD_CLOEXEC, st_target + 1);
  int init = fcntl(init_fd, F_DUPFD_CLOEXEC, st_target + 1);
  if (status < 0 || init < 0) fail(9);
  for (int i = 0; i < p->nfds; i++)
    if (dup3(tmp[i], p->fds[i].target, 0) < 0) fail(9);
  if (dup3(status, st_target, 0) < 0 || dup3(init, st_target + VOID_FD_INIT_ABOVE_STATUS, O_CLOEXEC) < 0) fail(9);
  if (syscall(SYS_close_range, st_target + VOID_FD_INIT_ABOVE_STATUS + 1, ~0U, 0) < 0) fail(9);

  STAMP(STEP_FDS);
  if ((p->options & PLAN_OPT_NEWTIME) && unshare(CLONE_NEWTIME) < 0) fail(10);
  STAMP(STEP_TIMENS);

  if (prctl(PR_SET_SECUREBITS,
            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) < 0)
    fail(11);
  for (int cap = 0; cap <= 63; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break;
      fail(11);
    }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(11);
  STAMP(STEP_CAPS);
#ifdef PLAN_MAX_SECCOMP_RANGES
  if (opt_seccomp && p->seccomp) seccomp_filter(p);
#endif
  STAMP(STEP_SECCOMP);

  char *envp[] = {NULL};
  if (opt_direct) {
    execve(p->exec_path, (char *const *)p->argv, envp);
    fail(12);
  }
  char fdstr[16], optstr[16];
  itoa(fdstr, (unsigned)st_target);
  itoa(optstr, p->options);
  /* void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH ARGV...: no
   * socket factory (the bench's plans have no Forward grant), not prepared. */
  const char *argv[p->argc + 7];
  argv[0] = "void-init";
  argv[1] = fdstr;
  argv[2] = optstr;
  argv[3] = "-1";
  argv[4] = "-1";
  argv[5] = p->exec_path;
  for (int i = 0; i < p->argc; i++) argv[6 + i] = p->argv[i];
  argv[6 + p->argc] = NULL;
  syscall(SYS_execveat, st_target + 1, "", (char *const *)argv, envp, AT_EMPTY_PATH);
  fail(12);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One void: returns its pidfd (the child has exec'd) and its status pipe. */
static int spawn_one(struct void_plan *plan, int *status_rd) {
  int sp[2];
  if (pipe2(sp, O_CLOEXEC) < 0) return -1;
  int pidfd = -1;
  if (opt_native) {
    plan->status_fd = sp[1];
    plan->init_fd = init_fd;
    pid_t pid = void_spawn(plan, &pidfd);
    if (pid < 0) {
      errno = -pid;
      pidfd = -1;
    }
  } else {
    struct child c = {plan, sp[1], getpid()};
    void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                SIGCHLD | (opt_no_net ? 0 : CLONE_NEWNET);
    pid_t pid = clone(child_main, (char *)stack + STACK_SIZE, flags, &c, &pidfd);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, STACK_SIZE);
    if (pid < 0) {
      errno = err;
      pidfd = -1;
    }
  }
  close(sp[1]);
  if (pidfd < 0) {
    close(sp[0]);
    return -1;
  }
  *status_rd = sp[0];
  return pidfd;
}

/* Waits for the void; 0 if it exited 0. A failure's status records
 * (void-init's "E errno what") go to stderr. */
static int reap(int pidfd, int status_rd) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int rc = (int)syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED, NULL);
  close(pidfd);
  char buf[512];
  ssize_t n, len = 0;
  while ((n = read(status_rd, buf + len, sizeof buf - 1 - (size_t)len)) > 0) len += n;
  close(status_rd);
  if (rc < 0) return -1;
  int status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  if (status != 0 && len > 0) {
    buf[len] = 0;
    fprintf(stderr, "floor: status records: %s", buf);
  }
  return status;
}

struct worker {
  struct void_plan *plan;
  int count;
  int failures;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < w->count; i++) {
    int st;
    int pidfd = spawn_one(w->plan, &st);
    if (pidfd < 0 || reap(pidfd, st) != 0) w->failures++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *planfile = NULL;
  int n = 20, threads = 0, extra_fds = 0; /* threads 0: latency mode; -j N (even 1): throughput mode */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = atoi(argv[++i]);
    else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--fds") == 0 && i + 1 < argc)
      extra_fds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--direct") == 0)
      opt_direct = 1;
    else if (strcmp(argv[i], "--no-net") == 0)
      opt_no_net = 1;
    else if (strcmp(argv[i], "--native") == 0)
      opt_native = 1;
    else if (strcmp(argv[i], "--seccomp") == 0)
      opt_seccomp = 1;
    else if (strcmp(argv[i], "--no-seccomp") == 0)
      opt_seccomp = 0;
    else if (argv[i][0] != '-' && planfile == NULL)
      planfile = argv[i];
    else {
      fprintf(stderr, "usage: floor PLANFILE [-n N] [-j THREADS] [--fds N] [--direct] [--no-net] [--native] [--seccomp]\n");
      return 2;
    }
  }
  if (planfile == NULL || n < 1 || threads < 0 || (opt_native && (opt_direct || opt_no_net))) {
    fprintf(stderr, "floor: a PLANFILE is needed; --native cannot be combined with --direct or --no-net\n");
    return 2;
  }
  const char *init_path = getenv("VOID_INIT");
  if (init_path == NULL) init_path = "build/void-init";
  init_fd = open(init_path, O_PATH | O_CLOEXEC);
  if (init_fd < 0) {
    perror(init_path);
    return 1;
  }
  for (int i = 0; i < extra_fds; i++) {
    /* Above the timing fd, where an orchestrator's pidfds and status pipes are. */
    if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) {
      perror("floor: --fds");
      return 1;
    }
  }
  /* The plan file */
  int pf = open(planfile, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (pf < 0 || fstat(pf, &st) < 0) {
    perror(planfile);
    return 1;
  }
  uint8_t *buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL || read(pf, buf, (size_t)st.st_size) != st.st_size) return 1;
  close(pf);
  struct void_plan plan;
  char err[256];
  if (plan_parse(buf, (size_t)st.st_size, &plan, err, sizeof err) < 0) {
    fprintf(stderr, "floor: %s\n", err);
    return 1;
  }
  int unsupported = (plan.options & PLAN_OPT_LOOPBACK) != 0;
  for (int i = 0; i < plan.nmounts; i++) {
    const struct mount_op *op = &plan.mounts[i];
    if (op->kind == MOUNT_TMPFS || op->kind == MOUNT_PROC || (op->kind == MOUNT_DEVICE && strcmp(op->dest, "/dev/null") != 0)) unsupported = 1;
  }
  if (unsupported) {
    fprintf(stderr,
            "floor: plans with Forward, DevRandom, Procfs or Tmpfs grants are not supported (no loopback, no /dev/random, no /proc, no scratch)\n");
    return 2;
  }
#ifdef PLAN_MAX_SECCOMP_RANGES
  if (!opt_seccomp) plan.seccomp = 0; /* both children install the plan's filter only with --seccomp */
#endif

  if (threads > 0) {
    for (int i = 0; i < plan.nfds; i++)
      if (plan.fds[i].source == TIMING_FD) plan.fds[i].source = -1;
    struct worker w[threads];
    pthread_t t[threads];
    int64_t t0 = now_ns();
    for (int i = 0; i < threads; i++) {
      w[i] = (struct worker){&plan, n / threads + (i < n % threads), 0};
      pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    int failures = 0;
    for (int i = 0; i < threads; i++) {
      pthread_join(t[i], NULL);
      failures += w[i].failures;
    }
    printf("{\"voids\":%d,\"threads\":%d,\"failures\":%d,\"wall_ns\":%lld}\n", n, threads, failures, (long long)(now_ns() - t0));
    return failures ? 1 : 0;
  }

  int tp[2];
  if (pipe2(tp, O_CLOEXEC | O_NONBLOCK) < 0 || dup3(tp[1], TIMING_FD, O_CLOEXEC) < 0) return 1;
  close(tp[1]);
  int64_t *clone_t = calloc((size_t)n, sizeof *clone_t), *first = calloc((size_t)n, sizeof *first), *exit_t = calloc((size_t)n, sizeof *exit_t),
          *steps = calloc((size_t)n * NSTEPS, sizeof *steps);
  for (int i = 0; i < n; i++) {
    int status_rd;
    for (int k = 0; k < NSTEPS; k++) step_at[k] = 0;
    int64_t t0 = now_ns();
    int pidfd = spawn_one(&plan, &status_rd);
    if (pidfd < 0) {
      perror("floor: spawn");
      return 1;
    }
    clone_t[i] = now_ns() - t0;
    /* Each step's duration: from the previous stamp (the first from t0). */
    for (int k = 0, prev = -1; k < NSTEPS; k++) {
      if (step_at[k] == 0) continue;
      steps[(size_t)i * NSTEPS + (size_t)k] = step_at[k] - (prev < 0 ? t0 : step_at[prev]);
      prev = k;
    }
    int rc = reap(pidfd, status_rd);
    exit_t[i] = now_ns() - t0;
    /* The entrypoint's reading is in the pipe by now (or never will be):
     * read it after the exit, without blocking. */
    char line[64];
    ssize_t got = read(tp[0], line, sizeof line - 1);
    if (rc != 0) {
      fprintf(stderr, "floor: the void failed with status %d (100+N: step N of the child)\n", rc);
      return 1;
    }
    first[i] = -1;
    if (got > 2 && line[0] == 'T') {
      line[got] = 0;
      first[i] = atoll(line + 2) - t0;
    }
  }
  const char *names[3] = {"clone", "first", "exit"};
  int64_t *arrays[3] = {clone_t, first, exit_t};
  printf("{");
  for (int k = 0; k < 3; k++) {
    printf("%s\"%s\":[", k ? "," : "", names[k]);
    for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", (long long)arrays[k][i]);
    printf("]");
  }
  if (!opt_native) {
    printf(",\"steps\":{");
    for (int k = 0; k < NSTEPS; k++) {
      printf("%s\"%s\":[", k ? "," : "", step_names[k]);
      for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", (long long)steps[(size_t)i * NSTEPS + (size_t)k]);
      printf("]");
    }
    printf("}");
  }
  printf("}\n");
  return 0;
}
