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

const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional().transform((v) => (v === undefined ? null : v));
const int = z.number().int();
const idMapEntry = z.tuple([int, int, int]);
const hexCaps = z.string().regex(/^[0-9a-fA-F]{1,16}$/, "a hex capability mask");

const fdSchema = z.looseObject({
  fd: int.nonnegative(),
  type: z.string(),
  target: z.string().nullable().optional(),
});

const snapshotSchema = z.looseObject({
  nspid: nullable(z.array(int)),
  tgid: nullable(int),
  ppid: nullable(int),
  comm: nullable(z.string()),
  cmdline: nullable(z.array(z.string())),
  exe: nullable(z.string()),
  state: nullable(z.string()),
  uid: nullable(z.array(int)),
  gid: nullable(z.array(int)),
  uid_map: nullable(z.array(idMapEntry)),
  gid_map: nullable(z.array(idMapEntry)),
  ns: nullable(z.record(z.string(), z.number().nullable())),
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
});

export interface Fd {
  fd: number;
  type: FdType | string;
  target: string | null;
}

/** One process's state as the tracer read it from the host's /proc/PID. */
export interface Snapshot {
  nspid: number[] | null;
  tgid: number | null;
  ppid: number | null;
  comm: string | null;
  cmdline: string[] | null;
  exe: string | null;
  state: string | null;
  /** real, effective, saved, fs (host view) */
  uid: number[] | null;
  gid: number[] | null;
  /** [inside, outside, count] rows */
  uid_map: [number, number, number][] | null;
  gid_map: [number, number, number][] | null;
  ns: Partial<Record<Namespace, number | null>> | null;
  caps: Partial<Record<CapSet, string | null>> | null;
  no_new_privs: boolean | null;
  seccomp: number | null;
  seccomp_filters: number | null;
  root: string | null;
  cwd: string | null;
  cgroup: string | null;
  mounts: number | null;
  fds: Fd[] | null;
  fds_total: number | null;
}

const base = { time: z.number() };
const pidField = int.positive();

const schemas = {
  hello: z.looseObject({ ...base, version: int, mode: z.enum(["ptrace", "poll"]), tracer: int, reason: z.string().nullable().optional() }),
  spawn: z.looseObject({ ...base, pid: pidField, ppid: int, snapshot: snapshotSchema }),
  attach: z.looseObject({ ...base, pid: pidField, ppid: int, snapshot: snapshotSchema }),
  fork: z.looseObject({ ...base, pid: pidField, ppid: int, snapshot: snapshotSchema }),
  vfork: z.looseObject({ ...base, pid: pidField, ppid: int, snapshot: snapshotSchema }),
  clone: z.looseObject({ ...base, pid: pidField, ppid: int, snapshot: snapshotSchema }),
  thread: z.looseObject({ ...base, pid: pidField, tgid: pidField }),
  exec: z.looseObject({ ...base, pid: pidField, snapshot: snapshotSchema, former_pid: int.optional() }),
  change: z.looseObject({ ...base, pid: pidField, snapshot: snapshotSchema }),
  exit: z.looseObject({
    ...base,
    pid: pidField,
    code: int.optional(),
    signal: z.string().optional(),
    core: z.boolean().optional(),
    thread: z.boolean().optional(),
    snapshot: snapshotSchema.nullable().optional(),
  }),
  shell: z.looseObject({ ...base, pid: pidField, shell: pidField }),
  "shell-exit": z.looseObject({ ...base, shell: int, code: int.optional(), signal: z.string().optional() }),
  detached: z.looseObject({ ...base }),
  error: z.looseObject({ ...base, message: z.string(), pid: int.optional() }),
} as const;

export type EventName = keyof typeof schemas;
export const EVENT_NAMES = Object.keys(schemas) as EventName[];

export interface HelloEvent {
  event: "hello";
  time: number;
  version: number;
  mode: "ptrace" | "poll";
  tracer: number;
  reason?: string | null;
}
/** A process appears: `spawn` (the CMD child), `attach` (existing), `fork`, `vfork`, `clone`. */
export interface CreateEvent {
  event: "spawn" | "attach" | "fork" | "vfork" | "clone";
  time: number;
  pid: number;
  ppid: number;
  snapshot: Snapshot;
}
export interface ThreadEvent {
  event: "thread";
  time: number;
  pid: number;
  tgid: number;
}
export interface ExecEvent {
  event: "exec";
  time: number;
  pid: number;
  snapshot: Snapshot;
  former_pid?: number;
}
export interface ChangeEvent {
  event: "change";
  time: number;
  pid: number;
  snapshot: Snapshot;
}
export interface ExitEvent {
  event: "exit";
  time: number;
  pid: number;
  code?: number;
  signal?: string;
  core?: boolean;
  thread?: boolean;
  snapshot?: Snapshot | null;
}
export interface ShellEvent {
  event: "shell";
  time: number;
  pid: number;
  shell: number;
}
export interface ShellExitEvent {
  event: "shell-exit";
  time: number;
  shell: number;
  code?: number;
  signal?: string;
}
export interface DetachedEvent {
  event: "detached";
  time: number;
}
export interface ErrorEvent {
  event: "error";
  time: number;
  message: string;
  pid?: number;
}
/** An event this version does not know (kept, shown in the log, forwarded by --json). */
export interface UnknownEvent {
  event: string;
  time: number;
  unknown: true;
}

export type TracerEvent =
  | HelloEvent
  | CreateEvent
  | ThreadEvent
  | ExecEvent
  | ChangeEvent
  | ExitEvent
  | ShellEvent
  | ShellExitEvent
  | DetachedEvent
  | ErrorEvent;

export type ParsedLine = { ok: true; event: TracerEvent | UnknownEvent; raw: string } | { ok: false; error: string; raw: string };

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
  if (!Object.hasOwn(schemas, name)) return { ok: true, event: { event: name, time: obj["time"], unknown: true }, raw };
  const r = schemas[name as EventName].safeParse(obj);
  if (!r.success) return { ok: false, error: `${name}: ${r.error.issues.map(describeIssue).join("; ")}`, raw };
  return { ok: true, event: r.data as unknown as TracerEvent, raw };
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
