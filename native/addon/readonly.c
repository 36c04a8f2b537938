/*
 * readonly.c — a File grant's file, reached through a read-only mount.
 *
 *   pinReadOnly(fd, path[, legacy]) -> an O_PATH fd
 *
 * A void receives a File grant as an fd opened O_RDONLY by the launcher
 * (src/orchestrator/run.ts pinFile). O_RDONLY stops write(2) on that fd,
 * but not what the file's owner may do to the inode through any fd:
 * fchmod, futimens, fsetxattr, and, with Procfs, a reopen of
 * /proc/self/fd/N for writing, which checks the inode's mode and the
 * *mount* again. A void owns the file whenever its uid is the file's
 * owner: an unprivileged launcher granting one of its own files, or any
 * root-owned file under --host-root. So the fd a void gets must reach the
 * file through a mount of its own that is read-only (and nosuid, nodev,
 * noexec): every one of those then fails with EROFS, as on a read-only
 * bind.
 *
 * That mount is a clone of the file alone (open_tree OPEN_TREE_CLONE,
 * Linux 5.2), made read-only and then *buried*: a helper attaches it in a
 * mount namespace of its own and exits, and with its namespace gone the
 * mount belongs to no namespace at all, held only by the fd. No process
 * can change such a mount (mount_setattr, a remount, open_tree and
 * move_mount all refuse a mount outside every namespace). A clone left
 * detached in its anonymous namespace would not do: a void allowed to make
 * a user namespace (SeccompUnconfined) holds CAP_SYS_ADMIN over its own
 * mount namespace, which is enough for mount_setattr to clear the
 * read-only flag of a detached mount, for every void of the run at once.
 * The launcher reopens the file through /proc/self/fd for every void, as
 * it did the file itself.
 *
 * The helper is a child made with clone(2) in a new mount namespace (and,
 * for a launcher without CAP_SYS_ADMIN, a new user namespace, where it may
 * mount), sharing the launcher's memory and fd table (CLONE_VM,
 * CLONE_FILES) and suspending the calling thread until it exits
 * (CLONE_VFORK). It makes its tree private before anything else, so
 * nothing it does propagates anywhere. open_tree clones only a mount of
 * the caller's own namespace, and the pinned fd is on the launcher's; so
 * the helper opens the path in its copy of the launcher's tree, refusing
 * any symlink (openat2 RESOLVE_NO_SYMLINKS), and proceeds only if that is
 * the pinned file (device and inode): a file swapped in meanwhile fails
 * the grant instead of being granted. It reads and opens only what the
 * launcher could: a root launcher's helper stays in the host's user
 * namespace; an unprivileged launcher's has capabilities only in its new
 * one, which count for none of the host's files. The clone is made
 * read-only with mount_setattr (Linux 5.12) before it is attached, or,
 * without it (and with `legacy`, which tests take on newer kernels), by a
 * remount once attached (MS_REMOUNT|MS_BIND, repeating the flags the
 * kernel locked).
 *
 * The helper's code runs on a stack of its own in the launcher's memory:
 * it calls system-call wrappers only (no allocation, no stdio), as
 * native/void_spawn.c's child does, with every signal blocked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h> /* the ST_* flags statfs(2) reports in f_flags */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"
#include "../glibc_compat.h"
#include "../linux_compat.h"

#define PIN_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
#define HELPER_STACK_SIZE (64 * 1024)

struct pin_helper {
  const char *path;
  dev_t dev;
  ino_t ino;
  int legacy;
  int fd;              /* the result, in the shared fd table */
  int err;             /* errno of the step that failed, or 0 */
  const char *syscall; /* that step */
};

/* Notes what failed; 1, the helper's exit status. */
static int helper_fail(struct pin_helper *h, int err, const char *syscall) {
  h->err = err;
  h->syscall = syscall;
  return 1;
}

/* "/proc/self/fd/N" into buf, without stdio. */
static void self_fd_path(char *buf, int fd) {
  static const char prefix[] = "/proc/self/fd/";
  memcpy(buf, prefix, sizeof prefix - 1);
  char digits[16];
  int n = 0;
  do {
    digits[n++] = (char)('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  char *p = buf + sizeof prefix - 1;
  while (n > 0) *p++ = digits[--n];
  *p = 0;
}

/* Remounts the attached clone `tree` read-only through its fd (Linux < 5.12). */
static int remount_read_only(struct pin_helper *h, int tree) {
  char self[32];
  self_fd_path(self, tree);
  struct statfs st;
  if (statfs(self, &st) < 0) return helper_fail(h, errno, "statfs");
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) flags |= MS_RELATIME;
  if (mount(NULL, self, NULL, flags, NULL) < 0) return helper_fail(h, errno, "mount (remount read-only)");
  return 0;
}

/* Clones the file at `at` (an O_PATH fd of it in this namespace), makes
 * the clone read-only and attaches it over the file; the clone's fd, or -1. */
static int bury_clone(struct pin_helper *h, int at) {
  int tree = (int)syscall(SYS_open_tree, at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) {
    helper_fail(h, errno, "open_tree");
    return -1;
  }
  struct mount_attr_v0 attr = {.attr_set = PIN_ATTRS};
  int remount = h->legacy;
  if (!remount && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    if (errno != ENOSYS) {
      helper_fail(h, errno, "mount_setattr");
      close(tree);
      return -1;
    }
    remount = 1;
  }
  if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    helper_fail(h, errno, "move_mount");
    close(tree);
    return -1;
  }
  if (remount && remount_read_only(h, tree)) {
    close(tree);
    return -1;
  }
  return tree;
}

static int helper_main(void *arg) {
  struct pin_helper *h = arg;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return helper_fail(h, errno, "mount (make / private)");
  struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, h->path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(h->path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return helper_fail(h, errno, "openat2");
  struct stat st;
  int tree = -1;
  if (void_fstat(fd, &st) < 0)
    helper_fail(h, errno, "fstat");
  else if (st.st_dev != h->dev || st.st_ino != h->ino)
    helper_fail(h, ESTALE, "openat2 (not the file the launcher opened: it was replaced)");
  else
    tree = bury_clone(h, fd);
  close(fd);
  h->fd = tree;
  return tree < 0;
}

/* Runs the helper with clone `flags` (besides the shared ones); the buried clone, or -1 with h->err and h->syscall set. */
static int run_helper(struct pin_helper *h, int flags) {
  void *stack = mmap(NULL, HELPER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    helper_fail(h, errno, "mmap (helper stack)");
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  h->fd = -1;
  h->err = 0;
  pid_t pid = clone(helper_main, (char *)stack + HELPER_STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWNS | flags | SIGCHLD, h);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, HELPER_STACK_SIZE);
  if (pid < 0) {
    helper_fail(
        h, err,
        flags & CLONE_NEWUSER ? "clone (a user and mount namespace for the read-only mount)" : "clone (a mount namespace for the read-only mount)");
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (h->fd < 0 && h->err == 0) helper_fail(h, ECHILD, "clone (the helper died)");
  return h->fd;
}

napi_value js_pin_read_only(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3], result;
  char path[4096];
  size_t len;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int pinned = arg_int(env, argv[0]);
  CHECK(env, napi_get_value_string_utf8(env, argv[1], path, sizeof path, &len));
  bool legacy = false;
  if (argc >= 3) napi_get_value_bool(env, argv[2], &legacy);
  struct stat st;
  if (void_fstat(pinned, &st) < 0) return throw_errno_path(env, errno, "fstat", path);
  struct pin_helper h = {.path = path, .dev = st.st_dev, .ino = st.st_ino, .legacy = legacy, .fd = -1, .err = 0, .syscall = NULL};
  /* A launcher that may mount (root) keeps its own user namespace, and with it its access to every host file; any
   * other needs a user namespace of its own to mount in. */
  int fd = run_helper(&h, 0);
  if (fd < 0 && h.err == EPERM && h.syscall != NULL && strncmp(h.syscall, "clone", 5) == 0) fd = run_helper(&h, CLONE_NEWUSER);
  if (fd < 0) return throw_errno_path(env, h.err, h.syscall, path);
  napi_create_int32(env, fd, &result);
  return result;
}
