/*
 * void_spawn.h — between the parent side of a spawn (spawn_clone.c: the
 * stack, the signal mask, clone) and the child (void_spawn.c: everything
 * the CLONE_VM child runs, and nothing else, so that
 * test/unit/child-symbols.test.ts can check, from the object file alone,
 * that the child calls only plain system-call wrappers).
 */
#ifndef VOID_SPAWN_H
#define VOID_SPAWN_H

#include <limits.h>

#include "plan.h"

/* Everything the child needs; lives on the parent's (suspended) stack. */
struct child_ctx {
  struct void_plan *plan; /* read only, but for ns_ino (record_namespaces) */
  int status_fd;          /* where errors go; moves when fds are rearranged */
  int init_fd;            /* void-init, executed last; moves too */
  int factory_fd;         /* void-init's socket factory end, -1 if none; placed by place_fds */
  int message_fd;         /* a prepared void's message socket end, -1 if none; placed by place_fds */
  const int *pidfd;       /* where clone stores the child's pidfd in the launcher (for the mapper) */
  int newroot_fd;         /* O_PATH fd of /newroot while the tree is built (walk_to_parent), else -1 */
  /* A failure record the child could not write to the status pipe (the
   * pipe's page is charged to the writer's memory cgroup, and a void made
   * under a small memory limit may have filled it): the child leaves it
   * here, in the memory it shares with the launcher, and void_spawn writes
   * it once the clone returns, charged to the launcher. */
  char unsent[PATH_MAX + 512];
  unsigned unsent_len;
};

/* The child: builds the void described by the struct child_ctx `arg` and
 * execs void-init; never returns (a failure is reported on the status pipe
 * and the child exits 125). native/void_spawn.c. */
int void_child_main(void *arg);

/* The parent: clones a child running void_child_main for `plan`, with
 * CLONE_VM|CLONE_VFORK|CLONE_PIDFD and every namespace; returns once the
 * child has exec'd void-init (or died): its pid, with *pidfd_out set, or
 * -errno. native/spawn_clone.c. */
int void_spawn(struct void_plan *plan, int *pidfd_out);

#endif
