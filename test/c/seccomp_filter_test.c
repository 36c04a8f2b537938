/*
 * seccomp_filter_test — checks native/seccomp_filter.h's program by running
 * it, in a small classic-BPF interpreter (bpf_run.h), against a plain-C
 * oracle of the same policy, for one architecture, whatever the machine:
 *   seccomp_filter_test ARCH NAME=NUMBER...
 * ARCH is x86_64 or aarch64; the NAME=NUMBER pairs are the numbers of the
 * calls the argument rules inspect, from src/spec/syscalls.ts (a call not
 * given does not exist on ARCH), so the oracle does not take them from the
 * header it checks; it first prints the header's own numbers for ARCH
 * ("numbers clone 56 ioctl 16 ..."; -1: absent), which the test compares
 * with the table. Then for allow-lists of every size 0..200 ranges (random, fixed
 * seed) and the extremes, every system call number 0..1023 plus the x32
 * range and a foreign architecture; and, for every argument rule, the
 * values it must refuse and allow, also with garbage in the high 32 bits
 * of the argument (the kernel uses only the low half of an int argument:
 * TIOCSTI | 1 << 32 is still TIOCSTI; ptrace's request, a long, is used
 * whole). Nothing is installed in the
 * kernel: a wrong program is found without running any refused call.
 * Prints "not ok" lines and a summary, exits 1 on a failure.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_run.h"
#include "seccomp_filter.h"

static int failures;
static unsigned checks;

static void check(int ok, const char *what, unsigned nranges, uint32_t nr, uint64_t arg) {
  checks++;
  if (!ok) {
    failures++;
    if (failures <= 20) printf("not ok - %u ranges: %s for nr %u arg %#llx\n", nranges, what, nr, (unsigned long long)arg);
  }
}

#define ALLOW SECCOMP_RET_ALLOW
#define ERR(e) (SECCOMP_RET_ERRNO | (e))

/* The architecture under test: its kernel name, and the numbers of the
 * calls the rules inspect as the command line gave them (-1: absent). */
static uint32_t audit_arch;
static uint32_t plan_arch;
#define NR_FIELD(name) int64_t name;
static struct { VF_RULE_CALLS(NR_FIELD) } nr_of;
#undef NR_FIELD
/* Whether `nr` is the number of a call the table gave (never -1 == nr). */
#define IS(nr, name) (nr_of.name >= 0 && (int64_t)(nr) == nr_of.name)

/* The policy, written plainly. */
static uint32_t oracle(const struct void_plan *p, const struct seccomp_data *d) {
  if (d->arch != audit_arch) return SECCOMP_RET_KILL_PROCESS;
  uint32_t nr = (uint32_t)d->nr;
  if (nr >= 0x40000000u) return ERR(ENOSYS);
  int allowed = 0;
  for (uint32_t i = 0; i < p->seccomp_nranges; i++) allowed |= nr >= p->seccomp_ranges[2 * i] && nr <= p->seccomp_ranges[2 * i + 1];
  if (!allowed) {
    for (uint32_t i = 0; i < p->seccomp_nenosys; i++)
      if (p->seccomp_enosys[i] == nr) return ERR(ENOSYS);
    return nr > p->seccomp_known_max ? ERR(ENOSYS) : ERR(EPERM);
  }
  uint32_t a[6];
  for (int i = 0; i < 6; i++) a[i] = (uint32_t)d->args[i];
  uint32_t r = p->seccomp_rules;
  /* clone's flags: the first argument on both architectures. */
  if ((r & SECCOMP_RULE_NS_CLONE) && IS(nr, clone)) return a[0] & NS_CLONE_FLAGS ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, ioctl) && ((a[1] >= 0x8910 && a[1] <= 0x89ff) || (a[1] >= 0x8b00 && a[1] <= 0x8bff)))
    return ERR(EPERM);
  if ((r & SECCOMP_RULE_MODULE_IOCTLS) && IS(nr, ioctl) &&
      (a[1] == 0x8940 || a[1] == 0x8941 || (a[1] >= 0x8980 && a[1] <= 0x8983) || (a[1] >= 0x89a0 && a[1] <= 0x89a3)))
    return ERR(EPERM);
  if ((r & SECCOMP_RULE_TTY_INJECT) && IS(nr, ioctl)) return a[1] == 0x5412 || a[1] == 0x541C ? ERR(EPERM) : ALLOW;
  if (r & SECCOMP_RULE_SUID) {
    int mode_arg = IS(nr, chmod) || IS(nr, fchmod) || IS(nr, creat) || IS(nr, mkdir) || IS(nr, mknod) ? 1
                   : IS(nr, fchmodat) || IS(nr, mkdirat) || IS(nr, mknodat)                           ? 2
                                                                                                      : -1;
    if (mode_arg >= 0) return a[mode_arg] & 06000 ? ERR(EPERM) : ALLOW;
    if (IS(nr, open)) return (a[1] & (0100 | 020000000)) && (a[2] & 06000) ? ERR(EPERM) : ALLOW;
    if (IS(nr, openat)) return (a[2] & (0100 | 020000000)) && (a[3] & 06000) ? ERR(EPERM) : ALLOW;
  }
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, socket) && a[0] == 1) return ERR(EPERM);
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, socketpair)) {
    uint32_t type = a[1] & ~(uint32_t)(04000 | 02000000);
    if (type != 1 && type != 5) return ERR(EPERM);
  }
  if ((r & SECCOMP_RULE_SOCKET) && IS(nr, socket)) {
    if (a[0] == 1) return ALLOW;
    if (a[0] == 16) return a[2] == 0 ? ALLOW : ERR(EPROTONOSUPPORT);
    if (a[0] != 2 && a[0] != 10) return ERR(EAFNOSUPPORT);
    /* IP: the type without SOCK_NONBLOCK and SOCK_CLOEXEC; TCP, UDP and ping only (no protocol module loads). */
    uint32_t type = a[1] & ~(uint32_t)(04000 | 02000000);
    if (a[0] == 2 && type == 10) return ERR(EAFNOSUPPORT);
    if (type == 3) return ERR(EPERM);
    if (type == 1) return a[2] == 0 || a[2] == 6 ? ALLOW : ERR(EPROTONOSUPPORT);
    if (type == 2) return a[2] == 0 || a[2] == 17 || a[2] == (a[0] == 2 ? 1u : 58u) ? ALLOW : ERR(EPROTONOSUPPORT);
    return ERR(EPROTONOSUPPORT);
  }
  if ((r & SECCOMP_RULE_SOCKET) && IS(nr, socketpair)) return a[0] == 1 ? ALLOW : ERR(EAFNOSUPPORT);
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, connect)) return ERR(EPERM);
  if ((r & SECCOMP_RULE_LEASES) && IS(nr, fcntl)) return a[1] == 1024 ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_INIT_LIMITS) && IS(nr, prlimit64)) return a[0] == 1 ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_SHM_LOCK) && IS(nr, shmctl)) return (a[1] & ~0x100u) == 11 ? ERR(EPERM) : ALLOW;
  if ((r & (SECCOMP_RULE_SOCKOPTS | SECCOMP_RULE_REUSEPORT)) && IS(nr, setsockopt)) {
    if (a[1] != 1) return ALLOW;
    if ((r & SECCOMP_RULE_SOCKOPTS) && (a[2] == 60 || a[2] == 76)) return ERR(EPERM);
    /* SO_REUSEPORT, SO_ATTACH_REUSEPORT_CBPF, SO_ATTACH_REUSEPORT_EBPF. */
    if ((r & SECCOMP_RULE_REUSEPORT) && (a[2] == 15 || a[2] == 51 || a[2] == 52)) return ERR(EPERM);
    return ALLOW;
  }
  /* MAP_HUGETLB in mmap's flags (its fourth argument), MFD_HUGETLB in memfd_create's, SHM_HUGETLB in shmget's shmflg. */
  if ((r & SECCOMP_RULE_HUGETLB) && IS(nr, mmap)) return a[3] & 0x40000u ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_HUGETLB) && IS(nr, memfd_create)) return a[1] & 4u ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_HUGETLB) && IS(nr, shmget)) return a[2] & 04000u ? ERR(EPERM) : ALLOW;
  /* KSM: prctl's option is its first argument, madvise's advice its third. */
  /* Only turning merging on: prctl's second argument, an unsigned long, not 0. */
  if ((r & SECCOMP_RULE_MEMORY_MERGE) && IS(nr, prctl)) return a[0] == 67 && d->args[1] != 0 ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_MEMORY_MERGE) && IS(nr, madvise) && a[2] == 12) return ERR(EPERM);
  /* Page cache: madvise MADV_COLD (20), MADV_PAGEOUT (21) and fadvise64 POSIX_FADV_DONTNEED (its fourth argument, 4)
   * return 0 without being made; RWF_NOWAIT (8) in preadv2's and pwritev2's flags, their sixth argument: EOPNOTSUPP. */
  if ((r & SECCOMP_RULE_PAGE_CACHE) && IS(nr, madvise) && (a[2] == 20 || a[2] == 21)) return ERR(0);
  if ((r & SECCOMP_RULE_PAGE_CACHE) && IS(nr, fadvise64)) return a[3] == 4 ? ERR(0) : ALLOW;
  if ((r & SECCOMP_RULE_PAGE_CACHE) && (IS(nr, preadv2) || IS(nr, pwritev2))) return a[5] & 8 ? ERR(EOPNOTSUPP) : ALLOW;
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, sendto)) return d->args[4] != 0 ? ERR(EPERM) : ALLOW;
  /* MSG_FASTOPEN: sendmsg's flags are its third argument, sendmmsg's its fourth. */
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, sendmsg)) return a[2] & 0x20000000u ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && IS(nr, sendmmsg)) return a[3] & 0x20000000u ? ERR(EPERM) : ALLOW;
  /* ptrace's request is a long: all 64 bits count. */
  if ((r & SECCOMP_RULE_DEBUG_PTRACE) && IS(nr, ptrace)) return d->args[0] == 0 || d->args[0] == 17 ? ALLOW : ERR(EPERM);
  if ((r & SECCOMP_RULE_PERSONALITY) && IS(nr, personality))
    return a[0] == 0 || a[0] == 8 || a[0] == 0x20000 || a[0] == 0x20008 || a[0] == 0xffffffff ? ALLOW : ERR(EPERM);
  return ALLOW;
}

/* Argument values worth trying: the ones each rule names, neighbours, and bit patterns. */
static const uint64_t interesting[] = {
    0,
    1,
    2,
    8,
    10,
    0x80a,
    0x8000a,
    0x8080a,
    11,
    1024,
    1025,
    16,
    17,
    40,
    0x100000000ull,
    0x5412,
    0x5413,
    3,
    5,
    0x805,
    0x80805,
    0x80802,
    0x80801,
    0x8905,
    0x890f,
    0x8910,
    0x8912,
    0x8927,
    0x89ff,
    0x8a00,
    0x8aff,
    0x8b00,
    0x8b01,
    0x8bff,
    0x8c00,
    0x100008912ull,
    0x541C,
    0x541B,
    0100,
    020000000,
    020200000,
    04000,
    02000,
    06755,
    0755,
    0644,
    0x20000,
    0x20008,
    0x0400000,
    0xffffffff,
    0xfffffffe,
    CLONE_NEWUSER | SIGCHLD,
    CLONE_VM | SIGCHLD,
    CLONE_NEWNET,
    0x80,
    0x10b, /* SHM_LOCK | IPC_64 */
    12,
    0x10c,
    0x1000000b,
    60,
    76,
    15, /* SO_REUSEPORT */
    51, /* SO_ATTACH_REUSEPORT_CBPF */
    52, /* SO_ATTACH_REUSEPORT_EBPF */
    53,
    0x10000003c,
    0x20000000, /* MSG_FASTOPEN */
    0x20000040, /* MSG_FASTOPEN | MSG_DONTWAIT */
    0x120000000ull,
    0x4040,
    20, /* MADV_COLD */
    21, /* MADV_PAGEOUT */
    9,  /* RWF_NOWAIT | RWF_HIPRI */
    0x100000008ull,
    0x40000,    /* MAP_HUGETLB */
    0x40022,    /* MAP_HUGETLB | MAP_ANONYMOUS | MAP_PRIVATE */
    0x54040000, /* MAP_HUGETLB | MAP_HUGE_1GB */
    0x22,       /* MAP_ANONYMOUS | MAP_PRIVATE */
    4,          /* MFD_HUGETLB */
    5,          /* MFD_HUGETLB | MFD_CLOEXEC */
    01600,      /* IPC_CREAT | 0600 */
    05600,      /* SHM_HUGETLB | IPC_CREAT | 0600 */
    3,          /* SOCK_RAW */
    5,          /* SOCK_SEQPACKET */
    6,          /* IPPROTO_TCP */
    58,         /* IPPROTO_ICMPV6 */
    67,         /* PR_SET_MEMORY_MERGE */
    68,         /* PR_GET_MEMORY_MERGE */
    12,         /* MADV_MERGEABLE */
    13,         /* MADV_UNMERGEABLE */
    132,        /* IPPROTO_SCTP */
    262,        /* IPPROTO_MPTCP */
    0x802,      /* SOCK_DGRAM | SOCK_NONBLOCK */
    0x80001,    /* SOCK_STREAM | SOCK_CLOEXEC */
    0x80003,    /* SOCK_RAW | SOCK_CLOEXEC */
    0x8940,     /* SIOCGIFBR */
    0x8982,     /* SIOCGIFVLAN */
    0x89a3,     /* SIOCBRDELIF */
    0x89a4,
    0x8984,
};
#define NINTERESTING (sizeof interesting / sizeof interesting[0])

static void check_plan(uint32_t *ranges, uint32_t nranges, uint32_t *enosys, uint32_t nenosys, uint32_t rules, uint32_t known_max) {
  struct void_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.seccomp = 1;
  plan.seccomp_arch = plan_arch;
  plan.seccomp_ranges = ranges;
  plan.seccomp_nranges = nranges;
  plan.seccomp_enosys = enosys;
  plan.seccomp_nenosys = nenosys;
  plan.seccomp_rules = rules;
  plan.seccomp_known_max = known_max;
  struct sock_filter prog[VOID_FILTER_MAX_INSNS(PLAN_MAX_SECCOMP_RANGES, PLAN_MAX_SECCOMP_ENOSYS)];
  unsigned n = build_void_filter(&plan, prog);
  check(n <= VOID_FILTER_MAX_INSNS(nranges, nenosys) && n <= BPF_MAXINSNS, "program longer than its bound", nranges, 0, 0);
  for (uint32_t i = 0; i < 1024 + 8; i++) {
    uint32_t number = i < 1024 ? i : 0x40000000u + (i - 1024);
    struct seccomp_data d = {.nr = (int)number, .arch = audit_arch};
    /* A rule's call, by the table's numbers or by the header's (a number
     * the two disagree on is then tried with every argument). */
    const struct void_filter_arch *h = void_filter_arch_of(plan_arch);
    int has_rule = 0;
#define HAS_RULE(name) has_rule |= IS(number, name) || (h->name >= 0 && (int64_t)number == h->name);
    VF_RULE_CALLS(HAS_RULE)
#undef HAS_RULE
    unsigned tries = has_rule ? NINTERESTING * 6 * 2 : 1;
    for (unsigned t = 0; t < tries; t++) {
      memset(d.args, 0, sizeof d.args);
      if (has_rule) {
        /* one argument position at a time, the others set to another value, with and without high garbage */
        uint64_t v = interesting[t % NINTERESTING] | ((t / (NINTERESTING * 6)) ? 0xdead000100000000ull : 0);
        unsigned pos = (t / NINTERESTING) % 6;
        for (unsigned k = 0; k < 6; k++) d.args[k] = k == pos ? v : interesting[(t + k * 7) % NINTERESTING];
      }
      uint32_t ret;
      if (run_filter(prog, n, &d, &ret) < 0) {
        check(0, "bad program", nranges, number, d.args[0]);
        break;
      }
      check(ret == oracle(&plan, &d), "program disagrees with the policy", nranges, number, d.args[1]);
    }
  }
  /* socket(): every family, type (with its flags) and protocol of interest together, which the one-position
   * walk above meets only by chance. */
  static const uint32_t families[] = {0, 1, 2, 10, 16, 17, 38};
  static const uint32_t types[] = {0, 1, 2, 3, 4, 5, 6, 10, 11, 0x801, 0x80002, 0x80803, 0x8000a, 0xdead0001};
  static const uint32_t protocols[] = {0, 1, 6, 17, 33, 58, 115, 132, 136, 255, 256, 262, 0xffffffff};
  const struct void_filter_arch *arch = void_filter_arch_of(plan_arch);
  for (unsigned f = 0; f < sizeof families / sizeof families[0]; f++)
    for (unsigned t = 0; t < sizeof types / sizeof types[0]; t++)
      for (unsigned q = 0; q < sizeof protocols / sizeof protocols[0]; q++) {
        struct seccomp_data d = {.nr = arch->socket, .arch = audit_arch, .args = {families[f], types[t], protocols[q]}};
        uint32_t ret;
        check(run_filter(prog, n, &d, &ret) == 0 && ret == oracle(&plan, &d), "socket() disagrees with the policy", nranges, families[f],
              types[t] * 1000u + protocols[q]);
      }
  /* Every other architecture, the other one of the two among them, is killed. */
  static const uint32_t foreign_arches[] = {AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0};
  for (unsigned i = 0; i < sizeof foreign_arches / sizeof foreign_arches[0]; i++) {
    if (foreign_arches[i] == audit_arch) continue;
    struct seccomp_data foreign = {.nr = 0, .arch = foreign_arches[i]};
    uint32_t ret;
    check(run_filter(prog, n, &foreign, &ret) == 0 && ret == SECCOMP_RET_KILL_PROCESS, "foreign arch not killed", nranges, foreign_arches[i], 0);
  }
}

/* ARCH NAME=NUMBER...: sets audit_arch, plan_arch and nr_of; prints the header's numbers. */
static void parse_args(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "x86_64") != 0 && strcmp(argv[1], "aarch64") != 0)) {
    fprintf(stderr, "usage: seccomp_filter_test x86_64|aarch64 NAME=NUMBER...\n");
    exit(2);
  }
  int x86 = strcmp(argv[1], "x86_64") == 0;
  audit_arch = x86 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
  plan_arch = x86 ? PLAN_SECCOMP_ARCH_X86_64 : PLAN_SECCOMP_ARCH_AARCH64;
#define ABSENT(name) nr_of.name = -1;
  VF_RULE_CALLS(ABSENT)
#undef ABSENT
  for (int i = 2; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) exit(2);
    *eq = 0;
    int known = 0;
#define SET(name) \
  if (strcmp(argv[i], #name) == 0) nr_of.name = strtol(eq + 1, NULL, 10), known = 1;
    VF_RULE_CALLS(SET)
#undef SET
    if (!known) {
      fprintf(stderr, "seccomp_filter_test: %s is not a call of the rules\n", argv[i]);
      exit(2);
    }
  }
  const struct void_filter_arch *h = void_filter_arch_of(plan_arch);
  if (h == NULL || h->audit_arch != audit_arch) {
    printf("not ok - seccomp_filter.h has no table for %s\n", argv[1]);
    exit(1);
  }
  printf("numbers");
#define PRINT(name) printf(" %s %d", #name, (int)h->name);
  VF_RULE_CALLS(PRINT)
#undef PRINT
  printf("\n");
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  static uint32_t ranges[2 * PLAN_MAX_SECCOMP_RANGES];
  static uint32_t enosys[PLAN_MAX_SECCOMP_ENOSYS];
  srand(1234);
  for (uint32_t count = 0; count <= 200; count++) {
    /* count disjoint ascending ranges of 1..4 numbers with gaps of 1..3, from a random start */
    uint32_t at = (uint32_t)rand() % 8, k = 0;
    for (; k < count && at < 1000; k++) {
      ranges[2 * k] = at;
      ranges[2 * k + 1] = at + (uint32_t)rand() % 4;
      at = ranges[2 * k + 1] + 2 + (uint32_t)rand() % 3;
    }
    /* ENOSYS numbers among those not allowed */
    uint32_t ne = 0;
    for (uint32_t nr = 0; nr < 1024 && ne < 8; nr += 37 + count) enosys[ne++] = nr;
    check_plan(ranges, k, enosys, ne, count % 7 == 0 ? 0 : (count * 2654435761u) & SECCOMP_RULES_ALL, count % 3 ? 450 : 1023);
    check_plan(ranges, k, enosys, 0, SECCOMP_RULES_ALL, 300 + count);
  }
  /* The extremes: nothing allowed; everything allowed in one range; every other number; the real default. */
  check_plan(ranges, 0, enosys, 0, SECCOMP_RULES_ALL, 450);
  ranges[0] = 0;
  ranges[1] = 1023;
  check_plan(ranges, 1, enosys, 0, SECCOMP_RULES_ALL, 450);
  for (uint32_t i = 0; i < PLAN_MAX_SECCOMP_RANGES; i++) ranges[2 * i] = ranges[2 * i + 1] = 2 * i;
  check_plan(ranges, PLAN_MAX_SECCOMP_RANGES, enosys, 0, SECCOMP_RULES_ALL, 1023);
  for (uint32_t i = 0; i < PLAN_MAX_SECCOMP_ENOSYS; i++) enosys[i] = 1 + 2 * i;
  check_plan(ranges, PLAN_MAX_SECCOMP_RANGES, enosys, PLAN_MAX_SECCOMP_ENOSYS, SECCOMP_RULES_ALL, 1023);
  printf("%s - %u checks, %d failed\n", failures ? "not ok" : "ok", checks, failures);
  return failures ? 1 : 0;
}
