/**
 * Parsing a spec: JSON text or an already-parsed value -> Spec, or every
 * problem found.
 *
 * The walker goes over the value by hand, guided by the variant table in
 * variants.ts. It never stops at the first problem: a bad part is reported,
 * skipped, and the walk goes on, so one run lists everything to fix. Each
 * problem carries the JSON path of the offending value, what was expected
 * there and, for a misspelt name, the closest known one. Cross-entrypoint
 * rules run afterwards on the located result (validate.ts), even when there
 * were structural errors; names inside unreadable parts are passed along so
 * those rules do not report follow-on errors for them.
 *
 * Accepted besides the documented forms:
 * - serde's long form of a unit variant, `{"Stdout": null}` (the original's
 *   serde_json accepted it too);
 * - the stale spellings "PipeTrigger" and {"TcpListener": {"port": N}}, with
 *   a warning each;
 * - an optional top-level "$schema" string, so editors can find the schema.
 * Refused besides what the format forbids: duplicate keys (parseSpec only;
 * a parsed value cannot show them), and unknown keys anywhere.
 *
 * parseEntrypointFragment reads one entrypoint object of a partial spec (a
 * runtime spec, runtime.ts) with the same walker, structure only.
 *
 * Pure: no I/O, never throws, never prints.
 */

import { Diagnostics, describeValue, indexPath, isObject, keyPath, quote } from "./diagnostics.js";
import { readJsonText } from "./json-text.js";
import { closestMatch, didYouMean } from "./suggest.js";
import {
  type Arg,
  DEFAULT_TMPFS_SIZE,
  type Diagnostic,
  type Direction,
  type Entrypoint,
  type Grant,
  type ParseResult,
  type ResourceLimits,
  type RpcOperation,
  type Spec,
  type Trigger,
} from "./types.js";
import { dedupeGrants, type Located, type LocatedEntrypoint, type LocatedSpec, validateSpec } from "./validate.js";
import {
  checkAbsolutePath,
  checkLibraryPath,
  checkEntrypointName,
  checkEnvironmentPath,
  checkEnvName,
  checkEnvValue,
  checkTmpfsPath,
  ENV_MAX_VARS,
  TMPFS_MAX_SIZE,
  TMPFS_MIN_SIZE,
  checkConnectAddr,
  checkListenAddr,
  checkRpcHost,
  checkUtsName,
  isSyscallName,
  type Problem,
  SYSCALL_NAMES,
} from "./values.js";
import {
  ARG_TABLE,
  currentNames,
  DIRECTION_TABLE,
  ENTRYPOINT_FIELDS,
  type EnumTable,
  expectedForms,
  expectedKeys,
  FAMILY_TABLE,
  FILESYSTEM_FIELDS,
  CONNECT_FIELDS,
  FORWARD_FIELDS,
  FORWARD_PROTOCOL_TABLE,
  GRANT_TABLE,
  type ObjectTable,
  TMPFS_FIELDS,
  ROOT_FIELDS,
  RPC_FIELDS,
  RPC_OPERATION_TABLE,
  LIMITS_FIELDS,
  SECCOMP_FIELDS,
  TCP_LISTENER_FIELDS,
  TRIGGER_TABLE,
  type Variant,
} from "./variants.js";

/** Parse spec JSON text. Reports syntax errors with line and column. */
export function parseSpec(text: string): ParseResult {
  const json = readJsonText(text);
  if (!json.ok) {
    const { line, column } = json.location;
    const out = new Diagnostics();
    out.error("", `invalid JSON at line ${line}, column ${column}: ${json.message}`, { hint: json.hint });
    return { ok: false, errors: out.errors, warnings: out.warnings };
  }
  const walker = new Walker(json.keyOrder);
  for (const duplicate of json.duplicates) {
    const { line, column } = duplicate.location;
    walker.out.error(duplicate.path, `duplicate key ${quote(duplicate.key)} at line ${line}, column ${column}`, {
      hint: "JSON readers disagree on which copy counts; keep one",
    });
  }
  return walker.run(json.value);
}

/** Parse a spec that is already a JavaScript value (e.g. from JSON.parse). */
export function parseSpecValue(value: unknown): ParseResult {
  return new Walker(undefined).run(value);
}

/**
 * What a partial spec (a runtime spec, see runtime.ts) says about one
 * entrypoint: only the keys its object has, each read by exactly the rules,
 * messages and JSON paths of parseSpec. Nothing is defaulted.
 */
export interface EntrypointFragment {
  /** Present when the object has "trigger". */
  trigger?: Located<Trigger>;
  /** Present when the object has "args"; in the object's order. */
  args?: Located<Arg>[];
  /** Present when the object has "environment"; as written (not deduplicated). */
  environment?: Located<Grant>[];
}

export type FragmentResult = { ok: true; fragment: EntrypointFragment; warnings: Diagnostic[] } | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

/**
 * Read one entrypoint object of a partial spec, structure only: the
 * single-value rules of parseSpec (variants, keys, paths, addresses, names)
 * but no defaults and no cross-entrypoint rules; the caller checks those on
 * the spec it builds. `path` is the object's JSON path in its document (e.g.
 * `entrypoints.listener`), so diagnostics point into that document;
 * `keyOrder` (from readJsonText) makes keys be visited in text order.
 */
export function parseEntrypointFragment(value: unknown, path: string, keyOrder?: ReadonlyMap<string, readonly string[]>): FragmentResult {
  const walker = new Walker(keyOrder);
  const fragment = walker.fragment(value, path);
  const { errors, warnings } = walker.out;
  if (errors.length > 0 || fragment === undefined) return { ok: false, errors, warnings };
  return { ok: true, fragment, warnings };
}

/** "an argument", "a trigger"; "the spec" stays as it is. */
function article(what: string): string {
  if (what.startsWith("the ")) return what;
  return /^[aeiou]/i.test(what) ? `an ${what}` : `a ${what}`;
}

const ENTRYPOINT_FORM = '{"trigger": ..., "args": [...], "environment": [...]}';
const SPEC_FORM = '{"entrypoints": {"<name>": {"trigger": ..., "args": [...], "environment": [...]}}}';

/** Where else a misplaced variant name belongs, for a hint. */
interface Elsewhere {
  table: EnumTable;
  key: string;
}

interface ReadVariant<N extends string> {
  variant: Variant<N>;
  payload: unknown;
  payloadPath: string;
}

class Walker {
  readonly out = new Diagnostics();
  private readonly uncertainNames = new Set<string>();
  private complete = true;

  constructor(private readonly keyOrder: ReadonlyMap<string, readonly string[]> | undefined) {}

  run(value: unknown): ParseResult {
    const entrypoints = this.root(value);
    if (entrypoints !== undefined) {
      const located: LocatedSpec = { entrypoints, complete: this.complete, uncertainNames: this.uncertainNames };
      const validation = validateSpec(located);
      this.out.errors.push(...validation.errors);
      this.out.warnings.push(...validation.warnings);
    }
    const { errors, warnings } = this.out;
    if (errors.length > 0 || entrypoints === undefined) return { ok: false, errors, warnings };
    return { ok: true, spec: finish(entrypoints), warnings };
  }

  // ---- generic pieces ----

  /** An object's keys, in text order when known. */
  private keys(object: Record<string, unknown>, path: string): string[] {
    const own = Object.keys(object);
    const ordered = this.keyOrder?.get(path);
    return ordered !== undefined && ordered.length === own.length ? [...ordered] : own;
  }

  private problem(path: string, problem: Problem | undefined): boolean {
    if (problem === undefined) return true;
    this.out.error(path, problem.message, { hint: problem.hint });
    return false;
  }

  /** Report keys the table does not know, and missing required ones. */
  private checkKeys(object: Record<string, unknown>, path: string, table: ObjectTable, form: string): void {
    const suggested = this.unknownKeys(object, path, table);
    for (const field of table.fields) {
      if (field.required && !Object.hasOwn(object, field.key) && !suggested.has(field.key)) {
        this.out.error(path, `missing key ${quote(field.key)} in ${article(table.what)}`, { expected: form });
      }
    }
  }

  /**
   * Report keys the table does not know, each with a did-you-mean. Returns the
   * known keys suggested, so that a misspelt required key is not also
   * reported as missing.
   */
  private unknownKeys(object: Record<string, unknown>, path: string, table: ObjectTable): Set<string> {
    const known = table.fields.map((f) => f.key);
    const suggested = new Set<string>();
    for (const key of this.keys(object, path)) {
      if (known.includes(key)) continue;
      const match = closestMatch(key, known);
      if (match !== undefined) suggested.add(match);
      this.out.error(path, `unknown key ${quote(key)} in ${article(table.what)}`, {
        expected: expectedKeys(table),
        hint: match === undefined ? undefined : `did you mean ${quote(match)}?`,
      });
    }
    return suggested;
  }

  /** Remember the strings of an unreadable part: they may be pipe or socket names. */
  private unreadable(value: unknown, depth = 0): void {
    if (typeof value === "string") this.uncertainNames.add(value);
    else if (depth < 8 && typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        this.uncertainNames.add(key);
        this.unreadable(inner, depth + 1);
      }
    }
  }

  private string(value: unknown, path: string, what: string): string | undefined {
    if (typeof value === "string") return value;
    this.out.error(path, `got ${describeValue(value)}`, { expected: what });
    return undefined;
  }

  /**
   * Read one externally tagged enum value: "Name" or {"Name": payload}.
   * Reports unknown names (with did-you-mean), unit variants given a value,
   * data variants given none, and warns about stale spellings.
   */
  private variant<N extends string>(table: EnumTable<N>, value: unknown, path: string, elsewhere?: Elsewhere): ReadVariant<N> | undefined {
    let name: string;
    let payload: unknown;
    let hasPayload: boolean;
    if (typeof value === "string") {
      name = value;
      payload = undefined;
      hasPayload = false;
    } else if (isObject(value) && Object.keys(value).length === 1) {
      name = Object.keys(value)[0]!;
      payload = value[name];
      hasPayload = true;
    } else {
      this.wrongShape(table, value, path);
      return undefined;
    }
    const variant = table.variants.find((v) => v.name === name);
    if (variant === undefined) {
      this.out.error(path, `unknown variant ${quote(name)}`, {
        expected: expectedForms(table),
        hint: didYouMean(name, currentNames(table)) ?? this.elsewhereHint(name, elsewhere),
      });
      return undefined;
    }
    const payloadPath = keyPath(path, name);
    if (variant.unit) {
      if (hasPayload && payload !== null) {
        this.out.error(payloadPath, `${quote(name)} takes no value`, { hint: `write just ${quote(name)}` });
        return undefined;
      }
      if (variant.replacedBy !== undefined) {
        this.out.warning(path, `${quote(name)} is a deprecated spelling of ${quote(variant.replacedBy)}`, {
          hint: `write ${quote(variant.replacedBy)}`,
        });
      }
    } else if (!hasPayload) {
      this.out.error(path, `${quote(name)} needs a value`, { expected: variant.form });
      return undefined;
    }
    return { variant, payload, payloadPath };
  }

  private wrongShape(table: EnumTable, value: unknown, path: string): void {
    const expected = `${article(table.what)}: ${expectedForms(table)}`;
    if (isObject(value) && Object.keys(value).length > 1) {
      const keys = Object.keys(value);
      const message = `got an object with ${keys.length} keys (${keys.map(quote).join(", ")}), but one variant is written with one key`;
      this.out.error(path, message, {
        expected,
        hint: table === ARG_TABLE || table === GRANT_TABLE ? "write each as its own list item" : undefined,
      });
    } else {
      this.out.error(path, `got ${describeValue(value)}`, { expected });
    }
  }

  private elsewhereHint(name: string, elsewhere: Elsewhere | undefined): string | undefined {
    if (elsewhere === undefined) return undefined;
    const match = elsewhere.table.variants.find((v) => v.name.toLowerCase() === name.toLowerCase());
    if (match === undefined) return undefined;
    return `${quote(match.name)} is ${article(elsewhere.table.what)}: put it in ${quote(elsewhere.key)}`;
  }

  // ---- the document ----

  private root(value: unknown): LocatedEntrypoint[] | undefined {
    if (!isObject(value)) {
      this.out.error("", `got ${describeValue(value)}`, { expected: `a JSON object: ${SPEC_FORM}` });
      return undefined;
    }
    this.checkKeys(value, "", ROOT_FIELDS, SPEC_FORM);
    if (Object.hasOwn(value, "$schema")) this.string(value["$schema"], "$schema", "a string (the schema's URI)");
    if (!Object.hasOwn(value, "entrypoints")) return undefined;
    return this.entrypoints(value["entrypoints"], "entrypoints");
  }

  private entrypoints(value: unknown, path: string): LocatedEntrypoint[] | undefined {
    if (!isObject(value)) {
      this.out.error(path, `got ${describeValue(value)}`, {
        expected: `an object of entrypoints by name: {"<name>": ${ENTRYPOINT_FORM}, ...}`,
      });
      return undefined;
    }
    const names = this.keys(value, path);
    if (names.length === 0) {
      this.out.error(path, "there are no entrypoints", {
        expected: 'at least one, e.g. {"main": {"args": ["BinaryName"]}}',
      });
      return undefined;
    }
    const entrypoints: LocatedEntrypoint[] = [];
    for (const name of names) {
      const ep = this.entrypoint(name, value[name], keyPath(path, name));
      if (ep !== undefined) entrypoints.push(ep);
    }
    return entrypoints;
  }

  private entrypoint(name: string, value: unknown, path: string): LocatedEntrypoint | undefined {
    this.problem(path, checkEntrypointName(name));
    if (!isObject(value)) {
      this.out.error(path, `got ${describeValue(value)}`, {
        expected: `an entrypoint object: ${ENTRYPOINT_FORM}`,
        hint: value === null ? "write {} for an entrypoint with every default" : undefined,
      });
      this.complete = false;
      this.unreadable(value);
      return undefined;
    }
    this.checkKeys(value, path, ENTRYPOINT_FIELDS, ENTRYPOINT_FORM);
    const triggerPath = keyPath(path, "trigger");
    let trigger: Located<Trigger> | undefined = { value: { kind: "Startup" }, path: triggerPath };
    if (Object.hasOwn(value, "trigger")) {
      const parsed = this.trigger(value["trigger"], triggerPath);
      trigger = parsed === undefined ? undefined : { value: parsed, path: triggerPath };
      if (parsed === undefined) {
        this.complete = false;
        this.unreadable(value["trigger"]);
      }
    }
    const argsPath = keyPath(path, "args");
    const args: Located<Arg>[] = Object.hasOwn(value, "args")
      ? this.list(value["args"], argsPath, ARG_TABLE, (item, itemPath) => this.arg(item, itemPath))
      : [{ value: { kind: "BinaryName" }, path: argsPath }];
    const envPath = keyPath(path, "environment");
    const environment: Located<Grant>[] = Object.hasOwn(value, "environment") ? this.list(value["environment"], envPath, GRANT_TABLE, (item, itemPath) => this.grant(item, itemPath)) : [];
    return { name, path, trigger, args, environment };
  }

  /** An entrypoint object of a partial spec: only the keys present, no defaults (parseEntrypointFragment). */
  fragment(value: unknown, path: string): EntrypointFragment | undefined {
    if (!isObject(value)) {
      this.out.error(path, `got ${describeValue(value)}`, {
        expected: `an entrypoint object: ${ENTRYPOINT_FORM}`,
        hint: value === null ? "write {}, or leave the entrypoint out, to change nothing" : undefined,
      });
      return undefined;
    }
    this.checkKeys(value, path, ENTRYPOINT_FIELDS, ENTRYPOINT_FORM);
    const fragment: EntrypointFragment = {};
    if (Object.hasOwn(value, "trigger")) {
      const triggerPath = keyPath(path, "trigger");
      const trigger = this.trigger(value["trigger"], triggerPath);
      if (trigger !== undefined) fragment.trigger = { value: trigger, path: triggerPath };
    }
    if (Object.hasOwn(value, "args")) {
      fragment.args = this.list(value["args"], keyPath(path, "args"), ARG_TABLE, (item, itemPath) => this.arg(item, itemPath));
    }
    if (Object.hasOwn(value, "environment")) {
      fragment.environment = this.list(value["environment"], keyPath(path, "environment"), GRANT_TABLE, (item, itemPath) => this.grant(item, itemPath));
    }
    return fragment;
  }

  /** A JSON array of enum values; unreadable items are reported and left out. */
  private list<T>(value: unknown, path: string, table: EnumTable, read: (item: unknown, path: string) => T | undefined): Located<T>[] {
    if (!Array.isArray(value)) {
      this.out.error(path, `got ${describeValue(value)}`, {
        expected: `a list of ${table.what}s: [${table.what}, ...]`,
        hint: typeof value === "string" ? `write [${JSON.stringify(value)}]` : undefined,
      });
      this.unreadable(value);
      return [];
    }
    const items: Located<T>[] = [];
    value.forEach((item: unknown, i) => {
      const itemPath = indexPath(path, i);
      const parsed = read(item, itemPath);
      if (parsed === undefined) this.unreadable(item);
      else items.push({ value: parsed, path: itemPath });
    });
    return items;
  }

  // ---- triggers ----

  private trigger(value: unknown, path: string): Trigger | undefined {
    const read = this.variant(TRIGGER_TABLE, value, path);
    if (read === undefined) return undefined;
    const kind = read.variant.name;
    switch (kind) {
      case "Startup":
        return { kind };
      case "Pipe":
      case "FileSocket": {
        const name = this.triggerName(kind, read.payload, read.payloadPath);
        return name === undefined ? undefined : { kind, name };
      }
      default:
        return unreachable(kind);
    }
  }

  private triggerName(kind: "Pipe" | "FileSocket", payload: unknown, path: string): string | undefined {
    const noun = kind === "Pipe" ? "pipe" : "file socket";
    if (isObject(payload) && Object.keys(payload).length === 1) {
      const inner = Object.values(payload)[0];
      const name = typeof inner === "string" ? inner : "name";
      this.out.error(path, `a trigger names the ${noun} it reads, without a direction`, {
        expected: `{${JSON.stringify(kind)}: name}`,
        hint: `write {${JSON.stringify(kind)}: ${quote(name)}}`,
      });
      return undefined;
    }
    return this.channelName(payload, path, noun);
  }

  private channelName(value: unknown, path: string, noun: string): string | undefined {
    const name = this.string(value, path, `a ${noun} name (a string)`);
    if (name === "") {
      this.out.error(path, `a ${noun} name must not be empty`);
      return undefined;
    }
    return name;
  }

  // ---- arguments ----

  private arg(value: unknown, path: string): Arg | undefined {
    const read = this.variant(ARG_TABLE, value, path, { table: GRANT_TABLE, key: "environment" });
    if (read === undefined) return undefined;
    const { payload, payloadPath } = read;
    const kind = read.variant.name;
    switch (kind) {
      case "BinaryName":
      case "Entrypoint":
      case "Trigger":
      case "Trailing":
        return { kind };
      case "PipeTrigger":
        return { kind: "Trigger" };
      case "File": {
        const path = this.hostPath(payload, payloadPath, "a host path (a string)");
        return path === undefined ? undefined : { kind, path };
      }
      case "Pipe":
      case "FileSocket":
        return this.channelEnd(kind, payload, payloadPath);
      case "TcpListener": {
        const addr = this.tcpListener(payload, payloadPath);
        return addr === undefined ? undefined : { kind, addr };
      }
      case "Rpc": {
        const operations = this.rpc(payload, payloadPath);
        return operations === undefined ? undefined : { kind, operations };
      }
      default:
        return unreachable(kind);
    }
  }

  private hostPath(value: unknown, path: string, what: string): string | undefined {
    const text = this.string(value, path, what);
    if (text === undefined || !this.problem(path, checkAbsolutePath(text))) return undefined;
    return text;
  }

  /** {"Pipe": {"Rx": name}} and friends. */
  private channelEnd(kind: "Pipe" | "FileSocket", payload: unknown, path: string): Arg | undefined {
    const noun = kind === "Pipe" ? "pipe" : "file socket";
    if (typeof payload === "string" && !/^(rx|tx)$/i.test(payload)) {
      const k = JSON.stringify(kind);
      const name = quote(payload);
      const [receive, send] = kind === "Pipe" ? ["read", "write"] : ["receive", "send"];
      this.out.error(path, `an argument needs a direction: which end of the ${noun} this is`, {
        expected: expectedForms(DIRECTION_TABLE),
        hint: `{${k}: ${name}} is the trigger form; as an argument write {${k}: {"Rx": ${name}}} to ${receive} or {${k}: {"Tx": ${name}}} to ${send}`,
      });
      return undefined;
    }
    const read = this.variant(DIRECTION_TABLE, payload, path);
    if (read === undefined) return undefined;
    const direction: Direction = read.variant.name;
    const name = this.channelName(read.payload, read.payloadPath, noun);
    return name === undefined ? undefined : { kind, direction, name };
  }

  /** {"addr": "ip:port"}, or the stale {"port": N} (-> "0.0.0.0:N", with a warning). */
  private tcpListener(payload: unknown, path: string): string | undefined {
    const form = '{"addr": "ip:port"}';
    if (!isObject(payload)) {
      const example = typeof payload === "number" ? `0.0.0.0:${payload}` : "0.0.0.0:8443";
      this.out.error(path, `got ${describeValue(payload)}`, {
        expected: `an object ${form}`,
        hint: `write {"addr": ${JSON.stringify(example)}}`,
      });
      return undefined;
    }
    const suggested = this.unknownKeys(payload, path, TCP_LISTENER_FIELDS);
    const hasAddr = Object.hasOwn(payload, "addr");
    const hasPort = Object.hasOwn(payload, "port");
    if (hasAddr && hasPort) {
      this.out.error(path, `give "addr" or the deprecated "port", not both`, { expected: form });
      return undefined;
    }
    if (hasPort) return this.stalePort(payload["port"], path);
    if (!hasAddr) {
      if (!suggested.has("addr")) this.out.error(path, `missing key "addr" in a TcpListener`, { expected: form });
      return undefined;
    }
    const addrPath = keyPath(path, "addr");
    const addr = this.string(payload["addr"], addrPath, 'an address "ip:port" (a string)');
    if (addr === undefined || !this.problem(addrPath, checkListenAddr(addr))) return undefined;
    return addr;
  }

  private stalePort(port: unknown, path: string): string | undefined {
    const portPath = keyPath(path, "port");
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
      this.out.error(portPath, `got ${describeValue(port)}`, { expected: "a port number 0..65535" });
      return undefined;
    }
    const addr = `0.0.0.0:${port}`;
    this.out.warning(path, `{"port": ${port}} is a deprecated form of {"addr": ${JSON.stringify(addr)}}`, {
      hint: `write {"addr": ${JSON.stringify(addr)}}`,
    });
    return addr;
  }

  private rpc(payload: unknown, path: string): RpcOperation[] | undefined {
    if (!Array.isArray(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, {
        expected: `a list of RPC operations: [${expectedForms(RPC_OPERATION_TABLE)}, ...]`,
      });
      return undefined;
    }
    if (payload.length === 0) {
      this.out.warning(path, "an empty Rpc list allows no operation; the broker socket is useless");
    }
    const operations: RpcOperation[] = [];
    let ok = true;
    payload.forEach((item: unknown, i) => {
      const operation = this.rpcOperation(item, indexPath(path, i));
      if (operation === undefined) ok = false;
      else operations.push(operation);
    });
    return ok ? operations : undefined;
  }

  private rpcOperation(value: unknown, path: string): RpcOperation | undefined {
    const read = this.variant(RPC_OPERATION_TABLE, value, path);
    if (read === undefined) return undefined;
    const { payload, payloadPath } = read;
    const form = '{"family": "Inet" | "Inet6" | null, "port": 1..65535 | null, "host": "name" | null}';
    if (!isObject(payload)) {
      this.out.error(payloadPath, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, payloadPath, RPC_FIELDS, form);
    const family = this.rpcFamily(payload["family"], keyPath(payloadPath, "family"));
    const port = this.rpcPort(payload["port"], keyPath(payloadPath, "port"));
    const host = this.rpcHost(payload["host"], keyPath(payloadPath, "host"));
    if (family === undefined || port === undefined || host === undefined) return undefined;
    return { kind: read.variant.name, family, port, host };
  }

  private rpcFamily(value: unknown, path: string): RpcOperation["family"] | undefined {
    if (value === undefined || value === null) return null;
    const read = this.variant(FAMILY_TABLE, value, path);
    return read?.variant.name;
  }

  private rpcPort(value: unknown, path: string): number | null | undefined {
    if (value === undefined || value === null) return null;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    if (typeof value === "number" && Number.isInteger(value)) {
      this.out.error(path, `port ${value} is out of range 1..65535`, {
        hint: value === 0 ? "write null to allow any port" : undefined,
      });
    } else {
      this.out.error(path, `got ${describeValue(value)}`, { expected: "a port number 1..65535 or null" });
    }
    return undefined;
  }

  private rpcHost(value: unknown, path: string): string | null | undefined {
    if (value === undefined || value === null) return null;
    const host = this.string(value, path, "a host name, an address or null");
    if (host === undefined || !this.problem(path, checkRpcHost(host))) return undefined;
    return host;
  }

  // ---- environment ----

  private grant(value: unknown, path: string): Grant | undefined {
    const read = this.variant(GRANT_TABLE, value, path, { table: ARG_TABLE, key: "args" });
    if (read === undefined) return undefined;
    const { payload, payloadPath } = read;
    const kind = read.variant.name;
    switch (kind) {
      case "Procfs":
      case "DevRandom":
      case "Stdin":
      case "Stdout":
      case "Stderr":
        return { kind };
      case "Forward":
        return this.forward(payload, payloadPath);
      case "Connect":
        return this.connect(payload, payloadPath);
      case "Filesystem":
        return this.filesystem(payload, payloadPath);
      case "Seccomp":
        return this.seccomp(payload, payloadPath);
      case "SeccompUnconfined":
        return { kind };
      case "Limits":
        return this.limits(payload, payloadPath);
      case "Tmpfs":
        return this.tmpfs(payload, payloadPath);
      case "WorkingDirectory": {
        const path = this.string(payload, payloadPath, 'a directory of the void (a string, e.g. "/data")');
        if (path === undefined || !this.problem(payloadPath, checkAbsolutePath(path))) return undefined;
        return { kind, path };
      }
      case "Executable":
      case "Library": {
        const path = this.hostPath(payload, payloadPath, "a host path (a string)");
        return path === undefined ? undefined : { kind, path };
      }
      case "LibraryPath": {
        const path = this.string(payload, payloadPath, 'a host directory (a string, e.g. "/opt/app/lib")');
        if (path === undefined || !this.problem(payloadPath, checkLibraryPath(path))) return undefined;
        return { kind, path };
      }
      case "Env":
        return this.env(payload, payloadPath);
      case "PassEnv":
        return this.passEnv(payload, payloadPath);
      case "Hostname":
      case "DomainName": {
        const name = this.string(payload, payloadPath, "a name (a string)");
        if (name === undefined || !this.problem(payloadPath, checkUtsName(name))) return undefined;
        return { kind, name };
      }
      default:
        return unreachable(kind);
    }
  }

  /** {"path": "/tmp", "size": "64M"}. */
  private tmpfs(payload: unknown, path: string): Grant | undefined {
    const form = '{"path": "/tmp", "size": "64M"}';
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, path, TMPFS_FIELDS, form);
    let where: string | undefined;
    if (Object.hasOwn(payload, "path")) {
      const p = keyPath(path, "path");
      const text = this.string(payload["path"], p, 'a path inside the void (a string, e.g. "/tmp")');
      if (text !== undefined && this.problem(p, checkTmpfsPath(text))) where = text;
    }
    let size: number | undefined = DEFAULT_TMPFS_SIZE;
    if (Object.hasOwn(payload, "size")) {
      const n = parseSize(payload["size"]);
      if (typeof n === "string" || n < TMPFS_MIN_SIZE || n > TMPFS_MAX_SIZE) {
        this.out.error(keyPath(path, "size"), `got ${describeValue(payload["size"])}`, { expected: 'bytes from 4096 to 1T: a whole number, or a string like "64M" (K, M, G or T)' });
        size = undefined;
      } else size = n;
    }
    if (where === undefined || size === undefined) return undefined;
    return { kind: "Tmpfs", path: where, size };
  }

  /** {"NAME": "value", ...}: names a shell could export, values without NUL. */
  private env(payload: unknown, path: string): Grant | undefined {
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: 'an object {"NAME": "value", ...}' });
      return undefined;
    }
    let ok = true;
    const vars: [string, string][] = [];
    const names = this.keys(payload, path);
    if (names.length > ENV_MAX_VARS) {
      this.out.error(path, `${names.length} variables; at most ${ENV_MAX_VARS}`);
      ok = false;
    }
    for (const name of names) {
      const p = keyPath(path, name);
      const value = this.string(payload[name], p, "the variable's value (a string)");
      if (!this.problem(p, checkEnvName(name)) || value === undefined || !this.problem(p, checkEnvValue(value))) ok = false;
      else vars.push([name, value]);
    }
    return ok ? { kind: "Env", vars } : undefined;
  }

  /** ["NAME", ...]: the launcher's variables to pass on. */
  private passEnv(payload: unknown, path: string): Grant | undefined {
    if (!Array.isArray(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: 'an array of variable names ["TERM", ...]' });
      return undefined;
    }
    let ok = payload.length <= ENV_MAX_VARS;
    if (!ok) this.out.error(path, `${payload.length} names; at most ${ENV_MAX_VARS}`);
    const names: string[] = [];
    payload.forEach((v: unknown, i) => {
      const p = indexPath(path, i);
      const name = this.string(v, p, "a variable name (a string)");
      if (name === undefined || !this.problem(p, checkEnvName(name))) ok = false;
      else if (!names.includes(name)) names.push(name);
    });
    return ok ? { kind: "PassEnv", names } : undefined;
  }

  /** {"protocol": "Udp"|"Tcp", "host_addr": "ip:port", "environment_port": 1024..65535}. */
  private forward(payload: unknown, path: string): Grant | undefined {
    const read = this.relay(payload, path, FORWARD_FIELDS, '{"protocol": "Udp", "host_addr": "127.0.0.1:5353", "environment_port": 5353}', checkListenAddr, (port, portPath) => {
      if (typeof port === "number" && Number.isInteger(port) && port >= 1024 && port <= 65535) return port;
      if (typeof port === "number" && Number.isInteger(port) && port >= 1 && port < 1024) {
        this.out.error(portPath, `port ${port} is below 1024, which a void cannot bind (it holds no capability, not even CAP_NET_BIND_SERVICE)`, {
          hint: `let the program listen on a port from 1024 up inside its void; host_addr may still use port ${port} if the launcher may bind it`,
        });
      } else this.out.error(portPath, `got ${describeValue(port)}`, { expected: "a port number 1024..65535" });
      return undefined;
    });
    return read === undefined ? undefined : { kind: "Forward", ...read };
  }

  /** {"protocol": "Tcp"|"Udp", "environment_port": 1..65535, "host_addr": "ip:port"}. */
  private connect(payload: unknown, path: string): Grant | undefined {
    const read = this.relay(payload, path, CONNECT_FIELDS, '{"protocol": "Tcp", "environment_port": 5432, "host_addr": "192.0.2.10:5432"}', checkConnectAddr, (port, portPath) => {
      if (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) return port;
      this.out.error(portPath, `got ${describeValue(port)}`, { expected: "a port number 1..65535" });
      return undefined;
    });
    return read === undefined ? undefined : { kind: "Connect", ...read };
  }

  /** What Forward and Connect share: a protocol, a host address checked by `checkAddr`, a port in the void read by `readPort`. */
  private relay(
    payload: unknown,
    path: string,
    fields: ObjectTable,
    form: string,
    checkAddr: (addr: string) => Problem | undefined,
    readPort: (port: unknown, portPath: string) => number | undefined,
  ): { protocol: "Udp" | "Tcp"; hostAddr: string; environmentPort: number } | undefined {
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, path, fields, form);
    let protocol: "Udp" | "Tcp" | undefined;
    if (Object.hasOwn(payload, "protocol")) protocol = this.variant(FORWARD_PROTOCOL_TABLE, payload["protocol"], keyPath(path, "protocol"))?.variant.name;
    let hostAddr: string | undefined;
    if (Object.hasOwn(payload, "host_addr")) {
      const addrPath = keyPath(path, "host_addr");
      const addr = this.string(payload["host_addr"], addrPath, 'an address "ip:port" (a string)');
      if (addr !== undefined && this.problem(addrPath, checkAddr(addr))) hostAddr = addr;
    }
    const environmentPort = Object.hasOwn(payload, "environment_port") ? readPort(payload["environment_port"], keyPath(path, "environment_port")) : undefined;
    if (protocol === undefined || hostAddr === undefined || environmentPort === undefined) return undefined;
    return { protocol, hostAddr, environmentPort };
  }

  private limits(payload: unknown, path: string): Grant | undefined {
    const form = '{"memory": "64M", "pids": 32, "timeout": "30s"}';
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, path, LIMITS_FIELDS, form);
    let ok = true;
    const read = (key: string, parse: (v: unknown) => number | string): number | undefined => {
      if (!Object.hasOwn(payload, key)) return undefined;
      const r = parse(payload[key]);
      if (typeof r === "string") {
        this.out.error(keyPath(path, key), `got ${describeValue(payload[key])}`, { expected: r });
        ok = false;
        return undefined;
      }
      return r;
    };
    const limits: Grant & { kind: "Limits" } = { kind: "Limits" };
    const set = <K extends keyof ResourceLimits>(k: K, v: number | undefined) => {
      if (v !== undefined) limits[k] = v;
    };
    // Below 1 MiB no program can even be exec'd: a typo ("64" for "64M"), not a limit.
    set(
      "memory",
      read("memory", (v) => {
        const n = parseSize(v);
        return typeof n === "number" && n < MIN_MEMORY ? 'at least "1M": below that nothing can start' : n;
      }),
    );
    set("memorySwap", read("memory_swap", parseSize));
    set(
      "pids",
      read("pids", (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4194304 ? (v as number) : "a whole number from 1 to 4194304")),
    );
    set(
      "cpuWeight",
      read("cpu_weight", (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 10000 ? (v as number) : "a whole number from 1 to 10000")),
    );
    set(
      "cpuMax",
      read("cpu_max", (v) => (typeof v === "number" && v >= 0.01 && v <= 4096 ? v : "a number of CPUs from 0.01 to 4096")),
    );
    set("timeoutMs", read("timeout", parseDuration));
    set(
      "concurrency",
      read("concurrency", (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100000 ? (v as number) : "a whole number from 1 to 100000")),
    );
    set(
      "inotifyInstances",
      read("inotify_instances", (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65536 ? (v as number) : "a whole number from 0 to 65536")),
    );
    set(
      "inotifyWatches",
      read("inotify_watches", (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 4194304 ? (v as number) : "a whole number from 0 to 4194304")),
    );
    return ok ? limits : undefined;
  }

  private seccomp(payload: unknown, path: string): Grant | undefined {
    const form = '{"allow": ["ptrace"], "deny": ["socket"]}';
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, path, SECCOMP_FIELDS, form);
    const names = (key: "allow" | "deny"): string[] | undefined => {
      if (!Object.hasOwn(payload, key)) return [];
      const listPath = keyPath(path, key);
      const value = payload[key];
      if (!Array.isArray(value)) {
        this.out.error(listPath, `got ${describeValue(value)}`, { expected: "a list of system call names" });
        return undefined;
      }
      let ok = true;
      value.forEach((item: unknown, i: number) => {
        const itemPath = indexPath(listPath, i);
        if (typeof item !== "string") {
          this.out.error(itemPath, `got ${describeValue(item)}`, { expected: "a system call name (a string)" });
          ok = false;
        } else if (!isSyscallName(item)) {
          const hint = didYouMean(item, SYSCALL_NAMES);
          this.out.error(itemPath, `unknown system call ${quote(item)}`, { expected: "a Linux system call name (of x86_64 or aarch64)", ...(hint ? { hint } : {}) });
          ok = false;
        }
      });
      return ok ? (value as string[]) : undefined;
    };
    const allow = names("allow");
    const deny = names("deny");
    if (allow === undefined || deny === undefined) return undefined;
    const both = allow.filter((n) => deny.includes(n));
    if (both.length > 0) {
      this.out.error(path, `${both.map(quote).join(", ")} both allowed and denied`, { hint: "list each system call once" });
      return undefined;
    }
    return { kind: "Seccomp", allow: [...new Set(allow)].sort(), deny: [...new Set(deny)].sort() };
  }

  private filesystem(payload: unknown, path: string): Grant | undefined {
    const form = '{"host_path": "/host/path", "environment_path": "/path", "read_only": true}';
    if (!isObject(payload)) {
      this.out.error(path, `got ${describeValue(payload)}`, { expected: `an object ${form}` });
      return undefined;
    }
    this.checkKeys(payload, path, FILESYSTEM_FIELDS, form);
    const hostPath = Object.hasOwn(payload, "host_path") ? this.hostPath(payload["host_path"], keyPath(path, "host_path"), "a host path (a string)") : undefined;
    let environmentPath: string | undefined;
    if (Object.hasOwn(payload, "environment_path")) {
      const envPath = keyPath(path, "environment_path");
      const text = this.string(payload["environment_path"], envPath, "a path inside the void (a string)");
      if (text !== undefined && this.problem(envPath, checkEnvironmentPath(text))) environmentPath = text;
    }
    let readOnly: boolean | undefined = true;
    if (Object.hasOwn(payload, "read_only") && typeof payload["read_only"] !== "boolean") {
      this.out.error(keyPath(path, "read_only"), `got ${describeValue(payload["read_only"])}`, {
        expected: "true or false",
      });
      readOnly = undefined;
    } else if (payload["read_only"] === false) {
      readOnly = false;
    }
    let shared: boolean | undefined = false;
    if (Object.hasOwn(payload, "shared")) {
      if (typeof payload["shared"] !== "boolean") {
        this.out.error(keyPath(path, "shared"), `got ${describeValue(payload["shared"])}`, { expected: "true or false" });
        shared = undefined;
      } else if (payload["shared"] && readOnly === true) {
        this.out.error(keyPath(path, "shared"), '"shared" acknowledges what a writable bind lets other entrypoints read; this bind is read-only', {
          hint: 'add "read_only": false, or remove "shared"',
        });
        shared = undefined;
      } else shared = payload["shared"];
    }
    let optional: boolean | undefined = false;
    if (Object.hasOwn(payload, "optional")) {
      if (typeof payload["optional"] !== "boolean") {
        this.out.error(keyPath(path, "optional"), `got ${describeValue(payload["optional"])}`, { expected: "true or false" });
        optional = undefined;
      } else optional = payload["optional"];
    }
    if (hostPath === undefined || environmentPath === undefined || readOnly === undefined || shared === undefined || optional === undefined) return undefined;
    return { kind: "Filesystem", hostPath, environmentPath, readOnly, shared, optional };
  }
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The smallest memory limit a spec may set (bytes). */
export const MIN_MEMORY = 1024 * 1024;

/** Bytes: a whole number, or a string like "64M" (K, M, G, T = powers of 1024). */
export function parseSize(value: unknown): number | string {
  const expected = 'bytes: a whole number, or a string like "64M" (K, M, G or T)';
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : expected;
  const m = typeof value === "string" ? value.match(/^(\d+)([KMGT]?)$/) : null;
  if (m === null) return expected;
  const n = Number(m[1]) * SIZE_UNITS[m[2]!]!;
  return Number.isSafeInteger(n) ? n : expected;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds: seconds as a number, or a string like "500ms", "30s", "5m", "1h". */
export function parseDuration(value: unknown): number | string {
  const expected = 'a duration: seconds (a number), or a string like "500ms", "30s", "5m"';
  if (typeof value === "number") {
    const ms = Math.round(value * 1000);
    return ms >= 1 && ms <= 31_536_000_000 ? ms : expected;
  }
  const m = typeof value === "string" ? value.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/) : null;
  if (m === null) return expected;
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
  return ms >= 1 && ms <= 31_536_000_000 ? ms : expected;
}

function unreachable(value: never): never {
  throw new Error(`internal: unhandled variant ${String(value)}`);
}

/** The Spec of a walk without errors: paths dropped, environment deduplicated. */
function finish(entrypoints: LocatedEntrypoint[]): Spec {
  return {
    entrypoints: entrypoints.map(
      (ep): Entrypoint => ({
        name: ep.name,
        // A walk without errors read every trigger.
        trigger: ep.trigger?.value ?? { kind: "Startup" },
        args: ep.args.map((a) => a.value),
        environment: dedupeGrants(ep.environment.map((g) => g.value)),
      }),
    ),
  };
}
