/*
 * contract.h — the numbers TypeScript and C agree on: plan record tags,
 * option bits, bind and root flags, Connect protocols, seccomp
 * architectures and rule bits, limits and the fd layout of a void.
 *
 * GENERATED from src/native/contract.ts by scripts/gen-contract.mjs
 * (npm run gen-contract); do not edit. test/unit/contract.test.ts fails
 * when this file differs from what the table renders.
 */
#ifndef VOID_CONTRACT_H
#define VOID_CONTRACT_H

/* Record tags of a marshalled plan: [u32 tag][u32 length][payload, padded to 4 bytes], native byte
 * order; strings NUL-terminated
 */
enum plan_tag {
  /* u32 options (PLAN_OPT_*) */
  PLAN_TAG_OPTIONS = 1,
  /* string: the whole uid_map content */
  PLAN_TAG_UID_MAP = 2,
  /* string: the whole gid_map content */
  PLAN_TAG_GID_MAP = 3,
  /* string */
  PLAN_TAG_HOSTNAME = 4,
  /* string */
  PLAN_TAG_DOMAINNAME = 5,
  /* string: path of the entrypoint inside the void */
  PLAN_TAG_EXEC = 6,
  /* string: one argv element, in order */
  PLAN_TAG_ARG = 7,
  /* string: directory to create (mkdir -p) */
  PLAN_TAG_DIR = 8,
  /* string target, string link path */
  PLAN_TAG_SYMLINK = 9,
  /* u32 flags (BIND_*), u32 dev low, high, u32 ino low, high, string source, string dest */
  PLAN_TAG_BIND = 10,
  /* i32 source fd in the launcher (-1: /dev/null), i32 target fd */
  PLAN_TAG_FD = 11,
  /* u32 arch (PLAN_SECCOMP_ARCH_*: whose numbers these are), u32 rules (SECCOMP_RULE_*), u32
   * highest known number, u32 nranges, u32 nenosys, nranges x (u32 first, u32 last) allowed,
   * nenosys x u32 numbers that get ENOSYS
   */
  PLAN_TAG_SECCOMP = 12,
  /* i32 fd in the launcher: a cgroup.procs to join (one per hierarchy) */
  PLAN_TAG_CGROUP = 13,
  /* i32 fd in the launcher: void-init's end of the socket factory (Forward and Connect grants) */
  PLAN_TAG_FACTORY = 14,
  /* i32 fd in the launcher: void-init's end of a prepared void's message socket */
  PLAN_TAG_MESSAGE = 15,
  /* u32 value, string name: a file of /proc/sys/user in the void's user namespace */
  PLAN_TAG_USER_LIMIT = 16,
  /* u32 size low, high (bytes), u32 most inodes, string dest: writable scratch tmpfs (a Tmpfs
   * grant)
   */
  PLAN_TAG_TMPFS = 17,
  /* string "NAME=value": one environment variable, in order */
  PLAN_TAG_ENV = 18,
  /* string: the directory the entrypoint starts in (absolute) */
  PLAN_TAG_CWD = 19,
  /* u32 protocol (PLAN_CONNECT_*), u32 port: a Connect grant's socket at 127.0.0.1:port */
  PLAN_TAG_CONNECT = 20,
  /* u32 size low, high (bytes), u32 most inodes, u32 mode, u32 flags (PLAN_ROOT_*), string dest
   * ("/"): the void's root tmpfs; exactly one
   */
  PLAN_TAG_ROOT = 21,
  /* string path under /dev: the host's character device bound at the same path (nosuid, noexec) */
  PLAN_TAG_DEVICE = 22,
  /* string dest, then strings: the parts of it made read-only (one component each): a proc of the
   * void's PID namespace; at most one
   */
  PLAN_TAG_PROC = 23,
};

/* Bits of the OPTIONS record (void-init gets them as its OPTIONS argument) */
enum plan_options {
  /* unshare CLONE_NEWTIME before exec */
  PLAN_OPT_NEWTIME = 1u << 0,
  /* stop the entrypoint at its first instruction after execve (void_init.c) */
  PLAN_OPT_DEBUG = 1u << 1,
  /* bring up lo in the void's network namespace */
  PLAN_OPT_LOOPBACK = 1u << 2,
  /* the id maps name another host id: the launcher writes them */
  PLAN_OPT_MAPS_BY_LAUNCHER = 1u << 3,
  /* fill ns_ino (void run -v logs it); off, the spawn path does not stat /proc */
  PLAN_OPT_RECORD_NS = 1u << 4,
};
#define PLAN_OPTS_ALL 31u

/* Flags of a BIND record */
enum bind_flags {
  /* read-only (else writable, and noexec) */
  BIND_READONLY = 1u << 0,
  /* the source is a directory (else a file) */
  BIND_DIRECTORY = 1u << 1,
  /* dev and ino are the source's at planning time: bind only that object */
  BIND_IDENTITY = 1u << 2,
};
#define BIND_ALL 7u

/* Flags of the ROOT record */
enum plan_root_flags {
  /* made read-only once the tree is built */
  PLAN_ROOT_READONLY = 1u << 0,
};
#define PLAN_ROOT_ALL 1u

/* Protocols of a CONNECT record */
enum plan_connect_protocol {
  /* a listening TCP socket */
  PLAN_CONNECT_TCP = 1,
  /* a bound UDP socket */
  PLAN_CONNECT_UDP = 2,
};

/* The architecture of a SECCOMP record's numbers (native/plan.c refuses any but the one it was
 * compiled for)
 */
enum plan_seccomp_arch {
  /* x86_64 (AUDIT_ARCH_X86_64) */
  PLAN_SECCOMP_ARCH_X86_64 = 1,
  /* aarch64 (AUDIT_ARCH_AARCH64) */
  PLAN_SECCOMP_ARCH_AARCH64 = 2,
};

/* Argument rules of a void's filter (src/plan/seccomp.ts; native/seccomp_filter.h implements each) */
enum seccomp_rules {
  /* clone() with CLONE_NEW* or CLONE_UNTRACED -> EPERM */
  SECCOMP_RULE_NS_CLONE = 1u << 0,
  /* ioctl TIOCSTI/TIOCLINUX -> EPERM */
  SECCOMP_RULE_TTY_INJECT = 1u << 1,
  /* S_ISUID/S_ISGID in chmod/open/creat/mkdir/mknod modes -> EPERM */
  SECCOMP_RULE_SUID = 1u << 2,
  /* socket families other than unix, inet, inet6, route netlink; IP protocols other than TCP, UDP,
   * ICMP ping
   */
  SECCOMP_RULE_SOCKET = 1u << 3,
  /* personality flags other than the harmless ones -> EPERM */
  SECCOMP_RULE_PERSONALITY = 1u << 4,
  /* connect(), sendto() with an address, sendmsg()/sendmmsg() with MSG_FASTOPEN, socket(AF_UNIX),
   * datagram socketpair(), interface ioctls -> EPERM
   */
  SECCOMP_RULE_HOST_SOCKETS = 1u << 5,
  /* fcntl F_SETLEASE -> EPERM */
  SECCOMP_RULE_LEASES = 1u << 6,
  /* prlimit64 on pid 1 (void-init) -> EPERM */
  SECCOMP_RULE_INIT_LIMITS = 1u << 7,
  /* shmctl SHM_LOCK -> EPERM */
  SECCOMP_RULE_SHM_LOCK = 1u << 9,
  /* setsockopt SOL_SOCKET SO_ZEROCOPY/SO_PASSPIDFD -> EPERM */
  SECCOMP_RULE_SOCKOPTS = 1u << 10,
  /* mmap MAP_HUGETLB, memfd_create MFD_HUGETLB, shmget SHM_HUGETLB -> EPERM */
  SECCOMP_RULE_HUGETLB = 1u << 11,
  /* prctl PR_SET_MEMORY_MERGE on, madvise MADV_MERGEABLE -> EPERM */
  SECCOMP_RULE_MEMORY_MERGE = 1u << 12,
  /* ioctl SIOC*BR*, SIOC*IFVLAN, SIOC*DLCI (module autoloading) -> EPERM */
  SECCOMP_RULE_MODULE_IOCTLS = 1u << 13,
  /* setsockopt SOL_SOCKET SO_REUSEPORT/SO_ATTACH_REUSEPORT_* -> EPERM (host sockets) */
  SECCOMP_RULE_REUSEPORT = 1u << 14,
  /* fadvise DONTNEED, madvise MADV_COLD/MADV_PAGEOUT -> 0, doing nothing; preadv2/pwritev2
   * RWF_NOWAIT -> EOPNOTSUPP
   */
  SECCOMP_RULE_PAGE_CACHE = 1u << 15,
  /* void run -d only: ptrace() other than TRACEME, DETACH -> EPERM */
  SECCOMP_RULE_DEBUG_PTRACE = 1u << 8,
};
#define SECCOMP_RULES_ALL 65535u

/* Limits of a plan (native/plan.c refuses more) and of the packets between the launcher and a void */
/* longest destination path of a mount, the working directory */
#define PLAN_MAX_PATH 3000
/* CGROUP records: one per hierarchy */
#define PLAN_MAX_CGROUPS 8
/* CONNECT records: their sockets travel in one SCM_RIGHTS packet (and a spec may have no more
 * Connect grants)
 */
#define PLAN_MAX_CONNECTS 16
/* ranges of a SECCOMP record: the program must stay under BPF_MAXINSNS (4096), see
 * VOID_FILTER_MAX_INSNS
 */
#define PLAN_MAX_SECCOMP_RANGES 512
/* ENOSYS numbers of a SECCOMP record */
#define PLAN_MAX_SECCOMP_ENOSYS 64
/* USER_LIMIT records */
#define PLAN_MAX_USER_LIMITS 16
/* longest USER_LIMIT name ([a-z_] only) */
#define PLAN_MAX_USER_LIMIT_NAME 32
/* read-only parts of a PROC record */
#define PLAN_MAX_PROC_READONLY 8
/* void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH, before the entrypoint's argv */
#define PLAN_INIT_ARGS 6
/* fds in one packet: a FileSocket message, a prepared void's message, the addon's sendFds/recvFds */
#define VOID_MESSAGE_MAX_FDS 16
/* a prepared void's message (the entrypoint's whole argv); a longer argv is spawned the ordinary
 * way
 */
#define VOID_MESSAGE_MAX_BYTES 65536
/* strings in a prepared void's message */
#define VOID_MESSAGE_MAX_ARGS 4096
/* data bytes of one FileSocket packet the launcher reads (a trigger's) */
#define VOID_FILE_SOCKET_MAX_BYTES 4096
/* what a void's status pipe may carry in all before the addon stops reading it */
#define VOID_STATUS_MAX_BYTES 65536

/* The fd layout a void starts with (native/void_spawn.c place_fds, native/void_init.c,
 * src/plan/plan.ts, src/orchestrator/prepared.ts)
 */
/* the first granted fd after the standard streams */
#define VOID_FD_FIRST_GRANTED 3
/* the status pipe: this far above the highest granted fd (at least VOID_FD_FIRST_GRANTED - 1) */
#define VOID_FD_STATUS_ABOVE_GRANTS 1
/* void-init's own fd: this far above the status pipe */
#define VOID_FD_INIT_ABOVE_STATUS 1
/* the socket factory's end: this far above the status pipe; the message socket follows it (or takes
 * its place without one)
 */
#define VOID_FD_FACTORY_ABOVE_STATUS 2
/* a message's first fd: this far above where the status pipe was */
#define VOID_FD_MESSAGE_ABOVE_STATUS 0

/* Records of a cached plan (src/cli/plan-cache.ts writes them, native/front.c reads them): framed
 * as plan records
 */
enum cache_tag {
  /* string: the void package's directory (realpath) the entry was made by */
  CACHE_TAG_ROOT = 1,
  /* string: the working directory */
  CACHE_TAG_CWD = 2,
  /* string: one word of the command line after `void`, in order */
  CACHE_TAG_ARG = 3,
  /* string: the Uid, Gid, Groups and Cap* lines of /proc/self/status */
  CACHE_TAG_CREDS = 4,
  /* u32: 1 if /proc/self/ns/time existed */
  CACHE_TAG_TIMENS = 5,
  /* u32 look (lstat 0, stat 1, stat and list 2), string path, string identity:
   * "dev:ino:size:mtime_ns:ctime_ns:mode", "d:dev:ino:mode:uid:gid" (a directory not listed),
   * "absent" or "error"
   */
  CACHE_TAG_FILE = 6,
  /* string path, then the file's exact bytes to the end of the payload */
  CACHE_TAG_CONTENT = 7,
  /* u32 set (1) or unset (0), string name, string value */
  CACHE_TAG_ENV = 8,
  /* string prefix: every variable with it must be listed by an ENV record */
  CACHE_TAG_ENV_PREFIX = 9,
  /* string BINARY as typed (no slash), string the file PATH lookup found then */
  CACHE_TAG_BINARY = 10,
  /* string: what the run wrote to stderr before starting any void (warnings, -v lines), written
   * again
   */
  CACHE_TAG_TEXT = 11,
  /* u32 stderr is /dev/null, string name (escaped), string -v mounts line, string -v fds line,
   * string namespaces ("user:0 mnt:1 ...": name and ns_ino index)
   */
  CACHE_TAG_ENTRY = 14,
  /* u32: how many -v the command line has */
  CACHE_TAG_VERBOSITY = 16,
  /* the text of /proc/self/mountinfo as the planner read it (empty: unreadable), to the end of the
   * payload; the plan holds only while it reads the same
   */
  CACHE_TAG_MOUNTS = 18,
  /* string: the void-init every void starts (src/native/binaries.ts chose it: build/ or
   * prebuilt/<platform>/); a FILE record holds its identity
   */
  CACHE_TAG_INIT = 17,
  /* the entry's marshalled plan; each FD record's source is a CACHE_FD_* kind, which the front end
   * replaces
   */
  CACHE_TAG_PLAN = 15,
};

/* Sources of the FD records of a cached plan: the front end puts this run's fd there */
enum cache_fd_kind {
  /* the launcher's stdout (relayed, or passed as is when it is /dev/null) */
  CACHE_FD_STDOUT = 1,
  /* the launcher's stderr, likewise */
  CACHE_FD_STDERR = 2,
  /* /dev/null (the child opens it) */
  CACHE_FD_DEVNULL = -1,
};

/* The cached-plan file */
/* header: 8 bytes "VOIDRUN3", u32 body length, u32 0, 32 bytes HMAC-SHA256 of the body under the
 * user's cache key (native/cache_key.h)
 */
#define CACHE_HEADER_BYTES 48
/* largest cache file the front end reads */
#define CACHE_MAX_BYTES 16777216

#endif
