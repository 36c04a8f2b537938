/**
 * The TypeScript void-side helpers (void-run/args, void-run/filesocket),
 * used by Node running in voids, for a root and an unprivileged launcher:
 * one Node program, two entrypoints; the writer sends pipe messages and
 * passes a granted file's fd on a FileSocket, the reader reads them.
 * Also fdArg's checks, in this process.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fdArg, pipeSend, VoidArgError, VoidArgs } from "../../src/void/args.js";
import { launchers, makeStage, runVoidAsync, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
let script: string;
let secret: string;
before(() => {
  stage = makeStage();
  secret = join(stage.dir, "secret.txt");
  writeFileSync(secret, "passed by fd\n", { mode: 0o644 });
  script = join(stage.dir, "void-side.mjs");
  const lib = (name: string) => JSON.stringify(join(stage.dir, "dist", "src", "void", `${name}.js`));
  writeFileSync(
    script,
    `import { readFileSync } from "node:fs";
import { VoidArgs, pipeMessages, pipeSend } from ${lib("args")};
import { recvFds, sendFds } from ${lib("filesocket")};
const args = new VoidArgs(process.argv.slice(2));
const role = args.entrypoint();
if (role === "writer") {
  const pipe = args.fd("lines");
  const sock = args.fd("fds");
  const file = args.fd("secret");
  pipeSend(pipe, "one");
  pipeSend(pipe, "two words, ünïcode");
  for (const bad of ["a\\nb", "x".repeat(4096)]) {
    try { pipeSend(pipe, bad); } catch (e) { console.log("writer refused", e.code); }
  }
  await sendFds(sock, [file, file], Buffer.from("two"));
  console.log("writer rest", JSON.stringify(args.rest()));
} else {
  const pipe = args.fd("lines");
  const sock = args.fd("fds");
  for await (const m of pipeMessages(pipe)) console.log("reader message", JSON.stringify(m));
  const packet = await recvFds(sock);
  console.log("reader packet", packet.data.toString(), packet.fds.length, JSON.stringify(readFileSync(packet.fds[0], "utf8")));
  console.log("reader then", JSON.stringify(await recvFds(sock)));
}
`,
    { mode: 0o644 },
  );
});
after(() => stage.cleanup());

describe("void-run/args in this process", () => {
  it("fdArg takes canonical open fd numbers only", () => {
    const fd = openSync(secret, "r");
    try {
      assert.equal(fdArg(String(fd)), fd);
      for (const bad of ["", "03", "-1", "+3", " 3", "3x", "99999999999"]) {
        assert.throws(
          () => fdArg(bad),
          (e: unknown) => e instanceof VoidArgError && e.code === "EINVAL",
          bad,
        );
      }
    } finally {
      closeSync(fd);
    }
    assert.throws(() => fdArg(String(fd), "the config"), { code: "EBADF", message: /^the config: file descriptor \d+ is not open/ });
  });

  it("VoidArgs walks argv in spec order and names what is missing", () => {
    const a = new VoidArgs(["web", "0", "extra", "more"]);
    assert.equal(a.entrypoint(), "web");
    assert.equal(a.fd("stdin"), 0);
    assert.equal(a.remaining, 2);
    assert.deepEqual(a.rest(), ["extra", "more"]);
    assert.throws(() => a.fd("the listener"), { code: "EINVAL", message: /^the listener: missing \(argument 5; only 4 given\)/ });
  });

  it("pipeSend refuses what would not arrive as one message", () => {
    assert.throws(() => pipeSend(1, "a\nb"), { code: "EINVAL" });
    assert.throws(() => pipeSend(1, "a\0b"), { code: "EINVAL" });
    assert.throws(() => pipeSend(1, "é".repeat(2048)), { code: "EINVAL", message: /at most 4095 bytes; this one has 4096/ });
  });
});

for (const launcher of launchers) {
  describe(`void-run/args and void-run/filesocket from Node in voids (${launcher} launcher)`, () => {
    it("pipe messages and fds passed between two voids", async () => {
      const common = ["BinaryName", "Trailing", "Entrypoint"];
      const environment = ["Stdout", "Stderr", { Filesystem: { host_path: stage.dir, environment_path: stage.dir } }];
      const spec = writeSpec(stage, `void-side-${launcher}`, {
        entrypoints: {
          writer: { args: [...common, { Pipe: { Tx: "lines" } }, { FileSocket: { Tx: "fds" } }, { File: secret }], environment },
          reader: { args: [...common, { Pipe: { Rx: "lines" } }, { FileSocket: { Rx: "fds" } }], environment },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, process.execPath, script]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n").sort(), [
        'reader message "one"',
        'reader message "two words, ünïcode"',
        'reader packet two 2 "passed by fd\\n"',
        "reader then null",
        "writer refused EINVAL",
        "writer refused EINVAL",
        "writer rest []",
      ]);
    });
  });
}
