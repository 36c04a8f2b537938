/*
 * seccomp_filter_test — checks native/seccomp_filter.h's program by running
 * it, in a small classic-BPF interpreter, against a plain-C oracle of the
 * same policy: for allow-lists of every size 0..200 ranges (random, fixed
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

#include "seccomp_filter.h"

/* The subset of classic BPF the builder emits; anything else is a failure. */
static int run_filter(const struct sock_filter *prog, unsigned n, const struct seccomp_data *d, uint32_t *ret) {
  uint32_t acc = 0;
  for (unsigned pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    unsigned next;
    switch (f->code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (f->k + 4 > sizeof *d || f->k % 4) return -1;
        memcpy(&acc, (const char *)d + f->k, 4);
        continue;
      case BPF_JMP | BPF_JA:
        next = pc + f->k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        next = pc + (acc == f->k ? f->jt : f->jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        next = pc + (acc >= f->k ? f->jt : f->jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        next = pc + (acc > f->k ? f->jt : f->jf);
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        next = pc + (acc & f->k ? f->jt : f->jf);
        break;
      case BPF_RET | BPF_K:
        *ret = f->k;
        return 0;
      default:
        return -1;
    }
    if (next + 1 >= n) return -1; /* a jump past the end */
    pc = next;
  }
  return -1; /* fell off the end */
}

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

/* The policy, written plainly. */
static uint32_t oracle(const struct void_plan *p, const struct seccomp_data *d) {
  if (d->arch != AUDIT_ARCH_X86_64) return SECCOMP_RET_KILL_PROCESS;
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
  if ((r & SECCOMP_RULE_NS_CLONE) && nr == SYS_clone) return a[0] & NS_CLONE_FLAGS ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_TTY_INJECT) && nr == SYS_ioctl) return a[1] == 0x5412 || a[1] == 0x541C ? ERR(EPERM) : ALLOW;
  if (r & SECCOMP_RULE_SUID) {
    int mode_arg = nr == SYS_chmod || nr == SYS_fchmod || nr == SYS_creat || nr == SYS_mkdir || nr == SYS_mknod ? 1
                   : nr == SYS_fchmodat || nr == SYS_mkdirat || nr == SYS_mknodat                               ? 2
                                                                                                                : -1;
    if (mode_arg >= 0) return a[mode_arg] & 06000 ? ERR(EPERM) : ALLOW;
    if (nr == SYS_open) return (a[1] & (0100 | 020000000)) && (a[2] & 06000) ? ERR(EPERM) : ALLOW;
    if (nr == SYS_openat) return (a[2] & (0100 | 020000000)) && (a[3] & 06000) ? ERR(EPERM) : ALLOW;
  }
  if ((r & SECCOMP_RULE_SOCKET) && nr == SYS_socket) {
    if (a[0] == 2) return (a[1] & ~(uint32_t)(04000 | 02000000)) == 10 ? ERR(EAFNOSUPPORT) : ALLOW;
    if (a[0] == 1 || a[0] == 10) return ALLOW;
    if (a[0] != 16) return ERR(EAFNOSUPPORT);
    return a[2] == 0 ? ALLOW : ERR(EPROTONOSUPPORT);
  }
  if ((r & SECCOMP_RULE_SOCKET) && nr == SYS_socketpair) return a[0] == 1 ? ALLOW : ERR(EAFNOSUPPORT);
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && nr == SYS_connect) return ERR(EPERM);
  if ((r & SECCOMP_RULE_LEASES) && nr == SYS_fcntl) return a[1] == 1024 ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_INIT_LIMITS) && nr == SYS_prlimit64) return a[0] == 1 ? ERR(EPERM) : ALLOW;
  if ((r & SECCOMP_RULE_HOST_SOCKETS) && nr == SYS_sendto) return d->args[4] != 0 ? ERR(EPERM) : ALLOW;
  /* ptrace's request is a long: all 64 bits count. */
  if ((r & SECCOMP_RULE_DEBUG_PTRACE) && nr == SYS_ptrace) return d->args[0] == 0 || d->args[0] == 17 ? ALLOW : ERR(EPERM);
  if ((r & SECCOMP_RULE_PERSONALITY) && nr == SYS_personality)
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
};
#define NINTERESTING (sizeof interesting / sizeof interesting[0])

static void check_plan(uint32_t *ranges, uint32_t nranges, uint32_t *enosys, uint32_t nenosys, uint32_t rules, uint32_t known_max) {
  struct void_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.seccomp = 1;
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
    struct seccomp_data d = {.nr = (int)number, .arch = AUDIT_ARCH_X86_64};
    int has_rule = number == SYS_clone || number == SYS_ioctl || number == SYS_chmod || number == SYS_fchmod || number == SYS_fchmodat ||
                   number == SYS_creat || number == SYS_mkdir || number == SYS_mkdirat || number == SYS_mknod || number == SYS_mknodat ||
                   number == SYS_open || number == SYS_openat || number == SYS_socket || number == SYS_socketpair || number == SYS_personality ||
                   number == SYS_connect || number == SYS_sendto || number == SYS_fcntl || number == SYS_prlimit64 || number == SYS_ptrace;
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
  struct seccomp_data foreign = {.nr = 0, .arch = AUDIT_ARCH_I386};
  uint32_t ret;
  check(run_filter(prog, n, &foreign, &ret) == 0 && ret == SECCOMP_RET_KILL_PROCESS, "foreign arch not killed", nranges, 0, 0);
}

int main(void) {
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
