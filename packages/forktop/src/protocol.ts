/**
 * forktop's tracer protocol, version 1 (docs/forktop-protocol.md): the types
 * of the event lines `build/forktop-tracer` writes, and their validation.
 *
 * The same lines are forktop's public `--json` output, so a line is kept as
 * the tracer wrote it (`raw`) next to its parsed form.
 *
 * Validation is deliberately open: unknown events and unknown fields are
 * kept (a newer tracer may add some), while a known field with the wrong
 * type is an error naming the field. Missing snapshot information is
 * `null` in the protocol and stays `null` here, never a guess.
 *
 * Pure: no I/O; `parseEventLine` never throws.
 */

import { z } from "zod";

export const PROTOCOL_VERSION = 1;

/** The namespaces a snapshot names, in the order forktop shows them. */
export const NAMESPACES = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** The capability sets of /proc/PID/status, as hex strings. */
export const CAP_SETS = ["inh", "prm", "eff", "bnd", "amb"] as const;
export type CapSet = (typeof CAP_SETS)[number];

export const FD_TYPES = ["file", "dir", "tty", "pipe", "socket", "anon", "memfd", "dev", "other"] as const;
export type FdType = (typeof FD_TYPES)[number];

const nullable = <T extends z.ZodType>(t: T) =>
  t
    .nullable()
    .optional()
    .transform((v) => (v === undefined ? null : v));
const int = z.number().int();
const idMapEntry = z.tuple([int, int, int]);
const hexCaps = z.string().regex(/^[0-9a-fA-F]{1,16}$/, "a hex capability mask");

const fdSchema = z.looseObject({
  fd: int.nonnegative(),
  /** One of FD_TYPES, or a type a newer tracer names. */
  type: z.string(),
  target: nullable(z.string()),
});

/** One process's state as the tracer read it from the host's /proc/PID. */
const snapshotSchema = z.looseObject({
  nspid: nullable(z.array(int)),
  tgid: nullable(int),
  ppid: nullable(int),
  comm: nullable(z.string()),
  cmdline: nullable(z.array(z.string())),
  /** Bytes of the command line left out past the first 16 KiB (absent: none). */
  cmdline_truncated: int.nonnegative().optional(),
  exe: nullable(z.string()),
  state: nullable(z.string()),
  /** real, effective, saved, fs (host view) */
  uid: nullable(z.array(int)),
  gid: nullable(z.array(int)),
  /** [inside, outside, count] rows */
  uid_map: nullable(z.array(idMapEntry)),
  gid_map: nullable(z.array(idMapEntry)),
  /** by Namespace; a newer tracer may name more */
  ns: nullable(z.record(z.string(), z.number().nullable())),
  /** by CapSet */
  caps: nullable(z.record(z.string(), hexCaps.nullable())),
  no_new_privs: nullable(z.boolean()),
  seccomp: nullable(int),
  seccomp_filters: nullable(int),
  root: nullable(z.string()),
  cwd: nullable(z.string()),
  cgroup: nullable(z.string()),
  mounts: nullable(int),
  fds: nullable(z.array(fdSchema)),
  fds_total: nullable(int),
  /** Threads whose credentials, capabilities, no_new_privs or seccomp differ from the main thread's (absent: none). */
  threads_differ: z.array(int).optional(),
});

export type Fd = z.infer<typeof fdSchema>;
export type Snapshot = z.infer<typeof snapshotSchema>;

const base = { time: z.number() };
const pidField = int.positive();
/** A process appears: `spawn` (the CMD child), `attach` (existing), `fork`, `vfork`, `clone`. */
const create = <E extends string>(event: E) => z.looseObject({ event: z.literal(event), ...base, pid: pidField, ppid: int, snapshot: snapshotSchema });

/** Every event this version knows, by name: the one definition of the protocol's lines. */
const schemas = {
  hello: z.looseObject({
    event: z.literal("hello"),
    ...base,
    version: int,
    mode: z.enum(["ptrace", "poll"]),
    tracer: int,
    reason: z.string().nullable().optional(),
  }),
  spawn: create("spawn"),
  attach: create("attach"),
  fork: create("fork"),
  vfork: create("vfork"),
  clone: create("clone"),
  thread: z.looseObject({ event: z.literal("thread"), ...base, pid: pidField, tgid: pidField }),
  exec: z.looseObject({ event: z.literal("exec"), ...base, pid: pidField, snapshot: snapshotSchema, former_pid: int.optional() }),
  change: z.looseObject({ event: z.literal("change"), ...base, pid: pidField, snapshot: snapshotSchema }),
  exit: z.looseObject({
    event: z.literal("exit"),
    ...base,
    pid: pidField,
    code: int.optional(),
    signal: z.string().optional(),
    core: z.boolean().optional(),
    thread: z.boolean().optional(),
    snapshot: snapshotSchema.nullable().optional(),
  }),
  shell: z.looseObject({ event: z.literal("shell"), ...base, pid: pidField, shell: pidField }),
  "shell-exit": z.looseObject({ event: z.literal("shell-exit"), ...base, shell: int, code: int.optional(), signal: z.string().optional() }),
  detached: z.looseObject({ event: z.literal("detached"), ...base }),
  error: z.looseObject({ event: z.literal("error"), ...base, message: z.string(), pid: int.optional() }),
};

type Schemas = typeof schemas;
export type EventName = keyof Schemas;
export const EVENT_NAMES = Object.keys(schemas).filter(isEventName);

function isEventName(name: string): name is EventName {
  return Object.hasOwn(schemas, name);
}

export type HelloEvent = z.infer<Schemas["hello"]>;
export type CreateEvent = z.infer<Schemas["spawn" | "attach" | "fork" | "vfork" | "clone"]>;
export type ThreadEvent = z.infer<Schemas["thread"]>;
export type ExecEvent = z.infer<Schemas["exec"]>;
export type ChangeEvent = z.infer<Schemas["change"]>;
export type ExitEvent = z.infer<Schemas["exit"]>;
export type ShellEvent = z.infer<Schemas["shell"]>;
export type ShellExitEvent = z.infer<Schemas["shell-exit"]>;
export type DetachedEvent = z.infer<Schemas["detached"]>;
export type ErrorEvent = z.infer<Schemas["error"]>;
/** Any event this version knows. */
export type TracerEvent = z.infer<Schemas[EventName]>;

/** An event this version does not know (kept, shown in the log, forwarded by --json). */
export interface UnknownEvent {
  event: string;
  time: number;
  unknown: true;
}

export type ParsedLine = { ok: true; event: TracerEvent | UnknownEvent; raw: string } | { ok: false; error: string; raw: string };

/**
 * Whether `ev` is the event `name`, narrowed to its type: parseEventLine
 * makes an UnknownEvent only of a name this version does not know.
 */
export function isEvent<N extends EventName>(ev: TracerEvent | UnknownEvent, name: N): ev is z.infer<Schemas[N]> {
  return ev.event === name;
}

export function isCreateEvent(e: { event: string }): e is CreateEvent {
  return e.event === "spawn" || e.event === "attach" || e.event === "fork" || e.event === "vfork" || e.event === "clone";
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(line)";
  return `${path}: ${issue.message}`;
}

/**
 * Parses one line (without its newline). Never throws: a line that is not
 * JSON, not an object, has no `event`/`time`, or a known event with a
 * malformed field is `{ok: false, error}` naming what is wrong.
 */
export function parseEventLine(raw: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}`, raw };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "not a JSON object", raw };
  const obj = value as Record<string, unknown>;
  if (typeof obj["event"] !== "string") return { ok: false, error: 'no "event" string', raw };
  if (typeof obj["time"] !== "number") return { ok: false, error: `${obj["event"]}: no numeric "time"`, raw };
  const name = obj["event"];
  if (!isEventName(name)) return { ok: true, event: { event: name, time: obj["time"], unknown: true }, raw };
  const r = schemas[name].safeParse(obj);
  if (!r.success) return { ok: false, error: `${name}: ${r.error.issues.map(describeIssue).join("; ")}`, raw };
  return { ok: true, event: r.data, raw };
}

/** An empty snapshot: every field unknown. */
export function emptySnapshot(): Snapshot {
  return {
    nspid: null,
    tgid: null,
    ppid: null,
    comm: null,
    cmdline: null,
    exe: null,
    state: null,
    uid: null,
    gid: null,
    uid_map: null,
    gid_map: null,
    ns: null,
    caps: null,
    no_new_privs: null,
    seccomp: null,
    seccomp_filters: null,
    root: null,
    cwd: null,
    cgroup: null,
    mounts: null,
    fds: null,
    fds_total: null,
  };
}
