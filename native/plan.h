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
 * Keep the tag numbers in sync with src/orchestrator/marshal.ts.
 */
#ifndef VOID_PLAN_H
#define VOID_PLAN_H

#include <stdint.h>

enum plan_tag {
  PLAN_TAG_OPTIONS = 1,     /* u32 options (PLAN_OPT_*) */
  PLAN_TAG_UID_MAP = 2,     /* string: the whole uid_map content */
  PLAN_TAG_GID_MAP = 3,     /* string: the whole gid_map content */
  PLAN_TAG_HOSTNAME = 4,    /* string */
  PLAN_TAG_DOMAINNAME = 5,  /* string */
  PLAN_TAG_EXEC = 6,        /* string: path of the entrypoint inside the void */
  PLAN_TAG_ARG = 7,         /* string: one argv element, in order */
  PLAN_TAG_DIR = 8,         /* string: directory to create (mkdir -p) */
  PLAN_TAG_SYMLINK = 9,     /* string target, string link path */
  PLAN_TAG_BIND = 10,       /* u32 flags (BIND_*), u32 dev low, high, u32 ino low, high, string source, string dest */
  PLAN_TAG_FD = 11,         /* i32 source fd in the launcher (-1: /dev/null), i32 target fd */
  PLAN_TAG_SECCOMP = 12,    /* u32 rules (SECCOMP_RULE_*), u32 highest known number, u32 nranges, u32 nenosys,
                               nranges x (u32 first, u32 last) allowed, nenosys x u32 numbers that get ENOSYS */
  PLAN_TAG_CGROUP = 13,     /* i32 fd in the launcher: a cgroup.procs to join (one per hierarchy) */
  PLAN_TAG_FACTORY = 14,    /* i32 fd in the launcher: void-init's end of the socket factory (Forward grants) */
  PLAN_TAG_MESSAGE = 15,    /* i32 fd in the launcher: void-init's end of a prepared void's message socket */
  PLAN_TAG_USER_LIMIT = 16, /* u32 value, string name: a file of /proc/sys/user in the void's user namespace */
  PLAN_TAG_TMPFS = 17,      /* u32 size low, high (bytes), u32 most inodes, string dest: writable scratch tmpfs */
  PLAN_TAG_ENV = 18,        /* string "NAME=value": one environment variable, in order */
  PLAN_TAG_CWD = 19,        /* string: the directory the entrypoint starts in (absolute) */
  PLAN_TAG_CONNECT = 20,    /* u32 protocol (PLAN_CONNECT_*), u32 port: a Connect grant's socket at 127.0.0.1:port */
};

/* CONNECT records: at most this many (their sockets travel in one
 * SCM_RIGHTS message; MAX_CONNECTS in src/spec/validate.ts), and only in a
 * plan with a socket factory and the loopback up. */
#define PLAN_MAX_CONNECTS 16
enum plan_connect_protocol { PLAN_CONNECT_TCP = 1, PLAN_CONNECT_UDP = 2 };

/* Argument rules of a void's filter (src/plan/seccomp.ts SECCOMP_RULES;
 * native/seccomp_filter.h implements each). */
enum seccomp_rules {
  SECCOMP_RULE_NS_CLONE = 1u << 0,    /* clone() with CLONE_NEW* -> EPERM */
  SECCOMP_RULE_TTY_INJECT = 1u << 1,  /* ioctl TIOCSTI/TIOCLINUX -> EPERM */
  SECCOMP_RULE_SUID = 1u << 2,        /* S_ISUID/S_ISGID in chmod/open/creat/mkdir/mknod modes -> EPERM */
  SECCOMP_RULE_SOCKET = 1u << 3,      /* socket families other than unix, inet, inet6, route netlink */
  SECCOMP_RULE_PERSONALITY = 1u << 4, /* personality flags other than the harmless ones -> EPERM */
  SECCOMP_RULE_HOST_SOCKETS = 1u << 5, /* connect(), sendto() with an address -> EPERM */
  SECCOMP_RULE_LEASES = 1u << 6,      /* fcntl F_SETLEASE -> EPERM */
  SECCOMP_RULE_INIT_LIMITS = 1u << 7, /* prlimit64 on pid 1 (void-init) -> EPERM */
  SECCOMP_RULE_DEBUG_PTRACE = 1u << 8, /* void run -d only: ptrace() other than TRACEME, DETACH -> EPERM */
  SECCOMP_RULES_ALL = (1u << 9) - 1,
};

/* Bounds of a seccomp record: the program must stay under BPF_MAXINSNS
 * (4096); see VOID_FILTER_MAX_INSNS. */
#define PLAN_MAX_SECCOMP_RANGES 512
#define PLAN_MAX_SECCOMP_ENOSYS 64
/* void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH, before the entrypoint's argv. */
#define PLAN_INIT_ARGS 6

/* USER_LIMIT records: at most this many, names of [a-z_] only. */
#define PLAN_MAX_USER_LIMITS 16
#define PLAN_MAX_USER_LIMIT_NAME 32

enum plan_options {
  PLAN_OPT_NEWTIME = 1u << 0, /* unshare CLONE_NEWTIME before exec */
  PLAN_OPT_PROCFS = 1u << 1,  /* mount a /proc of the void's PID namespace */
  PLAN_OPT_DEBUG = 1u << 2,   /* stop the entrypoint at its first instruction after execve (void_init.c) */
  PLAN_OPT_LOOPBACK = 1u << 3, /* bring up lo in the void's network namespace */
  PLAN_OPT_DEV_RANDOM = 1u << 4, /* bind the host's /dev/random and /dev/urandom */
  PLAN_OPT_MAPS_BY_LAUNCHER = 1u << 5, /* the id maps name another host id: the launcher writes them */
  PLAN_OPT_RECORD_NS = 1u << 6, /* fill ns_ino (void run -v logs it); off, the spawn path does not stat /proc */
};

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

enum bind_flags {
  BIND_READONLY = 1u << 0,
  BIND_DIRECTORY = 1u << 1, /* the source is a directory (else a file) */
  BIND_IDENTITY = 1u << 2,  /* dev and ino are the source's at planning time: bind only that object */
};

enum mount_kind { MOUNT_DIR, MOUNT_SYMLINK, MOUNT_BIND, MOUNT_TMPFS };

struct mount_op {
  enum mount_kind kind;
  uint32_t flags;
  uint64_t dev, ino; /* binds with BIND_IDENTITY; for MOUNT_TMPFS: size in bytes, most inodes */
  const char *source; /* host path for binds, link target for symlinks */
  const char *dest;   /* absolute path inside the void */
};

struct fd_op {
  int32_t source; /* fd in the launcher, or -1 for /dev/null */
  int32_t target; /* fd number inside the void */
};

struct void_plan {
  uint32_t options;
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
  const char *cwd;   /* NULL: "/" */
  struct mount_op *mounts;
  int nmounts;
  struct fd_op *fds;
  int nfds;
  /* seccomp: seccomp == 0 means no filter (SeccompUnconfined). The
   * allowed numbers are inclusive ranges [2i, 2i+1] of seccomp_ranges,
   * ascending and disjoint; any other number up to seccomp_known_max gets
   * EPERM (ENOSYS if listed in seccomp_enosys), past it ENOSYS. The arrays
   * point into the marshalled buffer and may be unaligned. */
  const uint32_t *seccomp_ranges;
  uint32_t seccomp_nranges;
  const uint32_t *seccomp_enosys;
  uint32_t seccomp_nenosys;
  uint32_t seccomp_known_max;
  uint32_t seccomp_rules;
  int seccomp;
  int cgroup_fds[8];
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
  int init_fd;   /* O_PATH fd of the void-init binary */
  int launcher_pidfd; /* pidfd of the launcher itself: readable once it has died */
  int mapper_fd; /* write end of the mapper thread's request pipe (PLAN_OPT_MAPS_BY_LAUNCHER) */
  int map_ack_rd, map_ack_wr; /* this spawn's answer pipe, or -1 */
  int status_fd; /* write end of the status pipe */
  char *arena;   /* owns argv, mounts, fds */
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
