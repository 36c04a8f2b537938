/**
 * Between voids: pipes, file sockets, per-message triggers, TCP listeners
 * and the RPC broker, with real voids and test/c/plumber.c.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, runVoid, runVoidAsync, type Stage, startVoid, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

const E = ["BinaryName", "Entrypoint"];

/** Host pids of voids of `entrypoint` from -v logs. */
function voidPids(stderr: string, entrypoint: string): number[] {
  return [...stderr.matchAll(new RegExp(`entrypoint ${entrypoint}: host pid (\\d+);`, "g"))].map((m) => Number(m[1]));
}

for (const launcher of launchers) {
  describe(`plumbing (${launcher} launcher)`, () => {
    it("a pipe between two Startup voids: the reader sees every line, then EOF when the writer exits", () => {
      const spec = writeSpec(stage, `pipe-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "p" } }, "Trailing"] },
          "pipe-reader": { args: [...E, { Pipe: { Rx: "p" } }], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.plumber, "3"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "line msg-0\nline msg-1\nline msg-2\neof\n");
    });

    it("a Pipe trigger starts one fresh void per message, with the message as its argument", () => {
      const spec = writeSpec(stage, `ptrig-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-v", "-s", spec, stage.plumber, "50"]);
      assert.equal(r.status, 0, r.stderr);
      const got = r.stdout.trim().split("\n").sort();
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `got msg-${i}`).sort());
      assert.equal(new Set(voidPids(r.stderr, "echo-trigger")).size, 50, "50 distinct voids");
    });

    it("a FileSocket trigger starts one void per packet with the received fds as arguments", () => {
      const file = join(stage.dir, `payload-${launcher}.txt`);
      writeFileSync(file, "payload line\n");
      chmodSync(file, 0o644);
      const spec = writeSpec(stage, `strig-${launcher}`, {
        entrypoints: {
          "fd-sender": { args: [...E, { FileSocket: { Tx: "s" } }, { File: file }, "Trailing"] },
          "fd-reader": { trigger: { FileSocket: "s" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.plumber, "20"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), Array(20).fill("read payload line"));
    });

    it('a FileSocket handler whose args have no "Trigger" is not given the packet\'s fds', () => {
      const file = join(stage.dir, `payload-${launcher}.txt`);
      const spec = writeSpec(stage, `strig-noarg-${launcher}`, {
        entrypoints: {
          "fd-sender": { args: [...E, { FileSocket: { Tx: "s" } }, { File: file }, "Trailing"] },
          fds: { trigger: { FileSocket: "s" }, args: [...E], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.plumber, "3"]);
      assert.equal(r.status, 0, r.stderr);
      // One void per packet, each holding only its standard fds.
      assert.deepEqual(r.stdout.trim().split("\n"), Array(3).fill(r.stdout.trim().split("\n")[0]));
      assert.match(r.stdout.trim().split("\n")[0]!, /^fds 0 1 2$/);
    });

    it("a TCP echo server: listener void -> FileSocket -> a fresh echo void per connection (IPv4 and IPv6)", async () => {
      for (const addr of ["127.0.0.1:0", "[::1]:0"]) {
        const spec = writeSpec(stage, `echo-${launcher}`, {
          entrypoints: {
            acceptor: { args: [...E, { TcpListener: { addr } }, { FileSocket: { Tx: "conns" } }] },
            echoer: { trigger: { FileSocket: "conns" }, args: [...E, "Trigger"] },
          },
        });
        const child = startVoid(stage, launcher, ["run", "-v", "-s", spec, stage.plumber]);
        let err = "";
        child.stderr!.on("data", (d: Buffer) => {
          err += d.toString();
        });
        const port = await new Promise<number>((resolve, reject) => {
          const t = setInterval(() => {
            const m = err.match(/listening on (?:\[::1\]|127\.0\.0\.1):(\d+)/);
            if (m) {
              clearInterval(t);
              resolve(Number(m[1]));
            }
          }, 10);
          child.on("exit", () => reject(new Error(err)));
        });
        const host = addr.startsWith("[") ? "::1" : "127.0.0.1";
        const clients = Array.from(
          { length: 20 },
          (_, i) =>
            new Promise<string>((resolve, reject) => {
              const s = netConnect({ host, port }, () => s.end(`hello ${i}`));
              let data = "";
              s.on("data", (d) => {
                data += d.toString();
              });
              s.on("end", () => resolve(data));
              s.on("error", reject);
            }),
        );
        const replies = await Promise.all(clients);
        assert.deepEqual(
          replies,
          Array.from({ length: 20 }, (_, i) => `hello ${i}`),
        );
        child.kill("SIGTERM");
        const [code] = await once(child, "exit");
        assert.equal(code, 0, `an orderly stop: ${err}`);
        assert.ok(voidPids(err, "echoer").length >= 20, "a void per connection");
      }
    });

    it("a crashing handler is logged and does not stop the others; the status says so; a flood of crashes makes a few lines and a count", () => {
      const spec = writeSpec(stage, `crash-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          crash: { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.plumber, "12"]);
      assert.equal(r.status, 128 + 11, r.stderr);
      // The first 5 in full, the rest counted (FloodLog, src/orchestrator/log.ts): a writer can have a void end per message.
      const shown = [...r.stderr.matchAll(/entrypoint crash \(pid \d+\) killed by SIGSEGV/g)].length;
      const counted = [...r.stderr.matchAll(/entrypoint crash: (\d+) further voids? ended by a signal not shown/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.equal(shown, 5, r.stderr);
      assert.equal(shown + counted, 12, r.stderr);
    });

    it("a triggered void holds exactly its granted fds", () => {
      const file = join(stage.dir, "granted.txt");
      writeFileSync(file, "x");
      chmodSync(file, 0o644);
      const spec = writeSpec(stage, `hyg-${launcher}`, {
        entrypoints: {
          sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          fds: { trigger: { Pipe: "jobs" }, args: [...E, { File: file }, "Trigger"], environment: ["Stdout"] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.plumber, "2"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), ["fds 0 1 2 3", "fds 0 1 2 3"]);
    });
  });
}

describe("trigger limits", () => {
  it("10,000 messages from one void: 10,000 distinct handler voids, none lost or doubled", () => {
    const spec = writeSpec(stage, "ten-thousand", {
      entrypoints: {
        sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
        "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
      },
    });
    const r = runVoid(stage, launchers[0]!, ["run", "-v", "-j", "16", "-s", spec, stage.plumber, "10000"], { timeoutMs: 600_000 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 10_000);
    assert.equal(new Set(lines).size, 10_000, "every message handled once");
    assert.ok(lines.every((l) => /^got msg-\d+$/.test(l)));
    // One void spawned per message (host pids themselves may be reused within a run where pid_max is 32768).
    assert.equal(voidPids(r.stderr, "echo-trigger").length, 10_000, "a void spawned per message");
    assert.match(r.stderr, /trigger echo-trigger: 16 voids running \(the limit\); further messages wait/);
  });

  it("a message over 4095 bytes is logged and dropped, the next one still arrives", () => {
    const spec = writeSpec(stage, "long", {
      entrypoints: {
        "long-sender": { args: [...E, { Pipe: { Tx: "jobs" } }] },
        "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
      },
    });
    const r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.plumber]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "got short\n");
    assert.match(r.stderr, /longer than 4095 bytes.*; dropped/);
  });

  it("a packet with more than 16 fds is logged and dropped without leaking; the next one is handled", () => {
    const file = join(stage.dir, "many.txt");
    writeFileSync(file, "after the flood\n");
    chmodSync(file, 0o644);
    const spec = writeSpec(stage, "many-fds", {
      entrypoints: {
        "many-fds": { args: [...E, { FileSocket: { Tx: "s" } }, { File: file }] },
        "fd-reader": { trigger: { FileSocket: "s" }, args: [...E, "Trigger"], environment: ["Stdout"] },
      },
    });
    const r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.plumber]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "read after the flood\n");
    assert.match(r.stderr, /a packet carried more than 16 fds .*dropped it and closed the \d+ fd\(s\) that arrived/);
  });

  it("a port in use is an error before any void starts", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const spec = writeSpec(stage, "inuse", { entrypoints: { acceptor: { args: [...E, { TcpListener: { addr: `127.0.0.1:${port}` } }] } } });
      const r = runVoid(stage, launchers[0]!, ["run", "-v", "-s", spec, stage.plumber]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
      assert.doesNotMatch(r.stderr, /host pid/);
    } finally {
      server.close();
    }
  });
});

describe("runtime specs", () => {
  const compiled = { entrypoints: { acceptor: { args: [...E, { TcpListener: { addr: "127.0.0.1:9" } }] } } };

  it("re-parameterise a listener from a file or the environment; check shows the change", () => {
    const spec = writeSpec(stage, "rt-compiled", compiled);
    const runtime = writeSpec(stage, "rt-runtime", { entrypoints: { acceptor: { args: [...E, { TcpListener: { addr: "127.0.0.1:0" } }] } } });
    const r = runVoid(stage, launchers[0]!, ["check", "-s", spec, "--runtime", runtime, stage.plumber]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /entrypoints\.acceptor\.args\[2\]: TcpListener 127\.0\.0\.1:9 -> 127\.0\.0\.1:0/);
    assert.match(r.stdout, /TCP socket listening on 127\.0\.0\.1:0/);
    const e = runVoid(stage, launchers[0]!, ["check", "-s", spec, stage.plumber], { env: { VOID_LISTEN_ACCEPTOR: "[::1]:0" } });
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, /TCP socket listening on \[::1\]:0/);
  });

  it("refuse a widening before anything starts", () => {
    const spec = writeSpec(stage, "rt-compiled2", compiled);
    const runtime = writeSpec(stage, "rt-widen", { entrypoints: { acceptor: { environment: [{ Filesystem: { host_path: "/etc", environment_path: "/etc" } }] } } });
    const r = runVoid(stage, launchers[0]!, ["run", "-v", "-s", spec, "--runtime", runtime, stage.plumber]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /widens the compile-time spec: a new bind at "\/etc"/);
    assert.doesNotMatch(r.stderr, /host pid/);
  });
});

describe("RPC broker", () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((s) => s.on("data", () => s.end("pong\n")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  for (const launcher of launchers) {
    it(`the TypeScript client works from Node running in a void (${launcher} launcher)`, async () => {
      const client = join(stage.dir, "dist", "src", "rpc", "client.js");
      const script = `import(${JSON.stringify(client)}).then(async (c) => { const s = await c.openTcpSocket(Number(process.argv.at(-1)), "127.0.0.1", ${port}, "Inet"); s.on("data", (d) => { process.stdout.write("node got " + d); s.destroy(); }); s.write("ping"); }).catch((e) => { console.log("error", e.code, e.message); });`;
      const spec = writeSpec(stage, `rpc-node-${launcher}`, {
        entrypoints: {
          node: {
            args: ["BinaryName", "Trailing", { Rpc: [{ OpenTcpSocket: { family: "Inet", port, host: "127.0.0.1" } }] }],
            environment: ["Stdout", "Stderr", { Filesystem: { host_path: stage.dir, environment_path: stage.dir } }],
          },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, process.execPath, "-e", script]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "node got pong\n");
    });

    it(`opens an allowed connection and refuses others (${launcher} launcher)`, async () => {
      const allowed = writeSpec(stage, `rpc-ok-${launcher}`, {
        entrypoints: { "rpc-client": { args: [...E, { Rpc: [{ OpenTcpSocket: { family: null, port, host: "localhost" } }] }, "Trailing"], environment: ["Stdout"] } },
      });
      let r = await runVoidAsync(stage, launcher, ["run", "-s", allowed, stage.plumber, "localhost", String(port)]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "reply pong\n");
      r = await runVoidAsync(stage, launcher, ["run", "-s", allowed, stage.plumber, "localhost", String(port === 65535 ? 1 : port + 1)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^error EACCES /);
      assert.match(r.stderr, /rpc rpc-client \(pid \d+\): refused: .*is not in this void's Rpc list/);
    });
  }
});
