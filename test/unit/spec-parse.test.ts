/**
 * Unit tests of the spec parser: every form, defaults, stale spellings, set
 * semantics of environment, every error reported at once, did-you-mean, JSON
 * syntax errors with line and column (for the message formats of Node 20 and
 * Node 22+), duplicate keys, and the formatter.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic, formatDiagnostics } from "../../src/spec/format.js";
import { cleanSyntaxErrorMessage, locate, readJsonText, scanJson, syntaxErrorOffset } from "../../src/spec/json-text.js";
import { parseSpec, parseSpecValue } from "../../src/spec/parse.js";
import { closestMatch, didYouMean, editDistance } from "../../src/spec/suggest.js";
import type { Diagnostic, ParseResult, Spec } from "../../src/spec/types.js";
import { locateSpec, validateSpec } from "../../src/spec/validate.js";

function ok(result: ParseResult): { spec: Spec; warnings: Diagnostic[] } {
  if (!result.ok) assert.fail(`expected a valid spec, got:\n${formatDiagnostics(result.errors)}`);
  return result;
}

function errors(result: ParseResult): Diagnostic[] {
  if (result.ok) assert.fail("expected errors, the spec parsed");
  return result.errors;
}

/** The only error of a result. */
function onlyError(result: ParseResult): Diagnostic {
  const all = errors(result);
  assert.equal(all.length, 1, formatDiagnostics(all));
  return all[0]!;
}

const one = (entrypoint: unknown): unknown => ({ entrypoints: { app: entrypoint } });

describe("parseSpec: forms and defaults", () => {
  it("fills in the defaults: Startup, [BinaryName], no environment", () => {
    const { spec, warnings } = ok(parseSpec('{"entrypoints": {"fib": {}}}'));
    assert.deepEqual(spec, {
      entrypoints: [{ name: "fib", trigger: { kind: "Startup" }, args: [{ kind: "BinaryName" }], environment: [] }],
    });
    assert.deepEqual(warnings, []);
  });

  it("parses the original fib spec", () => {
    const { spec } = ok(parseSpec('{"entrypoints":{"fib":{"args":["BinaryName","Trailing"],"environment":["Stdout"]}}}'));
    assert.deepEqual(spec.entrypoints[0], {
      name: "fib",
      trigger: { kind: "Startup" },
      args: [{ kind: "BinaryName" }, { kind: "Trailing" }],
      environment: [{ kind: "Stdout" }],
    });
  });

  it("parses every argument form", () => {
    const { spec } = ok(
      parseSpecValue({
        entrypoints: {
          a: {
            args: [
              "BinaryName",
              "Entrypoint",
              { File: "/etc/hosts" },
              { Pipe: { Tx: "p" } },
              { Pipe: { Rx: "q" } },
              { FileSocket: { Tx: "s" } },
              { TcpListener: { addr: "0.0.0.0:8443" } },
              { TcpListener: { addr: "[::1]:0" } },
              {
                Rpc: [{ OpenTcpSocket: { family: "Inet", port: 443, host: "example.org" } }, { OpenUdpSocket: { family: "Inet6", port: null, host: null } }, { OpenUdpSocket: {} }],
              },
              "Trailing",
            ],
          },
          b: { trigger: { Pipe: "p" }, args: ["Trigger", { Pipe: { Tx: "q" } }] },
          c: { trigger: { FileSocket: "s" }, args: ["Trigger"] },
        },
      }),
    );
    assert.deepEqual(spec.entrypoints[0]?.args, [
      { kind: "BinaryName" },
      { kind: "Entrypoint" },
      { kind: "File", path: "/etc/hosts" },
      { kind: "Pipe", direction: "Tx", name: "p" },
      { kind: "Pipe", direction: "Rx", name: "q" },
      { kind: "FileSocket", direction: "Tx", name: "s" },
      { kind: "TcpListener", addr: "0.0.0.0:8443" },
      { kind: "TcpListener", addr: "[::1]:0" },
      {
        kind: "Rpc",
        operations: [
          { kind: "OpenTcpSocket", family: "Inet", port: 443, host: "example.org" },
          { kind: "OpenUdpSocket", family: "Inet6", port: null, host: null },
          { kind: "OpenUdpSocket", family: null, port: null, host: null },
        ],
      },
      { kind: "Trailing" },
    ]);
    assert.deepEqual(spec.entrypoints[1]?.trigger, { kind: "Pipe", name: "p" });
    assert.deepEqual(spec.entrypoints[2]?.trigger, { kind: "FileSocket", name: "s" });
    assert.deepEqual(spec.entrypoints[2]?.args, [{ kind: "Trigger" }]);
  });

  it("parses every environment form, read_only defaulting to true", () => {
    const { spec } = ok(
      parseSpecValue(
        one({
          environment: [
            { Filesystem: { host_path: "/etc/dnsmasq.conf", environment_path: "/config" } },
            { Filesystem: { host_path: "/var/lib/x", environment_path: "/state", read_only: false } },
            { Filesystem: { host_path: "/", environment_path: "/" } },
            { Hostname: "h" },
            { DomainName: "d" },
            "Procfs",
            "Stdin",
            "Stdout",
            "Stderr",
          ],
        }),
      ),
    );
    assert.deepEqual(spec.entrypoints[0]?.environment, [
      { kind: "Filesystem", hostPath: "/etc/dnsmasq.conf", environmentPath: "/config", readOnly: true, shared: false, optional: false },
      { kind: "Filesystem", hostPath: "/var/lib/x", environmentPath: "/state", readOnly: false, shared: false, optional: false },
      { kind: "Filesystem", hostPath: "/", environmentPath: "/", readOnly: true, shared: false, optional: false },
      { kind: "Hostname", name: "h" },
      { kind: "DomainName", name: "d" },
      { kind: "Procfs" },
      { kind: "Stdin" },
      { kind: "Stdout" },
      { kind: "Stderr" },
    ]);
  });

  it('accepts serde\'s long form {"Unit": null} of unit variants', () => {
    const { spec, warnings } = ok(parseSpecValue(one({ trigger: { Startup: null }, args: [{ BinaryName: null }], environment: [{ Stdout: null }] })));
    assert.deepEqual(spec.entrypoints[0], {
      name: "app",
      trigger: { kind: "Startup" },
      args: [{ kind: "BinaryName" }],
      environment: [{ kind: "Stdout" }],
    });
    assert.deepEqual(warnings, []);
  });

  it('accepts an optional top-level "$schema" string', () => {
    ok(parseSpecValue({ $schema: "./void.schema.json", entrypoints: { a: {} } }));
    assert.match(onlyError(parseSpecValue({ $schema: 3, entrypoints: { a: {} } })).message, /got the number 3/);
  });

  it("keeps entrypoints in file order, integer-like names included", () => {
    const { spec } = ok(parseSpec('{"entrypoints": {"b": {}, "10": {}, "a": {}, "2": {}}}'));
    assert.deepEqual(
      spec.entrypoints.map((e) => e.name),
      ["b", "10", "a", "2"],
    );
  });

  it("accepts a leading byte order mark", () => {
    ok(parseSpec('\uFEFF{"entrypoints": {"a": {}}}'));
  });

  it("accepts an empty args list (argv is then empty)", () => {
    assert.deepEqual(ok(parseSpecValue(one({ args: [] }))).spec.entrypoints[0]?.args, []);
  });
});

describe("parseSpec: stale spellings", () => {
  it('"PipeTrigger" means "Trigger", with a warning that says what to write', () => {
    const result = ok(
      parseSpecValue({
        entrypoints: {
          w: { args: [{ Pipe: { Tx: "p" } }] },
          r: { trigger: { Pipe: "p" }, args: ["BinaryName", "PipeTrigger"] },
        },
      }),
    );
    assert.deepEqual(result.spec.entrypoints[1]?.args, [{ kind: "BinaryName" }, { kind: "Trigger" }]);
    assert.deepEqual(result.warnings, [
      {
        severity: "warning",
        path: "entrypoints.r.args[1]",
        message: '"PipeTrigger" is a deprecated spelling of "Trigger"',
        hint: 'write "Trigger"',
      },
    ]);
  });

  it('{"TcpListener": {"port": N}} means addr "0.0.0.0:N", with a warning', () => {
    const result = ok(parseSpecValue(one({ args: [{ TcpListener: { port: 8080 } }] })));
    assert.deepEqual(result.spec.entrypoints[0]?.args, [{ kind: "TcpListener", addr: "0.0.0.0:8080" }]);
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]?.severity, "warning");
    assert.equal(result.warnings[0]?.path, "entrypoints.app.args[0].TcpListener");
    assert.match(result.warnings[0]?.hint ?? "", /write \{"addr": "0\.0\.0\.0:8080"\}/);
  });

  it("does not suggest stale spellings", () => {
    const error = onlyError(parseSpecValue(one({ args: ["PipeTrigge"] })));
    assert.equal(error.hint, undefined);
    assert.doesNotMatch(error.expected ?? "", /PipeTrigger/);
    assert.equal(onlyError(parseSpecValue(one({ args: ["Triger"] }))).hint, 'did you mean "Trigger"?');
  });
});

describe("parseSpec: environment is a set", () => {
  it("drops repeats and keeps the order of first appearance", () => {
    const { spec } = ok(
      parseSpecValue(
        one({
          environment: [
            "Stdout",
            { Hostname: "h" },
            "Stderr",
            { Stdout: null },
            { Hostname: "h" },
            { Filesystem: { host_path: "/a", environment_path: "/b" } },
            { Filesystem: { host_path: "/a", environment_path: "/b", read_only: true } },
            "Stderr",
          ],
        }),
      ),
    );
    assert.deepEqual(spec.entrypoints[0]?.environment, [
      { kind: "Stdout" },
      { kind: "Hostname", name: "h" },
      { kind: "Stderr" },
      { kind: "Filesystem", hostPath: "/a", environmentPath: "/b", readOnly: true, shared: false, optional: false },
    ]);
  });

  it("refuses two different Hostnames, DomainNames, or grants for one environment_path", () => {
    const all = errors(
      parseSpecValue(
        one({
          environment: [
            { Hostname: "a" },
            { Hostname: "b" },
            { DomainName: "x" },
            { DomainName: "y" },
            { Filesystem: { host_path: "/a", environment_path: "/m" } },
            { Filesystem: { host_path: "/a", environment_path: "/m", read_only: false } },
          ],
        }),
      ),
    );
    assert.deepEqual(
      all.map((e) => e.path),
      ["entrypoints.app.environment[1]", "entrypoints.app.environment[3]", "entrypoints.app.environment[5]"],
    );
  });
});

describe("parseSpec: every error at once", () => {
  it("reports structural and cross-entrypoint errors together, in document order", () => {
    const all = errors(
      parseSpecValue({
        entrypoints: {
          "tls-handler": {
            trigger: "Startup",
            args: ["BinaryName", "Entrypiont", { File: "key.pem" }, "Trigger", { Pipe: { Tx: "out" } }],
            environment: ["Stdot", { Hostname: "x".repeat(65) }],
            extra: 1,
          },
          second: { args: [{ TcpListener: { addr: "1.2.3.4:99999" } }] },
        },
        unknown: true,
      }),
    );
    assert.deepEqual(
      all.map((e) => e.path),
      [
        "",
        'entrypoints["tls-handler"]',
        'entrypoints["tls-handler"].args[1]',
        'entrypoints["tls-handler"].args[2].File',
        'entrypoints["tls-handler"].environment[0]',
        'entrypoints["tls-handler"].environment[1].Hostname',
        "entrypoints.second.args[0].TcpListener.addr",
        'entrypoints["tls-handler"].args[4]',
        'entrypoints["tls-handler"].args[3]',
      ],
    );
    assert.ok(all.every((e) => e.severity === "error"));
  });

  it("does not cascade: a misread pipe end is not also reported as a dangling pipe", () => {
    const error = onlyError(
      parseSpecValue({
        entrypoints: {
          w: { args: [{ Pipe: { TX: "p" } }] },
          r: { trigger: { Pipe: "p" } },
        },
      }),
    );
    assert.equal(error.path, "entrypoints.w.args[0].Pipe");
    assert.equal(error.hint, 'did you mean "Tx"?');
  });

  it("skips the Startup rule when a trigger could not be read", () => {
    const error = onlyError(parseSpecValue(one({ trigger: "Startp" })));
    assert.equal(error.hint, 'did you mean "Startup"?');
  });

  it("says what a value of the wrong type was", () => {
    const all = errors(parseSpecValue({ entrypoints: { a: { args: [1, "x", [], {}, null, true] } } }));
    assert.deepEqual(
      all.map((e) => e.message),
      ["got the number 1", 'unknown variant "x"', "got an empty array", "got an empty object", "got null", "got the boolean true"],
    );
  });

  it("never throws on values JSON cannot express", () => {
    for (const value of [undefined, () => 1, Symbol("x"), 10n, new Map(), { entrypoints: { a: { args: [undefined] } } }]) {
      assert.equal(parseSpecValue(value).ok, false);
    }
  });
});

describe("parseSpec: validation rules", () => {
  it("wires pipes and sockets: one reader and one writer per pipe, sockets may have many writers", () => {
    ok(
      parseSpecValue({
        entrypoints: {
          a: { args: [{ Pipe: { Tx: "p" } }, { FileSocket: { Tx: "s" } }] },
          b: { args: [{ Pipe: { Rx: "p" } }, { FileSocket: { Tx: "s" } }] },
          c: { trigger: { FileSocket: "s" }, args: ["Trigger"] },
        },
      }),
    );
    const twoReaders = errors(
      parseSpecValue({
        entrypoints: {
          a: { args: [{ Pipe: { Tx: "p" } }, { FileSocket: { Tx: "s" } }, { FileSocket: { Rx: "s" } }] },
          b: { trigger: { Pipe: "p" }, args: [{ Pipe: { Rx: "p" } }, { FileSocket: { Rx: "s" } }] },
        },
      }),
    );
    assert.deepEqual(
      twoReaders.map((e) => `${e.path}: ${e.message}`),
      ['entrypoints.b.args[0]: pipe "p" already has a reader at entrypoints.b.trigger', 'entrypoints.b.args[1]: file socket "s" already has a reader at entrypoints.a.args[2]'],
    );
  });

  it('with a FileSocket trigger, no fd argument nor a second "Trigger" after "Trigger" (the writer\'s fd count would move it), a warning for any other', () => {
    const spec = (args: unknown[]) =>
      parseSpecValue({
        entrypoints: {
          a: { args: [{ FileSocket: { Tx: "s" } }, { Pipe: { Tx: "p" } }] },
          h: { trigger: { FileSocket: "s" }, args },
          r: { trigger: { Pipe: "p" }, args: ["Trigger", { File: "/etc/hosts" }, "Trigger"] },
        },
      });
    // Fd arguments before it, "Trigger" last: fine (and a Pipe trigger's "Trigger" is always one argument: nothing moves).
    assert.deepEqual(ok(spec(["BinaryName", "Entrypoint", { File: "/etc/hosts" }, { Rpc: [{ OpenTcpSocket: { family: "Inet", port: 443, host: "example.org" } }] }, "Trigger"])).warnings, []);
    const bad = errors(spec(["BinaryName", "Trigger", { File: "/etc/hosts" }, "Trigger"]));
    assert.deepEqual(
      bad.map((e) => e.path),
      ["entrypoints.h.args[2]", "entrypoints.h.args[3]"],
      bad.map((e) => e.message).join("\n"),
    );
    assert.match(bad[0]!.message, /^a File argument after "Trigger" in entrypoints\.h, whose FileSocket trigger makes "Trigger" as many arguments as the packet carries fds/);
    assert.match(bad[1]!.message, /^a second "Trigger" after "Trigger"/);
    assert.match(bad[0]!.hint ?? "", /put the fd arguments before "Trigger"/);
    const warned = ok(spec(["Trigger", "Entrypoint", "Trailing"])).warnings;
    assert.deepEqual(
      warned.map((w) => w.path),
      ["entrypoints.h.args[1]", "entrypoints.h.args[2]"],
    );
  });

  it("suggests the pipe name the other end uses", () => {
    const all = errors(
      parseSpecValue({
        entrypoints: {
          server: { args: [{ Pipe: { Tx: "reqests" } }] },
          worker: { trigger: { Pipe: "requests" } },
        },
      }),
    );
    assert.deepEqual(
      all.map((e) => e.hint),
      ['did you mean "requests"?', 'did you mean "reqests"?'],
    );
  });

  it("refuses a spec where nothing starts", () => {
    const error = onlyError(parseSpecValue({ entrypoints: { a: { trigger: { Pipe: "p" }, args: [{ Pipe: { Tx: "p" } }] } } }));
    assert.equal(error.path, "entrypoints");
    assert.match(error.message, /nothing would ever run/);
  });

  it("warns about a triggered entrypoint that nothing running can reach", () => {
    const result = ok(
      parseSpecValue({
        entrypoints: {
          main: {},
          ping: { trigger: { Pipe: "a" }, args: [{ Pipe: { Tx: "b" } }] },
          pong: { trigger: { Pipe: "b" }, args: [{ Pipe: { Tx: "a" } }] },
        },
      }),
    );
    assert.deepEqual(
      result.warnings.map((w) => w.path),
      ["entrypoints.ping.trigger", "entrypoints.pong.trigger"],
    );
  });

  it("refuses two TcpListeners on one address, but not on port 0", () => {
    ok(parseSpecValue(one({ args: [{ TcpListener: { addr: "0.0.0.0:0" } }, { TcpListener: { addr: "0.0.0.0:0" } }] })));
    const error = onlyError(parseSpecValue(one({ args: [{ TcpListener: { port: 80 } }, { TcpListener: { addr: "0.0.0.0:80" } }] })));
    assert.equal(error.path, "entrypoints.app.args[1]");
  });

  it("checks listen addresses without any lookup", () => {
    const bad = ["localhost:80", "1.2.3:80", "01.2.3.4:80", "[::1]", "[fe80::1%eth0]:80", "::1:80", "1.2.3.4:", "1.2.3.4:+80"];
    for (const addr of bad) {
      assert.equal(parseSpecValue(one({ args: [{ TcpListener: { addr } }] })).ok, false, addr);
    }
    for (const addr of ["0.0.0.0:0", "255.255.255.255:65535", "[::]:1", "[::ffff:1.2.3.4]:80", "[2001:db8::1]:443"]) {
      ok(parseSpecValue(one({ args: [{ TcpListener: { addr } }] })));
    }
  });

  it("counts UTS names in bytes (the kernel's limit is 64)", () => {
    ok(parseSpecValue(one({ environment: [{ Hostname: "é".repeat(32) }] })));
    assert.match(onlyError(parseSpecValue(one({ environment: [{ Hostname: `${"é".repeat(32)}x` }] }))).message, /65 bytes/);
  });

  it("validates a Spec built in code through locateSpec", () => {
    const spec: Spec = {
      entrypoints: [{ name: "x", trigger: { kind: "Startup" }, args: [{ kind: "Trigger" }], environment: [] }],
    };
    const result = validateSpec(locateSpec(spec));
    assert.deepEqual(
      result.errors.map((e) => e.path),
      ["entrypoints.x.args[0]"],
    );
  });
});

describe("did-you-mean", () => {
  it("measures edits, swaps of neighbours counting as one", () => {
    assert.equal(editDistance("Entrypiont", "Entrypoint"), 1);
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("abc", "abc"), 0);
  });

  it("treats a difference of case as close and respects the threshold", () => {
    assert.equal(closestMatch("rx", ["Rx", "Tx"]), "Rx");
    assert.equal(closestMatch("RX", ["Rx", "Tx"]), "Rx");
    assert.equal(closestMatch("Entrypiont", ["BinaryName", "Entrypoint"]), "Entrypoint");
    assert.equal(closestMatch("Stdot", ["Stdin", "Stdout", "Stderr"]), "Stdout");
    assert.equal(closestMatch("a", ["b"]), undefined);
    assert.equal(closestMatch("Completely", ["Entrypoint"]), undefined);
    assert.equal(didYouMean("enviroment", ["trigger", "args", "environment"]), 'did you mean "environment"?');
  });

  it("is used for variants, keys, directions and families", () => {
    const all = errors(
      parseSpecValue({
        entrypoints: {
          a: {
            trigerr: "Startup",
            args: ["Entrypiont", { Pipe: { RX: "p" } }, { Rpc: [{ OpenTcpSocket: { family: "inet6", hots: null } }] }],
          },
        },
      }),
    );
    assert.deepEqual(
      all.map((e) => e.hint),
      ['did you mean "trigger"?', 'did you mean "Entrypoint"?', 'did you mean "Rx"?', 'did you mean "host"?', 'did you mean "Inet6"?'],
    );
  });

  it("points a grant written in args (and the reverse) to the right list", () => {
    const all = errors(parseSpecValue(one({ args: ["Stdout"], environment: ["Trailing"] })));
    assert.deepEqual(
      all.map((e) => e.hint),
      ['"Stdout" is an environment grant: put it in "environment"', '"Trailing" is an argument: put it in "args"'],
    );
  });
});

describe("JSON text", () => {
  it("reports syntax errors with line and column", () => {
    const error = onlyError(parseSpec('{\n  "entrypoints": {\n    "a": {}\n    "b": {}\n  }\n}'));
    assert.equal(error.path, "");
    assert.equal(error.message, 'invalid JSON at line 4, column 5: expected "," or "}" after a property value, got a string');
    assert.equal(error.hint, "is a comma missing?");
  });

  it("words trailing commas, comments, single quotes and unquoted keys plainly", () => {
    const cases: [string, RegExp][] = [
      ['{"entrypoints": {"a": {},}}', /line 1, column 26: .*got "\}"/],
      ['{"entrypoints": {"a": {"args": ["BinaryName",]}}}', /column 46/],
      ['{\n// c\n"entrypoints": {}}', /line 2, column 1: comments are not allowed/],
      ["{'entrypoints': {}}", /line 1, column 2: .*double quotes/],
      ["{entrypoints: {}}", /line 1, column 2: .*got "entrypoints"/],
      ['{"entrypoints": {"a": {}}', /unexpected end of input: a "\}" is missing/],
      ['{"entrypoints": {}} x', /line 1, column 21: unexpected text after the end/],
      ["", /the file is empty/],
    ];
    for (const [text, expected] of cases) assert.match(onlyError(parseSpec(text)).message, expected, text);
  });

  it("finds the offset in V8's messages for Node 20 and Node 22+ alike", () => {
    const text = '{\n  "a": 1\n  "b": 2\n}';
    const node20 = "Expected ',' or '}' after property value in JSON at position 13";
    const node24 = "Expected ',' or '}' after property value in JSON at position 13 (line 3 column 3)";
    const lineColumnOnly = "Expected ',' or '}' after property value in JSON (line 3 column 3)";
    assert.equal(syntaxErrorOffset(node20, text), 13);
    assert.equal(syntaxErrorOffset(node24, text), 13);
    assert.equal(syntaxErrorOffset(lineColumnOnly, text), 13);
    assert.equal(syntaxErrorOffset("Unexpected end of JSON input", text), text.length);
    assert.equal(syntaxErrorOffset(`Unexpected token 'x', "x" is not valid JSON`, text), undefined);
    assert.deepEqual(locate(text, 13), { offset: 13, line: 3, column: 3 });
    assert.equal(cleanSyntaxErrorMessage(node24), "expected ',' or '}' after property value");
    assert.equal(cleanSyntaxErrorMessage(`Unexpected token '}', "{"a":}" is not valid JSON`), "unexpected token '}'");
  });

  it("agrees with V8 on where the error is, whenever V8 says", () => {
    const broken = ['{"a" 1}', '{"a":1 "b":2}', "[1 2]", '{"a":1,}', '{"a":-}', '{"a":"x', '"\\q"', '{"a":01}', "[1.]", "[1e]", '{"a":1}x', "{a:1}", '["\u0001"]'];
    for (const text of broken) {
      let v8: number | undefined;
      try {
        JSON.parse(text);
        assert.fail(`${text} parsed`);
      } catch (e) {
        v8 = syntaxErrorOffset((e as Error).message, text);
      }
      const own = scanJson(text).error?.offset;
      assert.notEqual(own, undefined, text);
      if (v8 !== undefined) assert.equal(own, v8, text);
    }
  });

  it("refuses duplicate keys, which JSON.parse would silently merge", () => {
    const all = errors(parseSpec('{"entrypoints": {"a": {"args": []}, "a": {}},\n "entrypoints": {"b": {}}}'));
    assert.deepEqual(
      all.map((e) => `${e.path}: ${e.message}`),
      ['entrypoints: duplicate key "a" at line 1, column 37', ': duplicate key "entrypoints" at line 2, column 2'],
    );
  });

  it("survives deep nesting", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    assert.equal(readJsonText(deep).ok, true);
    assert.equal(parseSpec(deep).ok, false);
    assert.equal(parseSpec("[".repeat(100_000)).ok, false);
  });
});

describe("formatDiagnostics", () => {
  const diagnostic: Diagnostic = {
    severity: "error",
    path: "entrypoints.fib.args[1]",
    message: 'unknown variant "Entrypiont"',
    expected: '"BinaryName" | "Entrypoint"',
    hint: 'did you mean "Entrypoint"?',
  };

  it("writes file: severity: path: message; expected (hint)", () => {
    assert.equal(
      formatDiagnostic(diagnostic, "spec.json"),
      'spec.json: error: entrypoints.fib.args[1]: unknown variant "Entrypiont"; expected "BinaryName" | "Entrypoint" (did you mean "Entrypoint"?)',
    );
    assert.equal(formatDiagnostic({ severity: "warning", path: "", message: "m" }), "warning: m");
  });

  it("writes one line per diagnostic and nothing for none", () => {
    assert.equal(formatDiagnostics([]), "");
    assert.equal(formatDiagnostics([diagnostic, diagnostic]).split("\n").length, 3);
  });

  it("escapes control characters so a line stays a line", () => {
    const line = formatDiagnostic({ severity: "error", path: "p", message: "a\nb\u001b[31mc" });
    assert.equal(line, "error: p: a\\u000ab\\u001b[31mc");
  });

  it("quotes names that are not identifiers in paths", () => {
    const error = onlyError(parseSpecValue({ entrypoints: { "my-app": { args: ["X"] } } }));
    assert.equal(error.path, 'entrypoints["my-app"].args[0]');
    const odd = onlyError(parseSpecValue({ entrypoints: { 'a"\n': { args: ["X"] } } }));
    assert.equal(odd.path, 'entrypoints["a\\"\\n"].args[0]');
  });
});

describe("parseSpec: scratch space, working directory, environment (Tmpfs, WorkingDirectory, Env, PassEnv)", () => {
  const envOf = (environment: unknown[]) => parseSpecValue({ entrypoints: { a: { environment } } });
  it("parses them, with Tmpfs size defaulting to 64M", () => {
    const { spec } = ok(
      envOf([
        { Tmpfs: { path: "/tmp" } },
        { Tmpfs: { path: "/var/cache", size: "1G" } },
        { WorkingDirectory: "/data" },
        { Env: { LANG: "C.UTF-8", HOME: "/tmp" } },
        { PassEnv: ["TERM", "TZ", "TERM"] },
      ]),
    );
    assert.deepEqual(spec.entrypoints[0]!.environment, [
      { kind: "Tmpfs", path: "/tmp", size: 64 * 1024 * 1024 },
      { kind: "Tmpfs", path: "/var/cache", size: 1024 ** 3 },
      { kind: "WorkingDirectory", path: "/data" },
      {
        kind: "Env",
        vars: [
          ["LANG", "C.UTF-8"],
          ["HOME", "/tmp"],
        ],
      },
      { kind: "PassEnv", names: ["TERM", "TZ"] },
    ]);
  });
  it("refuses what no void could use, each where it is", () => {
    for (const [environment, message] of [
      [[{ Tmpfs: { path: "/" } }], /root is a tmpfs already/],
      [[{ Tmpfs: { path: "/proc/x" } }], /reserved/],
      [[{ Tmpfs: { path: "/tmp", size: 100 } }], /bytes from 4096 to 1T/],
      [[{ Tmpfs: { path: "/tmp", size: "2T" } }], /bytes from 4096 to 1T/],
      [[{ Tmpfs: { size: "1M" } }], /missing key "path"/],
      [[{ Tmpfs: { path: "/tmp" } }, { Filesystem: { host_path: "/srv", environment_path: "/tmp" } }], /"\/tmp" is mounted already by the grant at/],
      [[{ WorkingDirectory: "data" }], /not an absolute path/],
      [[{ WorkingDirectory: "/a" }, { WorkingDirectory: "/b" }], /a second, different WorkingDirectory/],
      [[{ Env: { "1X": "a" } }], /not a variable name/],
      [[{ Env: { "A=B": "a" } }], /not a variable name/],
      [[{ Env: { A: "a\u0000b" } }], /NUL/],
      [[{ Env: { A: 1 } }], /the variable's value/],
      [[{ Env: { A: "x".repeat(40000) } }], /at most 32768/],
      [[{ PassEnv: "TERM" }], /an array of variable names/],
      [[{ PassEnv: ["TERM"] }, { Env: { TERM: "dumb" } }], /"TERM" is also set by the Env grant/],
    ] as const) {
      const r = envOf([...environment]);
      assert.ok(!r.ok, JSON.stringify(environment));
      assert.match(formatDiagnostics(r.errors), message, JSON.stringify(environment));
    }
  });
});

describe("parseSpec: LibraryPath and Library", () => {
  const envOf = (environment: unknown[]) => parseSpecValue({ entrypoints: { a: { environment } } });
  it("parses them, once each, in order", () => {
    const { spec } = ok(envOf([{ LibraryPath: "/opt/app/lib" }, { Library: "/usr/lib/x86_64-linux-gnu/libssl.so.3" }, { LibraryPath: "/opt/more" }, { LibraryPath: "/opt/app/lib" }]));
    assert.deepEqual(spec.entrypoints[0]!.environment, [
      { kind: "LibraryPath", path: "/opt/app/lib" },
      { kind: "Library", path: "/usr/lib/x86_64-linux-gnu/libssl.so.3" },
      { kind: "LibraryPath", path: "/opt/more" },
    ]);
  });
  it("refuses what ld.so would read otherwise: relative paths, separators, dynamic string tokens", () => {
    for (const [environment, message] of [
      [[{ LibraryPath: "lib" }], /not an absolute path/],
      [[{ LibraryPath: "/opt/lib/" }], /ends with "\/"/],
      [[{ LibraryPath: "/opt/a:/opt/b" }], /contains ":", which ld\.so reads in LD_LIBRARY_PATH as a separator/],
      [[{ LibraryPath: "/opt/a;b" }], /contains ";"/],
      [[{ LibraryPath: "/opt/$LIB" }], /a dynamic string token/],
      [[{ LibraryPath: ["/opt/a"] }], /a host directory/],
      [[{ Library: "libssl.so.3" }], /not an absolute path/],
    ] as const) {
      const r = envOf([...environment]);
      assert.ok(!r.ok, JSON.stringify(environment));
      assert.match(formatDiagnostics(r.errors), message, JSON.stringify(environment));
    }
  });
  it("is what a refused LD_LIBRARY_PATH points to", () => {
    const r = envOf([{ Env: { LD_LIBRARY_PATH: "/opt/app/lib" } }]);
    assert.ok(!r.ok);
    assert.match(formatDiagnostics(r.errors), /\{"LibraryPath": "\/dir"\}/);
  });
});

describe("parseSpec: variables no void is given", () => {
  it("refuses the loader's variables and void's own, in Env and PassEnv", () => {
    for (const [environment, message] of [
      [[{ Env: { LD_PRELOAD: "/x.so" } }], /dynamic loader's/],
      [[{ Env: { LD_LIBRARY_PATH: "/w" } }], /dynamic loader's/],
      [[{ Env: { GCONV_PATH: "/w" } }], /dynamic loader's/],
      [[{ PassEnv: ["LD_AUDIT"] }], /dynamic loader's/],
      [[{ PassEnv: ["NOTIFY_SOCKET"] }], /void's own/],
      [[{ PassEnv: ["LISTEN_FDS"] }], /void's own/],
      [[{ PassEnv: ["VOID_RUNTIME"] }], /void's own/],
      [[{ Env: { PYTHONPATH: "/data" } }], /interpreter load or run code/],
      [[{ Env: { NODE_OPTIONS: "--require /data/x.js" } }], /interpreter load or run code/],
      [[{ PassEnv: ["BASH_ENV"] }], /interpreter load or run code/],
    ] as const) {
      const r = parseSpecValue({ entrypoints: { a: { environment: [...environment] } } });
      assert.ok(!r.ok, JSON.stringify(environment));
      assert.match(formatDiagnostics(r.errors), message);
    }
  });
});
