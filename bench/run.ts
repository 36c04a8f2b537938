/**
 * `npm run bench`: the benchmark suite. Builds nothing itself (the npm
 * script builds the package and bench/c first); it stages a copy of the
 * built package under bench/build/stage, so a rebuild of the checkout
 * while it runs cannot mix two versions, re-runs itself from there, runs
 * every suite, prints a table, and writes bench/results/latest.json and
 * one SVG per figure into bench/results/.
 *
 *   node dist/bench/run.js [--quick] [--only ns,latency,cli,trigger,scale,https,pending]
 *
 * Every comparison is a ratio measured side by side in the same run:
 * contenders run round-robin and each ratio is taken per round, then
 * summarised as median and p10/p90. Needs root (voids, namespaces, bwrap);
 * mounts nothing in the host's namespaces; kills only the voids it started.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { codeRoot, type Ctx, gitState, machine, node24Path, type Row, type Suite, type SuiteResult } from "./context.js";
import { cliSuite } from "./suites/cli.js";
import { httpsSuite } from "./suites/https.js";
import { latencySuite } from "./suites/latency.js";
import { nsSuite } from "./suites/ns.js";
import { pendingSuite } from "./suites/pending.js";
import { scaleSuite } from "./suites/scale.js";
import { triggerSuite } from "./suites/trigger.js";

const SUITES: Suite[] = [nsSuite, latencySuite, cliSuite, triggerSuite, scaleSuite, httpsSuite, pendingSuite];

function stageAndReexec(repo: string): never {
  const stage = join(repo, "bench", "build", "stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "node_modules"), { recursive: true });
  // Timestamps kept: bin/void uses dist/void.cjs only if it is not older than dist/src/cli/entry.js.
  for (const part of ["package.json", "bin", "build", "dist"]) cpSync(join(repo, part), join(stage, part), { recursive: true, preserveTimestamps: true });
  for (const dep of ["commander", "zod"]) cpSync(join(repo, "node_modules", dep), join(stage, "node_modules", dep), { recursive: true });
  // The CLI bundle, made again from the staged dist/: the checkout's may be
  // stale (a tsc run after it: bin/void would then not use it).
  const bundled = spawnSync(process.execPath, [join(repo, "scripts", "bundle-cli.mjs"), stage], { stdio: "inherit" });
  if (bundled.status !== 0 || !existsSync(join(stage, "dist", "void.cjs"))) {
    process.stderr.write("bench: cannot bundle the CLI into the stage (scripts/bundle-cli.mjs; esbuild is a devDependency)\n");
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [join(stage, "dist", "bench", "run.js"), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, VOID_BENCH_REPO: repo },
  });
  process.exit(r.status ?? 1);
}

const fmt = (v: number, unit = ""): string => {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toFixed(digits) + unit;
};

export function formatRow(r: Row): string[] {
  const value = r.value ? `${fmt(r.value.median)} ${r.unit ?? ""} [${fmt(r.value.p10)}–${fmt(r.value.p90)}]` : "";
  const ratio = r.ratio
    ? r.ratioUnit === "×"
      ? `${fmt(r.ratio.median)}× [${fmt(r.ratio.p10)}–${fmt(r.ratio.p90)}] vs ${r.ratioTo}`
      : r.ratioUnit === ""
        ? `${fmt(r.ratio.median)} [${fmt(r.ratio.p10)}–${fmt(r.ratio.p90)}] ${r.ratioTo}`
        : `${fmt(r.ratio.median)} ${r.ratioUnit} [${fmt(r.ratio.p10)}–${fmt(r.ratio.p90)}] ${r.ratioTo}`
    : "";
  const target = r.target ? `${r.met === true ? "MET" : r.met === false ? "MISSED" : "?"}: ${r.target}` : "";
  return [r.measure, value, ratio, [target, r.note ?? ""].filter((s) => s !== "").join("; ")];
}

function table(results: SuiteResult[]): string {
  const out: string[] = [];
  for (const s of results) {
    out.push("", `== ${s.title}${s.seconds !== undefined ? ` (${s.seconds.toFixed(0)} s)` : ""}`);
    const cells = s.rows.map(formatRow);
    const w0 = Math.min(70, Math.max(...cells.map((c) => c[0]!.length), 7));
    const w1 = Math.max(...cells.map((c) => c[1]!.length), 5);
    for (const c of cells) {
      out.push(`  ${c[0]!.padEnd(w0)}  ${c[1]!.padEnd(w1)}  ${c[2]}${c[3] ? `${c[2] ? "  " : ""}${c[3]}` : ""}`);
    }
    for (const n of s.notes) out.push(`  note: ${n}`);
  }
  return out.join("\n");
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write("bench: run as root (voids, namespaces and bwrap are measured as root)\n");
    return 1;
  }
  const repo = process.env.VOID_BENCH_REPO;
  if (repo === undefined) stageAndReexec(codeRoot);
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",") : undefined;
  const build = join(repo, "bench", "build");
  if (!existsSync(join(build, "floor"))) {
    process.stderr.write("bench: bench/build is missing: run sh bench/c/build.sh (npm run bench does)\n");
    return 1;
  }
  const ctx: Ctx = {
    paths: {
      repo,
      code: codeRoot,
      build,
      results: join(repo, "bench", "results"),
      trueStatic: join(build, "true"),
      node: process.execPath,
      node24: node24Path(),
    },
    // Up to 4 minutes of waiting for a quiet machine over the whole run
    // (which stays under 10 minutes on 2 cores, building included).
    budget: { quick, quietMs: quick ? 5_000 : 240_000, waited: { ms: 0, rounds: 0, busyRounds: 0 } },
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  };
  const started = Date.now();
  const results: SuiteResult[] = [];
  for (const suite of SUITES) {
    if (only && !only.includes(suite.name)) continue;
    ctx.log(`${suite.title}...`);
    const t0 = Date.now();
    try {
      const r = await suite.run(ctx);
      r.seconds = (Date.now() - t0) / 1000;
      results.push(r);
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      ctx.log(`${suite.name} failed: ${message}`);
      results.push({
        name: suite.name,
        title: suite.title,
        rows: [{ suite: suite.name, measure: "FAILED", note: message.split("\n")[0] }],
        figures: [],
        notes: [],
        raw: { error: message },
        seconds: (Date.now() - t0) / 1000,
      });
    }
    ctx.log(`${suite.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const seconds = (Date.now() - started) / 1000;
  const m = machine();
  process.stdout.write(`void benchmarks — ${m.nproc} cores, ${m.cpu}, ${m.kernel}, Node ${process.version}${quick ? " (QUICK: too few rounds for real numbers)" : ""}\n`);
  process.stdout.write("columns: measure | median [p10–p90] | ratio taken round by round: median [p10–p90] | target, notes\n");
  process.stdout.write(table(results) + "\n");
  const w = ctx.budget.waited;
  process.stdout.write(`\ntotal ${seconds.toFixed(0)} s, of which ${(w.ms / 1000).toFixed(0)} s waiting for a quiet machine before ${w.rounds} rounds (${w.busyRounds} started busy anyway)\n`);
  mkdirSync(ctx.paths.results, { recursive: true });
  const figures = results.flatMap((r) => r.figures);
  for (const f of figures) writeFileSync(join(ctx.paths.results, f.file), f.svg);
  const json = {
    version: 1,
    date: new Date(started).toISOString(),
    seconds,
    quick,
    machine: m,
    node24: ctx.paths.node24 ?? null,
    git: gitState(repo),
    quietWaits: ctx.budget.waited,
    suites: results.map((r) => ({ name: r.name, title: r.title, seconds: r.seconds, rows: r.rows, notes: r.notes, figures: r.figures.map((f) => ({ file: f.file, caption: f.caption })), raw: r.raw })),
  };
  writeFileSync(join(ctx.paths.results, "latest.json"), JSON.stringify(json, null, 1) + "\n");
  process.stdout.write(`wrote bench/results/latest.json and ${figures.map((f) => `bench/results/${f.file}`).join(", ")}\n`);
  return results.some((r) => r.rows.some((row) => row.measure === "FAILED")) ? 1 : 0;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
