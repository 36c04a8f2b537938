/*
 * plan.h — the flat, serialised form of one void, shared by the Node-API
 * addon (void_addon.c) and the code that runs in the cloned child
 * (void_spawn.c).
 *
 * TypeScript (src/orchestrator/marshal.ts) writes a plan as a sequence of
 * records: [u32 tag][u32 length][payload, padded to 4 bytes], native byte
 * order. Strings in payloads are NUL-terminated. The addon parses the
 * records into `struct void_plan` *before* cloning, so the child only reads
 * memory that was fully prepared by its parent: it never allocates, locks
 * or calls into Node.
 *
 * The tags, flags, limits and fd layout are the contract's: native/contract.h,
 * generated from src/native/contract.ts (the one table marshal.ts uses).
 */
#ifndef VOID_PLAN_H
#define VOID_PLAN_H

#include <stdint.h>

#include "contract.h"

/* The architecture whose SECCOMP records this build accepts
 * (PLAN_SECCOMP_ARCH_*): the one it is compiled for, since a record's
 * numbers name other calls on another. Elsewhere none: every SECCOMP
 * record is refused. A test may define it to act as another build
 * (test/unit/plan-contract.test.ts). */
#ifndef VOID_PLAN_SECCOMP_ARCH
#if defined(__x86_64__)
#define VOID_PLAN_SECCOMP_ARCH PLAN_SECCOMP_ARCH_X86_64
#elif defined(__aarch64__)
#define VOID_PLAN_SECCOMP_ARCH PLAN_SECCOMP_ARCH_AARCH64
#else
#define VOID_PLAN_SECCOMP_ARCH 0
#endif
#endif

/* What a void's child asks the addon's mapper thread to do: write its
 * setgroups, uid_map and gid_map (a process may map only its own id into
 * the user namespace it is born in; any other mapping must be written
 * from the parent namespace by a holder of CAP_SETUID/CAP_SETGID there).
 * The child sends the address of this struct (memory is shared: the child
 * is a CLONE_VM child) on the mapper's pipe and waits for one byte on
 * `ack_rd`: 0 when the maps are written, else the errno. */
struct map_request {
  const char *uid_map;
  const char *gid_map;
  const int *pidfd; /* where clone(CLONE_PIDFD) put the child's pidfd, in the launcher */
  int ack_wr;       /* the launcher's end of the answer pipe */
};

/* The launcher's thread that answers map requests (native/mapper.c):
 * reads them from the pipe whose read end is `rd_fd` (an int cast to a
 * pointer, for pthread_create), until every writer has closed it. */
void *void_mapper(void *rd_fd);

/* Every mount the plan lists, in its order (the ROOT record is kept apart:
 * it is made first, before the tree is built on it). */
enum mount_kind { MOUNT_DIR, MOUNT_SYMLINK, MOUNT_BIND, MOUNT_TMPFS, MOUNT_DEVICE, MOUNT_PROC };

struct mount_op {
  enum mount_kind kind;
  uint32_t flags;     /* BIND_* for binds */
  uint64_t dev, ino;  /* binds with BIND_IDENTITY; for MOUNT_TMPFS: size in bytes, most inodes */
  const char *source; /* host path for binds, link target for symlinks; MOUNT_PROC: the first of
                         `nparts` names of parts made read-only, NUL-terminated one after another */
  const char *dest;   /* absolute path inside the void (MOUNT_DEVICE: also the host device's path) */
  uint32_t nparts;    /* MOUNT_PROC: how many names start at `source` */
};

struct fd_op {
  int32_t source; /* fd in the launcher, or -1 for /dev/null */
  int32_t target; /* fd number inside the void */
};

struct void_plan {
  uint32_t options;
  /* The ROOT record: the void's root tmpfs, of at most root_size bytes and
   * root_inodes files, mode root_mode, flags PLAN_ROOT_*. */
  uint64_t root_size;
  uint32_t root_inodes;
  uint32_t root_mode;
  uint32_t root_flags;
  const char *uid_map;
  const char *gid_map;
  const char *hostname;
  const char *domainname;
  const char *exec_path;
  const char **argv; /* NULL-terminated */
  int argc;
  /* PLAN_INIT_ARGS slots right before argv, in the same array: the child
   * writes void-init's own arguments there and executes the whole array,
   * so an argv of any length costs the child's small stack nothing. */
  const char **init_argv;
  const char **envp; /* NULL-terminated "NAME=value" strings */
  int nenv;
  const char *cwd; /* NULL: "/" */
  struct mount_op *mounts;
  int nmounts;
  struct fd_op *fds;
  int nfds;
  /* seccomp: seccomp == 0 means no filter (SeccompUnconfined). The
   * allowed numbers are inclusive ranges [2i, 2i+1] of seccomp_ranges,
   * ascending and disjoint; any other number up to seccomp_known_max gets
   * EPERM (ENOSYS if listed in seccomp_enosys), past it ENOSYS. The arrays
   * point into the marshalled buffer and may be unaligned. seccomp_arch
   * (PLAN_SECCOMP_ARCH_*) is whose numbers they are: VOID_PLAN_SECCOMP_ARCH,
   * or plan.c refuses the plan. */
  uint32_t seccomp_arch;
  const uint32_t *seccomp_ranges;
  uint32_t seccomp_nranges;
  const uint32_t *seccomp_enosys;
  uint32_t seccomp_nenosys;
  uint32_t seccomp_known_max;
  uint32_t seccomp_rules;
  int seccomp;
  int cgroup_fds[PLAN_MAX_CGROUPS];
  int ncgroups;
  /* Limits of the void's own user namespace (src/plan/plan.ts planUserLimits). */
  struct {
    const char *name;
    uint32_t value;
  } user_limits[PLAN_MAX_USER_LIMITS];
  int nuser_limits;
  /* Connect grants (void_spawn.c open_connects): protocol and port at
   * 127.0.0.1 in the void, in spec order. */
  struct {
    uint32_t protocol;
    uint16_t port;
  } connects[PLAN_MAX_CONNECTS];
  int nconnects;
  /* Launcher fd of void-init's socket-factory end, or -1 (no Forward or Connect). */
  int factory_fd;
  /* Launcher fd of void-init's message-socket end, or -1: a prepared
   * void, whose void-init waits for its trigger message (argv and fds)
   * before starting the entrypoint (void_init.c). */
  int message_fd;
  /* Filled in by the child with PLAN_OPT_RECORD_NS: the inode of each of
   * its namespaces, in the order user mnt pid net ipc uts cgroup time
   * (time: the one its children get), 0 where unknown. Read before the void can exit, so `void run -v`
   * never has to read them from /proc after the fact. */
  uint64_t ns_ino[8];
  /* Filled in by the addon, not by TypeScript. */
  int init_fd;                /* O_PATH fd of the void-init binary */
  int launcher_pidfd;         /* pidfd of the launcher itself: readable once it has died */
  int mapper_fd;              /* write end of the mapper thread's request pipe (PLAN_OPT_MAPS_BY_LAUNCHER) */
  int map_ack_rd, map_ack_wr; /* this spawn's answer pipe, or -1 */
  int status_fd;              /* write end of the status pipe */
  /* Set to 1 by the child once it holds no fd of the launcher's but those
   * this plan names (void_spawn.c drop_launcher_fds); NULL: nobody asks.
   * The addon's closers wait for it (native/addon/relay.c). */
  volatile int *fds_dropped;
  char *arena; /* owns argv, mounts, fds */
};

/* Parses `len` bytes at `buf` (which must outlive the plan). Returns 0, or
 * writes a reason into `err` and returns -1. */
int plan_parse(const uint8_t *buf, size_t len, struct void_plan *plan, char *err, size_t errlen);
void plan_free(struct void_plan *plan);

/* Clones the void described by `plan` (see void_spawn.c). On success returns
 * the host pid and stores a pidfd; on failure returns -errno. */
int void_spawn(struct void_plan *plan, int *pidfd_out);

/* Status records written by the child and by void-init on the status pipe,
 * one write(2) each, tab-separated, newline-terminated:
 *   E <errno> <what failed>   set-up or execve failure ("bind /a -> /b")
 *   S <pid in the void>       debug (-d): the entrypoint is stopped after its execve
 *   X <code>                  the entrypoint exited with <code>
 *   K <signal>                the entrypoint was killed by <signal>
 */

#endif
