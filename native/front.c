/*
 * front.c — `void run` without Node, for a command whose plan is cached
 * (build/void-run-fast; docs/architecture.md, "The native front end").
 *
 *   void-run-fast SCRIPT WORDS...   (from bin/void's shell part)
 *   void WORDS...                   (a link named void to this file)
 *
 * bin/void runs this first (its shell part) with its own path and the
 * words the user typed after `void`. Installed as the command itself (a
 * symlink named `void`: build/void, or an npm install's bin/void, which
 * scripts/postinstall.cjs makes one), it skips the shell, finds the
 * package above its own executable and falls back to `node
 * PACKAGE/bin/void.cjs WORDS...`, the Node side of the command. If the
 * words are a `void run` whose
 * compiled plan an earlier run cached (src/cli/plan-cache.ts) and every
 * input of that plan is exactly as it was, this program runs the voids
 * itself: it spawns them with the addon's own code (plan.c parses the
 * cached plan, void_spawn.c clones the void, mapper.c writes a root
 * launcher's id maps), relays their output, waits for them, passes
 * signals on and reports as the Node orchestrator does
 * (src/orchestrator/run.ts, status.ts, streams.ts), with the same lines
 * and exit status. Anything else — another command, no cache entry, any
 * input changed, any doubt — and it executes `node SCRIPT WORDS...`,
 * which is what bin/void always did: nothing is started before that
 * decision, so the fallback is invisible.
 *
 * What the cache entry must match (each checked here, before anything is
 * started): the package directory, working directory and words; the
 * launcher's uid, gids, groups and capabilities (/proc/self/status); the
 * spec and runtime spec bytes; every file the planner looked at, by
 * (device, inode, size, mtime, ctime, mode) — a directory it only stat'ed
 * by (device, inode, mode, owner) — or its absence; every
 * environment variable the plan depends on; the file PATH lookup finds
 * for BINARY; the presence of time namespaces. The entry itself must be a
 * regular file of this user's, mode 0600 or stricter, in a directory of
 * this user's that nobody else may write, and its body must verify under
 * the user's cache key (an HMAC-SHA256: cache_key.h says why ownership is
 * not enough); nothing in it is looked at before that.
 *
 * Only plans that need no orchestration are cached: Startup entrypoints
 * whose fds are stdout, stderr or /dev/null, without Forward, Connect,
 * Limits, pipes, sockets, listeners or the broker (plan-cache.ts
 * needsOrchestrator). So this file has no event loop beyond one poll(2):
 * pidfds, status pipes, a signalfd, and one thread per relayed stream.
 *
 * Environment: VOID_FAST_PATH=0 sends every command to Node;
 * VOID_FAST_PATH_TRACE=1 says on stderr whether the cache was used and,
 * if not, why (for tests and for curious users).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache_key.h"
#include "linux_compat.h"
#include "plan.h"
#include "sha256.h"
#include "texts.h"

extern char **environ;

/* The orchestrator's numbers (src/orchestrator/run.ts, streams.ts, status.ts). */
#define EXIT_LAUNCHER_FAILURE 125
#define EXIT_DRAIN_MS 1000    /* streams.ts EXIT_DRAIN_MS: a void's output before its exit is logged */
#define DRAIN_MS 5000         /* streams.ts DRAIN_MS: every void's output once all have ended */
#define MAX_WHAT (4096 + 512) /* status.ts MAX_WHAT */
#define MALFORMED_STATUS 125
#define MAX_ENTRIES 64

static const char *script; /* bin/void, or bin/void.cjs (the Node side) */
static char **words;       /* what the user typed after `void` */
static int nwords;
static int trace;

/* ---- falling back to Node ---- */

/* Runs the command as bin/void always did: Node, on bin/void itself
 * (whose shell part Node never sees) or bin/void.cjs. Nothing has been
 * started. */
static sigset_t original_mask; /* the signal mask this program started with */

/* NODE_EXTRA_CA_CERTS is read by Node 20 as it starts, before any script
 * runs: every certificate of the file is parsed (Debian's whole bundle:
 * ~75 ms on the machine docs/performance.md was measured on, more than
 * Node's whole start-up without it). void makes no TLS connection, so
 * Node is started with the variable under another name, and bin/void.cjs
 * puts it back first thing: process.env, the plans (PassEnv) and anything
 * the command starts see the user's environment. Node 22 and later read
 * the file only when TLS needs it; the rename costs them nothing.
 * NODE_ICU_DATA, NODE_REDIRECT_WARNINGS and NODE_V8_COVERAGE name files
 * Node reads or writes on its own too, from its start: ICU data (a file a
 * void planted there crashed every later command: outside attack 40), a
 * file warnings are appended to, a directory coverage is written into —
 * places the user chose, which a writable bind may reach; void's Node
 * needs none of them, and they come back the same way. The shell part of
 * bin/void does the same. */
static const char *const node_startup_vars[] = {"NODE_EXTRA_CA_CERTS", "NODE_ICU_DATA", "NODE_REDIRECT_WARNINGS", "NODE_V8_COVERAGE"};

static void hide_node_startup_vars(void) {
  for (size_t i = 0; i < sizeof node_startup_vars / sizeof node_startup_vars[0]; i++) {
    char saved[64];
    snprintf(saved, sizeof saved, "VOID_%s", node_startup_vars[i]);
    const char *value = getenv(node_startup_vars[i]);
    if (value == NULL) {
      unsetenv(saved); /* the name is void's: never a user's variable to restore */
      continue;
    }
    if (setenv(saved, value, 1) == 0) unsetenv(node_startup_vars[i]);
  }
}

/* Node reads an OpenSSL configuration as it starts, before any script:
 * by default /etc/ssl/openssl.cnf (or $OPENSSL_CONF), which can load a
 * module (a shared object) into the process. A void with a writable bind
 * of /etc/ssl could write one for the next launcher to load, so Node is
 * given bin/openssl.cnf beside the script instead: part of the package,
 * which no void may be given, and empty. */
static char openssl_flag[PATH_MAX + 64];
static char node_path[PATH_MAX];

/* The Node the package was built or installed with: build/node-path beside
 * the script's bin/ (scripts/build-native.sh, scripts/postinstall.cjs: an
 * absolute path, resolved then), run by its path and never looked up
 * through PATH, where a directory a void may write could come first
 * (docs/security.md). NULL when there is no such file: PATH then, as
 * before (the planner then keeps writable binds off PATH's directories).
 * A record that cannot be used — not a regular file, writable by others
 * than its owner, not an absolute path, or naming no executable (that
 * Node was uninstalled) — is an error, never a fallback to PATH: a void
 * may have been given a directory on PATH while the record held. */
static const char *recorded_node(int dirlen) {
  char path[PATH_MAX + 32], why[128];
  snprintf(path, sizeof path, "%.*s../build/node-path", dirlen, script);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) return NULL;
  struct stat st;
  ssize_t n = -1;
  if (fd < 0)
    snprintf(why, sizeof why, "cannot be opened: %s", strerror(errno));
  else if (fstat(fd, &st) != 0)
    snprintf(why, sizeof why, "cannot be read: %s", strerror(errno));
  else if (!S_ISREG(st.st_mode))
    snprintf(why, sizeof why, "is not a regular file");
  else if (st.st_mode & 022)
    snprintf(why, sizeof why, "may be written by others than its owner");
  else if ((n = read(fd, node_path, sizeof node_path - 1)) < 0)
    snprintf(why, sizeof why, "cannot be read: %s", strerror(errno));
  if (fd >= 0) close(fd);
  if (n == 0) snprintf(why, sizeof why, "is empty");
  if (n > 0) {
    node_path[n] = 0;
    if (node_path[n - 1] == '\n') node_path[n - 1] = 0;
    struct stat node;
    if (node_path[0] != '/' || strchr(node_path, '\n') != NULL)
      snprintf(why, sizeof why, "does not hold an absolute path");
    else if (stat(node_path, &node) != 0 || !S_ISREG(node.st_mode) || access(node_path, X_OK) != 0)
      snprintf(why, sizeof why, "names a Node that cannot be run");
    else
      return node_path;
  }
  fprintf(stderr,
          "void: error: %s %s (%s): record the Node to run with `npm run build:native` in a checkout, or `npm rebuild void-run` for an install\n",
          path, why, n > 0 ? node_path : "no path");
  exit(EXIT_LAUNCHER_FAILURE);
}

__attribute__((noreturn)) static void run_node(const char *why) {
  if (trace && why != NULL) fprintf(stderr, "void: plan cache: not used (%s)\n", why);
  /* Node starts with the signal state this program was given, as when
   * bin/void ran it directly (the mask and SIGPIPE may have been changed
   * below before a late fallback). */
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &original_mask, NULL);
  char **argv = calloc((size_t)nwords + 4, sizeof *argv);
  if (argv == NULL) {
    fprintf(stderr, "void: error: calloc: %s\n", strerror(errno));
    exit(EXIT_LAUNCHER_FAILURE);
  }
  const char *slash = strrchr(script, '/');
  int dirlen = slash == NULL ? 0 : (int)(slash - script + 1);
  snprintf(openssl_flag, sizeof openssl_flag, "--openssl-config=%.*sopenssl.cnf", dirlen, script);
  argv[0] = "node";
  argv[1] = openssl_flag;
  argv[2] = (char *)script;
  hide_node_startup_vars();
  /* Not the user's NODE_OPTIONS (a --require of a file a void could
   * write would run in the launcher): void's Node runs without. */
  unsetenv("NODE_OPTIONS");
  unsetenv("NODE_COMPILE_CACHE"); /* Node >= 22.1: V8 code from a directory the user names; void keeps its own */
  /* Where else Node would look modules up, or how it names them: void's
   * are found in its own package, by their real paths. */
  unsetenv("NODE_PATH");
  unsetenv("NODE_PRESERVE_SYMLINKS");
  unsetenv("NODE_PRESERVE_SYMLINKS_MAIN");
  for (int i = 0; i < nwords; i++) argv[i + 3] = words[i];
  const char *node = recorded_node(dirlen);
  if (node != NULL) {
    execv(node, argv);
    fprintf(stderr, "void: error: execv %s (the recorded Node, to run %s): %s\n", node, script, strerror(errno));
    exit(EXIT_LAUNCHER_FAILURE);
  }
  execvp("node", argv);
  fprintf(stderr, "void: error: execvp node (to run %s): %s\n", script, strerror(errno));
  exit(EXIT_LAUNCHER_FAILURE);
}

/* ---- the cache entry ---- */

struct rec {
  uint32_t tag;
  uint32_t len;
  const uint8_t *p;
};

/* The next record of [*at, end): 0, or -1 at the end or on a malformed one. */
static int next_rec(const uint8_t **at, const uint8_t *end, struct rec *r) {
  if (end - *at < 8) return -1;
  memcpy(&r->tag, *at, 4);
  memcpy(&r->len, *at + 4, 4);
  size_t padded = ((size_t)r->len + 3) & ~(size_t)3;
  if ((size_t)(end - *at - 8) < padded) return -1;
  r->p = *at + 8;
  *at += 8 + padded;
  return 0;
}

struct field {
  const uint8_t *p;
  const uint8_t *end;
};

static int field_u32(struct field *f, uint32_t *out) {
  if (f->end - f->p < 4) return -1;
  memcpy(out, f->p, 4);
  f->p += 4;
  return 0;
}

static const char *field_str(struct field *f) {
  const uint8_t *nul = memchr(f->p, 0, (size_t)(f->end - f->p));
  if (nul == NULL) return NULL;
  const char *s = (const char *)f->p;
  f->p = nul + 1;
  return s;
}

static uint64_t fnv1a64(const void *data, size_t len, uint64_t h) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
#define FNV_OFFSET 0xcbf29ce484222325ull

/* The identity of `path` as plan-cache.ts identity() writes it from
 * Node's stat, for `look` 0 (lstat), 1 (stat) or 2 (stat, a directory
 * whose entries were listed): "dev:ino:size:mtime_ns:ctime_ns:mode",
 * "d:dev:ino:mode:uid:gid" for a directory not listed, "absent" or
 * "error". */
static void identity(const char *path, uint32_t look, char *out, size_t cap) {
  struct stat st;
  if ((look == 0 ? lstat(path, &st) : stat(path, &st)) < 0) {
    snprintf(out, cap, "%s", errno == ENOENT || errno == ENOTDIR ? "absent" : "error");
    return;
  }
  if (S_ISDIR(st.st_mode) && look != 2) {
    snprintf(out, cap, "d:%llu:%llu:%u:%u:%u", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (unsigned)st.st_mode,
             (unsigned)st.st_uid, (unsigned)st.st_gid);
    return;
  }
  long long mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  long long ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
  snprintf(out, cap, "%llu:%llu:%lld:%lld:%lld:%u", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_size, mtime,
           ctime_ns, (unsigned)st.st_mode);
}

/* The lines of /proc/self/status plan-cache.ts credentials() keeps. */
static int credentials(char *out, size_t cap) {
  char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
  close(fd);
  buf[len] = 0;
  static const char *const keep[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:"};
  size_t o = 0;
  for (char *line = buf; *line;) {
    char *nl = strchr(line, '\n');
    size_t l = nl ? (size_t)(nl - line) : strlen(line);
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
      if (strncmp(line, keep[k], strlen(keep[k])) != 0) continue;
      if (o + l + 2 > cap) return -1;
      memcpy(out + o, line, l);
      out[o + l] = '\n';
      o += l + 1;
    }
    if (nl == NULL) break;
    line = nl + 1;
  }
  out[o] = 0;
  return 0;
}

/* Appends the path `a`/`b` to out, made absolute against cwd and
 * normalised as Node's path.resolve(cwd, dir, name) does. */
static void resolve_path(const char *cwd, const char *dir, size_t dirlen, const char *name, char *out, size_t cap) {
  char joined[PATH_MAX * 2 + 8];
  if (dirlen > 0 && dir[0] == '/')
    snprintf(joined, sizeof joined, "%.*s/%s", (int)dirlen, dir, name);
  else
    snprintf(joined, sizeof joined, "%s/%.*s/%s", cwd, (int)dirlen, dir, name);
  /* Collapse empty and "." components and resolve ".." lexically. */
  size_t o = 0;
  out[0] = 0;
  for (char *c = joined; *c;) {
    while (*c == '/') c++;
    if (*c == 0) break;
    size_t n = strcspn(c, "/");
    if (n == 1 && c[0] == '.') {
    } else if (n == 2 && c[0] == '.' && c[1] == '.') {
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;
    } else if (o + n + 2 < cap) {
      out[o++] = '/';
      memcpy(out + o, c, n);
      o += n;
    }
    out[o] = 0;
    c += n;
  }
  if (o == 0) snprintf(out, cap, "/");
}

/* The file BINARY names, as load.ts findBinary finds it (a bare name: the
 * first executable regular file in PATH, else the name itself). */
static void find_binary(const char *cwd, const char *binary, char *out, size_t cap) {
  const char *path = getenv("PATH");
  if (path == NULL) path = "";
  for (const char *d = path;;) {
    size_t n = strcspn(d, ":");
    resolve_path(cwd, d, n, binary, out, cap);
    struct stat st;
    if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode)) return;
    if (d[n] == 0) break;
    d += n + 1;
  }
  snprintf(out, cap, "%s", binary);
}

/* Whether the file at `path` holds exactly `len` bytes `want`. */
static int same_content(const char *path, const uint8_t *want, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  struct stat st;
  int same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
  uint8_t buf[65536];
  size_t off = 0;
  while (same) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (off + (size_t)n > len || memcmp(buf, want + off, (size_t)n) != 0) same = 0;
    off += (size_t)n;
  }
  close(fd);
  return same && off == len;
}

/* Whether /proc/self/mountinfo reads exactly `want` (len 0: the planner
 * could not read it, and it must still be unreadable). A procfs file has
 * no size: it is read to its end. */
static int same_mount_table(const uint8_t *want, size_t len) {
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return len == 0;
  uint8_t buf[16384];
  size_t off = 0;
  int same = 1;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      same = same && n == 0;
      break;
    }
    if (off + (size_t)n > len || memcmp(buf, want + off, (size_t)n) != 0) {
      same = 0;
      break;
    }
    off += (size_t)n;
  }
  close(fd);
  return same && off == len;
}

/* One entrypoint's cached plan and what -v prints about it. */
struct entry {
  int stderr_devnull;
  const char *name; /* escaped for the terminal already */
  const char *mounts_line, *fds_line, *namespaces;
  const uint8_t *plan;
  size_t plan_len;
};

struct cache {
  uint8_t *data;
  const char *texts[256];
  int ntexts;
  struct entry entries[MAX_ENTRIES];
  int nentries;
};

static struct cache cache;
static int verbosity;            /* the count of -v (a VERBOSITY record) */
static char init_path[PATH_MAX]; /* the void-init the plan's launcher chose (an INIT record) */
static int colour;

/* Reads and checks the cache entry for this command; returns NULL (the
 * reason in *why) when it cannot be used. */
static const char *load_cache(const char *root, const char *cwd) {
  /* The user's cache directory: $XDG_CACHE_HOME/void, else $HOME/.cache/void (plan-cache.ts cacheDir). */
  char dir[PATH_MAX];
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (xdg != NULL && xdg[0] == '/')
    snprintf(dir, sizeof dir, "%s/void", xdg);
  else if (home != NULL && home[0] == '/')
    snprintf(dir, sizeof dir, "%s/.cache/void", home);
  else
    return "no XDG_CACHE_HOME or HOME";
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return "no cache directory";
  struct stat st;
  uid_t uid = geteuid();
  if (fstat(dfd, &st) < 0 || st.st_uid != uid || (st.st_mode & 022) != 0) {
    close(dfd);
    return "the cache directory is not this user's alone";
  }
  /* The entry's name: plan-cache.ts cacheName. */
  char uidstr[16];
  snprintf(uidstr, sizeof uidstr, "%u", (unsigned)uid);
  uint64_t h = fnv1a64(root, strlen(root) + 1, FNV_OFFSET);
  h = fnv1a64(cwd, strlen(cwd) + 1, h);
  h = fnv1a64(uidstr, strlen(uidstr) + 1, h);
  for (int i = 0; i < nwords; i++) h = fnv1a64(words[i], strlen(words[i]) + 1, h);
  char name[64];
  snprintf(name, sizeof name, "run-%016llx.plan", (unsigned long long)h);
  int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  close(dfd);
  if (fd < 0) return "no entry for this command";
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid || (st.st_mode & 077) != 0 || st.st_size < CACHE_HEADER_BYTES ||
      st.st_size > CACHE_MAX_BYTES) {
    close(fd);
    return "the entry is not a file of this user's alone";
  }
  size_t size = (size_t)st.st_size, got = 0;
  cache.data = malloc(size);
  if (cache.data == NULL) {
    close(fd);
    return "out of memory";
  }
  while (got < size) {
    ssize_t n = read(fd, cache.data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  uint32_t body_len;
  memcpy(&body_len, cache.data + 8, 4);
  if (got != size || memcmp(cache.data, "VOIDRUN3", 8) != 0 || body_len != size - CACHE_HEADER_BYTES) return "the entry is truncated or damaged";
  /* The authenticator: HMAC-SHA256 of the body under the user's key in
   * the kernel keyring (cache_key.h), which no void can read. Owner and
   * mode do not tell the launcher's entries from a void's; this does. */
  uint8_t key[VOID_CACHE_KEY_BYTES], mac[32];
  const char *what = "";
  if (void_cache_key(key, 0, &what) < 0) return "no plan cache key in the user's keyring";
  hmac_sha256(key, sizeof key, cache.data + CACHE_HEADER_BYTES, body_len, mac);
  memset(key, 0, sizeof key);
  if (!same_bytes(mac, cache.data + 16, sizeof mac)) return "the entry is not authenticated (damaged, or not void's)";

  const uint8_t *at = cache.data + CACHE_HEADER_BYTES, *end = cache.data + size;
  int args = 0, have_root = 0, have_cwd = 0, have_creds = 0;
  char ident[256], creds[4096], found[PATH_MAX];
  struct rec r;
  struct entry *e = NULL;
  while (next_rec(&at, end, &r) == 0) {
    struct field f = {r.p, r.p + r.len};
    const char *s1, *s2;
    uint32_t u;
    switch (r.tag) {
      case CACHE_TAG_ROOT:
        if ((s1 = field_str(&f)) == NULL || strcmp(s1, root) != 0) return "made by another void package";
        have_root = 1;
        break;
      case CACHE_TAG_CWD:
        if ((s1 = field_str(&f)) == NULL || strcmp(s1, cwd) != 0) return "made in another directory";
        have_cwd = 1;
        break;
      case CACHE_TAG_ARG:
        if ((s1 = field_str(&f)) == NULL || args >= nwords || strcmp(s1, words[args]) != 0) return "made for another command line";
        args++;
        break;
      case CACHE_TAG_CREDS:
        if ((s1 = field_str(&f)) == NULL || credentials(creds, sizeof creds) < 0 || strcmp(s1, creds) != 0)
          return "the launcher's ids or capabilities differ";
        have_creds = 1;
        break;
      case CACHE_TAG_VERBOSITY:
        if (field_u32(&f, &u) < 0 || u > 1) return "malformed VERBOSITY record";
        verbosity = (int)u;
        break;
      case CACHE_TAG_INIT:
        if ((s1 = field_str(&f)) == NULL || s1[0] != '/' || strlen(s1) >= sizeof init_path) return "malformed INIT record";
        snprintf(init_path, sizeof init_path, "%s", s1);
        break;
      case CACHE_TAG_TIMENS:
        if (field_u32(&f, &u) < 0 || (u != 0) != (access("/proc/self/ns/time", F_OK) == 0)) return "time namespaces came or went";
        break;
      case CACHE_TAG_FILE:
        if (field_u32(&f, &u) < 0 || (s1 = field_str(&f)) == NULL || (s2 = field_str(&f)) == NULL) return "malformed FILE record";
        if (u > 2) return "malformed FILE record";
        identity(s1, u, ident, sizeof ident);
        if (strcmp(ident, s2) != 0 || strcmp(ident, "error") == 0) {
          if (trace) fprintf(stderr, "void: plan cache: %s changed (%s, was %s)\n", s1, ident, s2);
          return "a file the plan was made from changed";
        }
        break;
      case CACHE_TAG_CONTENT:
        if ((s1 = field_str(&f)) == NULL || !same_content(s1, f.p, (size_t)(f.end - f.p))) return "the spec or runtime spec changed";
        break;
      case CACHE_TAG_MOUNTS:
        /* The planner looked for other names of void's installation (a
         * writable bind was planned): they come from the mount table. */
        if (!same_mount_table(f.p, (size_t)(f.end - f.p))) return "the mount table changed";
        break;
      case CACHE_TAG_ENV: {
        if (field_u32(&f, &u) < 0 || (s1 = field_str(&f)) == NULL || (s2 = field_str(&f)) == NULL) return "malformed ENV record";
        const char *now = getenv(s1);
        if ((now != NULL) != (u != 0) || (now != NULL && strcmp(now, s2) != 0)) {
          if (trace) fprintf(stderr, "void: plan cache: environment variable %s changed\n", s1);
          return "the environment changed";
        }
        break;
      }
      case CACHE_TAG_ENV_PREFIX: {
        /* Every variable with the prefix must be one an ENV record named (they all come before this record). */
        if ((s1 = field_str(&f)) == NULL) return "malformed ENV_PREFIX record";
        size_t plen = strlen(s1);
        for (char **v = environ; *v; v++) {
          if (strncmp(*v, s1, plen) != 0) continue;
          size_t nlen = strcspn(*v, "=");
          int listed = 0;
          const uint8_t *scan = cache.data + CACHE_HEADER_BYTES;
          struct rec q;
          while (!listed && scan < r.p && next_rec(&scan, end, &q) == 0) {
            struct field g = {q.p, q.p + q.len};
            uint32_t set;
            const char *n;
            if (q.tag == CACHE_TAG_ENV && field_u32(&g, &set) == 0 && (n = field_str(&g)) != NULL && strlen(n) == nlen && strncmp(n, *v, nlen) == 0)
              listed = 1;
          }
          if (!listed) return "a new runtime variable is set";
        }
        break;
      }
      case CACHE_TAG_BINARY:
        if ((s1 = field_str(&f)) == NULL || (s2 = field_str(&f)) == NULL) return "malformed BINARY record";
        find_binary(cwd, s1, found, sizeof found);
        if (strcmp(found, s2) != 0) return "PATH finds another BINARY";
        break;
      case CACHE_TAG_TEXT:
        if ((s1 = field_str(&f)) == NULL || cache.ntexts >= (int)(sizeof cache.texts / sizeof cache.texts[0])) return "malformed TEXT record";
        cache.texts[cache.ntexts++] = s1;
        break;
      case CACHE_TAG_ENTRY:
        if (cache.nentries >= MAX_ENTRIES) return "too many entrypoints";
        e = &cache.entries[cache.nentries++];
        if (field_u32(&f, &u) < 0 || (e->name = field_str(&f)) == NULL || (e->mounts_line = field_str(&f)) == NULL ||
            (e->fds_line = field_str(&f)) == NULL || (e->namespaces = field_str(&f)) == NULL)
          return "malformed ENTRY record";
        e->stderr_devnull = u != 0;
        break;
      case CACHE_TAG_PLAN:
        if (e == NULL || e->plan != NULL) return "a PLAN record without its ENTRY";
        e->plan = r.p;
        e->plan_len = r.len;
        break;
      default:
        return "an unknown record";
    }
  }
  if (at != end) return "malformed records";
  if (!have_root || !have_cwd || !have_creds || init_path[0] == 0 || args != nwords || cache.nentries == 0) return "an incomplete entry";
  for (int i = 0; i < cache.nentries; i++)
    if (cache.entries[i].plan == NULL) return "an entry without its plan";
  return NULL;
}

/* ---- what the orchestrator prints ---- */

/* Writes all of `len` bytes to fd 2 (an interrupted or short write is continued). */
static void write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= (size_t)n;
  }
}

/* Writes `text` to stderr, with "error:" and "warning:" labels coloured
 * when log.ts paintLabels would (a terminal, NO_COLOR unset, TERM not dumb). */
static void paint(const char *text) {
  if (!colour) {
    write_all(2, text, strlen(text));
    return;
  }
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
    /* ^((?:[^\n:]*: )?)(error|warning): — the head is everything up to the line's first ": ". */
    size_t head = 0;
    const char *colon = memchr(line, ':', len);
    const char *label = NULL;
    if (colon != NULL && (size_t)(colon - line) + 1 < len && colon[1] == ' ') {
      head = (size_t)(colon - line) + 2;
      if (strncmp(line + head, "error:", 6) == 0 || strncmp(line + head, "warning:", 8) == 0) label = line + head;
    }
    if (label == NULL && (strncmp(line, "error:", 6) == 0 || strncmp(line, "warning:", 8) == 0)) {
      head = 0;
      label = line;
    }
    if (label == NULL) {
      write_all(2, line, len);
    } else {
      int err = label[0] == 'e';
      size_t llen = err ? 6 : 8;
      write_all(2, line, head);
      write_all(2, err ? "\x1b[1;31m" : "\x1b[1;33m", 7);
      write_all(2, label, llen);
      write_all(2, "\x1b[0m", 4);
      write_all(2, label + llen, len - head - llen);
    }
    line += len;
  }
}

enum level { L_ERROR, L_WARN, L_INFO, L_VERBOSE };

/* A "void: ..." line, as log.ts stderrLogger writes it. What is formatted
 * in is printable already (names and failures were escaped when cached or
 * read: escape_text). */
__attribute__((format(printf, 2, 3))) static void say(enum level level, const char *fmt, ...) {
  if (level == L_VERBOSE && verbosity < 1) return;
  char msg[MAX_WHAT * 2 + 1024];
  int o = snprintf(msg, sizeof msg, "void: %s", level == L_ERROR ? "error: " : level == L_WARN ? "warning: " : "");
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg + o, sizeof msg - (size_t)o - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)o + (n < 0 ? 0 : (size_t)n < sizeof msg - (size_t)o - 1 ? (size_t)n : sizeof msg - (size_t)o - 2);
  msg[len++] = '\n';
  msg[len] = 0;
  paint(msg);
}

static const char *node_strerror(int e, char *buf, size_t cap) {
  const char *text = void_errno_text(e);
  if (text != NULL) return text;
  snprintf(buf, cap, "error %d", e);
  return buf;
}

static const char *signal_name(int sig, char *buf, size_t cap) {
  const char *name = void_signal_name(sig);
  if (name != NULL) return name;
  snprintf(buf, cap, "signal %d", sig);
  return buf;
}

/* Appends the UTF-8 of code point c. */
static size_t put_utf8(char *out, uint32_t c) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xc0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xe0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (c >> 18));
  out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
  out[3] = (char)(0x80 | (c & 0x3f));
  return 4;
}

/* The next code point of UTF-8 [*p, end), as Node decodes it: an invalid
 * sequence is U+FFFD, one byte at a time. */
static uint32_t next_code_point(const uint8_t **p, const uint8_t *end) {
  const uint8_t *s = *p;
  uint32_t c = s[0];
  int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
  if (n == 0) {
    *p = s + 1;
    return c;
  }
  if (n < 0 || end - s <= n) {
    *p = s + 1;
    return 0xfffd;
  }
  c &= 0x3f >> n;
  for (int i = 1; i <= n; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      *p = s + 1;
      return 0xfffd;
    }
    c = (c << 6) | (s[i] & 0x3f);
  }
  static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
  if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
    *p = s + 1;
    return 0xfffd;
  }
  *p = s + n + 1;
  return c;
}

/* status.ts escapeText: at most `max` UTF-16 units (then "..."), every
 * backslash doubled if `backslashes`, and log.ts visible(): controls as
 * \xNN, invisible format characters as \u{..}. */
static void escape_text(const uint8_t *text, size_t len, size_t max, int backslashes, char *out, size_t cap) {
  const uint8_t *p = text, *end = text + len;
  size_t o = 0, units = 0;
  int cut = 0;
  while (p < end && o + 16 < cap) {
    const uint8_t *before = p;
    uint32_t c = next_code_point(&p, end);
    units += c >= 0x10000 ? 2 : 1;
    if (units > max) {
      p = before;
      cut = 1;
      break;
    }
    if (c == '\\' && backslashes)
      o += (size_t)snprintf(out + o, cap - o, "\\\\");
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    else if ((c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 ||
             c == 0xfeff)
      o += (size_t)snprintf(out + o, cap - o, "\\u{%x}", c);
    else
      o += put_utf8(out + o, c);
  }
  if (cut && o + 4 < cap) o += (size_t)snprintf(out + o, cap - o, "...");
  out[o] = 0;
}

/* ---- the voids ---- */

struct relay {
  int from, to;
  int done_wr; /* closed when the relay ends: the main loop sees the hang-up */
};

/* Copies a void's output pipe to the launcher's stream until EOF, on a
 * thread of its own, as the addon's relay does (native/addon/relay.c
 * relay_thread): a write that blocks blocks only this thread, and once
 * the stream is gone (EPIPE) what follows is read and dropped. */
static void *relay_thread(void *arg) {
  struct relay *r = arg;
  char buf[65536];
  int sink_ok = 1;
  for (;;) {
    ssize_t n = read(r->from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    size_t off = 0;
    while (sink_ok && off < (size_t)n) {
      ssize_t w = write(r->to, buf + off, (size_t)n - off);
      if (w > 0)
        off += (size_t)w;
      else if (w < 0 && errno == EINTR)
        continue;
      else if (w < 0 && errno == EAGAIN) {
        struct pollfd p = {r->to, POLLOUT, 0};
        poll(&p, 1, -1);
      } else
        sink_ok = 0;
    }
  }
  close(r->from);
  close(r->done_wr);
  free(r);
  return NULL;
}

enum state { NOT_STARTED, RUNNING, DRAINING, REPORTED };

struct voidp {
  struct entry *e;
  enum state state;
  pid_t pid;
  int pidfd;
  int status_rd;
  char *status; /* what the status pipe carried, at most VOID_STATUS_MAX_BYTES (+ the "F" record) */
  size_t status_len, status_total;
  int done_rd[2]; /* each relayed stream's hang-up */
  int nrelays;
  int wait_code, wait_sig;
  long long drain_until;
};

static struct voidp voids[MAX_ENTRIES];
static int nvoids;
static int run_status;
static int shutting_down, shutdown_signal, interrupted;
static int init_fd = -1, self_pidfd = -1, mapper_wr = -1;
enum disposition { DEVNULL, RELAY };
static enum disposition stream_disp[3];

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* streams.ts streamDisposition: a stream that is /dev/null or closed
 * gives the void its own /dev/null (opened in the void, on its read-only
 * device bind: the launcher's fd would let a void that owns the node
 * fchmod the host's), anything else is relayed through a pipe of the
 * void's own. */
static enum disposition disposition(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return DEVNULL;
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ? DEVNULL : RELAY;
}

/* Starts the launcher's id-map writer (once; only a root launcher's plans need it). */
static int start_mapper(void) {
  if (mapper_wr >= 0) return 0;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return errno;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &attr, void_mapper, (void *)(intptr_t)p[0]);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    close(p[0]);
    close(p[1]);
    return rc;
  }
  mapper_wr = p[1];
  return 0;
}

/* A relay from a new pipe to `stream`; returns the pipe's write end for the void, or -1 (errno set). */
static int start_relay(struct voidp *v, int stream) {
  int pipefd[2], done[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return -1;
  if (pipe2(done, O_CLOEXEC) < 0) {
    int err = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    errno = err;
    return -1;
  }
  struct relay *r = malloc(sizeof *r);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int rc = r == NULL ? ENOMEM : 0;
  if (r != NULL) {
    *r = (struct relay){pipefd[0], stream, done[1]};
    rc = pthread_create(&t, &attr, relay_thread, r);
  }
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    free(r);
    close(pipefd[0]);
    close(pipefd[1]);
    close(done[0]);
    close(done[1]);
    errno = rc;
    return -1;
  }
  v->done_rd[v->nrelays++] = done[0];
  return pipefd[1];
}

/* Spawns one void from its cached plan. 0, or -1 with the reason in msg
 * (the addon's wording: "clone: ...", "pipe2: ..."). */
static int spawn_void(struct voidp *v, char *msg, size_t cap) {
  struct void_plan plan;
  if (plan_parse(v->e->plan, v->e->plan_len, &plan, msg, cap) < 0) return -1;
  int close_after[8], nclose = 0;
  for (int i = 0; i < plan.nfds; i++) {
    int kind = plan.fds[i].source;
    if (kind == CACHE_FD_DEVNULL) continue;
    if (kind != CACHE_FD_STDOUT && kind != CACHE_FD_STDERR) {
      snprintf(msg, cap, "cached plan: fd %d has no source", plan.fds[i].target);
      plan_free(&plan);
      return -1;
    }
    enum disposition d = stream_disp[kind];
    if (d == DEVNULL)
      plan.fds[i].source = -1;
    else {
      int w = nclose < 8 && v->nrelays < 2 ? start_relay(v, kind) : (errno = EMFILE, -1);
      if (w < 0) {
        snprintf(msg, cap, "pipe2: %s", strerror(errno));
        for (int k = 0; k < nclose; k++) close(close_after[k]);
        plan_free(&plan);
        return -1;
      }
      plan.fds[i].source = w;
      close_after[nclose++] = w;
    }
  }
  int status[2], ack[2] = {-1, -1};
  int err = pipe2(status, O_CLOEXEC) < 0 ? errno : 0;
  const char *what = "pipe2";
  if (err == 0 && (plan.options & PLAN_OPT_MAPS_BY_LAUNCHER)) {
    err = start_mapper();
    what = "pthread_create (id map writer)";
    if (err == 0 && pipe2(ack, O_CLOEXEC) < 0) {
      err = errno;
      what = "pipe2 (id map answer)";
    }
    if (err != 0) {
      close(status[0]);
      close(status[1]);
    }
  }
  int pidfd = -1;
  pid_t pid = -1;
  if (err == 0) {
    fcntl(status[0], F_SETFL, O_NONBLOCK);
    plan.init_fd = init_fd;
    plan.launcher_pidfd = self_pidfd;
    plan.status_fd = status[1];
    plan.mapper_fd = mapper_wr;
    plan.map_ack_rd = ack[0];
    plan.map_ack_wr = ack[1];
    pid = void_spawn(&plan, &pidfd);
    close(status[1]);
    if (ack[0] >= 0) {
      close(ack[0]);
      close(ack[1]);
    }
    if (pid < 0) {
      err = -pid;
      what = "clone";
      close(status[0]);
    }
  }
  for (int k = 0; k < nclose; k++) close(close_after[k]);
  uint64_t ns[8];
  memcpy(ns, plan.ns_ino, sizeof ns);
  plan_free(&plan);
  if (err != 0) {
    snprintf(msg, cap, "%s: %s", what, strerror(err));
    return -1;
  }
  v->pid = pid;
  v->pidfd = pidfd;
  v->status_rd = status[0];
  v->state = RUNNING;
  if (verbosity >= 1) {
    /* run.ts logSpawn: host pid and namespaces, then (once per entrypoint: here, once) mounts and fds. */
    char line[1024];
    size_t o = 0;
    for (const char *p = v->e->namespaces; *p && o < sizeof line - 64;) {
      size_t n = strcspn(p, ":");
      if (p[n] == 0) break;
      int index = atoi(p + n + 1);
      uint64_t ino = index >= 0 && index < 8 ? ns[index] : 0;
      o += (size_t)snprintf(line + o, sizeof line - o, "%s%.*s:", o > 0 ? " " : "", (int)n, p);
      o += ino != 0 ? (size_t)snprintf(line + o, sizeof line - o, "%llu", (unsigned long long)ino) : (size_t)snprintf(line + o, sizeof line - o, "?");
      p += n + 1 + strcspn(p + n + 1, " ");
      while (*p == ' ') p++;
    }
    say(L_VERBOSE, "entrypoint %s: host pid %d; namespaces %s", v->e->name, (int)pid, line);
    paint(v->e->mounts_line);
    paint(v->e->fds_line);
  }
  return 0;
}

/* Reads what the status pipe holds now (all of it, with `final`), within
 * VOID_STATUS_MAX_BYTES: past that the pipe is not void-init's any more
 * and is replaced by an "F" record, as the addon does. */
static void read_status(struct voidp *v, int final) {
  static const char flood[] = "F\tstatus pipe flooded\n";
  char buf[65536];
  while (v->status_rd >= 0) {
    ssize_t n = read(v->status_rd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      v->status_total += (size_t)n;
      if (v->status_total <= (size_t)VOID_STATUS_MAX_BYTES) {
        memcpy(v->status + v->status_len, buf, (size_t)n);
        v->status_len += (size_t)n;
        continue;
      }
      memcpy(v->status + v->status_len, flood, sizeof flood - 1);
      v->status_len += sizeof flood - 1;
    }
    if (n == 0 || n > 0 || final) {
      close(v->status_rd);
      v->status_rd = -1;
    }
    break;
  }
}

struct outcome {
  int status;
  int signal; /* 0: none */
  char summary[128];
  char failure[MAX_WHAT * 5 + 256]; /* empty: none */
};

/* status.ts parseRecords and outcomeOf. */
static void outcome_of(struct voidp *v, struct outcome *o) {
  int ends = 0, last_kind = 0, last_n = 0, error_no = 0, malformed = 0;
  char error_what[MAX_WHAT * 5 + 8] = "", bad[MAX_WHAT * 5 + 8] = "";
  const uint8_t *text = (const uint8_t *)v->status, *end = text + v->status_len;
  for (const uint8_t *line = text; line < end;) {
    const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
    const uint8_t *le = nl ? nl : end;
    size_t len = (size_t)(le - line);
    const uint8_t *next = nl ? nl + 1 : end;
    if (len == 0) {
      line = next;
      continue;
    }
    /* ^([ESXKF])\t(-?\d{1,10})(?:\t([^\n]*))?$ */
    int ok = len >= 3 && strchr("ESXKF", line[0]) != NULL && line[1] == '\t';
    size_t i = 2;
    int neg = 0;
    if (ok && line[i] == '-') neg = 1, i++;
    size_t digits = 0;
    long long num = 0;
    while (ok && i < len && line[i] >= '0' && line[i] <= '9' && digits < 11) num = num * 10 + (line[i++] - '0'), digits++;
    if (digits < 1 || digits > 10) ok = 0;
    int has_rest = ok && i < len;
    if (has_rest && line[i] != '\t') ok = 0;
    if (neg) num = -num;
    const uint8_t *rest = has_rest ? line + i + 1 : NULL;
    char kind = (char)line[0];
    if (ok && kind == 'E' && has_rest && num > 0 && num < 4096) {
      if (error_no == 0) {
        error_no = (int)num;
        escape_text(rest, (size_t)(le - rest), MAX_WHAT, 1, error_what, sizeof error_what);
      }
    } else if (ok && kind == 'S' && !has_rest && num > 0) {
    } else if (ok && kind == 'X' && !has_rest && num >= 0 && num <= 255) {
      if (ends++ == 0) last_kind = 'X', last_n = (int)num;
    } else if (ok && kind == 'K' && !has_rest && num > 0 && num < 65) {
      if (ends++ == 0) last_kind = 'K', last_n = (int)num;
    } else if (!malformed) {
      malformed = 1;
      if (len >= 2 && line[0] == 'F' && line[1] == '\t')
        escape_text(line + 2, len - 2, (size_t)-1, 0, bad, sizeof bad);
      else {
        char q[400];
        escape_text(line, len, 80, 1, q, sizeof q);
        snprintf(bad, sizeof bad, "\"%s\"", q);
      }
    }
    line = next;
  }
  char b1[32];
  o->failure[0] = 0;
  o->signal = 0;
  if (malformed || ends > 1) {
    o->status = MALFORMED_STATUS;
    snprintf(o->summary, sizeof o->summary, "failed");
    if (malformed)
      snprintf(o->failure, sizeof o->failure, "void-init's status pipe carried a malformed record: %s; the void is counted as failed", bad);
    else
      snprintf(o->failure, sizeof o->failure, "void-init's status pipe carried %d exit records; the void is counted as failed", ends);
    return;
  }
  if (error_no != 0) snprintf(o->failure, sizeof o->failure, "%s: %s", error_what, node_strerror(error_no, b1, sizeof b1));
  int sig = last_kind == 'K' ? last_n : last_kind == 0 && v->wait_sig != 0 ? v->wait_sig : 0;
  if (sig != 0) {
    o->status = 128 + sig;
    o->signal = sig;
    snprintf(o->summary, sizeof o->summary, "killed by %s", signal_name(sig, b1, sizeof b1));
  } else if (last_kind == 'X') {
    o->status = last_n;
    snprintf(o->summary, sizeof o->summary, "exited with status %d", last_n);
  } else {
    int code = v->wait_code >= 0 ? v->wait_code : 125;
    o->status = code;
    if (o->failure[0])
      snprintf(o->summary, sizeof o->summary, "failed to start");
    else
      snprintf(o->summary, sizeof o->summary, "exited with status %d", code);
  }
}

/* run.ts stoppedByUs: the void ended of the signal void run passed on. */
static int stopped_by_us(const struct outcome *o) {
  int sig = shutdown_signal;
  return shutting_down && sig != 0 && sig != SIGKILL && (o->signal == sig || (o->signal == 0 && o->failure[0] == 0 && o->status == 128 + sig));
}

/* run.ts running()'s exit handler: how one void ended, and what it means for void run's status. */
static void report(struct voidp *v) {
  struct outcome o;
  outcome_of(v, &o);
  const char *name = v->e->name;
  if (o.failure[0])
    say(L_ERROR, "entrypoint %s: %s", name, o.failure);
  else if (o.signal != 0 && !stopped_by_us(&o))
    say(L_ERROR, "entrypoint %s (pid %d) %s", name, (int)v->pid, o.summary);
  else
    say(L_VERBOSE, "entrypoint %s (pid %d) %s", name, (int)v->pid, o.summary);
  if (o.status != 0 && !stopped_by_us(&o)) {
    run_status = o.status;
    /* explainSilentFailure: once per entrypoint, and every entrypoint runs once here. */
    if (!o.failure[0] && v->e->stderr_devnull)
      say(L_INFO,
          "entrypoint %s %s and its stderr is not granted, so what it said is lost: add \"Stderr\" to its environment, or run void run --stderr",
          name, o.summary);
  }
  v->state = REPORTED; /* relays still open are left for the final drain (DRAIN_MS) */
}

static void send_signal(struct voidp *v, int sig) {
  if (v->state == RUNNING) syscall(SYS_pidfd_send_signal, v->pidfd, sig, NULL, 0);
}

/* run.ts shutdown: the first SIGINT/SIGTERM/SIGHUP/SIGQUIT is passed on
 * and waited for; a second one kills every void now. */
static void shutdown_voids(int sig, int escalate) {
  int send = escalate ? SIGKILL : sig;
  shutdown_signal = send;
  shutting_down = 1;
  int targets = 0;
  for (int i = 0; i < nvoids; i++)
    if (voids[i].state == RUNNING || voids[i].state == DRAINING) targets++;
  char b1[32], b2[32];
  char what[160];
  snprintf(what, sizeof what, "received %s: sending %s to %d void(s)", signal_name(sig, b1, sizeof b1), signal_name(send, b2, sizeof b2), targets);
  if (escalate)
    say(L_INFO, "%s, now", what);
  else if (sig == SIGTERM || sig == SIGINT)
    say(L_INFO, "%s and waiting for them to end", what);
  else
    say(L_VERBOSE, "%s", what);
  for (int i = 0; i < nvoids; i++) send_signal(&voids[i], send);
}

static int relays_live(struct voidp *v) {
  int n = 0;
  for (int i = 0; i < v->nrelays; i++) n += v->done_rd[i] >= 0;
  return n;
}

/* Runs every cached entrypoint and returns void run's exit status. */
static int run_voids(int sfd) {
  for (int i = 0; i < cache.nentries; i++) {
    struct voidp *v = &voids[nvoids++];
    v->e = &cache.entries[i];
    v->status_rd = v->pidfd = -1;
    v->wait_code = -1;
    v->status = malloc((size_t)VOID_STATUS_MAX_BYTES + 64);
    char msg[600];
    if (v->status == NULL || spawn_void(v, msg, sizeof msg) < 0) {
      if (v->status == NULL) snprintf(msg, sizeof msg, "out of memory");
      say(L_ERROR, "entrypoint %s: could not create a void: %s", v->e->name, msg);
      run_status = EXIT_LAUNCHER_FAILURE;
      v->state = REPORTED;
    }
  }
  /* A Startup void that could not be created: the others are stopped (run.ts run). */
  for (int i = 0; i < nvoids; i++)
    if (voids[i].state == REPORTED && voids[i].pid == 0) {
      for (int k = 0; k < nvoids; k++) send_signal(&voids[k], SIGKILL);
      shutting_down = 1;
      break;
    }
  struct pollfd fds[1 + MAX_ENTRIES * 4];
  int who[1 + MAX_ENTRIES * 4], what_fd[1 + MAX_ENTRIES * 4];
  for (;;) {
    int open = 0;
    long long now = now_ms(), wait = -1;
    for (int i = 0; i < nvoids; i++) {
      struct voidp *v = &voids[i];
      if (v->state == DRAINING && (relays_live(v) == 0 || now >= v->drain_until)) report(v);
      if (v->state != REPORTED) open++;
      if (v->state == DRAINING && (wait < 0 || v->drain_until - now < wait)) wait = v->drain_until - now;
    }
    if (open == 0) break;
    int n = 0;
    fds[n] = (struct pollfd){sfd, POLLIN, 0};
    who[n++] = -1;
    for (int i = 0; i < nvoids; i++) {
      struct voidp *v = &voids[i];
      if (v->state == RUNNING) {
        fds[n] = (struct pollfd){v->pidfd, POLLIN, 0};
        who[n] = i, what_fd[n++] = -1;
        if (v->status_rd >= 0) {
          fds[n] = (struct pollfd){v->status_rd, POLLIN, 0};
          who[n] = i, what_fd[n++] = -2;
        }
      }
      if (v->state == DRAINING)
        for (int k = 0; k < v->nrelays; k++)
          if (v->done_rd[k] >= 0) {
            fds[n] = (struct pollfd){v->done_rd[k], POLLIN, 0};
            who[n] = i, what_fd[n++] = k;
          }
    }
    if (poll(fds, (nfds_t)n, (int)wait) < 0 && errno != EINTR) {
      say(L_ERROR, "poll: %s", strerror(errno));
      return EXIT_LAUNCHER_FAILURE;
    }
    for (int j = 0; j < n; j++) {
      if (fds[j].revents == 0) continue;
      if (who[j] < 0) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
          int sig = (int)si.ssi_signo;
          if (sig == SIGUSR1 || sig == SIGUSR2) {
            for (int i = 0; i < nvoids; i++) send_signal(&voids[i], sig);
          } else {
            interrupted++;
            shutdown_voids(sig, interrupted > 1);
          }
        }
        continue;
      }
      struct voidp *v = &voids[who[j]];
      if (what_fd[j] == -2) {
        if (v->state == RUNNING) read_status(v, 0);
      } else if (what_fd[j] == -1) {
        if (v->state != RUNNING) continue;
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid((idtype_t)P_PIDFD, (id_t)v->pidfd, &info, WEXITED | WNOHANG | __WALL) < 0 || info.si_pid == 0) continue;
        /* Reaped: everything void-init wrote is in the pipe now. */
        read_status(v, 1);
        close(v->pidfd);
        v->wait_code = info.si_code == CLD_EXITED ? info.si_status : -1;
        v->wait_sig = info.si_code == CLD_EXITED ? 0 : info.si_status;
        v->state = DRAINING;
        v->drain_until = now_ms() + EXIT_DRAIN_MS;
      } else {
        close(v->done_rd[what_fd[j]]);
        v->done_rd[what_fd[j]] = -1;
      }
    }
  }
  /* streams.ts close: what voids left in their pipes, for up to DRAIN_MS. */
  long long until = now_ms() + DRAIN_MS;
  for (;;) {
    struct pollfd p[MAX_ENTRIES * 2];
    int idx[MAX_ENTRIES * 2][2];
    int n = 0;
    for (int i = 0; i < nvoids; i++)
      for (int k = 0; k < voids[i].nrelays; k++)
        if (voids[i].done_rd[k] >= 0) {
          p[n] = (struct pollfd){voids[i].done_rd[k], POLLIN, 0};
          idx[n][0] = i, idx[n++][1] = k;
        }
    if (n == 0) break;
    long long left = until - now_ms();
    if (left <= 0) {
      say(L_WARN, "output still held open %d ms after the last void ended; the rest is dropped", DRAIN_MS);
      break;
    }
    if (poll(p, (nfds_t)n, (int)left) < 0 && errno != EINTR) break;
    for (int j = 0; j < n; j++)
      if (p[j].revents) {
        close(p[j].fd);
        voids[idx[j][0]].done_rd[idx[j][1]] = -1;
      }
  }
  return run_status;
}

/* Whether `dir` is a directory nobody but its owner and group may write
 * (a world-writable one would let anyone plant the Node side run below). */
static int not_world_writable(const char *dir) {
  struct stat st;
  return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH) == 0;
}

/* The package directory of the front end invoked as the command itself,
 * from its own executable: PACKAGE/build/void-run-fast or
 * PACKAGE/prebuilt/linux-<arch>/void-run-fast, and nowhere else (a copy
 * elsewhere would otherwise run whatever bin/void.cjs lies above it), the
 * package holding package.json and bin/void.cjs, it and its bin/ not
 * world-writable: as Node's packageRoot finds it. */
static int root_from_exe(char *root, size_t cap) {
  char exe[PATH_MAX];
  if (realpath("/proc/self/exe", exe) == NULL) return -1;
  char *slash = strrchr(exe, '/');
  if (slash == NULL) return -1;
  *slash = 0; /* exe: its directory */
  slash = strrchr(exe, '/');
  if (slash == NULL) return -1;
  if (strcmp(slash + 1, "build") == 0) {
    *slash = 0;
  } else if (strncmp(slash + 1, "linux-", 6) == 0) {
    *slash = 0;
    slash = strrchr(exe, '/');
    if (slash == NULL || strcmp(slash + 1, "prebuilt") != 0) return -1;
    *slash = 0;
  } else {
    return -1;
  }
  if (exe[0] == 0) return -1;
  char probe[PATH_MAX + 32];
  snprintf(probe, sizeof probe, "%s/bin/void.cjs", exe);
  if (access(probe, F_OK) != 0) return -1;
  snprintf(probe, sizeof probe, "%s/package.json", exe);
  if (access(probe, F_OK) != 0) return -1;
  snprintf(probe, sizeof probe, "%s/bin", exe);
  if (!not_world_writable(exe) || !not_world_writable(probe)) return -1;
  snprintf(root, cap, "%s", exe);
  return 0;
}

int main(int argc, char **argv) {
  sigprocmask(SIG_SETMASK, NULL, &original_mask);
  /* A closed standard fd gets /dev/null, as Node does for itself at start
   * (so the orchestrator then passes /dev/null to the void): nothing this
   * program opens may land on 0, 1 or 2. */
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd) return EXIT_LAUNCHER_FAILURE;
  /* Two ways in: bin/void's shell part runs `void-run-fast SCRIPT
   * WORDS...`; the front end installed as the command itself (a link
   * named `void` to this file: docs/architecture.md) is run as `void
   * WORDS...`, and finds the package from its own executable. */
  const char *base = strrchr(argv[0], '/');
  base = base != NULL ? base + 1 : argv[0];
  static char script_path[PATH_MAX + 16];
  char root[PATH_MAX], cwd[PATH_MAX];
  int direct = strcmp(base, "void-run-fast") != 0;
  if (direct) {
    if (root_from_exe(root, sizeof root) < 0) {
      fprintf(stderr,
              "void: error: %s is not in a void package's build/ or prebuilt/linux-<arch>/ (with package.json and bin/void.cjs, "
              "not world-writable): link to the front end, do not copy it\n",
              argv[0]);
      return EXIT_LAUNCHER_FAILURE;
    }
    snprintf(script_path, sizeof script_path, "%s/bin/void.cjs", root);
    script = script_path;
    words = argv + 1;
    nwords = argc - 1;
  } else {
    if (argc < 2) {
      fprintf(stderr, "usage: void-run-fast SCRIPT [WORDS...] (bin/void runs this)\n");
      return 2;
    }
    script = argv[1];
    words = argv + 2;
    nwords = argc - 2;
  }
  const char *mode = getenv("VOID_FAST_PATH");
  trace = getenv("VOID_FAST_PATH_TRACE") != NULL && getenv("VOID_FAST_PATH_TRACE")[0] != 0;
  if (mode != NULL && strcmp(mode, "0") == 0) run_node(NULL);
  if (nwords < 1 || strcmp(words[0], "run") != 0) run_node(NULL);

  /* The package directory: bin/void's parent's parent, as Node's packageRoot sees it (realpath). */
  if (!direct) {
    char up[PATH_MAX + 8];
    const char *slash = strrchr(script, '/');
    if (slash == NULL)
      snprintf(up, sizeof up, "..");
    else
      snprintf(up, sizeof up, "%.*s/..", (int)(slash - script), script);
    if (realpath(up, root) == NULL) run_node("cannot resolve the package directory");
  }
  if (getcwd(cwd, sizeof cwd) == NULL) run_node("getcwd failed");
  const char *why = load_cache(root, cwd);
  if (why != NULL) run_node(why);
  if (trace) fprintf(stderr, "void: plan cache: used\n");

  /* Everything below runs the voids: the point of no return is the first spawn. */
  const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
  colour = isatty(2) && (no_color == NULL || no_color[0] == 0) && (term == NULL || strcmp(term, "dumb") != 0);

  init_fd = open(init_path, O_PATH | O_CLOEXEC);
  if (init_fd < 0) run_node("cannot open void-init");
  self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

  /* Signals: ignored SIGPIPE (a reader gone is the relay's business), the
   * ones passed on read from a signalfd; every thread started later
   * inherits the mask. */
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  int passed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++) sigaddset(&mask, passed[i]);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) run_node("sigprocmask failed");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) run_node("signalfd failed");

  for (int s = 1; s <= 2; s++) stream_disp[s] = disposition(s);
  for (int i = 0; i < cache.ntexts; i++) paint(cache.texts[i]);
  return run_voids(sfd);
}
