/*
 * seccomp_eval — the whole path of a void's filter but the kernel, on any
 * machine: reads a marshalled plan (src/orchestrator/marshal.ts) from the
 * file PLAN, parses it with native/plan.c (which refuses a SECCOMP record
 * of another architecture than VOID_PLAN_SECCOMP_ARCH: built with
 * -DVOID_PLAN_SECCOMP_ARCH=PLAN_SECCOMP_ARCH_AARCH64 it acts as the aarch64
 * build), builds the program with native/seccomp_filter.h and runs it in
 * bpf_run.h's interpreter over each line of stdin,
 *   AUDIT_ARCH NR ARG0 ARG1 ARG2 ARG3 ARG4 ARG5   (unsigned decimal numbers)
 * printing one line each: "allow", "errno N", "kill" or "bad" (no valid
 * program). test/unit/seccomp-filter.test.ts writes the queries and what
 * each must give. "error: <reason>" and exit 1: plan.c refused the plan.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "bpf_run.h"
#include "seccomp_filter.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: seccomp_eval PLAN < queries\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) return 2;
  static uint8_t buf[1 << 20];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  struct void_plan p;
  char err[256];
  if (plan_parse(buf, len, &p, err, sizeof err) < 0) {
    printf("error: %s\n", err);
    return 1;
  }
  if (!p.seccomp) {
    printf("error: the plan has no filter\n");
    return 1;
  }
  static struct sock_filter prog[VOID_FILTER_MAX_INSNS(PLAN_MAX_SECCOMP_RANGES, PLAN_MAX_SECCOMP_ENOSYS)];
  unsigned n = build_void_filter(&p, prog);
  printf("program %u instructions\n", n);
  unsigned long long arch, nr, a[6];
  while (scanf("%llu %llu %llu %llu %llu %llu %llu %llu", &arch, &nr, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) == 8) {
    struct seccomp_data d = {.nr = (int)nr, .arch = (uint32_t)arch};
    for (int i = 0; i < 6; i++) d.args[i] = a[i];
    uint32_t ret;
    if (n > BPF_MAXINSNS || run_filter(prog, n, &d, &ret) < 0)
      printf("bad\n");
    else if (ret == SECCOMP_RET_ALLOW)
      printf("allow\n");
    else if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
      printf("errno %u\n", ret & SECCOMP_RET_DATA);
    else if (ret == SECCOMP_RET_KILL_PROCESS)
      printf("kill\n");
    else
      printf("bad\n");
  }
  plan_free(&p);
  return 0;
}
