/**
 * The life of an application under `void run`: signals, dying with the
 * launcher (even on SIGKILL), -d (stopped after execve, a debugger
 * attached), -D, failures reported by name, and
 * nothing left behind.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { asLauncher, launchers, makeStage, pidAlive, pidsRunning, runVoid, type Stage, startVoid, waitFor, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

/** Collects a child's stderr and resolves the first match of `re`. */
function watchStderr(child: ReturnType<typeof startVoid>, re: RegExp): { text: () => string; match: Promise<RegExpMatchArray> } {
  let text = "";
  const match = new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      text += d.toString();
      const m = text.match(re);
      if (m) resolve(m);
    });
    child.on("exit", () => {
      const m = text.match(re);
      if (m) resolve(m);
      else reject(new Error(`exited before printing ${re}: ${text}`));
    });
  });
  return { text: () => text, match };
}

const hasGdb = spawnSync("gdb", ["--version"]).status === 0;

/** Runs gdb (argv) without blocking the event loop; its stdout and stderr together. */
async function runGdb(argv: string[]): Promise<string> {
  const gdb = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" }, timeout: 60_000 });
  let text = "";
  gdb.stdout.on("data", (d: Buffer) => {
    text += d.toString();
  });
  gdb.stderr.on("data", (d: Buffer) => {
    text += d.toString();
  });
  await once(gdb, "exit");
  return text;
}

/**
 * What /proc says of a stopped process: state, tracer, program, comm,
 * where it stands (the pc /proc/PID/syscall shows) and the first
 * instruction of what execve loaded (auxv: AT_BASE, the ELF interpreter's
 * load address, plus that file's e_entry; AT_ENTRY for a static program).
 */
function stoppedAfterExec(pid: number): { state: string; tracer: number; exe: string; comm: string; pc: bigint; entry: bigint; interpreter: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const state = stat.slice(stat.lastIndexOf(")") + 2).charAt(0);
  const tracer = Number(/^TracerPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  const fields = readFileSync(`/proc/${pid}/syscall`, "utf8").trim().split(" ");
  const pc = BigInt(fields[fields.length - 1]!);
  const auxv = readFileSync(`/proc/${pid}/auxv`);
  const aux = new Map<bigint, bigint>();
  for (let i = 0; i + 16 <= auxv.length; i += 16) aux.set(auxv.readBigUInt64LE(i), auxv.readBigUInt64LE(i + 8));
  const base = aux.get(7n) ?? 0n; // AT_BASE
  let interpreter = "(none: static)";
  let entry = aux.get(9n) ?? 0n; // AT_ENTRY
  if (base !== 0n) {
    const line = readFileSync(`/proc/${pid}/maps`, "utf8")
      .split("\n")
      .find((l) => BigInt(`0x${l.split("-")[0]}`) === base);
    interpreter = line?.split(/\s+/)[5] ?? "";
    entry = base + readFileSync(interpreter).readBigUInt64LE(24); // e_entry of an ELF64 header
  }
  return { state, tracer, exe: readlinkSync(`/proc/${pid}/exe`), comm, pc, entry, interpreter };
}

for (const launcher of launchers) {
  describe(`lifecycle (${launcher} launcher)`, () => {
    it("a void dies when void is SIGKILLed", async () => {
      const spec = writeSpec(stage, `kill-${launcher}`, { entrypoints: { "sleep-30000": { args: ["BinaryName", "Entrypoint"] } } });
      const child = startVoid(stage, launcher, ["run", "-v", "-s", spec, stage.actor]);
      const m = await watchStderr(child, /host pid (\d+);/).match;
      const voidPid = Number(m[1]);
      assert.ok(pidAlive(voidPid), "the void is running");
      child.kill("SIGKILL");
      await once(child, "exit");
      assert.ok(await waitFor(() => !pidAlive(voidPid), 5000), `void ${voidPid} still alive after its launcher was killed`);
    });

    it("SIGTERM to void reaches the entrypoint; everything is reaped; an orderly stop exits 0", async () => {
      const spec = writeSpec(stage, `term-${launcher}`, { entrypoints: { "sleep-30000": { args: ["BinaryName", "Entrypoint"] }, "sleep-30001": { args: ["BinaryName", "Entrypoint"] } } });
      const child = startVoid(stage, launcher, ["run", "-v", "-s", spec, stage.actor]);
      const err = watchStderr(child, /host pid (\d+);[\s\S]*host pid (\d+);/);
      const m = await err.match;
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      assert.equal(code, 0, err.text());
      assert.match(err.text(), /^void: received SIGTERM: sending SIGTERM to 2 void\(s\) and waiting for them to end$/m);
      assert.doesNotMatch(err.text(), /error/);
      assert.ok(!pidAlive(Number(m[1])) && !pidAlive(Number(m[2])));
    });

    it("a void that fails with its stderr not granted gets one line saying how to see it; with Stderr, none", () => {
      const spec = writeSpec(stage, `silent-${launcher}`, { entrypoints: { "exit-3": { args: ["BinaryName", "Entrypoint"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.actor]);
      assert.equal(r.status, 3);
      assert.match(r.stderr, /^void: entrypoint exit-3 exited with status 3 and its stderr is not granted, so what it said is lost: add "Stderr" to its environment, or run void run --stderr$/m);
      const granted = runVoid(stage, launcher, ["run", "--stderr", "-s", spec, stage.actor]);
      assert.equal(granted.status, 3);
      assert.doesNotMatch(granted.stderr, /not granted/);
    });

    it("-d stops the entrypoint at its first instruction after execve (its program, not void-init), says how to attach; SIGCONT runs it to the end", async () => {
      const spec = writeSpec(stage, `debug-${launcher}`, { entrypoints: { "print-resumed": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] } } });
      const child = startVoid(stage, launcher, ["run", "-d", "-s", spec, stage.actor]);
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      let pid = 0;
      try {
        const err = watchStderr(child, /stopped at its first instruction after execve \(([^)]+)\): host pid (\d+) \(pid 2 in the void; void-init is host pid (\d+)\)\. (.*)$/m);
        const m = await err.match;
        pid = Number(m[2]);
        assert.equal(m[1], stage.actor);
        const gdb = launcher === "root" ? `as root: gdb -p ${pid} ` : `as this user: gdb -iex 'set sysroot /' -p ${pid} `;
        assert.ok(m[4]!.startsWith(`Attach a debugger ${gdb}`) && m[4]!.endsWith(`resume it without one: kill -CONT ${pid}`), m[4]);
        // Stopped when the line is printed (void-init reports once the stop is reported to it), not about to be.
        const stopped = stoppedAfterExec(pid);
        assert.equal(stopped.state, "T");
        assert.equal(stopped.tracer, 0, "untraced: any debugger may attach");
        assert.equal(stopped.exe, stage.actor, "the program is loaded");
        assert.equal(stopped.comm, "actor");
        assert.equal(stopped.pc, stopped.entry, `at the first instruction: the ELF interpreter's entry (${stopped.interpreter})`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(out, "");
        assert.equal(stoppedAfterExec(pid).state, "T", "still stopped");
        process.kill(pid, "SIGCONT");
        const [code] = await once(child, "exit");
        assert.equal(code, 0, err.text());
        assert.equal(out, "resumed\n");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        if (pid > 0 && pidAlive(pid)) process.kill(pid, "SIGKILL");
      }
    });

    it("-d: a debugger attaches to the stopped entrypoint, as the launcher's line says, and sees its program", { skip: hasGdb ? false : "gdb is not installed" }, async () => {
      const spec = writeSpec(stage, `debug-gdb-${launcher}`, { entrypoints: { "print-resumed": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] } } });
      const child = startVoid(stage, launcher, ["run", "-d", "-s", spec, stage.actor]);
      const exited = once(child, "exit"); // it may end while gdb still runs
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      let pid = 0;
      try {
        const err = watchStderr(child, /after execve \([^)]+\): host pid (\d+)/);
        pid = Number((await err.match)[1]);
        // The launcher's own words: root attaches to a root launcher's voids; an unprivileged launcher's user to its own.
        const sysroot = launcher === "root" ? [] : ["-iex", "set sysroot /"];
        const gdb = asLauncher(launcher, [
          "gdb",
          "-nx",
          "-batch",
          ...sysroot,
          "-p",
          String(pid),
          "-ex",
          "handle SIGSTOP nostop noprint nopass",
          "-ex",
          "break main",
          "-ex",
          "continue",
          "-ex",
          "continue",
        ]);
        const r = await runGdb(gdb);
        assert.match(r, /Breakpoint 1, (0x[0-9a-f]+ in )?main /, r);
        const [code] = await exited;
        assert.equal(code, 0, err.text());
        assert.equal(out, "resumed\n");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        if (pid > 0 && pidAlive(pid)) process.kill(pid, "SIGKILL");
      }
    });
  });
}

describe("failures inside a void", () => {
  it("a failure inside the void before execve is reported by name", async () => {
    // Plan with a bind whose host directory then disappears: the child's
    // mount fails, and the message names the operation and the paths.
    const { planFor } = await import("../../src/cli/load.js");
    const { runApplication } = await import("../../src/orchestrator/run.js");
    const { parseSpecValue } = await import("../../src/spec/parse.js");
    const dir = join(stage.dir, "scratch", "gone");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const parsed = parseSpecValue({ entrypoints: { fib: { environment: [{ Filesystem: { host_path: dir, environment_path: "/data" } }] } } });
    assert.ok(parsed.ok);
    const plans = planFor(parsed.spec, { binary: stage.actor, trailing: [], grantStdout: false, grantStderr: false });
    rmSync(dir, { recursive: true });
    const lines: string[] = [];
    const status = await runApplication(plans, { debug: false, log: { verbosity: 0, error: (m) => lines.push(m), warn() {}, info() {}, verbose() {}, debug() {} } });
    assert.equal(status, 125);
    assert.deepEqual(lines, [`entrypoint fib: bind ${dir} -> /data: No such file or directory`]);
  });

  it("with -d, a failed execve is still reported by name, and nothing is said to be stopped", async () => {
    // A copy of the actor, planned, then made not executable: the bind
    // (same inode) succeeds, the entrypoint's execve fails with EACCES.
    const { planFor } = await import("../../src/cli/load.js");
    const { runApplication } = await import("../../src/orchestrator/run.js");
    const { parseSpecValue } = await import("../../src/spec/parse.js");
    const dir = join(stage.dir, "scratch", "noexec");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const binary = join(dir, "actor-copy");
    copyFileSync(stage.actor, binary);
    chmodSync(binary, 0o755);
    const parsed = parseSpecValue({ entrypoints: { fib: {} } });
    assert.ok(parsed.ok);
    const plans = planFor(parsed.spec, { binary, trailing: [], grantStdout: false, grantStderr: false });
    chmodSync(binary, 0o644);
    const lines: string[] = [];
    const status = await runApplication(plans, { debug: true, log: { verbosity: 0, error: (m) => lines.push(m), warn() {}, info: (m) => lines.push(m), verbose() {}, debug() {} } });
    assert.equal(status, 127);
    assert.deepEqual(lines, [`entrypoint fib: execve ${binary}: Permission denied`]);
  });
});

describe("void run refuses bad input before starting anything", () => {
  it("rejects a binary that is not ELF, not executable, or missing a library", () => {
    const spec = writeSpec(stage, "plain", { entrypoints: { main: {} } });
    const text = join(stage.dir, "not-elf");
    writeFileSync(text, "hello\n");
    chmodSync(text, 0o755);
    let r = runVoid(stage, launchers[0]!, ["run", "-s", spec, text]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not an ELF file/);
    chmodSync(text, 0o644);
    r = runVoid(stage, launchers[0]!, ["run", "-s", spec, text]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not executable/);
    r = runVoid(stage, launchers[0]!, ["run", "-s", spec, join(stage.dir, "missing")]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no such file/);
  });

  it("rejects an invalid spec with every error, exit status 2", () => {
    const spec = writeSpec(stage, "invalid", { entrypoints: { main: { args: ["BinaryNme", { File: "relative" }], environment: ["Stdot"] } } });
    const r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /entrypoints\.main\.args\[0\].*did you mean "BinaryName"/);
    assert.match(r.stderr, /entrypoints\.main\.args\[1\]/);
    assert.match(r.stderr, /entrypoints\.main\.environment\[0\].*did you mean "Stdout"/);
  });
});

describe("--stdout and --stderr", () => {
  it("grant the launcher's streams to every entrypoint", () => {
    const spec = writeSpec(stage, "streams", { entrypoints: { "print-one": { args: ["BinaryName", "Entrypoint"] }, "print-two": { args: ["BinaryName", "Entrypoint"] } } });
    let r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "", "without a grant, stdout is /dev/null");
    r = runVoid(stage, launchers[0]!, ["run", "--stdout", "-s", spec, stage.actor]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n").sort(), ["", "one", "two"]);
  });
});

describe("-D", () => {
  it("runs in the background and prints the launcher's pid", async () => {
    const out = join(stage.dir, "daemon-out");
    mkdirSync(out, { recursive: true });
    chmodSync(out, 0o777);
    const spec = writeSpec(stage, "daemon", { entrypoints: { "sleep-200.print-daemon": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] } } });
    const r = runVoid(stage, launchers[0]!, ["run", "-D", "-s", spec, stage.actor]);
    assert.equal(r.status, 0, r.stderr);
    const m = r.stdout.match(/running in the background as pid (\d+)/);
    assert.ok(m, r.stdout);
    assert.ok(await waitFor(() => !pidAlive(Number(m[1])), 5000), "the daemon finishes by itself");
  });
});

describe("nothing is left behind", () => {
  it("no void-init or test program is still running", async () => {
    assert.ok(await waitFor(() => pidsRunning(stage.dir).length === 0, 5000), `still running: ${pidsRunning(stage.dir).join(" ")}`);
    assert.ok(await waitFor(() => pidsRunning("void-init").length === 0, 5000), `void-init still running: ${pidsRunning("void-init").join(" ")}`);
  });
});
