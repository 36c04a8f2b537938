/**
 * The wire format between TypeScript and C, defined once.
 *
 * Every number both sides must agree on lives in this table: the record
 * tags of a marshalled plan (src/orchestrator/marshal.ts writes them,
 * native/plan.c reads them), the option bits, bind and root flags, Connect
 * protocols, the seccomp architectures and argument rules, the limits of a plan and of a
 * prepared void's message, and the fd layout a void starts with. The C
 * side gets it as native/contract.h, which scripts/gen-contract.mjs
 * renders from this table (src/native/contract-header.ts) and which is
 * committed: test/unit/contract.test.ts fails when the two differ. No C
 * file writes one of these numbers itself; it includes contract.h (plan.h
 * does, for the addon, the child and the parser; void_init.c directly).
 *
 * Pure data, no imports: void-side Node programs (src/void/filesocket.ts)
 * load it too.
 */

/** One named number: its name in C (native/contract.h), its value, and what it is for (the C comment). */
export interface ContractEntry {
  readonly c: string;
  readonly value: number;
  readonly doc: string;
}

/** A group of entries; rendered as one C enum (`enumName`) or as #defines (macros: usable by the preprocessor and in array bounds). */
export interface ContractGroup<T extends Readonly<Record<string, ContractEntry>> = Readonly<Record<string, ContractEntry>>> {
  readonly title: string;
  readonly enumName?: string;
  /** Values that are single bits are written 1u << n, and an ALL macro names their union. */
  readonly bits?: { readonly all: string };
  readonly entries: T;
}

type Values<T extends Readonly<Record<string, ContractEntry>>> = { readonly [K in keyof T]: T[K]["value"] };

function values<T extends Readonly<Record<string, ContractEntry>>>(group: ContractGroup<T>): Values<T> {
  return Object.fromEntries(Object.entries(group.entries).map(([k, e]) => [k, e.value])) as Values<T>;
}

/** The union of a bit group's values. */
export function allBits(group: ContractGroup): number {
  return Object.values(group.entries).reduce((all, e) => all | e.value, 0);
}

/**
 * Record tags. A plan is a sequence of records [u32 tag][u32 length]
 * [payload, padded to 4 bytes], native byte order; strings are
 * NUL-terminated (native/plan.h describes the parsed form).
 */
export const TAGS = {
  title: "Record tags of a marshalled plan: [u32 tag][u32 length][payload, padded to 4 bytes], native byte order; strings NUL-terminated",
  enumName: "plan_tag",
  entries: {
    Options: { c: "PLAN_TAG_OPTIONS", value: 1, doc: "u32 options (PLAN_OPT_*)" },
    UidMap: { c: "PLAN_TAG_UID_MAP", value: 2, doc: "string: the whole uid_map content" },
    GidMap: { c: "PLAN_TAG_GID_MAP", value: 3, doc: "string: the whole gid_map content" },
    Hostname: { c: "PLAN_TAG_HOSTNAME", value: 4, doc: "string" },
    DomainName: { c: "PLAN_TAG_DOMAINNAME", value: 5, doc: "string" },
    Exec: { c: "PLAN_TAG_EXEC", value: 6, doc: "string: path of the entrypoint inside the void" },
    Arg: { c: "PLAN_TAG_ARG", value: 7, doc: "string: one argv element, in order" },
    Dir: { c: "PLAN_TAG_DIR", value: 8, doc: "string: directory to create (mkdir -p)" },
    Symlink: { c: "PLAN_TAG_SYMLINK", value: 9, doc: "string target, string link path" },
    Bind: { c: "PLAN_TAG_BIND", value: 10, doc: "u32 flags (BIND_*), u32 dev low, high, u32 ino low, high, string source, string dest" },
    Fd: { c: "PLAN_TAG_FD", value: 11, doc: "i32 source fd in the launcher (-1: /dev/null), i32 target fd" },
    Seccomp: {
      c: "PLAN_TAG_SECCOMP",
      value: 12,
      doc: "u32 arch (PLAN_SECCOMP_ARCH_*: whose numbers these are), u32 rules (SECCOMP_RULE_*), u32 highest known number, u32 nranges, u32 nenosys, nranges x (u32 first, u32 last) allowed, nenosys x u32 numbers that get ENOSYS",
    },
    Cgroup: { c: "PLAN_TAG_CGROUP", value: 13, doc: "i32 fd in the launcher: a cgroup.procs to join (one per hierarchy)" },
    Factory: { c: "PLAN_TAG_FACTORY", value: 14, doc: "i32 fd in the launcher: void-init's end of the socket factory (Forward and Connect grants)" },
    Message: { c: "PLAN_TAG_MESSAGE", value: 15, doc: "i32 fd in the launcher: void-init's end of a prepared void's message socket" },
    UserLimit: { c: "PLAN_TAG_USER_LIMIT", value: 16, doc: "u32 value, string name: a file of /proc/sys/user in the void's user namespace" },
    Tmpfs: { c: "PLAN_TAG_TMPFS", value: 17, doc: "u32 size low, high (bytes), u32 most inodes, string dest: writable scratch tmpfs (a Tmpfs grant)" },
    Env: { c: "PLAN_TAG_ENV", value: 18, doc: 'string "NAME=value": one environment variable, in order' },
    Cwd: { c: "PLAN_TAG_CWD", value: 19, doc: "string: the directory the entrypoint starts in (absolute)" },
    Connect: { c: "PLAN_TAG_CONNECT", value: 20, doc: "u32 protocol (PLAN_CONNECT_*), u32 port: a Connect grant's socket at 127.0.0.1:port" },
    Root: { c: "PLAN_TAG_ROOT", value: 21, doc: 'u32 size low, high (bytes), u32 most inodes, u32 mode, u32 flags (PLAN_ROOT_*), string dest ("/"): the void\'s root tmpfs; exactly one' },
    Device: { c: "PLAN_TAG_DEVICE", value: 22, doc: "string path under /dev: the host's character device bound at the same path (nosuid, noexec)" },
    Proc: { c: "PLAN_TAG_PROC", value: 23, doc: "string dest, then strings: the parts of it made read-only (one component each): a proc of the void's PID namespace; at most one" },
  },
} as const satisfies ContractGroup;

export const Tag = values(TAGS);
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Bits of the OPTIONS record; void-init gets them too (its OPTIONS argument). */
export const PLAN_OPTIONS = {
  title: "Bits of the OPTIONS record (void-init gets them as its OPTIONS argument)",
  enumName: "plan_options",
  bits: { all: "PLAN_OPTS_ALL" },
  entries: {
    NewTime: { c: "PLAN_OPT_NEWTIME", value: 1 << 0, doc: "unshare CLONE_NEWTIME before exec" },
    Debug: { c: "PLAN_OPT_DEBUG", value: 1 << 1, doc: "stop the entrypoint at its first instruction after execve (void_init.c)" },
    Loopback: { c: "PLAN_OPT_LOOPBACK", value: 1 << 2, doc: "bring up lo in the void's network namespace" },
    MapsByLauncher: { c: "PLAN_OPT_MAPS_BY_LAUNCHER", value: 1 << 3, doc: "the id maps name another host id: the launcher writes them" },
    RecordNamespaces: { c: "PLAN_OPT_RECORD_NS", value: 1 << 4, doc: "fill ns_ino (void run -v logs it); off, the spawn path does not stat /proc" },
  },
} as const satisfies ContractGroup;

export const PlanOption = values(PLAN_OPTIONS);
export type PlanOption = (typeof PlanOption)[keyof typeof PlanOption];

export const BIND_FLAGS = {
  title: "Flags of a BIND record",
  enumName: "bind_flags",
  bits: { all: "BIND_ALL" },
  entries: {
    ReadOnly: { c: "BIND_READONLY", value: 1 << 0, doc: "read-only (else writable, and noexec)" },
    Directory: { c: "BIND_DIRECTORY", value: 1 << 1, doc: "the source is a directory (else a file)" },
    Identity: { c: "BIND_IDENTITY", value: 1 << 2, doc: "dev and ino are the source's at planning time: bind only that object" },
  },
} as const satisfies ContractGroup;

export const BindFlag = values(BIND_FLAGS);

export const ROOT_FLAGS = {
  title: "Flags of the ROOT record",
  enumName: "plan_root_flags",
  bits: { all: "PLAN_ROOT_ALL" },
  entries: {
    ReadOnly: { c: "PLAN_ROOT_READONLY", value: 1 << 0, doc: "made read-only once the tree is built" },
  },
} as const satisfies ContractGroup;

export const RootFlag = values(ROOT_FLAGS);

export const CONNECT_PROTOCOLS = {
  title: "Protocols of a CONNECT record",
  enumName: "plan_connect_protocol",
  entries: {
    Tcp: { c: "PLAN_CONNECT_TCP", value: 1, doc: "a listening TCP socket" },
    Udp: { c: "PLAN_CONNECT_UDP", value: 2, doc: "a bound UDP socket" },
  },
} as const satisfies ContractGroup;

export const ConnectProtocol = values(CONNECT_PROTOCOLS);

/**
 * The architecture a SECCOMP record's numbers belong to (the keys are
 * SeccompPlan.arch, src/plan/seccomp.ts). native/plan.c refuses a record
 * of any architecture but the one it was compiled for (a number names
 * another call elsewhere), and native/seccomp_filter.h takes the
 * architecture's audit value and the numbers of its argument rules from it.
 */
export const SECCOMP_ARCHES = {
  title: "The architecture of a SECCOMP record's numbers (native/plan.c refuses any but the one it was compiled for)",
  enumName: "plan_seccomp_arch",
  entries: {
    x86_64: { c: "PLAN_SECCOMP_ARCH_X86_64", value: 1, doc: "x86_64 (AUDIT_ARCH_X86_64)" },
    aarch64: { c: "PLAN_SECCOMP_ARCH_AARCH64", value: 2, doc: "aarch64 (AUDIT_ARCH_AARCH64)" },
  },
} as const satisfies ContractGroup;

export const SeccompArchId = values(SECCOMP_ARCHES);

/**
 * The argument rules of a void's filter (src/plan/seccomp.ts decides which
 * apply; native/seccomp_filter.h implements each; `void check` describes
 * them). The keys are the rule names of a SeccompPlan.
 */
export const SECCOMP_RULE_BITS = {
  title: "Argument rules of a void's filter (src/plan/seccomp.ts; native/seccomp_filter.h implements each)",
  enumName: "seccomp_rules",
  bits: { all: "SECCOMP_RULES_ALL" },
  entries: {
    /** clone() with a CLONE_NEW* flag or CLONE_UNTRACED (a child its parent's tracer would not see): EPERM (lifted by allowing "unshare"). */
    "namespace-clone": { c: "SECCOMP_RULE_NS_CLONE", value: 1 << 0, doc: "clone() with CLONE_NEW* or CLONE_UNTRACED -> EPERM" },
    /** ioctl TIOCSTI / TIOCLINUX, compared on the low 32 bits of the request: EPERM (no typing into a terminal). */
    "terminal-injection": { c: "SECCOMP_RULE_TTY_INJECT", value: 1 << 1, doc: "ioctl TIOCSTI/TIOCLINUX -> EPERM" },
    /** chmod/fchmod/fchmodat, open/openat/creat with O_CREAT or O_TMPFILE, mkdir/mkdirat, mknod/mknodat with S_ISUID or S_ISGID in the mode: EPERM. */
    "setuid-modes": { c: "SECCOMP_RULE_SUID", value: 1 << 2, doc: "S_ISUID/S_ISGID in chmod/open/creat/mkdir/mknod modes -> EPERM" },
    /**
     * socket() other than AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK with NETLINK_ROUTE, or AF_INET with SOCK_PACKET (which
     * the kernel makes a packet socket): EAFNOSUPPORT (EPROTONOSUPPORT for other netlink); an AF_INET or AF_INET6 socket
     * other than a stream one with protocol 0 or TCP, or a datagram one with 0, UDP or ICMP ping (ICMPv6 for AF_INET6):
     * EPROTONOSUPPORT (EPERM for SOCK_RAW), as any other makes the kernel load a module for it (SCTP, DCCP...) where
     * modules load on demand; socketpair() other than AF_UNIX: EAFNOSUPPORT.
     */
    "socket-families": {
      c: "SECCOMP_RULE_SOCKET",
      value: 1 << 3,
      doc: "socket families other than unix, inet, inet6, route netlink; IP protocols other than TCP, UDP, ICMP ping",
    },
    /** personality() other than PER_LINUX, PER_LINUX32, UNAME26 (alone or with PER_LINUX32) and the 0xffffffff query: EPERM. */
    personality: { c: "SECCOMP_RULE_PERSONALITY", value: 1 << 4, doc: "personality flags other than the harmless ones -> EPERM" },
    /**
     * For a void that holds or may receive a socket of the host's network
     * namespace (a TcpListener's listener and the connections it accepts, a
     * brokered TCP socket, anything passed over a FileSocket): connect() and
     * sendto() with an address: EPERM. Such a socket is connected, and those
     * two calls are the only ways to point it elsewhere (connect(AF_UNSPEC)
     * then connect() re-aims a TCP socket at any host address); and
     * socket(AF_UNIX) and datagram socketpair(): EPERM, so the void cannot
     * hand what it holds to a void without the rule through a socket file
     * both see (stream and seqpacket pairs stay); and the interface, ARP, bridge and wireless ioctls
     * (0x8910-0x89ff, 0x8b00-0x8bff), which tell the host's interfaces;
     * and MSG_FASTOPEN in sendmsg() and sendmmsg(), which connects a
     * closed TCP socket (a listener after shutdown()) to the address in
     * the message, a struct no filter reads.
     * Lifted by allowing "connect" explicitly.
     */
    "host-sockets": {
      c: "SECCOMP_RULE_HOST_SOCKETS",
      value: 1 << 5,
      doc: "connect(), sendto() with an address, sendmsg()/sendmmsg() with MSG_FASTOPEN, socket(AF_UNIX), datagram socketpair(), interface ioctls -> EPERM",
    },
    /** fcntl(F_SETLEASE): EPERM. A lease makes every other open of the file wait up to lease-break-time (the launcher reopening a File grant, host writers of a bound file). */
    leases: { c: "SECCOMP_RULE_LEASES", value: 1 << 6, doc: "fcntl F_SETLEASE -> EPERM" },
    /** prlimit64() on pid 1: EPERM. void-init shares the entrypoint's uid; its limits are not the entrypoint's to change. */
    "init-limits": { c: "SECCOMP_RULE_INIT_LIMITS", value: 1 << 7, doc: "prlimit64 on pid 1 (void-init) -> EPERM" },
    /**
     * shmctl(SHM_LOCK), the command compared without IPC_64: EPERM. Locked
     * shared memory is charged to the creator of the void's user namespace
     * (RLIMIT_MEMLOCK, counted for the launcher's host uid): a void locking
     * its own limit's worth of segments it never touches made SHM_LOCK fail
     * for every other process of that uid, and for every other void of a
     * root launcher, while it lived.
     */
    "shm-lock": { c: "SECCOMP_RULE_SHM_LOCK", value: 1 << 9, doc: "shmctl SHM_LOCK -> EPERM" },
    /**
     * setsockopt(SOL_SOCKET, SO_ZEROCOPY or SO_PASSPIDFD): EPERM. Pages a
     * zerocopy send pins are charged to the sender's host user
     * (user->locked_vm against RLIMIT_MEMLOCK), the launcher's for an
     * unprivileged launcher's void: a void pinning its limit made zerocopy
     * sends fail for every process of that uid (without SO_ZEROCOPY,
     * MSG_ZEROCOPY is ignored: an ordinary copy). SO_PASSPIDFD made the
     * launcher's next send on a socket it shares with the void carry a pidfd
     * of the launcher (which tells the void when the launcher ends).
     */
    "socket-options": { c: "SECCOMP_RULE_SOCKOPTS", value: 1 << 10, doc: "setsockopt SOL_SOCKET SO_ZEROCOPY/SO_PASSPIDFD -> EPERM" },
    /**
     * mmap() with MAP_HUGETLB, memfd_create() with MFD_HUGETLB, shmget()
     * with SHM_HUGETLB: EPERM. Huge pages come from a pool the host reserves
     * (vm.nr_hugepages, for a database or a packet engine it chose) and are
     * charged to no memory limit of the void's cgroup: a void could take the
     * whole pool. Transparent huge pages (madvise) are ordinary memory, and
     * stay.
     */
    "huge-pages": { c: "SECCOMP_RULE_HUGETLB", value: 1 << 11, doc: "mmap MAP_HUGETLB, memfd_create MFD_HUGETLB, shmget SHM_HUGETLB -> EPERM" },
    /**
     * prctl(PR_SET_MEMORY_MERGE) turning merging on, madvise(MADV_MERGEABLE):
     * EPERM. A page the kernel's same-page merging (KSM) merged with an
     * identical page of another process's is slower to write, which tells
     * the void what that process holds, where the host runs ksmd. (Turning
     * it off stays allowed: void-init does, for what the launcher passed on.)
     */
    "memory-merge": { c: "SECCOMP_RULE_MEMORY_MERGE", value: 1 << 12, doc: "prctl PR_SET_MEMORY_MERGE on, madvise MADV_MERGEABLE -> EPERM" },
    /**
     * ioctl SIOCGIFBR, SIOCSIFBR, SIOCBRADDBR, SIOCBRDELBR, SIOCBRADDIF,
     * SIOCBRDELIF, SIOCGIFVLAN, SIOCSIFVLAN, SIOCADDDLCI, SIOCDELDLCI: EPERM.
     * The kernel answers several by loading a module (bridge, 8021q, dlci)
     * for any caller, before any capability check.
     */
    "module-ioctls": { c: "SECCOMP_RULE_MODULE_IOCTLS", value: 1 << 13, doc: "ioctl SIOC*BR*, SIOC*IFVLAN, SIOC*DLCI (module autoloading) -> EPERM" },
    /**
     * setsockopt(SOL_SOCKET, SO_REUSEPORT or SO_ATTACH_REUSEPORT_CBPF/EBPF):
     * EPERM, for a void that holds or may receive sockets of the host's
     * network namespace (as host-sockets, but not lifted by allowing
     * "connect"). A granted listener with SO_REUSEPORT let a later
     * service of the launcher's uid bind its port into the void's group,
     * whose BPF program then gave the void every connection (outside
     * attacks 50, 51).
     */
    reuseport: { c: "SECCOMP_RULE_REUSEPORT", value: 1 << 14, doc: "setsockopt SOL_SOCKET SO_REUSEPORT/SO_ATTACH_REUSEPORT_* -> EPERM (host sockets)" },
    /**
     * posix_fadvise(POSIX_FADV_DONTNEED), madvise(MADV_COLD or
     * MADV_PAGEOUT): 0 without doing anything (advice the kernel may ignore
     * anyway); preadv2()/pwritev2() with RWF_NOWAIT: EOPNOTSUPP, the
     * kernel's own answer for a file that cannot do it (callers then read
     * the ordinary way). A void that could evict a shared file's pages from
     * the page cache and then ask, without waiting, whether they are back
     * learnt when other processes (the host's, other voids) read its
     * libraries, the loader or a read-only bind (outside attack 49).
     */
    "page-cache": {
      c: "SECCOMP_RULE_PAGE_CACHE",
      value: 1 << 15,
      doc: "fadvise DONTNEED, madvise MADV_COLD/MADV_PAGEOUT -> 0, doing nothing; preadv2/pwritev2 RWF_NOWAIT -> EOPNOTSUPP",
    },
    /**
     * `void run -d` only (withDebugPtrace): ptrace() with any request but
     * PTRACE_TRACEME and PTRACE_DETACH, compared on the whole request (a
     * long): EPERM. Never planned: the launcher adds it, with ptrace, to the
     * filter of a void it starts in debug mode.
     */
    "debug-ptrace": { c: "SECCOMP_RULE_DEBUG_PTRACE", value: 1 << 8, doc: "void run -d only: ptrace() other than TRACEME, DETACH -> EPERM" },
  },
} as const satisfies ContractGroup;

export const SECCOMP_RULES = values(SECCOMP_RULE_BITS);

/** Bounds: of a plan's records (native/plan.c refuses more), and of a prepared void's message (native/void_init.c). */
export const LIMITS = {
  title: "Limits of a plan (native/plan.c refuses more) and of the packets between the launcher and a void",
  entries: {
    MaxPath: { c: "PLAN_MAX_PATH", value: 3000, doc: "longest destination path of a mount, the working directory" },
    MaxCgroups: { c: "PLAN_MAX_CGROUPS", value: 8, doc: "CGROUP records: one per hierarchy" },
    MaxConnects: { c: "PLAN_MAX_CONNECTS", value: 16, doc: "CONNECT records: their sockets travel in one SCM_RIGHTS packet (and a spec may have no more Connect grants)" },
    MaxSeccompRanges: { c: "PLAN_MAX_SECCOMP_RANGES", value: 512, doc: "ranges of a SECCOMP record: the program must stay under BPF_MAXINSNS (4096), see VOID_FILTER_MAX_INSNS" },
    MaxSeccompEnosys: { c: "PLAN_MAX_SECCOMP_ENOSYS", value: 64, doc: "ENOSYS numbers of a SECCOMP record" },
    MaxUserLimits: { c: "PLAN_MAX_USER_LIMITS", value: 16, doc: "USER_LIMIT records" },
    MaxUserLimitName: { c: "PLAN_MAX_USER_LIMIT_NAME", value: 32, doc: "longest USER_LIMIT name ([a-z_] only)" },
    MaxProcReadOnly: { c: "PLAN_MAX_PROC_READONLY", value: 8, doc: "read-only parts of a PROC record" },
    InitArgs: { c: "PLAN_INIT_ARGS", value: 6, doc: "void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH, before the entrypoint's argv" },
    MessageMaxFds: { c: "VOID_MESSAGE_MAX_FDS", value: 16, doc: "fds in one packet: a FileSocket message, a prepared void's message, the addon's sendFds/recvFds" },
    MessageMaxBytes: { c: "VOID_MESSAGE_MAX_BYTES", value: 65536, doc: "a prepared void's message (the entrypoint's whole argv); a longer argv is spawned the ordinary way" },
    MessageMaxArgs: { c: "VOID_MESSAGE_MAX_ARGS", value: 4096, doc: "strings in a prepared void's message" },
    FileSocketMaxBytes: { c: "VOID_FILE_SOCKET_MAX_BYTES", value: 4096, doc: "data bytes of one FileSocket packet the launcher reads (a trigger's)" },
    StatusMaxBytes: { c: "VOID_STATUS_MAX_BYTES", value: 65536, doc: "what a void's status pipe may carry in all before the addon stops reading it" },
  },
} as const satisfies ContractGroup;

export const Limit = values(LIMITS);

/**
 * The fds a void's void-init starts with. The grants are 0, 1, 2 (the
 * standard streams, always) and from FIRST_GRANTED up in argument order
 * (src/plan/plan.ts). Right above the highest of them (never below
 * FIRST_GRANTED) sit, in this order: the status pipe, void-init's own fd
 * (close-on-exec: it executes through it), the socket factory's end when
 * there is one, then a prepared void's message socket (at the next free
 * number). A message's fds go from the status pipe's number up
 * (native/void_init.c moves the status pipe away first), which is where a
 * void made on arrival gets them: src/orchestrator/prepared.ts
 * firstMessageFd.
 */
export const FD_LAYOUT = {
  title: "The fd layout a void starts with (native/void_spawn.c place_fds, native/void_init.c, src/plan/plan.ts, src/orchestrator/prepared.ts)",
  entries: {
    FirstGranted: { c: "VOID_FD_FIRST_GRANTED", value: 3, doc: "the first granted fd after the standard streams" },
    StatusAboveGrants: { c: "VOID_FD_STATUS_ABOVE_GRANTS", value: 1, doc: "the status pipe: this far above the highest granted fd (at least VOID_FD_FIRST_GRANTED - 1)" },
    InitAboveStatus: { c: "VOID_FD_INIT_ABOVE_STATUS", value: 1, doc: "void-init's own fd: this far above the status pipe" },
    FactoryAboveStatus: {
      c: "VOID_FD_FACTORY_ABOVE_STATUS",
      value: 2,
      doc: "the socket factory's end: this far above the status pipe; the message socket follows it (or takes its place without one)",
    },
    MessageFdsAboveStatus: { c: "VOID_FD_MESSAGE_ABOVE_STATUS", value: 0, doc: "a message's first fd: this far above where the status pipe was" },
  },
} as const satisfies ContractGroup;

export const FdLayout = values(FD_LAYOUT);

/**
 * Records of a cached plan (src/cli/plan-cache.ts writes them, the native
 * front end native/front.c reads them): the same [u32 tag][u32 length]
 * [payload, padded to 4 bytes] framing as a plan, after a header (magic,
 * body length, authenticator: CACHE_HEADER_BYTES). Validity records come
 * first; the front end runs the entry only if every one still holds.
 */
export const CACHE_TAGS = {
  title: "Records of a cached plan (src/cli/plan-cache.ts writes them, native/front.c reads them): framed as plan records",
  enumName: "cache_tag",
  entries: {
    Root: { c: "CACHE_TAG_ROOT", value: 1, doc: "string: the void package's directory (realpath) the entry was made by" },
    Cwd: { c: "CACHE_TAG_CWD", value: 2, doc: "string: the working directory" },
    Arg: { c: "CACHE_TAG_ARG", value: 3, doc: "string: one word of the command line after `void`, in order" },
    Creds: { c: "CACHE_TAG_CREDS", value: 4, doc: "string: the Uid, Gid, Groups and Cap* lines of /proc/self/status" },
    TimeNs: { c: "CACHE_TAG_TIMENS", value: 5, doc: "u32: 1 if /proc/self/ns/time existed" },
    File: {
      c: "CACHE_TAG_FILE",
      value: 6,
      doc: 'u32 look (lstat 0, stat 1, stat and list 2), string path, string identity: "dev:ino:size:mtime_ns:ctime_ns:mode", "d:dev:ino:mode:uid:gid" (a directory not listed), "absent" or "error"',
    },
    Content: { c: "CACHE_TAG_CONTENT", value: 7, doc: "string path, then the file's exact bytes to the end of the payload" },
    Env: { c: "CACHE_TAG_ENV", value: 8, doc: "u32 set (1) or unset (0), string name, string value" },
    EnvPrefix: { c: "CACHE_TAG_ENV_PREFIX", value: 9, doc: "string prefix: every variable with it must be listed by an ENV record" },
    Binary: { c: "CACHE_TAG_BINARY", value: 10, doc: "string BINARY as typed (no slash), string the file PATH lookup found then" },
    Text: { c: "CACHE_TAG_TEXT", value: 11, doc: "string: what the run wrote to stderr before starting any void (warnings, -v lines), written again" },
    Entry: {
      c: "CACHE_TAG_ENTRY",
      value: 14,
      doc: 'u32 stderr is /dev/null, string name (escaped), string -v mounts line, string -v fds line, string namespaces ("user:0 mnt:1 ...": name and ns_ino index)',
    },
    Verbosity: { c: "CACHE_TAG_VERBOSITY", value: 16, doc: "u32: how many -v the command line has" },
    Mounts: {
      c: "CACHE_TAG_MOUNTS",
      value: 18,
      doc: "the text of /proc/self/mountinfo as the planner read it (empty: unreadable), to the end of the payload; the plan holds only while it reads the same",
    },
    Init: { c: "CACHE_TAG_INIT", value: 17, doc: "string: the void-init every void starts (src/native/binaries.ts chose it: build/ or prebuilt/<platform>/); a FILE record holds its identity" },
    Plan: { c: "CACHE_TAG_PLAN", value: 15, doc: "the entry's marshalled plan; each FD record's source is a CACHE_FD_* kind, which the front end replaces" },
  },
} as const satisfies ContractGroup;

export const CacheTag = values(CACHE_TAGS);

/** What the source of an FD record of a cached plan stands for. */
export const CACHE_FD_KINDS = {
  title: "Sources of the FD records of a cached plan: the front end puts this run's fd there",
  enumName: "cache_fd_kind",
  entries: {
    Stdout: { c: "CACHE_FD_STDOUT", value: 1, doc: "the launcher's stdout (relayed, or passed as is when it is /dev/null)" },
    Stderr: { c: "CACHE_FD_STDERR", value: 2, doc: "the launcher's stderr, likewise" },
    DevNull: { c: "CACHE_FD_DEVNULL", value: -1, doc: "/dev/null (the child opens it)" },
  },
} as const satisfies ContractGroup;

export const CacheFd = values(CACHE_FD_KINDS);

export const CACHE_LIMITS = {
  title: "The cached-plan file",
  entries: {
    HeaderBytes: { c: "CACHE_HEADER_BYTES", value: 48, doc: 'header: 8 bytes "VOIDRUN3", u32 body length, u32 0, 32 bytes HMAC-SHA256 of the body under the user\'s cache key (native/cache_key.h)' },
    MaxBytes: { c: "CACHE_MAX_BYTES", value: 16777216, doc: "largest cache file the front end reads" },
  },
} as const satisfies ContractGroup;

export const CacheLimit = values(CACHE_LIMITS);

/** Every group, in the order native/contract.h lists them. */
export const CONTRACT: readonly ContractGroup[] = [
  TAGS,
  PLAN_OPTIONS,
  BIND_FLAGS,
  ROOT_FLAGS,
  CONNECT_PROTOCOLS,
  SECCOMP_ARCHES,
  SECCOMP_RULE_BITS,
  LIMITS,
  FD_LAYOUT,
  CACHE_TAGS,
  CACHE_FD_KINDS,
  CACHE_LIMITS,
];
