/**
 * The launcher's limit on lines a void can cause again and again
 * (src/orchestrator/log.ts LineBudget, FloodLog): per source and kind, the
 * first lines of each window in full, the rest counted and told as one
 * summary when the next window's first line comes or the source ends;
 * memory bounded. Pure: a fake clock, no void is started.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FloodLog, type LineKind, LineBudget, stderrLogger } from "../../src/orchestrator/log.js";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const REFUSED: LineKind = { kind: "refused", level: "error", what: ["refused request", "refused requests"] };
const MALFORMED: LineKind = { kind: "malformed", level: "error", what: ["malformed request", "malformed requests"] };
const FAILED: LineKind = { kind: "failed", level: "verbose", what: ["failure", "failures"] };

function flood(verbosity = 0, opts = {}): { log: FloodLog; lines: string[]; advance: (ms: number) => void } {
  const c = clock();
  const lines: string[] = [];
  return {
    log: new FloodLog(
      stderrLogger(verbosity, (l) => lines.push(l.trimEnd())),
      { now: c.now, ...opts },
    ),
    lines,
    advance: c.advance,
  };
}

describe("LineBudget", () => {
  it("writes the first lines of a window, counts the rest, and tells them with the next window's first line", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 3, windowMs: 10_000, now: c.now });
    const verdicts = Array.from({ length: 10 }, () => {
      c.advance(100);
      return b.take("rpc a (pid 1)", "refused");
    });
    assert.deepEqual(
      verdicts.map((v) => v.write),
      [true, true, true, false, false, false, false, false, false, false],
    );
    assert.ok(verdicts.every((v) => v.heldBack === 0));
    // Still in the window: held back, nothing told.
    c.advance(9_000 - 100);
    assert.deepEqual(b.take("rpc a (pid 1)", "refused"), { write: false, heldBack: 0, heldOverMs: 0 });
    // The window has passed: this line is written, and the 8 held back are told, over the 9.8 s they came in.
    c.advance(200);
    assert.deepEqual(b.take("rpc a (pid 1)", "refused"), { write: true, heldBack: 8, heldOverMs: 9_800 });
    // A new window: its own budget, nothing more to tell.
    assert.equal(b.take("rpc a (pid 1)", "refused").write, true);
    assert.equal(b.take("rpc a (pid 1)", "refused").write, true);
    assert.deepEqual(b.take("rpc a (pid 1)", "refused"), { write: false, heldBack: 0, heldOverMs: 0 });
  });

  it("a window with nothing held back tells nothing when it passes", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 2, windowMs: 1_000, now: c.now });
    b.take("s", "k");
    c.advance(5_000);
    assert.deepEqual(b.take("s", "k"), { write: true, heldBack: 0, heldOverMs: 0 });
  });

  it("keeps a budget per source and per kind", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 1, now: c.now });
    assert.equal(b.take("rpc a (pid 1)", "refused").write, true);
    assert.equal(b.take("rpc a (pid 1)", "refused").write, false);
    assert.equal(b.take("rpc a (pid 1)", "malformed").write, true);
    assert.equal(b.take("rpc a (pid 2)", "refused").write, true);
    assert.equal(b.size, 3);
  });

  it("tells what a source held back when it ends, and forgets it", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 2, now: c.now });
    for (let i = 0; i < 7; i++) b.take("rpc a (pid 1)", "refused");
    for (let i = 0; i < 2; i++) b.take("rpc a (pid 1)", "malformed");
    b.take("trigger t", "nul");
    assert.deepEqual(b.end("rpc a (pid 1)"), [["refused", 5, 0]]);
    assert.equal(b.size, 1);
    assert.deepEqual(b.end("rpc a (pid 1)"), [], "told once");
    // A new line of an ended source starts afresh.
    assert.equal(b.take("rpc a (pid 1)", "refused").write, true);
    for (let i = 0; i < 4; i++) b.take("trigger t", "nul");
    assert.deepEqual(b.endAll(), [["trigger t", "nul", 3, 0]]);
    assert.equal(b.size, 0);
  });

  it("remembers at most maxKeys keys: the oldest source is told and forgotten to make room", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 1, maxKeys: 3, now: c.now });
    const evicted: [string, string, number][] = [];
    const take = (s: string, k: string) => b.take(s, k, (es, ek, n) => evicted.push([es, ek, n]));
    take("pid 1", "refused");
    take("pid 1", "refused");
    take("pid 1", "malformed");
    take("pid 2", "refused");
    assert.equal(b.size, 3);
    take("pid 3", "refused");
    assert.deepEqual(evicted, [["pid 1", "refused", 1]], "pid 1's held-back line told as it goes");
    assert.equal(b.size, 2);
    for (let i = 0; i < 10_000; i++) take(`pid ${4 + i}`, "refused");
    assert.ok(b.size <= 3, `${b.size} keys`);
  });

  it("a source filling the cap by itself makes room by forgetting itself", () => {
    const c = clock();
    const b = new LineBudget({ linesPerWindow: 1, maxKeys: 2, now: c.now });
    b.take("s", "a");
    b.take("s", "b");
    assert.equal(b.take("s", "c").write, true);
    assert.equal(b.size, 1);
  });
});

describe("FloodLog", () => {
  it("writes five lines of a kind per 10 s, then one summary with the count, when the next window's line comes", () => {
    const f = flood();
    for (let i = 0; i < 4_317; i++) f.log.line("rpc flood (pid 12)", REFUSED, `rpc flood (pid 12): refused: request ${i}`);
    assert.equal(f.lines.length, 5);
    assert.equal(f.lines[0], "void: error: rpc flood (pid 12): refused: request 0");
    f.advance(10_000);
    f.log.line("rpc flood (pid 12)", REFUSED, "rpc flood (pid 12): refused: request 4317");
    assert.deepEqual(f.lines.slice(5), [
      "void: error: rpc flood (pid 12): 4,312 further refused requests not shown (in 1 s; 5 a kind are shown per 10 s; -vv shows all)",
      "void: error: rpc flood (pid 12): refused: request 4317",
    ]);
  });

  it("tells what is held back when the source ends, in the singular for one; nothing when nothing was held", () => {
    const f = flood();
    for (let i = 0; i < 6; i++) f.log.line("trigger t", MALFORMED, `trigger t: bad ${i}`);
    f.advance(2_500);
    f.log.line("rpc a (pid 1)", REFUSED, "rpc a (pid 1): refused: x");
    f.log.end("trigger t");
    f.log.end("rpc a (pid 1)");
    assert.equal(f.lines.length, 7);
    assert.equal(f.lines[6], "void: error: trigger t: 1 further malformed request not shown (in 1 s; 5 a kind are shown per 10 s; -vv shows all)");
  });

  it("endAll tells every source's held-back lines", () => {
    const f = flood();
    for (let i = 0; i < 8; i++) {
      f.log.line("rpc a (pid 1)", REFUSED, "rpc a (pid 1): refused: x");
      f.log.line("rpc a (pid 1)", MALFORMED, "rpc a (pid 1): malformed request: x");
      f.advance(1_000);
    }
    f.log.endAll();
    assert.deepEqual(f.lines.slice(10), [
      "void: error: rpc a (pid 1): 3 further refused requests not shown (in 7 s; 5 a kind are shown per 10 s; -vv shows all)",
      "void: error: rpc a (pid 1): 3 further malformed requests not shown (in 7 s; 5 a kind are shown per 10 s; -vv shows all)",
    ]);
    f.log.endAll();
    assert.equal(f.lines.length, 12, "told once");
  });

  it("with -vv writes every line; verbose kinds are neither written nor counted without -v", () => {
    const vv = flood(2);
    for (let i = 0; i < 100; i++) vv.log.line("rpc a (pid 1)", REFUSED, "rpc a (pid 1): refused: x");
    vv.log.endAll();
    assert.equal(vv.lines.length, 100);
    const quiet = flood(0);
    for (let i = 0; i < 100; i++) quiet.log.line("c", FAILED, "c: failed");
    quiet.log.endAll();
    assert.deepEqual(quiet.lines, []);
    const v = flood(1);
    for (let i = 0; i < 100; i++) v.log.line("c", FAILED, "c: failed");
    v.log.endAll();
    assert.equal(v.lines.length, 6);
    assert.match(v.lines[5]!, /^void: c: 95 further failures not shown/);
  });

  it("quotes what a void chose, as every log line does", () => {
    const f = flood();
    f.log.line("trigger t", REFUSED, "trigger t: \x1b[2J");
    assert.deepEqual(f.lines, ["void: error: trigger t: \\x1b[2J"]);
  });
});
