/**
 * Test harness for forktop's integration tests: stages the tracer and the
 * test programs where an unprivileged uid can run them (the checkout itself
 * may not be readable by that uid), runs commands as root or as that uid,
 * and cleans up after itself.
 *
 * The tests that watch a real void need a built void-run, named by
 * FORKTOP_TEST_VOID (the repository root's `npm test` sets it to the root);
 * `addVoid` copies it into the stage the way void's own tests stage it.
 * Without it those tests are skipped, saying why (`noVoid`).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/test/integration/harness.js -> the package root (packages/forktop). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The uid/gid of the unprivileged launcher in tests ("nobody"). */
export const UNPRIV_UID = 65534;
export const UNPRIV_GID = 65534;

export type Launcher = "root" | "unprivileged";

export const isRoot = process.getuid?.() === 0;

/** Which launchers this run can test: both as root, only itself otherwise. */
export const launchers: Launcher[] = isRoot ? ["root", "unprivileged"] : ["unprivileged"];

/** The built void-run the tests may trace, if any. */
const voidDir = process.env["FORKTOP_TEST_VOID"] ?? "";

/** Why the tests that watch a real void cannot run, or false when they can. */
export const noVoid: string | false =
  voidDir === ""
    ? "needs a built void-run: FORKTOP_TEST_VOID names its directory (the repository root's npm test sets it)"
    : !["bin/void", "build/void.node", "build/void-init", "dist/src/cli/entry.js", "test/probe/actor.c"].every((f) => existsSync(join(voidDir, f)))
      ? `FORKTOP_TEST_VOID=${voidDir} is not a built void-run checkout (npm run build there)`
      : false;

export interface Stage {
  dir: string;
  /** build/forktop-tracer inside the stage. */
  tracer: string;
  cleanup(): void;
}

/** A void-run inside a stage: its `void` command and the probe actor (void's test/probe/actor.c). */
export interface VoidInStage {
  voidBin: string;
  /** test/probe/actor.c of void-run: behaviour spelled by its last argument. */
  actor: string;
}

function cc(args: string[]): void {
  const r = spawnSync("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cc ${args.join(" ")} failed:\n${r.stderr}`);
}

/**
 * A world-readable copy of the tracer in a fresh temp dir, removed by
 * cleanup(); the test programs are built into it by `buildProgram`.
 */
export function makeStage(): Stage {
  const dir = mkdtempSync(join(tmpdir(), "forktop-test-"));
  chmodSync(dir, 0o755);
  cpSync(join(packageRoot, "build", "forktop-tracer"), join(dir, "build", "forktop-tracer"));
  spawnSync("chmod", ["-R", "a+rX", dir]);
  return { dir, tracer: join(dir, "build", "forktop-tracer"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds test/c/NAME.c into the stage as NAME (world-executable). */
export function buildProgram(stage: Stage, name: string): string {
  const out = join(stage.dir, name);
  cc(["-pthread", "-o", out, join(packageRoot, "test", "c", `${name}.c`)]);
  chmodSync(out, 0o755);
  return out;
}

/** Copies the void-run of FORKTOP_TEST_VOID into the stage (check `noVoid` first). */
export function addVoid(stage: Stage): VoidInStage {
  if (noVoid) throw new Error(noVoid);
  for (const part of ["package.json", "bin", "build", join("dist", "src")]) {
    cpSync(join(voidDir, part), join(stage.dir, part), { recursive: true });
  }
  for (const dep of ["commander", "zod"]) {
    cpSync(join(voidDir, "node_modules", dep), join(stage.dir, "node_modules", dep), { recursive: true, dereference: true });
  }
  const actor = join(stage.dir, "actor");
  cc(["-o", actor, join(voidDir, "test", "probe", "actor.c")]);
  spawnSync("chmod", ["-R", "a+rX", stage.dir]);
  return { voidBin: join(stage.dir, "bin", "void"), actor };
}

/** A scratch directory inside the stage (readable by the test uid). */
export function scratch(stage: Stage, name: string): string {
  const d = join(stage.dir, "scratch", name);
  mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(d, 0o755);
  return d;
}

/** Writes a void spec into the stage, readable by the test uid. */
export function writeSpec(stage: Stage, name: string, spec: unknown): string {
  const path = join(stage.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  chmodSync(path, 0o644);
  return path;
}

/** argv prefix that runs a command as the given launcher. */
export function asLauncher(launcher: Launcher, argv: string[]): string[] {
  if (launcher === "root" || !isRoot) return argv;
  return ["setpriv", `--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_GID}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", ...argv];
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
