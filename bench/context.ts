/**
 * What every suite needs: where things are, how long to run, how to run a
 * helper program and read its JSON, and the types of what a suite reports.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Summary } from "./stats.js";

/** dist/bench/context.js -> the root of the copy of void being measured. */
export const codeRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Paths {
  /** The checkout: bench/build (C programs), bench/results (output). */
  repo: string;
  /** The package measured: a staged copy of the build (see run.ts), or the checkout. */
  code: string;
  /** bench/build */
  build: string;
  results: string;
  /** The static first-instruction timer (bench/c/true.c). */
  trueStatic: string;
  node: string;
  /** Node 24, where installed (compile cache); undefined otherwise. */
  node24: string | undefined;
}

export interface Budget {
  /** Quick mode: a few rounds of everything, for checking the bench itself. */
  quick: boolean;
  /** Milliseconds still allowed for waiting until the machine is quiet (shared by every suite). */
  quietMs: number;
  /** What the waits came to: ms waited, rounds that started on a busy machine anyway. */
  waited: { ms: number; rounds: number; busyRounds: number };
}

export interface Ctx {
  paths: Paths;
  budget: Budget;
  log(line: string): void;
}

/** One line of the results table. */
export interface Row {
  suite: string;
  measure: string;
  /** Absolute value: median and p10/p90 over every sample. */
  value?: Summary;
  unit?: string;
  /** Ratio (or difference) against another contender, taken round by round. */
  ratio?: Summary;
  ratioTo?: string;
  /** "×" for a ratio, or a unit for a difference ("ms"). */
  ratioUnit?: string;
  /** An issue target this row decides. */
  target?: string;
  met?: boolean | null;
  note?: string;
}

export interface Figure {
  file: string;
  svg: string;
  caption: string;
}

export interface SuiteResult {
  name: string;
  title: string;
  rows: Row[];
  figures: Figure[];
  notes: string[];
  raw: unknown;
  seconds?: number;
}

export interface Suite {
  name: string;
  title: string;
  run(ctx: Ctx): Promise<SuiteResult>;
}

/** Runs a helper that prints JSON lines; returns them parsed. Throws with its stderr on failure. */
export function runJsonLines<T>(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): T[] {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr.trim().slice(0, 2000)}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as T);
}

/** What spawnt (bench/c/spawnt.c) reports: ns from just before posix_spawn. */
export interface Timed {
  first: number[];
  exit: number[];
  status: number[];
}

/** Times COMMAND `n` times with bench/c/spawnt; every run must exit 0. */
export function spawnt(ctx: Ctx, n: number, command: string[], env?: NodeJS.ProcessEnv): Timed {
  const [t] = runJsonLines<Timed>(join(ctx.paths.build, "spawnt"), ["-n", String(n), "--", ...command], { cwd: ctx.paths.repo, env });
  if (t === undefined) throw new Error(`spawnt ${command.join(" ")}: no output`);
  const bad = t.status.find((s) => s !== 0);
  if (bad !== undefined) {
    const again = spawnSync(command[0]!, command.slice(1), { cwd: ctx.paths.repo, env, encoding: "utf8" });
    throw new Error(`${command.join(" ")} exited ${bad}: ${again.stderr.trim().slice(0, 1000)}`);
  }
  return t;
}

export const ms = (ns: number): number => ns / 1e6;

/** The machine, for the record. */
export function machine(): Record<string, string | number> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const mem = /^MemTotal:\s*(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1];
  const uname = spawnSync("uname", ["-srvm"], { encoding: "utf8" }).stdout.trim();
  const nproc = spawnSync("nproc", [], { encoding: "utf8" }).stdout.trim();
  const version = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim().split("\n")[0]! : "not installed";
  };
  return {
    nproc: Number(nproc),
    cpu: model,
    kernel: uname,
    memTotalMiB: mem ? Math.round(Number(mem) / 1024) : 0,
    node: process.version,
    bwrap: version("bwrap", ["--version"]),
    unshare: version("unshare", ["--version"]),
    cc: version("cc", ["--version"]),
  };
}

/** The commit measured, and whether the tree had changes (read-only git). */
export function gitState(repo: string): { commit: string; dirty: string[] } {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).stdout.trim();
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: repo, encoding: "utf8" }).stdout;
  return {
    commit: head,
    dirty: status
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => l.slice(3)),
  };
}

export function node24Path(): string | undefined {
  const candidates = [process.env.VOID_BENCH_NODE24, "/tmp/n24/node_modules/.bin/node"].filter((p): p is string => typeof p === "string" && p !== "");
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    const r = spawnSync(p, ["--version"], { encoding: "utf8" });
    if (r.status === 0 && /^v(2[2-9]|[3-9]\d)\./.test(r.stdout.trim())) return p;
  }
  return undefined;
}

/** Busy CPU time of the whole machine in ns between two marks (cores × wall − idle), from cpuidle residency. */
export function cpuMark(): { wall: bigint; idleNs: number } {
  let idle = 0;
  let found = false;
  for (let cpu = 0; cpu < 1024; cpu++) {
    let any = false;
    for (let st = 0; st < 16; st++) {
      const p = `/sys/devices/system/cpu/cpu${cpu}/cpuidle/state${st}/time`;
      if (!existsSync(p)) break;
      idle += Number(readFileSync(p, "utf8")) * 1000;
      any = found = true;
    }
    if (!any && cpu > 0) break;
  }
  return { wall: process.hrtime.bigint(), idleNs: found ? idle : Number.NaN };
}

export function busyNs(a: ReturnType<typeof cpuMark>, b: ReturnType<typeof cpuMark>, cores: number): number {
  return Math.max(0, Number(b.wall - a.wall) * cores - (b.idleNs - a.idleNs));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (at most 8 s, and within the run's shared allowance) until the rest of the machine
 * is quiet — other work using less than a quarter of the cores over 250 ms
 * — so that a round does not start in the middle of someone else's build.
 * Rounds interleave every contender anyway; this only cuts the spread.
 */
export async function awaitQuiet(ctx: Ctx): Promise<void> {
  const cores = Number(spawnSync("nproc", [], { encoding: "utf8" }).stdout.trim()) || 1;
  const w = ctx.budget.waited;
  w.rounds++;
  const started = Date.now();
  for (;;) {
    const a = cpuMark();
    await sleep(250);
    const b = cpuMark();
    const busy = busyNs(a, b, cores) / (Number(b.wall - a.wall) * cores);
    if (!(busy >= 0.25)) break; // quiet, or no cpuidle to tell
    // At most 8 s per round, and within what is left of the run's allowance.
    if (Date.now() - started + 1000 > Math.min(8_000, ctx.budget.quietMs)) {
      w.busyRounds++;
      break;
    }
    await sleep(750);
  }
  const waited = Date.now() - started;
  w.ms += waited;
  ctx.budget.quietMs = Math.max(0, ctx.budget.quietMs - waited);
}
