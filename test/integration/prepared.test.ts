/**
 * Prepared voids (src/orchestrator/prepared.ts): a trigger's next void is
 * built before its message arrives, then gets exactly that one message.
 * With messages paced apart (test/c/plumber.c), for both launchers:
 * - each message is handled by a void that was prepared ahead (the host pid
 *   logged at preparation is the one logged when it runs), one void per
 *   message, the text or the fds intact and placed where a void made on
 *   arrival would have them (nothing else: no message socket, no status pipe);
 * - the spare prepared void is discarded at the end: status 0, no warning,
 *   no void-init left;
 * - a Limits timeout counts from the message, not from the preparation;
 * - a prepared void killed from outside while it waits is logged, and the
 *   next message is still handled;
 * - `--prepare 0` builds each void when its message arrives.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, pidAlive, runVoid, type Stage, startVoid, waitFor, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

const E = ["BinaryName", "Entrypoint"];

/** Host pids of the voids prepared for `entrypoint` (-vv logs). */
function preparedPids(stderr: string, entrypoint: string): number[] {
  return [...stderr.matchAll(new RegExp(`entrypoint ${entrypoint}: prepared a void ahead of its next message \\(void-init host pid (\\d+)\\)`, "g"))].map((m) => Number(m[1]));
}

/** Host pids of the voids of `entrypoint` that ran (-v logs). */
function ranPids(stderr: string, entrypoint: string): number[] {
  return [...stderr.matchAll(new RegExp(`entrypoint ${entrypoint}: host pid (\\d+);`, "g"))].map((m) => Number(m[1]));
}

for (const launcher of launchers) {
  describe(`prepared voids (${launcher} launcher)`, () => {
    it("paced Pipe messages each go to a void prepared before they came; the spare one is discarded at the end", () => {
      const spec = writeSpec(stage, `prep-pipe-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-vv", "-s", spec, stage.plumber, "12", "40"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        r.stdout.trim().split("\n"),
        Array.from({ length: 12 }, (_, i) => `got msg-${i}`),
      );
      const ran = ranPids(r.stderr, "echo-trigger");
      const prepared = preparedPids(r.stderr, "echo-trigger");
      assert.equal(new Set(ran).size, 12, "a void per message");
      const fromPrepared = ran.filter((pid) => prepared.includes(pid));
      // The first message may come before the first void is ready; 40 ms is ample for every later one.
      assert.ok(fromPrepared.length >= 11, `${fromPrepared.length} of 12 messages went to prepared voids:\n${r.stderr}`);
      assert.equal(prepared.length, fromPrepared.length + 1, "every prepared void but the spare got a message");
      assert.doesNotMatch(r.stderr, /ended before one came|error|warning/);
      for (const pid of prepared) assert.equal(pidAlive(pid), false, `prepared void ${pid} still alive`);
    });

    it("a prepared FileSocket handler gets the packet's fd at the number a void made on arrival would, and nothing else", () => {
      const file = join(stage.dir, `prep-payload-${launcher}.txt`);
      writeFileSync(file, "payload line\n");
      chmodSync(file, 0o644);
      for (const [handler, expected] of [
        ["fd-reader", "read payload line"],
        ["fds", "fds 0 1 2 3"],
      ] as const) {
        const spec = writeSpec(stage, `prep-fs-${handler}-${launcher}`, {
          entrypoints: {
            "fd-sender": { args: [...E, { FileSocket: { Tx: "s" } }, { File: file }, "Trailing"] },
            [handler]: { trigger: { FileSocket: "s" }, args: [...E, "Trigger"], environment: ["Stdout"] },
          },
        });
        for (const prepare of ["1", "0"]) {
          const r = runVoid(stage, launcher, ["run", "-vv", "--prepare", prepare, "-s", spec, stage.plumber, "6", "40"]);
          assert.equal(r.status, 0, r.stderr);
          assert.deepEqual(r.stdout.trim().split("\n"), Array(6).fill(expected), `--prepare ${prepare}`);
          const prepared = preparedPids(r.stderr, handler);
          if (prepare === "0") assert.deepEqual(prepared, []);
          else assert.ok(ranPids(r.stderr, handler).filter((pid) => prepared.includes(pid)).length >= 5, r.stderr);
          // -v names the received fd for both kinds of void.
          assert.equal((r.stderr.match(/fds 0: \/dev\/null; 1: the launcher's stdout; 2: \/dev\/null; 3: fd #1 received with the triggering packet/g) ?? []).length, 6, r.stderr);
        }
      }
    });

    it("a Limits timeout counts from the message, not from when the void was prepared", () => {
      const spec = writeSpec(stage, `prep-timeout-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout", { Limits: { timeout: "300ms" } }] },
        },
      });
      // Each prepared void waits ~700 ms for its message, more than its timeout.
      const r = runVoid(stage, launcher, ["run", "-vv", "-s", spec, stage.plumber, "3", "700"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), ["got msg-0", "got msg-1", "got msg-2"]);
      assert.doesNotMatch(r.stderr, /killed at its timeout|ended before one came/);
      assert.ok(ranPids(r.stderr, "echo-trigger").filter((pid) => preparedPids(r.stderr, "echo-trigger").includes(pid)).length >= 2, r.stderr);
    });

    it("a prepared void killed while it waits is logged; the next message is still handled", async () => {
      const spec = writeSpec(stage, `prep-killed-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const child = startVoid(stage, launcher, ["run", "-vv", "-s", spec, stage.plumber, "2", "2500"]);
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const exited = once(child, "exit");
      try {
        // After the first message, the void prepared for the second one waits: kill it.
        assert.ok(await waitFor(() => out.includes("got msg-0") && preparedPids(err, "echo-trigger").some((pid) => !ranPids(err, "echo-trigger").includes(pid)), 10000), err);
        const waiting = preparedPids(err, "echo-trigger").find((pid) => !ranPids(err, "echo-trigger").includes(pid))!;
        process.kill(waiting, "SIGKILL");
        const [code] = await exited;
        assert.equal(code, 0, err);
        assert.deepEqual(out.trim().split("\n"), ["got msg-0", "got msg-1"]);
        assert.match(err, new RegExp(`a void prepared for its next message \\(pid ${waiting}\\) ended before one came: killed by SIGKILL`));
        assert.ok(!ranPids(err, "echo-trigger").includes(waiting));
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  });
}
