/**
 * The background copy of `void run -D` (src/cli/daemon-argv.ts): exactly
 * the launcher's own daemon flag is dropped; BINARY and the program's
 * arguments pass unchanged, a "-D" among them included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { withoutDaemonFlag } from "../../src/cli/daemon-argv.js";
import { parseFastRun } from "../../src/cli/fast-run.js";

test("the launcher's -D or --daemon is dropped, the program's -D is kept", () => {
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "-s", "spec.json", "./app", "-D", "--daemon"]), ["run", "-s", "spec.json", "./app", "-D", "--daemon"]);
  assert.deepEqual(withoutDaemonFlag(["run", "--daemon", "./app", "-vD"]), ["run", "./app", "-vD"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-s", "s", "./app"]), ["run", "-s", "s", "./app"]);
});

test("a combined short flag loses only its D", () => {
  assert.deepEqual(withoutDaemonFlag(["run", "-vD", "--pid-file", "p", "./app", "x"]), ["run", "-v", "--pid-file", "p", "./app", "x"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-Dv", "./app"]), ["run", "-v", "./app"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-vDd", "./app"]), ["run", "-vd", "./app"]);
  // The cluster's value-taking flag ends it: what follows is its value, not flags.
  assert.deepEqual(withoutDaemonFlag(["run", "-Ds", "D.json", "./app"]), ["run", "-s", "D.json", "./app"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-DsD.json", "./app"]), ["run", "-sD.json", "./app"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-Dj", "4", "./app"]), ["run", "-j", "4", "./app"]);
});

test("option values, even ones that look like -D, are not flags", () => {
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "-s", "-D", "./app"]), ["run", "-s", "-D", "./app"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "--log-file", "-D", "--runtime", "--daemon", "./app"]), ["run", "--log-file", "-D", "--runtime", "--daemon", "./app"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "--spec=-D", "./app", "-D"]), ["run", "--spec=-D", "./app", "-D"]);
});

test("after -- or a lone -, everything is the program's", () => {
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "--", "-D", "-D"]), ["run", "--", "-D", "-D"]);
  assert.deepEqual(withoutDaemonFlag(["run", "-D", "-", "-D"]), ["run", "-", "-D"]);
});

test("what is not a run command line is left alone", () => {
  assert.deepEqual(withoutDaemonFlag(["check", "-D", "x"]), ["check", "-D", "x"]);
  assert.deepEqual(withoutDaemonFlag(["x", "run", "-D"]), ["x", "run", "-D"]);
});

test("the background copy reads the same run, without -D", () => {
  for (const line of [
    ["run", "-D", "-vv", "-s", "s.json", "./app", "-D", "-vD", "--daemon", "a"],
    ["run", "-vD", "--stdout", "-j", "3", "./app", "-D"],
  ]) {
    const before = parseFastRun(line.filter((w, i) => !(w === "-D" && i === 1)).map((w, i) => (w === "-vD" && i === 1 ? "-v" : w)));
    const after = parseFastRun(withoutDaemonFlag(line));
    assert.ok(after !== undefined);
    assert.deepEqual(after, before);
    assert.deepEqual(
      after.args.filter((a) => a.includes("D")),
      line.slice(line.indexOf("./app") + 1).filter((a) => a.includes("D")),
    );
  }
});
