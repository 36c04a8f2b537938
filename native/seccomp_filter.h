/*
 * seccomp_filter.h — the BPF program of a void's seccomp filter, built from
 * a plan (src/plan/seccomp.ts decides the allow-list and the rules;
 * native/plan.c checked the ranges are well-formed and ascending). Shared
 * by native/void_spawn.c, which installs it, and bench/c/floor.c, the C
 * floor the benchmarks compare against, so both install the same program.
 *
 * The program, in order:
 *   1. a foreign architecture kills the process (no x32 or i386 entry
 *      around the list); x32 numbers get ENOSYS;
 *   2. a binary search over the allowed ranges; a number in none of them
 *      gets ENOSYS if the plan lists it so (clone3, openat2: libc falls
 *      back to calls the rules can inspect) or if it is past the highest
 *      number the plan's table knows (system calls newer than the list),
 *      else EPERM;
 *   3. an allowed call meets the argument rules the plan turns on (each
 *      compares the low 32 bits of an argument, which is what the kernel
 *      uses for an int or unsigned int argument: comparing all 64 bits is
 *      the CVE-2019-10063 pitfall, a TIOCSTI with high bits set; ptrace's
 *      request, a long, is compared whole), then is allowed.
 *
 * Why ranges searched as a tree: installing a filter makes the kernel run
 * it once per system call number to fill its action cache, so the cost of
 * installing is the cost of the search; ~300 allowed calls are ~30 ranges,
 * five comparisons deep.
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
#define NS_CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* The architecture the filter admits: the one this file is compiled for.
 * Only x86_64 plans carry a filter (src/plan/seccomp.ts has x86_64's table
 * of numbers; native/plan.c refuses a filter record elsewhere), but the
 * addon is built for aarch64 too, where a void runs unconfined. */
#if defined(__x86_64__)
#define VOID_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VOID_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp_filter.h: x86_64 and aarch64 only"
#endif

/* The kernel ABI values the rules compare against (fixed on x86_64, and
 * the same on aarch64). */
#define VF_TIOCSTI 0x5412u
#define VF_TIOCLINUX 0x541Cu
#define VF_O_CREAT 0100u
#define VF_O_TMPFILE 020000000u /* __O_TMPFILE: the bit O_TMPFILE adds to O_DIRECTORY */
#define VF_SUID_SGID 06000u
#define VF_AF_UNIX 1u
#define VF_AF_INET 2u
#define VF_AF_INET6 10u
#define VF_AF_NETLINK 16u
#define VF_NETLINK_ROUTE 0u
#define VF_SOCK_PACKET 10u
#define VF_SOCK_NONBLOCK 04000u
#define VF_SOCK_CLOEXEC 02000000u
#define VF_F_SETLEASE 1024u
#define VF_PTRACE_TRACEME 0u
#define VF_PTRACE_DETACH 17u

/* Room for the program of a plan: 6 fixed instructions, at most 6 per
 * range in the tree (a leaf of one range costs 4, an inner node 2), 2 per
 * ENOSYS number and 4 around them, 124 for the rules and the final return.
 * 144 + 6 * 512 + 2 * 64 < BPF_MAXINSNS (4096). */
#define VOID_FILTER_MAX_INSNS(nranges, nenosys) (144 + 6 * (nranges) + 2 * (nenosys))

struct void_filter_builder {
  struct sock_filter *prog;
  unsigned short n;
  /* Jumps from the tree's leaves to "allowed" and "not allowed", patched at the end. */
  unsigned short to_allowed[PLAN_MAX_SECCOMP_RANGES];
  unsigned short to_refused[PLAN_MAX_SECCOMP_RANGES];
  unsigned nleaves;
};

#define VOID_FILTER_EMIT(b, insn) ((b)->prog[(b)->n++] = (struct sock_filter)insn)
#define VF_RET(b, action) VOID_FILTER_EMIT(b, BPF_STMT(BPF_RET | BPF_K, (action)))
#define VF_ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define VF_LOAD_ARG(b, i) VOID_FILTER_EMIT(b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i])))
#define VF_JEQ(b, k, jt, jf) VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf)))
#define VF_JSET(b, k, jt, jf) VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (jt), (jf)))

/* Element i of an unaligned u32 array in the plan. */
static inline uint32_t void_filter_u32(const uint32_t *a, uint32_t i) {
  uint32_t v;
  memcpy(&v, a + i, sizeof v);
  return v;
}

/* A binary search over the allowed ranges [lo, hi), entered with the
 * number in the accumulator and known to be >= the first of range lo (or
 * lo == 0). A leaf of up to four ranges tests each: past its last, on to
 * the next; else at or after its first means allowed, before it refused
 * (the ranges ascend). Its two exits are BPF_JA to the allowed and refused
 * code, patched once their place is known; an inner node jumps to its
 * upper half with BPF_JA too, so no 8-bit offset depends on the list's
 * length. Recursion depth: log2(nranges). */
static inline void void_filter_tree(struct void_filter_builder *b, const struct void_plan *p, uint32_t lo, uint32_t hi) {
  if (hi - lo <= 4) {
    uint32_t m = hi - lo;
    for (uint32_t i = 0; i < m; i++) {
      uint32_t first = void_filter_u32(p->seccomp_ranges, 2 * (lo + i));
      uint32_t last = void_filter_u32(p->seccomp_ranges, 2 * (lo + i) + 1);
      /* JGT last: on to the next range (or, after the last, to "refused"). */
      VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, last, 1, 0));
      VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, first, (unsigned char)(2 * (m - i) - 1), (unsigned char)(2 * (m - i) - 2)));
    }
    b->to_refused[b->nleaves] = b->n;
    VOID_FILTER_EMIT(b, BPF_STMT(BPF_JMP | BPF_JA, 0));
    b->to_allowed[b->nleaves++] = b->n;
    VOID_FILTER_EMIT(b, BPF_STMT(BPF_JMP | BPF_JA, 0));
    return;
  }
  uint32_t mid = lo + (hi - lo) / 2;
  VOID_FILTER_EMIT(b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, void_filter_u32(p->seccomp_ranges, 2 * mid), 0, 1));
  unsigned short upper = b->n;
  VOID_FILTER_EMIT(b, BPF_STMT(BPF_JMP | BPF_JA, 0));
  void_filter_tree(b, p, lo, mid);
  b->prog[upper].k = (uint32_t)(b->n - upper - 1);
  void_filter_tree(b, p, mid, hi);
}

/* Call `nr` with any of `bits` in the low 32 bits of argument `arg` ->
 * EPERM, else allowed. */
static inline void void_filter_bits_rule(struct void_filter_builder *b, uint32_t nr, unsigned arg, uint32_t bits) {
  VF_JEQ(b, nr, 0, 4);
  VF_LOAD_ARG(b, arg);
  VF_JSET(b, bits, 0, 1);
  VF_RET(b, VF_ERRNO(EPERM));
  VF_RET(b, SECCOMP_RET_ALLOW);
}

/* Call `nr` with the low 32 bits of argument `arg` equal to `value` ->
 * EPERM, else allowed. */
static inline void void_filter_value_rule(struct void_filter_builder *b, uint32_t nr, unsigned arg, uint32_t value) {
  VF_JEQ(b, nr, 0, 4);
  VF_LOAD_ARG(b, arg);
  VF_JEQ(b, value, 0, 1);
  VF_RET(b, VF_ERRNO(EPERM));
  VF_RET(b, SECCOMP_RET_ALLOW);
}

/* open/openat: S_ISUID/S_ISGID in the mode matter only when the call
 * creates a file (O_CREAT, or O_TMPFILE, which makes an unnamed one). */
static inline void void_filter_open_rule(struct void_filter_builder *b, uint32_t nr, unsigned flags_arg, unsigned mode_arg) {
  VF_JEQ(b, nr, 0, 6);
  VF_LOAD_ARG(b, flags_arg);
  VF_JSET(b, VF_O_CREAT | VF_O_TMPFILE, 0, 3);
  VF_LOAD_ARG(b, mode_arg);
  VF_JSET(b, VF_SUID_SGID, 0, 1);
  VF_RET(b, VF_ERRNO(EPERM));
  VF_RET(b, SECCOMP_RET_ALLOW);
}

/* Writes the plan's program into prog (VOID_FILTER_MAX_INSNS entries) and
 * returns its length. */
static inline unsigned short build_void_filter(const struct void_plan *p, struct sock_filter *prog) {
  struct void_filter_builder b = {.prog = prog, .n = 0, .nleaves = 0};
  /* 1. architecture, x32 */
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VOID_AUDIT_ARCH, 1, 0));
  VF_RET(&b, SECCOMP_RET_KILL_PROCESS);
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
  VF_RET(&b, VF_ERRNO(ENOSYS));

  /* 2. the allow-list; with no range at all, everything is refused. */
  unsigned short no_ranges = 0xffff;
  if (p->seccomp_nranges > 0) {
    void_filter_tree(&b, p, 0, p->seccomp_nranges);
  } else {
    no_ranges = b.n;
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_JMP | BPF_JA, 0));
  }
  unsigned short refused = b.n;
  for (uint32_t i = 0; i < p->seccomp_nenosys; i++) {
    VF_JEQ(&b, void_filter_u32(p->seccomp_enosys, i), 0, 1);
    VF_RET(&b, VF_ERRNO(ENOSYS));
  }
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, p->seccomp_known_max, 0, 1));
  VF_RET(&b, VF_ERRNO(ENOSYS));
  VF_RET(&b, VF_ERRNO(EPERM));
  unsigned short allowed = b.n;
  for (unsigned i = 0; i < b.nleaves; i++) {
    b.prog[b.to_refused[i]].k = (uint32_t)(refused - b.to_refused[i] - 1);
    b.prog[b.to_allowed[i]].k = (uint32_t)(allowed - b.to_allowed[i] - 1);
  }
  if (no_ranges != 0xffff) b.prog[no_ranges].k = (uint32_t)(refused - no_ranges - 1);

  /* 3. argument rules; the accumulator holds the number until a rule for
   * that number loads an argument, after which the rule returns. */
  uint32_t rules = p->seccomp_rules;
  if (rules & SECCOMP_RULE_NS_CLONE) {
    void_filter_bits_rule(&b, SYS_clone, 0, NS_CLONE_FLAGS); /* low half of the flags: every CLONE_NEW* is there */
  }
  if (rules & SECCOMP_RULE_TTY_INJECT) {
    VF_JEQ(&b, SYS_ioctl, 0, 5);
    VF_LOAD_ARG(&b, 1);
    VF_JEQ(&b, VF_TIOCSTI, 2, 0);
    VF_JEQ(&b, VF_TIOCLINUX, 1, 0);
    VF_RET(&b, SECCOMP_RET_ALLOW);
    VF_RET(&b, VF_ERRNO(EPERM));
  }
  if (rules & SECCOMP_RULE_SUID) {
    /* chmod, creat, mkdir, mknod and open are x86_64's; aarch64 has only
     * the *at calls. */
#ifdef SYS_chmod
    void_filter_bits_rule(&b, SYS_chmod, 1, VF_SUID_SGID);
#endif
    void_filter_bits_rule(&b, SYS_fchmod, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, SYS_fchmodat, 2, VF_SUID_SGID);
#ifdef SYS_creat
    void_filter_bits_rule(&b, SYS_creat, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, SYS_mkdir, 1, VF_SUID_SGID);
#endif
    void_filter_bits_rule(&b, SYS_mkdirat, 2, VF_SUID_SGID);
#ifdef SYS_mknod
    void_filter_bits_rule(&b, SYS_mknod, 1, VF_SUID_SGID);
#endif
    void_filter_bits_rule(&b, SYS_mknodat, 2, VF_SUID_SGID);
#ifdef SYS_open
    void_filter_open_rule(&b, SYS_open, 1, 2);
#endif
    void_filter_open_rule(&b, SYS_openat, 2, 3);
  }
  if (rules & SECCOMP_RULE_SOCKET) {
    VF_JEQ(&b, SYS_socket, 0, 16);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_AF_UNIX, 13, 0);
    VF_JEQ(&b, VF_AF_INET6, 12, 0);
    VF_JEQ(&b, VF_AF_INET, 5, 0);
    VF_JEQ(&b, VF_AF_NETLINK, 1, 0);
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    VF_LOAD_ARG(&b, 2);
    VF_JEQ(&b, VF_NETLINK_ROUTE, 7, 0);
    VF_RET(&b, VF_ERRNO(EPROTONOSUPPORT));
    /* AF_INET with SOCK_PACKET (10): the kernel makes that a packet
     * socket, the family refused above; with or without SOCK_NONBLOCK
     * and SOCK_CLOEXEC. */
    VF_LOAD_ARG(&b, 1);
    VF_JEQ(&b, VF_SOCK_PACKET, 3, 0);
    VF_JEQ(&b, VF_SOCK_PACKET | VF_SOCK_NONBLOCK, 2, 0);
    VF_JEQ(&b, VF_SOCK_PACKET | VF_SOCK_CLOEXEC, 1, 0);
    VF_JEQ(&b, VF_SOCK_PACKET | VF_SOCK_NONBLOCK | VF_SOCK_CLOEXEC, 0, 1);
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    VF_RET(&b, SECCOMP_RET_ALLOW);
    VF_JEQ(&b, SYS_socketpair, 0, 4);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_AF_UNIX, 1, 0);
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_PERSONALITY) {
    /* Docker's list: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
     * and the query. ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the rest
     * weaken the address space of what the void execs next. */
    VF_JEQ(&b, SYS_personality, 0, 8);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, 0x0u, 5, 0);
    VF_JEQ(&b, 0x8u, 4, 0);
    VF_JEQ(&b, 0x20000u, 3, 0);
    VF_JEQ(&b, 0x20008u, 2, 0);
    VF_JEQ(&b, 0xffffffffu, 1, 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_HOST_SOCKETS) {
    /* The void may hold connected sockets of the host's network namespace:
     * no connect() at all (connect(AF_UNSPEC) then connect() re-aims a TCP
     * socket), no sendto() with a destination (a 64-bit pointer: both
     * halves must be 0). */
    VF_JEQ(&b, SYS_connect, 0, 1);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_JEQ(&b, SYS_sendto, 0, 6);
    VF_LOAD_ARG(&b, 4);
    VF_JEQ(&b, 0, 0, 2);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4));
    VF_JEQ(&b, 0, 1, 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_LEASES) {
    /* A lease makes every other open of the file wait (lease-break-time,
     * 45 s by default): the launcher's reopen of a File grant, host
     * writers of a read-only bound file. */
    void_filter_value_rule(&b, SYS_fcntl, 1, VF_F_SETLEASE);
  }
  if (rules & SECCOMP_RULE_INIT_LIMITS) {
    /* void-init (PID 1) shares the entrypoint's uid; its limits are not
     * the entrypoint's to change (RLIMIT_NOFILE 0 breaks its socket
     * factory). */
    void_filter_value_rule(&b, SYS_prlimit64, 0, 1);
  }
  if (rules & SECCOMP_RULE_DEBUG_PTRACE) {
    /* void run -d only (src/plan/seccomp.ts withDebugPtrace): void-init's
     * child asks to be traced by void-init (PTRACE_TRACEME), which, once
     * the execve has stopped it, lets it go stopped (PTRACE_DETACH with
     * SIGSTOP). No other request: a tracer that can only detach reads and
     * writes nothing of its tracee. The request is a long, so both halves
     * are compared: its high half must be 0. */
    VF_JEQ(&b, SYS_ptrace, 0, 7);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4));
    VF_JEQ(&b, 0, 0, 4);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_PTRACE_TRACEME, 1, 0);
    VF_JEQ(&b, VF_PTRACE_DETACH, 0, 1);
    VF_RET(&b, SECCOMP_RET_ALLOW);
    VF_RET(&b, VF_ERRNO(EPERM));
  }
  VF_RET(&b, SECCOMP_RET_ALLOW);
  return b.n;
}

#endif
