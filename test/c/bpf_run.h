/*
 * bpf_run.h — a small classic-BPF interpreter for the tests of
 * native/seccomp_filter.h (test/c/seccomp_filter_test.c,
 * test/c/seccomp_eval.c): runs a seccomp program over one seccomp_data, as
 * the kernel would, without installing anything. Only the instructions the
 * builder emits are known; anything else, a jump or load out of bounds, or
 * falling off the end is an error (-1).
 */
#ifndef VOID_TEST_BPF_RUN_H
#define VOID_TEST_BPF_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>

/* The subset of classic BPF the builder emits; anything else is a failure. */
static inline int run_filter(const struct sock_filter *prog, unsigned n, const struct seccomp_data *d, uint32_t *ret) {
  uint32_t acc = 0;
  for (unsigned pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    unsigned next;
    switch (f->code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (f->k + 4 > sizeof *d || f->k % 4) return -1;
        memcpy(&acc, (const char *)d + f->k, 4);
        continue;
      case BPF_ALU | BPF_AND | BPF_K:
        acc &= f->k;
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

#endif
