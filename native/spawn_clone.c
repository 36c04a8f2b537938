/*
 * spawn_clone.c — the parent side of spawning a void: what runs on the
 * launcher's libuv worker thread (or bench/c/floor.c's thread) around the
 * clone. The child's code is native/void_spawn.c, kept apart so that what
 * it calls can be checked (test/unit/child-symbols.test.ts): this file may
 * use the C library freely, the child may not.
 *
 * The child shares this thread's memory (CLONE_VM) and runs on a stack of
 * its own, mapped here, until it execs; CLONE_VFORK suspends this thread
 * until then, which is also when the stack can be unmapped. Every signal
 * is blocked across the clone, so none of Node's handlers can run on the
 * child's stack before it has reset them (reset_signals in void_spawn.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "glibc_compat.h" /* pthread_sigmask at its first version: the glibc baseline */
#include "linux_compat.h"
#include "void_spawn.h"

#define CHILD_STACK_SIZE (256 * 1024)

int void_spawn(struct void_plan *plan, int *pidfd_out) {
  int pidfd = -1;
  struct child_ctx ctx = {
      .plan = plan, .status_fd = plan->status_fd, .init_fd = plan->init_fd, .factory_fd = -1, .message_fd = -1, .pidfd = &pidfd, .newroot_fd = -1};
  void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -errno;

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  /* Not CLONE_NEWCGROUP: the child makes its cgroup namespace once it is
   * in its own cgroup (void_spawn.c), so the namespace's root is that
   * cgroup, not the launcher's (whose path names the launcher's pid). */
  int flags =
      CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  pid_t pid = clone(void_child_main, (char *)stack + CHILD_STACK_SIZE, flags, &ctx, &pidfd);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, CHILD_STACK_SIZE);
  if (pid < 0) return -err;
  /* What the child could not write of its failure record (struct
   * child_ctx): nothing else writes to the pipe (the child died before
   * void-init), so the record arrives whole. */
  if (ctx.unsent_len > 0 && write(plan->status_fd, ctx.unsent, ctx.unsent_len) < 0) {
    /* The exit status (125) still says the making failed. */
  }
  *pidfd_out = pidfd;
  return pid;
}
