/**
 * The status records of a void (src/orchestrator/status.ts): only what
 * void-init and the child write is accepted; anything else, a second exit
 * record or a flood makes the void a failure, and a void's bytes reach the
 * launcher's stderr only escaped. Pure: no void is started.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NativeAddon } from "../../src/native/addon.js";
import { RunningVoid } from "../../src/orchestrator/launcher.js";
import { stderrLogger, visible } from "../../src/orchestrator/log.js";
import { escapeText, outcomeOf, parseRecords } from "../../src/orchestrator/status.js";
import type { VoidPlan } from "../../src/plan/types.js";

describe("status records", () => {
  it("parses what void-init writes", () => {
    assert.deepEqual(parseRecords("X\t3\nK\t9\nS\t2\nE\t2\texecve /bin/x\n"), [
      { kind: "exited", code: 3 },
      { kind: "killed", signal: 9 },
      { kind: "stopped", nsPid: 2 },
      { kind: "error", errno: 2, what: "execve /bin/x" },
    ]);
  });

  it("anything else is malformed, escaped, and makes the void a failure", () => {
    for (const line of ["void: error: forged", "X\t256", "X\t-1", "K\t0", "X\t0\textra", "E\t0\tx", "E\t2", "\x1b]0;title\x07", "F\tstatus pipe flooded"]) {
      const records = parseRecords(`${line}\n`);
      assert.equal(records.length, 1, line);
      assert.equal(records[0]!.kind, "malformed", line);
      const o = outcomeOf({ code: 0 }, records);
      assert.equal(o.status, 125, line);
      assert.match(o.failure ?? "", /status pipe carried a malformed record/);
      assert.ok(![...(o.failure ?? "")].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f)), "no control character reaches the log");
    }
  });

  it("two exit records (a forged one and void-init's) are a failure, not the forged status", () => {
    const o = outcomeOf({ code: 1 }, parseRecords("X\t1\nX\t0\n"));
    assert.equal(o.status, 125);
    assert.match(o.failure ?? "", /2 exit records/);
  });

  it("escapeText shows controls, C1 and backslashes", () => {
    assert.equal(escapeText("a\x1b[2Jb\\c\x9bd\u00e9"), "a\\x1b[2Jb\\\\c\\x9bd\u00e9");
    assert.equal(escapeText("x".repeat(10), 4), "xxxx...");
  });

  it("a record split across two reads of the status pipe is read whole", () => {
    const v = new RunningVoid({} as NativeAddon, 1, 100, {} as VoidPlan);
    assert.deepEqual(v.take("E\t2\texecve /very/lo", false), []);
    assert.deepEqual(v.take("ng/path\nX\t", false), [{ kind: "error", errno: 2, what: "execve /very/long/path" }]);
    assert.deepEqual(v.take("7", true), [{ kind: "exited", code: 7 }]);
  });

  it("log lines show controls and invisible format characters escaped: a void's text never reaches the terminal raw", () => {
    assert.equal(visible("host \x1b[31mred\u009b2J\nvoid: error: forged \u202egnp.exe \u200b"), "host \\x1b[31mred\\x9b2J\\x0avoid: error: forged \\u{202e}gnp.exe \\u{200b}");
    const lines: string[] = [];
    stderrLogger(0, (l) => lines.push(l)).error("request for \u009b2J\nvoid: error: x");
    assert.deepEqual(lines, ["void: error: request for \\x9b2J\\x0avoid: error: x\n"]);
  });
});
