/**
 * Test harness for integration tests: builds the C probe, stages a copy of
 * void that an unprivileged uid can run (the checkout itself may not be
 * readable by that uid), runs `void` as root or as that uid, and cleans
 * up after itself.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/test/integration/harness.js -> repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The uid/gid of the unprivileged launcher in tests ("nobody"). */
export const UNPRIV_UID = 65534;
export const UNPRIV_GID = 65534;

export type Launcher = "root" | "unprivileged";

export const isRoot = process.getuid?.() === 0;

/** Which launchers this run can test: both as root, only itself otherwise. */
export const launchers: Launcher[] = isRoot ? ["root", "unprivileged"] : ["unprivileged"];

export interface Stage {
  dir: string;
  /** bin/void inside the stage. */
  voidBin: string;
  probe: string;
  probeStatic: string;
  /** test/probe/actor.c: behaviour spelled by its last argument. */
  actor: string;
  /** test/c/plumber.c: plays every part of the plumbing tests. */
  plumber: string;
  /** test/probe/hostile.c: the attacks of a void that wants out. */
  hostile: string;
  cleanup(): void;
}

function gcc(args: string[]): void {
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc ${args.join(" ")} failed:\n${r.stderr}`);
}

/**
 * A world-readable copy of the built package plus the probe, in a fresh
 * temp dir. Everything the void needs is inside it; it is removed by
 * cleanup().
 */
export function makeStage(): Stage {
  const dir = mkdtempSync(join(tmpdir(), "void-test-"));
  chmodSync(dir, 0o755);
  // forktop too (packages/forktop, run by bin/forktop): the tutorial watches a void with it.
  const forktop = join("packages", "forktop");
  for (const part of ["package.json", "bin", "build", join("dist", "src"), ...["package.json", "bin", "build", join("dist", "src")].map((p) => join(forktop, p))]) {
    cpSync(join(repoRoot, part), join(dir, part), { recursive: true });
  }
  for (const dep of ["commander", "zod"]) {
    cpSync(join(repoRoot, "node_modules", dep), join(dir, "node_modules", dep), { recursive: true });
  }
  const probe = join(dir, "probe");
  const probeStatic = join(dir, "probe-static");
  gcc(["-o", probe, join(repoRoot, "test", "probe", "probe.c")]);
  gcc(["-static", "-o", probeStatic, join(repoRoot, "test", "probe", "probe.c")]);
  const actor = join(dir, "actor");
  gcc(["-o", actor, join(repoRoot, "test", "probe", "actor.c")]);
  const hostile = join(dir, "hostile");
  gcc(["-I", join(repoRoot, "lib", "c"), "-o", hostile, join(repoRoot, "test", "probe", "hostile.c"), join(repoRoot, "lib", "c", "void.c")]);
  const plumber = join(dir, "plumber");
  gcc(["-I", join(repoRoot, "lib", "c"), "-o", plumber, join(repoRoot, "test", "c", "plumber.c"), join(repoRoot, "lib", "c", "void.c")]);
  spawnSync("chmod", ["-R", "a+rX", dir]);
  return {
    dir,
    voidBin: join(dir, "bin", "void"),
    probe,
    probeStatic,
    actor,
    plumber,
    hostile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A scratch directory inside the stage (readable by the test uid). */
export function scratch(stage: Stage, name: string): string {
  const d = join(stage.dir, "scratch", name);
  mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(d, 0o755);
  return d;
}

export function writeSpec(stage: Stage, name: string, spec: unknown): string {
  const path = join(stage.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  chmodSync(path, 0o644);
  return path;
}

/**
 * The warm pass (VOID_TEST_FAST_PATH=1, scripts/test.sh): bin/void is
 * executed as a command (its shell part runs the native front end,
 * build/void-run-fast), and every `void run` is first primed — planned and
 * its plan cached without running (VOID_PLAN_CACHE_PRIME) — so that the
 * run itself uses the front end wherever its plan qualifies. Otherwise
 * bin/void runs under Node, as it always did: the Node orchestrator.
 */
export const fastPath = process.env["VOID_TEST_FAST_PATH"] === "1";

/** The launcher's own plan cache directory in the stage ($XDG_CACHE_HOME), made on first use. */
export function cacheHome(stage: Stage, launcher: Launcher): string {
  const dir = join(stage.dir, `cache-${launcher}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { mode: 0o700 });
    if (launcher === "unprivileged" && isRoot) spawnSync("chown", [`${UNPRIV_UID}:${UNPRIV_GID}`, dir]);
  }
  return dir;
}

/** argv and environment of `void ARGS` as `launcher` (see fastPath). */
export function voidCommand(stage: Stage, launcher: Launcher, args: string[], env: Record<string, string> = {}): { argv: string[]; env: Record<string, string> } {
  const path = fastPath ? `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}` : (process.env.PATH ?? "/usr/bin:/bin");
  const full = { PATH: path, XDG_CACHE_HOME: cacheHome(stage, launcher), ...env };
  const argv = asLauncher(launcher, fastPath ? [stage.voidBin, ...args] : [process.execPath, stage.voidBin, ...args]);
  if (fastPath && args[0] === "run") {
    const [cmd, ...rest] = argv;
    spawnSync(cmd!, rest, { cwd: stage.dir, stdio: "ignore", timeout: 30_000, env: { ...full, VOID_PLAN_CACHE_PRIME: "1" } });
  }
  return { argv, env: full };
}

/** argv prefix that runs a command as the given launcher. */
export function asLauncher(launcher: Launcher, argv: string[]): string[] {
  if (launcher === "root" || !isRoot) return argv;
  return ["setpriv", `--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_GID}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", ...argv];
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface BinaryRunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** stdout as raw bytes (compressed data, binary files). */
  stdout: Buffer;
  stderr: string;
}

/** runVoid for binary output: stdout is returned as bytes, not decoded as UTF-8. */
export function runVoidBinary(stage: Stage, launcher: Launcher, args: string[], opts: RunOptions = {}): BinaryRunResult {
  const command = voidCommand(stage, launcher, args, opts.env);
  const [cmd, ...rest] = command.argv;
  const r: SpawnSyncReturns<Buffer> = spawnSync(cmd!, rest, {
    cwd: stage.dir,
    input: opts.input ?? "",
    timeout: opts.timeoutMs ?? 30_000,
    maxBuffer: 256 * 1024 * 1024,
    env: command.env,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

/** Runs `void ARGS` synchronously as `launcher` from the stage dir. */
export function runVoid(stage: Stage, launcher: Launcher, args: string[], opts: RunOptions = {}): RunResult {
  const r = runVoidBinary(stage, launcher, args, opts);
  return { ...r, stdout: r.stdout.toString("utf8") };
}

/**
 * Like runVoid, but without blocking this process's event loop: needed
 * when the test itself serves the void (a TCP server in the test process).
 */
export async function runVoidAsync(stage: Stage, launcher: Launcher, args: string[]): Promise<RunResult> {
  const child = startVoid(stage, launcher, args);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const [status, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  return { status, signal, stdout, stderr };
}

/** Starts `void ARGS` in the background; the caller must wait for it. */
export function startVoid(stage: Stage, launcher: Launcher, args: string[], env: Record<string, string> = {}) {
  const command = voidCommand(stage, launcher, args, env);
  const [cmd, ...rest] = command.argv;
  return spawn(cmd!, rest, { cwd: stage.dir, stdio: ["ignore", "pipe", "pipe"], env: command.env });
}

/** Probe JSON from a run's stdout. */
// biome-ignore lint/suspicious/noExplicitAny: the probe's report is free-form JSON checked field by field in tests
export function probeReport(r: RunResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`probe output is not JSON (status ${r.status}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

export function pidAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readStat(pid).startsWith("Z");
}

function readStat(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2);
  } catch {
    return "";
  }
}

/** Waits until `pred` holds, polling; false on timeout. */
export async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pred();
}

/** Host pids whose command line contains `needle` (to find strays). */
export function pidsRunning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Connects to 127.0.0.1:port, retrying while nothing listens yet (the
 * launcher starting), sends `text` and half-closes if given, and returns
 * what the peer wrote until it closed.
 */
export async function talk(port: number, text?: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const c = connect(port, "127.0.0.1", () => {
          if (text !== undefined) c.end(text);
        });
        let data = "";
        c.on("data", (d) => {
          data += d.toString();
        });
        c.on("end", () => resolve(data));
        c.on("error", reject);
      });
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}
