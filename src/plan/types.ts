/**
 * A plan: everything needed to build one void, decided without side
 * effects. `void check` prints it; the orchestrator marshals it for the
 * native layer (src/orchestrator/marshal.ts). Plans are plain data and
 * serialise to JSON as they are (`void check --json`).
 */
import type { Direction, ForwardProtocol, ResourceLimits, RpcOperation, Trigger } from "../spec/types.js";
import type { SeccompPlan } from "./seccomp.js";

/** Every void gets all of these; `time` only where the kernel has it. */
export const ALL_NAMESPACES = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"] as const;
export type Namespace = (typeof ALL_NAMESPACES)[number];

/** One line of /proc/PID/uid_map or gid_map. */
export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

/** Why a mount is in the plan. */
export type MountOrigin =
  | "void" // part of every void: the root tmpfs, /dev/null
  | "spec" // a Filesystem or Procfs grant
  | "binary" // the entrypoint's executable
  | "executable" // another program an Executable grant names
  | "interpreter" // the ELF interpreter (PT_INTERP)
  | "library" // a DT_NEEDED library, found by reading ELF files
  | "module" // a shared object a Library grant names (the program dlopens it)
  | "shebang" // an interpreter named by a #! line
  | "ld.so.cache"; // the loader's cache, read inside the void

export type MountEntry =
  | {
      type: "bind";
      source: string;
      dest: string;
      readOnly: boolean;
      directory: boolean;
      /** The source's device and inode at planning time (decimal): the child binds it only if it is still that object. */
      dev?: string;
      ino?: string;
      origin: MountOrigin;
      /** For automatic entries: what needed it, e.g. "libc.so.6 needed by /usr/bin/ls". */
      reason?: string;
      /** A writable spec bind whose spec acknowledges that other entrypoints read what it writes ("shared": true). */
      shared?: boolean;
    }
  | { type: "symlink"; dest: string; target: string; origin: MountOrigin; reason?: string }
  /** The void's root: an empty tmpfs of at most `size` bytes and `inodes` files (nosuid, nodev), made read-only once the tree is built. */
  | { type: "tmpfs"; dest: "/"; readOnly: true; size: number; inodes: number; mode: number; origin: "void" }
  /** A Tmpfs grant: writable scratch space of at most `size` bytes (nosuid, nodev), empty at each void's start. */
  | { type: "scratch"; dest: string; size: number; inodes: number; origin: "spec" }
  /** The host's /dev/null bound at the same path (nosuid, noexec): every ungranted standard stream is connected to it. */
  | { type: "devnull"; dest: "/dev/null"; origin: "void" }
  /** DevRandom: the host's device bound at the same path (nosuid, noexec). */
  | { type: "device"; dest: "/dev/random" | "/dev/urandom"; origin: "spec" }
  /** Procfs: a proc of the void's PID namespace (nosuid, nodev, noexec), with the kernel-wide parts `readOnly` (names under dest). */
  | { type: "proc"; dest: "/proc"; readOnly: string[]; origin: "spec" };

/** What an fd inside the void is connected to. */
export type FdSource =
  | { kind: "stdin" | "stdout" | "stderr" } // the launcher's own stream
  | { kind: "devnull" }
  | { kind: "file"; path: string } // opened read-only by the launcher
  | { kind: "pipe"; name: string; direction: Direction }
  | { kind: "filesocket"; name: string; direction: Direction }
  | { kind: "tcplistener"; addr: string }
  | { kind: "rpc"; operations: RpcOperation[] }
  /** An fd that arrived with the triggering FileSocket packet (runtime only). */
  | { kind: "received"; index: number };

export interface FdGrant {
  fd: number;
  source: FdSource;
}

/**
 * A Connect grant: the void's child binds 127.0.0.1:environmentPort in the
 * void's network namespace (listening, for TCP) and hands the socket to the
 * launcher, which relays what arrives on it to hostAddr.
 */
export interface ConnectPlan {
  protocol: ForwardProtocol;
  environmentPort: number;
  hostAddr: string;
}

/** A Forward grant: the launcher listens on hostAddr and relays to 127.0.0.1:environmentPort in the void. */
export interface ForwardPlan {
  protocol: ForwardProtocol;
  hostAddr: string;
  environmentPort: number;
}

/** argv elements: literal strings, or the data of the triggering message. */
export type ArgvPart = { kind: "literal"; value: string } | { kind: "trigger" };

/**
 * The kernel counts some objects per user namespace and charges each one
 * also to the namespace's creator in the parent namespace: the launcher's
 * host uid. A void's own namespace gets limits below the host's, so one
 * void cannot use up a budget its launcher's user shares with the rest of
 * the host. The names are the files of /proc/sys/user.
 */
export const USER_LIMIT_NAMES = [
  "max_inotify_instances",
  "max_inotify_watches",
  "max_fanotify_groups",
  "max_fanotify_marks",
  "max_user_namespaces",
  "max_mnt_namespaces",
  "max_pid_namespaces",
  "max_net_namespaces",
  "max_ipc_namespaces",
  "max_uts_namespaces",
  "max_cgroup_namespaces",
  "max_time_namespaces",
] as const;
export type UserLimitName = (typeof USER_LIMIT_NAMES)[number];
export interface UserNamespaceLimit {
  name: UserLimitName;
  value: number;
}

/** An environment variable of the void: set by the spec (Env) or passed on from the launcher (PassEnv). */
export interface EnvVar {
  name: string;
  value: string;
  /** "void": set by the planner: LD_ORIGIN_PATH (the binary's RUNPATH uses $ORIGIN), LD_LIBRARY_PATH (LibraryPath grants), PYTHONNOUSERSITE (a Python program). */
  from: "spec" | "launcher" | "void";
}

export interface VoidPlan {
  entrypoint: string;
  trigger: Trigger;
  /** The binary as given to the launcher (argv's BinaryName). */
  binary: string;
  /** The absolute path executed inside the void. */
  exec: string;
  namespaces: Namespace[];
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  /** The maps name a host id other than the launcher's own: the launcher writes them (a process may map only its own id into a new user namespace). */
  mapsByLauncher: boolean;
  /**
   * "deny": the void maps its own ids (an unprivileged launcher's, or
   * --host-root) and keeps the launcher's supplementary groups; "cleared":
   * the launcher maps them (mapsByLauncher) and the void drops every
   * supplementary group before it runs anything (setgroups stays allowed in
   * its namespace, where it never holds CAP_SETGID).
   */
  setgroups: "deny" | "cleared";
  hostname: string;
  domainname: string;
  procfs: boolean;
  /** The void's own loopback interface is up (only with Forward or Connect grants; otherwise no interface is up). */
  loopback: boolean;
  /** Forward grants, in spec order. */
  forwards: ForwardPlan[];
  /** Connect grants, in spec order (the order their sockets reach the launcher). */
  connects: ConnectPlan[];
  argv: ArgvPart[];
  /** The environment variables the entrypoint gets: none unless Env or PassEnv grants them. */
  environment: EnvVar[];
  /** The directory the entrypoint starts in ("/" unless WorkingDirectory). */
  cwd: string;
  /** Optional Filesystem grants not bound because their host path did not exist when planned ("/x (optional: /host/x does not exist)"). */
  absentOptional: string[];
  fds: FdGrant[];
  mounts: MountEntry[];
  capabilities: [];
  noNewPrivs: true;
  seccomp: SeccompPlan;
  /** Resource limits from a Limits grant ({} = none): a cgroup per void, a timeout, trigger concurrency. */
  limits: ResourceLimits;
  /** Limits of the void's own user namespace (its /proc/sys/user), written by the child before anything runs in the void. */
  userLimits: UserNamespaceLimit[];
  /** Statically linked executable (no interpreter, no libraries). */
  isStatic: boolean;
}

export interface PlanInput {
  /** The binary as given on the command line (argv's BinaryName). */
  binary: string;
  /** The file to execute, when the launcher found `binary` elsewhere (a bare name looked up in PATH); else `binary`, relative to cwd. */
  executable?: string;
  /** The launcher's remaining arguments ("Trailing"). */
  trailing: string[];
  /** The launcher's working directory, to resolve a relative binary path. */
  cwd: string;
  /** The launcher's real uid and gid: each void of an unprivileged launcher maps exactly these; a root launcher's voids map an unprivileged uid of their own (voidUid), unless hostRoot. */
  uid: number;
  gid: number;
  /** --host-root: a root launcher's voids are host uid 0, as before (no capability still). */
  hostRoot?: boolean;
  /** Whether the kernel has time namespaces. */
  timeNamespace: boolean;
  /** The launcher's environment, for PassEnv grants (absent: none passed). */
  launcherEnv?: Readonly<Record<string, string | undefined>>;
  /** The launcher's CPU architecture (process.arch): seccomp filters exist for x64 and arm64. */
  arch: string;
  /** --stdout / --stderr: grant the stream to every entrypoint. */
  grantStdout: boolean;
  grantStderr: boolean;
  /** Compute PlanResult.advice (it reads every extension module of a bound Python standard library). */
  advise?: boolean;
  /**
   * The spec and runtime spec files this plan was read from, absolute, each
   * as given and as resolved (symlinks followed), and every symlink on the
   * way: no writable bind may cover one (writableCoversSpecs).
   */
  specFiles?: readonly string[];
  /**
   * void's own installation, which the launcher runs: its package
   * directory, the directory of each package it loads (commander, zod…),
   * the Node executable running it; absolute, each as given and as
   * resolved. No writable bind may cover one or lie inside one
   * (writableCoversLauncher).
   */
  launcherFiles?: readonly string[];
  /**
   * Where the `void` command looks `node` up through PATH when no Node is
   * recorded (src/cli/load.ts launcherPath): the directories up to the one
   * it is found in, and the symlinks on the way to it; absolute, as given
   * and as resolved. No writable bind may cover one (writableCoversLauncherPath).
   */
  launcherPath?: readonly string[];
  /**
   * Where the launcher's LD_LIBRARY_PATH, LD_PRELOAD and LD_AUDIT lead
   * (src/cli/load.ts launcherLoader): the directories and files ld.so loads
   * from into the Node the void command runs, every symlink met on the
   * way, and the links ld.so would follow inside those directories and
   * where they lead. No writable bind may cover one
   * (writableCoversLauncherLoader).
   */
  launcherLoader?: readonly string[];
  /**
   * The directories ld.so searches through LD_LIBRARY_PATH (as they
   * resolve, with the subdirectories of theirs it searches that are links):
   * no writable bind may lie where ld.so looks inside one — a file directly
   * in it, or anything in one of its glibc-hwcaps/, tls/ or platform
   * subdirectories (src/plan/libraries.ts LOADER_SUBDIRS).
   */
  launcherLoaderDirs?: readonly string[];
  /** The bare names of the launcher's LD_PRELOAD and LD_AUDIT, which ld.so looks up in those directories (a file of such a name in one is refused too). */
  launcherLoaderNames?: readonly string[];
  /**
   * The Node executables the void command involves (the one running and the
   * one build/node-path names, resolved): the planner reads their ELF files
   * for what ld.so loads into them by itself — their libraries, found
   * through their RUNPATH or RPATH (conda's and Homebrew's Node keep
   * theirs beside it), the cache and the default directories — which no
   * writable bind may reach either (writableCoversLauncherLoader).
   */
  launcherNodes?: readonly string[];
  /** The launcher's LD_LIBRARY_PATH directories, resolved, in order: where ld.so looks for Node's libraries first. */
  launcherLibraryPath?: readonly string[];
  /** The libraries the launcher's LD_PRELOAD and LD_AUDIT load into Node, resolved: with what they need in turn (their own RUNPATH), read like Node's. */
  launcherPreload?: readonly string[];
  /**
   * Filesystems where a file of void's installation that a void could
   * write (its host uid's, or anyone's) has other names too — hard links,
   * as pnpm's and bun's stores make: `dev` as HostStat.dev, `mount` the top
   * of that filesystem on the file's path, `file` one such file. No
   * writable bind may be on one, or cover its top (writableReachesLinkedLauncher).
   */
  launcherLinks?: readonly { dev: string; mount: string; file: string }[];
}

/**
 * `warnings`: what the spec allows but a user should know (printed by void
 * check and void run). `advice`: what a program may still miss, if it uses
 * it — Python extension modules whose libraries are not bound — computed
 * only when PlanInput.advise asks (void check; void run -v).
 */
export type PlanResult = { ok: true; plans: VoidPlan[]; warnings: string[]; advice: string[] } | { ok: false; errors: string[] };
