/**
 * One-shot CLI cost: the wall time of `void run -s SPEC true` against
 * `node -e 0` and bwrap, and what would make it cheaper — bundling
 * (esbuild, where installed), the V8 compile cache (Node >= 22:
 * NODE_COMPILE_CACHE, the same cache module.enableCompileCache() turns
 * on), and lazy imports (phase timings of bench/cli-phases.ts). Every
 * contender is a separate process timed by bench/c/spawnt, round-robin.
 * Nothing in the product is changed: the bundle is built into the stage.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitQuiet, type Ctx, type Row, runJsonLines, spawnt, type Suite, type SuiteResult } from "../context.js";
import { difference, pooled, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";
import { barChart } from "../svg.js";
import { STDOUT_SPEC } from "../voids.js";

interface Contender {
  name: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
  /** For the ratio and difference columns: the `node -e 0` of the same Node. */
  baseline: string;
}

const NODE0 = "node -e 0";
const VOID_RUN = "void run (bin/void)";
const BWRAP = "bwrap --unshare-all (one-shot)";
const LEAN = "void run, lean CommonJS bundle (no commander, lazy net/dns)";
const LEAN24 = "Node 24: lean CommonJS bundle + compile cache";

/**
 * The bundles of the staged CLI that esbuild makes — ESM, CommonJS, and the
 * "lean" CommonJS bundle of bench/cli-lean.ts (no commander, node:net and
 * node:dns/promises loaded on use) — or undefined when esbuild is not installed.
 */
function bundles(ctx: Ctx): { esm: string; cjs: string; lean: string; esmBytes: number; cjsBytes: number; leanBytes: number } | undefined {
  const esbuild = join(ctx.paths.repo, "node_modules", ".bin", "esbuild");
  if (!existsSync(esbuild)) return undefined;
  const out = join(ctx.paths.code, "bundle");
  rmSync(out, { recursive: true, force: true });
  const entry = join(ctx.paths.code, "dist", "src", "cli", "void.js");
  const build = (args: string[], from = entry) => {
    const r = spawnSync(esbuild, [from, "--bundle", "--platform=node", "--minify", "--log-level=warning", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  };
  // ESM: commander is CommonJS, so the bundle needs a `require`; --splitting
  // keeps zod (imported only by `void schema`) in a chunk of its own.
  build(["--format=esm", "--splitting", `--outdir=${join(out, "esm")}`, "--banner:js=import{createRequire as __void_cr}from'node:module';const require=__void_cr(import.meta.url);"]);
  // CommonJS: no ESM loader at start-up; import.meta.url (the addon's
  // package root) from __filename; zod stays a require() made only by `void schema`.
  const cjsArgs = ["--format=cjs", "--external:zod", "--define:import.meta.url=__void_url", "--banner:js=const __void_url=require('node:url').pathToFileURL(__filename).href;"];
  build([...cjsArgs, `--outfile=${join(out, "cjs", "void.cjs")}`]);
  const shims = join(ctx.paths.code, "dist", "bench", "shims");
  build(
    [...cjsArgs, `--alias:node:net=${join(shims, "net.js")}`, `--alias:node:dns/promises=${join(shims, "dns-promises.js")}`, `--outfile=${join(out, "lean", "void.cjs")}`],
    join(ctx.paths.code, "dist", "bench", "cli-lean.js"),
  );
  const esm = join(out, "esm", "void.js");
  const cjs = join(out, "cjs", "void.cjs");
  const lean = join(out, "lean", "void.cjs");
  return { esm, cjs, lean, esmBytes: statSync(esm).size, cjsBytes: statSync(cjs).size, leanBytes: statSync(lean).size };
}

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
    const bundled = bundles(ctx);
    const empty = join(build, "empty.mjs");
    writeFileSync(empty, "");
    const commander = join(code, "node_modules", "commander");
    const contenders: Contender[] = [
      { name: NODE0, cmd: [node, "-e", "0"], baseline: NODE0 },
      { name: "ESM entry importing nothing (node empty.mjs)", cmd: [node, empty], baseline: NODE0 },
      { name: "builtins void imports (net, child_process, dns/promises)", cmd: [node, "-e", 'require("node:net");require("node:child_process");require("node:dns/promises")'], baseline: NODE0 },
      { name: "commander alone (require)", cmd: [node, "-e", `require(${JSON.stringify(commander)})`], baseline: NODE0 },
      { name: "void --version (every import, no work)", cmd: [node, voidBin, "--version"], baseline: NODE0 },
      { name: VOID_RUN, cmd: [node, voidBin, ...runArgs], baseline: NODE0 },
      { name: BWRAP, cmd: ["bwrap", "--unshare-all", "--ro-bind", trueStatic, "/true", "/true"], baseline: BWRAP },
    ];
    if (bundled) {
      contenders.push(
        { name: "void run, ESM bundle (esbuild)", cmd: [node, bundled.esm, ...runArgs], baseline: NODE0 },
        { name: "void run, CommonJS bundle (esbuild)", cmd: [node, bundled.cjs, ...runArgs], baseline: NODE0 },
        { name: LEAN, cmd: [node, bundled.lean, ...runArgs], baseline: NODE0 },
      );
    }
    const cacheDirs: string[] = [];
    if (node24) {
      const cc = join(build, "compile-cache");
      rmSync(cc, { recursive: true, force: true });
      mkdirSync(cc, { recursive: true });
      const withCache = (dir: string) => {
        cacheDirs.push(join(cc, dir));
        return { ...process.env, NODE_COMPILE_CACHE: join(cc, dir) };
      };
      const N24 = "Node 24: node -e 0";
      contenders.push(
        { name: N24, cmd: [node24, "-e", "0"], baseline: N24 },
        { name: "Node 24: void run", cmd: [node24, voidBin, ...runArgs], baseline: N24 },
        { name: "Node 24: void run + compile cache", cmd: [node24, voidBin, ...runArgs], env: withCache("plain"), baseline: N24 },
      );
      if (bundled) {
        contenders.push(
          { name: "Node 24: CommonJS bundle", cmd: [node24, bundled.cjs, ...runArgs], baseline: N24 },
          { name: "Node 24: CommonJS bundle + compile cache", cmd: [node24, bundled.cjs, ...runArgs], env: withCache("cjs"), baseline: N24 },
          { name: LEAN24, cmd: [node24, bundled.lean, ...runArgs], env: withCache("lean"), baseline: N24 },
        );
      }
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
        ...([VOID_RUN, "Node 24: void run", LEAN, LEAN24].includes(c.name) ? { target: "one-shot void run ≤ node -e 0 + 15 ms", met: d.median <= 15e6 } : {}),
      });
    }
    rows.push({
      suite: "cli",
      measure: "void run ÷ bwrap one-shot",
      ratio: ratio(wall, VOID_RUN, BWRAP),
      ratioTo: BWRAP,
      ratioUnit: "×",
    });
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
      bundled
        ? `Bundles of dist/src/cli/void.js by esbuild --bundle --minify: ESM ${(bundled.esmBytes / 1024).toFixed(0)} KiB entry chunk (--splitting, zod in its own chunk), CommonJS ${(bundled.cjsBytes / 1024).toFixed(0)} KiB (zod external, required only by void schema); lean: bench/cli-lean.ts, CommonJS, ${(bundled.leanBytes / 1024).toFixed(0)} KiB, node:net and node:dns/promises swapped for bench/shims (loaded on first use).`
        : "Not measured: bundling (esbuild is not installed: npm install --no-save esbuild).",
      node24 ? `Node 24 (${spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim()}): compile cache via NODE_COMPILE_CACHE (warmed before the rounds).` : "Not measured: the compile cache (needs Node >= 22; none found at /tmp/n24/node_modules/.bin/node or $VOID_BENCH_NODE24).",
      "Node 20 has no module compile cache (module.enableCompileCache is Node >= 22.1).",
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
