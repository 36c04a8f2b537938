/*
 * seccomp_filter.h — the BPF program of a void's seccomp filter, built from
 * a plan (src/plan/seccomp.ts decides the allow-list and the rules;
 * native/plan.c checked the ranges are well-formed and ascending). Shared
 * by native/void_spawn.c, which installs it, and bench/c/floor.c, the C
 * floor the benchmarks compare against, so both install the same program.
 *
 * A plan's numbers are those of one architecture, x86_64 or aarch64 (its
 * seccomp_arch: native/plan.c accepted it only if it is the one this file
 * is compiled for); the program admits that architecture only and takes
 * the numbers of its argument rules from that architecture's table below,
 * so a filter for either can be built, and is checked
 * (test/c/seccomp_filter_test.c), on any machine.
 *
 * The program, in order:
 *   1. a foreign architecture kills the process (no x32 or i386 entry
 *      around the list on x86_64, no AArch32 one on aarch64); x32 numbers
 *      get ENOSYS (on aarch64 no call has such a number either);
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

/* Flags a clone() may not carry under the default filter: the namespace
 * flags, and CLONE_UNTRACED, with which a child escapes a tracer of its
 * parent (forktop, `void run -d`'s stop): the kernel neither reports nor
 * attaches it (outside attack 52; no program but a kernel thread's maker
 * needs it). (CLONE_NEWTIME is 0x80, inside clone()'s exit-signal byte:
 * clone() cannot create a time namespace at all.) */
#define NS_CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_UNTRACED)

/* The system calls the argument rules inspect, and their numbers on each
 * architecture, written out (x86_64's own table; aarch64's is the kernel's
 * asm-generic one) so that either filter can be built anywhere. -1: the
 * architecture has no such call (aarch64 has only the *at forms of chmod,
 * mkdir, mknod and open, and no creat). The numbers of the architecture
 * compiled for are checked against its <sys/syscall.h> below, and both
 * tables against src/spec/syscalls.ts by test/unit/seccomp-filter.test.ts.
 * The arguments the rules read are at the same positions on both:
 * clone's flags are its first argument everywhere (aarch64 is
 * CLONE_BACKWARDS, which swaps only the tls and child_tid arguments);
 * ioctl(fd, request), fchmod(fd, mode), fchmodat(dirfd, path, mode),
 * mkdirat(dirfd, path, mode), mknodat(dirfd, path, mode, dev),
 * openat(dirfd, path, flags, mode), socket(family, type, protocol),
 * socketpair(family, ...), personality(persona), sendto(fd, buf, len,
 * flags, dest, addrlen), sendmsg(fd, msg, flags), sendmmsg(fd, msgs,
 * vlen, flags), fcntl(fd, cmd), prlimit64(pid, ...),
 * ptrace(request, ...), shmctl(id, cmd, buf), setsockopt(fd, level,
 * optname, ...), mmap(addr, length, prot, flags, ...), memfd_create(name,
 * flags), shmget(key, size, shmflg), prctl(option, ...), madvise(addr,
 * length, advice), fadvise64(fd, offset, len, advice) (aarch64's is
 * fadvise64_64 under that name: one 64-bit offset and length each, so the
 * same positions), preadv2/pwritev2(fd, iov, iovcnt, pos_l, pos_h, flags)
 * (both split the position in two halves, whatever the word size). */
/* clang-format off */
#define VF_RULE_CALLS(X) \
  X(clone) \
  X(ioctl) \
  X(chmod) \
  X(fchmod) \
  X(fchmodat) \
  X(creat) \
  X(mkdir) \
  X(mkdirat) \
  X(mknod) \
  X(mknodat) \
  X(open) \
  X(openat) \
  X(socket) \
  X(socketpair) \
  X(personality) \
  X(connect) \
  X(sendto) \
  X(sendmsg) \
  X(sendmmsg) \
  X(fcntl) \
  X(prlimit64) \
  X(ptrace) \
  X(shmctl) \
  X(setsockopt) \
  X(mmap) \
  X(memfd_create) \
  X(shmget) \
  X(prctl) \
  X(madvise) \
  X(fadvise64) \
  X(preadv2) \
  X(pwritev2)
/* clang-format on */

#define VF_X86_64_clone 56
#define VF_X86_64_ioctl 16
#define VF_X86_64_chmod 90
#define VF_X86_64_fchmod 91
#define VF_X86_64_fchmodat 268
#define VF_X86_64_creat 85
#define VF_X86_64_mkdir 83
#define VF_X86_64_mkdirat 258
#define VF_X86_64_mknod 133
#define VF_X86_64_mknodat 259
#define VF_X86_64_open 2
#define VF_X86_64_openat 257
#define VF_X86_64_socket 41
#define VF_X86_64_socketpair 53
#define VF_X86_64_personality 135
#define VF_X86_64_connect 42
#define VF_X86_64_sendto 44
#define VF_X86_64_sendmsg 46
#define VF_X86_64_sendmmsg 307
#define VF_X86_64_fcntl 72
#define VF_X86_64_prlimit64 302
#define VF_X86_64_ptrace 101
#define VF_X86_64_shmctl 31
#define VF_X86_64_setsockopt 54
#define VF_X86_64_mmap 9
#define VF_X86_64_memfd_create 319
#define VF_X86_64_shmget 29
#define VF_X86_64_prctl 157
#define VF_X86_64_madvise 28
#define VF_X86_64_fadvise64 221
#define VF_X86_64_preadv2 327
#define VF_X86_64_pwritev2 328

#define VF_AARCH64_clone 220
#define VF_AARCH64_ioctl 29
#define VF_AARCH64_chmod (-1)
#define VF_AARCH64_fchmod 52
#define VF_AARCH64_fchmodat 53
#define VF_AARCH64_creat (-1)
#define VF_AARCH64_mkdir (-1)
#define VF_AARCH64_mkdirat 34
#define VF_AARCH64_mknod (-1)
#define VF_AARCH64_mknodat 33
#define VF_AARCH64_open (-1)
#define VF_AARCH64_openat 56
#define VF_AARCH64_socket 198
#define VF_AARCH64_socketpair 199
#define VF_AARCH64_personality 92
#define VF_AARCH64_connect 203
#define VF_AARCH64_sendto 206
#define VF_AARCH64_sendmsg 211
#define VF_AARCH64_sendmmsg 269
#define VF_AARCH64_fcntl 25
#define VF_AARCH64_prlimit64 261
#define VF_AARCH64_ptrace 117
#define VF_AARCH64_shmctl 195
#define VF_AARCH64_setsockopt 208
#define VF_AARCH64_mmap 222
#define VF_AARCH64_memfd_create 279
#define VF_AARCH64_shmget 194
#define VF_AARCH64_prctl 167
#define VF_AARCH64_madvise 233
#define VF_AARCH64_fadvise64 223
#define VF_AARCH64_preadv2 286
#define VF_AARCH64_pwritev2 287

/* One architecture of a filter: the plan's name for it, the kernel's
 * (seccomp_data.arch), and the numbers of the calls the rules inspect. */
struct void_filter_arch {
  uint32_t plan_arch;
  uint32_t audit_arch;
#define VF_FIELD(name) int32_t name;
  VF_RULE_CALLS(VF_FIELD)
#undef VF_FIELD
};

/* The architecture of a plan's numbers (PLAN_SECCOMP_ARCH_*), or NULL. */
static inline const struct void_filter_arch *void_filter_arch_of(uint32_t plan_arch) {
#define VF_X86_64_INIT(name) .name = VF_X86_64_##name,
#define VF_AARCH64_INIT(name) .name = VF_AARCH64_##name,
  static const struct void_filter_arch arches[] = {
      {.plan_arch = PLAN_SECCOMP_ARCH_X86_64, .audit_arch = AUDIT_ARCH_X86_64, VF_RULE_CALLS(VF_X86_64_INIT)},
      {.plan_arch = PLAN_SECCOMP_ARCH_AARCH64, .audit_arch = AUDIT_ARCH_AARCH64, VF_RULE_CALLS(VF_AARCH64_INIT)},
  };
#undef VF_X86_64_INIT
#undef VF_AARCH64_INIT
  for (unsigned i = 0; i < sizeof arches / sizeof arches[0]; i++)
    if (arches[i].plan_arch == plan_arch) return &arches[i];
  return NULL;
}

/* The table of the architecture compiled for must be its <sys/syscall.h>
 * (a call the table says is absent must be absent there too). */
#if defined(__x86_64__)
#define VF_HOST(name) VF_X86_64_##name
#elif defined(__aarch64__)
#define VF_HOST(name) VF_AARCH64_##name
#else
#error "seccomp_filter.h: x86_64 and aarch64 only"
#endif
#define VF_CHECK(name) _Static_assert(VF_HOST(name) == SYS_##name, "seccomp_filter.h: the number of " #name " is not <sys/syscall.h>'s")
#define VF_CHECK_ABSENT(name) _Static_assert(VF_HOST(name) == -1, "seccomp_filter.h: " #name " exists on this architecture")
VF_CHECK(clone);
VF_CHECK(ioctl);
#ifdef SYS_chmod
VF_CHECK(chmod);
#else
VF_CHECK_ABSENT(chmod);
#endif
VF_CHECK(fchmod);
VF_CHECK(fchmodat);
#ifdef SYS_creat
VF_CHECK(creat);
#else
VF_CHECK_ABSENT(creat);
#endif
#ifdef SYS_mkdir
VF_CHECK(mkdir);
#else
VF_CHECK_ABSENT(mkdir);
#endif
VF_CHECK(mkdirat);
#ifdef SYS_mknod
VF_CHECK(mknod);
#else
VF_CHECK_ABSENT(mknod);
#endif
VF_CHECK(mknodat);
#ifdef SYS_open
VF_CHECK(open);
#else
VF_CHECK_ABSENT(open);
#endif
VF_CHECK(openat);
VF_CHECK(socket);
VF_CHECK(socketpair);
VF_CHECK(personality);
VF_CHECK(connect);
VF_CHECK(sendto);
VF_CHECK(sendmsg);
VF_CHECK(sendmmsg);
VF_CHECK(fcntl);
VF_CHECK(prlimit64);
VF_CHECK(ptrace);
VF_CHECK(shmctl);
VF_CHECK(setsockopt);
VF_CHECK(mmap);
VF_CHECK(memfd_create);
VF_CHECK(shmget);
VF_CHECK(prctl);
VF_CHECK(madvise);
VF_CHECK(fadvise64);
VF_CHECK(preadv2);
VF_CHECK(pwritev2);
#undef VF_CHECK
#undef VF_CHECK_ABSENT

/* The kernel ABI values the rules compare against: the same on x86_64 and
 * aarch64 (which uses the asm-generic ioctl, fcntl and socket values; O_CREAT
 * and __O_TMPFILE are not among the open flags arm64 redefines).
 * test/c/seccomp_abi_check.c checks them against each target's headers. */
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
#define VF_SOCK_STREAM 1u
#define VF_SOCK_DGRAM 2u
#define VF_SOCK_RAW 3u
#define VF_IPPROTO_ICMP 1u
#define VF_IPPROTO_TCP 6u
#define VF_IPPROTO_UDP 17u
#define VF_IPPROTO_ICMPV6 58u
#define VF_SOCK_SEQPACKET 5u
#define VF_MSG_FASTOPEN 0x20000000u /* sendmsg flags: connect with the message (TCP Fast Open) */
#define VF_SOCK_PACKET 10u
#define VF_SOCK_NONBLOCK 04000u
#define VF_SOCK_CLOEXEC 02000000u
#define VF_F_SETLEASE 1024u
#define VF_SIOC_NETDEV_FIRST 0x8910u /* SIOCGIFNAME: interface, ARP, bridge, device-private ioctls */
#define VF_SIOC_NETDEV_LAST 0x89ffu
#define VF_SIOC_WIRELESS_FIRST 0x8b00u /* SIOCIWFIRST: wireless extensions */
#define VF_SIOC_WIRELESS_LAST 0x8bffu
#define VF_PTRACE_TRACEME 0u
#define VF_PTRACE_DETACH 17u
#define VF_SHM_LOCK 11u
#define VF_SOL_SOCKET 1u
#define VF_SO_ZEROCOPY 60u
#define VF_SO_PASSPIDFD 76u /* Linux 6.5 */
#define VF_SO_REUSEPORT 15u
#define VF_SO_ATTACH_REUSEPORT_CBPF 51u
#define VF_SO_ATTACH_REUSEPORT_EBPF 52u
#define VF_IPC_64 0x100u /* <linux/ipc.h> IPC_64 (which the C library headers keep to themselves) */
#define VF_MAP_HUGETLB 0x40000u
#define VF_MFD_HUGETLB 4u
#define VF_SHM_HUGETLB 04000u
#define VF_PR_SET_MEMORY_MERGE 67u /* Linux 6.4 */
#define VF_MADV_MERGEABLE 12u
#define VF_POSIX_FADV_DONTNEED 4u
#define VF_MADV_COLD 20u    /* Linux 5.4 */
#define VF_MADV_PAGEOUT 21u /* Linux 5.4 */
#define VF_RWF_NOWAIT 0x8u

/* Room for the program of a plan: 6 fixed instructions, at most 6 per
 * range in the tree (a leaf of one range costs 4, an inner node 2), 2 per
 * ENOSYS number and 4 around them, 238 for the rules and the final return.
 * 258 + 6 * 512 + 2 * 64 < BPF_MAXINSNS (4096). test/c/seccomp_filter_test.c
 * checks every program against this bound, every rule included. */
#define VOID_FILTER_MAX_INSNS(nranges, nenosys) (258 + 6 * (nranges) + 2 * (nenosys))

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

/* A JEQ whose targets are labels placed later (or -1: the next
 * instruction), patched once they are known: an 8-bit forward offset. */
struct void_filter_fixup {
  unsigned short at;
  signed char jt, jf;
};
static inline void void_filter_jeq_to(struct void_filter_builder *b, struct void_filter_fixup *fix, unsigned *nfix, uint32_t k, int jt, int jf) {
  fix[(*nfix)++] = (struct void_filter_fixup){.at = b->n, .jt = (signed char)jt, .jf = (signed char)jf};
  VF_JEQ(b, k, 0, 0);
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
 * returns its length. A plan of an unknown architecture (native/plan.c
 * refuses it before) gets a program that kills at the first call. */
static inline unsigned short build_void_filter(const struct void_plan *p, struct sock_filter *prog) {
  struct void_filter_builder b = {.prog = prog, .n = 0, .nleaves = 0};
  const struct void_filter_arch *a = void_filter_arch_of(p->seccomp_arch);
  if (a == NULL) {
    VF_RET(&b, SECCOMP_RET_KILL_PROCESS);
    return b.n;
  }
  /* 1. architecture, x32 */
  VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a->audit_arch, 1, 0));
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
    /* clone's flags are its first argument on both architectures; their low
     * half holds every CLONE_NEW*. */
    void_filter_bits_rule(&b, (uint32_t)a->clone, 0, NS_CLONE_FLAGS);
  }
  if (rules & SECCOMP_RULE_HOST_SOCKETS) {
    /* A socket of the host's network namespace answers for that namespace:
     * no interface, ARP or bridge queries on it (SIOCGIFCONF, SIOCGIFHWADDR,
     * SIOCGARP... 0x8910-0x89ff; wireless 0x8b00-0x8bff): they tell the
     * host's interfaces, addresses and MAC addresses. The socket ioctls a
     * program uses (FIONREAD, SIOCATMARK, SIOCGSTAMP, below 0x8910) stay.
     * Then the accumulator holds the number again. */
    VF_JEQ(&b, (uint32_t)a->ioctl, 0, 6);
    VF_LOAD_ARG(&b, 1);
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, VF_SIOC_NETDEV_FIRST, 0, 4));
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, VF_SIOC_WIRELESS_LAST, 3, 0));
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, VF_SIOC_NETDEV_LAST, 0, 1));
    VOID_FILTER_EMIT(&b, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, VF_SIOC_WIRELESS_FIRST, 0, 1));
    VF_RET(&b, VF_ERRNO(EPERM));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  }
  if (rules & SECCOMP_RULE_MODULE_IOCTLS) {
    /* The socket ioctls the kernel answers by loading a module for any
     * caller, before any capability check (sock_ioctl: "bridge" for
     * SIOCGIFBR, SIOCSIFBR, SIOCBRADDBR, SIOCBRDELBR, "8021q" for
     * SIOCGIFVLAN, SIOCSIFVLAN, "dlci" for SIOCADDDLCI, SIOCDELDLCI on
     * kernels that still have it), and the bridge's SIOCBRADDIF,
     * SIOCBRDELIF: code the host never chose to load. Then the
     * accumulator holds the number again. */
    static const uint32_t module_ioctls[] = {0x8940u, 0x8941u, 0x8980u, 0x8981u, 0x8982u, 0x8983u, 0x89a0u, 0x89a1u, 0x89a2u, 0x89a3u};
    const unsigned nmod = sizeof module_ioctls / sizeof module_ioctls[0];
    VF_JEQ(&b, (uint32_t)a->ioctl, 0, (unsigned char)(nmod + 3));
    VF_LOAD_ARG(&b, 1);
    for (unsigned i = 0; i < nmod; i++) VF_JEQ(&b, module_ioctls[i], (unsigned char)(nmod - i), 0);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_JMP | BPF_JA, 1));
    VF_RET(&b, VF_ERRNO(EPERM));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  }
  if (rules & SECCOMP_RULE_TTY_INJECT) {
    VF_JEQ(&b, (uint32_t)a->ioctl, 0, 5);
    VF_LOAD_ARG(&b, 1);
    VF_JEQ(&b, VF_TIOCSTI, 2, 0);
    VF_JEQ(&b, VF_TIOCLINUX, 1, 0);
    VF_RET(&b, SECCOMP_RET_ALLOW);
    VF_RET(&b, VF_ERRNO(EPERM));
  }
  if (rules & SECCOMP_RULE_SUID) {
    /* chmod, creat, mkdir, mknod and open are x86_64's; aarch64 has only
     * the *at calls (and fchmod). */
    if (a->chmod >= 0) void_filter_bits_rule(&b, (uint32_t)a->chmod, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, (uint32_t)a->fchmod, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, (uint32_t)a->fchmodat, 2, VF_SUID_SGID);
    if (a->creat >= 0) void_filter_bits_rule(&b, (uint32_t)a->creat, 1, VF_SUID_SGID);
    if (a->mkdir >= 0) void_filter_bits_rule(&b, (uint32_t)a->mkdir, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, (uint32_t)a->mkdirat, 2, VF_SUID_SGID);
    if (a->mknod >= 0) void_filter_bits_rule(&b, (uint32_t)a->mknod, 1, VF_SUID_SGID);
    void_filter_bits_rule(&b, (uint32_t)a->mknodat, 2, VF_SUID_SGID);
    if (a->open >= 0) void_filter_open_rule(&b, (uint32_t)a->open, 1, 2);
    void_filter_open_rule(&b, (uint32_t)a->openat, 2, 3);
  }
  if (rules & SECCOMP_RULE_HOST_SOCKETS) {
    /* ... and no AF_UNIX socket of its own: with one it could pass what it
     * holds (SCM_RIGHTS, which no filter can read) to a void without this
     * rule through a socket file in a directory both see, and that void
     * could re-aim it. Nor a datagram socketpair(): a connected datagram
     * socket still sends to any address sendmsg() names. Stream and
     * seqpacket pairs stay: their ends only reach each other, and leave
     * the void only through the fds it already holds (seqpacket sockets
     * ignore a name). Then the accumulator holds the number again for the
     * rules below. */
    VF_JEQ(&b, (uint32_t)a->socket, 0, 4);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_AF_UNIX, 0, 1);
    VF_RET(&b, VF_ERRNO(EPERM));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    VF_JEQ(&b, (uint32_t)a->socketpair, 0, 6);
    VF_LOAD_ARG(&b, 1);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(VF_SOCK_NONBLOCK | VF_SOCK_CLOEXEC)));
    VF_JEQ(&b, VF_SOCK_STREAM, 2, 0);
    VF_JEQ(&b, VF_SOCK_SEQPACKET, 1, 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  }
  if (rules & SECCOMP_RULE_SOCKET) {
    /* socket(): unix, IP and route netlink only; for IP, the kernel's own
     * protocols only — TCP for a stream socket, UDP or ICMP ping for a
     * datagram one, protocol 0 for either. Any other type or protocol
     * makes the kernel look for a module that provides it (inet_create's
     * request_module("net-pf-2-proto-132-type-1"): SCTP, DCCP, L2TP…),
     * which loads for any caller where modules load on demand: code the
     * host never chose to run, and the kind its exploits were found in.
     * A raw socket needs CAP_NET_RAW, which no void has (EPERM, as the
     * kernel would say). Jumps go forward to the returns at the end. */
    enum { L_ALLOW, L_NOPROTO, L_NOFAMILY_PACKET, L_PERM, L_NETLINK, L_INET, L_INET6, L_STREAM, L_NLABELS };
    unsigned short label[L_NLABELS];
    struct void_filter_fixup fix[24];
    unsigned nfix = 0;
#define VF_JEQ_TO(k, t, f) void_filter_jeq_to(&b, fix, &nfix, (k), (t), (f))
#define VF_NEXT (-1)
    VF_JEQ(&b, (uint32_t)a->socket, 0, 255); /* patched: past the rule */
    unsigned short not_socket = (unsigned short)(b.n - 1);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ_TO(VF_AF_UNIX, L_ALLOW, VF_NEXT);
    VF_JEQ_TO(VF_AF_NETLINK, L_NETLINK, VF_NEXT);
    VF_JEQ_TO(VF_AF_INET, L_INET, VF_NEXT);
    VF_JEQ_TO(VF_AF_INET6, L_INET6, VF_NEXT);
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    label[L_NETLINK] = b.n;
    VF_LOAD_ARG(&b, 2);
    VF_JEQ_TO(VF_NETLINK_ROUTE, L_ALLOW, L_NOPROTO);
    /* AF_INET, then AF_INET6: the type without SOCK_NONBLOCK and
     * SOCK_CLOEXEC; a datagram socket's protocol, with ping's own (ICMP,
     * ICMPv6). AF_INET with SOCK_PACKET (10) makes the kernel create a
     * packet socket, a family refused above. */
    for (int v6 = 0; v6 <= 1; v6++) {
      label[v6 ? L_INET6 : L_INET] = b.n;
      VF_LOAD_ARG(&b, 1);
      VOID_FILTER_EMIT(&b, BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(VF_SOCK_NONBLOCK | VF_SOCK_CLOEXEC)));
      if (!v6) VF_JEQ_TO(VF_SOCK_PACKET, L_NOFAMILY_PACKET, VF_NEXT);
      VF_JEQ_TO(VF_SOCK_RAW, L_PERM, VF_NEXT);
      VF_JEQ_TO(VF_SOCK_STREAM, L_STREAM, VF_NEXT);
      VF_JEQ_TO(VF_SOCK_DGRAM, VF_NEXT, L_NOPROTO);
      VF_LOAD_ARG(&b, 2);
      VF_JEQ_TO(0, L_ALLOW, VF_NEXT);
      VF_JEQ_TO(VF_IPPROTO_UDP, L_ALLOW, VF_NEXT);
      VF_JEQ_TO(v6 ? VF_IPPROTO_ICMPV6 : VF_IPPROTO_ICMP, L_ALLOW, L_NOPROTO);
    }
    label[L_STREAM] = b.n;
    VF_LOAD_ARG(&b, 2);
    VF_JEQ_TO(0, L_ALLOW, VF_NEXT);
    VF_JEQ_TO(VF_IPPROTO_TCP, L_ALLOW, L_NOPROTO);
    label[L_NOPROTO] = b.n;
    VF_RET(&b, VF_ERRNO(EPROTONOSUPPORT));
    label[L_NOFAMILY_PACKET] = b.n;
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    label[L_PERM] = b.n;
    VF_RET(&b, VF_ERRNO(EPERM));
    label[L_ALLOW] = b.n;
    VF_RET(&b, SECCOMP_RET_ALLOW);
    for (unsigned i = 0; i < nfix; i++) {
      if (fix[i].jt >= 0) b.prog[fix[i].at].jt = (unsigned char)(label[fix[i].jt] - fix[i].at - 1);
      if (fix[i].jf >= 0) b.prog[fix[i].at].jf = (unsigned char)(label[fix[i].jf] - fix[i].at - 1);
    }
    b.prog[not_socket].jf = (unsigned char)(b.n - not_socket - 1);
#undef VF_JEQ_TO
#undef VF_NEXT
    VF_JEQ(&b, (uint32_t)a->socketpair, 0, 4);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_AF_UNIX, 1, 0);
    VF_RET(&b, VF_ERRNO(EAFNOSUPPORT));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_PERSONALITY) {
    /* Docker's list: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
     * and the query. ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the rest
     * weaken the address space of what the void execs next. */
    VF_JEQ(&b, (uint32_t)a->personality, 0, 8);
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
    VF_JEQ(&b, (uint32_t)a->connect, 0, 1);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_JEQ(&b, (uint32_t)a->sendto, 0, 6);
    VF_LOAD_ARG(&b, 4);
    VF_JEQ(&b, 0, 0, 2);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4));
    VF_JEQ(&b, 0, 1, 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
    /* Nor MSG_FASTOPEN in sendmsg() or sendmmsg(), whose destination is in
     * a struct no filter reads: on a TCP socket in the closed state (a
     * listener after shutdown()) it connects, to the address the message
     * names, as connect() would. (sendto() names its address in an
     * argument, refused above; without one a Fast Open has nowhere to go.) */
    void_filter_bits_rule(&b, (uint32_t)a->sendmsg, 2, VF_MSG_FASTOPEN);
    void_filter_bits_rule(&b, (uint32_t)a->sendmmsg, 3, VF_MSG_FASTOPEN);
  }
  if (rules & SECCOMP_RULE_LEASES) {
    /* A lease makes every other open of the file wait (lease-break-time,
     * 45 s by default): the launcher's reopen of a File grant, host
     * writers of a read-only bound file. */
    void_filter_value_rule(&b, (uint32_t)a->fcntl, 1, VF_F_SETLEASE);
  }
  if (rules & SECCOMP_RULE_INIT_LIMITS) {
    /* void-init (PID 1) shares the entrypoint's uid; its limits are not
     * the entrypoint's to change (RLIMIT_NOFILE 0 breaks its socket
     * factory). */
    void_filter_value_rule(&b, (uint32_t)a->prlimit64, 0, 1);
  }
  if (rules & SECCOMP_RULE_SHM_LOCK) {
    /* Locked shared memory is charged to the launcher's host uid
     * (RLIMIT_MEMLOCK of the user namespace's creator): no SHM_LOCK. The
     * command may carry IPC_64 (0x100), which the kernel strips. */
    VF_JEQ(&b, (uint32_t)a->shmctl, 0, 5);
    VF_LOAD_ARG(&b, 1);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)VF_IPC_64));
    VF_JEQ(&b, VF_SHM_LOCK, 0, 1);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & (SECCOMP_RULE_SOCKOPTS | SECCOMP_RULE_REUSEPORT)) {
    /* setsockopt(SOL_SOCKET, ...) options refused, one block for both
     * rules (setsockopt is matched once). socket-options: no zerocopy
     * sends (their pinned pages are charged to the host user, the
     * launcher's for an unprivileged launcher's void) and no pidfd of
     * whoever sends on a socket the void shares with the launcher.
     * reuseport (a void with host sockets, "connect" allowed or not): no
     * SO_REUSEPORT on a granted listener (a service of the launcher's uid
     * binding the same port with it would join the void's group, and the
     * void, with a reuseport BPF program, would take all its connections:
     * outside attacks 50, 51), nor such programs. */
    uint32_t opts[5];
    unsigned n = 0;
    if (rules & SECCOMP_RULE_SOCKOPTS) {
      opts[n++] = VF_SO_ZEROCOPY;
      opts[n++] = VF_SO_PASSPIDFD;
    }
    if (rules & SECCOMP_RULE_REUSEPORT) {
      opts[n++] = VF_SO_REUSEPORT;
      opts[n++] = VF_SO_ATTACH_REUSEPORT_CBPF;
      opts[n++] = VF_SO_ATTACH_REUSEPORT_EBPF;
    }
    VF_JEQ(&b, (uint32_t)a->setsockopt, 0, (unsigned char)(n + 5));
    VF_LOAD_ARG(&b, 1);
    VF_JEQ(&b, VF_SOL_SOCKET, 0, (unsigned char)(n + 2));
    VF_LOAD_ARG(&b, 2);
    /* Each match jumps over the rest to the EPERM; the last mismatch over it to the ALLOW. */
    for (unsigned i = 0; i < n; i++) VF_JEQ(&b, opts[i], (unsigned char)(n - 1 - i), i == n - 1 ? 1 : 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_HUGETLB) {
    /* Huge pages come from the pool the host reserves and are charged to
     * no memory limit: none of them (the size bits above MAP_HUGETLB and
     * MFD_HUGETLB only choose one). */
    void_filter_bits_rule(&b, (uint32_t)a->mmap, 3, VF_MAP_HUGETLB);
    void_filter_bits_rule(&b, (uint32_t)a->memfd_create, 1, VF_MFD_HUGETLB);
    void_filter_bits_rule(&b, (uint32_t)a->shmget, 2, VF_SHM_HUGETLB);
  }
  if (rules & SECCOMP_RULE_MEMORY_MERGE) {
    /* No page of a void's is offered to the kernel's same-page merging
     * (KSM): a page merged with another process's identical one is slower
     * to write (copy on write), which tells a void what others hold in
     * memory, other voids included, where the host runs ksmd. */
    /* prctl(PR_SET_MEMORY_MERGE, on): on is an unsigned long, any bit of
     * either half turns merging on; 0 (turning it off, as void-init does
     * for what the launcher passed on) is allowed. */
    VF_JEQ(&b, (uint32_t)a->prctl, 0, 8);
    VF_LOAD_ARG(&b, 0);
    VF_JEQ(&b, VF_PR_SET_MEMORY_MERGE, 0, 5);
    VF_LOAD_ARG(&b, 1);
    VF_JEQ(&b, 0, 0, 2);
    VOID_FILTER_EMIT(&b, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4));
    VF_JEQ(&b, 0, 1, 0);
    VF_RET(&b, VF_ERRNO(EPERM));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & (SECCOMP_RULE_MEMORY_MERGE | SECCOMP_RULE_PAGE_CACHE)) {
    /* madvise(addr, len, advice), matched once for both rules.
     * memory-merge: MADV_MERGEABLE -> EPERM. page-cache: MADV_COLD and
     * MADV_PAGEOUT -> 0 without doing anything (hints the kernel may
     * ignore): they push the pages of a file the void maps, shared with
     * the host and other voids, out of the page cache (below). */
    unsigned merge = (rules & SECCOMP_RULE_MEMORY_MERGE) != 0, cache = (rules & SECCOMP_RULE_PAGE_CACHE) != 0;
    VF_JEQ(&b, (uint32_t)a->madvise, 0, (unsigned char)(2 + merge * 2 + cache * 3));
    VF_LOAD_ARG(&b, 2);
    if (merge) {
      VF_JEQ(&b, VF_MADV_MERGEABLE, 0, 1);
      VF_RET(&b, VF_ERRNO(EPERM));
    }
    if (cache) {
      VF_JEQ(&b, VF_MADV_COLD, 1, 0);
      VF_JEQ(&b, VF_MADV_PAGEOUT, 0, 1);
      VF_RET(&b, VF_ERRNO(0));
    }
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_PAGE_CACHE) {
    /* No eviction of a file's pages from the page cache, and no asking
     * whether they are there without waiting: a void evicting a page of
     * a file it shares with others (its libraries, the loader, a
     * read-only bind) and then reading it with RWF_NOWAIT learnt whether
     * another process had read it since (outside attack 49).
     * posix_fadvise(POSIX_FADV_DONTNEED) returns 0 without doing
     * anything (SECCOMP_RET_ERRNO with 0 skips the call and returns 0:
     * advice the kernel may ignore anyway); RWF_NOWAIT in preadv2's or
     * pwritev2's flags (their sixth argument) fails with EOPNOTSUPP, the
     * kernel's own answer for a file that cannot do it, after which
     * callers read the ordinary way. Timing an ordinary read stays (see
     * docs/security.md). */
    VF_JEQ(&b, (uint32_t)a->fadvise64, 0, 4);
    VF_LOAD_ARG(&b, 3);
    VF_JEQ(&b, VF_POSIX_FADV_DONTNEED, 0, 1);
    VF_RET(&b, VF_ERRNO(0));
    VF_RET(&b, SECCOMP_RET_ALLOW);
    VF_JEQ(&b, (uint32_t)a->preadv2, 1, 0);
    VF_JEQ(&b, (uint32_t)a->pwritev2, 0, 4);
    VF_LOAD_ARG(&b, 5);
    VF_JSET(&b, VF_RWF_NOWAIT, 0, 1);
    VF_RET(&b, VF_ERRNO(EOPNOTSUPP));
    VF_RET(&b, SECCOMP_RET_ALLOW);
  }
  if (rules & SECCOMP_RULE_DEBUG_PTRACE) {
    /* void run -d only (src/plan/seccomp.ts withDebugPtrace): void-init's
     * child asks to be traced by void-init (PTRACE_TRACEME), which, once
     * the execve has stopped it, lets it go stopped (PTRACE_DETACH with
     * SIGSTOP). No other request: a tracer that can only detach reads and
     * writes nothing of its tracee. The request is a long, so both halves
     * are compared: its high half must be 0. */
    VF_JEQ(&b, (uint32_t)a->ptrace, 0, 7);
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
