/*
 * plan_parse_test — the other half of the contract between
 * src/orchestrator/marshal.ts and native/plan.c: reads one marshalled plan
 * on stdin, parses it with plan_parse and prints what the child would
 * execute, one fact per line (test/unit/plan-contract.test.ts compares it
 * with the VoidPlan it came from), or "error: <reason>" and exits 1.
 * `plan_parse_test hostile SEED COUNT` parses every prefix of the plan and
 * COUNT randomly damaged copies instead, and prints how many parsed.
 * Built with the address and undefined-behaviour sanitizers by the test,
 * which also feeds it truncated, mutated and hostile plans: any crash or
 * sanitizer report is a failure.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* Parses a malloc'd exact copy of buf[0..len): 1 parsed, 0 refused. */
static int parses(const uint8_t *buf, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  if (copy == NULL) exit(2);
  memcpy(copy, buf, len);
  struct void_plan p;
  char err[256];
  int ok = plan_parse(copy, len, &p, err, sizeof err) == 0;
  if (ok) plan_free(&p);
  free(copy);
  return ok;
}

/* Every prefix of the plan, and `count` copies with 1 to 4 random bytes
 * changed (xorshift, fixed seed): none may crash or read out of bounds. */
static void hostile(const uint8_t *buf, size_t len, unsigned long seed, int count) {
  int parsed = 0;
  for (size_t l = 0; l < len; l++) parsed += parses(buf, l);
  printf("truncations %zu parsed %d\n", len, parsed);
  uint64_t x = seed | 1;
  uint8_t *m = malloc(len ? len : 1);
  if (m == NULL) exit(2);
  parsed = 0;
  for (int i = 0; i < count && len > 0; i++) {
    memcpy(m, buf, len);
    for (int k = 0; k < 1 + (int)(x % 4); k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t at = (size_t)(x % len);
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      /* Lengths and counts are the interesting bytes: favour extremes. */
      static const uint8_t extremes[] = {0x00, 0xff, 0x7f, 0x80, 0x01, '/', '.'};
      m[at] = (x & 1) ? extremes[(x >> 1) % sizeof extremes] : (uint8_t)(x >> 8);
    }
    parsed += parses(m, len);
  }
  free(m);
  printf("mutations %d parsed %d\n", count, parsed);
}

int main(int argc, char **argv) {
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) return 2;
  size_t n;
  while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
    len += n;
    if (len == cap) {
      uint8_t *bigger = realloc(buf, cap *= 2);
      if (bigger == NULL) return 2;
      buf = bigger;
    }
  }
  /* An exact-size copy, so the sanitizer sees any read past the end. */
  uint8_t *exact = malloc(len ? len : 1);
  if (exact == NULL) return 2;
  memcpy(exact, buf, len);
  free(buf);

  if (argc >= 4 && strcmp(argv[1], "hostile") == 0) {
    hostile(exact, len, strtoul(argv[2], NULL, 10), atoi(argv[3]));
    free(exact);
    return 0;
  }
  struct void_plan p;
  char err[256];
  if (plan_parse(exact, len, &p, err, sizeof err) < 0) {
    printf("error: %s\n", err);
    free(exact);
    return 1;
  }
  printf("options %u\n", p.options);
  printf("root / size %llu inodes %u mode %o flags %u\n", (unsigned long long)p.root_size, p.root_inodes, p.root_mode, p.root_flags);
  printf("uid_map %s", p.uid_map);
  printf("gid_map %s", p.gid_map);
  printf("hostname %s\n", p.hostname ? p.hostname : "(unset)");
  printf("domainname %s\n", p.domainname ? p.domainname : "(unset)");
  printf("exec %s\n", p.exec_path);
  for (int i = 0; i < p.argc; i++) printf("arg %s\n", p.argv[i]);
  for (int i = 0; i < p.nmounts; i++) {
    const struct mount_op *m = &p.mounts[i];
    if (m->kind == MOUNT_DIR) printf("dir %s\n", m->dest);
    if (m->kind == MOUNT_SYMLINK) printf("symlink %s -> %s\n", m->dest, m->source);
    if (m->kind == MOUNT_TMPFS) printf("tmpfs %s size %llu inodes %llu\n", m->dest, (unsigned long long)m->dev, (unsigned long long)m->ino);
    if (m->kind == MOUNT_DEVICE) printf("device %s from %s\n", m->dest, m->source);
    if (m->kind == MOUNT_PROC) {
      printf("proc %s read-only", m->dest);
      const char *part = m->source;
      for (uint32_t k = 0; k < m->nparts; k++, part += strlen(part) + 1) printf(" %s", part);
      printf("\n");
    }
    if (m->kind == MOUNT_BIND)
      printf("bind %s from %s flags %u dev %llu ino %llu\n", m->dest, m->source, m->flags, (unsigned long long)m->dev, (unsigned long long)m->ino);
  }
  for (int i = 0; i < p.nenv; i++) printf("env %s\n", p.envp[i]);
  if (p.cwd != NULL) printf("cwd %s\n", p.cwd);
  for (int i = 0; i < p.nfds; i++) printf("fd %d from %d\n", p.fds[i].target, p.fds[i].source);
  for (int i = 0; i < p.ncgroups; i++) printf("cgroup %d\n", p.cgroup_fds[i]);
  if (p.seccomp) {
    printf("seccomp arch %u rules %u known_max %u ranges %u enosys %u\n", p.seccomp_arch, p.seccomp_rules, p.seccomp_known_max, p.seccomp_nranges,
           p.seccomp_nenosys);
  }
  for (int i = 0; i < p.nuser_limits; i++) printf("user_limit %s %u\n", p.user_limits[i].name, p.user_limits[i].value);
  for (int i = 0; i < p.nconnects; i++) printf("connect %s %u\n", p.connects[i].protocol == PLAN_CONNECT_TCP ? "tcp" : "udp", p.connects[i].port);
  if (p.factory_fd >= 0) printf("factory %d\n", p.factory_fd);
  if (p.message_fd >= 0) printf("message %d\n", p.message_fd);
  plan_free(&p);
  free(exact);
  return 0;
}
