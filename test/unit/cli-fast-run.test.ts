/**
 * The `void run` fast path (src/cli/fast-run.ts): what it reads itself, and
 * that everything else is left to commander.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFastRun } from "../../src/cli/fast-run.js";

const base = { verbose: 0, debug: false, daemon: false, stdout: false, stderr: false, allowUnenforcedLimits: false };

test("the common forms of void run are read without commander", () => {
  assert.deepEqual(parseFastRun(["run", "-s", "spec.json", "./app", "a", "b"]), { binary: "./app", args: ["a", "b"], opts: { ...base, spec: "spec.json" } });
  assert.deepEqual(parseFastRun(["run", "--spec=s.json", "--runtime", "r.json", "-vv", "--verbose", "--stdout", "--stderr", "-j", "8", "--allow-unenforced-limits", "bin"]), {
    binary: "bin",
    args: [],
    opts: { ...base, spec: "s.json", runtime: "r.json", verbose: 3, stdout: true, stderr: true, maxConcurrent: 8, allowUnenforcedLimits: true },
  });
  assert.deepEqual(parseFastRun(["run", "--max-concurrent=2", "--runtime=r", "packed"]), { binary: "packed", args: [], opts: { ...base, runtime: "r", maxConcurrent: 2 } });
  assert.deepEqual(parseFastRun(["run", "--prepare", "0", "-s", "s", "bin"]), { binary: "bin", args: [], opts: { ...base, spec: "s", prepare: 0 } });
  assert.deepEqual(parseFastRun(["run", "--prepare=64", "-s", "s", "bin"]), { binary: "bin", args: [], opts: { ...base, spec: "s", prepare: 64 } });
  // No -s: the spec embedded by void pack.
  assert.deepEqual(parseFastRun(["run", "./packed"]), { binary: "./packed", args: [], opts: base });
});

test("options after BINARY belong to the program (passThroughOptions)", () => {
  assert.deepEqual(parseFastRun(["run", "-s", "x", "bin", "-v", "--help", "-s", "y", "--"]), { binary: "bin", args: ["-v", "--help", "-s", "y", "--"], opts: { ...base, spec: "x" } });
  assert.deepEqual(parseFastRun(["run", "-s", "x", "-"]), { binary: "-", args: [], opts: { ...base, spec: "x" } });
});

test("everything else is left to commander", () => {
  const fallbacks = [
    [],
    ["check", "-s", "x", "bin"],
    ["schema"],
    ["--version"],
    ["-h", "run"],
    ["run"],
    ["run", "--help"],
    ["run", "-h", "bin"],
    ["run", "-s", "x"],
    ["run", "-s"],
    ["run", "-s", "-v", "bin"],
    ["run", "--spec=", "bin"],
    ["run", "-s", "x", "-s", "y", "bin"],
    ["run", "--runtime", "a", "--runtime", "b", "bin"],
    ["run", "-sx", "bin"],
    ["run", "-s=x", "bin"],
    ["run", "-d", "-s", "x", "bin"],
    ["run", "-D", "-s", "x", "bin"],
    ["run", "--daemon", "-s", "x", "bin"],
    ["run", "-j", "0", "-s", "x", "bin"],
    ["run", "-j", "04", "-s", "x", "bin"],
    ["run", "-j", "2.5", "-s", "x", "bin"],
    ["run", "-j", "-1", "-s", "x", "bin"],
    ["run", "-j=2", "-s", "x", "bin"],
    ["run", "--prepare", "65", "-s", "x", "bin"],
    ["run", "--prepare", "01", "-s", "x", "bin"],
    ["run", "--prepare", "x", "-s", "x", "bin"],
    ["run", "--prepare", "-s", "x", "bin"],
    ["run", "--stdout=yes", "-s", "x", "bin"],
    ["run", "-vs", "x", "bin"],
    ["run", "--unknown", "-s", "x", "bin"],
    ["run", "--", "bin"],
    ["run", "-s", "x", "--", "bin"],
  ];
  for (const argv of fallbacks) assert.equal(parseFastRun(argv), undefined, JSON.stringify(argv));
});
