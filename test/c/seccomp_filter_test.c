/*
 * seccomp_filter_test — checks native/seccomp_filter.h's program by running
 * it, in a small classic-BPF interpreter, for every system call number
 * 0..1023 plus the x32 range and a foreign architecture, against deny lists
 * of every length 0..200 (random ascending numbers, fixed seed) and the
 * extremes (0 and the largest numbers). Nothing is installed in the kernel:
 * a wrong program is found without running any denied system call.
 * Prints "ok N" / "not ok N - why" lines and exits 1 on a failure.
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
    switch (f->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (f->k + 4 > sizeof *d || f->k % 4) return -1;
      memcpy(&acc, (const char *)d + f->k, 4);
      break;
    case BPF_JMP | BPF_JA:
      pc += f->k;
      break;
    case BPF_JMP | BPF_JEQ | BPF_K:
      pc += acc == f->k ? f->jt : f->jf;
      break;
    case BPF_JMP | BPF_JGE | BPF_K:
      pc += acc >= f->k ? f->jt : f->jf;
      break;
    case BPF_JMP | BPF_JSET | BPF_K:
      pc += acc & f->k ? f->jt : f->jf;
      break;
    case BPF_RET | BPF_K:
      *ret = f->k;
      return 0;
    default:
      return -1;
    }
  }
  return -1; /* fell off the end */
}

static int failures;
static unsigned checks;

static void check(int ok, const char *what, unsigned count, uint32_t nr) {
  checks++;
  if (!ok) {
    failures++;
    if (failures <= 20) printf("not ok - list of %u: %s for nr %u\n", count, what, nr);
  }
}

static void check_list(uint32_t *list, unsigned count, uint32_t flags) {
  struct void_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.seccomp = 1;
  plan.seccomp_deny = list;
  plan.seccomp_count = count;
  plan.seccomp_flags = flags;
  struct sock_filter prog[VOID_FILTER_MAX_INSNS(PLAN_MAX_SECCOMP)];
  unsigned n = build_void_filter(&plan, prog);
  check(n <= VOID_FILTER_MAX_INSNS(count) && n <= BPF_MAXINSNS, "program longer than its bound", count, 0);
  for (uint32_t nr = 0; nr < 1024 + 8; nr++) {
    uint32_t number = nr < 1024 ? nr : 0x40000000u + (nr - 1024);
    struct seccomp_data d = {.nr = (int)number, .arch = AUDIT_ARCH_X86_64};
    uint32_t ret;
    if (run_filter(prog, n, &d, &ret) < 0) {
      check(0, "bad program", count, number);
      continue;
    }
    int listed = 0;
    for (unsigned i = 0; i < count; i++) listed |= list[i] == number;
    uint32_t want = number >= 0x40000000u ? (SECCOMP_RET_ERRNO | ENOSYS)
                    : listed              ? (SECCOMP_RET_ERRNO | EPERM)
                    : (flags & SECCOMP_DENY_NS_CLONE) && number == SYS_clone3 ? (SECCOMP_RET_ERRNO | ENOSYS)
                                                                              : SECCOMP_RET_ALLOW;
    if ((flags & SECCOMP_DENY_NS_CLONE) && number == SYS_clone && !listed) {
      d.args[0] = CLONE_NEWUSER | SIGCHLD;
      check(run_filter(prog, n, &d, &ret) == 0 && ret == (SECCOMP_RET_ERRNO | EPERM), "clone with CLONE_NEWUSER allowed", count, number);
      d.args[0] = CLONE_VM | SIGCHLD;
      check(run_filter(prog, n, &d, &ret) == 0 && ret == SECCOMP_RET_ALLOW, "plain clone denied", count, number);
      continue;
    }
    check(ret == want, listed ? "listed call not denied" : "unlisted call not allowed", count, number);
  }
  struct seccomp_data foreign = {.nr = 0, .arch = AUDIT_ARCH_I386};
  uint32_t ret;
  check(run_filter(prog, n, &foreign, &ret) == 0 && ret == SECCOMP_RET_KILL_PROCESS, "foreign arch not killed", count, 0);
}

int main(void) {
  static uint32_t list[PLAN_MAX_SECCOMP];
  srand(1234);
  for (unsigned count = 0; count <= 200; count++) {
    /* count distinct ascending numbers below 1024 */
    unsigned k = 0;
    for (uint32_t nr = 0; nr < 1024 && k < count; nr++)
      if ((unsigned)rand() % (1024 - nr) < count - k) list[k++] = nr;
    check_list(list, k, count % 2 ? SECCOMP_DENY_NS_CLONE : 0);
  }
  /* The extremes: the first numbers, the last ones, every number. */
  for (unsigned i = 0; i < 8; i++) list[i] = i;
  check_list(list, 8, SECCOMP_DENY_NS_CLONE);
  for (unsigned i = 0; i < 8; i++) list[i] = 1016 + i;
  check_list(list, 8, SECCOMP_DENY_NS_CLONE);
  for (unsigned i = 0; i < PLAN_MAX_SECCOMP; i++) list[i] = i;
  check_list(list, PLAN_MAX_SECCOMP, 0);
  printf("%s - %u checks, %d failed\n", failures ? "not ok" : "ok", checks, failures);
  return failures ? 1 : 0;
}
