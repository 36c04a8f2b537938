/**
 * End-to-end: every example under examples/ runs as its README says, for a
 * root and an unprivileged launcher. The examples are built by
 * examples/build.sh (part of the set-up and test commands) and copied into
 * the stage so the unprivileged uid can read them.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, cpSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, repoRoot, runVoid, runVoidAsync, type Stage, startVoid } from "./harness.js";

let stage: Stage;
let examples: string;
before(() => {
  stage = makeStage();
  examples = join(stage.dir, "examples");
  cpSync(join(repoRoot, "examples"), examples, { recursive: true });
  chmodSync(examples, 0o755);
});
after(() => stage.cleanup());

const ex = (name: string, file: string) => join(examples, name, file);

for (const launcher of launchers) {
  describe(`examples (${launcher} launcher)`, () => {
    it("fib prints its result and nothing else", () => {
      const r = runVoid(stage, launcher, ["run", "-s", ex("fib", "spec.json"), ex("fib", "fib"), "30"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "fib(30) = 832040\n");
    });

    it("basic: two entrypoints of one binary, each with its own grants", () => {
      const r = runVoid(stage, launcher, ["run", "-s", ex("basic", "spec.json"), ex("basic", "basic")]);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split("\n").sort();
      assert.deepEqual(lines, [`config_reader: ${readFileSync("/etc/hostname", "utf8").trim()}`, 'greeter: hello from pid 2 on host "greeter"']);
    });

    it("pipes: one fresh receiver void per message", () => {
      const r = runVoid(stage, launcher, ["run", "-s", ex("pipes", "spec.json"), ex("pipes", "pipes"), "one", "two", "three"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n").sort(), ["receiver (pid 2 in its own void): one", "receiver (pid 2 in its own void): three", "receiver (pid 2 in its own void): two"]);
    });

    it("echo: many concurrent loopback clients, each served by its own void; rpc reaches it through the broker", async () => {
      // The spec listens on 127.0.0.1:7007; the runtime environment moves
      // it to a free port, as a deployment would.
      const moved = startVoid(stage, launcher, ["run", "-v", "-s", ex("echo", "spec.json"), ex("echo", "echo")], { VOID_LISTEN_LISTENER: "127.0.0.1:0" });
      let log = "";
      moved.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
      });
      const port = await new Promise<number>((resolve, reject) => {
        const t = setInterval(() => {
          const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
          if (m) {
            clearInterval(t);
            resolve(Number(m[1]));
          }
        }, 10);
        moved.on("exit", () => reject(new Error(log)));
      });
      const N = 50;
      const replies = await Promise.all(
        Array.from(
          { length: N },
          (_, i) =>
            new Promise<string>((resolve, reject) => {
              const s = connect({ host: "127.0.0.1", port }, () => s.end(`message ${i}\n`));
              let data = "";
              s.on("data", (d) => {
                data += d.toString();
              });
              s.on("end", () => resolve(data));
              s.on("error", reject);
            }),
        ),
      );
      assert.deepEqual(
        replies,
        Array.from({ length: N }, (_, i) => `message ${i}\n`),
      );
      // rpc: a void without network reaches the echo server through the broker.
      const hello = await runVoidAsync(stage, launcher, ["run", "-s", ex("rpc", "spec.json"), ex("rpc", "hello"), String(port), "hi there"]);
      assert.equal(hello.status, 0, hello.stderr);
      assert.equal(hello.stdout, "hi there\n");
      moved.kill("SIGTERM");
      await once(moved, "exit");
      assert.equal([...log.matchAll(/entrypoint handler: host pid \d+;/g)].length, N + 1, "one handler void per connection (and one for rpc)");
    });
  });
}
