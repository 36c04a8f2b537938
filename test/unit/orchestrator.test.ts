/**
 * The orchestrator (src/orchestrator/run.ts) without root or user
 * namespaces: every "void" is the real void-init run as an ordinary
 * process by the stand-in spawner (test/support/unvoided.ts), with the fds
 * and argv the orchestrator asks for. What is checked is what the
 * orchestrator does — who is spawned, with what argv, prepared or not,
 * when the run ends and with what status — from the spawns it makes and
 * the files its programs write, not from log text.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect as tcpConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { stderrLogger } from "../../src/orchestrator/log.js";
import type { VoidSpawner } from "../../src/orchestrator/launcher.js";
import { runApplication } from "../../src/orchestrator/run.js";
import { triggerCycle } from "../../src/orchestrator/wiring.js";
import { planApplication } from "../../src/plan/plan.js";
import { realHost } from "../../src/plan/real-host.js";
import type { VoidPlan } from "../../src/plan/types.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { UnvoidedSpawner } from "../support/unvoided.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "void-orchestrator-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Plans `spec` for /bin/sh (or `binary`): each entrypoint runs the script named like it, in `dir`. */
function plansFor(spec: unknown, scripts: Record<string, string>, binary = "/bin/sh"): VoidPlan[] {
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o644);
  }
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(
    parsed.spec,
    { binary, trailing: [], cwd: dir, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, timeNamespace: false, arch: process.arch, grantStdout: false, grantStderr: false },
    realHost,
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r.plans;
}

async function run(plans: VoidPlan[], opts: { prepare?: number; concurrency?: number; late?: boolean } = {}): Promise<{ status: number; spawner: UnvoidedSpawner; log: string[] }> {
  const { spawner, make } = UnvoidedSpawner.factory(dir, opts.late);
  const log: string[] = [];
  const status = await runApplication(plans, { debug: false, log: stderrLogger(1, (l) => log.push(l)), spawner: make, ...opts });
  return { status, spawner, log };
}

const lines = (file: string): string[] => readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean).sort();

/** A TCP port of the host's loopback that nothing listens on now. */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as AddressInfo).port;
  s.close();
  await once(s, "close");
  return port;
}

/** What 127.0.0.1:port answers to `text`, retrying while nothing listens yet. */
async function ask(port: number, text: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const c = tcpConnect(port, "127.0.0.1", () => c.end(text));
        let got = "";
        c.on("data", (d) => {
          got += d.toString();
        });
        c.on("end", () => resolve(got));
        c.on("error", reject);
      });
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}

/** The RPC client module (src/rpc/client.ts) as a program in a void imports it. */
const rpcClient = pathToFileURL(join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..", "src", "rpc", "client.js")).href;

describe("the orchestrator, with voids stood in for by plain processes", () => {
  it("a Pipe trigger starts one void per line, with the line as its argument, and the run ends when the writer is done", async () => {
    const plans = plansFor(
      {
        entrypoints: {
          writer: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          handler: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"] },
        },
      },
      { writer: 'printf "one\\ntwo\\nthree\\n" >&"$1"\n', handler: 'echo "got $1" >> handled-1.txt\n' },
    );
    for (const prepare of [0, 1]) {
      rmSync(join(dir, "handled-1.txt"), { force: true });
      const { status, spawner } = await run(plans, { prepare });
      assert.equal(status, 0);
      assert.deepEqual(lines("handled-1.txt"), ["got one", "got three", "got two"]);
      const handlers = spawner.events.filter((e) => e.entrypoint === "handler");
      // Each message had a void; with --prepare 1 they are made ahead (a message that finds none
      // ready gets one made on arrival), so one more may be made and discarded at the end.
      if (prepare === 0) {
        assert.equal(handlers.length, 3);
        assert.ok(handlers.every((e) => !e.prepared));
        assert.deepEqual(handlers.map((e) => e.argv.at(-1)).sort(), ["one", "three", "two"]);
      } else {
        assert.ok(handlers.length >= 3, `${handlers.length} handler voids`);
        assert.ok(handlers.filter((e) => e.prepared).length >= 1, "voids were prepared ahead");
        assert.ok(handlers.filter((e) => !e.prepared).length <= 3);
      }
      assert.equal(spawner.live.length, 0, "no void is left running");
    }
  });

  it("a void that has exited before its spawn resolves still counts as handled: the run ends", { timeout: 20_000 }, async () => {
    const plans = plansFor(
      {
        entrypoints: {
          writer: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          handler: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"] },
        },
      },
      { writer: 'printf "a\\nb\\nc\\nd\\n" >&"$1"\n', handler: 'echo "$1" >> handled-late.txt\n' },
    );
    rmSync(join(dir, "handled-late.txt"), { force: true });
    const { status } = await run(plans, { prepare: 0, late: true });
    assert.equal(status, 0);
    assert.deepEqual(lines("handled-late.txt"), ["a", "b", "c", "d"]);
  });

  it("a chain of triggers ends by the wiring alone: each loop ends when the one before it has", async () => {
    const plans = plansFor(
      {
        entrypoints: {
          writer: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          first: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "stage2" } }, "Trigger"] },
          second: { trigger: { Pipe: "stage2" }, args: ["BinaryName", "Entrypoint", "Trigger"] },
        },
      },
      { writer: 'printf "x\\ny\\n" >&"$1"\n', first: 'echo "$2-first" >&"$1"\n', second: 'echo "$1" >> chain.txt\n' },
    );
    assert.deepEqual(triggerCycle(plans), []);
    rmSync(join(dir, "chain.txt"), { force: true });
    const { status } = await run(plans);
    assert.equal(status, 0);
    assert.deepEqual(lines("chain.txt"), ["x-first", "y-first"]);
  });

  it("a cycle of triggers (each the other's only writer) ends once no void runs and no loop has a message", { timeout: 20_000 }, async () => {
    const plans = plansFor(
      {
        entrypoints: {
          main: { args: ["BinaryName", "Entrypoint"] },
          pinger: { trigger: { Pipe: "ping" }, args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "pong" } }, "Trigger"] },
          ponger: { trigger: { Pipe: "pong" }, args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "ping" } }, "Trigger"] },
        },
      },
      { main: "echo ran >> cycle.txt\n", pinger: "exit 0\n", ponger: "exit 0\n" },
    );
    assert.deepEqual([...triggerCycle(plans)].sort(), ["pinger", "ponger"]);
    rmSync(join(dir, "cycle.txt"), { force: true });
    const { status, spawner } = await run(plans);
    assert.equal(status, 0);
    assert.deepEqual(lines("cycle.txt"), ["ran"]);
    assert.deepEqual(
      spawner.events.filter((e) => !e.prepared).map((e) => e.entrypoint),
      ["main"],
    );
  });

  it("the last non-zero status of any void is the run's, and a failing handler does not stop the others", async () => {
    const plans = plansFor(
      {
        entrypoints: {
          writer: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          handler: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"] },
        },
      },
      { writer: 'printf "ok\\nfail\\nok\\n" >&"$1"\n', handler: 'echo "$1" >> handled-2.txt; [ "$1" = ok ] || exit 7\n' },
    );
    const { status } = await run(plans, { prepare: 0 });
    assert.equal(status, 7);
    assert.deepEqual(lines("handled-2.txt"), ["fail", "ok", "ok"]);
  });

  it("voids of a trigger run at most `concurrency` at once", async () => {
    const plans = plansFor(
      {
        entrypoints: {
          writer: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          handler: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: [{ Limits: { concurrency: 2 } }] },
        },
      },
      {
        writer: 'for i in 1 2 3 4 5 6; do echo "$i"; done >&"$1"\n',
        // Each handler notes how many handlers are in their critical section at once.
        handler: 'mkdir -p running; touch "running/$1"; ls running | wc -l >> concurrency.txt; sleep 0.1; rm "running/$1"\n',
      },
    );
    const { status } = await run(plans, { prepare: 0 });
    assert.equal(status, 0);
    const seen = lines("concurrency.txt").map(Number);
    assert.equal(seen.length, 6);
    assert.ok(Math.max(...seen) <= 2, `at most 2 at once, saw ${seen.join(",")}`);
  });

  it("an orderly stop (SIGTERM to void run) ends every void and the run, with status 0", async () => {
    const plans = plansFor({ entrypoints: { main: { args: ["BinaryName", "Entrypoint"] }, other: { args: ["BinaryName", "Entrypoint"] } } }, { main: "exec sleep 30\n", other: "exec sleep 30\n" });
    const { spawner, make } = UnvoidedSpawner.factory(dir);
    const started = Date.now();
    const running = runApplication(plans, { debug: false, log: stderrLogger(0, () => {}), spawner: make });
    while (spawner.live.length < 2) await new Promise((r) => setTimeout(r, 10));
    // runApplication handles SIGTERM itself while it runs: this process is not ended by it.
    process.kill(process.pid, "SIGTERM");
    assert.equal(await running, 0);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(spawner.live.length, 0);
  });

  it("a stop that comes while a void is being made reaches that void too, once it exists", async () => {
    const plans = plansFor({ entrypoints: { main: { args: ["BinaryName", "Entrypoint"] } } }, { main: "exec sleep 30\n" });
    const { spawner } = UnvoidedSpawner.factory(dir);
    let made = false;
    // The process exists, but spawn() has not resolved yet (the addon's thread is still at work, as for a slow void).
    const slow: VoidSpawner = {
      get live() {
        return spawner.live;
      },
      async spawn(req) {
        const v = await spawner.spawn(req);
        made = true;
        await new Promise((r) => setTimeout(r, 300));
        return v;
      },
    };
    const started = Date.now();
    const running = runApplication(plans, { debug: false, log: stderrLogger(0, () => {}), spawner: () => slow });
    while (!made) await new Promise((r) => setTimeout(r, 5));
    process.kill(process.pid, "SIGTERM");
    assert.equal(await running, 0);
    // Not the 30 s of its sleep: the SIGTERM was passed on when spawn() gave the void to the orchestrator.
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    assert.equal(spawner.live.length, 0);
  });

  it("Forward: the launcher's host end relays each connection to the void's port, through void-init's socket factory", async () => {
    const [host, inner] = [await freePort(), await freePort()];
    const plans = plansFor(
      { entrypoints: { echo: { args: ["BinaryName", "Entrypoint"], environment: [{ Forward: { protocol: "Tcp", host_addr: `127.0.0.1:${host}`, environment_port: inner } }] } } },
      { echo: `require("net").createServer({ allowHalfOpen: true }, (c) => { let t = ""; c.on("data", (d) => (t += d)); c.on("end", () => c.end("echo: " + t)); }).listen(${inner}, "127.0.0.1");\n` },
      process.execPath,
    );
    const { spawner, make } = UnvoidedSpawner.factory(dir);
    const running = runApplication(plans, { debug: false, log: stderrLogger(0, () => {}), spawner: make });
    assert.equal(await ask(host, "one"), "echo: one");
    assert.equal(await ask(host, "two"), "echo: two");
    assert.deepEqual(
      spawner.events.map((e) => e.entrypoint),
      ["echo"],
    );
    process.kill(process.pid, "SIGTERM");
    assert.equal(await running, 0);
  });

  it("the broker opens exactly the connection an Rpc grant lists, for a program that asks for it", async () => {
    const server = createServer((c) => c.end("pong\n"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    try {
      const plans = plansFor(
        { entrypoints: { client: { args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenTcpSocket: { family: null, port, host: "127.0.0.1" } }] }] } } },
        {
          client: `const fs = require("fs");
(async () => {
  const { openTcpSocket, RpcError } = await import(${JSON.stringify(rpcClient)});
  const rpc = Number(process.argv.at(-1));
  const s = await openTcpSocket(rpc, "127.0.0.1", ${port});
  let got = "";
  s.on("data", (d) => (got += d));
  s.on("end", async () => {
    let refused = "";
    try { await openTcpSocket(rpc, "127.0.0.1", ${port} + 1); } catch (e) { refused = e instanceof RpcError ? e.code : String(e); }
    fs.writeFileSync("rpc.txt", got + "other port: " + refused + "\\n");
  });
})();
`,
        },
        process.execPath,
      );
      rmSync(join(dir, "rpc.txt"), { force: true });
      const { status } = await run(plans);
      assert.equal(status, 0);
      assert.ok(existsSync(join(dir, "rpc.txt")));
      assert.equal(readFileSync(join(dir, "rpc.txt"), "utf8"), "pong\nother port: EACCES\n");
    } finally {
      server.close();
    }
  });

  it("whileSpawning runs once every Startup void's spawn has begun, and before onReady", async () => {
    const plans = plansFor({ entrypoints: { a: { args: ["BinaryName", "Entrypoint"] }, b: { args: ["BinaryName", "Entrypoint"] } } }, { a: "exit 0\n", b: "exit 0\n" });
    const { spawner, make } = UnvoidedSpawner.factory(dir);
    const order: string[] = [];
    const status = await runApplication(plans, {
      debug: false,
      log: stderrLogger(0, () => {}),
      spawner: make,
      whileSpawning: () =>
        order.push(
          `spawning ${spawner.events
            .map((e) => e.entrypoint)
            .sort()
            .join(" ")}`,
        ),
      onReady: () => order.push("ready"),
    });
    assert.equal(status, 0);
    assert.deepEqual(order, ["spawning a b", "ready"]);
  });

  it("a Startup void whose binary cannot be executed fails the run with the execve error, and nothing is left", async () => {
    const plans = plansFor({ entrypoints: { main: { args: ["BinaryName", "Entrypoint"] } } }, { main: "exit 0\n" }).map((p) => ({ ...p, exec: join(dir, "no-such-binary") }));
    const { status, spawner, log } = await run(plans);
    assert.equal(status, 127);
    assert.ok(
      log.some((l) => /execve .*no-such-binary/.test(l)),
      log.join("\n"),
    );
    assert.equal(spawner.live.length, 0);
  });
});
