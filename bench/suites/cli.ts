/**
 * One-shot CLI cost: the wall time of `void run -s SPEC true` against
 * `node -e 0` and bwrap. bin/void runs the product's bundle, dist/void.cjs
 * (scripts/bundle-cli.mjs: one CommonJS file, commander loaded only off
 * the `void run` fast path, node:net/dns/crypto on first use) and turns on
 * V8's compile cache where Node has it (>= 22.1; on Node 20 bin/void keeps
 * a V8 code cache of the bundle itself); the other contenders
 * show what each of those buys: the same CLI unbundled (dist/src/cli/
 * entry.js), the commander CLI for every command (dist/src/cli/void.js, as
 * every `void run` was before the fast path), and Node 24 without the
 * compile cache. Every contender is a separate process timed by
 * bench/c/spawnt, round-robin.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { awaitQuiet, type Ctx, type Row, runJsonLines, spawnt, type Suite, type SuiteResult } from "../context.js";
import { difference, pooled, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";
import { barChart } from "../svg.js";
import { onePlan, plansFor, STDOUT_SPEC, writePlanFile } from "../voids.js";
import type { MountEntry } from "../../src/plan/types.js";

/** bwrap arguments that build what `mounts` (a void's plan) holds: the same binds and symlinks, /dev/null, an empty root. */
function bwrapMounts(mounts: readonly MountEntry[]): string[] {
  return mounts.flatMap((m): string[] => {
    switch (m.type) {
      case "bind":
        return [m.readOnly ? "--ro-bind" : "--bind", m.source, m.dest];
      case "symlink":
        return ["--symlink", m.target, m.dest];
      case "devnull":
        return ["--dev-bind", "/dev/null", "/dev/null"];
      case "tmpfs":
        return [];
      default:
        throw new Error(`bench: no bwrap equivalent of a ${m.type} mount`);
    }
  });
}

interface Contender {
  name: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
  /** For the ratio and difference columns: the `node -e 0` of the same Node. */
  baseline: string;
}

const NODE0 = "node -e 0";
const N24 = "Node 24: node -e 0";
const VOID_RUN = "void run (bin/void: the bundle)";
const NO_CACHE = "void run --no-cache (the bundle, no plan recorded or written)";
const FIRST = "void run, first run (sh: rm -rf an emptied cache directory, then node bin/void run)";
const FIRST_BASE = "void run --no-cache, started the same way (sh: rm -rf, node bin/void run --no-cache)";
const VOID_RUN24 = "Node 24: void run (bin/void: the bundle, compile cache)";
const BWRAP = "bwrap --unshare-all (one-shot)";
const CACHED = "void run, cached plan (bin/void: the native front end, no Node)";
const BWRAP_BINDS = "bwrap --unshare-all, the void's binds (one-shot)";
const FLOOR1 = "C floor, one-shot (bench/c/floor PLAN -n 1)";
const NATIVE = "void run, cached plan (build/void: the front end as the command, no shell)";
const CACHED_DYN = "void run /bin/true, cached plan (bin/void)";
const NATIVE_DYN = "void run /bin/true, cached plan (build/void)";
const BWRAP_DYN = "bwrap --unshare-all, /bin/true with the void's binds (its libraries)";
const TARGET = "one-shot void run ≤ node -e 0 + 15 ms";

export const cliSuite: Suite = {
  name: "cli",
  title: "One-shot CLI cost",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const rounds = ctx.budget.quick ? 2 : 16;
    const perBatch = ctx.budget.quick ? 2 : 3;
    const { code, trueStatic, node, node24, build } = ctx.paths;
    const spec = join(build, "true-spec.json");
    writeFileSync(spec, JSON.stringify(STDOUT_SPEC));
    const voidBin = join(code, "bin", "void");
    const runArgs = ["run", "-s", spec, trueStatic];
    const runDyn = ["run", "-s", spec, "/bin/true"];
    const nativeBin = join(code, "build", "void");
    const [dynPlan] = plansFor(STDOUT_SPEC, "/bin/true");
    if (dynPlan === undefined) throw new Error("bench: no plan for /bin/true");
    const bundle = join(code, "dist", "void.cjs");
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: npm run build makes it (esbuild, a devDependency)`);
    const unbundled = join(code, "dist", "src", "cli", "entry.js");
    const commanderCli = join(code, "dist", "src", "cli", "void.js");
    const empty = join(build, "empty.mjs");
    writeFileSync(empty, "");
    const commander = join(code, "node_modules", "commander");
    // The front end's cache: a directory of the bench's own, emptied first.
    const cacheHome = join(build, "plan-cache");
    rmSync(cacheHome, { recursive: true, force: true });
    mkdirSync(cacheHome, { recursive: true, mode: 0o700 });
    const cachedEnv = { ...process.env, XDG_CACHE_HOME: cacheHome, PATH: `${dirname(node)}:${process.env.PATH ?? "/usr/bin:/bin"}` };
    const floorPlan = join(build, "cli-true-static.plan");
    writePlanFile(onePlan(STDOUT_SPEC, trueStatic), floorPlan);
    const contenders: Contender[] = [
      { name: NODE0, cmd: [node, "-e", "0"], baseline: NODE0 },
      { name: "ESM entry importing nothing (node empty.mjs)", cmd: [node, empty], baseline: NODE0 },
      { name: "commander alone (require)", cmd: [node, "-e", `require(${JSON.stringify(commander)})`], baseline: NODE0 },
      { name: "void --version (bin/void: the bundle, commander)", cmd: [node, voidBin, "--version"], baseline: NODE0 },
      // node bin/void: Node, never the front end; each run plans, records what it read and writes the cache entry (uncached: a fresh cache directory each round would be the same work).
      { name: VOID_RUN, cmd: [node, voidBin, ...runArgs], env: cachedEnv, baseline: NODE0 },
      { name: NO_CACHE, cmd: [node, voidBin, "run", "--no-cache", ...runArgs.slice(1)], baseline: NODE0 },
      // The uncached run as a user meets it: no entry yet (each run starts from an empty cache directory), against the
      // same start-up without the cache; both go through the same sh and rm.
      {
        name: FIRST,
        cmd: ["sh", "-c", 'rm -rf "$XDG_CACHE_HOME"; exec "$0" "$@"', node, voidBin, ...runArgs],
        env: { ...process.env, XDG_CACHE_HOME: join(build, "plan-cache-first") },
        baseline: NODE0,
      },
      {
        name: FIRST_BASE,
        cmd: ["sh", "-c", 'rm -rf "$XDG_CACHE_HOME"; exec "$0" "$@"', node, voidBin, "run", "--no-cache", ...runArgs.slice(1)],
        env: { ...process.env, XDG_CACHE_HOME: join(build, "plan-cache-none") },
        baseline: NODE0,
      },
      { name: "void run, the bundle without bin/void's code cache", cmd: [node, voidBin, ...runArgs], env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" }, baseline: NODE0 },
      { name: "void run, unbundled (dist/src/cli/entry.js)", cmd: [node, unbundled, ...runArgs], baseline: NODE0 },
      { name: "void run through commander, unbundled (dist/src/cli/void.js)", cmd: [node, commanderCli, ...runArgs], baseline: NODE0 },
      { name: BWRAP, cmd: ["bwrap", "--unshare-all", "--ro-bind", trueStatic, "/true", "/true"], baseline: BWRAP },
      // The same command line as VOID_RUN, but bin/void executed as a command: its shell part runs build/void-run-fast,
      // which runs the plan the warm-up's first (Node) run cached, without starting Node (docs/architecture.md).
      { name: CACHED, cmd: [voidBin, ...runArgs], env: cachedEnv, baseline: BWRAP },
      {
        name: BWRAP_BINDS,
        cmd: ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", trueStatic, trueStatic, "--dev-bind", "/dev/null", "/dev/null", trueStatic],
        baseline: BWRAP,
      },
      { name: NATIVE, cmd: [nativeBin, ...runArgs], env: cachedEnv, baseline: BWRAP },
      { name: CACHED_DYN, cmd: [voidBin, ...runDyn], env: cachedEnv, baseline: BWRAP },
      { name: NATIVE_DYN, cmd: [nativeBin, ...runDyn], env: cachedEnv, baseline: BWRAP },
      { name: BWRAP_DYN, cmd: ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", ...bwrapMounts(dynPlan.mounts), "/bin/true"], baseline: BWRAP },
      { name: FLOOR1, cmd: [join(build, "floor"), floorPlan, "-n", "1", "--seccomp"], env: { ...process.env, VOID_INIT: join(code, "build", "void-init") }, baseline: BWRAP },
    ];
    const cacheDirs: string[] = [];
    if (node24) {
      // bin/void calls module.enableCompileCache(), which uses
      // NODE_COMPILE_CACHE when set: a directory of the bench's own.
      const cc = join(build, "compile-cache");
      rmSync(cc, { recursive: true, force: true });
      mkdirSync(cc, { recursive: true });
      const withCache = (dir: string) => {
        cacheDirs.push(join(cc, dir));
        return { ...process.env, NODE_COMPILE_CACHE: join(cc, dir) };
      };
      const noCache = { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" };
      contenders.push(
        { name: N24, cmd: [node24, "-e", "0"], baseline: N24 },
        { name: VOID_RUN24, cmd: [node24, voidBin, ...runArgs], env: withCache("bundle"), baseline: N24 },
        { name: "Node 24: void run, the bundle without compile cache", cmd: [node24, voidBin, ...runArgs], env: noCache, baseline: N24 },
        { name: "Node 24: void run, unbundled + compile cache", cmd: [node24, unbundled, ...runArgs], env: withCache("unbundled"), baseline: N24 },
        { name: "Node 24: void run through commander, unbundled, no compile cache", cmd: [node24, commanderCli, ...runArgs], env: noCache, baseline: N24 },
      );
    }
    // Warm-up (and fills the compile caches).
    for (const c of contenders) spawnt(ctx, 2, c.cmd, c.env);
    const wall: Rounds = [];
    const first: Rounds = [];
    const phases: Record<string, Record<string, number>[]> = {};
    const phasesCmd = [join(code, "dist", "bench", "cli-phases.js"), spec, trueStatic];
    const phaseNodes: [string, string][] = [["Node 20", node], ...(node24 ? [["Node 24", node24] as [string, string]] : [])];
    for (let r = 0; r < rounds; r++) {
      await awaitQuiet(ctx);
      const w: Record<string, number[]> = {};
      const f: Record<string, number[]> = {};
      for (const c of rotate(contenders, r)) {
        const t = spawnt(ctx, perBatch, c.cmd, c.env);
        w[c.name] = t.exit;
        if (t.first.some((x) => x > 0)) f[c.name] = t.first.filter((x) => x > 0);
      }
      for (const [label, bin] of phaseNodes) {
        const [p] = runJsonLines<{ status: number; phases: Record<string, number> }>(bin, phasesCmd, { cwd: ctx.paths.repo });
        if (p) phases[label] = [...(phases[label] ?? []), p.phases];
      }
      wall.push(w);
      first.push(f);
    }
    const rows: Row[] = [];
    for (const c of contenders) {
      const d = difference(wall, c.name, c.baseline);
      rows.push({
        suite: "cli",
        measure: c.name,
        value: scale(summarize(pooled(wall, c.name)), 1e-6),
        unit: "ms",
        ...(c.name === c.baseline ? {} : { ratio: scale(d, 1e-6), ratioTo: c.baseline, ratioUnit: "ms more than" }),
        ...([VOID_RUN, VOID_RUN24].includes(c.name) ? { target: TARGET, met: d.median <= 15e6 } : {}),
      });
    }
    rows.push({
      suite: "cli",
      measure: "void run ÷ bwrap one-shot",
      ratio: ratio(wall, VOID_RUN, BWRAP),
      ratioTo: BWRAP,
      ratioUnit: "×",
    });
    for (const [a, b] of [
      [CACHED, BWRAP_BINDS],
      [CACHED, FLOOR1],
      [CACHED, VOID_RUN],
      [VOID_RUN, NO_CACHE],
      [FIRST, FIRST_BASE],
      [NATIVE, BWRAP_BINDS],
      [NATIVE, FLOOR1],
      [CACHED_DYN, BWRAP_DYN],
      [NATIVE_DYN, BWRAP_DYN],
    ] as const) {
      rows.push({ suite: "cli", measure: `${a} ÷ ${b}`, ratio: ratio(wall, a, b), ratioTo: b, ratioUnit: "×" });
    }
    if (pooled(first, VOID_RUN).length > 0) {
      rows.push({
        suite: "cli",
        measure: "void run: command start → first instruction of the entrypoint",
        value: scale(summarize(pooled(first, VOID_RUN)), 1e-6),
        unit: "ms",
      });
    }
    for (const [label, list] of Object.entries(phases)) {
      for (const name of Object.keys(list[0] ?? {})) {
        rows.push({ suite: "cli", measure: `${label} phase: ${name}`, value: summarize(list.map((p) => p[name]!)), unit: "ms", note: "bench/cli-phases.ts, in-process" });
      }
    }
    const bars = contenders
      .filter((c) => c.name !== c.baseline)
      .map((c) => {
        const d = scale(difference(wall, c.name, c.baseline), 1e-6);
        return { label: c.name, value: d.median, lo: d.p10, hi: d.p90, group: c.baseline };
      });
    const svg = barChart({
      title: "One-shot cost above `node -e 0` of the same Node",
      subtitle: `wall time, ${rounds} interleaved rounds × ${perBatch} runs; target: void run ≤ node -e 0 + 15 ms`,
      axis: "ms more than node -e 0 (median of per-round differences, p10–p90)",
      bars,
      refs: [{ at: 15, label: "+15 ms target" }],
      digits: 1,
    });
    const notes = [
      `dist/void.cjs: ${(statSync(bundle).size / 1024).toFixed(0)} KiB (scripts/bundle-cli.mjs, esbuild --minify; commander inside, evaluated only off the run fast path; zod outside).`,
      node24
        ? `Node 24 (${spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim()}): compile cache in a directory of the bench's own (NODE_COMPILE_CACHE), warmed before the rounds; "without" sets NODE_DISABLE_COMPILE_CACHE=1.`
        : "Not measured: Node 24 and the compile cache (none found at /tmp/n24/node_modules/.bin/node or $VOID_BENCH_NODE24).",
      'Node 20 has no module compile cache (module.enableCompileCache is Node >= 22.1): there bin/void keeps V8\'s code cache of the bundle itself (dist/void.cjs.v8cache, written by the warm-up); "without" sets NODE_DISABLE_COMPILE_CACHE=1, which bin/void obeys too.',
    ];
    return {
      name: "cli",
      title: this.title,
      rows,
      figures: [{ file: "cli.svg", svg, caption: "One-shot wall time above `node -e 0` of the same Node, per round." }],
      notes,
      raw: { rounds, perBatch, wall, first, phases, cacheDirs },
    };
  },
};
