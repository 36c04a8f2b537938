/**
 * The tracer protocol's version is one number on both sides: the C tracer's
 * FORKTOP_PROTOCOL_VERSION (native/tracer.h, said in `hello`) and the UI's
 * PROTOCOL_VERSION (src/protocol.ts). Changing one without the other fails
 * here, before a tracer and a UI that disagree are ever run together.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION, parseEventLine } from "../../src/protocol.js";

/** dist/test/unit -> the package root. */
const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

describe("the protocol version", () => {
  it("is the same number in the tracer's source and the UI's", () => {
    const header = readFileSync(join(packageRoot, "native", "tracer.h"), "utf8");
    const m = /^#define FORKTOP_PROTOCOL_VERSION (\d+)$/m.exec(header);
    assert.ok(m, "native/tracer.h defines FORKTOP_PROTOCOL_VERSION");
    assert.equal(Number(m[1]), PROTOCOL_VERSION, "native/tracer.h and src/protocol.ts name different protocol versions: change both");
  });

  it("is what the tracer writes in hello (no other number in its source)", () => {
    const tracer = readFileSync(join(packageRoot, "native", "tracer.c"), "utf8");
    assert.match(tracer, /"version\\":%d[^;]*FORKTOP_PROTOCOL_VERSION/);
  });

  it("is a field of hello the UI's parser requires", () => {
    const hello = { event: "hello", time: 1, mode: "ptrace", tracer: 9 };
    assert.equal(parseEventLine(JSON.stringify({ ...hello, version: PROTOCOL_VERSION })).ok, true);
    const r = parseEventLine(JSON.stringify(hello));
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.error, /^hello: version: /);
  });
});
