/**
 * Programs written for the original void-orchestrator run unchanged
 * (test/c/upstream.c plays them): one binary dispatching on argv[0] (the
 * entrypoint's name), specs that bind the libraries by hand, messages
 * written back to back without newlines by several processes at once —
 * each write one message, never merged, never split, in order per sender —
 * and fds passed in zero-length SCM_RIGHTS packets; then 10,000 such
 * writes from four senders at once with the handlers at -j 2, each
 * delivered exactly once, with prepared voids and without. Root and
 * unprivileged launchers.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, repoRoot, runVoidAsync, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
let upstream = "";

before(() => {
  stage = makeStage();
  upstream = join(stage.dir, "upstream");
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", upstream, join(repoRoot, "test", "c", "upstream.c")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  chmodSync(upstream, 0o755);
});

after(() => stage.cleanup());

/** What the original's specs bound by hand for a dynamic binary. */
const LIBS = ["/lib/x86_64-linux-gnu", "/lib64"].filter((p) => existsSync(p)).map((p) => ({ Filesystem: { host_path: p, environment_path: p } }));

/** The sender: K processes writing to the one pipe at once (a pipe has one writer entrypoint; its processes share it). */
const sender = { pipe_sender: { args: ["Entrypoint", { Pipe: { Tx: "msgs" } }, "Trailing"], environment: [...LIBS] } };

const receiver = { pipe_receiver: { trigger: { Pipe: "msgs" }, args: ["Entrypoint", "Trigger"], environment: ["Stdout", ...LIBS] } };

for (const launcher of launchers) {
  describe(`programs written for the original (${launcher} launcher)`, () => {
    it("each write without a newline is one message: never merged, never split, in order per sender", { timeout: 120_000 }, async () => {
      const spec = writeSpec(stage, `upstream-pipes-${launcher}`, { entrypoints: { ...sender, ...receiver } });
      const r = await runVoidAsync(stage, launcher, ["run", "-j", "1", "-s", spec, upstream, "200", "3"]);
      assert.equal(r.status, 0, r.stderr);
      const got = r.stdout.split("\n").filter(Boolean);
      assert.equal(got.length, 600, r.stdout.slice(0, 2000));
      for (let k = 0; k < 3; k++) {
        const mine = got.filter((l) => l.startsWith(`got s${k}-`));
        assert.deepEqual(
          mine,
          Array.from({ length: 200 }, (_, i) => `got s${k}-${i}`),
          `sender ${k}: each once, in order`,
        );
      }
    });

    it("fds passed in zero-length SCM_RIGHTS packets each start one void holding the fd", { timeout: 60_000 }, async () => {
      const file = join(stage.dir, `upstream-file-${launcher}.txt`);
      writeFileSync(file, "the passed file\n");
      chmodSync(file, 0o644);
      const spec = writeSpec(stage, `upstream-fds-${launcher}`, {
        entrypoints: {
          fd_sender: { args: ["Entrypoint", { FileSocket: { Tx: "fds" } }, { File: file }, "Trailing"], environment: [...LIBS] },
          fd_receiver: { trigger: { FileSocket: "fds" }, args: ["Entrypoint", "Trigger"], environment: ["Stdout", ...LIBS] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, upstream, "20"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        r.stdout.split("\n").filter(Boolean),
        Array.from({ length: 20 }, () => "fd the passed file"),
      );
    });

    for (const prepare of ["1", "0"]) {
      it(`10,000 writes from four senders at once, handlers at -j 2, --prepare ${prepare}: each delivered exactly once`, { timeout: 300_000 }, async () => {
        const spec = writeSpec(stage, `upstream-flood-${launcher}-${prepare}`, { entrypoints: { ...sender, ...receiver } });
        const r = await runVoidAsync(stage, launcher, ["run", "-j", "2", "--prepare", prepare, "-s", spec, upstream, "2500", "4"]);
        assert.equal(r.status, 0, r.stderr.slice(-3000));
        const got = r.stdout.split("\n").filter(Boolean);
        assert.equal(got.length, 10_000);
        assert.equal(new Set(got).size, 10_000, "no message twice");
        for (let k = 0; k < 4; k++) for (const i of [0, 1, 1249, 2499]) assert.ok(got.includes(`got s${k}-${i}`), `sender ${k} message ${i}`);
      });
    }
  });
}
