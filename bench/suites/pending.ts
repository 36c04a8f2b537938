/**
 * forktop's overhead: a fork/exec-heavy workload (dash running /bin/true
 * 200 times) untraced, under forktop's tracer (packages/forktop's
 * build/forktop-tracer, in the checkout; its JSON events to
 * /dev/null), and under `strace -f -e trace=none` (ptrace following every
 * fork, reporting nothing), round-robin, timed by bench/c/spawnt. Every
 * contender runs through the same `sh -c 'exec ... >/dev/null'`. When
 * the tracer is not built, the row says so and nothing is timed.
 * (The HTTPS example, once a stub here, is measured by suites/https.ts.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { awaitQuiet, type Ctx, type Row, spawnt, type Suite, type SuiteResult } from "../context.js";
import { pooled, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";

const FORKS = 200;
const WORKLOAD = `i=0; while [ $i -lt ${FORKS} ]; do /bin/true; i=$((i+1)); done`;
const UNTRACED = "untraced";
const FORKTOP = "build/forktop-tracer -- CMD";
const STRACE = "strace -f -e trace=none";

/** forktop: the slowdown of a fork-heavy program under forktop's tracer vs without it. */
export async function forktopOverhead(ctx: Ctx): Promise<{ rows: Row[]; notes: string[]; raw: unknown }> {
  const tracer = join(ctx.paths.repo, "packages", "forktop", "build", "forktop-tracer");
  if (!existsSync(tracer)) {
    return { rows: [{ suite: "pending", measure: "forktop overhead: traced vs untraced", note: `not measured yet: ${tracer} is not built`, met: null }], notes: [], raw: {} };
  }
  const rounds = ctx.budget.quick ? 2 : 10;
  const perBatch = ctx.budget.quick ? 2 : 3;
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const wrap = (prefix: string) => ["/bin/sh", "-c", `exec ${prefix} /bin/sh -c ${q(WORKLOAD)} >/dev/null`];
  const contenders: [string, string[]][] = [
    [UNTRACED, wrap("")],
    [FORKTOP, wrap(`${q(tracer)} --`)],
  ];
  const haveStrace = ["/usr/bin/strace", "/bin/strace"].find((p) => existsSync(p));
  if (haveStrace) contenders.push([STRACE, wrap(`${haveStrace} -f -e trace=none -o /dev/null`)]);
  for (const [, cmd] of contenders) spawnt(ctx, 1, cmd);
  const wall: Rounds = [];
  for (let r = 0; r < rounds; r++) {
    await awaitQuiet(ctx);
    const w: Record<string, number[]> = {};
    for (const [name, cmd] of rotate(contenders, r)) w[name] = spawnt(ctx, perBatch, cmd).exit;
    wall.push(w);
  }
  const rows: Row[] = contenders.map(([name]) => ({
    suite: "pending",
    measure: `fork/exec workload (${FORKS} × /bin/true from dash): ${name}`,
    value: scale(summarize(pooled(wall, name)), 1e-6),
    unit: "ms",
    ...(name === UNTRACED ? {} : { ratio: ratio(wall, name, UNTRACED), ratioTo: UNTRACED, ratioUnit: "×" }),
  }));
  rows.push({
    suite: "pending",
    measure: "forktop overhead: traced vs untraced",
    ratio: ratio(wall, FORKTOP, UNTRACED),
    ratioTo: UNTRACED,
    ratioUnit: "×",
    note: `per fork+exec: ${(((summarize(pooled(wall, FORKTOP)).median - summarize(pooled(wall, UNTRACED)).median) / FORKS) * 1e-3).toFixed(0)} µs more`,
  });
  if (haveStrace) rows.push({ suite: "pending", measure: "forktop tracer vs strace -f -e trace=none", ratio: ratio(wall, FORKTOP, STRACE), ratioTo: STRACE, ratioUnit: "×" });
  return {
    rows,
    notes: [`${rounds} interleaved rounds × ${perBatch} runs; each contender is sh -c 'exec [TRACER] sh -c WORKLOAD >/dev/null', timed by spawnt (spawn to exit).`],
    raw: { rounds, perBatch, wall },
  };
}

export const pendingSuite: Suite = {
  name: "pending",
  title: "forktop overhead",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const f = await forktopOverhead(ctx);
    return { name: "pending", title: this.title, rows: f.rows, figures: [], notes: f.notes, raw: f.raw };
  },
};
