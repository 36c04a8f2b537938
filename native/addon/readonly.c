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
 * Linux 5.2), detached: it is attached nowhere, in no namespace, and lives
 * as long as an fd refers to it. The launcher reopens it through
 * /proc/self/fd for every void, as it did the file itself.
 *
 *   - A launcher that may mount (root: CAP_SYS_ADMIN over its mount
 *     namespace) clones the very file it pinned, and marks the clone
 *     read-only with mount_setattr (Linux 5.12).
 *   - Otherwise (an unprivileged launcher: open_tree fails with EPERM) a
 *     helper does it: a child made with clone(2) in a new user and mount
 *     namespace, where it may mount, sharing the launcher's memory and fd
 *     table (CLONE_VM, CLONE_FILES) and suspending the calling thread
 *     until it exits (CLONE_VFORK). open_tree clones only a mount of the
 *     caller's own namespace, and the pinned fd is on the launcher's; so
 *     the helper opens the path in its copy of the launcher's tree,
 *     refusing any symlink (openat2 RESOLVE_NO_SYMLINKS), and proceeds
 *     only if that is the pinned file (device and inode): a file swapped
 *     in meanwhile fails the grant instead of being granted. The helper
 *     reads and opens only what the launcher could: its capabilities are
 *     its new namespace's and count for none of the host's files.
 *   - Without mount_setattr (Linux < 5.12), or with `legacy` (tests take
 *     this way on newer kernels), the helper attaches the clone over the
 *     file in its own mount namespace, made private first, and remounts
 *     it read-only (MS_REMOUNT|MS_BIND, repeating the flags the kernel
 *     locked). When the helper exits its namespace goes and the mount is
 *     detached, still read-only, held by the fd.
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

/* The Linux < 5.12 way: attach `tree` over the file (`at`) in this
 * namespace only, and remount it read-only through the tree's fd. */
static int remount_read_only(struct pin_helper *h, int tree, int at) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return helper_fail(h, errno, "mount (make / private)");
  if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) return helper_fail(h, errno, "move_mount");
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

static int helper_main(void *arg) {
  struct pin_helper *h = arg;
  struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, h->path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(h->path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return helper_fail(h, errno, "openat2");
  struct stat st;
  if (fstat(fd, &st) < 0) return helper_fail(h, errno, "fstat");
  if (st.st_dev != h->dev || st.st_ino != h->ino) return helper_fail(h, ESTALE, "openat2 (not the file the launcher opened: it was replaced)");
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) return helper_fail(h, errno, "open_tree");
  struct mount_attr_v0 attr = {.attr_set = PIN_ATTRS};
  if (!h->legacy && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) {
    close(fd);
    h->fd = tree;
    return 0;
  }
  if (!h->legacy && errno != ENOSYS) return helper_fail(h, errno, "mount_setattr");
  int failed = remount_read_only(h, tree, fd);
  close(fd);
  if (failed) {
    close(tree);
    return 1;
  }
  h->fd = tree;
  return 0;
}

/* Runs the helper; the clone of the file, or -1 with h->err and h->syscall set. */
static int run_helper(struct pin_helper *h) {
  void *stack = mmap(NULL, HELPER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    helper_fail(h, errno, "mmap (helper stack)");
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  h->fd = -1;
  pid_t pid = clone(helper_main, (char *)stack + HELPER_STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, h);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, HELPER_STACK_SIZE);
  if (pid < 0) {
    helper_fail(h, err, "clone (a user and mount namespace for the read-only mount)");
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
  if (fstat(pinned, &st) < 0) return throw_errno_path(env, errno, "fstat", path);
  if (!legacy) {
    int tree = (int)syscall(SYS_open_tree, pinned, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree >= 0) {
      struct mount_attr_v0 attr = {.attr_set = PIN_ATTRS};
      if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) {
        napi_create_int32(env, tree, &result);
        return result;
      }
      int err = errno;
      close(tree);
      if (err != ENOSYS) return throw_errno_path(env, err, "mount_setattr (read-only clone)", path);
    } else if (errno != EPERM) {
      return throw_errno_path(env, errno, "open_tree", path);
    }
  }
  struct pin_helper h = {.path = path, .dev = st.st_dev, .ino = st.st_ino, .legacy = legacy, .fd = -1, .err = 0, .syscall = NULL};
  if (run_helper(&h) < 0) return throw_errno_path(env, h.err, h.syscall, path);
  napi_create_int32(env, h.fd, &result);
  return result;
}
