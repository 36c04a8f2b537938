/**
 * Property tests (fast-check, bounded runs):
 * - no JSON value, near-miss spec or text makes the parser throw, and a
 *   result is either a spec or at least one error;
 * - the JSON scanner agrees with JSON.parse on which texts are JSON;
 * - well-formed specs, generated from the variant table, always parse, keep
 *   their entrypoints and arguments, and validate against the JSON Schema.
 *
 * The generator of well-formed specs takes its variant names from the
 * variant table; payload generators are keyed by the table's data-variant
 * names, so a variant added to the table without a generator here is a
 * compile error. Pipes and file sockets are generated as whole connections
 * (a reader and its writers) so the cross-entrypoint rules hold.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { formatDiagnostics } from "../../src/spec/format.js";
import { scanJson } from "../../src/spec/json-text.js";
import { parseSpec, parseSpecValue } from "../../src/spec/parse.js";
import { specJsonSchema } from "../../src/spec/schema.js";
import type { ParseResult } from "../../src/spec/types.js";
import { ARG_TABLE, type DataVariantName, type EnumTable, FAMILY_TABLE, GRANT_TABLE, RPC_OPERATION_TABLE, TRIGGER_TABLE } from "../../src/spec/variants.js";

const RUNS = { numRuns: 500 };

function wellFormedResult(result: ParseResult): boolean {
  return result.ok ? result.spec.entrypoints.length > 0 : result.errors.length > 0;
}

// ---- arbitrary building blocks ----

type Json = unknown;

const name = fc.string({ minLength: 1, maxLength: 10 });
const entrypointName = name.filter((n) => !n.includes("/") && !n.includes("\0"));
const segment = fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom("a", "b", ".", "-", "é", " ") }).filter((s) => s !== "." && s !== "..");
const absolutePath = fc.oneof(
  fc.constant("/"),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
);
const environmentPath = absolutePath.filter((p) => !/^\/(proc|dev\/null)(\/|$)/.test(p));
const utsName = fc.string({ minLength: 1, maxLength: 16 }).filter((s) => !s.includes("\0"));
const listenAddr = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => `${ip}:${port}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => `[${ip}]:${port}`),
);

/** A unit variant in either written form. */
function unitForm(variantName: string): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(variantName) }, fc.constant({ [variantName]: null }));
}

/**
 * Every current variant of a table, except those in `skip`; data variants
 * take their payload from `payloads`.
 */
function variantsOf<T extends EnumTable>(table: T, payloads: Partial<Record<DataVariantName<T>, fc.Arbitrary<Json>>>, skip: readonly string[] = []): fc.Arbitrary<Json> {
  const byName: Partial<Record<string, fc.Arbitrary<Json>>> = payloads;
  const options = table.variants
    .filter((v) => !skip.includes(v.name) && !(v.unit && v.replacedBy !== undefined))
    .map((v) => {
      if (v.unit) return unitForm(v.name);
      const payload = byName[v.name];
      if (payload === undefined) throw new Error(`no payload generator for ${v.name}`);
      return payload.map((p) => ({ [v.name]: p }));
    });
  return fc.oneof(...options);
}

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> => fc.oneof(arb, fc.constant(null), fc.constant(undefined));

const rpcTarget = fc
  .record({
    family: nullable(variantsOf(FAMILY_TABLE, {})),
    port: nullable(fc.integer({ min: 1, max: 65535 })),
    host: nullable(fc.domain()),
  })
  .map((target) => Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined)));

const rpcPayloads: Record<DataVariantName<typeof RPC_OPERATION_TABLE>, fc.Arbitrary<Json>> = {
  OpenTcpSocket: rpcTarget,
  OpenUdpSocket: rpcTarget,
};

/** Arguments that need no wiring; Pipe, FileSocket and Trigger are added with their connections. */
const freeArgPayloads: Record<Exclude<DataVariantName<typeof ARG_TABLE>, "Pipe" | "FileSocket">, fc.Arbitrary<Json>> = {
  File: absolutePath,
  TcpListener: fc.oneof(
    listenAddr.map((addr) => ({ addr })),
    fc.integer({ min: 0, max: 65535 }).map((port) => ({ port })),
  ),
  Rpc: fc.array(variantsOf(RPC_OPERATION_TABLE, rpcPayloads), { minLength: 1, maxLength: 3 }),
};
const freeArg = variantsOf(ARG_TABLE, freeArgPayloads, ["Pipe", "FileSocket", "Trigger"]);

const grantPayloads: Record<DataVariantName<typeof GRANT_TABLE>, fc.Arbitrary<Json>> = {
  Filesystem: fc
    .record({ host_path: absolutePath, environment_path: environmentPath, read_only: fc.boolean() })
    .chain((fs) => fc.constantFrom(fs, { host_path: fs.host_path, environment_path: fs.environment_path })),
  Hostname: utsName,
  DomainName: utsName,
  Seccomp: fc.record({ allow: fc.subarray(["ptrace", "bpf", "keyctl"]), deny: fc.subarray(["socket", "connect", "bind"]) }).map((s) => s as Json),
  Limits: fc.record({ memory: fc.constantFrom("64M", 1048576), pids: fc.integer({ min: 1, max: 1000 }), timeout: fc.constantFrom("30s", 2) }, { requiredKeys: [] }).map((l) => l as Json),
  Tmpfs: fc.record({ path: environmentPath.filter((p) => p !== "/"), size: fc.constantFrom("64M", 4096, "1G") }, { requiredKeys: ["path"] }).map((t) => t as Json),
  WorkingDirectory: absolutePath,
  Executable: absolutePath,
  LibraryPath: absolutePath.filter((p) => !/[:;$]/.test(p)),
  Library: absolutePath,
  Env: fc.record({ LANG: fc.constantFrom("C.UTF-8", "en_GB.UTF-8"), HOME: absolutePath }, { requiredKeys: [] }).map((e) => e as Json),
  PassEnv: fc.subarray(["TERM", "TZ", "USER"]),
  // Port 0 on the host: never a duplicate address (see uniqueListeners for TcpListeners).
  Forward: fc
    .record({ protocol: fc.constantFrom("Udp", "Tcp"), host_addr: listenAddr.map((a) => `${a.slice(0, a.lastIndexOf(":"))}:0`), environment_port: fc.integer({ min: 1024, max: 65535 }) })
    .map((f) => f as Json),
  Connect: fc
    .record({
      protocol: fc.constantFrom("Udp", "Tcp"),
      environment_port: fc.integer({ min: 1, max: 65535 }),
      host_addr: fc.constantFrom("127.0.0.1:5432", "192.0.2.10:53", "[::1]:443", "[2001:db8::5]:8080"),
    })
    .map((f) => f as Json),
};
const grant = variantsOf(GRANT_TABLE, grantPayloads);

interface Connection {
  kind: "Pipe" | "FileSocket";
  name: string;
  reader: number;
  readerViaTrigger: boolean;
  writers: number[];
}

const connection = (kind: "Pipe" | "FileSocket"): fc.Arbitrary<Connection> =>
  fc.record({
    kind: fc.constant(kind),
    name,
    reader: fc.nat(),
    readerViaTrigger: fc.boolean(),
    writers: fc.array(fc.nat(), { minLength: 1, maxLength: kind === "Pipe" ? 1 : 3 }),
  });

interface RawEntrypoint {
  name: string;
  trigger?: Json;
  args?: Json[];
  environment?: Json[];
  triggerArgs: number;
}

const rawEntrypoint = fc.record({
  args: fc.option(fc.array(freeArg, { maxLength: 5 }), { nil: undefined }),
  environment: fc.option(fc.array(grant, { maxLength: 5 }), { nil: undefined }),
  triggerArgs: fc.integer({ min: 0, max: 2 }),
  explicitStartup: fc.boolean(),
});

/** Keep the first of each Hostname, DomainName, environment_path and seccomp setting; drop conflicting repeats. */
function consistentEnvironment(grants: Json[]): Json[] {
  const seen = new Map<string, string>();
  return grants.filter((g) => {
    if (typeof g === "object" && g !== null && "Limits" in g) {
      const text = JSON.stringify(g);
      const first = seen.get("limits");
      if (first === undefined) seen.set("limits", text);
      return first === undefined || first === text;
    }
    if (g === "SeccompUnconfined" || (typeof g === "object" && g !== null && ("Seccomp" in g || "SeccompUnconfined" in g))) {
      const text = JSON.stringify(g);
      const first = seen.get("seccomp");
      if (first === undefined) seen.set("seccomp", text);
      return first === undefined || first === text;
    }
    if (typeof g !== "object" || g === null) return true;
    const [kind, payload] = Object.entries(g)[0] ?? [];
    if (kind === undefined || payload === null) return true;
    // One socket per protocol and port in the void: a Connect's, or the one a Forward relays to.
    if (kind === "Connect" || kind === "Forward") {
      const p = payload as { protocol: string; environment_port: number };
      const port = `port:${p.protocol}:${p.environment_port}`;
      const text = JSON.stringify(g);
      const first = seen.get(port);
      if (first === undefined) seen.set(port, text);
      else if (first !== text) return false;
    }
    const key = kind === "Filesystem" ? `fs:${(payload as { environment_path: string }).environment_path}` : kind === "Tmpfs" ? `fs:${(payload as { path: string }).path}` : kind;
    const value = JSON.stringify(payload, ["host_path", "environment_path", "read_only"]);
    const text = kind === "Filesystem" ? value : JSON.stringify(payload);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, text);
    return first === undefined || first === text;
  });
}

/** Rewrite repeated listen addresses to port 0 so no two listeners collide. */
function uniqueListeners(entrypoints: RawEntrypoint[]): void {
  const seen = new Set<string>();
  for (const ep of entrypoints) {
    ep.args = ep.args?.map((arg) => {
      if (typeof arg !== "object" || arg === null || !("TcpListener" in arg)) return arg;
      const payload = (arg as { TcpListener: { addr?: string; port?: number } }).TcpListener;
      const addr = payload.addr ?? `0.0.0.0:${payload.port}`;
      if (addr.endsWith(":0") || !seen.has(addr)) {
        seen.add(addr);
        return arg;
      }
      return { TcpListener: { addr: `${addr.slice(0, addr.lastIndexOf(":"))}:0` } };
    });
  }
}

/** Wire the connections into the entrypoints; entrypoint 0 always stays a Startup entrypoint. */
function wire(entrypoints: RawEntrypoint[], connections: Connection[]): void {
  const at = (i: number): RawEntrypoint => entrypoints[i % entrypoints.length]!;
  for (const c of connections) {
    const reader = at(c.reader);
    const canTrigger = c.readerViaTrigger && reader !== entrypoints[0] && reader.trigger === undefined;
    if (canTrigger) reader.trigger = { [c.kind]: c.name };
    else reader.args = [...(reader.args ?? ["BinaryName"]), { [c.kind]: { Rx: c.name } }];
    for (const w of c.writers) {
      const writer = at(w);
      writer.args = [...(writer.args ?? ["BinaryName"]), { [c.kind]: { Tx: c.name } }];
    }
  }
  for (const ep of entrypoints) {
    if (typeof ep.trigger !== "object") continue; // absent or "Startup": no Trigger argument
    // Last; with a FileSocket trigger once (a packet's fd count would move what follows it).
    const triggers = ep.trigger !== null && "FileSocket" in ep.trigger ? Math.min(ep.triggerArgs, 1) : ep.triggerArgs;
    for (let i = 0; i < triggers; i++) ep.args = [...(ep.args ?? ["BinaryName"]), "Trigger"];
    // A Forward is valid only in a Startup entrypoint.
    if (ep.environment !== undefined) ep.environment = ep.environment.filter((g) => typeof g !== "object" || g === null || !("Forward" in g));
  }
  for (const ep of entrypoints) {
    // A Connect is invalid where the void holds sockets of the host's network (their connect() is refused).
    const hostSockets =
      (typeof ep.trigger === "object" && ep.trigger !== null && "FileSocket" in ep.trigger) ||
      (ep.args ?? []).some((a) => typeof a === "object" && a !== null && ("TcpListener" in a || "Rpc" in a || "FileSocket" in a));
    if (hostSockets && ep.environment !== undefined) ep.environment = ep.environment.filter((g) => typeof g !== "object" || g === null || !("Connect" in g));
  }
}

const uniqueNames = <T>(arb: fc.Arbitrary<T[]>, key: (t: T) => string): fc.Arbitrary<T[]> =>
  arb.map((items) => {
    const seen = new Set<string>();
    return items.filter((item) => !seen.has(key(item)) && seen.add(key(item)) !== undefined);
  });

/** A well-formed spec: the JSON value plus what its parse must contain. */
const wellFormedSpec = fc
  .record({
    names: fc.uniqueArray(entrypointName, { minLength: 1, maxLength: 5 }),
    raws: fc.array(rawEntrypoint, { minLength: 5, maxLength: 5 }),
    pipes: uniqueNames(fc.array(connection("Pipe"), { maxLength: 4 }), (c) => c.name),
    sockets: uniqueNames(fc.array(connection("FileSocket"), { maxLength: 3 }), (c) => c.name),
    schema: fc.boolean(),
  })
  .map(({ names, raws, pipes, sockets, schema }) => {
    const entrypoints: RawEntrypoint[] = names.map((n, i) => {
      const raw = raws[i]!;
      const ep: RawEntrypoint = { name: n, triggerArgs: raw.triggerArgs };
      if (raw.args !== undefined) ep.args = raw.args;
      if (raw.environment !== undefined) ep.environment = consistentEnvironment(raw.environment);
      if (raw.explicitStartup) ep.trigger = "Startup";
      return ep;
    });
    wire(entrypoints, [...pipes, ...sockets]);
    uniqueListeners(entrypoints);
    const json: Record<string, Json> = {
      entrypoints: Object.fromEntries(
        entrypoints.map((ep) => {
          const body: Record<string, Json> = {};
          if (ep.trigger !== undefined) body["trigger"] = ep.trigger;
          if (ep.args !== undefined) body["args"] = ep.args;
          if (ep.environment !== undefined) body["environment"] = ep.environment;
          return [ep.name, body];
        }),
      ),
    };
    if (schema) json["$schema"] = "./void.schema.json";
    return { json, entrypoints };
  });

// ---- near misses: the spec's shape with random values in random places ----

const anything = fc.jsonValue({ maxDepth: 3 });
const nearArg = fc.oneof(freeArg, anything, variantsOf(TRIGGER_TABLE, { Pipe: name, FileSocket: name }));
const nearSpec = fc.record(
  {
    entrypoints: fc.dictionary(
      fc.oneof(entrypointName, fc.constantFrom("", "a/b", "__proto__", "constructor")),
      fc.oneof(
        fc.record(
          {
            trigger: fc.oneof(variantsOf(TRIGGER_TABLE, { Pipe: name, FileSocket: name }), anything),
            args: fc.oneof(fc.array(nearArg, { maxLength: 6 }), anything),
            environment: fc.oneof(fc.array(fc.oneof(grant, anything), { maxLength: 4 }), anything),
            extra: anything,
          },
          { requiredKeys: [] },
        ),
        anything,
      ),
      { maxKeys: 4 },
    ),
    other: anything,
  },
  { requiredKeys: [] },
);

describe("the parser never throws", () => {
  it("on any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => wellFormedResult(parseSpecValue(value))),
      RUNS,
    );
  });

  it("on near-miss specs", () => {
    fc.assert(
      fc.property(nearSpec, (value) => wellFormedResult(parseSpecValue(value))),
      RUNS,
    );
  });

  it("on any text, and reports broken JSON with a line and column", () => {
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      nearSpec.map((v) => JSON.stringify(v)),
      fc.tuple(fc.json(), fc.nat(), fc.nat({ max: 3 })).map(([json, at, cut]) => json.slice(0, at % (json.length + 1)) + json.slice((at % (json.length + 1)) + cut)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const result = parseSpec(t);
        let isJson = true;
        try {
          JSON.parse(t);
        } catch {
          isJson = false;
        }
        if (!isJson) {
          assert.equal(result.ok, false);
          if (!result.ok) assert.match(result.errors[0]?.message ?? "", /^invalid JSON at line \d+, column \d+: /);
        }
        return wellFormedResult(result);
      }),
      RUNS,
    );
  });

  it("and its JSON scanner accepts exactly what JSON.parse accepts", () => {
    const text = fc.oneof(
      fc.json(),
      fc.string({ unit: fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "1", "0", "-", ".", "e", "t", " ", "\\", "u") }),
      fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 2 })).map(([json, at, insert]) => json.slice(0, at % (json.length + 1)) + insert + json.slice(at % (json.length + 1))),
    );
    fc.assert(
      fc.property(text, (t) => {
        let isJson = true;
        try {
          JSON.parse(t);
        } catch {
          isJson = false;
        }
        return (scanJson(t).error === undefined) === isJson;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("well-formed specs", () => {
  const validate = new Ajv2020({ strict: true }).compile(specJsonSchema());

  it("always parse, keeping every entrypoint and argument in order", () => {
    fc.assert(
      fc.property(wellFormedSpec, ({ json, entrypoints }) => {
        const result = parseSpecValue(json);
        if (!result.ok) assert.fail(`${JSON.stringify(json)}\n${formatDiagnostics(result.errors)}`);
        // A JavaScript object lists integer-like keys first; parseSpec(text) keeps the file's order instead.
        assert.deepEqual(
          result.spec.entrypoints.map((e) => e.name),
          Object.keys(json["entrypoints"] as object),
        );
        for (const parsed of result.spec.entrypoints) {
          const raw = entrypoints.find((e) => e.name === parsed.name);
          assert.equal(parsed.args.length, raw?.args?.length ?? 1);
          assert.ok(parsed.environment.length <= (raw?.environment?.length ?? 0));
        }
        assert.ok(result.spec.entrypoints.some((e) => e.trigger.kind === "Startup"));
      }),
      RUNS,
    );
  });

  it("parse the same from text as from the value", () => {
    fc.assert(
      fc.property(wellFormedSpec, ({ json }) => {
        assert.deepEqual(parseSpec(JSON.stringify(json, null, 2)), parseSpecValue(json));
      }),
      { numRuns: 200 },
    );
  });

  it("validate against the JSON Schema", () => {
    fc.assert(
      fc.property(wellFormedSpec, ({ json }) => {
        assert.ok(validate(json), `${JSON.stringify(json)}: ${JSON.stringify(validate.errors)}`);
      }),
      RUNS,
    );
  });
});
