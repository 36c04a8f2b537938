/*
 * clone_exit.h — one clone3 whose child exits at once: the unit of the
 * per-namespace cost benchmark. Shared by bench/c/ns_cost.c (the C floor)
 * and the benchmark addon's cloneExit (bench/c/clone_exit_addon.c: the
 * same clone made from Node), so both measure exactly the same system
 * call.
 *
 * On x86_64 it is CLONE_VM|CLONE_VFORK|flags, as void_spawn.c clones (the
 * posix_spawn way): the caller resumes when the child is gone, and the
 * child makes exit_group(0) straight from the syscall's return, touching no
 * memory (it shares ours) — hence the inline assembly. clone3 carries
 * CLONE_NEWTIME, which clone() cannot. Elsewhere, a fork-like clone3 (the
 * child gets a copy of the caller instead of sharing it).
 *
 * Include it after defining _GNU_SOURCE (for CLONE_VM in <sched.h>).
 */
#ifndef VOID_CLONE_EXIT_H
#define VOID_CLONE_EXIT_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* STACK is the lowest byte of a region of STACK_SIZE bytes (clone3 computes
 * the top itself). Returns the child's pid, or -errno. */
static inline long void_clone_exit(uint64_t flags, void *stack, size_t stack_size) {
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
#if defined(__x86_64__)
  args.flags = CLONE_VM | CLONE_VFORK | flags;
  args.stack = (uint64_t)(uintptr_t)stack;
  args.stack_size = stack_size;
  long ret;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "mov $231, %%eax\n\t" /* exit_group(0) in the child */
      "xor %%edi, %%edi\n\t"
      "syscall\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"((long)SYS_clone3), "D"(&args), "S"(sizeof args)
      : "rcx", "r11", "memory");
  return ret;
#else
  (void)stack;
  (void)stack_size;
  args.flags = flags;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  return pid < 0 ? -errno : pid;
#endif
}

#endif
