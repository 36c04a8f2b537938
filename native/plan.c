/*
 * plan.c — parse the flat plan written by src/orchestrator/marshal.ts.
 *
 * Runs in the launcher (a libuv worker thread), never in the cloned child,
 * so it may allocate. Every length is checked against the buffer: a
 * malformed plan is an error, not a crash.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

struct reader {
  const uint8_t *p;
  const uint8_t *end;
};

static int read_u32(struct reader *r, uint32_t *out) {
  if (r->end - r->p < 4) return -1;
  memcpy(out, r->p, 4);
  r->p += 4;
  return 0;
}

/* A plain absolute path: "/", or "/" followed by components that are
 * neither empty nor "." nor "..", at most PLAN_MAX_PATH bytes. What the
 * child mounts at it is then exactly where the plan says. */
static int plain_path(const char *s) {
  if (s[0] != '/' || strlen(s) > PLAN_MAX_PATH) return 0;
  if (s[1] == 0) return 1;
  for (const char *c = s + 1;;) {
    size_t n = strcspn(c, "/");
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 0;
    if (c[n] == 0) return 1;
    c += n + 1;
  }
}

/* A NUL-terminated string inside [p, end); advances past it. */
static const char *read_str(struct reader *r) {
  const uint8_t *nul = memchr(r->p, 0, (size_t)(r->end - r->p));
  if (nul == NULL) return NULL;
  const char *s = (const char *)r->p;
  r->p = nul + 1;
  return s;
}

int plan_parse(const uint8_t *buf, size_t len, struct void_plan *plan, char *err, size_t errlen) {
  memset(plan, 0, sizeof *plan);
  plan->init_fd = -1;
  plan->status_fd = -1;
  plan->launcher_pidfd = -1;
  plan->factory_fd = -1;
  plan->message_fd = -1;
  plan->mapper_fd = -1;
  plan->map_ack_rd = -1;
  plan->map_ack_wr = -1;

  /* First pass: count arrays so one allocation holds them all. */
  int nargs = 0, nmounts = 0, nfds = 0, nenv = 0;
  struct reader r = {buf, buf + len};
  while (r.p < r.end) {
    uint32_t tag, plen;
    if (read_u32(&r, &tag) || read_u32(&r, &plen) || (size_t)(r.end - r.p) < plen) {
      snprintf(err, errlen, "plan: truncated record at offset %zu", (size_t)(r.p - buf));
      return -1;
    }
    if (tag == PLAN_TAG_ARG) nargs++;
    if (tag == PLAN_TAG_DIR || tag == PLAN_TAG_SYMLINK || tag == PLAN_TAG_BIND || tag == PLAN_TAG_TMPFS || tag == PLAN_TAG_DEVICE ||
        tag == PLAN_TAG_PROC)
      nmounts++;
    if (tag == PLAN_TAG_ENV) nenv++;
    if (tag == PLAN_TAG_FD) nfds++;
    r.p += (plen + 3u) & ~3u;
    if (r.p > r.end) r.p = r.end;
  }

  /* argv gets PLAN_INIT_ARGS slots before it: void-init's own arguments,
   * filled in by the child (see plan.h init_argv). */
  size_t size = sizeof(char *) * (size_t)(PLAN_INIT_ARGS + nargs + 1) + sizeof(char *) * (size_t)(nenv + 1) +
                sizeof(struct mount_op) * (size_t)nmounts + sizeof(struct fd_op) * (size_t)nfds;
  plan->arena = calloc(1, size ? size : 1);
  if (plan->arena == NULL) {
    snprintf(err, errlen, "plan: out of memory");
    return -1;
  }
  plan->mounts = (struct mount_op *)plan->arena;
  plan->fds = (struct fd_op *)(plan->mounts + nmounts);
  plan->init_argv = (const char **)(plan->fds + nfds);
  plan->argv = plan->init_argv + PLAN_INIT_ARGS;
  plan->envp = plan->argv + nargs + 1;

  int nroots = 0, nprocs = 0, has_dev_null = 0;
  r.p = buf;
  while (r.p < r.end) {
    uint32_t tag = 0, plen = 0;
    read_u32(&r, &tag);
    read_u32(&r, &plen);
    struct reader pr = {r.p, r.p + plen};
    r.p += (plen + 3u) & ~3u;
    if (r.p > r.end) r.p = r.end;
    const char *a = NULL, *b = NULL;
    uint32_t u = 0, v = 0;
    switch (tag) {
      case PLAN_TAG_OPTIONS:
        if (read_u32(&pr, &plan->options)) goto bad;
        break;
      case PLAN_TAG_UID_MAP:
        if (!(plan->uid_map = read_str(&pr))) goto bad;
        break;
      case PLAN_TAG_GID_MAP:
        if (!(plan->gid_map = read_str(&pr))) goto bad;
        break;
      case PLAN_TAG_HOSTNAME:
        if (!(plan->hostname = read_str(&pr))) goto bad;
        break;
      case PLAN_TAG_DOMAINNAME:
        if (!(plan->domainname = read_str(&pr))) goto bad;
        break;
      case PLAN_TAG_EXEC:
        if (!(plan->exec_path = read_str(&pr))) goto bad;
        break;
      case PLAN_TAG_ARG:
        if (!(a = read_str(&pr))) goto bad;
        plan->argv[plan->argc++] = a;
        break;
      case PLAN_TAG_DIR:
        if (!(a = read_str(&pr))) goto bad;
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_DIR, .dest = a};
        break;
      case PLAN_TAG_SYMLINK:
        if (!(a = read_str(&pr)) || !(b = read_str(&pr))) goto bad;
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_SYMLINK, .source = a, .dest = b};
        break;
      case PLAN_TAG_BIND: {
        uint32_t dev_lo, dev_hi, ino_lo, ino_hi;
        if (read_u32(&pr, &u) || read_u32(&pr, &dev_lo) || read_u32(&pr, &dev_hi) || read_u32(&pr, &ino_lo) || read_u32(&pr, &ino_hi) ||
            !(a = read_str(&pr)) || !(b = read_str(&pr)) || a[0] != '/')
          goto bad;
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_BIND,
                                                          .flags = u,
                                                          .dev = ((uint64_t)dev_hi << 32) | dev_lo,
                                                          .ino = ((uint64_t)ino_hi << 32) | ino_lo,
                                                          .source = a,
                                                          .dest = b};
        break;
      }
      case PLAN_TAG_SECCOMP: {
        uint32_t prev = 0;
        /* The numbers are those of the record's architecture: on another
         * one they would name other calls. */
        if (read_u32(&pr, &plan->seccomp_arch) || plan->seccomp_arch == 0 || plan->seccomp_arch != (uint32_t)VOID_PLAN_SECCOMP_ARCH ||
            read_u32(&pr, &plan->seccomp_rules) || read_u32(&pr, &plan->seccomp_known_max) || read_u32(&pr, &plan->seccomp_nranges) ||
            read_u32(&pr, &plan->seccomp_nenosys) || plan->seccomp_rules & ~(uint32_t)SECCOMP_RULES_ALL || plan->seccomp_known_max >= 0x40000000u ||
            plan->seccomp_nranges > PLAN_MAX_SECCOMP_RANGES || plan->seccomp_nenosys > PLAN_MAX_SECCOMP_ENOSYS ||
            (size_t)(pr.end - pr.p) != 8u * plan->seccomp_nranges + 4u * plan->seccomp_nenosys)
          goto bad;
        plan->seccomp_ranges = (const uint32_t *)(const void *)pr.p;
        plan->seccomp_enosys = plan->seccomp_ranges + 2 * plan->seccomp_nranges;
        plan->seccomp = 1;
        /* The filter searches the ranges as a binary tree: each one
         * well-formed, below the x32 bit, strictly after the previous one;
         * the ENOSYS numbers strictly ascending too. */
        for (uint32_t i = 0; i < plan->seccomp_nranges; i++) {
          uint32_t first, last;
          memcpy(&first, plan->seccomp_ranges + 2 * i, 4);
          memcpy(&last, plan->seccomp_ranges + 2 * i + 1, 4);
          if (first > last || last >= 0x40000000u || (i > 0 && first <= prev)) goto bad;
          prev = last;
        }
        for (uint32_t i = 0; i < plan->seccomp_nenosys; i++) {
          uint32_t nr;
          memcpy(&nr, plan->seccomp_enosys + i, 4);
          if (nr >= 0x40000000u || (i > 0 && nr <= prev)) goto bad;
          prev = nr;
        }
        break;
      }
      case PLAN_TAG_CGROUP:
        if (read_u32(&pr, &u) || plan->ncgroups >= PLAN_MAX_CGROUPS) goto bad;
        plan->cgroup_fds[plan->ncgroups++] = (int)u;
        break;
      case PLAN_TAG_FACTORY:
        if (read_u32(&pr, &u) || (int32_t)u < 0) goto bad;
        plan->factory_fd = (int)u;
        break;
      case PLAN_TAG_MESSAGE:
        if (read_u32(&pr, &u) || (int32_t)u < 0) goto bad;
        plan->message_fd = (int)u;
        break;
      case PLAN_TAG_TMPFS: {
        uint32_t lo, hi, inodes;
        if (read_u32(&pr, &lo) || read_u32(&pr, &hi) || read_u32(&pr, &inodes) || !(a = read_str(&pr)) || inodes == 0 || (lo == 0 && hi == 0))
          goto bad;
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_TMPFS, .dev = ((uint64_t)hi << 32) | lo, .ino = inodes, .dest = a};
        break;
      }
      case PLAN_TAG_ROOT: {
        /* The void's root: one, at "/", of a size and an inode count the
         * kernel can honour, a plain mode, known flags, nothing after. */
        uint32_t lo, hi, inodes, mode, flags;
        if (read_u32(&pr, &lo) || read_u32(&pr, &hi) || read_u32(&pr, &inodes) || read_u32(&pr, &mode) || read_u32(&pr, &flags) ||
            !(a = read_str(&pr)) || pr.p != pr.end || nroots++ > 0 || strcmp(a, "/") != 0 || (lo == 0 && hi == 0) || inodes == 0 || mode > 07777 ||
            (flags & ~(uint32_t)PLAN_ROOT_ALL) != 0)
          goto bad;
        plan->root_size = ((uint64_t)hi << 32) | lo;
        plan->root_inodes = inodes;
        plan->root_mode = mode;
        plan->root_flags = flags;
        break;
      }
      case PLAN_TAG_DEVICE:
        /* A host device node bound at the same path: a plain path under
         * /dev (the child also checks that it is a character device). */
        if (!(a = read_str(&pr)) || pr.p != pr.end || strncmp(a, "/dev/", 5) != 0 || !plain_path(a)) goto bad;
        if (strcmp(a, "/dev/null") == 0) has_dev_null = 1;
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_DEVICE, .source = a, .dest = a};
        break;
      case PLAN_TAG_PROC: {
        /* One proc, at a plain path; the names of the parts made read-only
         * are single components of [a-z0-9_-], at most PLAN_MAX_PROC_READONLY. */
        uint32_t nparts = 0;
        const char *first = NULL;
        if (!(a = read_str(&pr)) || !plain_path(a) || strcmp(a, "/") == 0 || nprocs++ > 0) goto bad;
        while (pr.p < pr.end) {
          if (!(b = read_str(&pr)) || nparts >= PLAN_MAX_PROC_READONLY || b[0] == 0 || b[strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789_-")] != 0)
            goto bad;
          if (first == NULL) first = b;
          nparts++;
        }
        plan->mounts[plan->nmounts++] = (struct mount_op){.kind = MOUNT_PROC, .source = first, .dest = a, .nparts = nparts};
        break;
      }
      case PLAN_TAG_ENV:
        /* NAME=value with a non-empty name: anything else is not an environment entry. */
        if (!(a = read_str(&pr)) || a[0] == '=' || strchr(a, '=') == NULL) goto bad;
        plan->envp[plan->nenv++] = a;
        break;
      case PLAN_TAG_CWD:
        if (!(a = read_str(&pr)) || a[0] != '/' || strlen(a) > PLAN_MAX_PATH) goto bad;
        plan->cwd = a;
        break;
      case PLAN_TAG_USER_LIMIT: {
        /* The name becomes a path under /proc/sys/user: one plain component. */
        if (read_u32(&pr, &u) || !(a = read_str(&pr)) || plan->nuser_limits >= PLAN_MAX_USER_LIMITS || a[0] == 0 ||
            strlen(a) > PLAN_MAX_USER_LIMIT_NAME || a[strspn(a, "abcdefghijklmnopqrstuvwxyz_")] != 0)
          goto bad;
        plan->user_limits[plan->nuser_limits].name = a;
        plan->user_limits[plan->nuser_limits++].value = u;
        break;
      }
      case PLAN_TAG_CONNECT:
        if (read_u32(&pr, &u) || read_u32(&pr, &v) || plan->nconnects >= PLAN_MAX_CONNECTS || (u != PLAN_CONNECT_TCP && u != PLAN_CONNECT_UDP) ||
            v < 1 || v > 65535)
          goto bad;
        plan->connects[plan->nconnects].protocol = u;
        plan->connects[plan->nconnects++].port = (uint16_t)v;
        break;
      case PLAN_TAG_FD:
        if (read_u32(&pr, &u) || read_u32(&pr, &v)) goto bad;
        plan->fds[plan->nfds++] = (struct fd_op){(int32_t)u, (int32_t)v};
        break;
      default:
        snprintf(err, errlen, "plan: unknown record tag %u", tag);
        plan_free(plan);
        return -1;
    }
    continue;
  bad:
    snprintf(err, errlen, "plan: malformed record (tag %u)", tag);
    plan_free(plan);
    return -1;
  }
  plan->argv[plan->argc] = NULL;
  plan->envp[plan->nenv] = NULL;

  if (plan->exec_path == NULL || plan->argc == 0 || plan->uid_map == NULL || plan->gid_map == NULL) {
    snprintf(err, errlen, "plan: missing exec path, argv or id maps");
    plan_free(plan);
    return -1;
  }
  /* The child builds the tree on the root and connects every ungranted
   * standard stream to /dev/null: a plan without either cannot run. */
  if (nroots != 1 || !has_dev_null) {
    snprintf(err, errlen, "plan: no root tmpfs or no /dev/null");
    plan_free(plan);
    return -1;
  }
  /* A Connect's socket reaches the launcher over the factory, and binds
   * 127.0.0.1 only once lo is up. */
  if (plan->nconnects > 0 && (plan->factory_fd < 0 || !(plan->options & PLAN_OPT_LOOPBACK))) {
    snprintf(err, errlen, "plan: Connect records without a socket factory and the loopback up");
    plan_free(plan);
    return -1;
  }
  for (int i = 0; i < plan->nmounts; i++) {
    const char *d = plan->mounts[i].dest;
    if (d[0] != '/' || strlen(d) > PLAN_MAX_PATH) {
      snprintf(err, errlen, "plan: bad destination path \"%s\"", d);
      plan_free(plan);
      return -1;
    }
  }
  return 0;
}

void plan_free(struct void_plan *plan) {
  free(plan->arena);
  plan->arena = NULL;
}
