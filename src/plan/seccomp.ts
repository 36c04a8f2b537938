/**
 * The seccomp filter of a void (pure). Every void gets a default filter
 * that is an allow-list: the system calls an ordinary program makes
 * (files it was given, memory, processes, signals, time, the sockets of its
 * own network namespace) are allowed; every other call the architecture's
 * table knows fails with EPERM, and every number past the table (system
 * calls newer than this list) with ENOSYS, so libraries fall back to the
 * older call. On top of the list, argument rules close what a whole-call
 * decision cannot: namespace flags on clone(), terminal injection by
 * ioctl, setuid/setgid modes, socket families other than unix, IP and
 * route netlink and IP protocols other than TCP, UDP and ping, personality
 * flags that weaken the address space, and the kernel budgets and channels
 * a void must not reach (SHM_LOCK, zerocopy, huge pages, same-page merging).
 * A spec's {"Seccomp": {"allow": [...], "deny": [...]}} adds calls to the
 * list or removes them; "SeccompUnconfined" opts out.
 *
 * Two architectures, x86_64 and aarch64 (Node's "x64" and "arm64"), each
 * with its own table of numbers (src/spec/syscalls.ts, generated from the
 * kernel headers). The lists below are names: a name the host's table does
 * not have is left out of its filter, because no program can make that call
 * there. aarch64 has only the asm-generic calls: no open, stat, chmod,
 * mkdir, fork, poll, select... (its libc uses openat, newfstatat, fchmodat,
 * mkdirat, clone, ppoll, pselect6), so its default filter allows the same
 * calls minus the ones it lacks. A spec's allow/deny names are checked
 * against both tables (src/spec/parse.ts): one spec serves both machines.
 * The plan names its architecture; the native side refuses a plan whose
 * architecture is not the one it was compiled for (native/plan.c) and
 * takes the numbers of its argument rules from that architecture. The
 * native layer turns the plan into a BPF program (native/seccomp_filter.h,
 * installed by native/void_spawn.c).
 *
 * Why an allow-list: a deny list lets every system call the kernel adds
 * after it was written reach the kernel from every void (listmount,
 * statmount and mseal all did); an allow-list refuses them until someone
 * decides (Docker's default profile and systemd's @system-service are
 * built the same way).
 *
 * Why a small generator instead of libseccomp: the list becomes ~30 ranges
 * of numbers searched as a binary tree, plus a few fixed argument checks;
 * generating it in the child needs no allocation and no library inside or
 * outside the void; it is checked for every system call number by a BPF
 * interpreter in the unit tests, and from inside a void like every other
 * property.
 */
import type { Grant } from "../spec/types.js";
import { SECCOMP_RULES } from "../native/contract.js";
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from "../spec/syscalls.js";

/**
 * What a void may call, by purpose (names absent from the host's table are
 * dropped, see above). Everything else in the table is refused, notably:
 * mounts and namespaces (mount, pivot_root, chroot,
 * setns, unshare, the new mount API), keyrings, bpf, perf_event_open,
 * userfaultfd, io_uring (which bypasses seccomp for what it performs),
 * looking into other processes (ptrace, process_vm_*, pidfd_getfd,
 * process_madvise, kcmp), modules, kexec, reboot, swap, accounting,
 * quotas, the kernel log, the clocks, iopl/ioperm, file handles
 * (open_by_handle_at escaped containers before), NUMA policy calls,
 * modify_ldt, POSIX message queues and fanotify (whose kernel budgets are
 * counted per host uid, not per void), and calls the kernel no longer
 * implements.
 */
export const DEFAULT_ALLOW: readonly string[] = [
  // Files and directories (the void sees only its own tree).
  "read",
  "write",
  "open",
  "close",
  "stat",
  "fstat",
  "lstat",
  "lseek",
  "pread64",
  "pwrite64",
  "readv",
  "writev",
  "preadv",
  "pwritev",
  "preadv2",
  "pwritev2",
  "access",
  "faccessat",
  "faccessat2",
  "dup",
  "dup2",
  "dup3",
  "fcntl",
  "flock",
  "fsync",
  "fdatasync",
  "sync",
  "syncfs",
  "sync_file_range",
  "truncate",
  "ftruncate",
  "fallocate",
  "getdents",
  "getdents64",
  "getcwd",
  "chdir",
  "fchdir",
  "rename",
  "renameat",
  "renameat2",
  "mkdir",
  "mkdirat",
  "rmdir",
  "creat",
  "link",
  "linkat",
  "unlink",
  "unlinkat",
  "symlink",
  "symlinkat",
  "readlink",
  "readlinkat",
  "chmod",
  "fchmod",
  "fchmodat",
  "chown",
  "fchown",
  "lchown",
  "fchownat",
  "umask",
  "utime",
  "utimes",
  "futimesat",
  "utimensat",
  "mknod",
  "mknodat",
  "openat",
  "newfstatat",
  "statx",
  "statfs",
  "fstatfs",
  "readahead",
  "fadvise64",
  "sendfile",
  "splice",
  "tee",
  "vmsplice",
  "copy_file_range",
  "close_range",
  "memfd_create",
  "ioctl",
  "setxattr",
  "lsetxattr",
  "fsetxattr",
  "getxattr",
  "lgetxattr",
  "fgetxattr",
  "listxattr",
  "llistxattr",
  "flistxattr",
  "removexattr",
  "lremovexattr",
  "fremovexattr",
  // Waiting for files, pipes and events.
  "pipe",
  "pipe2",
  "select",
  "pselect6",
  "poll",
  "ppoll",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "eventfd",
  "eventfd2",
  "signalfd",
  "signalfd4",
  "timerfd_create",
  "timerfd_settime",
  "timerfd_gettime",
  "inotify_init",
  "inotify_init1",
  "inotify_add_watch",
  "inotify_rm_watch",
  // Memory.
  "mmap",
  "mprotect",
  "munmap",
  "brk",
  "mremap",
  "msync",
  "mincore",
  "madvise",
  "mlock",
  "mlock2",
  "munlock",
  "mlockall",
  "munlockall",
  "remap_file_pages",
  "pkey_mprotect",
  "pkey_alloc",
  "pkey_free",
  "membarrier",
  "get_mempolicy",
  // Processes and threads of the void's own PID namespace.
  "clone",
  "fork",
  "vfork",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "wait4",
  "waitid",
  "getpid",
  "getppid",
  "gettid",
  "set_tid_address",
  "getpgid",
  "setpgid",
  "getpgrp",
  "setsid",
  "getsid",
  "prctl",
  "arch_prctl",
  "set_thread_area",
  "get_thread_area",
  "set_robust_list",
  "get_robust_list",
  "futex",
  "futex_waitv",
  "rseq",
  "sched_yield",
  "sched_setparam",
  "sched_getparam",
  "sched_setscheduler",
  "sched_getscheduler",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_rr_get_interval",
  "sched_setaffinity",
  "sched_getaffinity",
  "sched_setattr",
  "sched_getattr",
  "getpriority",
  "setpriority",
  "ioprio_set",
  "ioprio_get",
  "getrlimit",
  "setrlimit",
  "prlimit64",
  "getrusage",
  "uname",
  "sysinfo",
  "times",
  "getcpu",
  "personality",
  "capget",
  "capset",
  "seccomp",
  "landlock_create_ruleset",
  "landlock_add_rule",
  "landlock_restrict_self",
  "pidfd_open",
  "pidfd_send_signal",
  "restart_syscall",
  // Identity inside the void's user namespace (one uid and one gid are mapped).
  "getuid",
  "getgid",
  "geteuid",
  "getegid",
  "setuid",
  "setgid",
  "setreuid",
  "setregid",
  "setresuid",
  "getresuid",
  "setresgid",
  "getresgid",
  "setfsuid",
  "setfsgid",
  "getgroups",
  "setgroups",
  // Signals.
  "kill",
  "tkill",
  "tgkill",
  "rt_sigaction",
  "rt_sigprocmask",
  "rt_sigreturn",
  "rt_sigpending",
  "rt_sigtimedwait",
  "rt_sigqueueinfo",
  "rt_tgsigqueueinfo",
  "rt_sigsuspend",
  "sigaltstack",
  "pause",
  "alarm",
  "getitimer",
  "setitimer",
  // Time (reading clocks, timers, sleeping; never setting a clock).
  "nanosleep",
  "clock_nanosleep",
  "gettimeofday",
  "time",
  "clock_gettime",
  "clock_getres",
  "timer_create",
  "timer_settime",
  "timer_gettime",
  "timer_getoverrun",
  "timer_delete",
  // Sockets: those the void holds, and new ones in its own network namespace (families: see the socket rule).
  "socket",
  "socketpair",
  "connect",
  "accept",
  "accept4",
  "bind",
  "listen",
  "shutdown",
  "sendto",
  "recvfrom",
  "sendmsg",
  "recvmsg",
  "sendmmsg",
  "recvmmsg",
  "getsockname",
  "getpeername",
  "setsockopt",
  "getsockopt",
  // System V IPC, in the void's own IPC namespace.
  "shmget",
  "shmat",
  "shmctl",
  "shmdt",
  "semget",
  "semop",
  "semtimedop",
  "semctl",
  "msgget",
  "msgsnd",
  "msgrcv",
  "msgctl",
  // Randomness.
  "getrandom",
];

/**
 * Not allowed by default, and ENOSYS rather than EPERM: callers fall back
 * to an older call the filter can inspect, or do without. clone3's flags
 * and openat2's mode live in memory a seccomp filter cannot read; libc then
 * uses clone() and openat(). The kernel's native AIO (io_setup and the
 * calls on its contexts) draws on one budget for the whole host
 * (fs.aio-max-nr, 65,536 events): a single io_setup(65536) would leave
 * every other process of the host, root's included, failing with EAGAIN
 * while the void lives, whatever its Limits. Without them a void sees a
 * kernel built without AIO, which libaio's users handle (glibc's POSIX AIO
 * uses threads); a spec may allow them (docs/spec.md). memfd_secret takes
 * its pages out of the kernel's direct map (splitting it for the whole
 * host) and keeps the host from hibernating while one exists; without it
 * callers see a kernel without secret memory.
 */
export const ENOSYS_BY_DEFAULT: readonly string[] = ["clone3", "openat2", "io_setup", "io_destroy", "io_getevents", "io_pgetevents", "io_submit", "io_cancel", "memfd_secret"];

/** The argument rules of the default filter, by name, and their bits in a plan record: defined with the rest of the wire format (src/native/contract.ts SECCOMP_RULE_BITS documents each). */
export { SECCOMP_RULES } from "../native/contract.js";

export type SeccompRule = keyof typeof SECCOMP_RULES;

export type SeccompPlan =
  | { mode: "unconfined" }
  | {
      mode: "filter";
      /** The architecture whose numbers these are: native/plan.c refuses the plan on any other. */
      arch: SeccompArch;
      /** Allowed system calls, by name and number, ascending by number without repeats. */
      allow: { name: string; nr: number }[];
      /** The same numbers as inclusive ranges [first, last], ascending and disjoint: native/seccomp_filter.h searches them as a binary tree. */
      ranges: [number, number][];
      /** Not allowed, and ENOSYS instead of EPERM (ascending). */
      enosys: { name: string; nr: number }[];
      /** The highest number of the table: numbers past it get ENOSYS. */
      knownMax: number;
      /** Argument rules in force. */
      rules: SeccompRule[];
    };

/** Inclusive ranges of ascending, distinct numbers. */
export function toRanges(numbers: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of numbers) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] + 1 === n) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

/** The architectures with a filter, by their kernel names (SeccompPlan.arch, the SECCOMP record's arch: src/native/contract.ts SECCOMP_ARCHES). */
export type SeccompArch = "x86_64" | "aarch64";

/** Node's process.arch -> the architecture of its filter. */
const ARCH_OF: Readonly<Record<string, SeccompArch>> = { x64: "x86_64", arm64: "aarch64" };

/** Each architecture's system call table (src/spec/syscalls.ts). */
export const SYSCALL_TABLES: Readonly<Record<SeccompArch, Readonly<Record<string, number>>>> = { x86_64: X86_64_SYSCALLS, aarch64: AARCH64_SYSCALLS };

/** The highest number of each table: numbers past it get ENOSYS. */
const KNOWN_MAX: Readonly<Record<SeccompArch, number>> = {
  x86_64: Math.max(...Object.values(X86_64_SYSCALLS)),
  aarch64: Math.max(...Object.values(AARCH64_SYSCALLS)),
};

/** The number of `name` on `arch`, or undefined where that architecture has no such call. */
export function syscallNumber(arch: SeccompArch, name: string): number | undefined {
  const table = SYSCALL_TABLES[arch];
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** `names` that exist on `arch`, with their numbers, ascending by number. */
function numbered(arch: SeccompArch, names: Iterable<string>): { name: string; nr: number }[] {
  const out: { name: string; nr: number }[] = [];
  for (const name of names) {
    const nr = syscallNumber(arch, name);
    if (nr !== undefined) out.push({ name, nr });
  }
  return out.sort((a, b) => a.nr - b.nr);
}

/** The system calls of the plan's table a filter refuses (for `void check`), by name, alphabetically. */
export function refusedCalls(plan: SeccompPlan): string[] {
  if (plan.mode !== "filter") return [];
  const allowed = new Set(plan.allow.map((a) => a.name));
  return Object.keys(SYSCALL_TABLES[plan.arch])
    .filter((n) => !allowed.has(n))
    .sort();
}

/**
 * Calls a Seccomp grant may not allow: each would do, out of the filter's
 * sight, what a rule refuses, so `void check` would list rules that no
 * longer hold. A program that needs one runs with "SeccompUnconfined",
 * which says so.
 */
export const RULES_BLIND: Readonly<Record<string, string>> = {
  io_uring_setup:
    'io_uring opens files, makes sockets and connects them without a system call the filter sees, so the setuid, socket-family and host-sockets rules would not hold; a program that needs io_uring runs with "SeccompUnconfined"',
  io_uring_enter:
    'io_uring opens files, makes sockets and connects them without a system call the filter sees, so the setuid, socket-family and host-sockets rules would not hold; a program that needs io_uring runs with "SeccompUnconfined"',
  io_uring_register:
    'io_uring opens files, makes sockets and connects them without a system call the filter sees, so the setuid, socket-family and host-sockets rules would not hold; a program that needs io_uring runs with "SeccompUnconfined"',
  process_madvise: "process_madvise applies advice to the void's own memory out of the filter's sight (MADV_MERGEABLE among it), so the memory-merge rule would not hold",
  openat2:
    "the filter cannot read the mode openat2 creates a file with (it is in a struct), so the setuid rule would not hold; without it openat2 fails with ENOSYS and libraries fall back to openat, which the rule checks",
  clone3:
    'the filter cannot read clone3\'s flags (they are in a struct), so the namespace-clone rule would not hold; without it clone3 fails with ENOSYS and libc falls back to clone, which the rule checks (a program that makes namespaces allows "unshare", which lifts that rule and allows clone3 too)',
};

/**
 * The filter for an entrypoint's grants, or an error message. `arch`:
 * Node's process.arch of the launcher ("x64", "arm64"). `hostSockets`: the
 * void holds or may receive sockets of the host's network namespace. A
 * name of the spec's Seccomp lists that `arch` does not have is ignored:
 * it cannot be called there.
 */
export function planSeccomp(environment: readonly Grant[], arch: string, hostSockets = false): SeccompPlan | { error: string } {
  if (environment.some((g) => g.kind === "SeccompUnconfined")) return { mode: "unconfined" };
  const seccompArch = Object.hasOwn(ARCH_OF, arch) ? ARCH_OF[arch] : undefined;
  if (seccompArch === undefined) {
    return { error: `seccomp filters are implemented for x86_64 and aarch64 only, not ${arch}: add "SeccompUnconfined" to the environment to run without one` };
  }
  const adjust = environment.find((g) => g.kind === "Seccomp");
  const extraAllow = adjust?.kind === "Seccomp" ? adjust.allow : [];
  // Allowing "unshare" lifts the namespace-clone rule, and with it what clone3 would hide from it.
  const blind = extraAllow.find((n) => Object.hasOwn(RULES_BLIND, n) && !(n === "clone3" && extraAllow.includes("unshare")));
  if (blind !== undefined) return { error: `Seccomp allows "${blind}": ${RULES_BLIND[blind]}` };
  const deny = new Set(adjust?.kind === "Seccomp" ? adjust.deny : []);
  // Allowing "unshare" allows namespaces: clone() with CLONE_NEW* and clone3() too.
  const namespaces = extraAllow.includes("unshare");
  const names = new Set([...DEFAULT_ALLOW, ...extraAllow, ...(namespaces ? ["clone3"] : [])]);
  for (const n of deny) names.delete(n);
  const allow = numbered(seccompArch, names);
  const enosys = numbered(
    seccompArch,
    ENOSYS_BY_DEFAULT.filter((n) => !names.has(n) && !deny.has(n)),
  );
  const rules = (Object.keys(SECCOMP_RULES) as SeccompRule[]).filter(
    (r) => r !== "debug-ptrace" && (r !== "namespace-clone" || !namespaces) && (r !== "host-sockets" || (hostSockets && !extraAllow.includes("connect"))) && (r !== "reuseport" || hostSockets),
  );
  return { mode: "filter", arch: seccompArch, allow, ranges: toRanges(allow.map((a) => a.nr)), enosys, knownMax: KNOWN_MAX[seccompArch], rules };
}

/**
 * The filter of a void started by `void run -d`: `plan` with ptrace
 * allowed for the two requests void-init needs to stop the entrypoint at
 * its first instruction after execve (native/void_init.c): the entrypoint
 * asks to be traced by void-init (PTRACE_TRACEME) before its execve, and
 * void-init lets it go stopped (PTRACE_DETACH with SIGSTOP). Every other
 * request stays refused ("debug-ptrace"), so a tracer inside the void can
 * only let its tracee go: it reads and writes nothing of it. A filter that
 * allows ptrace already (a spec's Seccomp allow) and no filter at all are
 * left as they are. Only the launcher calls this, when -d is given: a
 * plan never holds the rule.
 */
export function withDebugPtrace(plan: SeccompPlan): SeccompPlan {
  if (plan.mode !== "filter" || plan.allow.some((a) => a.name === "ptrace")) return plan;
  const allow = [...plan.allow, { name: "ptrace", nr: SYSCALL_TABLES[plan.arch].ptrace! }].sort((a, b) => a.nr - b.nr);
  return { ...plan, allow, ranges: toRanges(allow.map((a) => a.nr)), rules: [...plan.rules, "debug-ptrace"] };
}
