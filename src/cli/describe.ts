/**
 * Human-readable rendering of plans for `void check`.
 */
import { visible } from "../orchestrator/log.js";
import { describeFd } from "../plan/describe.js";
import { refusedCalls, type SeccompPlan, type SeccompRule } from "../plan/seccomp.js";
import type { MountEntry, UserNamespaceLimit, VoidPlan } from "../plan/types.js";

/** Why void sets each variable it sets itself. */
const VOID_VARIABLES: Readonly<Record<string, string>> = {
  LD_ORIGIN_PATH: "for ld.so: the binary's $ORIGIN",
  LD_LIBRARY_PATH: "for ld.so: the LibraryPath grants",
  PYTHONNOUSERSITE: "for Python: no user site directory",
};

function mountLine(m: MountEntry): string {
  switch (m.type) {
    case "tmpfs":
      return `/  tmpfs (${m.readOnly ? "ro once built" : "rw"},nosuid,nodev, mode ${m.mode.toString(8).padStart(4, "0")}; at most ${m.size} bytes and ${m.inodes} files, empty)`;
    case "scratch":
      return `${m.dest}  tmpfs (rw,nosuid,nodev; at most ${m.size} bytes and ${m.inodes} files, empty at each void's start) [spec: Tmpfs]`;
    case "devnull":
      return `/dev/null  bind of /dev/null (nosuid, noexec)`;
    case "device":
      return `${m.dest}  bind of the host's ${m.dest} (nosuid, noexec) [spec: DevRandom]`;
    case "proc":
      return `${m.dest}  proc of the void's PID namespace (nosuid, nodev, noexec${m.readOnly.length > 0 ? `; read-only: ${m.readOnly.map((p) => `${m.dest}/${p}`).join(", ")}` : ""})`;
    case "symlink":
      return `${m.dest} -> ${m.target}  symlink [auto: ${m.origin}]`;
    case "bind": {
      const flags = [...(m.readOnly ? ["ro"] : ["rw"]), "nosuid", "nodev", ...(m.readOnly ? [] : ["noexec"])].join(",");
      const tag = m.origin === "spec" ? "[spec]" : `[auto: ${m.origin}${m.reason ? `: ${m.reason}` : ""}]`;
      const src = m.source === m.dest ? "" : `  from ${m.source}`;
      return `${m.dest}${src}  bind ${m.directory ? "dir" : "file"} (${flags}) ${tag}`;
    }
  }
}

/** The void's user-namespace limits, as one line ("budgets"). */
function userLimitsLine(limits: readonly UserNamespaceLimit[]): string {
  const value = (name: string) => limits.find((l) => l.name === name)?.value;
  const parts = [`inotify ${value("max_inotify_instances") ?? "unlimited"} instances, ${value("max_inotify_watches") ?? "unlimited"} watches`];
  if (value("max_fanotify_groups") === 0) parts.push("no fanotify");
  const ns = value("max_user_namespaces");
  if (ns === 0) parts.push("no new namespaces (a second wall behind the filter)");
  else if (ns !== undefined) parts.push(`at most ${ns} new namespaces of each kind`);
  return `  budgets      ${parts.join("; ")} — counted in the void's own user namespace`;
}

export function describePlan(plan: VoidPlan): string {
  const t = plan.trigger;
  const lines = [
    `entrypoint ${plan.entrypoint}${t.kind === "Startup" ? " (started at startup)" : ` (a fresh void per message on ${t.kind} "${t.name}")`}`,
    `  exec         ${plan.exec}${plan.isStatic ? " (static)" : ""}`,
    `  argv         ${JSON.stringify(plan.argv.map((a) => (a.kind === "literal" ? a.value : "<trigger data>")))}`,
    // Values passed on from the launcher are not printed: they may be secrets.
    `  environment  ${plan.environment.length === 0 ? "(empty)" : plan.environment.map((v) => (v.from === "launcher" ? `${v.name} (from the launcher)` : `${v.name}=${JSON.stringify(v.value)}${v.from === "void" ? ` (${VOID_VARIABLES[v.name] ?? "set by void"})` : ""}`)).join(" ")}`,
    ...(plan.cwd !== "/" ? [`  directory    ${plan.cwd} (the entrypoint starts there)`] : []),
    `  namespaces   ${plan.namespaces.join(" ")} (all new)`,
    `  uid map      ${plan.uidMap.map((m) => `${m.inside} -> host ${m.outside} (${m.count})`).join(", ")}; ${plan.setgroups === "cleared" ? "no supplementary groups" : "setgroups deny (the launcher's supplementary groups stay)"}${
      plan.mapsByLauncher
        ? " (a root launcher's void: an unprivileged host uid of its own; chown a writable bind to it)"
        : plan.uidMap.some((m) => m.outside === 0)
          ? " (HOST ROOT, without capabilities: --host-root; it reads root-only files in its binds and writes as root)"
          : ""
    }`,
    `  gid map      ${plan.gidMap.map((m) => `${m.inside} -> host ${m.outside} (${m.count})`).join(", ")}`,
    `  hostname     ${plan.hostname}, domain ${plan.domainname}`,
    `  privileges   no capabilities (all five sets empty), no_new_privs, dies with the launcher`,
    writesLine(plan.seccomp),
    userLimitsLine(plan.userLimits),
    ...seccompLines(plan.seccomp),
    ...(plan.loopback
      ? [
          `  network      its own loopback only (lo up: 127.0.0.1, ::1); no other interface`,
          ...plan.forwards.map((f) => `    forward    ${f.protocol.toUpperCase()} ${f.hostAddr} on the host -> 127.0.0.1:${f.environmentPort} in the void (relayed by the launcher)`),
          ...plan.connects.map(
            (c) => `    connect    ${c.protocol.toUpperCase()} 127.0.0.1:${c.environmentPort} in the void -> ${c.hostAddr} on the host (relayed by the launcher; nothing else is reachable)`,
          ),
        ]
      : []),
    `  fds`,
    ...plan.fds.map((f) => `    ${describeFd(f)}`),
    `  mounts`,
    ...plan.mounts.map((m) => `    ${mountLine(m)}`),
    ...plan.absentOptional.map((a) => `    ${a}  not bound`),
  ];
  // Each line escaped whole: a name or path of the spec (a packed binary's) with a line break or an escape
  // sequence in it prints as text, never as a line of its own or as what the terminal would draw.
  return lines.map(visible).join("\n");
}

/** Words joined into lines of at most `width` characters, each after `indent`. */
function wrap(words: readonly string[], indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line !== "" && indent.length + line.length + 1 + w.length > width) {
      lines.push(indent + line);
      line = w;
    } else line = line === "" ? w : `${line} ${w}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

const RULE_TEXT: Record<SeccompRule, string> = {
  "namespace-clone": "clone() with a CLONE_NEW* flag or CLONE_UNTRACED (a child no tracer sees): EPERM",
  "terminal-injection": "ioctl TIOCSTI, TIOCLINUX (low 32 bits of the request): EPERM",
  "setuid-modes": "S_ISUID/S_ISGID in chmod, fchmod, fchmodat, creat, mkdir(at), mknod(at), open(at) with O_CREAT/O_TMPFILE: EPERM",
  "socket-families":
    "socket() other than AF_UNIX, AF_INET, AF_INET6, AF_NETLINK/NETLINK_ROUTE, or AF_INET with SOCK_PACKET: EAFNOSUPPORT; an IP socket other than TCP, UDP or ICMP ping: EPROTONOSUPPORT (no protocol module loaded for a void), raw: EPERM; socketpair() other than AF_UNIX",
  personality: "personality() other than PER_LINUX, PER_LINUX32, UNAME26 and the query: EPERM",
  "host-sockets":
    'connect(), sendto() with an address, sendmsg()/sendmmsg() with MSG_FASTOPEN, socket(AF_UNIX), a datagram socketpair(), interface ioctls: EPERM (the void may hold sockets of the host\'s network namespace; allow "connect" to lift)',
  reuseport: "setsockopt SOL_SOCKET SO_REUSEPORT, SO_ATTACH_REUSEPORT_CBPF/EBPF: EPERM (the void may hold a listener of the host's network namespace: no other service may share its port)",
  leases: "fcntl F_SETLEASE: EPERM",
  "init-limits": "prlimit64 on pid 1 (void-init): EPERM",
  "shm-lock": "shmctl(SHM_LOCK): EPERM (locked shared memory is charged to the launcher's host uid)",
  "socket-options": "setsockopt SOL_SOCKET SO_ZEROCOPY (pinned pages are charged to the host user), SO_PASSPIDFD: EPERM",
  "huge-pages": "mmap() with MAP_HUGETLB, memfd_create() with MFD_HUGETLB, shmget() with SHM_HUGETLB: EPERM (huge pages come from the host's reserved pool, charged to no memory limit)",
  "memory-merge": "prctl(PR_SET_MEMORY_MERGE) on, madvise(MADV_MERGEABLE): EPERM (pages merged with another process's tell what it holds)",
  "module-ioctls": "ioctl SIOCGIFBR/SIOCSIFBR, SIOCBR*, SIOCGIFVLAN/SIOCSIFVLAN, SIOC*DLCI: EPERM (the kernel loads bridge, 8021q, dlci for them)",
  "page-cache":
    "posix_fadvise(POSIX_FADV_DONTNEED), madvise(MADV_COLD, MADV_PAGEOUT): 0, nothing done; preadv2()/pwritev2() with RWF_NOWAIT: EOPNOTSUPP (no evicting a shared file's pages and asking, without waiting, whether someone read them since)",
  "debug-ptrace": "ptrace() other than PTRACE_TRACEME, PTRACE_DETACH: EPERM (void run -d only)",
};

/** The effective seccomp policy of a void, as `void check` prints it. */
/**
 * Where the void may open files for writing: native/void_spawn.c
 * restrict_writes adds a Landlock ruleset under the same conditions.
 */
function writesLine(s: SeccompPlan): string {
  if (s.mode === "filter" && s.rules.includes("namespace-clone"))
    return "  writes       opens files for writing only beneath its writable binds, scratch tmpfs, devices and /proc, and its writable File grants (Landlock, where the kernel has ABI 2; a FIFO in a read-only bind inside a Tmpfs is beneath the Tmpfs)";
  return "  writes       the kernel's read-only checks only (it may make namespaces, or runs unconfined): a FIFO in a read-only bind opens for writing where its mode allows";
}

function seccompLines(s: SeccompPlan): string[] {
  if (s.mode === "unconfined") return ["  seccomp      none (SeccompUnconfined)"];
  return [
    `  seccomp      allow-list of ${s.allow.length} system calls; any other fails with EPERM, ENOSYS for ${[...s.enosys.map((e) => e.name), `numbers above ${s.knownMax}`].join(", ")}; other architectures are killed`,
    "    allowed",
    ...wrap(s.allow.map((a) => a.name).sort(), "      "),
    "    refused",
    ...wrap(refusedCalls(s), "      "),
    "    rules",
    ...s.rules.map((r) => `      ${RULE_TEXT[r]}`),
  ];
}
