/**
 * The variant table: the single source of truth for every name in the spec
 * format.
 *
 * The format is serde's "externally tagged" encoding (docs/spec.md): a unit
 * variant is a bare string (`"Stdout"`), a variant with data is a one-key
 * object (`{"File": "/etc/passwd"}`). Every enum of the format, and every
 * closed object (entrypoint, Filesystem payload, ...), is listed here once
 * with its names, a one-line description, the written form shown in error
 * messages, and any stale spelling that is still accepted.
 *
 * Consumers:
 * - parse.ts walks values against these tables (unknown names, did-you-mean,
 *   "expected ..." lists). Its switch statements are typed by the name unions
 *   derived below, so a variant added here that the parser does not handle is
 *   a compile error.
 * - schema.ts turns the same tables into JSON Schema `anyOf`s with the
 *   descriptions, keyed payload schemas typed by the same name unions.
 * - the fuzz test builds its generator of well-formed specs from them.
 */

/** A variant without data: written `"Name"` (or serde's long form `{"Name": null}`). */
export interface UnitVariant<N extends string = string> {
  readonly name: N;
  readonly unit: true;
  readonly description: string;
  /** Set on stale spellings: the variant to write instead. Accepted with a warning. */
  readonly replacedBy?: string;
}

/** A variant with data: written `{"Name": payload}`. */
export interface DataVariant<N extends string = string> {
  readonly name: N;
  readonly unit: false;
  readonly description: string;
  /** How it is written, for "expected ..." messages, e.g. `{"File": "/host/path"}`. */
  readonly form: string;
}

export type Variant<N extends string = string> = UnitVariant<N> | DataVariant<N>;

export interface EnumTable<N extends string = string> {
  /** What one value is called in messages: "trigger", "argument", ... */
  readonly what: string;
  /** Name of the JSON Schema definition. */
  readonly schemaName: string;
  readonly description: string;
  readonly variants: readonly Variant<N>[];
}

/** One key of a closed JSON object. */
export interface Field<K extends string = string> {
  readonly key: K;
  readonly required: boolean;
  readonly description: string;
  /** Set on stale keys: the key to write instead. Accepted with a warning. */
  readonly replacedBy?: string;
}

export interface ObjectTable<K extends string = string> {
  /** What the object is called in messages: "entrypoint", ... */
  readonly what: string;
  readonly fields: readonly Field<K>[];
}

function unit<N extends string>(name: N, description: string): UnitVariant<N> {
  return { name, unit: true, description };
}

function stale<N extends string>(name: N, replacedBy: string): UnitVariant<N> {
  return {
    name,
    unit: true,
    description: `Deprecated spelling of "${replacedBy}" from the original prototype's examples; write "${replacedBy}".`,
    replacedBy,
  };
}

function data<N extends string>(name: N, form: string, description: string): DataVariant<N> {
  return { name, unit: false, description, form };
}

function field<K extends string>(key: K, required: boolean, description: string): Field<K> {
  return { key, required, description };
}

export const TRIGGER_TABLE = {
  what: "trigger",
  schemaName: "Trigger",
  description: 'When voids of this entrypoint are started. Default: "Startup".',
  variants: [
    unit("Startup", "Run one void of this entrypoint when the application starts (the default)."),
    data("Pipe", '{"Pipe": name}', 'Spawn a fresh void for every message read from this named pipe; the message is passed as the "Trigger" argument.'),
    data("FileSocket", '{"FileSocket": name}', 'Spawn a fresh void for every datagram received on this named file socket; the file descriptors it carries are passed as "Trigger" arguments.'),
  ],
} as const satisfies EnumTable;

export const ARG_TABLE = {
  what: "argument",
  schemaName: "Arg",
  description: "One or more argv entries of the entrypoint, in order. File descriptors are passed as decimal strings.",
  variants: [
    unit("BinaryName", "The binary's path as given to the launcher (conventionally argv[0])."),
    unit("Entrypoint", "This entrypoint's name, so that one binary can serve several entrypoints."),
    data("File", '{"File": "/host/path"}', "A host file opened read-only by the launcher, passed as its file descriptor number. The path must be absolute and normalised."),
    data("Pipe", '{"Pipe": {"Rx"|"Tx": name}}', "One end of a named pipe, passed as its file descriptor number: Rx reads, Tx writes. Each pipe has exactly one reader and one writer."),
    data(
      "FileSocket",
      '{"FileSocket": {"Rx"|"Tx": name}}',
      "One end of a named unix datagram socket that carries file descriptors: Rx receives, Tx sends. Each file socket has exactly one reader and at least one writer.",
    ),
    unit("Trigger", "The data that triggered this void: the pipe message, or the received file descriptor numbers (zero or more arguments). Only in an entrypoint with a Pipe or FileSocket trigger."),
    stale("PipeTrigger", "Trigger"),
    data(
      "TcpListener",
      '{"TcpListener": {"addr": "ip:port"}}',
      'A TCP socket bound to addr and listening, created by the launcher, passed as its file descriptor number. addr is "ipv4:port" or "[ipv6]:port".',
    ),
    data("Rpc", '{"Rpc": [operation, ...]}', "A socket to the launcher's broker, which performs only the listed operations and returns the resulting file descriptor."),
    unit("Trailing", "The launcher's remaining command-line arguments (zero or more)."),
  ],
} as const satisfies EnumTable;

export const DIRECTION_TABLE = {
  what: "direction",
  schemaName: "Direction",
  description: "Which end: Rx receives, Tx sends.",
  variants: [data("Rx", '{"Rx": name}', "The receiving end (read a pipe, receive on a file socket)."), data("Tx", '{"Tx": name}', "The sending end (write a pipe, send on a file socket).")],
} as const satisfies EnumTable;

export const RPC_OPERATION_TABLE = {
  what: "RPC operation",
  schemaName: "RpcOperation",
  description: "An operation the broker performs on the void's behalf. null or an absent field = any value.",
  variants: [
    data("OpenTcpSocket", '{"OpenTcpSocket": {"family": ..., "port": ..., "host": ...}}', "Open a TCP socket connected to host:port and return it."),
    data("OpenUdpSocket", '{"OpenUdpSocket": {"family": ..., "port": ..., "host": ...}}', "Open a UDP socket connected to host:port and return it."),
  ],
} as const satisfies EnumTable;

export const FAMILY_TABLE = {
  what: "address family",
  schemaName: "AddressFamily",
  description: "The address family the broker may use; null = either.",
  variants: [unit("Inet", "IPv4 (AF_INET)."), unit("Inet6", "IPv6 (AF_INET6).")],
} as const satisfies EnumTable;

export const GRANT_TABLE = {
  what: "environment grant",
  schemaName: "Grant",
  description: "Something placed in the void's environment. The list is a set: repeats are ignored.",
  variants: [
    data(
      "Filesystem",
      '{"Filesystem": {"host_path": "/host/path", "environment_path": "/path"}}',
      "Bind-mount host_path at environment_path inside the void, read-only unless read_only is false. Both paths absolute and normalised.",
    ),
    data("Hostname", '{"Hostname": name}', "The void's host name (UTS nodename; 1 to 64 bytes). Default: void."),
    data("DomainName", '{"DomainName": name}', "The void's NIS domain name (1 to 64 bytes). Default: (none)."),
    unit("Procfs", "A /proc showing only the void's own PID namespace."),
    unit("DevRandom", "Extension: /dev/random and /dev/urandom (the same bytes getrandom(2) gives every void), for programs that open them."),
    data(
      "Forward",
      '{"Forward": {"protocol": "Udp"|"Tcp", "host_addr": "ip:port", "environment_port": port}}',
      "Extension: the launcher listens on host_addr and relays each UDP flow or TCP connection to 127.0.0.1:environment_port in the void's own network namespace (its loopback is brought up). Startup entrypoints only.",
    ),
    data(
      "Connect",
      '{"Connect": {"protocol": "Tcp"|"Udp", "environment_port": port, "host_addr": "ip:port"}}',
      "Extension: an outgoing connection: what a program of the void sends to 127.0.0.1:environment_port (TCP connections, UDP flows) the launcher relays to host_addr, and only there. The void's loopback is brought up.",
    ),
    data(
      "Seccomp",
      '{"Seccomp": {"allow": [syscall, ...], "deny": [syscall, ...]}}',
      "Extension: adjust the default seccomp filter: allow takes system calls off its deny list, deny adds more (system call names of x86_64 or aarch64; one the host's architecture lacks is ignored there).",
    ),
    unit("SeccompUnconfined", "Extension: run without any seccomp filter (opt-out of the default filter)."),
    data(
      "Limits",
      '{"Limits": {"memory": "64M", "pids": 32, "cpu_max": 0.5, "timeout": "30s", ...}}',
      "Extension: resource limits for each void of this entrypoint (a cgroup per void), a wall-clock timeout, and for a trigger the most voids at once.",
    ),
    data("Tmpfs", '{"Tmpfs": {"path": "/tmp", "size": "64M"}}', "Extension: a writable tmpfs of at most size bytes (default 64M) at path, empty at each void's start: scratch space."),
    data("WorkingDirectory", '{"WorkingDirectory": "/path"}', "Extension: the directory the entrypoint starts in (default /); it must be a directory of the void's tree."),
    data("Env", '{"Env": {"NAME": "value", ...}}', "Extension: environment variables set to these values (otherwise the environment is empty)."),
    data("Executable", '{"Executable": "/host/path"}', "Extension: another program the entrypoint runs (a command its script calls), bound with its interpreter and libraries, as the binary is."),
    data(
      "LibraryPath",
      '{"LibraryPath": "/host/dir"}',
      "Extension: a directory the dynamic loader also searches (LD_LIBRARY_PATH): the libraries found there are bound, and the void's LD_LIBRARY_PATH names it.",
    ),
    data("Library", '{"Library": "/host/path.so"}', "Extension: a shared object the program loads with dlopen (a library, a Python extension module), bound with the libraries it needs."),
    data("PassEnv", '{"PassEnv": ["NAME", ...]}', "Extension: environment variables passed on from the launcher's environment by name (not set where the launcher has none)."),
    unit("Stdin", "The launcher's standard input (otherwise /dev/null)."),
    unit("Stdout", "The launcher's standard output (otherwise /dev/null)."),
    unit("Stderr", "The launcher's standard error (otherwise /dev/null)."),
  ],
} as const satisfies EnumTable;

export const FORWARD_PROTOCOL_TABLE = {
  what: "forward protocol",
  schemaName: "ForwardProtocol",
  description: "The transport a Forward relays.",
  variants: [unit("Udp", "UDP: each client address is one flow, relayed datagram by datagram."), unit("Tcp", "TCP: each connection is relayed to a new connection in the void.")],
} as const satisfies EnumTable;

export const FORWARD_FIELDS = {
  what: "Forward grant",
  fields: [
    field("protocol", true, '"Udp" or "Tcp".'),
    field("host_addr", true, 'Where the launcher listens, in its own network namespace: "ipv4:port" or "[ipv6]:port" (port 0: any free port, logged with -v).'),
    field("environment_port", true, "The port the program listens on at 127.0.0.1 inside its void: 1024-65535 (a void has no capability to bind lower ports)."),
  ],
} as const satisfies ObjectTable;

export const CONNECT_FIELDS = {
  what: "Connect grant",
  fields: [
    field("protocol", true, '"Tcp" or "Udp".'),
    field(
      "environment_port",
      true,
      "The port the program connects to at 127.0.0.1 inside its void: 1-65535 (the launcher holds the socket there, so a port below 1024, such as a resolver's 53, works).",
    ),
    field("host_addr", true, 'Where the launcher connects, in its own network namespace: "ipv4:port" or "[ipv6]:port", an address (not a host name) and a port 1-65535.'),
  ],
} as const satisfies ObjectTable;

export const SECCOMP_FIELDS = {
  what: "Seccomp grant",
  fields: [field("allow", false, "System calls to take off the default deny list."), field("deny", false, "System calls to deny as well (they fail with EPERM).")],
} as const satisfies ObjectTable;

export const LIMITS_FIELDS = {
  what: "Limits grant",
  fields: [
    field("memory", false, 'Most memory, in bytes or with a K, M, G or T suffix ("64M"); at least 1M. A void\'s own mounts count against it too.'),
    field("memory_swap", false, "Most swap on top of memory, same units. Default: none allowed when memory is set."),
    field("pids", false, "Most processes and threads at once (a fork bomb stops here)."),
    field("cpu_weight", false, "Relative CPU share, 1 to 10000 (100 = normal)."),
    field("cpu_max", false, "Most CPU time, as a number of CPUs (0.5 = half of one)."),
    field("timeout", false, 'Wall-clock limit: seconds, or a string with ms, s, m or h ("30s"). The void is killed after it.'),
    field("concurrency", false, "For a triggered entrypoint: most of its voids at once (overrides -j)."),
    field("inotify_instances", false, "Most inotify instances the void holds at once (default 16; 0 = none)."),
    field("inotify_watches", false, "Most inotify watches the void holds at once (default 8192)."),
  ],
} as const satisfies ObjectTable;

export const ROOT_FIELDS = {
  what: "the spec",
  fields: [field("entrypoints", true, "The parts of the program, by name. Each runs in its own void."), field("$schema", false, "Optional URI of the JSON Schema, for editors. Ignored by void.")],
} as const satisfies ObjectTable;

export const ENTRYPOINT_FIELDS = {
  what: "entrypoint",
  fields: [
    field("trigger", false, 'When voids of this entrypoint start. Default: "Startup".'),
    field("args", false, 'The argv of the entrypoint. Default: ["BinaryName"].'),
    field("environment", false, "What the void's environment contains (a set). Default: nothing."),
  ],
} as const satisfies ObjectTable;

export const FILESYSTEM_FIELDS = {
  what: "Filesystem grant",
  fields: [
    field("host_path", true, "Absolute, normalised path on the host to bind in."),
    field("environment_path", true, "Absolute, normalised path inside the void where it appears. Not /proc or /dev/null (void owns those)."),
    field("read_only", false, "Extension: false makes the bind writable. Default: true."),
    field("shared", false, "Extension, with read_only false: other entrypoints are meant to read what this one writes here (no warning). Default: false."),
    field("optional", false, "Extension: bind host_path only if it exists (else nothing is mounted there). Default: false."),
  ],
} as const satisfies ObjectTable;

export const TMPFS_FIELDS = {
  what: "Tmpfs grant",
  fields: [
    field("path", true, "Absolute, normalised path inside the void where the tmpfs is mounted (not /, /proc or /dev/null)."),
    field("size", false, 'Most bytes it holds, or with a K, M, G or T suffix ("64M"); from 4K to 1T. Default: 64M.'),
  ],
} as const satisfies ObjectTable;

export const TCP_LISTENER_FIELDS = {
  what: "TcpListener",
  fields: [
    field("addr", true, 'Address to bind and listen on: "ipv4:port" or "[ipv6]:port", port 0-65535.'),
    {
      key: "port",
      required: false,
      description: 'Deprecated form from the original prototype\'s examples: {"port": N} means {"addr": "0.0.0.0:N"}.',
      replacedBy: "addr",
    },
  ],
} as const satisfies ObjectTable;

export const RPC_FIELDS = {
  what: "RPC operation",
  fields: [
    field("family", false, '"Inet", "Inet6" or null (any). Absent = null.'),
    field("port", false, "Remote port 1-65535, or null (any). Absent = null."),
    field("host", false, "Remote host name or address, or null (any). Absent = null."),
  ],
} as const satisfies ObjectTable;

/** The names of an enum table's variants, as a string-literal union. */
export type VariantName<T extends EnumTable> = T["variants"][number]["name"];
/** The names of the variants that carry data. */
export type DataVariantName<T extends EnumTable> = Extract<T["variants"][number], { unit: false }>["name"];

export type ArgName = VariantName<typeof ARG_TABLE>;
export type GrantName = VariantName<typeof GRANT_TABLE>;
export type TriggerName = VariantName<typeof TRIGGER_TABLE>;

/** The names written in new specs (stale spellings left out), for suggestions. */
export function currentNames(table: EnumTable): string[] {
  return table.variants.filter((v) => !(v.unit && v.replacedBy)).map((v) => v.name);
}

/** `"BinaryName" | "Entrypoint" | {"File": "/host/path"} | ...`: every current form of an enum. */
export function expectedForms(table: EnumTable): string {
  return table.variants
    .filter((v) => !(v.unit && v.replacedBy))
    .map((v) => (v.unit ? `"${v.name}"` : v.form))
    .join(" | ");
}

/** `"trigger" | "args" | "environment"`: every current key of an object. */
export function expectedKeys(table: ObjectTable): string {
  return table.fields
    .filter((f) => !f.replacedBy)
    .map((f) => `"${f.key}"`)
    .join(" | ");
}
