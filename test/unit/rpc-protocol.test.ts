/**
 * The RPC wire protocol (src/rpc/protocol.ts, docs/rpc.md):
 * - well-formed requests parse to exactly what was sent;
 * - every kind of malformed request is EPROTO, with a message;
 * - fuzz (bounded): random bytes, random JSON values, and valid requests
 *   mutated field by field or byte by byte never make parseRequest throw,
 *   and it never accepts a request that an independent oracle (below)
 *   finds invalid; for JSON input it accepts exactly what the oracle does;
 * - isAllowed: a matrix of null = any, family/port/host mismatches, ASCII
 *   case, Unicode look-alikes, IP literals, ops of the other kind, and a
 *   property: allowed exactly when some operation matches field by field;
 * - encodeReply never exceeds 1024 bytes and cuts messages maximally.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import {
  describeRequest,
  encodeReply,
  encodeRequest,
  isAllowed,
  parseReply,
  parseRequest,
  RPC_ERROR_NAMES,
  RPC_MAX_REPLY_BYTES,
  RPC_MAX_REQUEST_BYTES,
  type RpcReply,
  type RpcRequest,
  rpcErrorName,
} from "../../src/rpc/protocol.js";
import { mappedIPv4, nameMayLeadTo, specialAddress } from "../../src/orchestrator/broker.js";
import type { RpcOperation } from "../../src/spec/types.js";

const RUNS = { numRuns: 2000 };
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

// ---- an oracle written independently of the parser ----

function wellFormedUnicode(s: string): boolean {
  return Buffer.from(s, "utf8").toString("utf8") === s;
}

function oracleHost(h: unknown): boolean {
  if (typeof h !== "string" || h.length === 0 || Buffer.byteLength(h, "utf8") > 253) return false;
  if (!wellFormedUnicode(h)) return false;
  for (const ch of h) {
    const c = ch.codePointAt(0)!;
    // C0 and C1 control characters (Unicode Cc: U+0000-001F, U+007F-009F) and white space.
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || /^\s$/u.test(ch)) return false;
  }
  return true;
}

/** Is this (already JSON-parsed) value a v1 request? */
function oracleRequest(v: unknown): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  if (Object.keys(v).sort().join(",") !== "family,host,op,port") return false;
  const r = v as Record<string, unknown>;
  return (
    (r["op"] === "OpenTcpSocket" || r["op"] === "OpenUdpSocket") &&
    typeof r["port"] === "number" &&
    Number.isInteger(r["port"]) &&
    r["port"] >= 1 &&
    r["port"] <= 65535 &&
    (r["family"] === null || r["family"] === "Inet" || r["family"] === "Inet6") &&
    oracleHost(r["host"])
  );
}

/** If parseRequest accepted bytes, the request is valid and is what JSON.parse reads. */
function assertSound(bytes: Uint8Array): void {
  const result = parseRequest(bytes);
  if (!result.ok) {
    assert.equal(result.error, "EPROTO");
    assert.ok(result.message.length > 0);
    return;
  }
  assert.ok(bytes.length <= RPC_MAX_REQUEST_BYTES);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const value: unknown = JSON.parse(text);
  assert.ok(oracleRequest(value), `accepted an invalid request: ${text}`);
  assert.deepEqual(result.request, value);
}

// ---- generators ----

const op = fc.constantFrom("OpenTcpSocket" as const, "OpenUdpSocket" as const);
const family = fc.constantFrom("Inet" as const, "Inet6" as const, null);
const port = fc.integer({ min: 1, max: 65535 });
const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.string({ minLength: 1, maxLength: 80, unit: "binary" }).filter(oracleHost),
  fc.string({ minLength: 1, maxLength: 60, unit: fc.constantFrom("a", "Z", "-", ".", "é", '"', "\\", "😀") }),
);
// fc.record makes null-prototype objects; spread them into plain ones for deepEqual.
const request: fc.Arbitrary<RpcRequest> = fc.record({ op, host, port, family }).map((r) => ({ ...r }));

const operation: fc.Arbitrary<RpcOperation> = fc
  .record({
    kind: op,
    family,
    port: fc.constantFrom(53, 443, null),
    host: fc.constantFrom("a.example", "A.EXAMPLE", "b.example", "127.0.0.1", "::1", null),
  })
  .map((o) => ({ ...o }));
const smallRequest: fc.Arbitrary<RpcRequest> = fc
  .record({
    op,
    family,
    port: fc.constantFrom(53, 443, 8443),
    host: fc.constantFrom("a.example", "a.Example", "b.example", "c.example", "127.0.0.1", "::1", "::0001"),
  })
  .map((r) => ({ ...r }));

const valid: RpcRequest = { op: "OpenTcpSocket", host: "example.org", port: 443, family: null };

describe("parseRequest: well-formed requests", () => {
  it("parses a minimal request", () => {
    assert.deepEqual(parseRequest(json(valid)), { ok: true, request: valid });
    const udp = { op: "OpenUdpSocket", host: "2001:db8::1", port: 53, family: "Inet6" } as const;
    assert.deepEqual(parseRequest(json(udp)), { ok: true, request: udp });
  });

  it("accepts any key order and JSON white space", () => {
    const text = ' \n{ "family" : "Inet",\t"port": 1, "host":"h", "op": "OpenUdpSocket" }\r\n';
    assert.deepEqual(parseRequest(utf8(text)), {
      ok: true,
      request: { op: "OpenUdpSocket", host: "h", port: 1, family: "Inet" },
    });
  });

  it("reads JSON escapes in the host", () => {
    const r = parseRequest(utf8('{"op":"OpenTcpSocket","host":"caf\\u00e9\\"\\\\","port":65535,"family":null}'));
    assert.deepEqual(r, { ok: true, request: { op: "OpenTcpSocket", host: 'café"\\', port: 65535, family: null } });
  });

  it("accepts a request of exactly 1024 bytes and a host of exactly 253 bytes", () => {
    const base = JSON.stringify(valid);
    assert.equal(parseRequest(utf8(base + " ".repeat(RPC_MAX_REQUEST_BYTES - base.length))).ok, true);
    assert.equal(parseRequest(json({ ...valid, host: "a".repeat(253) })).ok, true);
    assert.equal(parseRequest(json({ ...valid, host: "é".repeat(126) + "a" })).ok, true);
  });

  it("round-trips every generated request, in any layout", () => {
    fc.assert(
      fc.property(request, fc.boolean(), (r, pretty) => {
        const entries = Object.entries(r).reverse();
        const text = pretty ? JSON.stringify(Object.fromEntries(entries), null, 2) : JSON.stringify(r);
        assert.deepEqual(parseRequest(utf8(text)), { ok: true, request: r });
        assert.deepEqual(parseRequest(encodeRequest(r)), { ok: true, request: r });
      }),
      RUNS,
    );
  });
});

describe("parseRequest: every malformed kind is EPROTO", () => {
  const raw = (bytes: number[]) => Uint8Array.from(bytes);
  const withHostBytes = (hostBytes: number[]) => Uint8Array.from([...utf8('{"op":"OpenTcpSocket","port":1,"family":null,"host":"'), ...hostBytes, ...utf8('"}')]);
  const cases: [string, Uint8Array][] = [
    ["more than 1024 bytes", utf8(JSON.stringify(valid) + " ".repeat(1024))],
    ["empty", raw([])],
    ["white space only", utf8("  \n")],
    ["invalid UTF-8 byte", raw([0x7b, 0xff, 0x7d])],
    ["overlong UTF-8 in the host", withHostBytes([0xc0, 0xaf])],
    ["a UTF-8-encoded surrogate in the host", withHostBytes([0xed, 0xa0, 0x80])],
    ["truncated UTF-8 in the host", withHostBytes([0xc3])],
    ["a byte order mark", utf8("\uFEFF" + JSON.stringify(valid))],
    ["not JSON", utf8("{")],
    ["unquoted keys", utf8("{op:1}")],
    ["a trailing comma", utf8('{"op":"OpenTcpSocket","host":"h","port":1,"family":null,}')],
    ["two values", utf8(JSON.stringify(valid) + JSON.stringify(valid))],
    ["an array", json([valid])],
    ["a string", json("OpenTcpSocket")],
    ["a number", json(443)],
    ["null", json(null)],
    ["true", json(true)],
    ["deeply nested arrays", utf8("[".repeat(400) + "]".repeat(400))],
    ["an unknown key", json({ ...valid, v: 1 })],
    ["an unknown key __proto__", utf8('{"op":"OpenTcpSocket","host":"h","port":1,"family":null,"__proto__":{}}')],
    ["an unknown key constructor", json({ ...valid, constructor: "x" })],
    ["a duplicate key", utf8('{"op":"OpenUdpSocket","op":"OpenTcpSocket","host":"h","port":1,"family":null}')],
    ["a duplicate host", utf8('{"op":"OpenTcpSocket","host":"evil","host":"h","port":1,"family":null}')],
    ["missing op", json({ host: "h", port: 1, family: null })],
    ["missing host", json({ op: "OpenTcpSocket", port: 1, family: null })],
    ["missing port", json({ op: "OpenTcpSocket", host: "h", family: null })],
    ["missing family", json({ op: "OpenTcpSocket", host: "h", port: 1 })],
    ["op a number", json({ ...valid, op: 1 })],
    ["op in other case", json({ ...valid, op: "opentcpsocket" })],
    ["op an object", json({ ...valid, op: { OpenTcpSocket: {} } })],
    ["op unknown", json({ ...valid, op: "OpenRawSocket" })],
    ["host a number", json({ ...valid, host: 1 })],
    ["host null", json({ ...valid, host: null })],
    ["host empty", json({ ...valid, host: "" })],
    ["host 254 bytes", json({ ...valid, host: "a".repeat(254) })],
    ["host 254 bytes of UTF-8", json({ ...valid, host: "é".repeat(127) })],
    ["host with NUL", json({ ...valid, host: "a\u0000b" })],
    ["host with a space", json({ ...valid, host: "a b" })],
    ["host with a tab", json({ ...valid, host: "a\tb" })],
    ["host with a newline", json({ ...valid, host: "a\nb" })],
    ["host with DEL", json({ ...valid, host: "a\u007fb" })],
    ["host with a C1 control character", json({ ...valid, host: "a\u0093b" })],
    ["host with a no-break space", json({ ...valid, host: "a\u00a0b" })],
    ["host with an ideographic space", json({ ...valid, host: "a\u3000b" })],
    ["host with a lone surrogate", json({ ...valid, host: "a\ud800b" })],
    ["host an array", json({ ...valid, host: ["h"] })],
    ["port a string", json({ ...valid, port: "443" })],
    ["port a fraction", json({ ...valid, port: 443.5 })],
    ["port 0", json({ ...valid, port: 0 })],
    ["port 65536", json({ ...valid, port: 65536 })],
    ["port negative", json({ ...valid, port: -1 })],
    ["port huge", utf8('{"op":"OpenTcpSocket","host":"h","port":1e400,"family":null}')],
    ["port null", json({ ...valid, port: null })],
    ["family in lower case", json({ ...valid, family: "inet" })],
    ["family IPv4", json({ ...valid, family: "IPv4" })],
    ["family a number", json({ ...valid, family: 4 })],
    ["family empty", json({ ...valid, family: "" })],
    ["family an object", json({ ...valid, family: { Inet: null } })],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      const result = parseRequest(bytes);
      assert.equal(result.ok, false, `${name} was accepted`);
      if (!result.ok) {
        assert.equal(result.error, "EPROTO");
        assert.ok(result.message.length > 0 && result.message.length < 400, result.message);
      }
    });
  }
});

describe("parseRequest: fuzz", () => {
  it("random bytes never throw and are never wrongly accepted", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1100 }), assertSound), RUNS);
  });

  it("random JSON text is accepted exactly when it is a valid request", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const bytes = utf8(text);
        const expected = bytes.length <= RPC_MAX_REQUEST_BYTES && oracleRequest(JSON.parse(text));
        assert.equal(parseRequest(bytes).ok, expected, text);
        assertSound(bytes);
      }),
      RUNS,
    );
  });

  it("valid requests with one field replaced, added or removed are judged like the oracle", () => {
    const key = fc.constantFrom("op", "host", "port", "family", "v", "Op", "hostname", "__proto__");
    const value = fc.oneof(fc.jsonValue(), op, family, port, host, fc.integer({ min: -2, max: 70000 }), fc.double(), fc.string({ unit: "binary", maxLength: 300 }));
    const mutation = fc.oneof(fc.record({ kind: fc.constant("set" as const), key, value }), fc.record({ kind: fc.constant("delete" as const), key }));
    fc.assert(
      fc.property(request, fc.array(mutation, { minLength: 1, maxLength: 3 }), (r, mutations) => {
        const object: Record<string, unknown> = { ...r };
        for (const m of mutations) {
          if (m.kind === "set") Object.defineProperty(object, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
          else delete object[m.key];
        }
        const text = JSON.stringify(object);
        const bytes = utf8(text);
        const expected = bytes.length <= RPC_MAX_REQUEST_BYTES && oracleRequest(JSON.parse(text));
        assert.equal(parseRequest(bytes).ok, expected, text);
        assertSound(bytes);
      }),
      RUNS,
    );
  });

  it("valid requests with bytes flipped, inserted or deleted never throw and are never wrongly accepted", () => {
    const edit = fc.record({
      kind: fc.constantFrom("flip", "insert", "delete", "replace"),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(request, fc.array(edit, { minLength: 1, maxLength: 4 }), (r, edits) => {
        const bytes = [...encodeRequest(r)];
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.kind === "insert") bytes.splice(at, 0, e.byte);
          else if (at < bytes.length) {
            if (e.kind === "delete") bytes.splice(at, 1);
            else if (e.kind === "flip") bytes[at] = bytes[at]! ^ (1 << (e.byte % 8));
            else bytes[at] = e.byte;
          }
        }
        assertSound(Uint8Array.from(bytes));
      }),
      RUNS,
    );
  });
});

describe("isAllowed", () => {
  const tcp = (fields: Partial<Omit<RpcOperation, "kind">> = {}): RpcOperation => ({
    kind: "OpenTcpSocket",
    family: null,
    port: null,
    host: null,
    ...fields,
  });
  const udp = (fields: Partial<Omit<RpcOperation, "kind">> = {}): RpcOperation => ({ ...tcp(fields), kind: "OpenUdpSocket" });
  const req = (fields: Partial<RpcRequest> = {}): RpcRequest => ({ ...valid, ...fields });

  const matrix: [string, RpcRequest, RpcOperation[], boolean][] = [
    ["an empty list allows nothing", req(), [], false],
    ["all-null allows any host, port, family", req({ host: "x.y", port: 1, family: "Inet6" }), [tcp()], true],
    ["an op of the other kind does not match (tcp)", req(), [udp()], false],
    ["an op of the other kind does not match (udp)", req({ op: "OpenUdpSocket" }), [tcp()], false],
    ["family equal", req({ family: "Inet" }), [tcp({ family: "Inet" })], true],
    ["family differs", req({ family: "Inet6" }), [tcp({ family: "Inet" })], false],
    ["family null in the request needs null in the list", req({ family: null }), [tcp({ family: "Inet" })], false],
    ["family null in the list allows Inet6", req({ family: "Inet6" }), [tcp({ family: null })], true],
    ["port equal", req({ port: 443 }), [tcp({ port: 443 })], true],
    ["port differs", req({ port: 8443 }), [tcp({ port: 443 })], false],
    ["host equal", req({ host: "example.org" }), [tcp({ host: "example.org" })], true],
    ["host differs in ASCII case only", req({ host: "EXAMPLE.org" }), [tcp({ host: "Example.ORG" })], true],
    ["host with a trailing dot differs", req({ host: "example.org." }), [tcp({ host: "example.org" })], false],
    ["a subdomain differs", req({ host: "www.example.org" }), [tcp({ host: "example.org" })], false],
    ["a parent domain differs", req({ host: "org" }), [tcp({ host: "example.org" })], false],
    ["non-ASCII case is not folded", req({ host: "É.example" }), [tcp({ host: "é.example" })], false],
    ["the Kelvin sign is not k", req({ host: "\u212A.example" }), [tcp({ host: "k.example" })], false],
    ["ß is not ss", req({ host: "STRASSE.example" }), [tcp({ host: "straße.example" })], false],
    ["an IP literal matches itself", req({ host: "192.0.2.1" }), [tcp({ host: "192.0.2.1" })], true],
    ["another spelling of an IPv4 address does not match", req({ host: "192.0.513" }), [tcp({ host: "192.0.2.1" })], false],
    ["another spelling of an IPv6 address does not match", req({ host: "0:0:0:0:0:0:0:1" }), [tcp({ host: "::1" })], false],
    ["IPv6 hex digits compare without ASCII case", req({ host: "2001:DB8::A" }), [tcp({ host: "2001:db8::a" })], true],
    ["a name does not match an address", req({ host: "localhost" }), [tcp({ host: "127.0.0.1" })], false],
    ["all fields must match the same entry", req({ host: "a.example", port: 53 }), [tcp({ host: "a.example", port: 443 }), tcp({ host: "b.example", port: 53 })], false],
    ["one matching entry among many", req({ port: 53 }), [udp(), tcp({ port: 443 }), tcp({ port: 53 })], true],
  ];
  for (const [name, r, ops, expected] of matrix) {
    it(name, () => {
      const result = isAllowed(r, ops);
      assert.equal(result.allowed, expected);
      if (!result.allowed) assert.ok(result.message.includes(describeRequest(r)), result.message);
    });
  }

  it("explains denials", () => {
    const empty = isAllowed(req(), []);
    assert.ok(!empty.allowed && empty.message.includes("empty"));
    const kind = isAllowed(req(), [udp()]);
    assert.ok(!kind.allowed && kind.message.includes("allows only OpenUdpSocket"), JSON.stringify(kind));
    const fam = isAllowed(req({ family: null }), [tcp({ family: "Inet" })]);
    assert.ok(!fam.allowed && fam.message.includes('send "family": "Inet"'), JSON.stringify(fam));
    const closest = isAllowed(req({ host: "a.example", port: 53 }), [tcp({ host: "b.example", port: 443 }), tcp({ host: "a.example", port: 443 })]);
    assert.ok(!closest.allowed && closest.message.includes('"host":"a.example"') && closest.message.endsWith("requires port 443"), JSON.stringify(closest));
  });

  it("allows exactly when some operation matches field by field", () => {
    const fold = (s: string): string => Array.from(s, (c) => (c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) + 32) : c)).join("");
    fc.assert(
      fc.property(smallRequest, fc.array(operation, { maxLength: 5 }), (r, ops) => {
        const oracle = ops.some((o) => o.kind === r.op && (o.family === null || o.family === r.family) && (o.port === null || o.port === r.port) && (o.host === null || fold(o.host) === fold(r.host)));
        const result = isAllowed(r, ops);
        assert.equal(result.allowed, oracle);
        if (!result.allowed) {
          assert.ok(result.message.length > 0);
          assert.ok(encodeReply({ ok: false, error: "EACCES", message: result.message }).length <= RPC_MAX_REPLY_BYTES);
        }
      }),
      RUNS,
    );
  });
});

describe("encodeReply", () => {
  const message = fc.oneof(
    fc.string({ unit: "binary", maxLength: 1500 }),
    fc.string({ unit: fc.constantFrom("a", "é", "😀", "\u0000", "\ud800", '"', "\\", "\n", "\u2028"), maxLength: 1200 }),
    fc.string({ maxLength: 2000 }),
  );
  const errorName = fc.constantFrom(...RPC_ERROR_NAMES);

  it("never exceeds 1024 bytes and cuts a long message at the longest prefix that fits", () => {
    fc.assert(
      fc.property(errorName, message, (error, text) => {
        const bytes = encodeReply({ ok: false, error, message: text });
        assert.ok(bytes.length <= RPC_MAX_REPLY_BYTES, `${bytes.length} bytes`);
        const decoded = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Record<string, unknown>;
        assert.deepEqual(Object.keys(decoded), ["ok", "error", "message"]);
        assert.equal(decoded["ok"], false);
        assert.equal(decoded["error"], error);
        const got = decoded["message"] as string;
        if (got === text) return;
        assert.ok(got.endsWith("…"));
        const kept = got.slice(0, -1);
        assert.ok(text.startsWith(kept));
        // Maximal: one more code point would not fit.
        const next = Array.from(text.slice(kept.length))[0]!;
        const longer = JSON.stringify({ ok: false, error, message: `${kept}${next}…` });
        assert.ok(Buffer.byteLength(longer, "utf8") > RPC_MAX_REPLY_BYTES);
      }),
      RUNS,
    );
  });

  it("encodes success replies and round-trips through parseReply", () => {
    const replies: RpcReply[] = [
      { ok: true, family: "Inet", address: "192.0.2.1", port: 443 },
      { ok: true, family: "Inet6", address: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", port: 65535 },
      { ok: false, error: "EACCES", message: "no" },
      { ok: false, error: "EAI_NONAME", message: "" },
    ];
    for (const reply of replies) assert.deepEqual(parseReply(encodeReply(reply)), { ok: true, reply });
    assert.equal(new TextDecoder().decode(encodeReply(replies[0]!)), '{"ok":true,"family":"Inet","address":"192.0.2.1","port":443}');
  });

  it("throws for a caller's bug, not for anything a void sent", () => {
    assert.throws(() => encodeReply({ ok: true, family: "Inet", address: "x".repeat(2000), port: 1 }), RangeError);
    assert.throws(() => encodeReply({ ok: false, error: "ENOPE" as "EIO", message: "" }), RangeError);
  });

  it("parseReply refuses replies that are not v1", () => {
    for (const text of [
      "",
      "[]",
      '{"ok":true}',
      '{"ok":"true","family":"Inet","address":"a","port":1}',
      '{"ok":true,"family":"Inet","address":"a","port":0}',
      '{"ok":true,"family":"Inet","address":"a","port":1,"x":1}',
      '{"ok":false,"error":"ENOPE","message":""}',
      '{"ok":false,"error":"EIO"}',
      '{"ok":false,"error":"EIO","message":"a","message":"b"}',
    ]) {
      assert.equal(parseReply(utf8(text)).ok, false, text);
    }
  });
});

describe("encodeRequest and rpcErrorName", () => {
  it("encodeRequest refuses what parseRequest would", () => {
    assert.throws(() => encodeRequest({ ...valid, port: 0 }), RangeError);
    assert.throws(() => encodeRequest({ ...valid, host: "a b" }), RangeError);
    assert.equal(new TextDecoder().decode(encodeRequest(valid)), '{"op":"OpenTcpSocket","host":"example.org","port":443,"family":null}');
  });

  it("maps Node's error codes to protocol names", () => {
    assert.equal(rpcErrorName("ENOTFOUND"), "EAI_NONAME");
    assert.equal(rpcErrorName("ENODATA"), "EAI_NONAME");
    assert.equal(rpcErrorName("EAI_AGAIN"), "EAI_AGAIN");
    assert.equal(rpcErrorName("ETIMEOUT"), "ETIMEDOUT");
    assert.equal(rpcErrorName("ECONNREFUSED"), "ECONNREFUSED");
    assert.equal(rpcErrorName("ESOMETHINGELSE"), "EIO");
    assert.equal(rpcErrorName("toString"), "EIO");
    assert.equal(rpcErrorName(undefined), "EIO");
    for (const name of RPC_ERROR_NAMES) assert.equal(rpcErrorName(name), name);
  });
});

describe("mappedIPv4: IPv4-mapped IPv6 addresses are their IPv4 address", () => {
  it("recognises every spelling of ::ffff:0:0/96 and nothing else", () => {
    for (const [address, v4] of [
      ["::ffff:127.0.0.1", "127.0.0.1"],
      ["::FFFF:7f00:1", "127.0.0.1"],
      ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
      ["0000:0000:0000:0000:0000:ffff:c000:0201", "192.0.2.1"],
      ["::ffff:0.0.0.0", "0.0.0.0"],
    ] as const) {
      assert.equal(mappedIPv4(address), v4, address);
    }
    for (const address of ["::1", "::", "::ffff:0:1.2.3.4", "64:ff9b::1.2.3.4", "::1.2.3.4", "2001:db8::ffff:1.2.3.4", "127.0.0.1", "fe80::ffff:1.2.3.4", "not an address"]) {
      assert.equal(mappedIPv4(address), undefined, address);
    }
  });
});

describe("where a listed name may not lead (specialAddress, nameMayLeadTo)", () => {
  it("knows the launcher's own, group and link addresses, however spelt, and nothing else", () => {
    for (const address of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "0.0.0.0",
      "0.1.2.3",
      "::",
      "::ffff:0.0.0.0",
      "169.254.169.254",
      "fe80::1",
      "FE80::abcd",
      "224.0.0.251",
      "239.1.2.3",
      "255.255.255.255",
      "ff02::1",
      "::ffff:224.0.0.1",
    ]) {
      assert.notEqual(specialAddress(address), undefined, address);
    }
    for (const address of ["192.0.2.1", "10.0.0.1", "172.16.0.1", "2001:db8::1", "fd00::1", "::ffff:192.0.2.1", "1.1.1.1", "169.253.0.1", "::2"]) {
      assert.equal(specialAddress(address), undefined, address);
    }
  });

  it("lets a name lead there only where /etc/hosts says so, or a localhost name to loopback", () => {
    const hosts = "127.0.0.1\tlocalhost\n127.0.1.1 builder.example builder # this host\n::1 ip6-localhost\n169.254.169.254 metadata.internal\n# 127.0.0.1 commented.example\n";
    assert.equal(nameMayLeadTo("builder.example", "127.0.1.1", hosts), true);
    assert.equal(nameMayLeadTo("BUILDER", "127.0.1.1", hosts), true, "ASCII case aside");
    assert.equal(nameMayLeadTo("builder.example", "127.0.0.1", hosts), false, "another address than the file's");
    assert.equal(nameMayLeadTo("ip6-localhost", "0:0:0:0:0:0:0:1", hosts), true, "IPv6 however spelt");
    assert.equal(nameMayLeadTo("metadata.internal", "169.254.169.254", hosts), true);
    assert.equal(nameMayLeadTo("commented.example", "127.0.0.1", hosts), false, "a comment is no entry");
    assert.equal(nameMayLeadTo("api.partner.example", "127.0.0.1", hosts), false, "DNS chose it");
    assert.equal(nameMayLeadTo("api.partner.example", "0.0.0.0", hosts), false);
    assert.equal(nameMayLeadTo("db.localhost", "127.0.0.1", ""), true, "RFC 6761");
    assert.equal(nameMayLeadTo("localhost", "::1", ""), true);
    assert.equal(nameMayLeadTo("localhost", "169.254.169.254", ""), false, "localhost names lead to loopback only");
    assert.equal(nameMayLeadTo("notlocalhost", "127.0.0.1", ""), false);
  });
});
