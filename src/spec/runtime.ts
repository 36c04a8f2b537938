/**
 * Runtime specs: deployment choices applied on top of the compile-time spec.
 *
 * The compile-time spec ships with the binary and is what a security
 * reviewer reads. A runtime spec (a file, `VOID_RUNTIME`, `VOID_LISTEN_*`)
 * may re-parameterise what the compile-time spec grants — a listen address,
 * which host file or directory is handed in, fewer RPC operations, fewer
 * grants — but never widen it. Anything else is refused with an error that
 * says what it would have widened.
 *
 * Format: the shape of a spec, every key optional,
 *   {"$schema"?: "...", "entrypoints"?: {"<name>": {"trigger"?, "args"?, "environment"?}}}
 * An entrypoint not mentioned is unchanged; "args" or "environment", when
 * present, replace that list. Values are read by the spec parser's own walker
 * (parseEntrypointFragment), so they get the same messages, did-you-means and
 * JSON paths, relative to the runtime document.
 *
 * Rules, each checked against the ORIGINAL compile-time spec, also when
 * several runtime layers are stacked (so stacking cannot widen):
 * - no entrypoint the compile-time spec does not have;
 * - "trigger" only if equal to the compile-time trigger;
 * - "args": the same length and the same variant at every index; BinaryName,
 *   Entrypoint, Trigger, Trailing as they are; Pipe and FileSocket with the
 *   same direction and name; a TcpListener may take any addr, a File any
 *   path; an Rpc may list fewer operations, each covered by a compile-time
 *   operation of the same kind whose family, port and host are each null
 *   (any) or equal to the runtime value;
 * - "environment": every grant matches a compile-time one: a Filesystem by
 *   environment_path (host_path may change; read_only may go false -> true,
 *   never true -> false), Hostname and DomainName freely (a UTS name in the
 *   void's own namespace grants nothing), a Forward by protocol and
 *   environment_port (host_addr may change), a Connect likewise (its
 *   host_addr may change: printed on every run), Procfs/DevRandom/Stdin/Stdout/
 *   Stderr only if granted at compile time. Grants left out are dropped
 *   (narrowing).
 * The merged environment keeps the compile-time order (mount order), and the
 * merged spec must pass validateSpec again (e.g. two listeners on one addr).
 *
 * Every diagnostic carries the `source` it came from (a file name,
 * "VOID_RUNTIME", "VOID_LISTEN_X"); `changes` lists, per applied layer, each
 * effective change as `source: path: what` for `void -v`.
 *
 * Pure: no I/O (files are read through the caller's readFile), never throws,
 * never prints.
 */

import { Diagnostics, describeValue, indexPath, isObject, keyPath, quote } from "./diagnostics.js";
import { formatDiagnostic } from "./format.js";
import { readJsonText } from "./json-text.js";
import { type EntrypointFragment, parseEntrypointFragment } from "./parse.js";
import { closestMatch, didYouMean } from "./suggest.js";
import {
  type Arg,
  DEFAULT_CONCURRENCY,
  DEFAULT_CPU_WEIGHT,
  DEFAULT_INOTIFY_INSTANCES,
  DEFAULT_INOTIFY_WATCHES,
  type Diagnostic,
  type Entrypoint,
  type Grant,
  type ResourceLimits,
  type RpcOperation,
  type Spec,
  type Trigger,
} from "./types.js";
import { dedupeGrants, grantKey, type Located, type LocatedEntrypoint, locateSpec, validateSpec } from "./validate.js";
import { expectedKeys, ROOT_FIELDS } from "./variants.js";

/** A diagnostic and where it came from: a file name, "VOID_RUNTIME", "VOID_LISTEN_X". */
export type RuntimeDiagnostic = Diagnostic & { source: string };

export type RuntimeResult =
  | {
      ok: true;
      /** The merged spec (the base itself when nothing changed). */
      spec: Spec;
      warnings: RuntimeDiagnostic[];
      /** One human line per effective change: `source: path: what`, e.g. `prod.json: entrypoints.web.args[1]: TcpListener 0.0.0.0:8443 -> 127.0.0.1:9443`. */
      changes: string[];
    }
  | { ok: false; errors: RuntimeDiagnostic[]; warnings: RuntimeDiagnostic[] };

/** Environment variables, e.g. process.env. */
export type Env = Readonly<Record<string, string | undefined>>;
/** Reads a file as UTF-8 text; may throw (the error's message is reported). */
export type ReadFile = (path: string) => string;

/** The variable naming a runtime spec file, or holding its JSON if it starts with "{". */
export const RUNTIME_VARIABLE = "VOID_RUNTIME";
/** `VOID_LISTEN_<ENTRYPOINT>=ip:port` sets that entrypoint's only TcpListener. */
export const LISTEN_PREFIX = "VOID_LISTEN_";

const WIDENS = "widens the compile-time spec";
const RUNTIME_FORM = '{"entrypoints": {"<name>": {"args": [...], "environment": [...]}}}';

// ---- public API ----

/**
 * Apply runtime spec JSON text to `base` (default: the compile-time spec
 * itself), checking it against `compiled`. `source` names the text in
 * diagnostics and change lines (usually its file name).
 */
export function applyRuntime(compiled: Spec, runtimeText: string, source: string, base: Spec = compiled): RuntimeResult {
  const json = readJsonText(runtimeText);
  const out = new Diagnostics();
  if (!json.ok) {
    const { line, column } = json.location;
    out.error("", `invalid JSON at line ${line}, column ${column}: ${json.message}`, { hint: json.hint });
    return failure(out, source);
  }
  for (const duplicate of json.duplicates) {
    const { line, column } = duplicate.location;
    out.error(duplicate.path, `duplicate key ${quote(duplicate.key)} at line ${line}, column ${column}`, {
      hint: "JSON readers disagree on which copy counts; keep one",
    });
  }
  return applyDocument(compiled, base, json.value, json.keyOrder, source, out);
}

/** applyRuntime for an already-parsed value (e.g. built in code or from JSON.parse). */
export function applyRuntimeValue(compiled: Spec, value: unknown, source: string, base: Spec = compiled): RuntimeResult {
  return applyDocument(compiled, base, value, undefined, source, new Diagnostics());
}

/** The VOID_LISTEN_ variable of an entrypoint: its name upper-cased, each non-[A-Za-z0-9] as "_". */
export function listenVariable(entrypoint: string): string {
  return LISTEN_PREFIX + entrypoint.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
}

/**
 * Apply every non-empty `VOID_LISTEN_<ENTRYPOINT>=ip:port` of `env`, in
 * variable-name order, to `base`, checked against `compiled`. Each one sets
 * the only TcpListener of the entrypoint it names; it is an error if the
 * variable names no entrypoint, several, or one with no or several
 * TcpListeners.
 */
export function applyListenVariables(compiled: Spec, env: Env, base: Spec = compiled): RuntimeResult {
  const stack = new Stack(base);
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(LISTEN_PREFIX) && nonEmpty(env[name]))
    .sort();
  for (const variable of variables) stack.add(listenLayer(compiled, variable, env[variable] ?? "", stack.spec));
  return stack.result();
}

/**
 * The environment's runtime layers on top of `base`: VOID_RUNTIME (a file
 * path, or inline JSON when it starts with "{"), then VOID_LISTEN_*. Empty
 * variables count as unset. Each layer applies to the result of the one
 * before and is checked against `compiled`.
 */
export function runtimeFromEnvironment(compiled: Spec, env: Env, readFile: ReadFile, base: Spec = compiled): RuntimeResult {
  const stack = new Stack(base);
  const runtime = env[RUNTIME_VARIABLE];
  if (runtime !== undefined && nonEmpty(runtime)) {
    if (runtime.trimStart().startsWith("{")) stack.add(applyRuntime(compiled, runtime, RUNTIME_VARIABLE, stack.spec));
    else stack.add(runtimeFile(compiled, runtime, readFile, stack.spec, RUNTIME_VARIABLE));
  }
  stack.add(applyListenVariables(compiled, env, stack.spec));
  return stack.result();
}

export interface RuntimeOptions {
  /** The `--runtime FILE` of the command line, if any. */
  file?: string | undefined;
  /** Environment variables (process.env); default none. */
  env?: Env | undefined;
  readFile: ReadFile;
}

/**
 * Every runtime layer in order of precedence, later over earlier: the
 * --runtime file, then VOID_RUNTIME, then VOID_LISTEN_*. With none of them,
 * the compile-time spec unchanged. All problems of all layers are reported.
 */
export function resolveRuntime(compiled: Spec, options: RuntimeOptions): RuntimeResult {
  const stack = new Stack(compiled);
  if (options.file !== undefined) stack.add(runtimeFile(compiled, options.file, options.readFile, stack.spec));
  stack.add(runtimeFromEnvironment(compiled, options.env ?? {}, options.readFile, stack.spec));
  return stack.result();
}

/** Every diagnostic as one line, prefixed with its source, each ending in "\n". */
export function formatRuntimeDiagnostics(diagnostics: readonly RuntimeDiagnostic[]): string {
  return diagnostics.map((d) => `${formatDiagnostic(d, d.source === "" ? undefined : d.source)}\n`).join("");
}

/** A Spec written back as spec JSON (current spellings; read_only only when false). */
export function specToValue(spec: Spec): { entrypoints: Record<string, unknown> } {
  return {
    entrypoints: Object.fromEntries(spec.entrypoints.map((ep) => [ep.name, { trigger: triggerToValue(ep.trigger), args: ep.args.map(argToValue), environment: ep.environment.map(grantToValue) }])),
  };
}

export function triggerToValue(trigger: Trigger): unknown {
  return trigger.kind === "Startup" ? "Startup" : { [trigger.kind]: trigger.name };
}

export function argToValue(arg: Arg): unknown {
  switch (arg.kind) {
    case "BinaryName":
    case "Entrypoint":
    case "Trigger":
    case "Trailing":
      return arg.kind;
    case "File":
      return { File: arg.path };
    case "Pipe":
    case "FileSocket":
      return { [arg.kind]: { [arg.direction]: arg.name } };
    case "TcpListener":
      return { TcpListener: { addr: arg.addr } };
    case "Rpc":
      return { Rpc: arg.operations.map(operationToValue) };
    default:
      return unreachable(arg);
  }
}

export function grantToValue(grant: Grant): unknown {
  switch (grant.kind) {
    case "Filesystem": {
      const payload: Record<string, unknown> = { host_path: grant.hostPath, environment_path: grant.environmentPath };
      if (!grant.readOnly) payload["read_only"] = false;
      if (grant.shared) payload["shared"] = true;
      if (grant.optional) payload["optional"] = true;
      return { Filesystem: payload };
    }
    case "Hostname":
    case "DomainName":
      return { [grant.kind]: grant.name };
    case "Seccomp": {
      const payload: Record<string, unknown> = {};
      if (grant.allow.length > 0) payload["allow"] = grant.allow;
      if (grant.deny.length > 0) payload["deny"] = grant.deny;
      return { Seccomp: payload };
    }
    case "Limits": {
      const payload: Record<string, unknown> = {};
      for (const [key, field] of LIMIT_KEYS) if (grant[field] !== undefined) payload[key] = field === "timeoutMs" ? grant[field] / 1000 : grant[field];
      return { Limits: payload };
    }
    case "Forward":
      return { Forward: { protocol: grant.protocol, host_addr: grant.hostAddr, environment_port: grant.environmentPort } };
    case "Connect":
      return { Connect: { protocol: grant.protocol, environment_port: grant.environmentPort, host_addr: grant.hostAddr } };
    case "Tmpfs":
      return { Tmpfs: { path: grant.path, size: grant.size } };
    case "WorkingDirectory":
      return { WorkingDirectory: grant.path };
    case "Executable":
      return { Executable: grant.path };
    case "LibraryPath":
      return { LibraryPath: grant.path };
    case "Library":
      return { Library: grant.path };
    case "Env":
      return { Env: Object.fromEntries(grant.vars) };
    case "PassEnv":
      return { PassEnv: grant.names };
    case "Procfs":
    case "DevRandom":
    case "SeccompUnconfined":
    case "Stdin":
    case "Stdout":
    case "Stderr":
      return grant.kind;
    default:
      return unreachable(grant);
  }
}

/** Limits keys as written in a spec, with their ResourceLimits field. */
const LIMIT_KEYS: readonly (readonly [string, keyof ResourceLimits])[] = [
  ["memory", "memory"],
  ["memory_swap", "memorySwap"],
  ["pids", "pids"],
  ["cpu_weight", "cpuWeight"],
  ["cpu_max", "cpuMax"],
  ["timeout", "timeoutMs"],
  ["concurrency", "concurrency"],
  ["inotify_instances", "inotifyInstances"],
  ["inotify_watches", "inotifyWatches"],
];

/**
 * What a limit is when a void runs with `limits` (undefined: no Limits
 * grant): the value set, else what applies without it — no bound
 * (Infinity) for memory, pids, cpu_max and timeout; no swap when a memory
 * limit is set (src/orchestrator/cgroups.ts) and no bound on swap without
 * one; the default CPU weight; the default concurrency of a trigger; the
 * default inotify budgets.
 */
export function limitInForce(limits: ResourceLimits | undefined, field: keyof ResourceLimits): number {
  const set = limits?.[field];
  if (set !== undefined) return set;
  switch (field) {
    case "memorySwap":
      return limits?.memory !== undefined ? 0 : Number.POSITIVE_INFINITY;
    case "cpuWeight":
      return DEFAULT_CPU_WEIGHT;
    case "concurrency":
      return DEFAULT_CONCURRENCY;
    case "inotifyInstances":
      return DEFAULT_INOTIFY_INSTANCES;
    case "inotifyWatches":
      return DEFAULT_INOTIFY_WATCHES;
    default:
      return Number.POSITIVE_INFINITY;
  }
}

// ---- layers ----

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

function runtimeFile(compiled: Spec, path: string, readFile: ReadFile, base: Spec, via = "--runtime"): RuntimeResult {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    const out = new Diagnostics();
    const reason = e instanceof Error ? e.message : String(e);
    const what = via === "--runtime" ? "the runtime spec" : `the runtime spec named by ${via}`;
    out.error("", `cannot read ${what} ${quote(path)}: ${reason}`);
    return failure(out, via);
  }
  return applyRuntime(compiled, text, path, base);
}

function listenLayer(compiled: Spec, variable: string, addr: string, base: Spec): RuntimeResult {
  const out = new Diagnostics();
  const matches = compiled.entrypoints.filter((ep) => listenVariable(ep.name) === variable);
  const single = compiled.entrypoints.filter((ep) => listenerIndexes(ep).length === 1).map((ep) => listenVariable(ep.name));
  const [target] = matches;
  if (target === undefined) {
    out.error("", `${variable} names no entrypoint of the spec`, {
      hint: didYouMean(variable, single) ?? (single.length === 0 ? "no entrypoint has exactly one TcpListener" : `the variables for entrypoints with one TcpListener: ${single.join(", ")}`),
    });
    return failure(out, variable);
  }
  if (matches.length > 1) {
    out.error("", `${variable} is ambiguous: it is the variable of entrypoints ${matches.map((ep) => quote(ep.name)).join(", ")}`, {
      hint: `set the address in a runtime spec instead: --runtime FILE or ${RUNTIME_VARIABLE}`,
    });
    return failure(out, variable);
  }
  const path = keyPath("entrypoints", target.name);
  const argsPath = keyPath(path, "args");
  const listeners = listenerIndexes(target);
  const [index] = listeners;
  if (index === undefined) {
    out.error(argsPath, `${variable} sets a listen address, but ${path} has no TcpListener argument`);
    return failure(out, variable);
  }
  if (listeners.length > 1) {
    const where = listeners.map((i) => `args[${i}]`).join(", ");
    out.error(argsPath, `${variable} is ambiguous: ${path} has ${listeners.length} TcpListener arguments (${where})`, {
      hint: `set the addresses in a runtime spec instead: --runtime FILE or ${RUNTIME_VARIABLE}`,
    });
    return failure(out, variable);
  }
  const current = base.entrypoints.find((ep) => ep.name === target.name) ?? target;
  const args = current.args.map((arg, i) => (i === index ? { TcpListener: { addr } } : argToValue(arg)));
  return applyRuntimeValue(compiled, { entrypoints: { [target.name]: { args } } }, variable, base);
}

function listenerIndexes(ep: Entrypoint): number[] {
  return ep.args.flatMap((arg, i) => (arg.kind === "TcpListener" ? [i] : []));
}

/** Accumulates layers: each applies to the spec the previous ones produced. */
class Stack {
  readonly errors: RuntimeDiagnostic[] = [];
  readonly warnings: RuntimeDiagnostic[] = [];
  readonly changes: string[] = [];

  constructor(public spec: Spec) {}

  add(result: RuntimeResult): void {
    this.warnings.push(...result.warnings);
    if (result.ok) {
      this.spec = result.spec;
      this.changes.push(...result.changes);
    } else {
      this.errors.push(...result.errors);
    }
  }

  result(): RuntimeResult {
    if (this.errors.length > 0) return { ok: false, errors: this.errors, warnings: this.warnings };
    return { ok: true, spec: this.spec, warnings: this.warnings, changes: this.changes };
  }
}

function tag(diagnostics: readonly Diagnostic[], source: string): RuntimeDiagnostic[] {
  return diagnostics.map((d) => ({ ...d, source }));
}

function failure(out: Diagnostics, source: string): RuntimeResult {
  return { ok: false, errors: tag(out.errors, source), warnings: tag(out.warnings, source) };
}

// ---- one runtime document ----

interface RuntimeEntry {
  name: string;
  path: string;
  value: unknown;
}

function applyDocument(compiled: Spec, base: Spec, value: unknown, keyOrder: ReadonlyMap<string, readonly string[]> | undefined, source: string, out: Diagnostics): RuntimeResult {
  const changes: string[] = [];
  const merged = new Map<string, Merged>();
  for (const entry of readRoot(value, keyOrder, out)) {
    const compiledEp = compiled.entrypoints.find((ep) => ep.name === entry.name);
    if (compiledEp === undefined) {
      out.error(entry.path, `the runtime spec adds entrypoint ${quote(entry.name)}, which the compile-time spec does not have`, {
        hint: didYouMean(
          entry.name,
          compiled.entrypoints.map((ep) => ep.name),
        ),
      });
      continue;
    }
    const parsed = parseEntrypointFragment(entry.value, entry.path, keyOrder);
    out.warnings.push(...parsed.warnings);
    if (!parsed.ok) {
      out.errors.push(...parsed.errors);
      continue;
    }
    const baseEp = base.entrypoints.find((ep) => ep.name === entry.name) ?? compiledEp;
    const result = mergeEntrypoint(compiledEp, baseEp, parsed.fragment, entry.path, out, changes);
    if (result !== undefined) merged.set(entry.name, result);
  }
  if (out.errors.length > 0) return failure(out, source);

  const located = locateSpec(base);
  const spec: Spec = { entrypoints: base.entrypoints.map((ep) => merged.get(ep.name)?.entrypoint ?? ep) };
  const validation = validateSpec({
    entrypoints: located.entrypoints.map((ep) => merged.get(ep.name)?.located ?? ep),
    complete: true,
    uncertainNames: new Set(),
  });
  out.errors.push(...validation.errors);
  // Warnings the compile-time spec has already were reported when it was read.
  const known = new Set(validateSpec(locateSpec(compiled)).warnings.map((w) => `${w.path}\n${w.message}`));
  out.warnings.push(...validation.warnings.filter((w) => !known.has(`${w.path}\n${w.message}`)));
  if (out.errors.length > 0) return failure(out, source);
  const prefix = source === "" ? "" : `${source}: `;
  return {
    ok: true,
    spec,
    warnings: tag(out.warnings, source),
    changes: changes.map((line) => prefix + line),
  };
}

function orderedKeys(object: Record<string, unknown>, path: string, keyOrder: ReadonlyMap<string, readonly string[]> | undefined): string[] {
  const own = Object.keys(object);
  const ordered = keyOrder?.get(path);
  return ordered !== undefined && ordered.length === own.length ? [...ordered] : own;
}

/** The top level of a runtime document: its entrypoints, each still to be read. */
function readRoot(value: unknown, keyOrder: ReadonlyMap<string, readonly string[]> | undefined, out: Diagnostics): RuntimeEntry[] {
  if (!isObject(value)) {
    out.error("", `got ${describeValue(value)}`, { expected: `a JSON object: ${RUNTIME_FORM}` });
    return [];
  }
  const known = ROOT_FIELDS.fields.map((f) => f.key as string);
  for (const key of orderedKeys(value, "", keyOrder)) {
    if (known.includes(key)) continue;
    const match = closestMatch(key, known);
    out.error("", `unknown key ${quote(key)} in the runtime spec`, {
      expected: expectedKeys(ROOT_FIELDS),
      hint: match === undefined ? undefined : `did you mean ${quote(match)}?`,
    });
  }
  if (Object.hasOwn(value, "$schema") && typeof value["$schema"] !== "string") {
    out.error("$schema", `got ${describeValue(value["$schema"])}`, { expected: "a string (the schema's URI)" });
  }
  if (!Object.hasOwn(value, "entrypoints")) return [];
  const entrypoints = value["entrypoints"];
  if (!isObject(entrypoints)) {
    out.error("entrypoints", `got ${describeValue(entrypoints)}`, {
      expected: `an object of entrypoints by name: {"<name>": {"args": [...], "environment": [...]}, ...}`,
    });
    return [];
  }
  return orderedKeys(entrypoints, "entrypoints", keyOrder).map((name) => ({
    name,
    path: keyPath("entrypoints", name),
    value: entrypoints[name],
  }));
}

interface Merged {
  entrypoint: Entrypoint;
  /** For validateSpec: runtime paths where the runtime gave the list. */
  located: LocatedEntrypoint;
}

function mergeEntrypoint(compiled: Entrypoint, base: Entrypoint, fragment: EntrypointFragment, path: string, out: Diagnostics, changes: string[]): Merged | undefined {
  let ok = true;
  if (fragment.trigger !== undefined && !sameTrigger(compiled.trigger, fragment.trigger.value)) {
    out.error(fragment.trigger.path, `${WIDENS}: the trigger ${form(triggerToValue(fragment.trigger.value))} is not the compile-time trigger ${form(triggerToValue(compiled.trigger))}`, {
      hint: 'a trigger is fixed at compile time; leave "trigger" out of the runtime spec',
    });
    ok = false;
  }
  const defaults = locateSpec({ entrypoints: [base] }).entrypoints[0]!;
  let args: Located<Arg>[] = defaults.args;
  if (fragment.args !== undefined) {
    if (checkArgs(compiled, fragment.args, keyPath(path, "args"), out)) {
      describeArgChanges(base.args, fragment.args, changes);
      args = fragment.args;
    } else {
      ok = false;
    }
  }
  let environment: Located<Grant>[] = defaults.environment;
  if (fragment.environment !== undefined) {
    const envPath = keyPath(path, "environment");
    const grants = mergeEnvironment(compiled, fragment.environment, out);
    if (grants !== undefined) {
      describeEnvironmentChanges(base.environment, grants, envPath, changes);
      environment = grants;
    } else {
      ok = false;
    }
  }
  if (!ok) return undefined;
  return {
    entrypoint: {
      name: base.name,
      trigger: base.trigger,
      args: args.map((a) => a.value),
      environment: environment.map((g) => g.value),
    },
    located: { name: base.name, path, trigger: defaults.trigger, args, environment },
  };
}

function sameTrigger(a: Trigger, b: Trigger): boolean {
  return JSON.stringify(triggerToValue(a)) === JSON.stringify(triggerToValue(b));
}

// ---- arguments ----

const ARGS_HINT = "a runtime spec keeps every argument in place and may change only a TcpListener's addr, a File's path and an Rpc's operations";

function checkArgs(compiled: Entrypoint, runtime: readonly Located<Arg>[], argsPath: string, out: Diagnostics): boolean {
  if (runtime.length !== compiled.args.length) {
    const count = (n: number): string => `${n} argument${n === 1 ? "" : "s"}`;
    out.error(argsPath, `${WIDENS}: ${count(runtime.length)} where it has ${compiled.args.length}`, {
      hint: ARGS_HINT,
    });
    return false;
  }
  let ok = true;
  runtime.forEach(({ value, path }, i) => {
    if (!checkArg(compiled.args[i]!, value, path, out)) ok = false;
  });
  return ok;
}

function checkArg(compiled: Arg, runtime: Arg, path: string, out: Diagnostics): boolean {
  if (compiled.kind !== runtime.kind) {
    out.error(path, `${WIDENS}: ${argSummary(runtime)} where it has ${argSummary(compiled)}`, { hint: ARGS_HINT });
    return false;
  }
  if (runtime.kind === "Pipe" || runtime.kind === "FileSocket") {
    const c = compiled as typeof runtime;
    if (c.direction !== runtime.direction || c.name !== runtime.name) {
      out.error(path, `${WIDENS}: ${argSummary(runtime)} where it has ${argSummary(c)}`, {
        hint: "pipes and file sockets are wired at compile time",
      });
      return false;
    }
  }
  if (runtime.kind === "Rpc") {
    return checkRpc((compiled as typeof runtime).operations, runtime.operations, keyPath(path, "Rpc"), out);
  }
  return true;
}

const RPC_FIELDS = ["family", "port", "host"] as const;
type RpcField = (typeof RPC_FIELDS)[number];

/** The fields of `runtime` that `compiled` does not allow (a null there allows any value). */
function widenedFields(compiled: RpcOperation, runtime: RpcOperation): RpcField[] {
  return RPC_FIELDS.filter((f) => compiled[f] !== null && compiled[f] !== runtime[f]);
}

function checkRpc(compiled: readonly RpcOperation[], runtime: readonly RpcOperation[], rpcPath: string, out: Diagnostics): boolean {
  let ok = true;
  runtime.forEach((operation, j) => {
    const sameKind = compiled.filter((c) => c.kind === operation.kind);
    if (sameKind.some((c) => widenedFields(c, operation).length === 0)) return;
    ok = false;
    const path = indexPath(rpcPath, j);
    if (sameKind.length === 0) {
      const kinds = [...new Set(compiled.map((c) => c.kind))];
      out.error(path, `${WIDENS}: a new RPC operation ${operation.kind}`, {
        hint: kinds.length === 0 ? "the compile-time Rpc allows no operation" : `the compile-time Rpc allows only ${kinds.join(" and ")}`,
      });
      return;
    }
    // Name the fields of the closest compile-time operation that would have to widen.
    let best = sameKind[0]!;
    for (const c of sameKind) if (widenedFields(c, operation).length < widenedFields(best, operation).length) best = c;
    const fields = widenedFields(best, operation);
    const wanted = fields.map((f) => (operation[f] === null ? `any ${f}` : `a new RPC ${f} ${rpcValue(operation[f])}`));
    const allowed = fields.map((f) => `${f} ${rpcValue(best[f])}`);
    out.error(path, `${WIDENS}: ${operation.kind} with ${wanted.join(" and ")}; it allows only ${allowed.join(" and ")}`, {
      hint: "each runtime operation must be covered by a compile-time one of the same kind: each of family, port and host equal, or null (any) at compile time",
    });
  });
  return ok;
}

function rpcValue(value: string | number | null): string {
  if (value === null) return "null (any)";
  return typeof value === "number" ? String(value) : quote(value);
}

function describeArgChanges(base: readonly Arg[], runtime: readonly Located<Arg>[], changes: string[]): void {
  runtime.forEach(({ value, path }, i) => {
    const before = base[i];
    if (before === undefined || form(argToValue(before)) === form(argToValue(value))) return;
    if (before.kind === "TcpListener" && value.kind === "TcpListener") {
      changes.push(`${path}: TcpListener ${before.addr} -> ${value.addr}`);
    } else if (before.kind === "File" && value.kind === "File") {
      changes.push(`${path}: File ${quote(before.path)} -> ${quote(value.path)}`);
    } else if (before.kind === "Rpc" && value.kind === "Rpc") {
      const ops = (list: readonly RpcOperation[]): string => form(list.map(operationToValue));
      changes.push(`${path}: Rpc ${ops(before.operations)} -> ${ops(value.operations)}`);
    } else {
      changes.push(`${path}: ${form(argToValue(before))} -> ${form(argToValue(value))}`);
    }
  });
}

// ---- environment ----

/**
 * The runtime grants, each checked against the compile-time ones, in the
 * compile-time order (grants new to it — a Hostname or DomainName — last),
 * without repeats; undefined if any widens.
 */
function mergeEnvironment(compiled: Entrypoint, runtime: readonly Located<Grant>[], out: Diagnostics): Located<Grant>[] | undefined {
  let ok = true;
  const ranked: { grant: Located<Grant>; rank: number }[] = [];
  for (const grant of runtime) {
    const rank = grantRank(compiled, grant, out);
    if (rank === undefined) ok = false;
    else ranked.push({ grant, rank });
  }
  // Leaving out a grant narrows the void — except a Seccomp grant with a
  // deny list, whose absence would bring the default (laxer) filter back.
  if (compiled.environment.some((g) => g.kind === "Limits") && !runtime.some((g) => g.value.kind === "Limits")) {
    out.error(keyPath(keyPath("entrypoints", compiled.name), "environment"), `${WIDENS}: leaving out the Limits grant would remove its limits`);
    ok = false;
  }
  const deny = compiled.environment.find((g) => g.kind === "Seccomp");
  if (deny?.kind === "Seccomp" && deny.deny.length > 0 && !runtime.some((g) => g.value.kind === "Seccomp")) {
    out.error(keyPath(keyPath("entrypoints", compiled.name), "environment"), `${WIDENS}: leaving out the Seccomp grant would no longer deny ${deny.deny.map(quote).join(", ")}`);
    ok = false;
  }
  if (!ok) return undefined;
  ranked.sort((a, b) => a.rank - b.rank); // stable: equal ranks keep the runtime order
  const seen = new Set<string>();
  return ranked
    .map((r) => r.grant)
    .filter(({ value }) => {
      const key = grantKey(value);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Where a runtime grant goes in the compile-time order, or undefined (reported) if it widens. */
function grantRank(compiled: Entrypoint, { value: grant, path }: Located<Grant>, out: Diagnostics): number | undefined {
  const epPath = keyPath("entrypoints", compiled.name);
  const env = compiled.environment;
  switch (grant.kind) {
    case "Filesystem": {
      const payloadPath = keyPath(path, "Filesystem");
      const index = env.findIndex((g) => g.kind === "Filesystem" && g.environmentPath === grant.environmentPath);
      const match = env[index];
      if (match === undefined || match.kind !== "Filesystem") {
        const binds = env.flatMap((g) => (g.kind === "Filesystem" ? [g.environmentPath] : []));
        out.error(keyPath(payloadPath, "environment_path"), `${WIDENS}: a new bind at ${quote(grant.environmentPath)}`, {
          hint:
            didYouMean(grant.environmentPath, binds) ??
            (binds.length === 0 ? `the compile-time spec binds nothing in ${epPath}` : `the compile-time spec binds only ${binds.map(quote).join(", ")} in ${epPath}`),
        });
        return undefined;
      }
      if (match.readOnly && !grant.readOnly) {
        out.error(keyPath(payloadPath, "read_only"), `${WIDENS}: "read_only": false would make the read-only bind at ${quote(grant.environmentPath)} writable`);
        return undefined;
      }
      return index;
    }
    case "Hostname":
    case "DomainName":
    case "WorkingDirectory": {
      // Names and the starting directory grant nothing: a deployment may set them.
      const index = env.findIndex((g) => g.kind === grant.kind);
      return index === -1 ? env.length : index;
    }
    case "Executable": {
      // Another program is another grant: only those of the compile-time spec.
      const index = env.findIndex((g) => g.kind === "Executable" && g.path === grant.path);
      if (index === -1) {
        out.error(keyPath(path, "Executable"), `${WIDENS}: a new program ${quote(grant.path)}`, { hint: `the compile-time spec does not let ${epPath} run it` });
        return undefined;
      }
      return index;
    }
    case "LibraryPath":
    case "Library": {
      // Another directory or module is more code the loader maps: only those of the compile-time spec.
      const index = env.findIndex((g) => g.kind === grant.kind && g.path === grant.path);
      if (index === -1) {
        const what = grant.kind === "LibraryPath" ? "library directory" : "library";
        out.error(keyPath(path, grant.kind), `${WIDENS}: a new ${what} ${quote(grant.path)}`, { hint: `the compile-time spec does not let ${epPath} load code from it` });
        return undefined;
      }
      return index;
    }
    case "Tmpfs": {
      // Scratch space where the compile-time spec has it, no bigger.
      const index = env.findIndex((g) => g.kind === "Tmpfs" && g.path === grant.path);
      const match = env[index];
      if (match?.kind !== "Tmpfs") {
        const have = env.flatMap((g) => (g.kind === "Tmpfs" ? [g.path] : []));
        out.error(keyPath(keyPath(path, "Tmpfs"), "path"), `${WIDENS}: a new tmpfs at ${quote(grant.path)}`, {
          hint: have.length === 0 ? `the compile-time spec mounts no tmpfs in ${epPath}` : `the compile-time spec mounts tmpfs only at ${have.map(quote).join(", ")} in ${epPath}`,
        });
        return undefined;
      }
      if (grant.size > match.size) {
        out.error(keyPath(keyPath(path, "Tmpfs"), "size"), `${WIDENS}: ${grant.size} bytes is more than the ${match.size} of the compile-time spec`);
        return undefined;
      }
      return index;
    }
    case "Env":
    case "PassEnv": {
      // Values may change (that is what a deployment sets); names may only go.
      const index = env.findIndex((g) => g.kind === grant.kind);
      const match = env[index];
      const before = match?.kind === "Env" ? match.vars.map(([n]) => n) : match?.kind === "PassEnv" ? match.names : [];
      const added = (grant.kind === "Env" ? grant.vars.map(([n]) => n) : grant.names).filter((n) => !before.includes(n));
      if (added.length > 0) {
        out.error(keyPath(path, grant.kind), `${WIDENS}: ${grant.kind === "Env" ? "sets" : "passes on"} ${added.map(quote).join(", ")}, which the compile-time spec does not`, {
          hint:
            before.length === 0
              ? `the compile-time spec has no ${grant.kind} in ${epPath}`
              : `a runtime spec may ${grant.kind === "Env" ? "change the values of" : "keep"} ${before.map(quote).join(", ")} only`,
        });
        return undefined;
      }
      return index;
    }
    case "Seccomp": {
      // The filter may only get stricter: allow no more than the
      // compile-time spec allows, deny at least what it denies.
      const index = env.findIndex((g) => g.kind === "Seccomp" || g.kind === "SeccompUnconfined");
      const match = env[index];
      const allowed = match?.kind === "Seccomp" ? match.allow : match?.kind === "SeccompUnconfined" ? undefined : [];
      const denied = match?.kind === "Seccomp" ? match.deny : [];
      const extra = allowed === undefined ? [] : grant.allow.filter((n) => !allowed.includes(n));
      const dropped = denied.filter((n) => !grant.deny.includes(n));
      if (extra.length > 0 || dropped.length > 0) {
        const what = [...(extra.length > 0 ? [`allows ${extra.map(quote).join(", ")}`] : []), ...(dropped.length > 0 ? [`no longer denies ${dropped.map(quote).join(", ")}`] : [])].join(" and ");
        out.error(keyPath(path, "Seccomp"), `${WIDENS}: the seccomp filter ${what}`);
        return undefined;
      }
      return index === -1 ? env.length : index;
    }
    case "Limits": {
      // Limits may only get tighter: every compile-time limit stays, no
      // higher (cpu_weight, a share of the machine, likewise).
      // A limit the spec does not set is compared with the value in force
      // without it (limitInForce), so adding one never raises it either.
      const index = env.findIndex((g) => g.kind === "Limits");
      const match = env[index];
      const before = match?.kind === "Limits" ? match : undefined;
      const looser = LIMIT_KEYS.filter(([, f]) => limitInForce(grant, f) > limitInForce(before, f));
      if (looser.length > 0) {
        out.error(keyPath(path, "Limits"), `${WIDENS}: it raises or removes the limit${looser.length > 1 ? "s" : ""} ${looser.map(([k]) => quote(k)).join(", ")}`);
        return undefined;
      }
      return index === -1 ? env.length : index;
    }
    case "Forward": {
      // A deployment may move the host end (like a TcpListener's addr); the
      // protocol and the port inside the void are the program's own.
      const index = env.findIndex((g) => g.kind === "Forward" && g.protocol === grant.protocol && g.environmentPort === grant.environmentPort);
      if (index === -1) {
        const have = env.flatMap((g) => (g.kind === "Forward" ? [`${g.protocol} to port ${g.environmentPort}`] : []));
        out.error(path, `${WIDENS}: a new ${grant.protocol} Forward to port ${grant.environmentPort} in the void`, {
          hint:
            have.length === 0 ? `the compile-time spec forwards nothing to ${epPath}` : `the compile-time spec forwards only ${have.join(", ")} to ${epPath}; a runtime spec may change only host_addr`,
        });
        return undefined;
      }
      return index;
    }
    case "Connect": {
      // A deployment may re-aim a Connect (the database is elsewhere in
      // production), printed as a notice on every run; it may not add one.
      const index = env.findIndex((g) => g.kind === "Connect" && g.protocol === grant.protocol && g.environmentPort === grant.environmentPort);
      if (index === -1) {
        const have = env.flatMap((g) => (g.kind === "Connect" ? [`${g.protocol} from port ${g.environmentPort}`] : []));
        out.error(path, `${WIDENS}: a new ${grant.protocol} Connect from port ${grant.environmentPort} in the void`, {
          hint:
            have.length === 0
              ? `the compile-time spec gives ${epPath} no outgoing connection`
              : `the compile-time spec connects only ${have.join(", ")} for ${epPath}; a runtime spec may change only host_addr`,
        });
        return undefined;
      }
      return index;
    }
    case "Procfs":
    case "DevRandom":
    case "SeccompUnconfined":
    case "Stdin":
    case "Stdout":
    case "Stderr": {
      const index = env.findIndex((g) => g.kind === grant.kind);
      if (index === -1) {
        out.error(path, `${WIDENS}: a new grant ${quote(grant.kind)}`, {
          hint: `the compile-time spec does not grant ${quote(grant.kind)} to ${epPath}`,
        });
        return undefined;
      }
      return index;
    }
    default:
      return unreachable(grant);
  }
}

/** The base grant a merged grant replaces: same grant, same bind point, or same UTS name kind. */
function counterpart(base: readonly Grant[], grant: Grant): Grant | undefined {
  const key = grantKey(grant);
  return (
    base.find((g) => grantKey(g) === key) ??
    base.find((g) => {
      if (grant.kind === "Filesystem") return g.kind === "Filesystem" && g.environmentPath === grant.environmentPath;
      if (grant.kind === "Forward") return g.kind === "Forward" && g.protocol === grant.protocol && g.environmentPort === grant.environmentPort;
      if (grant.kind === "Connect") return g.kind === "Connect" && g.protocol === grant.protocol && g.environmentPort === grant.environmentPort;
      if (grant.kind === "Tmpfs") return g.kind === "Tmpfs" && g.path === grant.path;
      return (["Hostname", "DomainName", "Seccomp", "Limits", "WorkingDirectory", "Env", "PassEnv"] as const).some((k) => grant.kind === k) && g.kind === grant.kind;
    })
  );
}

function describeEnvironmentChanges(base: readonly Grant[], merged: readonly Located<Grant>[], envPath: string, changes: string[]): void {
  const kept = new Set<Grant>();
  for (const { value, path } of merged) {
    const before = counterpart(base, value);
    if (before !== undefined) kept.add(before);
    if (before !== undefined && grantKey(before) === grantKey(value)) continue;
    if (before === undefined) {
      changes.push(`${path}: adds ${form(grantToValue(value))}`);
    } else if (before.kind === "Filesystem" && value.kind === "Filesystem") {
      const parts: string[] = [];
      if (before.hostPath !== value.hostPath) parts.push(`host_path ${quote(before.hostPath)} -> ${quote(value.hostPath)}`);
      if (before.readOnly !== value.readOnly) {
        parts.push(before.readOnly ? "read-only -> writable" : "writable -> read-only");
      }
      if (before.shared !== value.shared) parts.push(value.shared ? "shared acknowledged" : "no longer shared");
      if (before.optional !== value.optional) parts.push(value.optional ? "optional" : "no longer optional");
      changes.push(`${path}: Filesystem at ${quote(value.environmentPath)}: ${parts.join(", ")}`);
    } else if (before.kind === "Forward" && value.kind === "Forward") {
      changes.push(`${path}: ${value.protocol} Forward to port ${value.environmentPort}: host_addr ${before.hostAddr} -> ${value.hostAddr}`);
    } else if (before.kind === "Connect" && value.kind === "Connect") {
      changes.push(`${path}: ${value.protocol} Connect from port ${value.environmentPort}: host_addr ${before.hostAddr} -> ${value.hostAddr}`);
    } else if (before.kind === "Env" && value.kind === "Env") {
      // Values are not repeated here: they may be secrets; -v prints every change.
      const changed = value.vars.filter(([n, v]) => before.vars.find(([m]) => m === n)?.[1] !== v).map(([n]) => n);
      const dropped = before.vars.filter(([n]) => !value.vars.some(([m]) => m === n)).map(([n]) => n);
      changes.push(`${path}: Env: ${[...changed.map((n) => `${n} changed`), ...dropped.map((n) => `${n} dropped`)].join(", ")}`);
    } else if (before.kind === "Tmpfs" && value.kind === "Tmpfs") {
      changes.push(`${path}: Tmpfs at ${quote(value.path)}: size ${before.size} -> ${value.size}`);
    } else if (before.kind === "WorkingDirectory" && value.kind === "WorkingDirectory") {
      changes.push(`${path}: WorkingDirectory ${quote(before.path)} -> ${quote(value.path)}`);
    } else if ((before.kind === "Seccomp" && value.kind === "Seccomp") || (before.kind === "Limits" && value.kind === "Limits") || (before.kind === "PassEnv" && value.kind === "PassEnv")) {
      changes.push(`${path}: ${value.kind} ${form(grantToValue(before))} -> ${form(grantToValue(value))}`);
    } else if ((before.kind === "Hostname" || before.kind === "DomainName") && before.kind === value.kind) {
      changes.push(`${path}: ${value.kind} ${quote(before.name)} -> ${quote(value.name)}`);
    }
  }
  for (const grant of dedupeGrants(base)) {
    if (!kept.has(grant)) changes.push(`${envPath}: drops ${form(grantToValue(grant))}`);
  }
}

// ---- rendering ----

function operationToValue(op: RpcOperation): unknown {
  return { [op.kind]: { family: op.family, port: op.port, host: op.host } };
}

/** JSON with a space after ":" and ",", as the spec messages write forms. */
function form(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(form).join(", ")}]`;
  if (isObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${form(v)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** An argument's form for messages; an Rpc's operations are elided. */
function argSummary(arg: Arg): string {
  return arg.kind === "Rpc" ? '{"Rpc": [...]}' : form(argToValue(arg));
}

function unreachable(value: never): never {
  throw new Error(`internal: unhandled variant ${String(value)}`);
}
