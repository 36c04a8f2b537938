/**
 * The specification's data model, after parsing.
 *
 * The JSON format is the original prototype's serde "externally tagged" form
 * (docs/spec.md); these types are what the rest of void works with once a spec
 * has been parsed and validated. Every variant carries a `kind` tag so that
 * switch statements are exhaustive.
 */

export type Direction = "Rx" | "Tx";

/** The transport a Forward grant relays. */
export type ForwardProtocol = "Udp" | "Tcp";

export type Trigger = { kind: "Startup" } | { kind: "Pipe"; name: string } | { kind: "FileSocket"; name: string };

export type RpcOperation = {
  kind: "OpenTcpSocket" | "OpenUdpSocket";
  /** null = any family */
  family: "Inet" | "Inet6" | null;
  /** null = any port */
  port: number | null;
  /** null = any host */
  host: string | null;
};

export type Arg =
  | { kind: "BinaryName" }
  | { kind: "Entrypoint" }
  | { kind: "File"; path: string }
  | { kind: "Pipe"; direction: Direction; name: string }
  | { kind: "FileSocket"; direction: Direction; name: string }
  | { kind: "Trigger" }
  /** `{"TcpListener": {"addr": "ip:port"}}`; the stale `{"port": N}` becomes addr `0.0.0.0:N`. */
  | { kind: "TcpListener"; addr: string }
  | { kind: "Rpc"; operations: RpcOperation[] }
  | { kind: "Trailing" };

export type Grant =
  | {
      kind: "Filesystem";
      hostPath: string;
      environmentPath: string;
      /** Extension: `"read_only": false` makes the bind writable. Default true. */
      readOnly: boolean;
      /** Extension: `"shared": true` on a writable bind acknowledges that other entrypoints read what this one writes there. Default false. */
      shared: boolean;
      /** Extension: `"optional": true` binds host_path only if it exists when void plans (else nothing is mounted there). Default false. */
      optional: boolean;
    }
  | { kind: "Hostname"; name: string }
  | { kind: "DomainName"; name: string }
  | { kind: "Procfs" }
  /** Extension: /dev/random and /dev/urandom, bound from the host (reads only what getrandom(2) gives any void). */
  | { kind: "DevRandom" }
  /**
   * Extension: the launcher listens on `hostAddr` (in its own network
   * namespace) and relays each UDP flow or TCP connection to
   * 127.0.0.1:`environmentPort` in the void's own network namespace, whose
   * loopback interface is brought up for it.
   */
  | { kind: "Forward"; protocol: ForwardProtocol; hostAddr: string; environmentPort: number }
  /**
   * Extension: an outgoing connection. The void's loopback is brought up
   * and 127.0.0.1:`environmentPort` there is a socket the launcher holds:
   * each TCP connection or UDP flow a program of the void opens to it is
   * relayed by the launcher to `hostAddr` (an IP address and port in the
   * launcher's network namespace), and to nothing else.
   */
  | { kind: "Connect"; protocol: ForwardProtocol; hostAddr: string; environmentPort: number }
  /**
   * Extension: changes the default seccomp filter — `allow` takes system
   * calls off its deny list, `deny` adds some (names of x86_64 or aarch64
   * calls; one the host's architecture lacks is ignored there).
   */
  | { kind: "Seccomp"; allow: string[]; deny: string[] }
  /** Extension: no seccomp filter at all (opt-out). */
  | { kind: "SeccompUnconfined" }
  /** Extension: resource limits (cgroup, timeout, trigger concurrency). Absent fields: no limit. */
  | ({ kind: "Limits" } & ResourceLimits)
  /** Extension: a writable tmpfs of at most `size` bytes at `path`: scratch space (the /tmp a program expects). */
  | { kind: "Tmpfs"; path: string; size: number }
  /** Extension: the directory of the void the entrypoint starts in (default /). */
  | { kind: "WorkingDirectory"; path: string }
  /** Extension: environment variables, set literally, in spec order. */
  | { kind: "Env"; vars: [name: string, value: string][] }
  /** Extension: environment variables passed on by name from the launcher's environment (not set where the launcher has none). */
  | { kind: "PassEnv"; names: string[] }
  /** Extension: another program the entrypoint runs (a command a #! script calls): bound read-only at its host path, with its interpreter, libraries and #! chain, as the binary is. */
  | { kind: "Executable"; path: string }
  /**
   * Extension: a directory the dynamic loader also searches, as LD_LIBRARY_PATH
   * does (after DT_RPATH, before DT_RUNPATH): libraries the binary and its
   * Executable and Library grants need are looked for there, those found are
   * bound read-only, and the void's LD_LIBRARY_PATH lists these directories in
   * grant order.
   */
  | { kind: "LibraryPath"; path: string }
  /** Extension: a shared object the program loads with dlopen (a library, a Python extension module): bound read-only with the libraries it needs, as the binary's are. */
  | { kind: "Library"; path: string }
  | { kind: "Stdin" }
  | { kind: "Stdout" }
  | { kind: "Stderr" };

/** Voids of one trigger running at once when neither the spec nor -j says (`void run -j`). */
export const DEFAULT_CONCURRENCY = 64;
/** The CPU weight of a void whose spec sets none (cgroup v2's default). */
export const DEFAULT_CPU_WEIGHT = 100;
/**
 * inotify budgets of a void whose spec sets none. The kernel counts inotify
 * instances and watches per user namespace and charges each to the
 * namespace's creator in the parent — the launcher's uid (host root for a
 * root launcher), whose host-wide budget (fs.inotify.max_user_instances,
 * 128 by default) its other processes share. A void gets a small share.
 */
export const DEFAULT_INOTIFY_INSTANCES = 16;
export const DEFAULT_INOTIFY_WATCHES = 8192;
/** A Tmpfs grant's size when the spec sets none (bytes). */
export const DEFAULT_TMPFS_SIZE = 64 * 1024 * 1024;

/** Limits for each void of an entrypoint (`{"Limits": {...}}`). */
export interface ResourceLimits {
  /** memory.max (v2) / memory.limit_in_bytes (v1), bytes. */
  memory?: number;
  /** swap on top of memory, bytes (memory.swap.max / memsw = memory + swap). */
  memorySwap?: number;
  /** most processes and threads at once (pids.max). */
  pids?: number;
  /** relative CPU share, 1..10000, 100 = default (cpu.weight; v1 cpu.shares). */
  cpuWeight?: number;
  /** CPU time as a number of CPUs, e.g. 0.5 (cpu.max; v1 cfs quota). */
  cpuMax?: number;
  /** wall-clock limit: the void is killed after this many milliseconds. */
  timeoutMs?: number;
  /** for a triggered entrypoint: most of its voids running at once (overrides -j). */
  concurrency?: number;
  /** inotify instances the void may hold at once (the void's user namespace's max_inotify_instances). */
  inotifyInstances?: number;
  /** inotify watches the void may hold at once (max_inotify_watches). */
  inotifyWatches?: number;
}

export interface Entrypoint {
  name: string;
  trigger: Trigger;
  args: Arg[];
  /** A set: duplicates removed, order of first appearance kept. */
  environment: Grant[];
}

export interface Spec {
  /** In the order they appear in the file. */
  entrypoints: Entrypoint[];
}

/**
 * One problem found in a spec. `path` is a JSON path in the form
 * `entrypoints.tls_handler.args[2]` (names that are not identifiers are
 * quoted: `entrypoints["my-name"].trigger`).
 */
export interface Diagnostic {
  severity: "error" | "warning";
  path: string;
  message: string;
  /** What would have been accepted here, e.g. `"Startup" | {"Pipe": name} | {"FileSocket": name}`. */
  expected?: string;
  /** e.g. `did you mean "Entrypoint"?` */
  hint?: string;
}

export type ParseResult = { ok: true; spec: Spec; warnings: Diagnostic[] } | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };
