/**
 * Void spawn latency: from just before spawning to the first instruction
 * of the entrypoint (bench/c/true.c writes CLOCK_MONOTONIC first thing)
 * and to its exit as the launcher sees it, for
 *   - the addon: this process's Launcher, marshal and a plan from
 *     planApplication with the real host (a running orchestrator);
 *   - the C floor (bench/c/floor.c): the same plan bytes, the same
 *     syscalls, from a plain C program; also with native/void_spawn.c
 *     itself, without void-init, and without the network namespace;
 *   - bwrap --unshare-all --ro-bind true /true /true;
 *   - unshare -Urmpfin true;
 * and for a dynamic binary (/bin/true, libraries resolved by the planner)
 * through the addon, the floor and bwrap with the same binds.
 * Contenders run round-robin, the order rotating every round.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { awaitQuiet, type Ctx, ms, type Row, runJsonLines, spawnt, type Suite, type SuiteResult } from "../context.js";
import { Launcher } from "../../src/orchestrator/launcher.js";
import type { VoidPlan } from "../../src/plan/types.js";
import { pooled, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";
import { barChart } from "../svg.js";
import { AddonSpawner, hasSeccomp, hostFds, literalArgv, onePlan, STDOUT_SPEC, writePlanFile } from "../voids.js";

interface FloorOut {
  clone: number[];
  first: number[];
  exit: number[];
  /** The handwritten child's steps: ns per step per spawn. */
  steps?: Record<string, number[]>;
}

interface Contender {
  name: string;
  /** The binary's kind: static true.c (timestamps) or dynamic /bin/true (exit only). */
  kind: "static" | "dynamic";
  batch(n: number): Promise<{ first: number[]; exit: number[]; spawned?: number[] }>;
}

export const ADDON = "addon (Launcher, in a running orchestrator)";
export const FLOOR = "C floor: same syscalls + void-init";
const FLOOR_NATIVE = "C floor: native/void_spawn.c from C";
const FLOOR_DIRECT = "C floor: no void-init (exec true directly)";
const FLOOR_NONET = "C floor: without CLONE_NEWNET";
const FLOOR_MUSL = "C floor: void-init linked with musl";
const FLOOR_NOSECCOMP = "C floor: without the seccomp filter";
export const BWRAP = "bwrap --unshare-all --ro-bind true /true /true";
const UNSHARE = "unshare -Urmpfin true";
const ADDON_DYN = "addon: /bin/true, libraries auto-bound";
const FLOOR_DYN = "C floor: /bin/true, same binds";
const BWRAP_DYN = "bwrap --unshare-all: /bin/true, same binds";

/** bwrap arguments that give the void the plan's binds and symlinks. */
function bwrapMounts(plan: VoidPlan): string[] {
  return plan.mounts.flatMap((m) => {
    if (m.type === "bind") return [m.readOnly ? "--ro-bind" : "--bind", m.source, m.dest];
    if (m.type === "symlink") return ["--symlink", m.target, m.dest];
    return [];
  });
}

/** Reads /proc/PID/timens_offsets of a live void: "monotonic 0 0 / boottime 0 0" means the clocks are the host's. */
async function timeNamespaceOffsets(sleeper: VoidPlan): Promise<string> {
  const launcher = new Launcher();
  const v = await launcher.spawn({ plan: sleeper, argv: literalArgv(sleeper), hostFds: hostFds(sleeper, -1), debug: false });
  let text: string;
  try {
    text = readFileSync(`/proc/${v.pid}/timens_offsets`, "utf8").trim().replace(/\s+/g, " ");
  } catch (e) {
    text = `unreadable: ${e instanceof Error ? e.message : String(e)}`;
  }
  v.signal(9);
  await v.exited;
  return text;
}

export const latencySuite: Suite = {
  name: "latency",
  title: "Void spawn latency",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const rounds = ctx.budget.quick ? 3 : 24;
    const perBatch = ctx.budget.quick ? 5 : 20;
    const staticPlan = onePlan(STDOUT_SPEC, ctx.paths.trueStatic);
    const dynPlan = onePlan(STDOUT_SPEC, "/bin/true");
    const planDir = join(ctx.paths.build, "plans");
    mkdirSync(planDir, { recursive: true });
    const staticFile = join(planDir, "true-static.plan");
    const dynFile = join(planDir, "bin-true.plan");
    writePlanFile(staticPlan, staticFile);
    writePlanFile(dynPlan, dynFile);
    const floorBin = join(ctx.paths.build, "floor");
    const env = { ...process.env, VOID_INIT: join(ctx.paths.code, "build", "void-init") };
    const muslInit = join(ctx.paths.build, "void-init-musl");
    const steps: Record<string, number[]> = {};
    const floor =
      (file: string, extra: string[], init?: string, record = false) =>
      async (n: number) => {
        const seccomp = extra.includes("--no-seccomp") ? [] : ["--seccomp"];
        const args = [file, "-n", String(n), ...seccomp, ...extra.filter((a) => a !== "--no-seccomp")];
        const [o] = runJsonLines<FloorOut>(floorBin, args, { env: init ? { ...env, VOID_INIT: init } : env, cwd: ctx.paths.repo });
        if (o === undefined) throw new Error("floor: no output");
        if (record && o.steps) {
          // Per spawn: the child's steps, then execve of void-init to the
          // entrypoint's first instruction, then the way out (exit seen).
          const inChild = o.first.map((_, i) => Object.values(o.steps!).reduce((sum, v) => sum + (v[i] ?? 0), 0));
          const add = (name: string, values: number[]) => {
            steps[name] = [...(steps[name] ?? []), ...values];
          };
          for (const [name, values] of Object.entries(o.steps)) add(name, values);
          add(
            "execve void-init, fork, execve entrypoint (to its first instruction)",
            o.first.map((f, i) => f - inChild[i]!),
          );
          add(
            "entrypoint exits → void-init reports, exits → namespaces torn down → waitid",
            o.exit.map((e, i) => e - o.first[i]!),
          );
        }
        return { first: o.first, exit: o.exit, spawned: o.clone };
      };
    const external = (cmd: string[]) => async (n: number) => {
      const t = spawnt(ctx, n, cmd);
      return { first: t.first, exit: t.exit };
    };
    const addon = (plan: VoidPlan) => {
      const s = new AddonSpawner(plan);
      return async (n: number) => {
        const samples = await s.batch(n);
        return { first: samples.map((x) => x.first), exit: samples.map((x) => x.exit), spawned: samples.map((x) => x.spawned) };
      };
    };
    const t = ctx.paths.trueStatic;
    const contenders: Contender[] = [
      { name: ADDON, kind: "static", batch: addon(staticPlan) },
      { name: FLOOR, kind: "static", batch: floor(staticFile, [], undefined, true) },
      { name: FLOOR_NATIVE, kind: "static", batch: floor(staticFile, ["--native"]) },
      { name: FLOOR_DIRECT, kind: "static", batch: floor(staticFile, ["--direct"]) },
      { name: FLOOR_NONET, kind: "static", batch: floor(staticFile, ["--no-net"]) },
      { name: FLOOR_NOSECCOMP, kind: "static", batch: floor(staticFile, ["--no-seccomp"]) },
      ...(existsSync(muslInit) ? [{ name: FLOOR_MUSL, kind: "static" as const, batch: floor(staticFile, [], muslInit) }] : []),
      { name: BWRAP, kind: "static", batch: external(["bwrap", "--unshare-all", "--ro-bind", t, "/true", "/true"]) },
      { name: UNSHARE, kind: "static", batch: external(["unshare", "-Urmpfin", t]) },
      { name: ADDON_DYN, kind: "dynamic", batch: addon(dynPlan) },
      { name: FLOOR_DYN, kind: "dynamic", batch: floor(dynFile, []) },
      { name: BWRAP_DYN, kind: "dynamic", batch: external(["bwrap", "--unshare-all", ...bwrapMounts(dynPlan), dynPlan.exec]) },
    ];
    for (const c of contenders) await c.batch(2); // warm-up: page cache, lazy binding, JIT
    for (const k of Object.keys(steps)) delete steps[k];
    const first: Rounds = [];
    const exit: Rounds = [];
    const spawned: Rounds = [];
    let clockChecked = 0;
    const clockBad: string[] = [];
    for (let r = 0; r < rounds; r++) {
      await awaitQuiet(ctx);
      const f: Record<string, number[]> = {};
      const e: Record<string, number[]> = {};
      const s: Record<string, number[]> = {};
      for (const c of rotate(contenders, r)) {
        const out = await c.batch(perBatch);
        e[c.name] = out.exit;
        if (out.spawned) s[c.name] = out.spawned;
        if (c.kind === "static") {
          f[c.name] = out.first;
          out.first.forEach((x, i) => {
            clockChecked++;
            if (!(x > 0 && x < out.exit[i]!)) clockBad.push(`${c.name}: first ${x} ns, exit ${out.exit[i]} ns`);
          });
        }
      }
      first.push(f);
      exit.push(e);
      spawned.push(s);
    }
    const offsets = await timeNamespaceOffsets(onePlan(STDOUT_SPEC, join(ctx.paths.build, "sleep")));
    const rows: Row[] = [];
    for (const c of contenders) {
      const base = c.kind === "static" ? FLOOR : FLOOR_DYN;
      if (c.kind === "static") {
        rows.push({
          suite: "latency",
          measure: `${c.name}: spawn→first instruction`,
          value: scale(summarize(pooled(first, c.name)), 1e-6),
          unit: "ms",
          ratio: ratio(first, c.name, base),
          ratioTo: base,
          ratioUnit: "×",
          ...(c.name === ADDON ? { target: "void spawn ≤ 1.25× the C floor", met: ratio(first, ADDON, FLOOR).median <= 1.25 } : {}),
        });
      }
      rows.push({
        suite: "latency",
        measure: `${c.name}: spawn→exit`,
        value: scale(summarize(pooled(exit, c.name)), 1e-6),
        unit: "ms",
        ratio: ratio(exit, c.name, base),
        ratioTo: base,
        ratioUnit: "×",
        ...(c.name === ADDON ? { target: "void spawn→exit ≤ 1.25× the C floor", met: ratio(exit, ADDON, FLOOR).median <= 1.25 } : {}),
      });
    }
    const bw = ratio(exit, BWRAP, ADDON);
    rows.push({
      suite: "latency",
      measure: "bwrap --unshare-all per void ÷ void per void (spawn→exit, static true)",
      ratio: bw,
      ratioTo: "addon",
      ratioUnit: "×",
      target: "≥ 2× faster per void than bwrap --unshare-all",
      met: bw.median >= 2,
    });
    if (existsSync(muslInit)) {
      rows.push({
        suite: "latency",
        measure: "bwrap ÷ C floor with void-init linked with musl (spawn→exit)",
        ratio: ratio(exit, BWRAP, FLOOR_MUSL),
        ratioTo: FLOOR_MUSL,
        ratioUnit: "×",
        note: "what a musl-linked void-init would give the addon, which tracks the floor",
      });
    }
    const bwDyn = ratio(exit, BWRAP_DYN, ADDON_DYN);
    rows.push({ suite: "latency", measure: "bwrap ÷ void per void (/bin/true, same binds)", ratio: bwDyn, ratioTo: "addon", ratioUnit: "×" });
    rows.push({
      suite: "latency",
      measure: "addon: spawn() resolved (clone returned + completion on the event loop)",
      value: scale(summarize(pooled(spawned, ADDON)), 1e-6),
      unit: "ms",
      ratio: ratio(spawned, ADDON, FLOOR),
      ratioTo: "C floor: clone returned",
      ratioUnit: "×",
    });
    rows.push({
      suite: "latency",
      measure: "network namespace share of a void (C floor spawn→exit)",
      ratio: summarize(exit.map((e) => 1 - summarize(e[FLOOR_NONET]!).median / summarize(e[FLOOR]!).median)),
      ratioTo: "1 − (no net ÷ with net)",
      ratioUnit: "",
    });
    rows.push({
      suite: "latency",
      measure: "void-init's share of a void (C floor spawn→exit)",
      ratio: summarize(exit.map((e) => 1 - summarize(e[FLOOR_DIRECT]!).median / summarize(e[FLOOR]!).median)),
      ratioTo: "1 − (direct ÷ with void-init)",
      ratioUnit: "",
    });
    rows.push({
      suite: "latency",
      measure: "seccomp filter's share of a void (C floor spawn→exit)",
      ratio: summarize(exit.map((e) => 1 - summarize(e[FLOOR_NOSECCOMP]!).median / summarize(e[FLOOR]!).median)),
      ratioTo: "1 − (no filter ÷ with filter)",
      ratioUnit: "",
    });
    const floorExit = summarize(pooled(exit, FLOOR)).median;
    const stepRows = Object.entries(steps).map(([name, values]) => ({ name, s: summarize(values) }));
    for (const { name, s: st } of stepRows) {
      rows.push({
        suite: "latency",
        measure: `C floor step: ${name}`,
        value: scale(st, 1e-3),
        unit: "µs",
        note: `${((100 * st.median) / floorExit).toFixed(0)}% of the floor's median spawn→exit`,
      });
    }
    const stepsSvg = barChart({
      title: "Where a void's time goes: the C floor, step by step",
      subtitle: `each step's median as a share of the floor's median spawn→exit (${(floorExit / 1e6).toFixed(2)} ms); static true, ${rounds} rounds`,
      axis: "share of spawn→exit (p10–p90 whiskers)",
      bars: stepRows.map(({ name, s: st }) => ({ label: name, value: st.median / floorExit, lo: st.p10 / floorExit, hi: st.p90 / floorExit, group: "step" })),
      digits: 2,
    });
    const statics = contenders.filter((c) => c.kind === "static").map((c) => c.name);
    const svg = barChart({
      title: "Void spawn latency, × the C floor (same plan, same syscalls)",
      subtitle: `static true.c; ${rounds} interleaved rounds × ${perBatch} spawns; ${ms(summarize(pooled(exit, FLOOR)).median).toFixed(2)} ms floor spawn→exit`,
      axis: "× C floor (median of per-round ratios, p10–p90 whiskers)",
      bars: [
        ...statics.map((n) => {
          const s = ratio(first, n, FLOOR);
          return { label: `${n} · first instr.`, value: s.median, lo: s.p10, hi: s.p90, group: "first" };
        }),
        ...statics.map((n) => {
          const s = ratio(exit, n, FLOOR);
          return { label: `${n} · exit`, value: s.median, lo: s.p10, hi: s.p90, group: "exit" };
        }),
      ],
      refs: [
        { at: 1, label: "floor" },
        { at: 1.25, label: "target 1.25×" },
      ],
    });
    const dynSvg = barChart({
      title: "Dynamic /bin/true (libraries resolved by the planner), × the C floor",
      subtitle: `spawn→exit; ${rounds} interleaved rounds × ${perBatch} spawns`,
      axis: "× C floor with the same binds (median, p10–p90)",
      bars: [ADDON_DYN, FLOOR_DYN, BWRAP_DYN].map((n) => {
        const s = ratio(exit, n, FLOOR_DYN);
        return { label: n, value: s.median, lo: s.p10, hi: s.p90, group: n.split(":")[0] };
      }),
      refs: [{ at: 1, label: "floor" }],
    });
    return {
      name: "latency",
      title: this.title,
      rows,
      figures: [
        { file: "latency.svg", svg, caption: "Spawn→first instruction and spawn→exit of a static true, as ratios to the C floor measured in the same rounds." },
        { file: "latency-dynamic.svg", svg: dynSvg, caption: "Spawn→exit of /bin/true with its libraries bound, as ratios to the C floor with the same binds." },
        { file: "latency-steps.svg", svg: stepsSvg, caption: "The C floor's spawn→exit, step by step, as shares of its median." },
      ],
      notes: [
        `CLOCK_MONOTONIC check: ${clockChecked - clockBad.length}/${clockChecked} first-instruction readings fell between spawn and exit${clockBad.length ? `; out of range: ${clockBad.slice(0, 3).join("; ")}` : ""}.`,
        `A live void's /proc/PID/timens_offsets: "${offsets}" (zero offsets: MONOTONIC inside equals the launcher's).`,
        `The plan ${hasSeccomp(staticPlan) ? "has a seccomp filter; the C floors install the same filter (--seccomp)" : "has no seccomp filter"}.`,
        "bwrap --unshare-all makes no time namespace (and, as root, may skip the user namespace); unshare -Urmpfin makes no UTS, cgroup or time namespace and no new root.",
        existsSync(muslInit)
          ? "void-init linked with musl: bench/c/build.sh builds native/void_init.c unchanged with musl-gcc (Debian musl-tools)."
          : "Not measured: void-init linked with musl (musl-gcc is not installed: Debian musl-tools).",
      ],
      raw: { rounds, perBatch, first, exit, spawned, steps, offsets, clockChecked, clockBad },
    };
  },
};
