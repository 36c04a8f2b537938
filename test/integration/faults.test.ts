/**
 * Hostile input and faults, with real voids: nothing lost, nothing leaked.
 *
 * - Trigger and RPC abuse: oversized and NUL pipe messages mixed with good
 *   ones, a flood under -j 2, fds sent to handlers that take none or exit
 *   before reading them, a writer that closes mid-message, voids that send
 *   the RPC broker garbage and exit. Each long run is driven in two waves
 *   (test/c/plumber.c waits for SIGUSR1, which `void run` forwards to every
 *   void, between them), and the LAUNCHER's open fds (/proc/PID/fd of
 *   `node bin/void run`; under setpriv the same pid, as setpriv execs node)
 *   are counted at the quiet moment after each wave: the count after a few
 *   messages and after hundreds must be the same.
 * - Faults: SIGKILL of a launcher with ten live handlers, orphans forked
 *   inside a void, `ulimit -n 64`, and (as root, in a private mount
 *   namespace) a full /tmp.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { asLauncher, isRoot, type Launcher, launchers, makeStage, pidAlive, pidsRunning, runVoid, type Stage, waitFor, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

const E = ["BinaryName", "Entrypoint"];

/** No JavaScript stack trace in a launcher's stderr. */
const STACK = /^\s+at .+[(:]\d+/m;

/** Host pid -> parent pid, for every process. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  return map;
}

/** Every live descendant of `pid` (not zombies). */
function descendants(pid: number): number[] {
  const ppid = parents();
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = [...ppid].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...next);
    frontier = next;
  }
  return found.filter(pidAlive);
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** The pid of a host process inside its innermost PID namespace (last NSpid field). */
function innermostPid(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("NSpid:"));
    return line === undefined ? undefined : Number(line.trim().split(/\s+/).at(-1));
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `void run` in the background, watched: its stdout and stderr, how many
 * voids of an entrypoint have ended (-v logs each end), and the launcher's
 * own open fds.
 */
class App {
  readonly child: ReturnType<typeof spawn>;
  out = "";
  err = "";
  status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly ended: Promise<void>;

  constructor(launcher: Launcher, args: string[]) {
    const [cmd, ...rest] = asLauncher(launcher, [process.execPath, stage.voidBin, ...args]);
    this.child = spawn(cmd!, rest, { cwd: stage.dir, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    this.child.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.err += d.toString();
    });
    this.ended = once(this.child, "exit").then(([code, signal]) => {
      this.status = { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Voids of `entrypoint` that have ended, by the -v log. */
  ends(entrypoint: string): number {
    return this.err.split(`entrypoint ${entrypoint} (pid `).length - 1;
  }

  lines(): string[] {
    return this.out.split("\n").filter((l) => l !== "");
  }

  async until(what: string, pred: () => boolean, timeoutMs = 40_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.status !== undefined) assert.fail(`void run exited (${JSON.stringify(this.status)}) before ${what}:\n${this.err.slice(-3000)}`);
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}:\n${this.err.slice(-3000)}`);
      await sleep(20);
    }
  }

  /** The launcher's open fds, once the count holds still for 150 ms. */
  async quietFds(): Promise<number> {
    let last = -1;
    for (let i = 0; i < 40; i++) {
      const n = readdirSync(`/proc/${this.pid}/fd`).length;
      if (n === last) return n;
      last = n;
      await sleep(150);
    }
    return last;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async exit(timeoutMs = 40_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.ended;
    clearTimeout(timer);
    return this.status!;
  }

  /** Cleanup: a launcher still running is killed (its voids die with it). */
  async stop(): Promise<void> {
    if (this.status === undefined) {
      this.child.kill("SIGKILL");
      await this.ended;
    }
  }
}

/**
 * Two waves of messages: waits until `first` voids of `handler` have ended,
 * counts the launcher's fds, lets the sender go on (SIGUSR1), waits for
 * `total`, counts again, lets the sender finish. Returns both counts.
 */
async function twoWaves(app: App, handler: string, first: number, total: number, ready: () => boolean = () => true): Promise<{ afterFirst: number; afterAll: number }> {
  await app.until(`${first} ${handler} voids`, () => app.ends(handler) >= first && ready());
  const afterFirst = await app.quietFds();
  app.signal("SIGUSR1");
  await app.until(`${total} ${handler} voids`, () => app.ends(handler) >= total);
  const afterAll = await app.quietFds();
  app.signal("SIGUSR1");
  return { afterFirst, afterAll };
}

for (const launcher of launchers) {
  describe(`trigger and RPC abuse (${launcher} launcher)`, () => {
    it("oversized and NUL messages among good ones: each good one handled once, each bad one logged or counted; the launcher's fds do not grow", async () => {
      const spec = writeSpec(stage, `mixed-${launcher}`, {
        entrypoints: {
          "wave-sender": { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const [n1, n2] = [10, 490];
      const all = Array.from({ length: n1 + n2 }, (_, i) => i);
      const good = all.filter((i) => i % 4 !== 3);
      const bad = all.filter((i) => i % 4 === 3);
      const app = new App(launcher, ["run", "-v", "-s", spec, stage.plumber, "mixed", String(n1), String(n2)]);
      try {
        const fds = await twoWaves(app, "echo-trigger", good.filter((i) => i < n1).length, good.length);
        const { code } = await app.exit();
        assert.equal(code, 0, app.err.slice(-3000));
        assert.deepEqual(app.lines().sort(), good.map((i) => `got msg-${i}`).sort(), "every good message handled exactly once");
        // Each dropped message is logged once, or counted in a summary line (src/orchestrator/log.ts FloodLog): never both, never lost.
        const told = (shown: RegExp, counted: RegExp) => (app.err.match(shown)?.length ?? 0) + [...app.err.matchAll(counted)].reduce((sum, m) => sum + Number(m[1]!.replaceAll(",", "")), 0);
        const tooLong = told(
          /trigger echo-trigger: message longer than 4095 bytes[^\n]*; dropped/g,
          /trigger echo-trigger: ([\d,]+) further messages? (?:from entrypoint wave-sender )?dropped as too long not shown/g,
        );
        const withNul = told(/trigger echo-trigger: message contains a NUL byte[^\n]*; dropped/g, /trigger echo-trigger: ([\d,]+) further messages? dropped for a NUL byte not shown/g);
        assert.equal(tooLong, bad.filter((i) => Math.floor(i / 4) % 4 !== 2).length, "each oversized message logged or counted once");
        assert.equal(withNul, bad.filter((i) => Math.floor(i / 4) % 4 === 2).length, "each message with a NUL logged or counted once");
        assert.doesNotMatch(app.err, STACK);
        assert.ok(fds.afterAll <= fds.afterFirst, `launcher fds: ${fds.afterFirst} after ${n1} messages, ${fds.afterAll} after ${n1 + n2}`);
      } finally {
        await app.stop();
      }
    });

    it("a flood of 2,000 messages under -j 2: none lost or doubled, the wait is logged; the launcher's fds do not grow", async () => {
      const spec = writeSpec(stage, `flood-${launcher}`, {
        entrypoints: {
          "wave-sender": { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      const app = new App(launcher, ["run", "-v", "-j", "2", "-s", spec, stage.plumber, "good", "10", "1990"]);
      try {
        const fds = await twoWaves(app, "echo-trigger", 10, 2000);
        const { code } = await app.exit();
        assert.equal(code, 0, app.err.slice(-3000));
        const lines = app.lines();
        assert.equal(lines.length, 2000);
        assert.deepEqual(new Set(lines), new Set(Array.from({ length: 2000 }, (_, i) => `got msg-${i}`)), "every message handled exactly once");
        assert.match(app.err, /trigger echo-trigger: 2 voids running \(the limit\); further messages wait/);
        assert.ok(fds.afterAll <= fds.afterFirst, `launcher fds: ${fds.afterFirst} after 10 messages, ${fds.afterAll} after 2000`);
      } finally {
        await app.stop();
      }
    });

    for (const [handler, takes] of [
      ["fds", "a handler that takes no Trigger argument"],
      ["quit", "a handler that exits before reading them"],
    ] as const) {
      it(`fds sent on a file socket to ${takes}: a void per packet, every fd closed (the sender sees EOF); the launcher's fds do not grow`, async () => {
        const spec = writeSpec(stage, `eof-${handler}-${launcher}`, {
          entrypoints: {
            "eof-waves": { args: [...E, { FileSocket: { Tx: "s" } }, "Trailing"], environment: ["Stdout"] },
            [handler]: { trigger: { FileSocket: "s" }, args: handler === "fds" ? E : [...E, "Trigger"], environment: ["Stdout"] },
          },
        });
        const app = new App(launcher, ["run", "-v", "-s", spec, stage.plumber, "10", "200"]);
        try {
          const fds = await twoWaves(app, handler, 10, 210, () => app.out.includes("eofs 1 "));
          const { code } = await app.exit();
          assert.equal(code, 0, app.err.slice(-3000));
          const lines = app.lines();
          assert.ok(lines.includes("eofs 1 10/10"), `every pipe's write end closed after wave 1:\n${lines.filter((l) => l.startsWith("eofs")).join("\n")}`);
          assert.ok(lines.includes("eofs 2 200/200"), `every pipe's write end closed after wave 2:\n${lines.filter((l) => l.startsWith("eofs")).join("\n")}`);
          if (handler === "fds") {
            const held = lines.filter((l) => l.startsWith("fds"));
            assert.equal(held.length, 210, "a void per packet");
            // Whether or not the received fd is passed without a Trigger argument, nothing else of the launcher's is.
            for (const l of held) assert.match(l, /^fds 0 1 2( 3)?$/);
          }
          assert.equal(app.ends(handler), 210);
          assert.ok(fds.afterAll <= fds.afterFirst, `launcher fds: ${fds.afterFirst} after 10 packets, ${fds.afterAll} after 210`);
        } finally {
          await app.stop();
        }
      });
    }

    it("a writer that closes mid-message: the partial last line is one message (documented); a partial line too long or with a NUL is dropped and logged", () => {
      const spec = writeSpec(stage, `partial-${launcher}`, {
        entrypoints: {
          "partial-sender": { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
        },
      });
      // -j 1: two handlers writing to one stdout at once could interleave a line longer than PIPE_BUF.
      const run = (kind: string) => {
        const r = runVoid(stage, launcher, ["run", "-j", "1", "-s", spec, stage.plumber, kind]);
        assert.doesNotMatch(r.stderr, STACK);
        return r;
      };
      let r = run("short");
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.split("\n").filter(Boolean).sort(), ["got first", "got tail"]);
      r = run("max");
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split("\n").filter(Boolean).sort();
      const summary = lines.map((l) => `${l.slice(0, 12)}… (${l.length} chars)`).join(", ");
      assert.ok(lines.length === 2 && lines[0] === "got first" && lines[1] === `got ${"m".repeat(4095)}`, `a 4095-byte last line is one message: ${summary}`);
      r = run("long");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "got first\n");
      assert.equal(r.stderr.match(/trigger echo-trigger: message longer than 4095 bytes[^\n]*; dropped/g)?.length, 1, r.stderr);
      r = run("nul");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "got first\n");
      assert.equal(r.stderr.match(/trigger echo-trigger: message contains a NUL byte[^\n]*; dropped/g)?.length, 1, r.stderr);
    });

    it("voids that send the RPC broker garbage and exit: every answered request refused and logged, nothing connected; the launcher's fds do not grow", async () => {
      const spec = writeSpec(stage, `garbage-${launcher}`, {
        entrypoints: {
          "wave-sender": { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          "rpc-garbage": {
            trigger: { Pipe: "jobs" },
            args: [...E, { Rpc: [{ OpenTcpSocket: { family: "Inet", port: 9, host: "127.0.0.1" } }] }, "Trigger"],
            environment: ["Stdout"],
          },
        },
      });
      const app = new App(launcher, ["run", "-v", "-s", spec, stage.plumber, "good", "10", "200"]);
      try {
        const fds = await twoWaves(app, "rpc-garbage", 10, 210);
        const { code } = await app.exit();
        assert.equal(code, 0, app.err.slice(-3000));
        // Each void got a reply to each of its 7 answered requests (too long, 5 malformed or refused, 1 with fds).
        assert.deepEqual(app.lines(), Array(210).fill("garbage 7"));
        const malformed = app.err.match(/rpc rpc-garbage \(pid \d+\): malformed request/g)?.length ?? 0;
        const refused = app.err.match(/rpc rpc-garbage \(pid \d+\): refused: /g)?.length ?? 0;
        assert.ok(malformed >= 210 * 5, `${malformed} malformed requests logged`);
        assert.equal(refused, 210, "the one well-formed but unlisted request of each void");
        assert.doesNotMatch(app.err, /rpc rpc-garbage \(pid \d+\): .* -> /, "nothing was connected");
        assert.doesNotMatch(app.err, STACK);
        assert.ok(fds.afterAll <= fds.afterFirst, `launcher fds: ${fds.afterFirst} after 10 voids, ${fds.afterAll} after 210`);
      } finally {
        await app.stop();
      }
    });
  });

  describe(`faults (${launcher} launcher)`, () => {
    it("SIGKILL of the launcher of a triggered application with 10 live handlers leaves no void running", async () => {
      const spec = writeSpec(stage, `kill10-${launcher}`, {
        entrypoints: {
          "wave-sender": { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
          linger: { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"] },
        },
      });
      const app = new App(launcher, ["run", "-v", "-s", spec, stage.plumber, "good", "10", "0"]);
      try {
        await app.until("10 live handlers", () => (app.err.match(/entrypoint linger: host pid \d+;/g)?.length ?? 0) >= 10);
        const inits = [...app.err.matchAll(/entrypoint [\w-]+: host pid (\d+);/g)].map((m) => Number(m[1]));
        assert.equal(inits.length, 11, "the sender and 10 handlers");
        const all = descendants(app.pid);
        for (const pid of inits) assert.ok(all.includes(pid), `void-init ${pid} is the launcher's`);
        assert.ok(all.length >= 22, `each void is its init and its entrypoint: ${all.length} processes`);
        assert.equal(app.ends("linger"), 0, "the handlers are still running");
        app.signal("SIGKILL");
        await app.exit();
        assert.ok(await waitFor(() => all.every((pid) => !pidAlive(pid)), 5000), `still alive: ${all.filter(pidAlive).join(" ")}`);
      } finally {
        await app.stop();
      }
    });

    it("orphans forked inside a void are killed when its init exits, and void run does not wait for them", async () => {
      const spec = writeSpec(stage, `orphans-${launcher}`, { entrypoints: { probe: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const started = Date.now();
      const app = new App(launcher, ["run", "-v", "-s", spec, stage.probe, "--no-escape", "--spawn-orphans", "5", "--sleep", "1500"]);
      try {
        await app.until("the void's host pid", () => /entrypoint probe: host pid \d+;/.test(app.err));
        const init = Number(app.err.match(/entrypoint probe: host pid (\d+);/)![1]);
        let orphans: number[] = [];
        await app.until("5 orphans", () => {
          orphans = descendants(init).filter((pid) => comm(pid) === "probe-orphan");
          return orphans.length === 5;
        });
        const inVoid = orphans.map(innermostPid);
        const { code } = await app.exit();
        assert.equal(code, 0, app.err);
        assert.ok(Date.now() - started < 15_000, "void run ended with its entrypoint, not 30 s later with the orphans");
        const report = JSON.parse(app.out) as { orphans: number[] };
        assert.deepEqual([...report.orphans].sort(), [...inVoid].sort(), "the processes found are the probe's orphans");
        assert.ok(await waitFor(() => orphans.every((pid) => !pidAlive(pid)), 5000), `orphans still alive: ${orphans.filter(pidAlive).join(" ")}`);
      } finally {
        await app.stop();
      }
    });

    describe("ulimit -n 64", () => {
      /** `void run ARGS` as `launcher` with RLIMIT_NOFILE 64. */
      const runLimited = (args: string[]) => {
        const [cmd, ...rest] = asLauncher(launcher, ["sh", "-c", 'ulimit -n 64 && exec "$@"', "sh", process.execPath, stage.voidBin, ...args]);
        const r = spawnSync(cmd!, rest, { cwd: stage.dir, encoding: "utf8", timeout: 50_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
        return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
      };
      const noneLeft = async () => {
        assert.ok(await waitFor(() => pidsRunning(stage.plumber).length === 0, 5000), `still running: ${pidsRunning(stage.plumber).join(" ")}`);
      };

      it("an application needing more fds than that fails cleanly: a clear message, a non-zero status, nothing started", async () => {
        const files = writeSpec(stage, `emfile-files-${launcher}`, {
          entrypoints: { fds: { args: [...E, ...Array.from({ length: 70 }, () => ({ File: stage.plumber }))], environment: ["Stdout"] } },
        });
        const pipes: Record<string, unknown> = {};
        for (let i = 0; i < 40; i++) {
          pipes[`sender-${i}`] = { args: [...E, { Pipe: { Tx: `p${i}` } }, "Trailing"] };
          pipes[`pipe-reader-${i}`] = { args: [...E, { Pipe: { Rx: `p${i}` } }] };
        }
        const manyPipes = writeSpec(stage, `emfile-pipes-${launcher}`, { entrypoints: pipes });
        for (const spec of [files, manyPipes]) {
          const r = runLimited(["run", "-v", "-s", spec, stage.plumber, "1"]);
          assert.notEqual(r.status, 0, r.stderr);
          assert.equal(r.signal, null);
          assert.match(r.stderr, /^void: error: .*(EMFILE|[Tt]oo many open files)/m);
          assert.doesNotMatch(r.stderr, STACK);
          assert.doesNotMatch(r.stderr, /host pid/, "nothing started");
          assert.equal(r.stdout, "");
        }
        await noneLeft();
      });

      const floodSpec = () =>
        writeSpec(stage, `emfile-flood-${launcher}`, {
          entrypoints: {
            sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
            "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger", { File: stage.plumber }, { File: stage.plumber }, { File: stage.plumber }], environment: ["Stdout"] },
          },
        });
      /** One flood of 300 messages: the distinct messages handled, the failures logged, the rest of stderr. */
      const flood = (spec: string) => {
        const r = runLimited(["run", "-s", spec, stage.plumber, "300"]);
        assert.notEqual(r.status, 0);
        assert.equal(r.signal, null);
        assert.doesNotMatch(r.stderr, STACK);
        const got = r.stdout.split("\n").filter(Boolean);
        assert.ok(
          got.every((l) => /^got msg-\d+$/.test(l)),
          r.stdout,
        );
        assert.equal(new Set(got).size, got.length, "no message handled twice");
        // Each failure is a line of its own, or counted in a summary line past FloodLog's budget (src/orchestrator/log.ts).
        const failureLines = r.stderr.split("\n").filter((l) => l.startsWith("void: error: entrypoint echo-trigger"));
        const summary = /^void: error: entrypoint echo-trigger: ([\d,]+) further .* not shown /;
        const errors = failureLines.reduce((n, l) => n + (summary.test(l) ? Number(summary.exec(l)![1]!.replaceAll(",", "")) : 1), 0);
        assert.doesNotMatch(
          r.stderr
            .split("\n")
            .filter((l) => l.startsWith("void: error: "))
            .join("\n"),
          /undefined|\[object /,
        );
        return { handled: got.length, errors, unusual: r.stderr.split("\n").filter((l) => !l.endsWith("; message dropped")) };
      };

      it("a flood that runs the launcher out of fds mid-run fails cleanly: a non-zero status, each failure logged, nothing handled twice, no void left", async () => {
        const { handled, errors } = flood(floodSpec());
        assert.ok(errors > 0, "the limit was reached");
        assert.ok(handled + errors <= 300, `${handled} handled + ${errors} failures logged, of 300 messages`);
        await noneLeft();
      });

      it("in such a flood every message is handled or logged: none is lost silently (5 floods)", async () => {
        const spec = floodSpec();
        for (let i = 0; i < 5; i++) {
          const { handled, errors, unusual } = flood(spec);
          assert.equal(handled + errors, 300, `flood ${i + 1}: ${handled} handled + ${errors} failures logged; stderr without the dropped messages:\n${unusual.join("\n").slice(0, 3000)}`);
        }
        await noneLeft();
      });
    });

    it("a launcher without /proc (a private mount namespace) gets an error saying why its voids fail, not a silent status 125", {
      skip: !isRoot && "needs root: unmounts /proc in a private mount namespace",
    }, () => {
      const spec = writeSpec(stage, `no-proc-${launcher}`, { entrypoints: { "echo-trigger": { args: [...E, "Trailing"], environment: ["Stdout"] } } });
      // Every /proc stacked there goes (a test run in a PID namespace of its own has two), and none may be left.
      const script = 'mount --make-rprivate / && umount -l /proc && while umount -l /proc 2>/dev/null; do :; done; [ ! -e /proc/self ] && exec "$@"';
      const [cmd, ...rest] = ["unshare", "-m", "sh", "-c", script, "sh", ...asLauncher(launcher, [process.execPath, stage.voidBin, "run", "-s", spec, stage.plumber, "hello"])];
      const r = spawnSync(cmd!, rest, { cwd: stage.dir, encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      assert.doesNotMatch(r.stderr, STACK);
      if (r.status === 0) {
        assert.equal(r.stdout, "got hello\n", "it runs");
        return;
      }
      assert.match(r.stderr, /^void: error: .+/m, `status ${r.status} and no error message; stderr: ${JSON.stringify(r.stderr)}`);
    });

    it("with /tmp full (a private mount namespace), void run still runs: it needs nothing from the host's /tmp", { skip: !isRoot && "needs root: mounts a tmpfs in a private mount namespace" }, () => {
      // The stage must stay visible once /tmp is covered: build one under /var/tmp.
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = "/var/tmp";
      const outside = makeStage();
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      try {
        assert.ok(!outside.dir.startsWith("/tmp/"), outside.dir);
        const spec = writeSpec(outside, "tmp-full", {
          entrypoints: {
            sender: { args: [...E, { Pipe: { Tx: "jobs" } }, "Trailing"] },
            "echo-trigger": { trigger: { Pipe: "jobs" }, args: [...E, "Trigger"], environment: ["Stdout"] },
          },
        });
        const script = [
          "set -e",
          "mount --make-rprivate /",
          "mount -t tmpfs -o size=64k tmpfs /tmp",
          "dd if=/dev/zero of=/tmp/fill bs=4k 2>/dev/null || true",
          // Proof that /tmp is full: not even one more byte fits.
          'if printf x > /tmp/one-more 2>/dev/null; then echo "/tmp is not full" >&2; exit 99; fi',
          'exec "$@"',
        ].join("\n");
        const [cmd, ...rest] = ["unshare", "-m", "sh", "-c", script, "sh", ...asLauncher(launcher, [process.execPath, outside.voidBin, "run", "-s", spec, outside.plumber, "20"])];
        const r = spawnSync(cmd!, rest, { cwd: outside.dir, encoding: "utf8", timeout: 50_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
        assert.notEqual(r.status, 99, "/tmp was full");
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, STACK);
        assert.deepEqual(r.stdout.split("\n").filter(Boolean).sort(), Array.from({ length: 20 }, (_, i) => `got msg-${i}`).sort());
        assert.ok(!existsSync("/tmp/fill"), "the full tmpfs was only in the private mount namespace");
      } finally {
        outside.cleanup();
      }
    });
  });
}

describe("nothing is left behind by the fault tests", () => {
  it("no void-init or test program is still running", async () => {
    assert.ok(await waitFor(() => pidsRunning(stage.dir).length === 0, 5000), `still running: ${pidsRunning(stage.dir).join(" ")}`);
    assert.ok(await waitFor(() => pidsRunning("void-init").length === 0, 5000), `void-init still running: ${pidsRunning("void-init").join(" ")}`);
  });
});
