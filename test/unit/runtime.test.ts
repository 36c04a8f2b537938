/**
 * Runtime specs (src/spec/runtime.ts): every allowed re-parameterisation,
 * every kind of widening refused with its message and path, malformed
 * runtime documents reported like malformed specs, the merged spec
 * re-validated, the environment variables and their precedence, and that
 * stacking layers cannot widen. A property: any part of a compile-time spec,
 * given back as a runtime spec, is accepted and changes nothing.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { checkRuntimeConcurrency } from "../../src/cli/load.js";
import { formatDiagnostics } from "../../src/spec/format.js";
import { parseSpec, parseSpecValue } from "../../src/spec/parse.js";
import {
  applyListenVariables,
  applyRuntime,
  applyRuntimeValue,
  type Env,
  formatRuntimeDiagnostics,
  limitInForce,
  listenVariable,
  type RuntimeDiagnostic,
  type RuntimeResult,
  resolveRuntime,
  runtimeFromEnvironment,
  specToValue,
} from "../../src/spec/runtime.js";
import { DEFAULT_CONCURRENCY, DEFAULT_CPU_WEIGHT, type Entrypoint, type Spec } from "../../src/spec/types.js";

function compile(value: unknown): Spec {
  const result = parseSpecValue(value);
  if (!result.ok) assert.fail(`test spec is invalid:\n${formatDiagnostics(result.errors)}`);
  return result.spec;
}

function ok(result: RuntimeResult): { spec: Spec; changes: string[]; warnings: RuntimeDiagnostic[] } {
  if (!result.ok) assert.fail(`expected the runtime spec to apply, got:\n${formatRuntimeDiagnostics(result.errors)}`);
  return result;
}

function errors(result: RuntimeResult): RuntimeDiagnostic[] {
  if (result.ok) assert.fail(`expected errors, the runtime spec applied:\n${result.changes.join("\n")}`);
  return result.errors;
}

/** The formatted lines (with source) of a failed result's errors. */
function errorLines(result: RuntimeResult): string[] {
  return formatRuntimeDiagnostics(errors(result)).trimEnd().split("\n");
}

function onlyError(result: RuntimeResult): RuntimeDiagnostic {
  const all = errors(result);
  assert.equal(all.length, 1, formatRuntimeDiagnostics(all));
  return all[0]!;
}

function entrypoint(spec: Spec, name: string): Entrypoint {
  const found = spec.entrypoints.find((ep) => ep.name === name);
  if (found === undefined) assert.fail(`no entrypoint ${name}`);
  return found;
}

const COMPILED_VALUE = {
  entrypoints: {
    listener: {
      args: [
        "BinaryName",
        { TcpListener: { addr: "0.0.0.0:8443" } },
        { File: "/etc/ssl/cert.pem" },
        { Pipe: { Tx: "requests" } },
        {
          Rpc: [{ OpenTcpSocket: { family: null, port: 443, host: null } }, { OpenTcpSocket: { family: "Inet6", port: null, host: "api.example.org" } }],
        },
        "Trailing",
      ],
      environment: [
        { Filesystem: { host_path: "/etc/app", environment_path: "/config" } },
        { Filesystem: { host_path: "/var/lib/app", environment_path: "/state", read_only: false } },
        { Hostname: "web" },
        "Stdout",
        "Stderr",
      ],
    },
    handler: {
      trigger: { Pipe: "requests" },
      args: ["BinaryName", "Entrypoint", "Trigger", { TcpListener: { addr: "127.0.0.1:9000" } }],
      environment: ["Stderr"],
    },
  },
};
const compiled = compile(COMPILED_VALUE);

const run = (value: unknown): RuntimeResult => applyRuntimeValue(compiled, value, "prod.json");
const listenerArgs = (args: unknown[]): unknown => ({ entrypoints: { listener: { args } } });
const listenerEnv = (environment: unknown[]): unknown => ({ entrypoints: { listener: { environment } } });
const ARGS = COMPILED_VALUE.entrypoints.listener.args;
const withArg = (index: number, arg: unknown): unknown[] => ARGS.map((a, i) => (i === index ? arg : a));

describe("runtime specs: allowed re-parameterisations", () => {
  it("an empty runtime spec changes nothing", () => {
    for (const value of [{}, { entrypoints: {} }, { entrypoints: { listener: {} } }, { $schema: "x.json" }]) {
      const result = ok(run(value));
      assert.deepEqual(result.spec, compiled);
      assert.deepEqual(result.changes, []);
      assert.deepEqual(result.warnings, []);
    }
  });

  it("moves a TcpListener to another address", () => {
    const result = ok(applyRuntime(compiled, JSON.stringify(listenerArgs(withArg(1, { TcpListener: { addr: "127.0.0.1:9443" } }))), "prod.json"));
    assert.deepEqual(entrypoint(result.spec, "listener").args[1], { kind: "TcpListener", addr: "127.0.0.1:9443" });
    assert.deepEqual(result.changes, ["prod.json: entrypoints.listener.args[1]: TcpListener 0.0.0.0:8443 -> 127.0.0.1:9443"]);
    assert.deepEqual(entrypoint(result.spec, "handler"), entrypoint(compiled, "handler"));
    assert.deepEqual(entrypoint(compiled, "listener").args[1], { kind: "TcpListener", addr: "0.0.0.0:8443" }, "compiled untouched");
  });

  it('accepts the stale {"port": N} form, with its warning', () => {
    const result = ok(run(listenerArgs(withArg(1, { TcpListener: { port: 8080 } }))));
    assert.deepEqual(entrypoint(result.spec, "listener").args[1], { kind: "TcpListener", addr: "0.0.0.0:8080" });
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]!.path, "entrypoints.listener.args[1].TcpListener");
    assert.equal(result.warnings[0]!.source, "prod.json");
  });

  it("hands in a different host file", () => {
    const result = ok(run(listenerArgs(withArg(2, { File: "/etc/ssl/staging.pem" }))));
    assert.deepEqual(entrypoint(result.spec, "listener").args[2], { kind: "File", path: "/etc/ssl/staging.pem" });
    assert.deepEqual(result.changes, ['prod.json: entrypoints.listener.args[2]: File "/etc/ssl/cert.pem" -> "/etc/ssl/staging.pem"']);
  });

  it("narrows Rpc operations: fewer, and null fields made concrete", () => {
    const narrowed = [{ OpenTcpSocket: { family: "Inet", port: 443, host: "example.org" } }, { OpenTcpSocket: { family: "Inet6", port: 8443, host: "api.example.org" } }];
    const result = ok(run(listenerArgs(withArg(4, { Rpc: narrowed }))));
    assert.deepEqual(entrypoint(result.spec, "listener").args[4], {
      kind: "Rpc",
      operations: [
        { kind: "OpenTcpSocket", family: "Inet", port: 443, host: "example.org" },
        { kind: "OpenTcpSocket", family: "Inet6", port: 8443, host: "api.example.org" },
      ],
    });
    assert.equal(result.changes.length, 1);
    assert.match(result.changes[0]!, /^prod\.json: entrypoints\.listener\.args\[4\]: Rpc \[.*\] -> \[.*"example\.org".*\]$/);
    const one = ok(run(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { port: 443 } }] }))));
    assert.equal((entrypoint(one.spec, "listener").args[4] as { operations: unknown[] }).operations.length, 1);
  });

  it("an empty Rpc list is a narrowing, with the parser's warning", () => {
    const result = ok(run(listenerArgs(withArg(4, { Rpc: [] }))));
    assert.deepEqual(entrypoint(result.spec, "listener").args[4], { kind: "Rpc", operations: [] });
    assert.match(result.warnings[0]!.message, /empty Rpc list/);
  });

  it("re-points binds, makes a writable bind read-only, renames the host, drops grants; keeps compile-time order", () => {
    const result = ok(
      run(
        listenerEnv([
          "Stderr",
          { Hostname: "web-eu" },
          { Filesystem: { host_path: "/var/lib/app", environment_path: "/state", read_only: true } },
          { Filesystem: { host_path: "/etc/app-prod", environment_path: "/config" } },
          "Stderr",
        ]),
      ),
    );
    assert.deepEqual(entrypoint(result.spec, "listener").environment, [
      { kind: "Filesystem", hostPath: "/etc/app-prod", environmentPath: "/config", readOnly: true, shared: false, optional: false },
      { kind: "Filesystem", hostPath: "/var/lib/app", environmentPath: "/state", readOnly: true, shared: false, optional: false },
      { kind: "Hostname", name: "web-eu" },
      { kind: "Stderr" },
    ]);
    assert.deepEqual(result.changes, [
      'prod.json: entrypoints.listener.environment[3]: Filesystem at "/config": host_path "/etc/app" -> "/etc/app-prod"',
      'prod.json: entrypoints.listener.environment[2]: Filesystem at "/state": writable -> read-only',
      'prod.json: entrypoints.listener.environment[1]: Hostname "web" -> "web-eu"',
      'prod.json: entrypoints.listener.environment: drops "Stdout"',
    ]);
  });

  it("adds a DomainName or a Hostname: a UTS name in the void's own namespace grants nothing", () => {
    const result = ok(applyRuntimeValue(compiled, { entrypoints: { handler: { environment: ["Stderr", { DomainName: "corp" }, { Hostname: "h1" }] } } }, "prod.json"));
    assert.deepEqual(entrypoint(result.spec, "handler").environment, [{ kind: "Stderr" }, { kind: "DomainName", name: "corp" }, { kind: "Hostname", name: "h1" }]);
    assert.deepEqual(result.changes, ['prod.json: entrypoints.handler.environment[1]: adds {"DomainName": "corp"}', 'prod.json: entrypoints.handler.environment[2]: adds {"Hostname": "h1"}']);
  });

  it("an empty environment drops every grant", () => {
    const result = ok(run(listenerEnv([])));
    assert.deepEqual(entrypoint(result.spec, "listener").environment, []);
    assert.equal(result.changes.length, 5);
  });

  it("accepts the compile-time trigger written again", () => {
    const result = ok(applyRuntimeValue(compiled, { entrypoints: { handler: { trigger: { Pipe: "requests" } } } }, "r"));
    assert.deepEqual(result.changes, []);
  });
});

describe("runtime specs: widenings refused", () => {
  it("a new entrypoint, with a did-you-mean", () => {
    assert.deepEqual(errorLines(run({ entrypoints: { listner: { args: [] } } })), [
      'prod.json: error: entrypoints.listner: the runtime spec adds entrypoint "listner", which the compile-time spec does not have (did you mean "listener"?)',
    ]);
    const error = onlyError(run({ entrypoints: { "debug-shell": {} } }));
    assert.equal(error.path, 'entrypoints["debug-shell"]');
    assert.equal(error.hint, undefined);
  });

  it("a changed trigger", () => {
    const error = onlyError(applyRuntimeValue(compiled, { entrypoints: { handler: { trigger: "Startup" } } }, "r"));
    assert.equal(error.path, "entrypoints.handler.trigger");
    assert.equal(error.message, 'widens the compile-time spec: the trigger "Startup" is not the compile-time trigger {"Pipe": "requests"}');
  });

  it("arguments added or removed", () => {
    const more = onlyError(run(listenerArgs([...ARGS, "Entrypoint"])));
    assert.equal(more.path, "entrypoints.listener.args");
    assert.equal(more.message, "widens the compile-time spec: 7 arguments where it has 6");
    const fewer = onlyError(run(listenerArgs(ARGS.slice(0, 5))));
    assert.equal(fewer.message, "widens the compile-time spec: 5 arguments where it has 6");
  });

  it("another variant at an index", () => {
    const error = onlyError(run(listenerArgs(withArg(0, { File: "/etc/shadow" }))));
    assert.equal(error.path, "entrypoints.listener.args[0]");
    assert.equal(error.message, 'widens the compile-time spec: {"File": "/etc/shadow"} where it has "BinaryName"');
    const trailing = onlyError(run(listenerArgs(withArg(5, "BinaryName"))));
    assert.equal(trailing.message, 'widens the compile-time spec: "BinaryName" where it has "Trailing"');
  });

  it("a pipe end renamed or turned around", () => {
    const renamed = onlyError(run(listenerArgs(withArg(3, { Pipe: { Tx: "other" } }))));
    assert.equal(renamed.path, "entrypoints.listener.args[3]");
    assert.equal(renamed.message, 'widens the compile-time spec: {"Pipe": {"Tx": "other"}} where it has {"Pipe": {"Tx": "requests"}}');
    const turned = onlyError(run(listenerArgs(withArg(3, { Pipe: { Rx: "requests" } }))));
    assert.match(turned.message, /^widens the compile-time spec: \{"Pipe": \{"Rx": "requests"\}\}/);
  });

  it("an Rpc port or host not allowed, or null where a value was fixed", () => {
    const port = onlyError(run(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { family: null, port: 80, host: null } }] }))));
    assert.equal(port.path, "entrypoints.listener.args[4].Rpc[0]");
    assert.equal(port.message, "widens the compile-time spec: OpenTcpSocket with a new RPC port 80; it allows only port 443");
    const host = onlyError(run(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { family: "Inet6", port: 8443, host: "evil.example" } }] }))));
    assert.equal(host.message, "widens the compile-time spec: OpenTcpSocket with a new RPC port 8443; it allows only port 443", "the closest compile-time operation is named (ties: the first)");
    const anyPort = onlyError(run(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { family: "Inet", host: "x.org" } }] }))));
    assert.equal(anyPort.message, "widens the compile-time spec: OpenTcpSocket with any port; it allows only port 443");
    const nullHost = compile({
      entrypoints: { a: { args: [{ Rpc: [{ OpenTcpSocket: { family: "Inet", port: 443, host: "example.org" } }] }] } },
    });
    const both = onlyError(applyRuntimeValue(nullHost, { entrypoints: { a: { args: [{ Rpc: [{ OpenTcpSocket: { family: "Inet", port: 80 } }] }] } } }, "r"));
    assert.equal(both.message, 'widens the compile-time spec: OpenTcpSocket with a new RPC port 80 and any host; it allows only port 443 and host "example.org"');
  });

  it("an Rpc operation of another kind", () => {
    const error = onlyError(run(listenerArgs(withArg(4, { Rpc: [{ OpenUdpSocket: { family: null, port: 443, host: null } }] }))));
    assert.equal(error.path, "entrypoints.listener.args[4].Rpc[0]");
    assert.equal(error.message, "widens the compile-time spec: a new RPC operation OpenUdpSocket");
    assert.equal(error.hint, "the compile-time Rpc allows only OpenTcpSocket");
  });

  it("a new bind", () => {
    const error = onlyError(run(listenerEnv([{ Filesystem: { host_path: "/srv/secrets", environment_path: "/secrets" } }, "Stdout"])));
    assert.equal(error.path, "entrypoints.listener.environment[0].Filesystem.environment_path");
    assert.equal(error.message, 'widens the compile-time spec: a new bind at "/secrets"');
    assert.equal(error.hint, 'the compile-time spec binds only "/config", "/state" in entrypoints.listener');
    const typo = onlyError(run(listenerEnv([{ Filesystem: { host_path: "/etc/app", environment_path: "/confg" } }])));
    assert.equal(typo.hint, 'did you mean "/config"?');
  });

  it("a read-only bind made writable", () => {
    const error = onlyError(run(listenerEnv([{ Filesystem: { host_path: "/etc/app", environment_path: "/config", read_only: false } }])));
    assert.equal(error.path, "entrypoints.listener.environment[0].Filesystem.read_only");
    assert.equal(error.message, 'widens the compile-time spec: "read_only": false would make the read-only bind at "/config" writable');
  });

  it("a unit grant the compile-time spec does not have", () => {
    const lines = errorLines(applyRuntimeValue(compiled, { entrypoints: { handler: { environment: ["Procfs", "Stdin"] } } }, "r.json"));
    assert.deepEqual(lines, [
      'r.json: error: entrypoints.handler.environment[0]: widens the compile-time spec: a new grant "Procfs" (the compile-time spec does not grant "Procfs" to entrypoints.handler)',
      'r.json: error: entrypoints.handler.environment[1]: widens the compile-time spec: a new grant "Stdin" (the compile-time spec does not grant "Stdin" to entrypoints.handler)',
    ]);
  });

  it("reports every widening at once, and nothing is applied", () => {
    const result = run({
      entrypoints: {
        listener: { args: withArg(0, "Entrypoint"), environment: ["Procfs"] },
        handler: { trigger: "Startup" },
        extra: {},
      },
    });
    assert.equal(errors(result).length, 4);
    for (const error of errors(result)) assert.equal(error.source, "prod.json");
  });
});

describe("runtime specs: the merged spec is validated again", () => {
  it("two TcpListeners on one address", () => {
    const error = onlyError(run(listenerArgs(withArg(1, { TcpListener: { addr: "127.0.0.1:9000" } }))));
    assert.equal(error.path, "entrypoints.handler.args[3]");
    assert.match(error.message, /^a second TcpListener on "127\.0\.0\.1:9000"; the first is at entrypoints\.listener\.args\[1\]$/);
  });

  it("two different host names", () => {
    const error = onlyError(run(listenerEnv([{ Hostname: "a" }, { Hostname: "b" }])));
    assert.equal(error.path, "entrypoints.listener.environment[1]");
    assert.match(error.message, /a second, different Hostname/);
  });

  it("one environment_path with two host paths", () => {
    const error = onlyError(run(listenerEnv([{ Filesystem: { host_path: "/etc/a", environment_path: "/config" } }, { Filesystem: { host_path: "/etc/b", environment_path: "/config" } }])));
    assert.match(error.message, /environment_path "\/config" is granted again with a different host_path/);
  });

  it("dropping a pipe's reader is refused: arguments keep their places", () => {
    const pipes = compile({
      entrypoints: {
        producer: { args: ["BinaryName", { Pipe: { Tx: "p" } }] },
        consumer: { args: ["BinaryName", { Pipe: { Rx: "p" } }] },
      },
    });
    const error = onlyError(applyRuntimeValue(pipes, { entrypoints: { consumer: { args: ["BinaryName"] } } }, "r"));
    assert.equal(error.path, "entrypoints.consumer.args");
    assert.equal(error.message, "widens the compile-time spec: 1 argument where it has 2");
  });
});

describe("runtime specs: malformed documents", () => {
  it("JSON syntax errors with line and column", () => {
    const error = onlyError(applyRuntime(compiled, '{"entrypoints": {"listener": {"args": [],}}}', "r.json"));
    assert.equal(error.path, "");
    assert.match(error.message, /^invalid JSON at line 1, column \d+/);
    assert.equal(error.source, "r.json");
  });

  it("not an object, unknown top-level keys, entrypoints of the wrong type", () => {
    assert.match(onlyError(run([])).message, /^got an empty array$/);
    const unknown = onlyError(run({ entrypionts: {} }));
    assert.equal(unknown.message, 'unknown key "entrypionts" in the runtime spec');
    assert.equal(unknown.hint, 'did you mean "entrypoints"?');
    assert.equal(onlyError(run({ entrypoints: [] })).path, "entrypoints");
    assert.equal(onlyError(run({ $schema: 1 })).path, "$schema");
  });

  it("duplicate keys", () => {
    const error = onlyError(applyRuntime(compiled, '{"entrypoints": {"listener": {}, "listener": {}}}', "r.json"));
    assert.equal(error.path, "entrypoints");
    assert.match(error.message, /^duplicate key "listener" at line 1, column \d+$/);
  });

  it("misspellings get the spec parser's messages and paths, relative to the runtime file", () => {
    const lines = errorLines(
      applyRuntime(
        compiled,
        JSON.stringify({
          entrypoints: {
            listener: {
              args: withArg(1, { TcpListener: { adr: "127.0.0.1:1" } }),
              environmnet: [],
            },
            handler: { args: ["BinaryName", "Entrypiont", "Trigger", { TcpListener: { addr: "localhost:80" } }] },
          },
        }),
        "r.json",
      ),
    );
    assert.deepEqual(lines, [
      'r.json: error: entrypoints.listener: unknown key "environmnet" in an entrypoint; expected "trigger" | "args" | "environment" (did you mean "environment"?)',
      'r.json: error: entrypoints.listener.args[1].TcpListener: unknown key "adr" in a TcpListener; expected "addr" (did you mean "addr"?)',
      lines[2]!,
      lines[3]!,
    ]);
    assert.match(lines[2]!, /^r\.json: error: entrypoints\.handler\.args\[1\]: unknown variant "Entrypiont"; expected .* \(did you mean "Entrypoint"\?\)$/);
    assert.match(lines[3]!, /^r\.json: error: entrypoints\.handler\.args\[3\]\.TcpListener\.addr: /);
  });

  it("an entrypoint that is not an object", () => {
    const error = onlyError(run({ entrypoints: { listener: null } }));
    assert.equal(error.path, "entrypoints.listener");
    assert.equal(error.hint, "write {}, or leave the entrypoint out, to change nothing");
  });
});

describe("runtime specs: environment variables", () => {
  const noFiles = (path: string): string => {
    throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  };

  it("names VOID_LISTEN_ variables after the entrypoint", () => {
    assert.equal(listenVariable("listener"), "VOID_LISTEN_LISTENER");
    assert.equal(listenVariable("tls-handler"), "VOID_LISTEN_TLS_HANDLER");
    assert.equal(listenVariable("web.v2 é"), "VOID_LISTEN_WEB_V2__");
  });

  it("VOID_LISTEN_<ENTRYPOINT> sets its only TcpListener", () => {
    const result = ok(applyListenVariables(compiled, { VOID_LISTEN_HANDLER: "127.0.0.1:9100", PATH: "/bin" }));
    assert.deepEqual(entrypoint(result.spec, "handler").args[3], { kind: "TcpListener", addr: "127.0.0.1:9100" });
    assert.deepEqual(result.changes, ["VOID_LISTEN_HANDLER: entrypoints.handler.args[3]: TcpListener 127.0.0.1:9000 -> 127.0.0.1:9100"]);
  });

  it("VOID_LISTEN_ errors: unknown entrypoint, no listener, several, ambiguous name, bad address", () => {
    assert.deepEqual(errorLines(applyListenVariables(compiled, { VOID_LISTEN_LISTNER: "127.0.0.1:1" })), [
      'VOID_LISTEN_LISTNER: error: VOID_LISTEN_LISTNER names no entrypoint of the spec (did you mean "VOID_LISTEN_LISTENER"?)',
    ]);
    const spec = compile({
      entrypoints: {
        plain: {},
        two: { args: [{ TcpListener: { addr: "0.0.0.0:1" } }, { TcpListener: { addr: "0.0.0.0:2" } }] },
        "a-b": { args: [{ TcpListener: { addr: "0.0.0.0:3" } }] },
        a_b: { args: [{ TcpListener: { addr: "0.0.0.0:4" } }] },
      },
    });
    const none = onlyError(applyListenVariables(spec, { VOID_LISTEN_PLAIN: "0.0.0.0:80" }));
    assert.equal(none.path, "entrypoints.plain.args");
    assert.equal(none.message, "VOID_LISTEN_PLAIN sets a listen address, but entrypoints.plain has no TcpListener argument");
    const several = onlyError(applyListenVariables(spec, { VOID_LISTEN_TWO: "0.0.0.0:80" }));
    assert.equal(several.message, "VOID_LISTEN_TWO is ambiguous: entrypoints.two has 2 TcpListener arguments (args[0], args[1])");
    const clash = onlyError(applyListenVariables(spec, { VOID_LISTEN_A_B: "0.0.0.0:80" }));
    assert.equal(clash.message, 'VOID_LISTEN_A_B is ambiguous: it is the variable of entrypoints "a-b", "a_b"');
    const bad = onlyError(applyListenVariables(compiled, { VOID_LISTEN_LISTENER: "localhost:8443" }));
    assert.equal(bad.source, "VOID_LISTEN_LISTENER");
    assert.equal(bad.path, "entrypoints.listener.args[1].TcpListener.addr");
  });

  it("empty variables count as unset", () => {
    const result = ok(runtimeFromEnvironment(compiled, { VOID_RUNTIME: "", VOID_LISTEN_LISTENER: "" }, noFiles));
    assert.deepEqual(result.spec, compiled);
    assert.deepEqual(result.changes, []);
  });

  it("VOID_RUNTIME: inline JSON, or a file", () => {
    const inline = ok(runtimeFromEnvironment(compiled, { VOID_RUNTIME: ` ${JSON.stringify(listenerEnv(["Stderr"]))}` }, noFiles));
    assert.deepEqual(entrypoint(inline.spec, "listener").environment, [{ kind: "Stderr" }]);
    assert.ok(inline.changes.every((line) => line.startsWith("VOID_RUNTIME: entrypoints.listener.environment")));
    const files: Record<string, string> = { "/etc/void/prod.json": JSON.stringify(listenerEnv(["Stdout"])) };
    const read = (path: string): string => files[path] ?? noFiles(path);
    const fromFile = ok(runtimeFromEnvironment(compiled, { VOID_RUNTIME: "/etc/void/prod.json" }, read));
    assert.deepEqual(entrypoint(fromFile.spec, "listener").environment, [{ kind: "Stdout" }]);
    assert.ok(fromFile.changes[0]!.startsWith("/etc/void/prod.json: "));
    assert.deepEqual(errorLines(runtimeFromEnvironment(compiled, { VOID_RUNTIME: "/nope.json" }, read)), [
      `VOID_RUNTIME: error: cannot read the runtime spec named by VOID_RUNTIME "/nope.json": ENOENT: no such file or directory, open '/nope.json'`,
    ]);
    const badInline = onlyError(runtimeFromEnvironment(compiled, { VOID_RUNTIME: "{nope" }, read));
    assert.equal(badInline.source, "VOID_RUNTIME");
    assert.match(badInline.message, /^invalid JSON at line 1, column 2/);
  });

  it("precedence: --runtime file, then VOID_RUNTIME, then VOID_LISTEN_*", () => {
    const read = (): string => JSON.stringify(listenerArgs(withArg(1, { TcpListener: { addr: "127.0.0.1:9443" } })));
    const env: Env = {
      VOID_RUNTIME: JSON.stringify(listenerArgs(withArg(1, { TcpListener: { addr: "127.0.0.1:9444" } }))),
      VOID_LISTEN_LISTENER: "127.0.0.1:9445",
    };
    const result = ok(resolveRuntime(compiled, { file: "prod.json", env, readFile: read }));
    assert.deepEqual(entrypoint(result.spec, "listener").args[1], { kind: "TcpListener", addr: "127.0.0.1:9445" });
    assert.deepEqual(result.changes, [
      "prod.json: entrypoints.listener.args[1]: TcpListener 0.0.0.0:8443 -> 127.0.0.1:9443",
      "VOID_RUNTIME: entrypoints.listener.args[1]: TcpListener 127.0.0.1:9443 -> 127.0.0.1:9444",
      "VOID_LISTEN_LISTENER: entrypoints.listener.args[1]: TcpListener 127.0.0.1:9444 -> 127.0.0.1:9445",
    ]);
    const nothing = ok(resolveRuntime(compiled, { readFile: read }));
    assert.deepEqual(nothing.spec, compiled);
    assert.equal(onlyError(resolveRuntime(compiled, { file: "gone.json", readFile: noFiles })).source, "--runtime");
  });

  it("VOID_LISTEN_ applies to the args the file chose, leaving its other changes", () => {
    const read = (): string => JSON.stringify(listenerArgs(withArg(2, { File: "/etc/ssl/prod.pem" })));
    const result = ok(resolveRuntime(compiled, { file: "prod.json", env: { VOID_LISTEN_LISTENER: "[::1]:443" }, readFile: read }));
    assert.deepEqual(entrypoint(result.spec, "listener").args.slice(1, 3), [
      { kind: "TcpListener", addr: "[::1]:443" },
      { kind: "File", path: "/etc/ssl/prod.pem" },
    ]);
  });
});

describe("runtime specs: stacking is checked against the compile-time spec", () => {
  const file = (value: unknown) => (): string => JSON.stringify(value);

  it("a later layer may restore what an earlier one narrowed, within the compile-time spec", () => {
    const result = ok(
      resolveRuntime(compiled, {
        file: "prod.json",
        env: { VOID_RUNTIME: JSON.stringify(listenerEnv(["Stdout", { Filesystem: { host_path: "/v", environment_path: "/state", read_only: false } }])) },
        readFile: file(listenerEnv([{ Filesystem: { host_path: "/var/lib/app", environment_path: "/state" } }])),
      }),
    );
    assert.deepEqual(entrypoint(result.spec, "listener").environment, [
      { kind: "Filesystem", hostPath: "/v", environmentPath: "/state", readOnly: false, shared: false, optional: false },
      { kind: "Stdout" },
    ]);
    assert.ok(result.changes.includes('VOID_RUNTIME: entrypoints.listener.environment[0]: adds "Stdout"'));
  });

  it("but never widen it, whatever the file did first", () => {
    const readFile = file(listenerEnv([{ Filesystem: { host_path: "/etc/app", environment_path: "/config" } }]));
    const stacked = (runtime: unknown): RuntimeResult => resolveRuntime(compiled, { file: "prod.json", env: { VOID_RUNTIME: JSON.stringify(runtime) }, readFile });
    const bind = onlyError(stacked(listenerEnv([{ Filesystem: { host_path: "/", environment_path: "/host" } }])));
    assert.equal(bind.source, "VOID_RUNTIME");
    assert.match(bind.message, /^widens the compile-time spec: a new bind at "\/host"$/);
    assert.match(onlyError(stacked(listenerEnv(["Procfs"]))).message, /widens the compile-time spec: a new grant "Procfs"/);
    const rpcFile = file(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { family: "Inet", port: 443, host: "example.org" } }] })));
    const rpc = resolveRuntime(compiled, {
      file: "prod.json",
      env: { VOID_RUNTIME: JSON.stringify(listenerArgs(withArg(4, { Rpc: [{ OpenTcpSocket: { port: 80 } }] }))) },
      readFile: rpcFile,
    });
    assert.match(onlyError(rpc).message, /^widens the compile-time spec: OpenTcpSocket with a new RPC port 80/);
  });

  it("errors of every layer are reported, each with its source", () => {
    const result = resolveRuntime(compiled, {
      file: "prod.json",
      env: { VOID_RUNTIME: JSON.stringify({ entrypoints: { ghost: {} } }), VOID_LISTEN_HANDLER: "999.0.0.1:1" },
      readFile: file(listenerEnv(["Procfs"])),
    });
    assert.deepEqual(
      errors(result).map((e) => e.source),
      ["prod.json", "VOID_RUNTIME", "VOID_LISTEN_HANDLER"],
    );
  });
});

describe("runtime specs: the compile-time spec given back changes nothing (property)", () => {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const dir = `${root}test/fixtures/specs/valid/`;
  const fixtures = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}${file}`, "utf8");
      const parsed = parseSpec(text);
      if (!parsed.ok) assert.fail(`${file} is not valid`);
      return { file, text, spec: parsed.spec, value: JSON.parse(text) as { entrypoints: Record<string, Record<string, unknown>> } };
    });

  it("the whole file, its canonical form", () => {
    assert.ok(fixtures.length >= 5);
    for (const { file, text, spec } of fixtures) {
      for (const result of [applyRuntime(spec, text, file), applyRuntimeValue(spec, specToValue(spec), file)]) {
        const applied = ok(result);
        assert.deepEqual(applied.spec, spec, file);
        assert.deepEqual(applied.changes, [], file);
      }
    }
  });

  it("any part of it, environments in any order", () => {
    const fixture = fc.constantFrom(...fixtures).chain((f) => {
      const entries = Object.entries(f.value.entrypoints);
      const parts = entries.map(([name, ep]) =>
        fc
          .record({
            keep: fc.boolean(),
            keys: fc.subarray(Object.keys(ep)),
            environment: fc.shuffledSubarray((ep["environment"] as unknown[] | undefined) ?? [], {
              minLength: ((ep["environment"] as unknown[] | undefined) ?? []).length,
            }),
          })
          .map(({ keep, keys, environment }) => {
            if (!keep) return undefined;
            const part: Record<string, unknown> = {};
            for (const key of keys) part[key] = key === "environment" ? environment : ep[key];
            return [name, part] as const;
          }),
      );
      return fc.tuple(fc.constant(f), fc.tuple(...parts));
    });
    fc.assert(
      fc.property(fixture, ([f, parts]) => {
        const runtime = { entrypoints: Object.fromEntries(parts.filter((p) => p !== undefined)) };
        const result = applyRuntimeValue(f.spec, runtime, f.file);
        return result.ok && result.changes.length === 0 && JSON.stringify(result.spec) === JSON.stringify(f.spec);
      }),
      { numRuns: 300 },
    );
  });
});

describe("runtime Limits only tighten, also where the spec sets none (the value in force is the default)", () => {
  const limitsOf = (environment: unknown[]) => compile({ entrypoints: { a: { trigger: { Pipe: "in" }, environment }, w: { args: [{ Pipe: { Tx: "in" } }] } } });
  const apply = (spec: Spec, limits: unknown) => applyRuntimeValue(spec, { entrypoints: { a: { environment: [{ Limits: limits }] } } }, "rt.json");

  it("refuses each field raised above what is in force without it", () => {
    const none = limitsOf([]);
    const memoryOnly = limitsOf([{ Limits: { memory: "16M" } }]);
    for (const [spec, limits, field] of [
      [memoryOnly, { memory: "16M", memory_swap: "8G" }, "memory_swap"], // no swap is in force with a memory limit
      [none, { cpu_weight: 10000 }, "cpu_weight"], // the default weight is 100
      [none, { cpu_weight: 101 }, "cpu_weight"],
      [none, { concurrency: 100000 }, "concurrency"], // the default is 64
      [none, { inotify_instances: 17 }, "inotify_instances"], // the default is 16
      [none, { inotify_watches: 8193 }, "inotify_watches"], // the default is 8192
      [memoryOnly, { memory: "32M" }, "memory"],
      [limitsOf([{ Limits: { pids: 8, timeout: "1s", cpu_max: 0.5 } }]), { pids: 9, timeout: "1s", cpu_max: 0.5 }, "pids"],
      [limitsOf([{ Limits: { pids: 8, timeout: "1s", cpu_max: 0.5 } }]), { pids: 8, timeout: "2s", cpu_max: 0.5 }, "timeout"],
      [limitsOf([{ Limits: { pids: 8, timeout: "1s", cpu_max: 0.5 } }]), { pids: 8, timeout: "1s", cpu_max: 1 }, "cpu_max"],
      [limitsOf([{ Limits: { pids: 8, timeout: "1s", cpu_max: 0.5 } }]), { timeout: "1s", cpu_max: 0.5 }, "pids"], // removed
    ] as const) {
      const r = apply(spec, limits);
      assert.ok(!r.ok, `${JSON.stringify(limits)} was accepted`);
      assert.match(r.errors.map((e) => e.message).join("\n"), new RegExp(`raises or removes the limits? .*"${field}"`), JSON.stringify(limits));
    }
  });

  it("accepts what tightens: new limits where none bound, the defaults themselves, lower values", () => {
    const none = limitsOf([]);
    for (const limits of [
      { memory: "8M" },
      { memory: "8M", memory_swap: "8G" },
      { cpu_weight: 100 },
      { cpu_weight: 1 },
      { concurrency: 64 },
      { concurrency: 2 },
      { inotify_instances: 0 },
      { inotify_instances: 16, inotify_watches: 100 },
      { pids: 4, timeout: "1s", cpu_max: 0.1 },
    ]) {
      const r = apply(none, limits);
      assert.ok(r.ok, `${JSON.stringify(limits)}: ${JSON.stringify(!r.ok && r.errors)}`);
    }
    const r = apply(limitsOf([{ Limits: { memory: "16M", memory_swap: "1G", cpu_weight: 500, concurrency: 200 } }]), { memory: "16M", memory_swap: "512M", cpu_weight: 500, concurrency: 100 });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  });

  it("limitInForce: the defaults", () => {
    assert.equal(limitInForce(undefined, "cpuWeight"), DEFAULT_CPU_WEIGHT);
    assert.equal(limitInForce(undefined, "concurrency"), DEFAULT_CONCURRENCY);
    assert.equal(limitInForce({ memory: 1 }, "memorySwap"), 0);
    assert.equal(limitInForce({}, "memorySwap"), Number.POSITIVE_INFINITY);
    assert.equal(limitInForce({}, "memory"), Number.POSITIVE_INFINITY);
  });
});

describe("checkRuntimeConcurrency: a runtime concurrency where the spec sets none is bounded by -j", () => {
  const base = compile({ entrypoints: { a: { trigger: { Pipe: "in" } }, w: { args: [{ Pipe: { Tx: "in" } }] } } });
  const withLimit = compile({ entrypoints: { a: { trigger: { Pipe: "in" }, environment: [{ Limits: { concurrency: 50 } }] }, w: { args: [{ Pipe: { Tx: "in" } }] } } });
  const merged = (n: number) => {
    const r = applyRuntimeValue(base, { entrypoints: { a: { environment: [{ Limits: { concurrency: n } }] } } }, "rt.json");
    assert.ok(r.ok);
    return r.spec;
  };
  it("refuses more than -j, accepts -j or fewer, and leaves a compile-time concurrency alone", () => {
    assert.throws(() => checkRuntimeConcurrency(base, merged(20), 1), /concurrency 20 widens the compile-time spec: -j allows 1/);
    checkRuntimeConcurrency(base, merged(1), 1);
    checkRuntimeConcurrency(base, merged(8), 64);
    checkRuntimeConcurrency(withLimit, withLimit, 1);
  });
});

describe("runtime Tmpfs, WorkingDirectory, Env, PassEnv: values may change, nothing may be added", () => {
  const base = compile({
    entrypoints: { a: { environment: [{ Tmpfs: { path: "/tmp", size: "64M" } }, { WorkingDirectory: "/data" }, { Env: { LANG: "C.UTF-8", MODE: "dev" } }, { PassEnv: ["TERM", "TZ"] }] } },
  });
  const apply = (environment: unknown[]) => applyRuntimeValue(base, { entrypoints: { a: { environment } } }, "rt.json");
  it("accepts new values, a smaller tmpfs, another directory, fewer names", () => {
    const r = ok(apply([{ Tmpfs: { path: "/tmp", size: "16M" } }, { WorkingDirectory: "/srv" }, { Env: { LANG: "C.UTF-8", MODE: "prod" } }, { PassEnv: ["TERM"] }]));
    const env = entrypoint(r.spec, "a").environment;
    assert.deepEqual(
      env.find((g) => g.kind === "Env"),
      {
        kind: "Env",
        vars: [
          ["LANG", "C.UTF-8"],
          ["MODE", "prod"],
        ],
      },
    );
    assert.ok(
      r.changes.some((c) => /Env: MODE changed/.test(c)),
      r.changes.join("\n"),
    );
    assert.ok(!r.changes.some((c) => c.includes("prod")), "values are not repeated in the changes");
    assert.ok(r.changes.some((c) => /Tmpfs at "\/tmp": size 67108864 -> 16777216/.test(c)));
    assert.ok(r.changes.some((c) => /WorkingDirectory "\/data" -> "\/srv"/.test(c)));
  });
  it("refuses a bigger or new tmpfs, a new variable set or passed on", () => {
    for (const [environment, message] of [
      [[{ Tmpfs: { path: "/tmp", size: "128M" } }], /more than the 67108864/],
      [[{ Tmpfs: { path: "/var/tmp" } }], /a new tmpfs at "\/var\/tmp"/],
      [[{ Env: { LANG: "C", EXTRA: "1" } }], /sets "EXTRA", which the compile-time spec does not/],
      [[{ PassEnv: ["TERM", "AWS_SECRET_ACCESS_KEY"] }], /passes on "AWS_SECRET_ACCESS_KEY"/],
    ] as const) {
      const e = errors(apply([...environment]));
      assert.match(formatRuntimeDiagnostics(e), message, JSON.stringify(environment));
    }
  });
});

describe("runtime Executable grants: only the compile-time programs", () => {
  it("keeps them, drops them, never adds one", () => {
    const base = compile({ entrypoints: { a: { environment: [{ Executable: "/usr/bin/ls" }] } } });
    ok(applyRuntimeValue(base, { entrypoints: { a: { environment: [{ Executable: "/usr/bin/ls" }] } } }, "rt.json"));
    ok(applyRuntimeValue(base, { entrypoints: { a: { environment: [] } } }, "rt.json"));
    const e = errors(applyRuntimeValue(base, { entrypoints: { a: { environment: [{ Executable: "/usr/bin/curl" }] } } }, "rt.json"));
    assert.match(formatRuntimeDiagnostics(e), /a new program "\/usr\/bin\/curl"/);
  });
});

describe("runtime LibraryPath and Library grants: only the compile-time ones", () => {
  it("keeps them, drops them, never adds one", () => {
    const base = compile({ entrypoints: { a: { environment: [{ LibraryPath: "/opt/app/lib" }, { Library: "/opt/app/plugin.so" }] } } });
    ok(applyRuntimeValue(base, { entrypoints: { a: { environment: [{ Library: "/opt/app/plugin.so" }, { LibraryPath: "/opt/app/lib" }] } } }, "rt.json"));
    ok(applyRuntimeValue(base, { entrypoints: { a: { environment: [] } } }, "rt.json"));
    const dir = errors(applyRuntimeValue(base, { entrypoints: { a: { environment: [{ LibraryPath: "/tmp/evil" }] } } }, "rt.json"));
    assert.match(formatRuntimeDiagnostics(dir), /environment\[0\]\.LibraryPath: widens the compile-time spec: a new library directory "\/tmp\/evil"/);
    const mod = errors(applyRuntimeValue(base, { entrypoints: { a: { environment: [{ Library: "/tmp/evil.so" }] } } }, "rt.json"));
    assert.match(formatRuntimeDiagnostics(mod), /a new library "\/tmp\/evil\.so"/);
  });
});
