/**
 * Strict, property-based fuzzing of the spec parser and of runtime specs.
 *
 * The properties live here so that the suite (test/unit/spec-fuzz-strict.test.ts)
 * runs them for a few seconds and `npm run fuzz` (this file as a program)
 * runs them for as long as one likes:
 *
 *   FUZZ_SECONDS   wall-clock budget of the whole run (default 600)
 *   FUZZ_RUNS      most runs in all, shared between the properties (default 200000)
 *   FUZZ_SEED      fast-check seed (default: random, printed)
 *   FUZZ_ONLY      run only the properties whose name contains this text
 *
 * The properties:
 * - invalid-by-construction specs: a valid fixture (test/fixtures/specs/valid
 *   and a few richer ones below) with one or more mutations, each of which
 *   breaks a documented rule (docs/spec.md, "Validation rules"), is never
 *   accepted, from a value or from text; a single mutation is reported at
 *   the place it was made;
 * - valid-by-construction specs (the fixtures with rule-preserving
 *   mutations) are accepted, and written back with specToValue they parse to
 *   the same spec and are accepted unchanged as a runtime spec;
 * - anything (JavaScript values, JSON texts, hostile texts) never makes
 *   parseSpec, parseSpecValue, applyRuntime or applyRuntimeValue throw, and
 *   the diagnostics they give format as one line each, with no control
 *   character;
 * - runtime specs never widen: a runtime document with a widening made on
 *   purpose (a new entrypoint, argument, bind, grant, RPC host or port,
 *   writable bind, looser limits or seccomp filter, another trigger or pipe)
 *   is refused, and whatever random runtime document is accepted, alone or
 *   stacked with others, yields a spec that an independent oracle
 *   (`withinCompiled`) finds no wider than the compile-time spec.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { indexPath, keyPath } from "../../src/spec/diagnostics.js";
import { formatDiagnostics, resultDiagnostics } from "../../src/spec/format.js";
import { parseSpec, parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntime, applyRuntimeValue, formatRuntimeDiagnostics, type RuntimeResult, resolveRuntime, specToValue, triggerToValue } from "../../src/spec/runtime.js";
import type { Arg, Diagnostic, Entrypoint, Grant, ResourceLimits, RpcOperation, Spec } from "../../src/spec/types.js";
import { ARG_TABLE, DIRECTION_TABLE, FAMILY_TABLE, GRANT_TABLE, RPC_OPERATION_TABLE, TRIGGER_TABLE } from "../../src/spec/variants.js";

// biome-ignore lint/suspicious/noExplicitAny: spec JSON is edited in place, shape checked by the code that finds each site
type J = any;
type Obj = Record<string, J>;

// ---- fixtures ----

const root = fileURLToPath(new URL("../../../", import.meta.url));
const validDir = `${root}test/fixtures/specs/valid/`;

/** Richer compile-time specs: Limits, Seccomp, several Rpc operations, writable binds, sockets with several writers. */
const EXTRA_FIXTURES: Record<string, Obj> = {
  "extra-limits.json": {
    entrypoints: {
      web: {
        args: [
          "BinaryName",
          "Entrypoint",
          { TcpListener: { addr: "127.0.0.1:8080" } },
          { File: "/etc/ssl/cert.pem" },
          { Pipe: { Tx: "requests" } },
          {
            Rpc: [
              { OpenTcpSocket: { family: null, port: 443, host: null } },
              { OpenTcpSocket: { family: "Inet6", port: null, host: "api.example.org" } },
              { OpenUdpSocket: { family: "Inet", port: 53, host: "192.0.2.53" } },
            ],
          },
          "Trailing",
        ],
        environment: [
          { Filesystem: { host_path: "/etc/app", environment_path: "/config" } },
          { Filesystem: { host_path: "/var/lib/app", environment_path: "/state", read_only: false } },
          { Hostname: "web" },
          "Stdout",
          { Seccomp: { allow: ["ptrace"], deny: ["socket"] } },
          { Limits: { memory: "64M", memory_swap: 0, pids: 32, cpu_weight: 50, cpu_max: 0.5, timeout: "30s" } },
        ],
      },
      handler: {
        trigger: { Pipe: "requests" },
        args: ["BinaryName", "Entrypoint", "Trigger", { FileSocket: { Tx: "out" } }],
        environment: ["Stderr", "SeccompUnconfined", { Limits: { concurrency: 4, timeout: 2 } }],
      },
      sink: {
        trigger: { FileSocket: "out" },
        args: ["BinaryName", { Rpc: [{ OpenTcpSocket: { family: "Inet", port: 80, host: "example.org" } }] }, "Trigger"],
        environment: ["Procfs", { DomainName: "example" }],
      },
      feeder: {
        args: [{ FileSocket: { Tx: "out" } }, { TcpListener: { port: 9090 } }],
        environment: [{ Filesystem: { host_path: "/srv", environment_path: "/srv", read_only: true } }],
      },
    },
  },
  "extra-sockets.json": {
    entrypoints: {
      "front-door": {
        args: ["BinaryName", { FileSocket: { Tx: "conns" } }, { FileSocket: { Rx: "back" } }, { Pipe: { Rx: "log" } }],
        environment: ["Stdin", "Stdout", "Stderr"],
      },
      "side-door": { args: ["BinaryName", { FileSocket: { Tx: "conns" } }, { Pipe: { Tx: "log" } }] },
      worker: { trigger: { FileSocket: "conns" }, args: ["Entrypoint", { FileSocket: { Tx: "back" } }, "Trigger"], environment: [{ Seccomp: { deny: ["bind", "listen"] } }] },
    },
  },
};

export interface Fixture {
  name: string;
  value: Obj;
  spec: Spec;
}

function loadFixtures(): Fixture[] {
  const files: [string, Obj][] = readdirSync(validDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(validDir + f, "utf8")) as Obj]);
  return [...files, ...Object.entries(EXTRA_FIXTURES)].map(([name, value]) => {
    const parsed = parseSpecValue(value);
    if (!parsed.ok) throw new Error(`fixture ${name} is not valid:\n${formatDiagnostics(parsed.errors)}`);
    return { name, value, spec: parsed.spec };
  });
}

export const FIXTURES: Fixture[] = loadFixtures();

// ---- choices: a deterministic chooser fed by fast-check, so runs shrink and replay ----

class Choices {
  private i = 0;
  constructor(private readonly seeds: readonly number[]) {}
  nat(n: number): number {
    if (n <= 0) return 0;
    const s = this.seeds[this.i % this.seeds.length] ?? 0;
    this.i++;
    return s % n;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from nothing");
    return items[this.nat(items.length)]!;
  }
  chance(percent: number): boolean {
    return this.nat(100) < percent;
  }
}

const seeds = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 16, maxLength: 16 });

// ---- walking a spec value ----

const isObj = (v: J): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const variantName = (item: J): string | undefined => (typeof item === "string" ? item : isObj(item) ? Object.keys(item)[0] : undefined);

interface EpSite {
  name: string;
  path: string;
  ep: Obj;
}

function entrypoints(v: Obj): EpSite[] {
  return Object.entries(v["entrypoints"] as Obj).map(([name, ep]) => ({ name, path: keyPath("entrypoints", name), ep: ep as Obj }));
}

/** The args list of an entrypoint, made explicit (absent means ["BinaryName"]). */
function argsOf(ep: Obj): J[] {
  if (!Array.isArray(ep["args"])) ep["args"] = ["BinaryName"];
  return ep["args"];
}

function envOf(ep: Obj): J[] {
  if (!Array.isArray(ep["environment"])) ep["environment"] = [];
  return ep["environment"];
}

const isStartup = (ep: Obj): boolean => {
  const t = ep["trigger"];
  return t === undefined || t === "Startup" || (isObj(t) && Object.keys(t)[0] === "Startup");
};

interface ItemSite {
  ep: EpSite;
  list: J[];
  index: number;
  path: string;
  item: J;
}

function items(v: Obj, which: "args" | "environment"): ItemSite[] {
  return entrypoints(v).flatMap((e) => {
    const list = which === "args" ? argsOf(e.ep) : envOf(e.ep);
    return list.map((item, index) => ({ ep: e, list, index, path: indexPath(keyPath(e.path, which), index), item }));
  });
}

const argsOfKind = (v: Obj, kind: string) => items(v, "args").filter((s) => variantName(s.item) === kind);
const grantsOfKind = (v: Obj, kind: string) => items(v, "environment").filter((s) => variantName(s.item) === kind);

/** Every Rpc operation: its object, its variant name, its path. */
function rpcOps(v: Obj): { op: Obj; kind: string; path: string; site: ItemSite }[] {
  return argsOfKind(v, "Rpc").flatMap((site) => (site.item["Rpc"] as J[]).map((op, j) => ({ op, kind: Object.keys(op)[0]!, path: indexPath(keyPath(site.path, "Rpc"), j), site })));
}

/** Sets an own property, even "__proto__" (plain assignment would set the prototype). */
function setOwn(o: Obj, key: string, value: J): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function insertAt(list: J[], index: number, item: J): number {
  const at = Math.min(index, list.length);
  list.splice(at, 0, item);
  return at;
}

// ---- names ----

function tableNames(table: { variants: readonly { name: string }[] }): string[] {
  return table.variants.map((v) => v.name);
}

/** Every name any variant table accepts, stale spellings included. */
const ALL_VARIANT_NAMES = new Set([
  ...tableNames(TRIGGER_TABLE),
  ...tableNames(ARG_TABLE),
  ...tableNames(DIRECTION_TABLE),
  ...tableNames(RPC_OPERATION_TABLE),
  ...tableNames(FAMILY_TABLE),
  ...tableNames(GRANT_TABLE),
]);

/** A misspelling of `name` that no table accepts. */
function misspell(name: string, c: Choices): string {
  const at = c.nat(Math.max(name.length, 1));
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_- 0é";
  const forms = [
    name.toLowerCase(),
    name.toUpperCase(),
    name.slice(0, at) + name.slice(at + 1),
    name.slice(0, at) + name.charAt(at) + name.slice(at),
    name.slice(0, at) + (name.charAt(at + 1) ?? "") + name.charAt(at) + name.slice(at + 2),
    name.slice(0, at) + c.pick([...letters]) + name.slice(at + 1),
    `${name}s`,
    ` ${name}`,
    `${name}\u0000`,
    name.charAt(0) === name.charAt(0).toUpperCase() ? name.charAt(0).toLowerCase() + name.slice(1) : name.charAt(0).toUpperCase() + name.slice(1),
  ];
  const candidate = c.pick(forms);
  return candidate !== name && !ALL_VARIANT_NAMES.has(candidate) ? candidate : `${name}x`;
}

// ---- invalidating mutations ----

/** What a mutation did: the path where the error belongs (when there is one place), and a description. */
export interface Applied {
  kind: string;
  path?: string;
  what: string;
}

interface Mutation {
  kind: string;
  /** Two mutations of one group could cancel out (an end dropped and one added, an item moved and moved back): at most one per spec. */
  group?: string;
  /** Breaks the shape other mutations walk: at most one per spec, applied last. */
  last?: boolean;
  apply(v: Obj, c: Choices): Applied | undefined;
}

const BAD_PATHS = ["relative", "etc/hosts", "./x", "/a/../b", "/a/./b", "/a//b", "/a/", "//", "", "/a/\u0000b", "/..", "/.", "~/x", " /x", ".", "..", "/a/.."];
const RESERVED = ["/proc", "/proc/self", "/proc/1/root", "/dev/null", "/dev/null/x"];
const BAD_PORTS_IN_ADDR = ["65536", "70000", "99999", "100000", "123456", "-1", "", "8o80", "0x50", "1e3", "+80", " 80"];
const BAD_ADDRS = [
  "localhost:80",
  "127.0.0.01:80",
  "[fe80::1%eth0]:80",
  "1.2.3.4",
  "[::1]80",
  "256.1.1.1:80",
  "::1:80",
  "[::1]:",
  "1.2.3:80",
  "0x7f.0.0.1:80",
  " 127.0.0.1:80",
  "127.0.0.1:80 ",
  "[127.0.0.1]:80",
  "[1::2::3]:80",
  "8080",
  ":80",
  "[]:80",
  "127.0.0.1:80:80",
];
const BAD_RPC_PORTS: J[] = [0, -1, 65536, 70000, 1.5, "443", true, 1e10];
const BAD_RPC_HOSTS: J[] = ["", "a b", "x\ny", "tab\there", "\u0000", "\u00a0x", "x\u2003y", "x\u3000", "\u007fx", "\ufeffx", 42, [], {}];
const BAD_UTS = ["", "x".repeat(65), "é".repeat(33), "😀".repeat(17), "a\u0000b", 7, null, ["x"]];
const BAD_NAMES = ["", "a/b", "/", "x\u0000y", "/leading", "trailing/"];
const UNKNOWN_KEYS = [
  "entrypoint",
  "Entrypoints",
  "trigers",
  "arg",
  "enviroment",
  "host-path",
  "readonly",
  "adr",
  "famliy",
  "prot",
  "hosts",
  "alow",
  "memroy",
  "x",
  "",
  "__proto__x",
  "constructor",
  "toString",
];

/** Wrong-typed values for a place that wants `kind`. */
const WRONG: Record<string, J[]> = {
  root: [[], "x", 1, null, true],
  entrypoints: [[], "x", 1, null, true],
  ep: [[], 1, "x", null, true],
  args: [42, "BinaryName", {}, null, true, { BinaryName: null }],
  environment: [{}, "Stdout", 1, null, true],
  trigger: [7, [], true, null, { Pipe: 3 }, { Pipe: null }, { Pipe: "" }, { FileSocket: ["x"] }, { Pipe: "a", FileSocket: "b" }, {}],
  item: [1, null, true, [], {}, { File: "/a", Pipe: { Rx: "p" } }, [["BinaryName"]]],
  path: [1, null, ["/a"], {}, true],
  rpcList: [{}, "x", null, 1],
  rpcOp: [[], 1, "x", null, true],
  readOnly: ["false", 0, null, "true", 1],
};

const mutations: Mutation[] = [
  {
    kind: "misspelt variant",
    apply(v, c) {
      const sites: { path: string; get: () => string; set: (n: string) => void }[] = [];
      const renameKey = (o: Obj, path: string) => {
        const old = Object.keys(o)[0]!;
        sites.push({
          path,
          get: () => old,
          set: (n) => {
            const value = o[old];
            delete o[old];
            o[n] = value;
          },
        });
      };
      const replaceIn = (list: J[], i: number, path: string) => sites.push({ path, get: () => list[i], set: (n) => (list[i] = n) });
      for (const e of entrypoints(v)) {
        const t = e.ep["trigger"];
        const tPath = keyPath(e.path, "trigger");
        if (typeof t === "string") sites.push({ path: tPath, get: () => t, set: (n) => (e.ep["trigger"] = n) });
        else if (isObj(t)) renameKey(t, tPath);
      }
      for (const which of ["args", "environment"] as const) {
        for (const s of items(v, which)) {
          if (typeof s.item === "string") replaceIn(s.list, s.index, s.path);
          else if (isObj(s.item)) {
            renameKey(s.item, s.path);
            const name = variantName(s.item)!;
            const payload = s.item[name];
            if ((name === "Pipe" || name === "FileSocket") && isObj(payload)) renameKey(payload, keyPath(s.path, name));
          }
        }
      }
      for (const { op, kind, path } of rpcOps(v)) {
        renameKey(op, path);
        const payload = op[kind];
        if (isObj(payload) && typeof payload["family"] === "string") {
          const famPath = keyPath(keyPath(path, kind), "family");
          sites.push({ path: famPath, get: () => payload["family"], set: (n) => (payload["family"] = n) });
        }
      }
      if (sites.length === 0) return undefined;
      const site = c.pick(sites);
      const old = site.get();
      const bad = misspell(old, c);
      site.set(bad);
      return { kind: this.kind, path: site.path, what: `${JSON.stringify(old)} -> ${JSON.stringify(bad)} at ${site.path}` };
    },
  },
  {
    kind: "bad host path",
    apply(v, c) {
      const sites: { path: string; set: (p: string) => void; old: string }[] = [];
      for (const s of argsOfKind(v, "File")) sites.push({ path: keyPath(s.path, "File"), old: s.item["File"], set: (p) => (s.item["File"] = p) });
      for (const s of grantsOfKind(v, "Filesystem")) {
        const fs = s.item["Filesystem"] as Obj;
        for (const key of ["host_path", "environment_path"]) {
          sites.push({ path: keyPath(keyPath(s.path, "Filesystem"), key), old: fs[key], set: (p) => (fs[key] = p) });
        }
      }
      if (sites.length === 0) {
        const e = c.pick(entrypoints(v));
        const list = argsOf(e.ep);
        const at = insertAt(list, c.nat(list.length + 1), { File: "/etc/hosts" });
        const s = list[at] as Obj;
        sites.push({ path: keyPath(indexPath(keyPath(e.path, "args"), at), "File"), old: "/etc/hosts", set: (p) => (s["File"] = p) });
      }
      const site = c.pick(sites);
      const derived = [site.old.replace(/^\//, ""), `${site.old}/`, `${site.old}/.`, `${site.old}/../x`, site.old.replace(/\//g, "//"), `/./${site.old.slice(1)}`];
      const bad = c.chance(50) ? c.pick(BAD_PATHS) : c.pick(derived.filter((p) => p !== site.old && p !== "/"));
      site.set(bad);
      return { kind: this.kind, path: site.path, what: `${JSON.stringify(site.old)} -> ${JSON.stringify(bad)} at ${site.path}` };
    },
  },
  {
    kind: "reserved environment_path",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const existing = env.map((g, i) => [g, i] as const).filter(([g]) => variantName(g) === "Filesystem");
      const bad = c.pick(RESERVED);
      let index: number;
      if (existing.length > 0 && c.chance(50)) {
        const [g, i] = c.pick(existing);
        g["Filesystem"]["environment_path"] = bad;
        index = i;
      } else {
        index = insertAt(env, c.nat(env.length + 1), { Filesystem: { host_path: "/srv", environment_path: bad } });
      }
      const path = keyPath(keyPath(indexPath(keyPath(e.path, "environment"), index), "Filesystem"), "environment_path");
      return { kind: this.kind, path, what: `environment_path ${bad} at ${path}` };
    },
  },
  {
    kind: "port out of range",
    apply(v, c) {
      const sites: { path: string; set: () => J }[] = [];
      for (const s of argsOfKind(v, "TcpListener")) {
        const t = s.item["TcpListener"] as Obj;
        if (typeof t["addr"] === "string") {
          const addr = t["addr"] as string;
          sites.push({
            path: keyPath(keyPath(s.path, "TcpListener"), "addr"),
            set: () => (t["addr"] = `${addr.slice(0, addr.lastIndexOf(":"))}:${c.pick(BAD_PORTS_IN_ADDR)}`),
          });
        } else {
          sites.push({ path: keyPath(keyPath(s.path, "TcpListener"), "port"), set: () => (t["port"] = c.pick<J>([65536, -1, 1.5, 1e10, "80", null, 99999])) });
        }
      }
      for (const { op, kind, path } of rpcOps(v)) {
        const payload = op[kind] as Obj;
        sites.push({ path: keyPath(keyPath(path, kind), "port"), set: () => (payload["port"] = c.pick(BAD_RPC_PORTS)) });
      }
      if (sites.length === 0) {
        const e = c.pick(entrypoints(v));
        const list = argsOf(e.ep);
        const at = insertAt(list, c.nat(list.length + 1), { TcpListener: { addr: "127.0.0.1:0" } });
        const t = list[at]["TcpListener"] as Obj;
        sites.push({ path: keyPath(keyPath(indexPath(keyPath(e.path, "args"), at), "TcpListener"), "addr"), set: () => (t["addr"] = `127.0.0.1:${c.pick(BAD_PORTS_IN_ADDR)}`) });
      }
      const site = c.pick(sites);
      const value = site.set();
      return { kind: this.kind, path: site.path, what: `${JSON.stringify(value)} at ${site.path}` };
    },
  },
  {
    kind: "bad listen address",
    apply(v, c) {
      const listeners = argsOfKind(v, "TcpListener");
      const bad = c.pick(BAD_ADDRS);
      if (listeners.length > 0 && c.chance(60)) {
        const s = c.pick(listeners);
        s.item["TcpListener"] = { addr: bad };
        const path = keyPath(keyPath(s.path, "TcpListener"), "addr");
        return { kind: this.kind, path, what: `addr ${JSON.stringify(bad)} at ${path}` };
      }
      const e = c.pick(entrypoints(v));
      const list = argsOf(e.ep);
      const at = insertAt(list, c.nat(list.length + 1), { TcpListener: { addr: bad } });
      const path = keyPath(keyPath(indexPath(keyPath(e.path, "args"), at), "TcpListener"), "addr");
      return { kind: this.kind, path, what: `addr ${JSON.stringify(bad)} at ${path}` };
    },
  },
  {
    kind: "Trigger in a Startup entrypoint",
    apply(v, c) {
      const startup = entrypoints(v).filter((e) => isStartup(e.ep));
      if (startup.length === 0) return undefined;
      const e = c.pick(startup);
      const list = argsOf(e.ep);
      const word = c.pick(["Trigger", "PipeTrigger", { Trigger: null }]);
      const at = insertAt(list, c.nat(list.length + 1), word);
      const path = indexPath(keyPath(e.path, "args"), at);
      return { kind: this.kind, path, what: `${JSON.stringify(word)} at ${path}` };
    },
  },
  {
    kind: "two different UTS names",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const kind = c.pick(["Hostname", "DomainName"]);
      const current = env.find((g) => variantName(g) === kind)?.[kind] as string | undefined;
      if (current === undefined) insertAt(env, c.nat(env.length + 1), { [kind]: "one" });
      const other = `${current ?? "one"}-${c.pick(["two", "x", "other"])}`;
      insertAt(env, c.nat(env.length + 1), { [kind]: other });
      const path = keyPath(e.path, "environment");
      return { kind: this.kind, path, what: `a second ${kind} ${JSON.stringify(other)} in ${path}` };
    },
  },
  {
    kind: "UTS name too long or empty",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const kind = c.pick(["Hostname", "DomainName"]);
      const bad = c.pick(BAD_UTS);
      const existing = env.findIndex((g) => variantName(g) === kind);
      const index = existing >= 0 ? existing : insertAt(env, c.nat(env.length + 1), {});
      env[index] = { [kind]: bad };
      const path = keyPath(indexPath(keyPath(e.path, "environment"), index), kind);
      return { kind: this.kind, path, what: `${kind} ${JSON.stringify(bad)} at ${path}` };
    },
  },
  {
    kind: "unknown key",
    apply(v, c) {
      const sites: { path: string; o: Obj; known: string[] }[] = [{ path: "", o: v, known: ["entrypoints", "$schema"] }];
      for (const e of entrypoints(v)) sites.push({ path: e.path, o: e.ep, known: ["trigger", "args", "environment"] });
      for (const s of grantsOfKind(v, "Filesystem")) sites.push({ path: keyPath(s.path, "Filesystem"), o: s.item["Filesystem"], known: ["host_path", "environment_path", "read_only"] });
      for (const s of grantsOfKind(v, "Seccomp")) sites.push({ path: keyPath(s.path, "Seccomp"), o: s.item["Seccomp"], known: ["allow", "deny"] });
      for (const s of grantsOfKind(v, "Limits")) {
        sites.push({ path: keyPath(s.path, "Limits"), o: s.item["Limits"], known: ["memory", "memory_swap", "pids", "cpu_weight", "cpu_max", "timeout", "concurrency"] });
      }
      for (const s of argsOfKind(v, "TcpListener")) sites.push({ path: keyPath(s.path, "TcpListener"), o: s.item["TcpListener"], known: ["addr", "port"] });
      for (const { op, kind, path } of rpcOps(v)) sites.push({ path: keyPath(path, kind), o: op[kind], known: ["family", "port", "host"] });
      const site = c.pick(sites);
      const key = c.pick(UNKNOWN_KEYS.filter((k) => !site.known.includes(k) && !Object.hasOwn(site.o, k)));
      site.o[key] = c.pick([1, "x", null, [], {}]);
      return { kind: this.kind, path: site.path, what: `key ${JSON.stringify(key)} at ${site.path === "" ? "the top" : site.path}` };
    },
  },
  {
    kind: "wrong type",
    last: true,
    apply(v, c) {
      const sites: { path: string; wrong: J[]; set: (x: J) => void }[] = [];
      const eps = v["entrypoints"] as Obj;
      for (const e of entrypoints(v)) {
        sites.push({ path: e.path, wrong: WRONG["ep"]!, set: (x) => (eps[e.name] = x) });
        sites.push({ path: keyPath(e.path, "args"), wrong: WRONG["args"]!, set: (x) => (e.ep["args"] = x) });
        sites.push({ path: keyPath(e.path, "environment"), wrong: WRONG["environment"]!, set: (x) => (e.ep["environment"] = x) });
        sites.push({ path: keyPath(e.path, "trigger"), wrong: WRONG["trigger"]!, set: (x) => (e.ep["trigger"] = x) });
      }
      for (const which of ["args", "environment"] as const) {
        for (const s of items(v, which)) {
          sites.push({ path: s.path, wrong: WRONG["item"]!, set: (x) => (s.list[s.index] = x) });
          const name = variantName(s.item)!;
          if (name === "File") sites.push({ path: keyPath(s.path, "File"), wrong: WRONG["path"]!, set: (x) => (s.item["File"] = x) });
          if (name === "Rpc") sites.push({ path: keyPath(s.path, "Rpc"), wrong: WRONG["rpcList"]!, set: (x) => (s.item["Rpc"] = x) });
          if (name === "Filesystem") {
            const fs = s.item["Filesystem"] as Obj;
            const p = keyPath(s.path, "Filesystem");
            sites.push({ path: keyPath(p, "read_only"), wrong: WRONG["readOnly"]!, set: (x) => (fs["read_only"] = x) });
            sites.push({ path: keyPath(p, "host_path"), wrong: WRONG["path"]!, set: (x) => (fs["host_path"] = x) });
            sites.push({ path: p, wrong: WRONG["item"]!, set: (x) => (s.item["Filesystem"] = x) });
          }
        }
      }
      for (const { op, kind, path } of rpcOps(v)) sites.push({ path: keyPath(path, kind), wrong: WRONG["rpcOp"]!, set: (x) => (op[kind] = x) });
      const site = c.pick(sites);
      const bad = structuredClone(c.pick(site.wrong));
      site.set(bad);
      return { kind: this.kind, path: site.path, what: `${JSON.stringify(bad)} at ${site.path}` };
    },
  },
  {
    kind: "top-level wrong type",
    last: true,
    apply(v, c) {
      const bad = structuredClone(c.pick(WRONG["entrypoints"]!));
      if (c.chance(50)) {
        v["entrypoints"] = bad;
        return { kind: this.kind, path: "entrypoints", what: `entrypoints = ${JSON.stringify(bad)}` };
      }
      if (c.chance(50)) {
        v["entrypoints"] = {};
        return { kind: this.kind, path: "entrypoints", what: "no entrypoint" };
      }
      delete v["entrypoints"];
      return { kind: this.kind, path: "", what: "no entrypoints key" };
    },
  },
  {
    kind: "bad entrypoint name",
    apply(v, c) {
      const list = entrypoints(v);
      const target = c.pick(list);
      const bad = c.pick(BAD_NAMES.filter((n) => !list.some((e) => e.name === n)));
      const rebuilt: Obj = {};
      for (const e of list) setOwn(rebuilt, e.name === target.name ? bad : e.name, e.ep);
      v["entrypoints"] = rebuilt;
      const path = keyPath("entrypoints", bad);
      return { kind: this.kind, path, what: `${JSON.stringify(target.name)} renamed ${JSON.stringify(bad)}` };
    },
  },
  {
    kind: "duplicate listener",
    apply(v, c) {
      const fixed = argsOfKind(v, "TcpListener").filter((s) => {
        const t = s.item["TcpListener"] as Obj;
        return typeof t["addr"] === "string" ? !(t["addr"] as string).endsWith(":0") : t["port"] !== 0;
      });
      const e = c.pick(entrypoints(v));
      const list = argsOf(e.ep);
      if (fixed.length > 0) {
        const s = c.pick(fixed);
        const copy = structuredClone(s.item);
        insertAt(list, c.nat(list.length + 1), copy);
        return { kind: this.kind, what: `a copy of ${JSON.stringify(copy)} in ${e.path}` };
      }
      const addr = c.pick(["127.0.0.1:8080", "[::1]:443", "0.0.0.0:1"]);
      insertAt(list, c.nat(list.length + 1), { TcpListener: { addr } });
      const other = c.pick(entrypoints(v));
      const otherList = argsOf(other.ep);
      insertAt(otherList, c.nat(otherList.length + 1), { TcpListener: { addr } });
      return { kind: this.kind, what: `${addr} twice` };
    },
  },
  {
    kind: "misplaced item",
    group: "move",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const args = argsOf(e.ep);
      const env = envOf(e.ep);
      const fromArgs = c.chance(50);
      if (fromArgs && args.length > 0) {
        const [item] = args.splice(c.nat(args.length), 1);
        const at = insertAt(env, c.nat(env.length + 1), item);
        const path = indexPath(keyPath(e.path, "environment"), at);
        return { kind: this.kind, path, what: `${JSON.stringify(item)} moved to ${path}` };
      }
      const item = env.length > 0 ? env.splice(c.nat(env.length), 1)[0] : c.pick(["Stdout", "Procfs", { Hostname: "h" }]);
      const at = insertAt(args, c.nat(args.length + 1), item);
      const path = indexPath(keyPath(e.path, "args"), at);
      return { kind: this.kind, path, what: `${JSON.stringify(item)} moved to ${path}` };
    },
  },
  {
    kind: "bad seccomp",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const bad = c.pick<J>([
        { Seccomp: { allow: ["not_a_syscall"] } },
        { Seccomp: { deny: ["ptrace", "sockett"] } },
        { Seccomp: { allow: ["ptrace"], deny: ["ptrace"] } },
        { Seccomp: { allow: "ptrace" } },
        { Seccomp: { allow: [1] } },
        { Seccomp: [] },
        { Seccomp: { allow: ["PTRACE"] } },
      ]);
      const at = insertAt(env, c.nat(env.length + 1), bad);
      const path = indexPath(keyPath(e.path, "environment"), at);
      return { kind: this.kind, path, what: `${JSON.stringify(bad)} at ${path}` };
    },
  },
  {
    kind: "two seccomp settings",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const has = env.find((g) => variantName(g) === "Seccomp" || variantName(g) === "SeccompUnconfined");
      const pair: J[] = has === undefined ? [{ Seccomp: { allow: ["ptrace"] } }, "SeccompUnconfined"] : [variantName(has) === "Seccomp" ? "SeccompUnconfined" : { Seccomp: {} }];
      for (const g of pair) insertAt(env, c.nat(env.length + 1), g);
      return { kind: this.kind, path: keyPath(e.path, "environment"), what: `${JSON.stringify(pair)} added to ${e.path}` };
    },
  },
  {
    kind: "bad limits",
    apply(v, c) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      const field = c.pick([
        ["pids", [0, -1, 4194305, 1.5, "32", null]],
        ["memory", ["64Q", -1, "64 M", 1.5, "", "-1M", "1E", true, 2 ** 60 * 16, 0, "64", "1023K", 1048575]],
        ["memory_swap", ["x", -5]],
        ["cpu_weight", [0, 10001, 50.5]],
        ["cpu_max", [0, 0.001, 5000, "0.5", -1]],
        ["timeout", [0, -1, "30", "0.4ms", "1d", 31536001, "", "30 s", null, "8761h"]],
        ["concurrency", [0, 100001, 2.5]],
      ] as const);
      const limits: Obj = { [field[0]]: c.pick(field[1] as readonly J[]) };
      const existing = env.findIndex((g) => variantName(g) === "Limits");
      const index = existing >= 0 ? existing : insertAt(env, c.nat(env.length + 1), {});
      env[index] = { Limits: limits };
      const path = keyPath(keyPath(indexPath(keyPath(e.path, "environment"), index), "Limits"), field[0]);
      return { kind: this.kind, path, what: `${JSON.stringify(limits)} at ${path}` };
    },
  },
  {
    kind: "bad rpc host",
    apply(v, c) {
      const ops = rpcOps(v);
      const bad = c.pick(BAD_RPC_HOSTS);
      if (ops.length > 0 && c.chance(60)) {
        const { op, kind, path } = c.pick(ops);
        (op[kind] as Obj)["host"] = bad;
        const hostPath = keyPath(keyPath(path, kind), "host");
        return { kind: this.kind, path: hostPath, what: `host ${JSON.stringify(bad)} at ${hostPath}` };
      }
      const e = c.pick(entrypoints(v));
      const list = argsOf(e.ep);
      const kind = c.pick(["OpenTcpSocket", "OpenUdpSocket"]);
      const at = insertAt(list, c.nat(list.length + 1), { Rpc: [{ [kind]: { family: null, port: 443, host: bad } }] });
      const hostPath = keyPath(keyPath(indexPath(keyPath(indexPath(keyPath(e.path, "args"), at), "Rpc"), 0), kind), "host");
      return { kind: this.kind, path: hostPath, what: `host ${JSON.stringify(bad)} at ${hostPath}` };
    },
  },
  {
    kind: "pipe or socket end dropped or doubled",
    group: "topology",
    apply(v, c) {
      interface End {
        remove: () => void;
        what: string;
      }
      interface Conn {
        kind: "Pipe" | "FileSocket";
        name: string;
        readers: End[];
        writers: End[];
      }
      const conns = new Map<string, Conn>();
      const conn = (kind: "Pipe" | "FileSocket", name: string): Conn => {
        const key = `${kind}\u0000${name}`;
        let found = conns.get(key);
        if (found === undefined) {
          found = { kind, name, readers: [], writers: [] };
          conns.set(key, found);
        }
        return found;
      };
      for (const e of entrypoints(v)) {
        const t = e.ep["trigger"];
        const tk = variantName(t);
        if ((tk === "Pipe" || tk === "FileSocket") && typeof t[tk] === "string") {
          conn(tk, t[tk]).readers.push({ remove: () => delete e.ep["trigger"], what: `the trigger of ${e.path}` });
        }
      }
      for (const kind of ["Pipe", "FileSocket"] as const) {
        for (const s of argsOfKind(v, kind)) {
          const dir = Object.keys(s.item[kind])[0];
          const end: End = { remove: () => s.list.splice(s.list.indexOf(s.item), 1), what: s.path };
          if (dir === "Rx") conn(kind, s.item[kind]["Rx"]).readers.push(end);
          else conn(kind, s.item[kind]["Tx"]).writers.push(end);
        }
      }
      const all = [...conns.values()];
      const e = c.pick(entrypoints(v));
      const list = argsOf(e.ep);
      if (all.length === 0 || c.chance(25)) {
        const kind = c.pick(["Pipe", "FileSocket"] as const);
        const dir = c.pick(["Rx", "Tx"]);
        insertAt(list, c.nat(list.length + 1), { [kind]: { [dir]: "dangling-end" } });
        return { kind: this.kind, what: `a lone ${kind} ${dir} end "dangling-end" in ${e.path}` };
      }
      const target = c.pick(all);
      if (c.chance(50)) {
        const droppable = [...target.readers, ...(target.kind === "Pipe" || target.writers.length === 1 ? target.writers : [])];
        const end = c.pick(droppable);
        end.remove();
        return { kind: this.kind, what: `${target.kind} ${JSON.stringify(target.name)}: dropped ${end.what}` };
      }
      // A second reader (either kind), or a second writer (pipes only: a file socket may have many).
      const dir = target.kind === "Pipe" && c.chance(50) ? "Tx" : "Rx";
      insertAt(list, c.nat(list.length + 1), { [target.kind]: { [dir]: target.name } });
      return { kind: this.kind, what: `${target.kind} ${JSON.stringify(target.name)}: another ${dir} end in ${e.path}` };
    },
  },
];

export const MUTATION_KINDS = mutations.map((m) => m.kind);

/**
 * Applies invalidating mutations to a copy of a fixture: each adds an error
 * no later one can remove. So at most one mutation of each group, and at
 * most one that breaks the shape of the spec, applied last.
 */
function mutate(fixture: Fixture, kinds: readonly number[], c: Choices): { value: Obj; applied: Applied[] } {
  const value = structuredClone(fixture.value);
  const applied: Applied[] = [];
  const chosen = kinds.map((k) => mutations[k % mutations.length]!);
  const ordered = [...chosen.filter((m) => !m.last), ...chosen.filter((m) => m.last).slice(0, 1)];
  const groups = new Set<string>();
  for (const m of ordered) {
    if (m.group !== undefined && groups.has(m.group)) continue;
    const done = m.apply(value, c);
    if (done === undefined) continue;
    if (m.group !== undefined) groups.add(m.group);
    applied.push(done);
  }
  return { value, applied };
}

const invalidCase = fc
  .record({
    fixture: fc.nat({ max: FIXTURES.length - 1 }),
    kinds: fc.array(fc.nat({ max: mutations.length - 1 }), { minLength: 1, maxLength: 4 }),
    seeds,
  })
  .map(({ fixture, kinds, seeds }) => {
    const f = FIXTURES[fixture]!;
    return { fixture: f.name, ...mutate(f, kinds, new Choices(seeds)) };
  })
  .filter((c) => c.applied.length > 0);

const singleInvalidCase = fc
  .record({ fixture: fc.nat({ max: FIXTURES.length - 1 }), kind: fc.nat({ max: mutations.length - 1 }), seeds })
  .map(({ fixture, kind, seeds }) => {
    const f = FIXTURES[fixture]!;
    return { fixture: f.name, ...mutate(f, [kind], new Choices(seeds)) };
  })
  .filter((c) => c.applied.length === 1);

// ---- checks shared by the properties ----

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a terminal
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Diagnostics format as one line each, ending in "\n", with no control character inside. */
export function assertFormats(diagnostics: readonly Diagnostic[], file?: string): void {
  const text = formatDiagnostics(diagnostics, file);
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "formatted diagnostics end with a newline");
  assert.equal(lines.length, diagnostics.length, `one line per diagnostic:\n${text}`);
  for (const line of lines) assert.ok(!CONTROL.test(line), `a control character in ${JSON.stringify(line)}`);
  for (const d of diagnostics) {
    assert.ok(d.severity === "error" || d.severity === "warning");
    assert.equal(typeof d.path, "string");
    assert.equal(typeof d.message, "string");
    assert.ok(d.message.length > 0, "a diagnostic says something");
  }
}

function describeCase(c: { fixture: string; applied: Applied[]; value: unknown }): string {
  return `${c.fixture} with ${c.applied.map((a) => `[${a.kind}] ${a.what}`).join("; ")}\n${JSON.stringify(c.value)}`;
}

/** `path` or something inside it. */
const within = (path: string, inner: string): boolean => path === "" || inner === path || inner.startsWith(`${path}.`) || inner.startsWith(`${path}[`);

// ---- valid mutations (for round trips) ----

const validAbsolutePath = fc
  .array(
    fc.stringMatching(/^[a-z0-9_.-]{1,8}$/).filter((s) => s !== "." && s !== ".."),
    { minLength: 0, maxLength: 4 },
  )
  .map((parts) => `/${parts.join("/")}`);

const validLimits = fc
  .record(
    {
      memory: fc.oneof(
        fc.integer({ min: 2 ** 20, max: 2 ** 40 }),
        fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom("M", "G")).map(([n, u]) => `${n}${u}`),
        fc.integer({ min: 1024, max: 2 ** 20 }).map((n) => `${n}K`),
        fc.integer({ min: 2 ** 20, max: 2 ** 40 }).map((n) => `${n}`),
      ),
      memory_swap: fc.nat({ max: 2 ** 32 }),
      pids: fc.integer({ min: 1, max: 4194304 }),
      cpu_weight: fc.integer({ min: 1, max: 10000 }),
      cpu_max: fc.double({ min: 0.01, max: 4096, noNaN: true }),
      timeout: fc.oneof(
        fc.integer({ min: 1, max: 31_536_000 }),
        fc.integer({ min: 1, max: 31_536_000_000 }).map((ms) => ms / 1000),
        fc.tuple(fc.integer({ min: 1, max: 100000 }), fc.constantFrom("ms", "s", "m", "h")).map(([n, u]) => `${n}${u}`),
      ),
      concurrency: fc.integer({ min: 1, max: 100000 }),
    },
    { requiredKeys: [] },
  )
  .filter((l) => {
    // "timeout" as a string is at most a year; "1000h" is not.
    const t = l.timeout;
    if (typeof t !== "string") return true;
    const m = t.match(/^(\d+)(ms|s|m|h)$/)!;
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"] <= 31_536_000_000;
  });

const validCase = fc
  .record({
    fixture: fc.nat({ max: FIXTURES.length - 1 }),
    paths: fc.array(validAbsolutePath, { minLength: 3, maxLength: 3 }),
    limits: validLimits,
    hostname: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("\u0000") && Buffer.byteLength(s) <= 64),
    allow: fc.subarray(["ptrace", "bpf", "keyctl", "mount"]),
    deny: fc.subarray(["socket", "connect", "bind", "listen"]),
    newName: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("/") && !s.includes("\u0000")),
    seeds,
    steps: fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 5 }),
  })
  .map((r) => {
    const f = FIXTURES[r.fixture]!;
    const v = structuredClone(f.value);
    const c = new Choices(r.seeds);
    const done: string[] = [];
    for (const step of r.steps) {
      const e = c.pick(entrypoints(v));
      const env = envOf(e.ep);
      switch (step) {
        case 0: {
          const files = argsOfKind(v, "File");
          if (files.length > 0) c.pick(files).item["File"] = c.pick(r.paths);
          done.push("File path");
          break;
        }
        case 1: {
          const i = env.findIndex((g) => variantName(g) === "Limits");
          if (i >= 0) env[i] = { Limits: r.limits };
          else insertAt(env, c.nat(env.length + 1), { Limits: r.limits });
          done.push(`Limits ${JSON.stringify(r.limits)} in ${e.path}`);
          break;
        }
        case 2:
          if (!env.some((g) => ["Seccomp", "SeccompUnconfined"].includes(variantName(g)!))) {
            insertAt(env, c.nat(env.length + 1), { Seccomp: { allow: r.allow, deny: r.deny } });
            done.push(`Seccomp in ${e.path}`);
          }
          break;
        case 3: {
          const i = env.findIndex((g) => variantName(g) === "Hostname");
          if (i >= 0) env[i] = { Hostname: r.hostname };
          else insertAt(env, c.nat(env.length + 1), { Hostname: r.hostname });
          done.push(`Hostname ${JSON.stringify(r.hostname)}`);
          break;
        }
        case 4: {
          const listeners = argsOfKind(v, "TcpListener");
          if (listeners.length > 0) c.pick(listeners).item["TcpListener"] = { addr: c.pick(["127.0.0.1:0", "[::1]:0", "0.0.0.0:0"]) };
          done.push("listener to port 0");
          break;
        }
        case 5: {
          const eps = entrypoints(v);
          if (eps.some((x) => x.name === r.newName)) break;
          const rebuilt: Obj = {};
          for (const x of eps) setOwn(rebuilt, x.name === e.name ? r.newName : x.name, x.ep);
          v["entrypoints"] = rebuilt;
          done.push(`${e.name} renamed ${JSON.stringify(r.newName)}`);
          break;
        }
        default: {
          const fsGrants = grantsOfKind(v, "Filesystem");
          if (fsGrants.length > 0) {
            const s = c.pick(fsGrants);
            const fs = s.item["Filesystem"] as Obj;
            // Every grant of that environment_path in the entrypoint changes with it (two would conflict).
            const target = fs["environment_path"];
            const host = c.pick(r.paths);
            for (const g of s.list) if (variantName(g) === "Filesystem" && g["Filesystem"]["environment_path"] === target) g["Filesystem"]["host_path"] = host;
            done.push(`host_path ${host}`);
          }
        }
      }
    }
    return { fixture: f.name, value: v, done };
  });

// ---- the runtime oracle ----

/** A compile-time Rpc operation allows a runtime one: same kind, each field null (any) or equal. */
function covers(compiled: RpcOperation, runtime: RpcOperation): boolean {
  return compiled.kind === runtime.kind && (["family", "port", "host"] as const).every((f) => compiled[f] === null || compiled[f] === runtime[f]);
}

const LIMIT_FIELDS: (keyof ResourceLimits)[] = ["memory", "memorySwap", "pids", "cpuWeight", "cpuMax", "timeoutMs", "concurrency"];

/**
 * Why `merged` grants more than `compiled` (undefined: it does not),
 * judged independently of runtime.ts by the table in docs/spec.md.
 */
export function widening(compiled: Spec, merged: Spec): string | undefined {
  const names = (s: Spec) => s.entrypoints.map((e) => e.name).join("\u0000");
  if (names(compiled) !== names(merged)) return `entrypoints ${names(merged)} differ from ${names(compiled)}`;
  for (const m of merged.entrypoints) {
    const c = compiled.entrypoints.find((e) => e.name === m.name)!;
    const why = epWidening(c, m);
    if (why !== undefined) return `${m.name}: ${why}`;
  }
  return undefined;
}

function epWidening(c: Entrypoint, m: Entrypoint): string | undefined {
  if (JSON.stringify(c.trigger) !== JSON.stringify(m.trigger)) return "another trigger";
  if (c.args.length !== m.args.length) return "another number of arguments";
  for (let i = 0; i < c.args.length; i++) {
    const a: Arg = c.args[i]!;
    const b: Arg = m.args[i]!;
    if (a.kind !== b.kind) return `args[${i}] is another kind`;
    if ((a.kind === "Pipe" || a.kind === "FileSocket") && (b.kind === "Pipe" || b.kind === "FileSocket")) {
      if (a.name !== b.name || a.direction !== b.direction) return `args[${i}] is another pipe or socket end`;
    }
    if (a.kind === "Rpc" && b.kind === "Rpc") {
      for (const op of b.operations) if (!a.operations.some((o) => covers(o, op))) return `args[${i}] allows ${JSON.stringify(op)}`;
    }
  }
  const has = (env: Grant[], kind: Grant["kind"]) => env.some((g) => g.kind === kind);
  for (const g of m.environment) {
    switch (g.kind) {
      case "Filesystem": {
        const same = c.environment.filter((x): x is Grant & { kind: "Filesystem" } => x.kind === "Filesystem" && x.environmentPath === g.environmentPath);
        if (same.length === 0) return `a new bind at ${g.environmentPath}`;
        if (!g.readOnly && same.every((x) => x.readOnly)) return `a writable bind at ${g.environmentPath}`;
        break;
      }
      case "Procfs":
      case "Stdin":
      case "Stdout":
      case "Stderr":
      case "SeccompUnconfined":
        if (!has(c.environment, g.kind)) return `a new grant ${g.kind}`;
        break;
      case "Seccomp": {
        const cs = c.environment.find((x) => x.kind === "Seccomp" || x.kind === "SeccompUnconfined");
        if (cs?.kind === "SeccompUnconfined") break;
        const allowed = cs?.kind === "Seccomp" ? cs.allow : [];
        const denied = cs?.kind === "Seccomp" ? cs.deny : [];
        if (g.allow.some((n) => !allowed.includes(n))) return `seccomp allows more: ${g.allow}`;
        if (denied.some((n) => !g.deny.includes(n))) return `seccomp denies less: ${g.deny}`;
        break;
      }
      case "Limits": {
        // Against what is in force: the compile-time value, else the default (no bound; no swap beside a memory limit; weight 100; 64 at once).
        const found = c.environment.find((x) => x.kind === "Limits");
        const cl = found?.kind === "Limits" ? found : undefined;
        const inForce = (l: ResourceLimits | undefined, f: keyof ResourceLimits): number =>
          l?.[f] ?? (f === "memorySwap" && l?.memory !== undefined ? 0 : f === "cpuWeight" ? 100 : f === "concurrency" ? 64 : Number.POSITIVE_INFINITY);
        for (const f of LIMIT_FIELDS) if (inForce(g, f) > inForce(cl, f)) return `limit ${f} raised or removed`;
        break;
      }
      case "Hostname":
      case "DomainName":
        break;
    }
  }
  if (has(c.environment, "Limits") && !has(m.environment, "Limits")) return "Limits removed";
  const cs = c.environment.find((x) => x.kind === "Seccomp");
  if (cs?.kind === "Seccomp" && cs.deny.length > 0 && !m.environment.some((x) => x.kind === "Seccomp")) return "the seccomp deny list removed";
  return undefined;
}

// ---- runtime documents ----

interface RuntimeCase {
  fixture: Fixture;
  doc: Obj;
  what: string[];
}

/** A runtime document made of the compile-time spec's own entries (accepted as is), then edited. */
function identityDoc(f: Fixture, c: Choices): Obj {
  const full = specToValue(f.spec).entrypoints as Obj;
  const doc: Obj = {};
  for (const [name, ep] of Object.entries(full)) {
    if (!c.chance(70)) continue;
    const entry: Obj = {};
    if (c.chance(20)) entry["trigger"] = ep["trigger"];
    if (c.chance(70)) entry["args"] = ep["args"];
    if (c.chance(70)) entry["environment"] = ep["environment"];
    doc[name] = entry;
  }
  return { entrypoints: doc };
}

function docEntry(doc: Obj, f: Fixture, c: Choices, need: "args" | "environment" | "trigger"): { name: string; entry: Obj; ep: Entrypoint } {
  const ep = c.pick(f.spec.entrypoints);
  const eps = doc["entrypoints"] as Obj;
  eps[ep.name] ??= {};
  const entry = eps[ep.name] as Obj;
  const full = (specToValue(f.spec).entrypoints as Obj)[ep.name] as Obj;
  entry[need] ??= structuredClone(full[need]);
  return { name: ep.name, entry, ep };
}

const OTHER_ARGS: J[] = [
  "BinaryName",
  "Entrypoint",
  "Trigger",
  "Trailing",
  { File: "/etc/shadow" },
  { Pipe: { Rx: "jobs" } },
  { FileSocket: { Tx: "conns" } },
  { TcpListener: { addr: "0.0.0.0:22" } },
  { Rpc: [] },
];

/** Widenings made on purpose: each returns a description, or undefined when it cannot apply to this spec. */
const widenings: ((doc: Obj, f: Fixture, c: Choices) => string | undefined)[] = [
  (doc, f, c) => {
    const name = c.pick(["extra", "admin", `${f.spec.entrypoints[0]!.name}2`, "shell"]);
    if (f.spec.entrypoints.some((e) => e.name === name)) return undefined;
    (doc["entrypoints"] as Obj)[name] = c.pick<J>([{}, { args: ["BinaryName"] }, { environment: ["Stdout"] }]);
    return `a new entrypoint ${name}`;
  },
  (doc, f, c) => {
    const { entry, name } = docEntry(doc, f, c, "args");
    insertAt(entry["args"], c.nat(entry["args"].length + 1), structuredClone(c.pick(OTHER_ARGS)));
    return `an argument added to ${name}`;
  },
  (doc, f, c) => {
    const { entry, name } = docEntry(doc, f, c, "args");
    if (entry["args"].length === 0) return undefined;
    entry["args"].splice(c.nat(entry["args"].length), 1);
    return `an argument removed from ${name}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "args");
    if (ep.args.length === 0) return undefined;
    const i = c.nat(ep.args.length);
    const other = OTHER_ARGS.filter((a) => variantName(a) !== ep.args[i]!.kind);
    entry["args"][i] = structuredClone(c.pick(other));
    return `${name}.args[${i}] replaced by another kind`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "args");
    const ends = ep.args.map((a, i) => [a, i] as const).filter(([a]) => a.kind === "Pipe" || a.kind === "FileSocket");
    if (ends.length === 0) return undefined;
    const [a, i] = c.pick(ends);
    if (a.kind !== "Pipe" && a.kind !== "FileSocket") return undefined;
    entry["args"][i] = c.chance(50) ? { [a.kind]: { [a.direction === "Rx" ? "Tx" : "Rx"]: a.name } } : { [a.kind]: { [a.direction]: `${a.name}-other` } };
    return `${name}.args[${i}] another end`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "trigger");
    const other = c.pick<J>(["Startup", { Pipe: "jobs" }, { FileSocket: "conns" }, { Pipe: "requests" }, { FileSocket: "out" }]);
    if (JSON.stringify(other) === JSON.stringify(triggerToValue(ep.trigger))) return undefined;
    entry["trigger"] = other;
    return `${name} trigger ${JSON.stringify(other)}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "environment");
    const binds = ep.environment.flatMap((g) => (g.kind === "Filesystem" ? [g.environmentPath] : []));
    const path = c.pick(["/etc", "/root", "/", "/secrets", "/config2", "/var/lib/app"].filter((p) => !binds.includes(p)));
    insertAt(entry["environment"], c.nat(entry["environment"].length + 1), { Filesystem: { host_path: c.pick(["/etc", "/", "/root"]), environment_path: path } });
    return `a new bind at ${path} in ${name}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "environment");
    const readOnly = ep.environment.filter((g) => g.kind === "Filesystem" && g.readOnly);
    if (readOnly.length === 0) return undefined;
    const g = c.pick(readOnly);
    if (g.kind !== "Filesystem") return undefined;
    insertAt(entry["environment"], c.nat(entry["environment"].length + 1), { Filesystem: { host_path: g.hostPath, environment_path: g.environmentPath, read_only: false } });
    return `${g.environmentPath} made writable in ${name}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "environment");
    const missing = (["Procfs", "Stdin", "Stdout", "Stderr", "SeccompUnconfined"] as const).filter((k) => !ep.environment.some((g) => g.kind === k));
    if (missing.length === 0) return undefined;
    const k = c.pick(missing);
    insertAt(entry["environment"], c.nat(entry["environment"].length + 1), k);
    return `${k} added to ${name}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "args");
    const rpcs = ep.args.map((a, i) => [a, i] as const).filter(([a]) => a.kind === "Rpc");
    if (rpcs.length === 0) return undefined;
    const [a, i] = c.pick(rpcs);
    if (a.kind !== "Rpc") return undefined;
    const candidates: RpcOperation[] = [];
    for (const kind of ["OpenTcpSocket", "OpenUdpSocket"] as const) {
      for (const family of [null, "Inet", "Inet6"] as const) {
        for (const port of [null, 22, 443, 80, 53]) {
          for (const host of [null, "evil.example", "127.0.0.1", "example.org", "EXAMPLE.org"]) candidates.push({ kind, family, port, host });
        }
      }
    }
    const widen = candidates.filter((op) => !a.operations.some((o) => covers(o, op)));
    if (widen.length === 0) return undefined;
    const op = c.pick(widen);
    const ops = entry["args"][i]?.["Rpc"];
    if (!Array.isArray(ops)) return undefined;
    insertAt(ops, c.nat(ops.length + 1), { [op.kind]: { family: op.family, port: op.port, host: op.host } });
    return `${name}.args[${i}] allows ${JSON.stringify(op)}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "environment");
    const limits = ep.environment.find((g) => g.kind === "Limits");
    if (limits?.kind !== "Limits") return undefined;
    const env = entry["environment"] as J[];
    const i = env.findIndex((g) => variantName(g) === "Limits");
    if (i < 0 || c.chance(30)) {
      entry["environment"] = env.filter((g) => variantName(g) !== "Limits");
      return `Limits dropped from ${name}`;
    }
    const written = env[i]["Limits"] as Obj;
    const compiledLimits = ((specToValue({ entrypoints: [ep] }).entrypoints[ep.name] as Obj)["environment"] as J[]).find((g) => variantName(g) === "Limits")["Limits"] as Obj;
    const key = c.pick(Object.keys(compiledLimits));
    const max: Record<string, number> = { cpu_max: 4096, cpu_weight: 10000, pids: 4194304, concurrency: 100000, timeout: 31_536_000 };
    if (c.chance(50)) delete written[key];
    else {
      const raised = Math.min(compiledLimits[key] + (key === "cpu_max" ? 0.5 : 1), max[key] ?? Number.MAX_SAFE_INTEGER);
      if (raised <= compiledLimits[key]) return undefined;
      written[key] = raised;
    }
    return `Limits ${key} raised or removed in ${name}`;
  },
  (doc, f, c) => {
    const { entry, name, ep } = docEntry(doc, f, c, "environment");
    const sc = ep.environment.find((g) => g.kind === "Seccomp" || g.kind === "SeccompUnconfined");
    if (sc?.kind === "SeccompUnconfined") return undefined;
    const allow = sc?.kind === "Seccomp" ? sc.allow : [];
    const deny = sc?.kind === "Seccomp" ? sc.deny : [];
    const env = (entry["environment"] as J[]).filter((g) => variantName(g) !== "Seccomp");
    const more = c.pick(["ptrace", "bpf", "mount", "unshare", "setns"].filter((n) => !allow.includes(n)));
    const grant = c.chance(50) || deny.length === 0 ? { Seccomp: { allow: [...allow, more], deny } } : { Seccomp: { allow, deny: deny.slice(1) } };
    insertAt(env, c.nat(env.length + 1), grant);
    entry["environment"] = env;
    return `seccomp loosened in ${name}: ${JSON.stringify(grant)}`;
  },
];

/** Rule-keeping edits: a runtime spec may make these (some may still fail validation, e.g. two listeners on one port). */
const narrowings: ((doc: Obj, f: Fixture, c: Choices) => string | undefined)[] = [
  (doc, f, c) => {
    const { entry, ep } = docEntry(doc, f, c, "args");
    const i = ep.args.findIndex((a) => a.kind === "File");
    if (i < 0) return undefined;
    entry["args"][i] = { File: c.pick(["/etc/other", "/", "/srv/x"]) };
    return "another File";
  },
  (doc, f, c) => {
    const { entry, ep } = docEntry(doc, f, c, "args");
    const i = ep.args.findIndex((a) => a.kind === "TcpListener");
    if (i < 0) return undefined;
    entry["args"][i] = { TcpListener: { addr: c.pick(["127.0.0.1:0", "[::1]:0", "127.0.0.1:9999", "0.0.0.0:8443"]) } };
    return "another listen address";
  },
  (doc, f, c) => {
    const { entry, ep } = docEntry(doc, f, c, "args");
    const i = ep.args.findIndex((a) => a.kind === "Rpc");
    const a = ep.args[i];
    if (a?.kind !== "Rpc") return undefined;
    entry["args"][i] = {
      Rpc: a.operations
        .filter(() => c.chance(50))
        .map((o) => ({ [o.kind]: { family: o.family ?? c.pick([null, "Inet", "Inet6"]), port: o.port ?? c.pick([null, 443]), host: o.host ?? c.pick([null, "example.org"]) } })),
    };
    return "fewer or narrower Rpc operations";
  },
  (doc, f, c) => {
    const { entry } = docEntry(doc, f, c, "environment");
    // Leaving out Limits or a Seccomp deny list would loosen the void: those stay.
    entry["environment"] = (entry["environment"] as J[]).filter((g) => variantName(g) === "Limits" || variantName(g) === "Seccomp" || c.chance(60));
    return "fewer grants";
  },
  (doc, f, c) => {
    const { entry, ep } = docEntry(doc, f, c, "environment");
    const env = entry["environment"] as J[];
    for (const g of env) {
      if (variantName(g) === "Filesystem") {
        g["Filesystem"]["host_path"] = c.pick(["/srv/other", "/etc/app-prod", "/"]);
        if (c.chance(50)) g["Filesystem"]["read_only"] = true;
      }
    }
    if (c.chance(50)) insertAt(env, c.nat(env.length + 1), { Hostname: c.pick(["other", "h"]) });
    return `binds re-pointed in ${ep.name}`;
  },
  (doc, f, c) => {
    const { entry } = docEntry(doc, f, c, "environment");
    const env = entry["environment"] as J[];
    for (const g of env) {
      if (variantName(g) === "Limits") {
        for (const k of Object.keys(g["Limits"])) if (typeof g["Limits"][k] === "number" && g["Limits"][k] > 1) g["Limits"][k] = Math.max(1, Math.floor(g["Limits"][k] / 2));
      }
      if (variantName(g) === "Seccomp") g["Seccomp"]["deny"] = [...(g["Seccomp"]["deny"] ?? []), "keyctl"];
    }
    if (!env.some((g) => variantName(g) === "Limits") && c.chance(30)) insertAt(env, c.nat(env.length + 1), { Limits: { pids: 8 } });
    return "tighter limits or filter";
  },
];

const runtimeCase = (withWidening: boolean): fc.Arbitrary<RuntimeCase> =>
  fc
    .record({ fixture: fc.nat({ max: FIXTURES.length - 1 }), seeds, edits: fc.array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 4 }), widen: fc.nat({ max: 1000 }) })
    .map(({ fixture, seeds, edits, widen }) => {
      const f = FIXTURES[fixture]!;
      const c = new Choices(seeds);
      const doc = identityDoc(f, c);
      const what: string[] = [];
      for (const e of edits) {
        const w = narrowings[e % narrowings.length]!(doc, f, c);
        if (w !== undefined) what.push(w);
      }
      if (withWidening) {
        // The first widening that applies to this spec, starting from a random one.
        for (let k = 0; k < widenings.length; k++) {
          const w = widenings[(widen + k) % widenings.length]!(doc, f, c);
          if (w !== undefined) {
            what.push(`WIDENING: ${w}`);
            break;
          }
        }
      }
      return { fixture: f, doc, what };
    });

/** Random runtime documents for one compile-time spec: edits of both kinds, anywhere, in any number. */
const anyRuntimeDoc = (f: Fixture): fc.Arbitrary<RuntimeCase> =>
  fc.record({ seeds, edits: fc.array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 6 }) }).map(({ seeds, edits }) => {
    const c = new Choices(seeds);
    const doc = identityDoc(f, c);
    const all = [...narrowings, ...widenings];
    const what = edits.flatMap((e) => all[e % all.length]!(doc, f, c) ?? []);
    return { fixture: f, doc, what };
  });

const anyFixture = fc.nat({ max: FIXTURES.length - 1 }).map((i) => FIXTURES[i]!);
const anyRuntimeCase: fc.Arbitrary<RuntimeCase> = anyFixture.chain(anyRuntimeDoc);

function runtimeReport(r: RuntimeResult): string {
  return r.ok ? `accepted; changes:\n${r.changes.join("\n")}` : formatRuntimeDiagnostics(r.errors);
}

// ---- hostile input ----

const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.json().map((t) => `\uFEFF${t}`),
  fc.nat({ max: 3000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.nat({ max: 3000 }).map((n) => `{"entrypoints":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`),
  fc.nat({ max: 5000 }).map((n) => `{"entrypoints":{"a":{"args":[${'"BinaryName",'.repeat(n)}"Trailing"]}}}`),
  fc.nat({ max: 3000 }).map((n) => `{"entrypoints":{${Array.from({ length: n }, (_, i) => `"e${i}":{"args":["BinaryNme"]}`).join(",")}}}`),
  fc.constantFrom(
    '{"__proto__": {"entrypoints": {}}}',
    '{"entrypoints": {"__proto__": {}}}',
    '{"entrypoints": {"constructor": {}, "toString": {}, "hasOwnProperty": {}}}',
    '{"entrypoints": {"a": {"args": ["\\ud800"]}}}',
    '{"entrypoints": {"a": {}}, "entrypoints": {"b": {}}}',
    '{"entrypoints": {"a": {"environment": [{"Hostname": "\\u0000\\u001b[31m"}]}}}',
    '{"entrypoints": {"\\u001b[2J": {}}}',
    '{"entrypoints": {"a\\nb": {"args": ["Entrypoint\\r\\n"]}}}',
    "1e999999",
    '{"entrypoints": {"a": {"environment": [{"Limits": {"memory": 1e309}}]}}}',
    "\u2028\u2029",
  ),
  fc.tuple(fc.nat({ max: FIXTURES.length - 1 }), fc.nat(), fc.string({ maxLength: 3 })).map(([i, at, insert]) => {
    const text = JSON.stringify(FIXTURES[i]!.value);
    const p = at % (text.length + 1);
    return text.slice(0, p) + insert + text.slice(p);
  }),
);

const hostileValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    maxDepth: 4,
  }),
  fc.record({
    entrypoints: fc.dictionary(
      fc.string(),
      fc.record(
        {
          trigger: fc.anything({ withNullPrototype: true, withBigInt: true }),
          args: fc.array(fc.oneof(fc.constantFrom(...ALL_VARIANT_NAMES), fc.anything({ withNullPrototype: true, withBigInt: true, withSparseArray: true }))),
          environment: fc.oneof(fc.anything({ withSparseArray: true }), fc.array(fc.anything({ withNullPrototype: true }))),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
);

// ---- the properties ----

export interface FuzzProperty {
  name: string;
  /** Runs per property in the test suite. */
  quick: number;
  property: fc.IProperty<unknown> | fc.IAsyncProperty<unknown>;
}

function prop<T>(name: string, quick: number, arb: fc.Arbitrary<T>, check: (value: T) => void): FuzzProperty {
  return { name, quick, property: fc.property(arb, check) as fc.IProperty<unknown> };
}

export const PROPERTIES: FuzzProperty[] = [
  prop("a spec broken by one known mutation is refused, with an error at the place of the mutation", 600, singleInvalidCase, (c) => {
    const result = parseSpecValue(c.value);
    if (result.ok) assert.fail(`accepted: ${describeCase(c)}`);
    assertFormats(resultDiagnostics(result));
    const at = c.applied[0]!.path;
    if (at !== undefined) {
      assert.ok(
        result.errors.some((e) => within(at, e.path) || within(e.path, at)),
        `no error at ${at || "the top"} for ${describeCase(c)}\n${formatDiagnostics(result.errors)}`,
      );
    }
  }),
  prop("a spec broken by several known mutations is refused, from a value and from text", 400, invalidCase, (c) => {
    const result = parseSpecValue(c.value);
    if (result.ok) assert.fail(`accepted: ${describeCase(c)}`);
    const text = parseSpec(JSON.stringify(c.value, null, c.applied.length % 2 === 0 ? 2 : undefined));
    if (text.ok) assert.fail(`accepted from text: ${describeCase(c)}`);
    assertFormats(resultDiagnostics(text), "spec.json");
  }),
  prop("a valid spec with a key written twice is refused (text)", 300, fc.tuple(fc.nat({ max: FIXTURES.length - 1 }), seeds), ([i, s]) => {
    const f = FIXTURES[i]!;
    const c = new Choices(s);
    const objects: Obj[] = [];
    const walk = (x: J) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (isObj(x)) {
        if (Object.keys(x).length > 0) objects.push(x);
        Object.values(x).forEach(walk);
      }
    };
    walk(f.value);
    const target = c.pick(objects);
    const key = c.pick(Object.keys(target));
    const write = (x: J): string => {
      if (Array.isArray(x)) return `[${x.map(write).join(",")}]`;
      if (!isObj(x)) return JSON.stringify(x);
      const parts = Object.entries(x).map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`);
      if (x === target) parts.splice(c.nat(parts.length + 1), 0, `${JSON.stringify(key)}:${write(x[key])}`);
      return `{${parts.join(",")}}`;
    };
    const text = write(f.value);
    const result = parseSpec(text);
    if (result.ok) assert.fail(`accepted a duplicate key ${JSON.stringify(key)}: ${text}`);
    assert.ok(
      result.errors.some((e) => /duplicate key/.test(e.message)),
      formatDiagnostics(result.errors),
    );
  }),
  prop("a valid spec is accepted; written back it parses the same and is its own runtime spec", 400, validCase, (c) => {
    const result = parseSpecValue(c.value);
    if (!result.ok) assert.fail(`refused (${c.done.join("; ")}): ${JSON.stringify(c.value)}\n${formatDiagnostics(result.errors)}`);
    const back = specToValue(result.spec);
    const again = parseSpecValue(back);
    if (!again.ok) assert.fail(`specToValue wrote a spec the parser refuses: ${JSON.stringify(back)}\n${formatDiagnostics(again.errors)}`);
    assert.deepEqual(again.spec, result.spec);
    const identity = applyRuntimeValue(result.spec, back, "same.json");
    if (!identity.ok) assert.fail(`the spec itself is refused as its runtime spec: ${JSON.stringify(back)}\n${runtimeReport(identity)}`);
    assert.deepEqual(identity.spec, result.spec);
  }),
  prop("no JavaScript value makes parseSpecValue throw; diagnostics format cleanly", 500, hostileValue, (v) => {
    const result = parseSpecValue(v);
    assert.ok(result.ok ? result.spec.entrypoints.length > 0 : result.errors.length > 0);
    assertFormats(resultDiagnostics(result));
  }),
  prop("no text makes parseSpec throw; diagnostics format cleanly", 100, hostileText, (t) => {
    const result = parseSpec(t);
    assert.ok(result.ok ? result.spec.entrypoints.length > 0 : result.errors.length > 0);
    assertFormats(resultDiagnostics(result), "spec.json");
  }),
  prop(
    "no runtime text or value makes applyRuntime throw",
    300,
    fc.tuple(
      fc.nat({ max: FIXTURES.length - 1 }),
      fc.oneof(
        hostileText,
        hostileValue.map((v) => ({ value: v })),
      ),
    ),
    ([i, input]) => {
      const f = FIXTURES[i]!;
      const result = typeof input === "string" ? applyRuntime(f.spec, input, "rt.json") : applyRuntimeValue(f.spec, input.value, "rt.json");
      if (!result.ok) {
        assert.ok(result.errors.length > 0);
        assertFormats(result.errors);
      } else {
        assert.equal(widening(f.spec, result.spec), undefined, `accepted a widening: ${JSON.stringify(input)}`);
      }
    },
  ),
  prop("a runtime spec with a widening made on purpose is refused", 600, runtimeCase(true), (c) => {
    fc.pre(c.what.some((w) => w.startsWith("WIDENING")));
    const result = applyRuntimeValue(c.fixture.spec, c.doc, "rt.json");
    if (result.ok) {
      assert.fail(`${c.fixture.name}: accepted ${c.what.join("; ")}\n${JSON.stringify(c.doc)}\n${runtimeReport(result)}\noracle: ${widening(c.fixture.spec, result.spec) ?? "no widening found"}`);
    }
    const text = applyRuntime(c.fixture.spec, JSON.stringify(c.doc), "rt.json");
    assert.equal(text.ok, false, "refused from text too");
    assertFormats(result.errors);
  }),
  prop("a runtime spec without a widening is accepted unless the merged spec breaks a rule", 300, runtimeCase(false), (c) => {
    const result = applyRuntimeValue(c.fixture.spec, c.doc, "rt.json");
    if (result.ok) {
      assert.equal(widening(c.fixture.spec, result.spec), undefined);
      return;
    }
    // Only the merged spec's own rules may refuse a narrowing: e.g. two listeners moved to one address.
    for (const e of result.errors) assert.doesNotMatch(e.message, /widens the compile-time spec/, `${c.fixture.name}: ${c.what.join("; ")}\n${JSON.stringify(c.doc)}\n${runtimeReport(result)}`);
  }),
  prop("whatever random runtime spec is accepted grants nothing the compile-time spec does not", 600, anyRuntimeCase, (c) => {
    const result = applyRuntimeValue(c.fixture.spec, c.doc, "rt.json");
    if (!result.ok) return;
    const why = widening(c.fixture.spec, result.spec);
    assert.equal(why, undefined, `${c.fixture.name}: accepted ${c.what.join("; ")}\n${JSON.stringify(c.doc)}\nbut: ${why}`);
  }),
  prop(
    "stacked runtime layers (file, VOID_RUNTIME, VOID_LISTEN_*) never widen",
    300,
    anyFixture.chain((f) => fc.tuple(anyRuntimeDoc(f), anyRuntimeDoc(f), fc.constantFrom("127.0.0.1:0", "[::1]:0", "0.0.0.0:8443", ""))),
    ([a, b, addr]) => {
      const f = a.fixture;
      const env: Record<string, string> = { VOID_RUNTIME: JSON.stringify(b.doc) };
      for (const ep of f.spec.entrypoints) if (addr !== "") env[`VOID_LISTEN_${ep.name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`] = addr;
      const result = resolveRuntime(f.spec, { file: "rt.json", env, readFile: () => JSON.stringify(a.doc) });
      if (!result.ok) return;
      const why = widening(f.spec, result.spec);
      assert.equal(why, undefined, `${f.name}: accepted ${a.what.join("; ")} then ${b.what.join("; ")}\nbut: ${why}`);
    },
  ),
];

// ---- as a program: npm run fuzz ----

async function main(): Promise<number> {
  const seconds = Number(process.env["FUZZ_SECONDS"] ?? 600);
  const runs = Number(process.env["FUZZ_RUNS"] ?? 200_000);
  const seed = process.env["FUZZ_SEED"] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env["FUZZ_SEED"]);
  const only = process.env["FUZZ_ONLY"];
  const chosen = PROPERTIES.filter((p) => only === undefined || p.name.includes(only));
  if (chosen.length === 0) {
    process.stderr.write(`fuzz: no property matches FUZZ_ONLY=${only}\n`);
    return 2;
  }
  process.stdout.write(`fuzz: ${chosen.length} properties, up to ${runs} runs in ${seconds} s, seed ${seed} (FUZZ_SEED=${seed} repeats this run)\n`);
  const end = Date.now() + seconds * 1000;
  let failed = 0;
  for (const [i, p] of chosen.entries()) {
    const left = Math.max(1000, Math.floor((end - Date.now()) / (chosen.length - i)));
    const numRuns = Math.max(1, Math.floor(runs / chosen.length));
    const started = Date.now();
    const details = await fc.check(p.property, { seed: seed + i, numRuns, interruptAfterTimeLimit: left, markInterruptAsFailure: false });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (details.failed) {
      failed++;
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      process.stdout.write(`FAIL  ${p.name} (${details.numRuns} runs, ${took} s)\n${fc.defaultReportMessage(details) ?? ""}\nerror: ${error}\n`);
    } else {
      process.stdout.write(`ok    ${p.name}: ${details.numRuns} runs${details.interrupted ? " (time budget reached)" : ""}, ${details.numSkips} skipped, ${took} s\n`);
    }
  }
  process.stdout.write(failed === 0 ? "fuzz: no failure\n" : `fuzz: ${failed} propert${failed === 1 ? "y" : "ies"} failed; rerun with FUZZ_SEED=${seed}\n`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((status) => {
    process.exitCode = status;
  });
}
