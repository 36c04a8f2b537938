/*
 * seccomp_filter.h — the BPF program of a void's seccomp filter, built from
 * a plan (src/plan/seccomp.ts decides the list; native/plan.c checked it is
 * strictly ascending). Shared by native/void_spawn.c, which installs it,
 * and bench/c/floor.c, the C floor the benchmarks compare against, so both
 * install the same program.
 *
 * The program: a foreign architecture kills the process (no x32 or i386
 * entry around the list); x32 numbers get ENOSYS; each listed call fails
 * with EPERM; with SECCOMP_DENY_NS_CLONE, clone() with a namespace flag
 * fails with EPERM and clone3() with ENOSYS (its flags live in memory the
 * filter cannot read; libc then falls back to clone()); everything else is
 * allowed.
 *
 * Why the list is searched as a binary tree and not in a line: installing
 * a filter makes the kernel run it once per system call number to fill its
 * action cache, and with a linear list of ~60 numbers that, not the JIT,
 * was most of the cost: a tree cut the prctl(PR_SET_SECCOMP) of the
 * default filter from ~105 to ~62 µs on this project's machine (a trivial
 * filter costs ~28 µs).
 *
 * Only memcpy and stack memory: it runs in the CLONE_VM child of the addon,
 * where nothing may allocate.
 */
#ifndef VOID_SECCOMP_FILTER_H
#define VOID_SECCOMP_FILTER_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "plan.h"

/* Namespace flags a clone() may not carry under the default filter.
 * (CLONE_NEWTIME is 0x80, inside clone()'s exit-signal byte: clone() cannot
 * create a time namespace at all.) */
#define NS_CLONE_FLAGS \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Room for the program of a plan denying `count` calls: 6 fixed
 * instructions before the tree, at most 3 * count + 2 in it, 7 after. */
#define VOID_FILTER_MAX_INSNS(count) (16 + 3 * (count))

struct void_filter_builder {
  struct sock_filter *prog;
  unsigned short n;
  /* Jumps from the tree's leaves to the code after it, patched at the end. */
  unsigned short rest[PLAN_MAX_SECCOMP];
  unsigned nrest;
};

#define VOID_FILTER_EMIT(b, insn) ((b)->prog[(b)->n++] = (struct sock_filter)insn)

/* The i-th denied system call number (the plan's array may be unaligned). */
static inline uint32_t void_filter_deny_nr(const struct void_plan *p, uint32_t i) {
  uint32_t nr;
  memcpy(&nr, p->seccomp_deny + i, sizeof nr);
  return nr;
}

/* A binary search over the sorted deny list [lo, hi): EPERM when the number
 * in the accumulator is one of them, else a jump to the rest. Leaves of up
 * to four numbers share one return; an inner node jumps to its upper half
 * with BPF_JA (a 32-bit offset), so no 8-bit offset depends on the list's
 * length. Leaves hold at least two numbers (a split of more than four
 * leaves two or more on each side), hence at most 3 * count + 2
 * instructions. Recursion depth: log2(count). */
static inline void void_filter_tree(struct void_filter_builder *b, const struct void_plan *p, uint32_t lo, uint32_t hi) {
  if (hi - lo <= 4) {
    for (uint32_t i = lo; i < hi; i++)
      VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, void_filter_deny_nr(p, i), (unsigned char)(hi - i), 0));
    b->rest[b->nrest++] = b->n;
    VOID_FILTER_EMIT(b, BPF_STMT(BPF_JMP | BPF_JA, 0));
    VOID_FILTER_EMIT(b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    return;
  }
  uint32_t mid = lo + (hi - lo) / 2;
  VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, void_filter_deny_nr(p, mid), 0, 1));
  unsigned short upper = b->n;
  VOID_FILTER_EMIT(b, BPF_STMT(BPF_JMP | BPF_JA, 0));
  void_filter_tree(b, p, lo, mid);
  b->prog[upper].k = (uint32_t)(b->n - upper - 1);
  void_filter_tree(b, p, mid, hi);
}

/* Writes the plan's program into prog (VOID_FILTER_MAX_INSNS(count)
 * entries) and returns its length. */
static inline unsigned short build_void_filter(const struct void_plan *p, struct sock_filter *prog) {
  struct void_filter_builder b = {.prog = prog, .n = 0, .nrest = 0};
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1)); /* x32 system calls */
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  if (p->seccomp_count > 0) void_filter_tree(&b, p, 0, p->seccomp_count);
  for (unsigned i = 0; i < b.nrest; i++) b.prog[b.rest[i]].k = (uint32_t)(b.n - b.rest[i] - 1);
  if (p->seccomp_flags & SECCOMP_DENY_NS_CLONE) {
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))); /* low half of flags */
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_CLONE_FLAGS, 0, 1));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
  }
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return b.n;
}

#endif
