/**
 * Strict fuzzing of the spec parser and of runtime specs, bounded to a few
 * seconds: the properties of test/fuzz/spec-fuzz.ts (specs broken in a
 * known way are never accepted and are reported where they were broken;
 * valid specs survive a round trip through specToValue; nothing makes the
 * parser or the runtime layer throw; no runtime spec, alone or stacked,
 * ever widens the compile-time spec), each with a small number of runs.
 * `npm run fuzz` runs the same properties for longer.
 *
 * Below them, single cases that the properties found or that they cannot
 * express, some of them known product bugs (marked todo).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { checkRequestHost } from "../../src/rpc/protocol.js";
import { formatDiagnostics } from "../../src/spec/format.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue, formatRuntimeDiagnostics, specToValue } from "../../src/spec/runtime.js";
import type { Spec } from "../../src/spec/types.js";
import { FIXTURES, MUTATION_KINDS, PROPERTIES, widening } from "../fuzz/spec-fuzz.js";

function compile(value: unknown): Spec {
  const r = parseSpecValue(value);
  if (!r.ok) assert.fail(formatDiagnostics(r.errors));
  return r.spec;
}

describe("strict spec fuzzing (bounded)", () => {
  it("has fixtures and mutations to work with", () => {
    assert.ok(FIXTURES.length >= 8, `${FIXTURES.length} fixtures`);
    assert.ok(MUTATION_KINDS.length >= 15, `${MUTATION_KINDS.length} kinds of mutation`);
  });

  for (const p of PROPERTIES) {
    it(p.name, () => {
      fc.assert(p.property, { numRuns: p.quick });
    });
  }
});

describe("the runtime oracle itself", () => {
  const compiled = compile({
    entrypoints: {
      a: {
        args: ["BinaryName", { Rpc: [{ OpenTcpSocket: { family: null, port: 443, host: "example.org" } }] }],
        environment: [{ Filesystem: { host_path: "/etc/app", environment_path: "/config" } }, { Limits: { pids: 8 } }],
      },
    },
  });
  const merged = (ep: object): Spec => compile({ entrypoints: { a: ep } });

  it("finds each kind of widening the properties rely on (so they are not vacuous)", () => {
    const rpc = (host: string | null, port: number | null) => ({ Rpc: [{ OpenTcpSocket: { family: null, port, host } }] });
    const env = [{ Filesystem: { host_path: "/x", environment_path: "/config" } }, { Limits: { pids: 8 } }];
    assert.equal(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443)], environment: env })), undefined);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("evil.example", 443)], environment: env })) ?? "", /allows/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc(null, 443)], environment: env })) ?? "", /allows/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 80)], environment: env })) ?? "", /allows/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443), "Trailing"], environment: env })) ?? "", /number of arguments/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443)], environment: [...env, "Procfs"] })) ?? "", /Procfs/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443)], environment: [...env, { Filesystem: { host_path: "/", environment_path: "/etc" } }] })) ?? "", /new bind/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443)], environment: [env[0]!] })) ?? "", /Limits removed/);
    assert.match(widening(compiled, merged({ args: ["BinaryName", rpc("example.org", 443)], environment: [env[0]!, { Limits: { pids: 9 } }] })) ?? "", /pids/);
  });
});

describe("found by fuzzing, or beyond what the properties express", () => {
  it('a numeric Limits timeout under half a millisecond is refused like "0.4ms" (it is accepted as 0 ms, and written back as "timeout": 0, which the parser refuses)', () => {
    const value = { entrypoints: { a: { environment: [{ Limits: { timeout: 0.0004 } }] } } };
    const asString = parseSpecValue({ entrypoints: { a: { environment: [{ Limits: { timeout: "0.4ms" } }] } } });
    assert.equal(asString.ok, false, '"0.4ms" is refused');
    const r = parseSpecValue(value);
    if (r.ok) {
      const back = specToValue(r.spec);
      const again = parseSpecValue(back);
      assert.ok(again.ok, `written back: ${JSON.stringify(back)}: ${again.ok ? "" : formatDiagnostics(again.errors)}`);
      const identity = applyRuntimeValue(r.spec, back, "same.json");
      assert.ok(identity.ok, identity.ok ? "" : formatRuntimeDiagnostics(identity.errors));
    }
    assert.equal(r.ok, false, "a timeout that rounds to 0 ms is refused");
  });

  it("an Rpc host with a C1 control character (U+0080..U+009F, e.g. NEL U+0085) is refused, in the spec and in a request", () => {
    for (const host of ["\u0085example.org", "example\u0080.org", "example.org\u009b"]) {
      const r = parseSpecValue({ entrypoints: { a: { args: ["BinaryName", { Rpc: [{ OpenTcpSocket: { family: null, port: 443, host } }] }] } } });
      assert.equal(r.ok, false, `spec host ${JSON.stringify(host)} accepted`);
      assert.notEqual(checkRequestHost(host), undefined, `request host ${JSON.stringify(host)} accepted`);
    }
  });

  it("two TcpListeners on one ip:port written differently are refused like two written alike", () => {
    for (const [a, b] of [
      ["127.0.0.1:8080", "127.0.0.1:08080"],
      ["[::1]:8080", "[0:0::1]:8080"],
      ["[::ffff:127.0.0.1]:8080", "[::ffff:7f00:1]:8080"],
    ]) {
      const r = parseSpecValue({ entrypoints: { a: { args: [{ TcpListener: { addr: a } }] }, b: { args: [{ TcpListener: { addr: b } }] } } });
      assert.equal(r.ok, false, `${a} and ${b} accepted together`);
    }
    // Written alike, they are refused (the rule works on identical text).
    assert.equal(parseSpecValue({ entrypoints: { a: { args: [{ TcpListener: { addr: "[::1]:8080" } }] }, b: { args: [{ TcpListener: { addr: "[::1]:8080" } }] } } }).ok, false);
  });

  it("a runtime change of a Limits grant is described as Limits", () => {
    const spec = compile({ entrypoints: { a: { environment: [{ Limits: { pids: 8 } }] } } });
    const r = applyRuntimeValue(spec, { entrypoints: { a: { environment: [{ Limits: { pids: 4 } }] } } }, "rt.json");
    assert.ok(r.ok, r.ok ? "" : formatRuntimeDiagnostics(r.errors));
    assert.deepEqual(r.changes, ['rt.json: entrypoints.a.environment[0]: Limits {"Limits": {"pids": 8}} -> {"Limits": {"pids": 4}}']);
  });
});
