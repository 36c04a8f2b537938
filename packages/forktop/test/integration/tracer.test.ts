/**
 * build/forktop-tracer, driven directly (docs/forktop-protocol.md): the
 * ptrace event stream against a fork bomb's own manifest, exec by a
 * thread, -p attach and detach, --once, poll mode, and the shell hotkey
 * into a plain process and into a real void, as root and as uid 65534.
 *
 * Every line the tracer writes must also pass the UI's own parser
 * (src/protocol.ts), so both sides of the protocol are checked
 * against each other.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NAMESPACES, PROTOCOL_VERSION, parseEventLine, type Snapshot } from "../../src/protocol.js";
import { addVoid, asLauncher, buildProgram, isRoot, type Launcher, launchers, makeStage, noVoid, pidAlive, type Stage, type VoidInStage, waitFor, writeSpec } from "./harness.js";

/** The tracer's snapshot, as the UI's protocol module types it. */
type Snap = Snapshot;

interface Ev {
  event: string;
  time: number;
  pid?: number;
  ppid?: number;
  tgid?: number;
  code?: number;
  signal?: string;
  thread?: boolean;
  former_pid?: number;
  snapshot?: Snap;
  shell?: number;
  mode?: string;
  version?: number;
  tracer?: number;
  reason?: string;
  message?: string;
}

const CREATE = new Set(["spawn", "attach", "fork", "vfork", "clone"]);

let stage: Stage;
/** void-run in the stage, when FORKTOP_TEST_VOID names one. */
let app: VoidInStage | null = null;
let tracer: string;
let forkbomb: string;
let target: string;
let threadExec: string;
let sharedStack: string;
let untraced: string;
let sharedCode: string;
let capdrop: string;
let threadPrivs: string;
/** A directory every uid may write (fork bomb manifests). */
let shared: string;
const started: ChildProcess[] = [];

before(() => {
  stage = makeStage();
  tracer = stage.tracer;
  forkbomb = buildProgram(stage, "forkbomb");
  target = buildProgram(stage, "target");
  threadExec = buildProgram(stage, "thread-exec");
  sharedStack = buildProgram(stage, "shared-stack");
  untraced = buildProgram(stage, "untraced");
  sharedCode = buildProgram(stage, "shared-code");
  capdrop = buildProgram(stage, "capdrop");
  threadPrivs = buildProgram(stage, "thread-privs");
  if (!noVoid) app = addVoid(stage);
  shared = join(stage.dir, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
});

after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill("SIGKILL");
  stage.cleanup();
});

/** Parses tracer output; every line must be valid for the UI's parser too. */
function parseLines(text: string): Ev[] {
  const events: Ev[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const p = parseEventLine(line);
    assert.ok(p.ok, `the UI's parser rejects a tracer line: ${p.ok ? "" : p.error}\n${line.slice(0, 500)}`);
    events.push(JSON.parse(line) as Ev);
  }
  return events;
}

function runTracer(launcher: Launcher, args: string[], timeoutMs = 60_000) {
  const [cmd, ...rest] = asLauncher(launcher, [tracer, ...args]);
  const r = spawnSync(cmd!, rest, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, cwd: stage.dir });
  return { status: r.status, signal: r.signal, stderr: r.stderr, events: parseLines(r.stdout) };
}

/** Lines of a stream, with a way to wait for one. */
class Lines {
  lines: string[] = [];
  text = "";
  private waiters: (() => void)[] = [];
  constructor(stream: Readable) {
    stream.on("data", (d: Buffer) => {
      this.text += d.toString("latin1");
      let nl = this.text.indexOf("\n");
      while (nl >= 0) {
        this.lines.push(this.text.slice(0, nl));
        this.text = this.text.slice(nl + 1);
        nl = this.text.indexOf("\n");
      }
      for (const w of this.waiters.splice(0)) w();
    });
    stream.on("end", () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }
  /** Waits for a line matching pred (among all lines so far), up to timeoutMs. */
  async wait(pred: (line: string) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(pred);
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got:\n${this.lines.join("\n").slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** A tracer with a control socket (fd 3) and a "terminal" (fd 4, a socket the test plays). */
class Session {
  child: ChildProcess;
  control: Lines;
  stdout: Lines;
  tty = "";
  private ttyIn: Writable;
  /**
   * tty: "socket" gives the tracer a socket as --tty-fd (fd 4); "pty" runs
   * it under script(1), so its --tty-fd 0 is a real terminal whose other
   * side is script's stdin and stdout; "none" gives no --tty-fd.
   */
  constructor(launcher: Launcher, args: string[], stdin: "pipe" | "ignore" = "ignore", tty: "socket" | "pty" | "none" = "socket") {
    const ttyArgs = tty === "socket" ? ["--tty-fd", "4"] : tty === "pty" ? ["--tty-fd", "0"] : [];
    const argv = asLauncher(launcher, [tracer, "--control-fd", "3", ...ttyArgs, ...args]);
    if (tty === "pty") {
      const line = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
      this.child = spawn("script", ["-qfec", line, "/dev/null"], { stdio: ["pipe", "pipe", "inherit", "pipe"], cwd: stage.dir });
    } else {
      this.child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, "pipe", "inherit", "pipe", "pipe"], cwd: stage.dir });
    }
    started.push(this.child);
    this.control = new Lines(this.child.stdio[3] as Readable);
    const ttyOut = (tty === "pty" ? this.child.stdout : this.child.stdio[4]) as Readable;
    this.ttyIn = (tty === "pty" ? this.child.stdin : this.child.stdio[4]) as Writable;
    this.stdout = new Lines(tty === "pty" ? new PassThrough() : this.child.stdout!);
    ttyOut?.on("data", (d: Buffer) => {
      this.tty += d.toString("latin1");
    });
  }
  get events(): Ev[] {
    return parseLines(this.control.lines.join("\n"));
  }
  /** Waits for an event matching pred among those after the first `from` lines. */
  async event(pred: (e: Ev) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<Ev> {
    const line = await this.control.wait((l) => pred(JSON.parse(l) as Ev), what, timeoutMs, from);
    return JSON.parse(line) as Ev;
  }
  send(command: string): void {
    (this.child.stdio[3] as Writable).write(`${command}\n`);
  }
  typeInShell(text: string): void {
    this.ttyIn.write(text);
  }
  async waitTty(pred: (s: string) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.tty)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} on the shell's terminal; got:\n${this.tty.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }
}

/** test/c/target.c, started as `launcher`. */
function startTarget(launcher: Launcher) {
  const [cmd, ...rest] = asLauncher(launcher, [target]);
  const child = spawn(cmd!, rest, { stdio: ["pipe", "pipe", "inherit"], cwd: stage.dir });
  started.push(child);
  const out = new Lines(child.stdout!);
  return { child, out, send: (line: string) => child.stdin!.write(`${line}\n`) };
}

/** Detach the tracer (it must exit 0), then end the target and see it say goodbye: it ran on untraced. */
async function detachAndFinish(s: Session, t: ReturnType<typeof startTarget>): Promise<void> {
  s.send("detach");
  await s.event((e) => e.event === "detached", "detached");
  assert.equal(await s.exited(), 0);
  t.child.stdin!.end();
  await t.out.wait((l) => l.startsWith("bye"), "bye");
}

function tracerPid(pid: number): number {
  const m = /TracerPid:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]);
}

/** The last snapshot of pid in events. */
function snapshotOf(events: Ev[], pid: number): Snap {
  const snap = [...events].reverse().find((e) => e.pid === pid && e.snapshot)?.snapshot;
  assert.ok(snap, `a snapshot of ${pid}`);
  return snap;
}

/** The fields of a /proc/PID/status text that a fork must share with its parent. */
function privilegeFields(status: string): Record<string, string> {
  const keep = ["Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"];
  const out: Record<string, string> = {};
  for (const line of status.split("\n")) {
    const m = /^(\w+):\s*(.*?)\s*$/.exec(line);
    if (m && keep.includes(m[1]!)) out[m[1]!] = m[2]!.replace(/\s+/g, " ");
    if (m && m[1] === "NSpid") out.NSpidDepth = String(m[2]!.split(/\s+/).length);
  }
  return out;
}

/** The output between the markers @@N and @@N+1 of the shell session (see runShellSession). */
function section(tty: string, n: number): string[] {
  const text = tty.replace(/\r/g, "");
  const start = text.indexOf(`\n@@${n}\n`);
  const end = text.indexOf(`\n@@${n + 1}\n`);
  assert.ok(start >= 0 && end > start, `markers @@${n}/@@${n + 1} in the shell output:\n${text}`);
  return text
    .slice(start + `\n@@${n}\n`.length, end)
    .split("\n")
    .filter((l) => l !== "");
}

/**
 * Opens the shell in `pid`, runs `id; hostname; cat /proc/self/status; ls /`
 * between markers, exits it, and compares everything with what the target
 * says about itself. Leaves the tracer running.
 */
/** The pid a test program prints as "ready PID" on its stdout. */
async function readyPid(child: ChildProcess): Promise<number> {
  return Number((await new Lines(child.stdout!).wait((l) => l.startsWith("ready"), "ready")).split(" ")[1]);
}

/** Attaches to `pid` (-p, no rescans) and asks for a shell in it: the session, the tracer's answer (a shell or an error) and the control mark before it. */
async function askShell(launcher: Launcher, pid: number): Promise<{ s: Session; answer: Ev; mark: number }> {
  const s = new Session(launcher, ["-p", String(pid), "--rescan-ms", "0"]);
  await s.event((e) => e.event === "attach" && e.pid === pid, "attached");
  const mark = s.control.lines.length;
  s.send(`shell ${pid} 24 80`);
  const answer = await s.event((e) => (e.event === "shell" && e.pid === pid) || e.event === "error", "shell or error", 30_000, mark);
  return { s, answer, mark };
}

/** Types `line` (ending in exit) into the shell askShell opened, once its prompt shows, and waits for the shell to end. */
async function typeAndExit(s: Session, pid: number, mark: number, line: string): Promise<void> {
  await s.waitTty((tty) => tty.includes(`[forktop ${pid}]`), "the prompt");
  s.typeInShell(line);
  await s.event((e) => e.event === "shell-exit", "shell-exit", 30_000, mark);
}

/** Detaches from everything: the tracer says so and exits 0. */
async function detachAll(s: Session): Promise<void> {
  s.send("detach");
  await s.event((e) => e.event === "detached", "detached");
  assert.equal(await s.exited(), 0);
}

async function runShellSession(s: Session, pid: number, t: { send: (l: string) => void; out: Lines }, pidnsInit = false): Promise<void> {
  s.tty = "";
  const mark = s.control.lines.length;
  s.send(`shell ${pid} 24 80`);
  const opened = await s.event((e) => (e.event === "shell" && e.pid === pid) || e.event === "error", "shell or error", 30_000, mark);
  assert.equal(opened.event, "shell", `shell failed: ${opened.message}`);
  const shellPid = opened.shell!;
  await s.waitTty((tty) => tty.includes(`[forktop ${pid}]`), "the prompt");
  // Commands are handled in order: once the bogus shell's error is back, the resize is done.
  s.send("resize 33 111");
  s.send("shell 999999999 1 1");
  await s.event((e) => e.event === "error" && e.pid === 999999999, "the error after resize", 30_000, mark);
  // $((n+1)) keeps the markers out of the echoed command line.
  s.typeInShell("echo @@$((0+1)); id; echo @@$((1+1)); hostname; echo @@$((2+1)); cat /proc/self/status; echo @@$((3+1)); ls -1a /; echo @@$((4+1)); stty size; echo @@$((5+1)); exit\n");
  const closed = await s.event((e) => e.event === "shell-exit", "shell-exit", 30_000, mark);
  assert.equal(closed.shell, shellPid);
  assert.equal(closed.code, 0);
  // The tracer writes the shell's last output to its terminal before it reports the exit, but script(1) relays
  // that terminal to us on its own time: the event can come first.
  await s.waitTty((tty) => tty.includes("@@6"), "the shell's last marker");

  // The shell is a fork of the target: created by it, then busybox from a memfd.
  const events = s.events;
  const created = events.find((e) => CREATE.has(e.event) && e.pid === shellPid);
  assert.equal(created?.event, "fork");
  assert.equal(created?.ppid, pid);
  const exec = events.find((e) => e.event === "exec" && e.pid === shellPid);
  assert.deepEqual(exec?.snapshot?.cmdline, ["sh", "-i"]);
  assert.match(exec?.snapshot?.exe ?? "", /^\/memfd:busybox/);
  const targetSnap = snapshotOf(events, pid);
  const shellSnap = exec!.snapshot!;
  // CLONE_PARENT makes the shell the target's sibling; a PID namespace's init gets a plain fork.
  assert.equal(shellSnap.ppid, pidnsInit ? pid : targetSnap.ppid);
  for (const key of ["uid", "gid", "ns", "caps", "seccomp", "seccomp_filters", "root", "cgroup"] as const) {
    assert.deepEqual(shellSnap[key], targetSnap[key], `the shell's ${key} is the target's`);
  }
  // Set by the child before its exec, whatever the target's: the exec adds no privilege.
  assert.equal(shellSnap.no_new_privs, true, "the shell has no_new_privs");
  assert.equal(events.find((e) => e.event === "exit" && e.pid === shellPid)?.code, 0);

  // What the shell printed against what the target says about itself.
  const outMark = t.out.lines.length;
  t.send("info");
  const info = await t.out.wait((l) => l.startsWith("info "), "target info", 30_000, outMark);
  const [, uid, gid, host] = /uid=(\d+) gid=(\d+) host=(\S+)/.exec(info) ?? [];
  const id = section(s.tty, 1).join(" ");
  assert.match(id, new RegExp(`^uid=${uid}\\b.* gid=${gid}\\b`));
  assert.deepEqual(section(s.tty, 2), [host]);
  t.send("status");
  await t.out.wait((l) => l.startsWith("end status"), "target status", 30_000, outMark);
  const targetStatus = t.out.lines
    .slice(outMark)
    .filter((l) => l.startsWith("status: "))
    .map((l) => l.slice(8));
  // The same privileges, but for no_new_privs, which the shell always has (its exec adds nothing).
  assert.deepEqual(privilegeFields(section(s.tty, 3).join("\n")), { ...privilegeFields(targetStatus.join("\n")), NoNewPrivs: "1" });
  t.send("ls");
  await t.out.wait((l) => l.startsWith("end ls"), "target ls", 30_000, outMark);
  const targetLs = t.out.lines
    .slice(outMark)
    .filter((l) => l.startsWith("ls: "))
    .map((l) => l.slice(4));
  const shellLs = section(s.tty, 4).filter((n) => n !== "." && n !== "..");
  assert.deepEqual(shellLs.sort(), targetLs.sort());
  assert.deepEqual(section(s.tty, 5), ["33 111"], "the pty has the size of the last resize");

  // The target runs on as before: its blocking read was restarted, not broken.
  t.send("after");
  await t.out.wait((l) => l.startsWith("pong after "), "the target's answer after the shell", 30_000, outMark);
  assert.ok(!t.out.lines.some((l) => l.includes("failed")), t.out.lines.join("\n"));
}

describe("forktop-tracer", () => {
  for (const launcher of launchers) {
    describe(`as ${launcher}`, () => {
      it("follows a 485-process fork bomb: every process exactly once, with its creator, exit code, threads and execs", () => {
        const manifest = join(shared, `manifest-${launcher}`);
        const r = runTracer(launcher, ["--", forkbomb, manifest]);
        assert.equal(r.status, 0, r.stderr);
        const events = r.events;
        assert.equal(events[0]?.event, "hello");
        assert.equal(events[0]?.version, PROTOCOL_VERSION, "the tracer speaks the UI's protocol version");
        assert.equal(events[0]?.mode, "ptrace");
        assert.deepEqual(
          events.filter((e) => e.event === "error"),
          [],
        );

        const procs = new Map<number, { ppid: number; code: number; kind: string }>();
        const threads = new Map<number, number>();
        const execs = new Set<number>();
        for (const line of readFileSync(manifest, "utf8").trim().split("\n")) {
          const f = line.split(" ");
          if (f[0] === "proc") procs.set(Number(f[1]), { ppid: Number(f[2]), code: Number(f[3]), kind: f[4]! });
          else if (f[0] === "thread") threads.set(Number(f[1]), Number(f[2]));
          else if (f[0] === "exec") execs.add(Number(f[1]));
        }
        assert.equal(procs.size, 485);

        const created = new Map<number, Ev>();
        const exits = new Map<number, Ev[]>();
        events.forEach((e, i) => {
          if (CREATE.has(e.event) || e.event === "thread") {
            assert.ok(!created.has(e.pid!), `pid ${e.pid} created twice`);
            created.set(e.pid!, e);
            const parent = e.event === "thread" ? e.tgid! : e.ppid!;
            if (procs.has(parent)) {
              const pi = events.findIndex((x) => CREATE.has(x.event) && x.pid === parent);
              assert.ok(pi >= 0 && pi < i, `pid ${e.pid}'s creation line comes after its creator ${parent}'s`);
            }
          }
          if (e.event === "exit") exits.set(e.pid!, [...(exits.get(e.pid!) ?? []), e]);
        });

        // The tracer saw exactly the processes the fork bomb made.
        const tracedProcs = [...created.values()].filter((e) => e.event !== "thread").map((e) => e.pid!);
        assert.deepEqual(tracedProcs.sort(), [...procs.keys()].sort());
        let clones = 0;
        for (const [pid, truth] of procs) {
          const c = created.get(pid)!;
          if (truth.kind === "root") {
            assert.equal(c.event, "spawn");
          } else {
            assert.equal(c.ppid, truth.ppid, `pid ${pid}'s creator`);
            assert.equal(c.event, truth.kind, `pid ${pid} made by ${truth.kind}`);
          }
          const ex = exits.get(pid) ?? [];
          assert.equal(ex.length, 1, `pid ${pid} exits once`);
          assert.equal(ex[0]!.code, truth.kind === "vfork" ? 0 : truth.code, `pid ${pid}'s exit code`);
          if (truth.kind === "clone") {
            // A new user and PID namespace, and pid 1 inside it.
            clones++;
            const parent = created.get(truth.ppid)!.snapshot!;
            const snap = c.snapshot!;
            assert.notEqual(snap.ns?.user, parent.ns?.user);
            assert.notEqual(snap.ns?.pid, parent.ns?.pid);
            assert.equal(snap.ns?.net, parent.ns?.net);
            assert.equal(snap.nspid?.[0], pid);
          }
        }
        assert.ok(clones >= 2, "clone(CLONE_NEWUSER|CLONE_NEWPID) children were made");
        // Namespaced processes are seen from inside too: a clone child's first fork is pid 2 there.
        const nested = [...created.values()].filter((e) => (e.snapshot?.nspid?.length ?? 0) > 1);
        assert.ok(nested.some((e) => e.snapshot!.nspid!.at(-1) === 1));

        for (const [tid, tgid] of threads) {
          assert.equal(created.get(tid)?.event, "thread");
          assert.equal(created.get(tid)?.tgid, tgid);
          const ex = exits.get(tid) ?? [];
          assert.equal(ex.length, 1);
          assert.equal(ex[0]!.thread, true);
        }
        for (const pid of execs) {
          const e = events.filter((x) => x.event === "exec" && x.pid === pid);
          assert.equal(e.length, 1, `pid ${pid} exec'd once`);
          assert.deepEqual(e[0]!.snapshot!.cmdline, ["true"]);
        }
      });

      it("detaching in the middle of the fork bomb lets every process run to completion", async () => {
        const manifest = join(shared, `detach-manifest-${launcher}`);
        const s = new Session(launcher, ["--", forkbomb, manifest]);
        await s.control.wait((l) => l.includes('"event":"exit"'), "the first exits");
        s.send("detach");
        await s.event((e) => e.event === "detached", "detached");
        assert.equal(await s.exited(), 0);
        assert.deepEqual(
          s.events.filter((e) => e.event === "error"),
          [],
        );
        const complete = () =>
          readFileSync(manifest, "utf8")
            .split("\n")
            .filter((l) => l.startsWith("proc ")).length === 485;
        assert.ok(await waitFor(complete, 30_000), "all 485 processes ran");
        const pids = readFileSync(manifest, "utf8")
          .split("\n")
          .filter((l) => l.startsWith("proc "))
          .map((l) => Number(l.split(" ")[1]));
        assert.ok(await waitFor(() => pids.every((p) => !pidAlive(p)), 30_000), "and exited: none was left stopped");
      });

      it("finds a child made out of the kernel's reports (CLONE_UNTRACED) at its next rescan: attached, named in an error, its own children followed", () => {
        const r = runTracer(launcher, ["--rescan-ms", "200", "--", untraced]);
        assert.equal(r.status, 0, r.stderr);
        const spawned = r.events.find((e) => e.event === "spawn")!;
        const attach = r.events.find((e) => e.event === "attach");
        assert.ok(attach !== undefined, `no attach line: ${r.events.map((e) => e.event).join(" ")}`);
        assert.equal(attach.ppid, spawned.pid);
        assert.ok(
          r.events.some((e) => e.event === "error" && e.pid === attach.pid && /CLONE_UNTRACED/.test(e.message ?? "")),
          "reported as made out of sight",
        );
        // Traced from then on: its fork and the grandchild's exec of true are reported.
        const fork = r.events.find((e) => e.event === "fork" && e.ppid === attach.pid);
        assert.ok(fork !== undefined, "the grandchild's fork");
        assert.ok(r.events.some((e) => e.event === "exec" && e.pid === fork.pid && e.snapshot?.cmdline?.[0] === "true"));
        for (const pid of [spawned.pid, attach.pid, fork.pid]) assert.equal(r.events.filter((e) => e.event === "exit" && e.pid === pid && !e.thread).length, 1, `one exit for ${pid}`);
      });

      it("lists a directory fd past the 64th (a way out of a chroot wherever it is), the other fds only counted", () => {
        const script = 'for i in $(seq 10 90); do eval "exec $i</dev/null"; done; exec 200</etc; exec /bin/sleep 0.2';
        const r = runTracer(launcher, ["--", "/bin/bash", "-c", script]);
        assert.equal(r.status, 0, r.stderr);
        const exec = r.events.find((e) => e.event === "exec" && e.snapshot?.cmdline?.[0] === "/bin/sleep");
        assert.ok(exec?.snapshot?.fds, "the exec's snapshot lists fds");
        const snap = exec.snapshot as Snap & { fds_total?: number };
        assert.ok((snap.fds_total ?? 0) > 84, `fds_total ${snap.fds_total}`);
        assert.ok(
          snap.fds!.some((f) => f.fd === 200 && f.type === "dir" && f.target === "/etc"),
          JSON.stringify(snap.fds!.slice(-3)),
        );
        assert.ok(!snap.fds!.some((f) => f.fd > 200 || (f.fd > 73 && f.fd < 200)), "past the 64th, directories only");
      });

      it("carries the first 16 KiB of a command line and counts the rest: a huge argv cannot make every snapshot huge", () => {
        const r = runTracer(launcher, ["--", "/bin/bash", "-c", 'exec /bin/sleep 0.2 "$(printf "%040000d" 0)"']);
        assert.equal(r.status, 0, r.stderr);
        const exec = r.events.find((e) => e.event === "exec" && e.snapshot?.cmdline?.[0] === "/bin/sleep");
        const snap = exec?.snapshot as (Snap & { cmdline_truncated?: number }) | undefined;
        assert.ok(snap?.cmdline, "the exec's snapshot");
        const shown = snap.cmdline!.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
        assert.ok(shown <= 16384 + 1, `${shown} bytes shown`);
        // /proc/PID/cmdline: each argument and its NUL; the last one shown is cut before its NUL.
        assert.equal(shown - 1 + (snap.cmdline_truncated ?? 0), "/bin/sleep 0.2 ".length + 40000 + 1, "shown + left out = the whole command line");
      });

      it("names the threads whose privileges are not the main thread's (a thread that set no_new_privs for itself alone)", () => {
        const r = runTracer(launcher, ["--rescan-ms", "100", "--", threadPrivs]);
        assert.equal(r.status, 0, r.stderr);
        const tid = Number(/thread (\d+)/.exec(r.stderr)?.[1]);
        const spawned = r.events.find((e) => e.event === "spawn")!;
        const seen = r.events.filter((e) => e.pid === spawned.pid && (e.snapshot as (Snap & { threads_differ?: number[] }) | undefined)?.threads_differ?.includes(tid));
        assert.ok(seen.length > 0, `no snapshot names thread ${tid}: ${r.events.map((e) => e.event).join(" ")}`);
        // The main thread itself is shown as it is: no no_new_privs.
        assert.equal(seen[0]!.snapshot!.no_new_privs, false);
      });

      it("reports an exec by a non-leader thread with former_pid, and one exit for the process", () => {
        const r = runTracer(launcher, ["--", threadExec]);
        assert.equal(r.status, 0, r.stderr);
        const events = r.events.filter((e) => e.event !== "hello");
        const spawned = events.find((e) => e.event === "spawn")!;
        const thread = events.find((e) => e.event === "thread")!;
        assert.equal(thread.tgid, spawned.pid);
        const exec = events.filter((e) => e.event === "exec").at(-1)!;
        assert.equal(exec.pid, spawned.pid);
        assert.equal(exec.former_pid, thread.pid);
        assert.deepEqual(exec.snapshot?.cmdline, ["true"]);
        const exits = events.filter((e) => e.event === "exit");
        assert.deepEqual(
          exits.map((e) => [e.pid, e.thread ?? false]),
          [
            [thread.pid, true],
            [spawned.pid, false],
          ],
        );
        assert.equal(exits.at(-1)!.code, 0);
      });

      it("-p attaches to a running process, its thread and child; detach leaves its output identical to an untraced run", async () => {
        const lines = ["a", "b", "c"];
        const plain = startTarget(launcher);
        await plain.out.wait((l) => l.startsWith("ready"), "ready");
        for (const l of lines) {
          plain.send(l);
          await plain.out.wait((x) => x.startsWith(`pong ${l} `), `pong ${l}`);
          if (l === "b") {
            plain.send("open");
            await plain.out.wait((x) => x.startsWith("opened "), "opened");
          }
        }
        plain.child.stdin!.end();
        await plain.out.wait((l) => l.startsWith("bye"), "bye");

        const t = startTarget(launcher);
        await t.out.wait((l) => l.startsWith("ready"), "ready");
        t.send("a");
        await t.out.wait((l) => l.startsWith("pong a "), "pong a");
        const s = new Session(launcher, ["--rescan-ms", "0", "-p", String(t.child.pid)]);
        const hello = await s.event((e) => e.event === "hello", "hello");
        assert.equal(hello.mode, "ptrace");
        const attached = await s.event((e) => e.event === "attach" && e.ppid === t.child.pid, "the child's attach line");
        await s.event((e) => e.event === "thread" && e.tgid === t.child.pid, "the thread line");
        const first = s.events.filter((e) => e.event === "attach");
        assert.equal(first[0]!.pid, t.child.pid, "parents first");
        assert.deepEqual(first[0]!.snapshot?.cmdline, [target]);
        assert.equal(tracerPid(t.child.pid!), hello.tracer);
        t.send("b");
        await t.out.wait((l) => l.startsWith("pong b "), "pong b while traced");
        // A new fd, and `rescan`: a `change` with it.
        t.send("open");
        await t.out.wait((l) => l.startsWith("opened "), "opened");
        s.send("rescan");
        const change = await s.event((e) => e.event === "change" && e.pid === t.child.pid, "change");
        assert.ok(change.snapshot?.fds?.some((f) => f.fd >= 3 && f.target === "/dev/null" && f.type === "dev"));
        s.send("detach");
        await s.event((e) => e.event === "detached", "detached");
        assert.equal(await s.exited(), 0);
        for (const pid of [t.child.pid!, attached.pid!]) assert.equal(tracerPid(pid), 0, `${pid} is no longer traced`);
        t.send("c");
        t.child.stdin!.end();
        await t.out.wait((l) => l.startsWith("bye"), "bye");
        assert.deepEqual(t.out.lines, plain.out.lines);
      });

      it("--once lists the tree, parents first, without tracing it", async () => {
        const t = startTarget(launcher);
        await t.out.wait((l) => l.startsWith("ready"), "ready");
        const r = runTracer(launcher, ["--once", "-p", String(t.child.pid)]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.events[0]?.event, "hello");
        const rest = r.events.slice(1);
        assert.deepEqual(
          rest.map((e) => e.event),
          ["attach", "attach"],
        );
        assert.equal(rest[0]!.pid, t.child.pid);
        assert.equal(rest[1]!.ppid, t.child.pid);
        const stdin = readlinkSync(`/proc/${t.child.pid}/fd/0`);
        assert.deepEqual(rest[0]!.snapshot?.fds?.[0], { fd: 0, type: stdin.split(":")[0], target: stdin });
        assert.equal(tracerPid(t.child.pid!), 0);
        t.child.stdin!.end();
        await t.out.wait((l) => l.startsWith("bye"), "bye");
      });

      it("--poll says so and still reports CMD's spawn and exit code", () => {
        const r = runTracer(launcher, ["--poll", "--rescan-ms", "20", "--", "/bin/sh", "-c", "exit 7"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.events[0]?.mode, "poll");
        assert.equal(r.events[0]?.reason, "--poll");
        const spawned = r.events.find((e) => e.event === "spawn")!;
        assert.equal(r.events.find((e) => e.event === "exit" && e.pid === spawned.pid)?.code, 7);
      });

      it("opens a shell inside a process blocked in read(); the process runs on untouched", async () => {
        const t = startTarget(launcher);
        await t.out.wait((l) => l.startsWith("ready"), "ready");
        const s = new Session(launcher, ["-p", String(t.child.pid), "--rescan-ms", "0"]);
        await s.event((e) => e.event === "thread", "attached");
        await runShellSession(s, t.child.pid!, t);
        await detachAndFinish(s, t);
        const code = await new Promise((r) => (t.child.exitCode !== null ? r(t.child.exitCode) : t.child.on("exit", r)));
        assert.equal(code, 0);
      });

      it("a target whose stack another of its processes shares cannot steer the shell's setup: the shell opens, the tracer never waits on a socket it names", async () => {
        // test/c/shared-stack.c: a helper rewrites every socketpair-like pair of fds below the target's stack pointer
        // into a full socket nobody reads (the tracer once put the injected child's scratch memory there).
        const [cmd, ...rest] = asLauncher(launcher, [sharedStack]);
        const child = spawn(cmd!, rest, { stdio: ["ignore", "pipe", "inherit"], cwd: stage.dir });
        started.push(child);
        const pid = await readyPid(child);
        const { s, answer, mark } = await askShell(launcher, pid);
        assert.equal(answer.event, "shell", `shell failed: ${answer.message}`);
        await typeAndExit(s, pid, mark, "echo @@$((0+1)); exit\n");
        assert.match(s.tty, /@@1/);
        await detachAll(s);
        child.kill("SIGKILL");
      });

      it("refuses a shell in a process that runs code from a shared mapping another process could rewrite, and leaves it running", async () => {
        const [cmd, ...rest] = asLauncher(launcher, [sharedCode]);
        const child = spawn(cmd!, rest, { stdio: ["ignore", "pipe", "inherit"], cwd: stage.dir, detached: true });
        started.push(child);
        try {
          const pid = await readyPid(child);
          const { s, answer } = await askShell(launcher, pid);
          await detachAll(s);
          assert.equal(answer.event, "error", "no shell");
          assert.match(answer.message ?? "", /shared mapping/);
          assert.ok(pidAlive(pid), "the target runs on");
        } finally {
          // The target and the process that shares its code page (a group of their own).
          process.kill(-child.pid!, "SIGKILL");
        }
      });

      it("the shell gains nothing at its exec: in a uid-0 process that dropped its capabilities, it has none either", { skip: launcher !== "root" && "a uid-0 target" }, async () => {
        const child = spawn(capdrop, [], { stdio: ["ignore", "pipe", "inherit"], cwd: stage.dir });
        started.push(child);
        try {
          const pid = await readyPid(child);
          const { s, answer, mark } = await askShell(launcher, pid);
          assert.equal(answer.event, "shell", `shell failed: ${answer.message}`);
          // Without no_new_privs, uid 0's exec of busybox would have had the whole bounding set back.
          await typeAndExit(s, pid, mark, 'while IFS= read -r l; do case $l in CapEff*|CapPrm*) echo "@@$l";; esac; done < /proc/self/status; exit\n');
          assert.match(s.tty, /@@CapPrm:\s+0000000000000000/);
          assert.match(s.tty, /@@CapEff:\s+0000000000000000/);
          await detachAll(s);
        } finally {
          child.kill("SIGKILL");
        }
      });

      it("relays a shell through a real terminal (script(1) gives the tracer a pty)", async () => {
        const t = startTarget(launcher);
        await t.out.wait((l) => l.startsWith("ready"), "ready");
        const s = new Session(launcher, ["-p", String(t.child.pid), "--rescan-ms", "0"], "ignore", "pty");
        await s.event((e) => e.event === "thread", "attached");
        await runShellSession(s, t.child.pid!, t);
        await detachAndFinish(s, t);
      });

      it("opens a shell inside a real void (same namespaces, seccomp, no_new_privs, root)", { skip: noVoid }, async () => {
        const spec = writeSpec(stage, `forktop-${launcher}`, {
          entrypoints: {
            main: { args: ["BinaryName"], environment: ["Stdin", "Stdout", "Stderr", "Procfs", { Hostname: "forktop-void" }] },
          },
        });
        const s = new Session(launcher, ["--rescan-ms", "0", "--", process.execPath, app!.voidBin, "run", "-s", spec, target], "pipe");
        const exec = await s.event((e) => e.event === "exec" && e.snapshot?.cmdline?.[0] === target, "the target's exec");
        await s.stdout.wait((l) => l.startsWith("ready"), "ready");
        const pid = exec.pid!;
        const snap = [...s.events].reverse().find((e) => e.pid === pid && e.snapshot)!.snapshot!;
        // void-init, made by the launcher with CLONE_VFORK and the CLONE_NEW* flags, is a `clone`; its time and cgroup
        // namespaces come after the clone (the cgroup one once it is in its own cgroup), so the target shows those.
        const init = s.events.find((e) => CREATE.has(e.event) && e.pid === snap.ppid)!;
        assert.equal(init.event, "clone");
        const launcherSnap = s.events.find((e) => CREATE.has(e.event) && e.pid === init.ppid)!.snapshot!;
        for (const ns of NAMESPACES.filter((n) => n !== "time" && n !== "cgroup")) assert.notEqual(init.snapshot?.ns?.[ns], launcherSnap.ns?.[ns], ns);
        assert.notEqual(snap.ns?.["cgroup"], launcherSnap.ns?.["cgroup"], "cgroup");
        assert.equal(snap.seccomp, 2);
        assert.equal(snap.no_new_privs, true);
        assert.deepEqual(snap.nspid?.slice(1), [2], "PID 2 of the void");
        const t = { send: (l: string) => s.child.stdin!.write(`${l}\n`), out: s.stdout };
        await runShellSession(s, pid, t);
        // void-init, PID 1 of the void: CLONE_PARENT is refused there, a plain fork is used.
        await runShellSession(s, snap.ppid!, t, true);
        // The target's view of "/" is the void's root, not the host's.
        assert.ok(!readdirSync("/").every((n) => s.stdout.lines.includes(`ls: ${n}`)));
        s.child.stdin!.end();
        await s.stdout.wait((l) => l.startsWith("bye"), "bye");
        assert.equal(await s.exited(), 0, "the tracer exits once every traced process has");
        const exits = s.events.filter((e) => e.event === "exit" && e.pid === pid);
        assert.equal(exits.length, 1);
        assert.equal(exits[0]!.code, 0);
      });

      it("a shell the void's seccomp filter forbids fails cleanly: error naming the step, the target runs on", { skip: noVoid }, async () => {
        const spec = writeSpec(stage, `forktop-deny-${launcher}`, {
          entrypoints: {
            main: { args: ["BinaryName"], environment: ["Stdin", "Stdout", "Stderr", { Seccomp: { allow: [], deny: ["setsid"] } }] },
          },
        });
        const s = new Session(launcher, ["--rescan-ms", "0", "--", process.execPath, app!.voidBin, "run", "-s", spec, target], "pipe");
        const exec = await s.event((e) => e.event === "exec" && e.snapshot?.cmdline?.[0] === target, "the target's exec");
        await s.stdout.wait((l) => l.startsWith("ready"), "ready");
        const pid = exec.pid!;
        s.send(`shell ${pid} 24 80`);
        const err = await s.event((e) => e.event === "error" || e.event === "shell", "the shell's outcome");
        assert.equal(err.event, "error");
        assert.equal(err.message, `shell ${pid}: setsid in the child failed: EPERM`);
        // The half-made child was a fork of the target; it is gone, reported like any process.
        // (The last fork of the target: its first is its own pause() child.)
        const child = s.events.filter((e) => e.event === "fork" && e.ppid === pid).at(-1);
        assert.ok(child, "the injected fork was reported");
        assert.equal(child.snapshot?.ppid, snapshotOf(s.events, pid).ppid, "a sibling of the target (CLONE_PARENT)");
        await s.event((e) => e.event === "exit" && e.pid === child.pid, "its exit");
        assert.equal(s.events.find((e) => e.event === "exit" && e.pid === child.pid)?.signal, "SIGKILL");
        s.child.stdin!.write("after\n");
        await s.stdout.wait((l) => l.startsWith("pong after "), "the target answers");
        s.child.stdin!.end();
        await s.stdout.wait((l) => l.startsWith("bye"), "bye");
        assert.equal(await s.exited(), 0);
        assert.ok(!s.stdout.lines.some((l) => l.includes("failed")), s.stdout.lines.join("\n"));
      });
    });
  }

  it("falls back to poll mode, saying why, when ptrace is refused", { skip: !isRoot && "needs a process of another uid" }, async () => {
    const t = startTarget("root");
    await t.out.wait((l) => l.startsWith("ready"), "ready");
    const s = new Session("unprivileged", ["-p", String(t.child.pid)]);
    const hello = await s.event((e) => e.event === "hello", "hello");
    assert.equal(hello.mode, "poll");
    assert.match(hello.reason ?? "", /PTRACE_SEIZE.*EPERM/);
    await s.event((e) => e.event === "attach" && e.pid === t.child.pid, "attach");
    await detachAndFinish(s, t);
  });

  it("answers bad commands with errors; EOF on the control socket detaches and leaves CMD running", async () => {
    const s = new Session("root", ["--", target], "pipe", "none");
    const spawned = await s.event((e) => e.event === "spawn", "spawn");
    await s.stdout.wait((l) => l.startsWith("ready"), "ready");
    const pid = spawned.pid!;
    s.send(`shell ${pid} 24 80`);
    assert.match((await s.event((e) => e.event === "error", "error")).message ?? "", /--tty-fd/);
    s.send("frobnicate");
    await s.event((e) => e.event === "error" && /unknown command: frobnicate/.test(e.message ?? ""), "unknown command");
    s.send("shell 1 24 80");
    await s.event((e) => e.event === "error" && /shell 1: not a traced process/.test(e.message ?? ""), "not traced");
    (s.child.stdio[3] as Writable).end();
    (s.child.stdio[3] as Readable).destroy();
    assert.equal(await s.exited(), 0);
    // Node closes a child's stdin when the child (the tracer) exits: CMD,
    // untraced now, reads that EOF and says goodbye normally — possibly
    // before its /proc entry can be read here; then "bye" below shows it.
    let traced: number | undefined;
    try {
      traced = tracerPid(pid);
    } catch (e) {
      // Gone before the open (ENOENT) or between the open and the read (ESRCH).
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ESRCH") throw e;
    }
    if (traced !== undefined) assert.equal(traced, 0);
    await s.stdout.wait((l) => l.startsWith("bye"), "bye from CMD after the tracer left");
    assert.deepEqual(s.stdout.lines, ["ready 0", "bye 0"]);
  });

  it("writes any bytes of a command line as valid JSON", () => {
    const r = runTracer("root", ["--", "/bin/bash", "-c", 'exec -a "$(printf "\\377\\376\\001\\"x\\303\\251")" /bin/true']);
    assert.equal(r.status, 0, r.stderr);
    const exec = r.events.filter((e) => e.event === "exec").at(-1)!;
    assert.deepEqual(exec.snapshot?.cmdline, ['\u00ff\u00fe\u0001"x\u00e9']);
  });

  it("rejects bad arguments (2), a missing process and a CMD that cannot be executed (1, with an error line)", () => {
    const bad = spawnSync(tracer, ["-p", "nope"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    const gone = spawnSync(tracer, ["-p", "999999999"], { encoding: "utf8" });
    assert.equal(gone.status, 1);
    assert.match(parseLines(gone.stdout).find((e) => e.event === "error")?.message ?? "", /no such process/);
    const noexec = spawnSync(tracer, ["--", "/nonexistent/cmd"], { encoding: "utf8" });
    assert.equal(noexec.status, 1);
    const events = parseLines(noexec.stdout);
    assert.equal(events.find((e) => e.event === "error")?.message, "execvp /nonexistent/cmd: ENOENT");
    assert.equal(events.find((e) => e.event === "exit")?.code, 127);
  });
});
