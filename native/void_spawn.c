/*
 * void_spawn.c — turn a parsed plan into a running void.
 *
 * This is the only code in void that holds privilege over a void while it
 * is being built. It is written in the style of bubblewrap: each step is a
 * named function with the reason for it, and every failure names the
 * syscall and the path.
 *
 * How the child is created:
 *   The launcher is Node, a multi-threaded process. We clone with
 *   CLONE_VM|CLONE_VFORK from a libuv worker thread, exactly as glibc's
 *   posix_spawn does: the child shares the launcher's memory (nothing is
 *   copied), runs on its own small stack, and the calling worker thread is
 *   suspended until the child calls execve or exits. Only that one worker
 *   thread waits; the event loop keeps running.
 *
 *   The parent's side of this (the stack, the signal mask, the clone
 *   itself) is native/spawn_clone.c; this file holds the child's code
 *   only, and test/unit/child-symbols.test.ts checks that everything it
 *   calls is on an allow-list of system-call wrappers and string
 *   functions.
 *
 *   Because memory is shared, the child must only make plain system calls:
 *   no malloc, no locks, no stdio, no writes to memory other than its own
 *   stack. All data it needs was parsed by the parent into `struct
 *   void_plan` beforehand. Signals are blocked across the clone and every
 *   handler is reset to SIG_DFL in the child, so none of Node's handlers can
 *   run on the child's stack.
 *
 * What the child does, in order (each function below):
 *   1. reset signal dispositions; close every fd of the launcher's copy but
 *      those the plan names (drop_launcher_fds); die with the launcher (PR_SET_PDEATHSIG);
 *      take back the launcher's OOM protection, real-time scheduling and
 *      their limits (reset_scheduling);
 *      leave the launcher's session (setsid), so no void has its
 *      controlling terminal; leave its session keyring too (a new, empty
 *      one of the void's own);
 *   2. set its project-id map (project 0 only); write its own uid/gid
 *      maps (setgroups "deny" first), or, a root launcher's, have the
 *      launcher write them and clear the supplementary groups it
 *      inherited; unshare the time namespace (it applies to void-init, from its execve on);
 *      record its namespaces' inode numbers for the launcher's log; open
 *      its user namespace's /proc/sys/user for step 7;
 *   3. make every mount private (MS_REC|MS_PRIVATE on /) — FIRST, before
 *      any other mount operation, so nothing we do can propagate to the
 *      host (an MNT_DETACH on a shared tree once unmounted the host's
 *      mounts);
 *   4. build the root: a tmpfs "base" on /tmp of this namespace holding
 *      `newroot` (the void's future /: the plan's ROOT record, a tmpfs of
 *      its size, inodes and mode) and `oldroot`, then pivot_root into the
 *      base so the host is reachable only as /oldroot;
 *   5. make every other mount the plan lists under /newroot, in its order:
 *      directories, symlinks, binds (each read-only, nosuid, nodev unless
 *      the plan says otherwise), scratch tmpfs, the host devices it names
 *      (/dev/null always; /dev/random and /dev/urandom with DevRandom)
 *      and a /proc with its kernel-wide parts read-only (Procfs);
 *   6. detach the host (/oldroot), pivot into /newroot, detach the base,
 *      and make the new root itself read-only (as the ROOT record says);
 *   7. set hostname and domain name; enter the working directory; bring
 *      up the loopback interface of the void's network namespace if the
 *      plan forwards to it or connects from it; make each Connect grant's
 *      socket at 127.0.0.1 and send them all to the launcher on the
 *      socket factory (open_connects); set the user namespace's own
 *      limits (inotify, fanotify, namespaces);
 *   8. place the granted fds at their numbers, /dev/null on ungranted
 *      standard streams, close everything else (close_range);
 *   9. allow opens for writing only beneath what the plan makes writable
 *      (restrict_writes: Landlock; a read-only bind's FIFOs included);
 *      drop every capability (bounding, ambient, inheritable, permitted,
 *      effective), lock the securebits, set no_new_privs;
 *  10. install the seccomp filter (install_seccomp);
 *  11. execve void-init (from an fd opened before pivoting: it is not
 *      visible in the void) with the plan's environment (empty unless
 *      granted), which forks and execs the entrypoint (and,
 *      for Forward grants, makes sockets in the void's network namespace
 *      for the launcher's relay on its factory fd). A prepared void's
 *      void-init first waits on its message socket for the argv and fds
 *      of the one trigger message it was made for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include <unistd.h>

#include "fdpass.h"
#include "linux_compat.h"
#include "plan.h"
#include "glibc_compat.h"
#include "seccomp_filter.h"
#include "void_spawn.h"

/* Paths used while building the root. BASE must exist on the host; the
 * tmpfs mounted over it lives only in the void's mount namespace. */
#define BASE "/tmp"
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

/* ---- small async-signal-safe string helpers (no snprintf in the child) ---- */

struct buf {
  char data[PATH_MAX + 512];
  size_t len;
};

static void buf_add(struct buf *b, const char *s) {
  while (*s && b->len < sizeof b->data - 2) b->data[b->len++] = *s++;
  b->data[b->len] = 0;
}

static void buf_add_octal(struct buf *b, unsigned long v) {
  char tmp[24];
  int i = 0;
  do tmp[i++] = (char)('0' + (v & 7));
  while ((v >>= 3) && i < 22);
  while (i > 0 && b->len < sizeof b->data - 2) b->data[b->len++] = tmp[--i];
  b->data[b->len] = 0;
}

static void buf_add_int(struct buf *b, long v) {
  char tmp[24];
  int i = 0;
  unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
  do tmp[i++] = (char)('0' + u % 10);
  while ((u /= 10) && i < 22);
  if (v < 0) tmp[i++] = '-';
  while (i > 0 && b->len < sizeof b->data - 2) b->data[b->len++] = tmp[--i];
  b->data[b->len] = 0;
}

/* Reports "E <errno> <what> <path>[ -> <path2>]" on the status pipe and exits.
 * `what` names the operation (usually the syscall). */
__attribute__((noreturn)) static void die2(struct child_ctx *c, int err, const char *what, const char *path, const char *path2) {
  struct buf b = {.len = 0};
  buf_add(&b, "E\t");
  buf_add_int(&b, err);
  buf_add(&b, "\t");
  buf_add(&b, what);
  if (path) {
    buf_add(&b, " ");
    buf_add(&b, path);
  }
  if (path2) {
    buf_add(&b, " -> ");
    buf_add(&b, path2);
  }
  buf_add(&b, "\n");
  ssize_t written = write(c->status_fd, b.data, b.len);
  size_t done = written > 0 ? (size_t)written : 0;
  /* What was not written (ENOMEM when the void's memory cgroup is full:
   * the pipe's buffer is charged to the writer) the launcher writes for
   * it, from the memory they share (struct child_ctx, void_spawn). */
  unsigned n = 0;
  for (; done + n < b.len && n < sizeof c->unsent; n++) c->unsent[n] = b.data[done + n];
  c->unsent_len = n;
  _exit(125);
}

__attribute__((noreturn)) static void die(struct child_ctx *c, const char *what, const char *path) {
  die2(c, errno, what, path, NULL);
}

/* Joins "/newroot" + dest into b. */
static void die_with_parent(struct child_ctx *c);

/* ---- 1. signals ---- */

/* Reset every disposition to default: Node ignores SIGPIPE and installs
 * handlers whose code must never run on the child's stack, and ignored
 * signals would stay ignored across execve. The mask stays fully blocked
 * (inherited from the parent thread) until void-init sets its own. */
static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &sa, NULL); /* EINVAL for glibc-reserved signals: fine */
  }
}

/* What the launcher's scheduling and OOM settings would give a void
 * (outside attack 53), taken back before anything of the void runs; each
 * is a change any process may make to itself:
 *   - a negative oom_score_adj (systemd's OOMScoreAdjust=, a protected
 *     pod) would shield the void from the OOM killer, which would then
 *     pick host processes instead: raised to 0;
 *   - a negative nice value, and a real-time scheduling policy (SCHED_FIFO,
 *     SCHED_RR) or I/O class: back to nice 0, SCHED_OTHER, no I/O class;
 *   - RLIMIT_RTPRIO and RLIMIT_NICE (a user with rtprio in limits.conf, a
 *     unit's LimitRTPRIO=) would let the void make itself real-time, past
 *     cpu_max where cgroup v2 does not throttle real-time tasks: 0;
 *   - RLIMIT_CORE: its hard limit lowered to the soft one, so a void
 *     cannot raise it and have every crash's memory written out by the
 *     host's core handler, outside its cgroup (a launcher started with
 *     `ulimit -c unlimited` to debug still gets core files).
 * CPU affinity and a positive nice value stay: they only restrict. */
static void reset_scheduling(struct child_ctx *c) {
  /* Read first, opened for writing only when there is something to take
   * back: /proc may be mounted read-only (outside attack 54). */
  int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(c, "open", "/proc/self/oom_score_adj");
  char text[16] = {0};
  if (read(fd, text, sizeof text - 1) < 1) die(c, "read", "/proc/self/oom_score_adj");
  close(fd);
  if (text[0] == '-') {
    fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) die(c, fd < 0 ? "open" : "write", "/proc/self/oom_score_adj (raising the launcher's negative value to 0)");
    close(fd);
  }
  /* The raw call answers 20 - nice (1..40): above 20 is a negative nice value. */
  long prio = syscall(SYS_getpriority, PRIO_PROCESS, 0);
  if (prio > 20 && syscall(SYS_setpriority, PRIO_PROCESS, 0, 0) < 0) die(c, "setpriority", "(nice 0)");
  long policy = syscall(SYS_sched_getscheduler, 0);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    struct sched_param param = {.sched_priority = 0};
    if (syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &param) < 0) die(c, "sched_setscheduler", "(SCHED_OTHER)");
  }
  /* ioprio: class in the top 3 bits of 16; 1 is IOPRIO_CLASS_RT. 0 (none) follows the nice value. */
  long ioprio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  if (ioprio >= 0 && (ioprio >> 13) == 1 && syscall(SYS_ioprio_set, 1, 0, 0) < 0) die(c, "ioprio_set", "(no I/O class)");
  struct rlimit zero = {0, 0};
  if (syscall(SYS_prlimit64, 0, RLIMIT_RTPRIO, &zero, NULL) < 0) die(c, "prlimit64", "RLIMIT_RTPRIO");
  if (syscall(SYS_prlimit64, 0, RLIMIT_NICE, &zero, NULL) < 0) die(c, "prlimit64", "RLIMIT_NICE");
  struct rlimit core;
  if (syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &core) < 0) die(c, "prlimit64", "RLIMIT_CORE");
  core.rlim_max = core.rlim_cur;
  if (syscall(SYS_prlimit64, 0, RLIMIT_CORE, &core, NULL) < 0) die(c, "prlimit64", "RLIMIT_CORE");
}

/* Closes [lo, hi] (hi = ~0U: to the end); without close_range (Linux <
 * 5.9), one by one. */
static void close_from(unsigned lo, unsigned hi) {
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return;
  for (unsigned fd = lo; fd <= hi && fd < 65536; fd++) close((int)fd);
}

/* The child starts with a copy of the launcher's fd table: whatever Node
 * and the addon hold, fds that came from voids among them. It closes all
 * of them but those the plan names, first thing, and says so
 * (plan->fds_dropped): until then the launcher's closers close no fd (had
 * one closed the launcher's copy of a void's socket, this child's close
 * would be the last, and could wait here for as long as that void likes),
 * so the sooner, the better — before the cgroup join, under whose cpu.max
 * the rest of the set-up runs. 0-2 stay until place_fds: the launcher's
 * own streams, never a void's, and they keep what the child opens off the
 * standard numbers. */
static void drop_launcher_fds(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  int keep[p->nfds + PLAN_MAX_CGROUPS + 8];
  int n = 0;
  int named[] = {c->status_fd, c->init_fd, p->launcher_pidfd, p->mapper_fd, p->map_ack_rd, p->map_ack_wr, p->factory_fd, p->message_fd};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (named[i] > 2) keep[n++] = named[i];
  for (int i = 0; i < p->ncgroups; i++)
    if (p->cgroup_fds[i] > 2) keep[n++] = p->cgroup_fds[i];
  for (int i = 0; i < p->nfds; i++)
    if (p->fds[i].source > 2) keep[n++] = p->fds[i].source;
  for (int i = 1; i < n; i++) /* insertion sort: a few dozen at most */
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned lo = 3;
  for (int i = 0; i < n; i++) {
    unsigned k = (unsigned)keep[i];
    if (k < lo) continue; /* named twice */
    if (k > lo) close_from(lo, k - 1);
    lo = k + 1;
  }
  close_from(lo, ~0U);
  if (p->fds_dropped != NULL) __atomic_store_n(p->fds_dropped, 1, __ATOMIC_RELEASE);
}

/* ---- 2. user namespace ---- */

static void write_file(struct child_ctx *c, const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(c, "open", path);
  size_t len = strlen(content);
  if (write(fd, content, len) != (ssize_t)len) die(c, "write", path);
  close(fd);
}

/* The namespace's project-id map, which can be written once, by anyone
 * in it: set to project 0 only (the default project; files keep theirs,
 * shown as unmapped), so the void cannot write one of its choosing
 * (outside attack 49; project ids change only from the host's namespace,
 * so no use of a map of its own was found, but it is not the void's to
 * choose). Best effort: where the launcher's own namespace maps no project
 * 0 (a container that never wrote its map) the write fails, and a void's
 * map could then name no id either. */
static void setup_projid_map(void) {
  int fd = open("/proc/self/projid_map", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, "0 0 1", 5) < 0) {
    /* see above: nothing a void could map either */
  }
  close(fd);
}

/* An unprivileged launcher's child maps its own ids: setgroups must be
 * denied before an unprivileged process may write a gid_map (see
 * user_namespaces(7)), so its void keeps the launcher's supplementary
 * groups (which only a privileged process could clear: no more than the
 * launcher has). A root launcher's child is mapped by the launcher, which
 * leaves setgroups allowed; once mapped, the child clears the groups it
 * inherited (root's group 0 after su, sudo or a login), which would
 * otherwise let every void read and write as a member of them on the host.
 * The void itself never holds CAP_SETGID afterwards (step 9), so the
 * allowed setgroups gives it nothing. */

static void setup_id_maps(struct child_ctx *c) {
  setup_projid_map();
  if (c->plan->options & PLAN_OPT_MAPS_BY_LAUNCHER) {
    /* Another host id (a root launcher's void): only the parent namespace
     * may write that map. Ask the addon's mapper thread and wait. */
    struct map_request req = {c->plan->uid_map, c->plan->gid_map, c->pidfd, c->plan->map_ack_wr};
    const struct map_request *addr = &req;
    if (write(c->plan->mapper_fd, &addr, sizeof addr) != (ssize_t)sizeof addr) die(c, "write", "(id map request to the launcher)");
    unsigned char answer = 0;
    ssize_t n;
    do n = read(c->plan->map_ack_rd, &answer, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) die(c, "read", "(id map answer from the launcher)");
    if (answer != 0) die2(c, answer, "write uid_map/gid_map (by the launcher)", c->plan->uid_map, NULL);
    /* The child still has the launcher's host ids, which the maps do not
     * name: become uid and gid 0 of the namespace, that is the mapped host
     * id (the capabilities of the namespace stay: 0 is its root). Raw
     * system calls: glibc's setresuid would try to change every thread of
     * the launcher, whose memory this child shares. */
    if (syscall(SYS_setresgid, 0, 0, 0) < 0) die(c, "setresgid", "(the void's mapped gid)");
    if (syscall(SYS_setgroups, 0, NULL) < 0) die(c, "setgroups", "(clearing the launcher's supplementary groups)");
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) die(c, "setresuid", "(the void's mapped uid)");
    /* A change of credentials clears the parent-death signal: set it again. */
    die_with_parent(c);
    return;
  }
  write_file(c, "/proc/self/setgroups", "deny");
  write_file(c, "/proc/self/uid_map", c->plan->uid_map);
  write_file(c, "/proc/self/gid_map", c->plan->gid_map);
}

/* ---- the user namespace's own limits ---- */

/* Some kernel objects — inotify instances and watches, fanotify groups and
 * marks, namespaces — are counted per user namespace, and each is charged
 * also to the namespace's creator in the parent namespace: the launcher's
 * host uid (host root for a root launcher). A new namespace starts with no
 * limit of its own, so a void could use up a budget its launcher's user
 * shares with the whole host (fs.inotify.max_user_instances, 128). Set the
 * void's own limits (src/plan/plan.ts planUserLimits) while the child holds
 * CAP_SYS_RESOURCE in its namespace: /proc/sys/user shows the opener's user
 * namespace, whichever /proc it is opened through. The void, without
 * capabilities, cannot raise them.
 *
 * The directory is opened while the host's /proc is visible (the fd keeps
 * it reachable after pivoting) and the limits are written once the tree is
 * built: open_tree(OPEN_TREE_CLONE) makes an anonymous mount namespace,
 * which a max_mnt_namespaces of 0 would refuse. A kernel without one of
 * these counters has no such budget to protect: its file is skipped. */
static int open_user_limits(struct child_ctx *c) {
  if (c->plan->nuser_limits == 0) return -1;
  int dir = open("/proc/sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die(c, "open", "/proc/sys/user");
  return dir;
}

static void set_user_limits(struct child_ctx *c, int dir) {
  for (int i = 0; i < c->plan->nuser_limits; i++) {
    const char *name = c->plan->user_limits[i].name;
    struct buf path = {.len = 0}, value = {.len = 0};
    buf_add(&path, "/proc/sys/user/");
    buf_add(&path, name);
    buf_add_int(&value, (long)c->plan->user_limits[i].value);
    int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) die(c, "open", path.data);
    if (write(fd, value.data, value.len) != (ssize_t)value.len) die(c, "write", path.data);
    close(fd);
  }
  if (dir >= 0) close(dir);
}

/* ---- cgroups ---- */

/* Joins the void's cgroups (one leaf per hierarchy, made and limited by
 * the launcher, src/orchestrator/cgroups.ts) before anything else runs in
 * it, so the set-up and every process of the void are counted. Writing 0
 * to cgroup.procs moves the writer; the kernel checks the credentials the
 * file was opened with (the launcher's), not ours. */
static void join_cgroups(struct child_ctx *c) {
  for (int i = 0; i < c->plan->ncgroups; i++) {
    if (write(c->plan->cgroup_fds[i], "0", 1) != 1) die(c, "write", "cgroup.procs (join the void's cgroup)");
  }
}

/* ---- 3, 4. mounts ---- */

/* Mount points are made in the new root by walking their path one
 * component at a time from an fd of /newroot, never following a symlink
 * (O_NOFOLLOW|O_DIRECTORY), and mounts are attached to the fd of the
 * mount point (move_mount with MOVE_MOUNT_T_EMPTY_PATH), never to a path.
 * A directory a writable bind shows may have been replaced by a symlink —
 * to /oldroot/..., the host's tree while the void is built — by a void
 * that can write there, one running now or an earlier one; following it
 * would create directories and files in the host's tree, or mount there.
 * The planner resolved every symlink the void's tree itself has, so a
 * symlink met here was put there since: the void fails. */
static int walk_to_parent(struct child_ctx *c, const char *dest, struct buf *b, const char **last) {
  b->len = 0;
  buf_add(b, dest);
  int dir = openat(c->newroot_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die(c, "open", NEWROOT);
  char *p = b->data;
  while (*p == '/') p++;
  for (;;) {
    char *slash = strchr(p, '/');
    if (slash == NULL) {
      *last = p;
      return dir;
    }
    *slash = 0;
    int next = openat(dir, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(dir, p, 0755) < 0 && errno != EEXIST) die(c, "mkdir (a mount point's directory)", dest);
      next = openat(dir, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ENOTDIR || errno == ELOOP) die(c, "mount point changed since planning (not a directory on its path)", dest);
      die(c, "open (a mount point's directory)", dest);
    }
    close(dir);
    dir = next;
    *slash = '/';
    p = slash + 1;
  }
}

/* An O_PATH fd of the mount point `dest`, created if missing: a directory,
 * or an empty file for a file bind. One that exists (a nested bind lands
 * on what the outer bind shows) must be of that type, and not a symlink. */
static int open_mount_point(struct child_ctx *c, const char *dest, int directory) {
  if (strcmp(dest, "/") == 0) {
    int fd = openat(c->newroot_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die(c, "open", NEWROOT);
    return fd;
  }
  struct buf b;
  const char *last;
  int parent = walk_to_parent(c, dest, &b, &last);
  if (directory) {
    if (mkdirat(parent, last, 0755) < 0 && errno != EEXIST) die(c, "create mount point", dest);
  } else {
    int f = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (f >= 0)
      close(f);
    else if (errno != EEXIST && errno != EROFS)
      die(c, "create mount point", dest);
  }
  int fd = openat(parent, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(c, "open mount point", dest);
  struct stat st;
  if (void_fstat(fd, &st) < 0) die(c, "fstat mount point", dest);
  if (S_ISLNK(st.st_mode) || (S_ISDIR(st.st_mode) != 0) != (directory != 0))
    die2(c, ESTALE, "mount point changed since planning (a symlink, or another type)", dest, NULL);
  close(parent);
  return fd;
}

static int set_mount_attr(const char *path, uint64_t attrs, int recursive);

/* Attaches the detached mount `tree` on the mount point `target` (both
 * fds) and sets its attributes, recursively: mount_setattr(2) on the fd
 * (Linux 5.12), else a remount through /proc/self/fd (set_mount_attr). */
static void attach(struct child_ctx *c, int tree, int target, uint64_t attrs, const char *what, const char *dest) {
  if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    die2(c, errno, "attach (move_mount)", what, dest);
  struct mount_attr_v0 attr = {.attr_set = attrs};
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
    struct buf self = {.len = 0};
    buf_add(&self, OLDROOT "/proc/self/fd/");
    buf_add_int(&self, tree);
    if (errno != ENOSYS || set_mount_attr(self.data, attrs, 1) < 0) die2(c, errno, "restrict mount", what, dest);
  }
}

/* Sets attributes on a mount (recursively, so submounts of a bound tree are
 * read-only too). mount_setattr(2) exists since Linux 5.12; older kernels
 * get MS_REMOUNT|MS_BIND, which must repeat the flags the kernel locked on
 * the source mount (nosuid, nodev, noexec...) or it fails with EPERM. */
static int set_mount_attr(const char *path, uint64_t attrs, int recursive) {
  struct mount_attr_v0 attr = {.attr_set = attrs};
  if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) == 0) return 0;
  if (errno != ENOSYS) return -1;
  struct statvfs st;
  if (statvfs(path, &st) < 0) return -1;
  unsigned long flags = MS_REMOUNT | MS_BIND;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (attrs & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
  if (attrs & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
  if (attrs & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
  if (attrs & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
  return mount(NULL, path, NULL, flags, NULL);
}

/* The first mount operation, always: nothing done below may propagate back
 * to the host's mount namespace. */
static void make_mounts_private(struct child_ctx *c) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die(c, "make / private: mount", "/");
}

/* The base tmpfs holds newroot and oldroot. It is mounted over BASE inside
 * this mount namespace only; no directory is created on the host. After
 * pivot_root the host's tree is reachable as /oldroot until we detach it.
 * The base is the child's scaffolding, never visible in the void: its
 * size is the child's own business, not the plan's. */
static void enter_base(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  if (mount("tmpfs", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k") < 0) die(c, "mount tmpfs on", BASE);
  if (chdir(BASE) < 0) die(c, "chdir", BASE);
  if (mkdir("newroot", 0755) < 0) die(c, "mkdir", BASE "/newroot");
  if (mkdir("oldroot", 0755) < 0) die(c, "mkdir", BASE "/oldroot");
  /* The void's root: its own small tmpfs (the plan's ROOT record), made
   * read-only once built (enter_newroot). nosuid and nodev always. */
  struct buf opts = {.len = 0};
  buf_add(&opts, "mode=");
  buf_add_octal(&opts, p->root_mode);
  buf_add(&opts, ",size=");
  buf_add_int(&opts, (long)p->root_size);
  buf_add(&opts, ",nr_inodes=");
  buf_add_int(&opts, (long)p->root_inodes);
  if (mount("tmpfs", "newroot", "tmpfs", MS_NOSUID | MS_NODEV, opts.data) < 0) die2(c, errno, "mount tmpfs on", BASE "/newroot", opts.data);
  if (syscall(SYS_pivot_root, ".", "oldroot") < 0) die(c, "pivot_root", BASE);
  if (chdir("/") < 0) die(c, "chdir", "/");
  c->newroot_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->newroot_fd < 0) die(c, "open", NEWROOT);
}

/* Binds exactly the host object the plan resolved, or fails. The source
 * path is canonical (the planner resolved every symlink on it), so it is
 * opened refusing any symlink on the way (openat2 RESOLVE_NO_SYMLINKS,
 * Linux 5.6; before that O_NOFOLLOW on the last component) — a symlink
 * there now was put there since planning, perhaps by a void with a
 * writable bind over it, and a relative one would climb out into the host
 * tree under /oldroot. What was opened must be the planned device and
 * inode and of the planned type; then that very object is cloned from the
 * fd (open_tree) and attached to the mount point's fd, so nothing can be
 * swapped between the check and the mount, at either end. */
static void do_bind(struct child_ctx *c, const struct mount_op *op) {
  struct buf src = {.len = 0};
  buf_add(&src, OLDROOT);
  buf_add(&src, op->source);
  struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, src.data, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(src.data, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ELOOP || errno == EXDEV) die2(c, errno, "bind source changed since planning (a symlink on its path)", op->source, op->dest);
    die2(c, errno, "bind", op->source, op->dest);
  }
  struct stat st;
  if (void_fstat(fd, &st) < 0) die2(c, errno, "fstat bind source", op->source, op->dest);
  int is_dir = S_ISDIR(st.st_mode) != 0;
  if (is_dir != ((op->flags & BIND_DIRECTORY) != 0) || S_ISLNK(st.st_mode))
    die2(c, ESTALE, "bind source changed since planning (another type)", op->source, op->dest);
  if ((op->flags & BIND_IDENTITY) && ((uint64_t)st.st_dev != op->dev || (uint64_t)st.st_ino != op->ino))
    die2(c, ESTALE, "bind source changed since planning (another file)", op->source, op->dest);
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0) die2(c, errno, "bind (open_tree)", op->source, op->dest);
  close(fd);
  int target = open_mount_point(c, op->dest, is_dir);
  /* A writable bind is also noexec: a void could otherwise put a program
   * there (or a library) that a later void runs — found by PATH, by a
   * shell's "." or by a #! line — and take it over. Scratch space (Tmpfs)
   * is a void's own and stays executable. */
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attrs |= (op->flags & BIND_READONLY) ? MOUNT_ATTR_RDONLY : MOUNT_ATTR_NOEXEC;
  attach(c, tree, target, attrs, op->source, op->dest);
  close(target);
  close(tree);
}

/* Scratch space (a Tmpfs grant): a writable tmpfs of the void's own, empty
 * at each start, limited in bytes and inodes (its pages are charged to the
 * void's memory cgroup). Sticky and open to all, as /tmp is: the void has
 * one uid anyway. nosuid, nodev; what is written there may be executed,
 * as the void could already map memory executable. Made with fsopen and
 * fsmount (Linux 5.2), so it is attached to the mount point's fd too. */
static void mount_scratch(struct child_ctx *c, const struct mount_op *op) {
  struct buf size = {.len = 0}, inodes = {.len = 0};
  buf_add_int(&size, (long)op->dev);
  buf_add_int(&inodes, (long)op->ino);
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0) die(c, "fsopen tmpfs for", op->dest);
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "1777", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", size.data, 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", inodes.data, 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    die(c, "fsconfig tmpfs for", op->dest);
  int tree = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (tree < 0) die(c, "fsmount tmpfs for", op->dest);
  close(fs);
  int target = open_mount_point(c, op->dest, 1);
  attach(c, tree, target, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "tmpfs", op->dest);
  close(target);
  close(tree);
}

static void make_symlink(struct child_ctx *c, const struct mount_op *op) {
  struct buf b;
  const char *last;
  int parent = walk_to_parent(c, op->dest, &b, &last);
  if (symlinkat(op->source, parent, last) < 0 && errno != EEXIST) die2(c, errno, "symlink", op->dest, op->source);
  close(parent);
}

/* Binds one host device node at the same path (a DEVICE record), nosuid,
 * noexec and read-only (but not nodev: opening it is the point). Read-only
 * does not stop reading or writing the device (a device node's open for
 * writing does not count as a write to its mount), only changes to the
 * node itself: a void whose uid owns it — host uid 0 with --host-root —
 * would otherwise chmod or utime the host's /dev/null for every process.
 * The void's standard streams that the launcher would give /dev/null are
 * opened here, on this node (place_fds), never passed from the launcher.
 * A user namespace cannot mknod. /dev/null is in every void's plan: the target of every
 * standard stream that was not granted. /dev/random and /dev/urandom only
 * with DevRandom: they give the same bytes as getrandom(2), which every
 * void may call, but some programs (dnsmasq) insist on opening the file.
 * The source is opened refusing symlinks, as a bind source is, and must be
 * a character device; that very node is then cloned from the fd. */
static void add_device(struct child_ctx *c, const struct mount_op *op) {
  struct buf src = {.len = 0};
  buf_add(&src, OLDROOT);
  buf_add(&src, op->source);
  struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, src.data, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(src.data, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) die2(c, errno, "bind (open device)", op->source, op->dest);
  struct stat st;
  if (void_fstat(fd, &st) < 0) die2(c, errno, "fstat device", op->source, op->dest);
  if (!S_ISCHR(st.st_mode)) die2(c, ENODEV, "bind device (not a character device)", op->source, op->dest);
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) die2(c, errno, "bind (open_tree)", op->source, op->dest);
  close(fd);
  int target = open_mount_point(c, op->dest, 0);
  attach(c, tree, target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, op->source, op->dest);
  close(target);
  close(tree);
}

/* A /proc of the void's own PID namespace. Must be mounted while the host's
 * /proc is still visible under /oldroot: the kernel refuses a new proc
 * mount in a user namespace unless a full one is already visible. Made
 * with fsopen/fsmount and attached to the mount point's fd; the parts
 * made read-only below are opened from the new proc's own root fd. */
static void add_proc(struct child_ctx *c, const struct mount_op *op) {
  int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0) die(c, "fsopen", "proc");
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) die(c, "fsconfig proc for", op->dest);
  int proc = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (proc < 0) die(c, "fsmount proc for", op->dest);
  close(fs);
  int target = open_mount_point(c, op->dest, 1);
  attach(c, proc, target, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "proc", op->dest);
  close(target);
  /* The kernel-wide parts of /proc are made read-only, as bubblewrap and
   * Docker do: most sysctls check only the writer's uid, and a void of a
   * root launcher runs as host uid 0 with --host-root (with no capability),
   * so a writable /proc/sys would let it set kernel.core_pattern and have
   * the kernel run a program as real root. The void's own /proc/sys/net is
   * read-only too. The planner lists the parts (src/plan/plan.ts
   * PROC_READ_ONLY: sys, sysrq-trigger, irq, bus, fs) in the PROC record,
   * NUL-terminated one after another; plan.c checked each is one plain
   * component. */
  const char *name = op->source;
  for (uint32_t i = 0; i < op->nparts; i++, name += strlen(name) + 1) {
    struct buf dest = {.len = 0};
    buf_add(&dest, op->dest);
    buf_add(&dest, "/");
    buf_add(&dest, name);
    int part = openat(proc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (part < 0 && errno == ENOENT) continue; /* not in this kernel's proc */
    if (part < 0) die(c, "open", dest.data);
    int tree = (int)syscall(SYS_open_tree, part, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0) die(c, "bind (open_tree, read-only /proc part)", dest.data);
    attach(c, tree, part, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "proc", dest.data);
    close(tree);
    close(part);
  }
  close(proc);
}

/* Every mount the plan lists but the root, in the plan's order (the
 * planner sorted them so that an outer mount comes before what it holds,
 * and /dev/null, the devices and /proc after the binds). */
static void build_tree(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  for (int i = 0; i < p->nmounts; i++) {
    const struct mount_op *op = &p->mounts[i];
    switch (op->kind) {
      case MOUNT_DIR: {
        struct buf b;
        const char *last;
        int parent = walk_to_parent(c, op->dest, &b, &last);
        if (mkdirat(parent, last, 0755) < 0 && errno != EEXIST) die(c, "mkdir", op->dest);
        close(parent);
        break;
      }
      case MOUNT_SYMLINK:
        make_symlink(c, op);
        break;
      case MOUNT_BIND:
        do_bind(c, op);
        break;
      case MOUNT_TMPFS:
        mount_scratch(c, op);
        break;
      case MOUNT_DEVICE:
        add_device(c, op);
        break;
      case MOUNT_PROC:
        add_proc(c, op);
        break;
    }
  }
}

/* Detach the host, make /newroot the root, detach the base (the
 * pivot_root(".", ".") trick from bubblewrap), and freeze the root. */
static void enter_newroot(struct child_ctx *c) {
  close(c->newroot_fd);
  c->newroot_fd = -1;
  if (umount2(OLDROOT, MNT_DETACH) < 0) die(c, "umount2 (detach host root)", OLDROOT);
  if (chdir(NEWROOT) < 0) die(c, "chdir", NEWROOT);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die(c, "pivot_root", NEWROOT);
  if (umount2(".", MNT_DETACH) < 0) die(c, "umount2 (detach base)", "/");
  if (chdir("/") < 0) die(c, "chdir", "/");
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (c->plan->root_flags & PLAN_ROOT_READONLY) attrs |= MOUNT_ATTR_RDONLY;
  if (set_mount_attr("/", attrs, 0) < 0) die(c, "make root read-only", "/");
}

/* The working directory (WorkingDirectory), entered one component at a
 * time without following a symlink, as mount points are: a directory
 * under a writable bind may have been swapped for a symlink since
 * planning. Only the void's own tree is reachable by now, but the void
 * starts where the plan says or not at all. */
static void enter_cwd(struct child_ctx *c, const char *path) {
  struct buf b = {.len = 0};
  buf_add(&b, path);
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die(c, "open", "/");
  char *p = b.data;
  while (*p != 0) {
    while (*p == '/') p++;
    if (*p == 0) break;
    char *end = strchr(p, '/');
    if (end != NULL) *end = 0;
    int next = openat(dir, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
      die(c,
          errno == ENOTDIR || errno == ELOOP ? "working directory changed since planning (not a directory on its path)" : "open (working directory)",
          path);
    close(dir);
    dir = next;
    if (end == NULL) break;
    p = end + 1;
  }
  if (fchdir(dir) < 0) die(c, "fchdir", path);
  close(dir);
}

/* ---- 7. UTS ---- */

static void set_names(struct child_ctx *c) {
  const char *h = c->plan->hostname ? c->plan->hostname : "void";
  const char *d = c->plan->domainname ? c->plan->domainname : "(none)";
  if (sethostname(h, strlen(h)) < 0) die(c, "sethostname", h);
  if (setdomainname(d, strlen(d)) < 0) die(c, "setdomainname", d);
}

/* A new network namespace has only "lo", and it is down: nothing can bind
 * 127.0.0.1. A Forward grant relays into the void's loopback, so bring it
 * up (the kernel then adds 127.0.0.1/8 and ::1 itself). This changes only
 * the void's own namespace, which the child administers through the user
 * namespace it owns; no other interface exists, so the void still reaches
 * nothing but itself. */
static void bring_up_loopback(struct child_ctx *c) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die(c, "socket", "AF_INET (to configure lo)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die(c, "ioctl SIOCGIFFLAGS", "lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die(c, "ioctl SIOCSIFFLAGS (bring up)", "lo");
  close(sock);
}

/* A Connect grant (src/orchestrator/connect.ts): the void's programs
 * connect to 127.0.0.1:PORT in the void's own network namespace, and the
 * launcher relays what arrives there to one host address. The socket they
 * reach must exist before the entrypoint runs and must belong to the
 * void's namespace, which only a process inside it can create (the
 * launcher cannot without setns). So the child makes each one here — a
 * listening TCP socket or a bound UDP socket — while it still holds
 * CAP_NET_BIND_SERVICE in the void's user namespace (a resolver's port 53
 * works), and sends them all, in plan order, in one SCM_RIGHTS packet "C"
 * on the socket factory: the first packet the launcher reads from it
 * (void_spawn returns only after the execve, so it is already queued).
 * The child's copies are close-on-exec: neither void-init nor the
 * entrypoint ever holds one, and a port that is taken cannot be bound by
 * the void's programs to intercept their own connections. */
static void open_connects(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  if (p->nconnects == 0) return;
  int socks[PLAN_MAX_CONNECTS];
  for (int i = 0; i < p->nconnects; i++) {
    int tcp = p->connects[i].protocol == PLAN_CONNECT_TCP;
    struct buf where = {.len = 0};
    buf_add(&where, tcp ? "TCP 127.0.0.1:" : "UDP 127.0.0.1:");
    buf_add_int(&where, p->connects[i].port);
    buf_add(&where, " (Connect)");
    socks[i] = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (socks[i] < 0) die(c, "socket", where.data);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(p->connects[i].port), .sin_addr = {htonl(INADDR_LOOPBACK)}};
    if (bind(socks[i], (struct sockaddr *)&at, sizeof at) < 0) die(c, "bind", where.data);
    if (tcp && listen(socks[i], 128) < 0) die(c, "listen", where.data);
  }
  char tag = 'C';
  ssize_t sent = fdpass_send(p->factory_fd, &tag, 1, socks, (size_t)p->nconnects, 0);
  if (sent < 0) die(c, "sendmsg", "Connect sockets (socket factory)");
  for (int i = 0; i < p->nconnects; i++) close(socks[i]);
}

/* ---- 8. file descriptors ---- */

/* Moves each granted fd to its number. Two passes so that a source sitting
 * on another grant's target number is never clobbered: first duplicate
 * every source above all targets, then dup3 into place (which clears
 * O_CLOEXEC). The rest follows the contract's fd layout (VOID_FD_* in
 * contract.h): the status pipe goes last, just above the grants, and stays
 * open across the execve of void-init (which marks it close-on-exec); so
 * do the socket factory's end when there is one (two above the status
 * pipe, after void-init's own fd) and a prepared void's message socket
 * (next). Each temporary is allocated after the ones whose targets lie
 * below its own target, so a dup3 into place only ever replaces a
 * temporary that has already been placed. */
static void place_fds(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  int top = VOID_FD_FIRST_GRANTED - 1;
  for (int i = 0; i < p->nfds; i++)
    if (p->fds[i].target > top) top = p->fds[i].target;
  int status_target = top + VOID_FD_STATUS_ABOVE_GRANTS;
  int init_target = status_target + VOID_FD_INIT_ABOVE_STATUS;
  int factory_target = status_target + VOID_FD_FACTORY_ABOVE_STATUS;

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die(c, "open", "/dev/null");

  int tmp[p->nfds > 0 ? p->nfds : 1];
  for (int i = 0; i < p->nfds; i++) {
    int src = p->fds[i].source < 0 ? devnull : p->fds[i].source;
    tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, status_target + 1);
    if (tmp[i] < 0) die2(c, errno, "fcntl F_DUPFD", "granted fd", NULL);
  }
  int status = fcntl(c->status_fd, F_DUPFD_CLOEXEC, status_target + 1);
  if (status < 0) die(c, "fcntl F_DUPFD", "status pipe");
  c->status_fd = status;
  int init = fcntl(c->init_fd, F_DUPFD_CLOEXEC, status_target + 1);
  if (init < 0) die(c, "fcntl F_DUPFD", "void-init");
  int factory = -1;
  if (p->factory_fd >= 0) {
    factory = fcntl(p->factory_fd, F_DUPFD_CLOEXEC, status_target + 1);
    if (factory < 0) die(c, "fcntl F_DUPFD", "socket factory");
  }
  int message = -1;
  if (p->message_fd >= 0) {
    message = fcntl(p->message_fd, F_DUPFD_CLOEXEC, status_target + 1);
    if (message < 0) die(c, "fcntl F_DUPFD", "message socket");
  }

  for (int i = 0; i < p->nfds; i++)
    if (dup3(tmp[i], p->fds[i].target, 0) < 0) die(c, "dup3", "granted fd");
  if (dup3(status, status_target, 0) < 0) die(c, "dup3", "status pipe");
  c->status_fd = status_target;
  /* void-init is executed through this fd; close-on-exec, so no void ever
   * holds it. */
  if (dup3(init, init_target, O_CLOEXEC) < 0) die(c, "dup3", "void-init");
  c->init_fd = init_target;
  int first_free = init_target + 1;
  c->factory_fd = -1;
  if (factory >= 0) {
    if (factory == factory_target ? fcntl(factory, F_SETFD, 0) < 0 : dup3(factory, factory_target, 0) < 0) die(c, "dup3", "socket factory");
    c->factory_fd = factory_target;
    first_free = factory_target + 1;
  }
  c->message_fd = -1;
  if (message >= 0) {
    if (message == first_free ? fcntl(message, F_SETFD, 0) < 0 : dup3(message, first_free, 0) < 0) die(c, "dup3", "message socket");
    c->message_fd = first_free++;
  }

  /* Close everything else: Node's epoll, sockets, the temporaries above.
   * close_range exists since Linux 5.9. */
  if (syscall(SYS_close_range, first_free, ~0U, 0) < 0) {
    for (int fd = first_free; fd < 65536; fd++) close(fd);
  }
}

/* ---- 9a. writes only where the plan grants them (Landlock) ---- */

/* Linux's read-only checks (a read-only bind, the read-only root) stop
 * writes to regular files, directories and symlinks only: a FIFO in a
 * read-only bind opens for writing, and what the void writes reaches
 * whoever reads it on the host (outside attack 49: a FIFO of the
 * launcher's uid, every root FIFO under --host-root, /run/initctl
 * among them). A Landlock ruleset that handles LANDLOCK_ACCESS_FS_WRITE_FILE
 * refuses every open for writing (EACCES) but beneath what the plan makes
 * writable: its writable binds, scratch tmpfs, devices (/dev/null...),
 * /proc, a writable root, and the regular files of its writable File
 * grants (so /proc/self/fd/N reopens them). Pipes and sockets (the
 * relayed streams) are no file of a hierarchy: Landlock never restricts
 * them. Left out, with the kernel's own checks alone: a kernel without
 * Landlock ABI 2 (before 5.19, or not enabled), and a void allowed to
 * make namespaces or unconfined (its own mounts would not be writable).
 * Landlock's "beneath" crosses mounts: a read-only bind inside a scratch
 * tmpfs is beneath it, and its FIFOs stay writable (docs/security.md,
 * "Not defended"). */
#define VOID_LANDLOCK_WRITE_FILE (1ull << 1) /* LANDLOCK_ACCESS_FS_WRITE_FILE (ABI 1) */
#define VOID_LANDLOCK_REFER (1ull << 13)     /* LANDLOCK_ACCESS_FS_REFER (ABI 2) */
#define VOID_LANDLOCK_CREATE_RULESET_VERSION 1u
#define VOID_LANDLOCK_RULE_PATH_BENEATH 1
#define VOID_SYS_landlock_create_ruleset 444 /* the same number on x86_64 and aarch64 */
#define VOID_SYS_landlock_add_rule 445
#define VOID_SYS_landlock_restrict_self 446

/* Adds "access beneath fd" to the ruleset: 0, or -1 with errno. */
static int landlock_rule(int ruleset, int fd, uint64_t access) {
  struct __attribute__((packed)) {
    uint64_t allowed_access;
    int32_t parent_fd;
  } beneath = {access, fd};
  return (int)syscall(VOID_SYS_landlock_add_rule, ruleset, VOID_LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
}

static void landlock_allow(struct child_ctx *c, int ruleset, int fd, uint64_t access, const char *what) {
  if (landlock_rule(ruleset, fd, access) < 0) die(c, "landlock_add_rule", what);
}

static void restrict_writes(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  if (!p->seccomp || !(p->seccomp_rules & SECCOMP_RULE_NS_CLONE)) return;
  /* Any ruleset of ABI 1 refuses every rename and link into another
   * directory (EXDEV: maildir delivery, `ln`, a package manager's moves);
   * from ABI 2 (Linux 5.19) the ruleset handles REFER and allows it
   * everywhere, which leaves them to the kernel's own checks. Before
   * that: no ruleset (outside attack 51). */
  long abi = syscall(VOID_SYS_landlock_create_ruleset, NULL, 0, VOID_LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 2) return; /* ENOSYS, EOPNOTSUPP (not enabled) or ABI 1: the kernel's checks only */
  struct {
    uint64_t handled_access_fs;
  } attr = {VOID_LANDLOCK_WRITE_FILE | VOID_LANDLOCK_REFER};
  int ruleset = (int)syscall(VOID_SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) die(c, "landlock_create_ruleset", "WRITE_FILE|REFER");
  int root = open("/", O_PATH | O_CLOEXEC);
  if (root < 0) die(c, "open", "/");
  landlock_allow(c, ruleset, root, VOID_LANDLOCK_REFER | ((p->root_flags & PLAN_ROOT_READONLY) ? 0 : VOID_LANDLOCK_WRITE_FILE), "/");
  close(root);
  for (int i = 0; i < p->nmounts; i++) {
    const struct mount_op *m = &p->mounts[i];
    int writable =
        (m->kind == MOUNT_BIND && !(m->flags & BIND_READONLY)) || m->kind == MOUNT_TMPFS || m->kind == MOUNT_DEVICE || m->kind == MOUNT_PROC;
    if (!writable) continue;
    int fd = open(m->dest, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) die(c, "open", m->dest);
    landlock_allow(c, ruleset, fd, VOID_LANDLOCK_WRITE_FILE, m->dest);
    close(fd);
  }
  /* Granted fds of regular files open for writing (the launcher's File
   * grants), already at their numbers: a rule on the file itself. One
   * Landlock cannot name (a file of an internal mount: EBADFD) is still
   * written through its fd; only reopening it is refused. */
  for (int i = 0; i < p->nfds; i++) {
    int fd = p->fds[i].target, flags = fcntl(fd, F_GETFL);
    struct stat st;
    if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY || void_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) continue;
    if (landlock_rule(ruleset, fd, VOID_LANDLOCK_WRITE_FILE) < 0 && errno != EBADFD) die(c, "landlock_add_rule", "a granted file");
  }
  if (syscall(VOID_SYS_landlock_restrict_self, ruleset, 0) < 0) die(c, "landlock_restrict_self", "WRITE_FILE|REFER");
  close(ruleset);
}

/* ---- 10. credentials ---- */

static void drop_privileges(struct child_ctx *c) {
  /* Lock root out of capabilities: even uid 0 in the void gains nothing on
   * execve (SECBIT_NOROOT), and the bits cannot be changed back. */
  if (prctl(PR_SET_SECUREBITS,
            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) < 0)
    die(c, "prctl", "PR_SET_SECUREBITS");
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past CAP_LAST_CAP */
      die(c, "prctl", "PR_CAPBSET_DROP");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die(c, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) < 0) die(c, "capset", "(clear all)");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(c, "prctl", "PR_SET_NO_NEW_PRIVS");
}

/* ---- seccomp ---- */

/* Builds and installs the void's filter (src/plan/seccomp.ts decides the
 * allow-list and the argument rules; the plan parser checked the ranges;
 * native/seccomp_filter.h describes the program). Installed last, after
 * no_new_privs, so it also covers void-init. */
static void install_seccomp(struct child_ctx *c) {
  const struct void_plan *p = c->plan;
  if (!p->seccomp) return;
  struct sock_filter prog[VOID_FILTER_MAX_INSNS(p->seccomp_nranges, p->seccomp_nenosys)];
  struct sock_fprog fprog = {build_void_filter(p, prog), prog};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) die(c, "prctl", "PR_SET_SECCOMP");
}

/* ---- lifetime ---- */

/* The void dies with the launcher, even on SIGKILL. Set first, so the
 * whole set-up is covered; no later step changes credentials in a way that
 * clears it, and it survives execve of void-init. PR_SET_PDEATHSIG fires
 * when the creating *thread* exits: a libuv worker, which lives as long as
 * the process. If the launcher died before the prctl, give up now: the
 * launcher's own pidfd (opened once by the addon) is readable once it has
 * exited. (getppid() says 0 in a new PID namespace, and reading /proc
 * would need a free fd and a mounted /proc.) */
static void die_with_parent(struct child_ctx *c) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die(c, "prctl", "PR_SET_PDEATHSIG");
  struct pollfd pfd = {c->plan->launcher_pidfd, POLLIN, 0};
  if (c->plan->launcher_pidfd >= 0 && poll(&pfd, 1, 0) > 0) _exit(125);
}

/* A session of the void's own, with no controlling terminal: a terminal
 * fd that reached a void anyway (the launcher relays terminals through
 * pipes, src/orchestrator/streams.ts) is not its controlling terminal, so
 * the kernel refuses TIOCSTI on it and sends it no job-control signals,
 * and the terminal's own signals (^C, ^Z, hang-up) reach only the
 * launcher, which passes them on. bubblewrap's --new-session does the
 * same. The child is not a process-group leader (it was just cloned), so
 * setsid cannot fail with EPERM. */
static void new_session(struct child_ctx *c) {
  if (setsid() < 0) die(c, "setsid", "(a session of the void's own)");
}

/* A session keyring of the void's own (keyrings(7)). A process inherits
 * its parent's session keyring and possesses whatever is linked into it,
 * whatever its user namespace: without this, a void allowed to call keyctl
 * (SeccompUnconfined, or a Seccomp allow; the default filter refuses it)
 * could read the keys the user keeps in the launcher's session keyring —
 * Kerberos caches, fscrypt keys, and the plan cache's key wherever the
 * persistent keyring was linked there (native/cache_key.h) — and fill the
 * user's key quota in a keyring that outlives it. KEYCTL_JOIN_SESSION_KEYRING
 * without a name makes a new, empty, anonymous keyring. Failing (EDQUOT:
 * the user's key quota is full) stops the void, which must not run with
 * the launcher's; ENOSYS (no keyrings) and EPERM (a container's seccomp
 * profile, which the void inherits) mean it cannot reach any keyring
 * either. */
static void own_session_keyring(struct child_ctx *c) {
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS && errno != EPERM)
    die(c, "keyctl", "KEYCTL_JOIN_SESSION_KEYRING (a session keyring of the void's own)");
}

/* The inode numbers of the child's namespaces, for the launcher's log
 * (plan.h ns_ino), read from the host's /proc while it is still visible.
 * The memory is the spawning thread's (CLONE_VM), which waits for the
 * execve. The time namespace is the one void-init will be in. */
static void record_namespaces(struct child_ctx *c) {
  static const char *const names[8] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time_for_children"};
  for (int i = 0; i < 8; i++) {
    struct buf path = {.len = 0};
    buf_add(&path, "/proc/self/ns/");
    buf_add(&path, names[i]);
    struct stat st;
    c->plan->ns_ino[i] = void_stat(path.data, &st) == 0 ? (uint64_t)st.st_ino : 0;
  }
}

int void_child_main(void *arg) {
  struct child_ctx *c = arg;
  const struct void_plan *p = c->plan;
  reset_signals();
  drop_launcher_fds(c);
  die_with_parent(c);
  reset_scheduling(c);
  new_session(c);
  own_session_keyring(c);
  setup_id_maps(c);
  if ((p->options & PLAN_OPT_NEWTIME) && unshare(CLONE_NEWTIME) < 0) die(c, "unshare", "CLONE_NEWTIME");
  join_cgroups(c);
  /* The cgroup namespace, made in the void's own cgroup: /proc/self/cgroup
   * then shows "/" there, and nothing of the launcher's cgroup path. */
  if (unshare(CLONE_NEWCGROUP) < 0) die(c, "unshare", "CLONE_NEWCGROUP");
  if (p->options & PLAN_OPT_RECORD_NS) record_namespaces(c);
  int user_limits_dir = open_user_limits(c);
  make_mounts_private(c);
  enter_base(c);
  build_tree(c);
  enter_newroot(c);
  set_names(c);
  if (p->cwd != NULL) enter_cwd(c, p->cwd);
  if (p->options & PLAN_OPT_LOOPBACK) bring_up_loopback(c);
  open_connects(c);
  set_user_limits(c, user_limits_dir);
  place_fds(c);
  restrict_writes(c);
  drop_privileges(c);
  install_seccomp(c);

  /* void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH ARGV...: the
   * first six go in the slots plan_parse left before the entrypoint's argv
   * (in the plan's arena, which no other thread touches while this child
   * runs: the spawning thread waits for the execve). */
  const char **argv = p->init_argv;
  struct buf fdstr = {.len = 0}, optstr = {.len = 0}, factorystr = {.len = 0}, messagestr = {.len = 0};
  buf_add_int(&fdstr, c->status_fd);
  buf_add_int(&optstr, (long)p->options);
  buf_add_int(&factorystr, c->factory_fd);
  buf_add_int(&messagestr, c->message_fd);
  argv[0] = "void-init";
  argv[1] = fdstr.data;
  argv[2] = optstr.data;
  argv[3] = factorystr.data;
  argv[4] = messagestr.data;
  argv[5] = p->exec_path;
  syscall(SYS_execveat, c->init_fd, "", (char *const *)argv, (char *const *)p->envp, AT_EMPTY_PATH);
  die(c, "execveat", "void-init");
}
