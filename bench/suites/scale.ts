/**
 * Cost growth with live voids: 1 to 1,000 voids alive in one orchestrator
 * (bench/scale-driver.ts, a process of its own). At each level: the spawn
 * time of one more void through the orchestrator and through the C floor
 * (interleaved), the orchestrator's memory and CPU, the machine's memory;
 * then the teardown of all of them. Growth is judged by log-log slopes:
 * 0 is flat, 1 linear, above 1 worse than linear.
 */
import { join } from "node:path";
import { awaitQuiet, type Ctx, type Row, runJsonLines, type Suite, type SuiteResult } from "../context.js";
import { logLogSlope, median, summarize, scale as scaleBy } from "../stats.js";
import { lineChart } from "../svg.js";
import { onePlan, STDOUT_SPEC, writePlanFile } from "../voids.js";

interface Level {
  level: number;
  added: number;
  addWallNs: number;
  spawnNs: number[];
  orchestratorCpuNsPerAdded: number | null;
  machineCpuNsPerAdded: number | null;
  probeAddonNs: number[];
  probeFloorNs: number[];
  probeFloorFdsNs: number[];
  nsCostNs: Record<string, number>;
  rss: number;
  heapUsed: number;
  fds: number;
  memAvailableDrop: number;
  slabGrowth: number;
}

interface DriverOut {
  levels: Level[];
  teardown: { voids: number; wallNs: number; machineCpuNs: number; memAvailableDropAfter: number; slabAfter: number };
  slabGrowth: { name: string; bytes: number }[];
}

export const scaleSuite: Suite = {
  name: "scale",
  title: "Cost growth with live voids (1 → 1,000)",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const levels = ctx.budget.quick ? [1, 10, 50] : [1, 10, 100, 300, 1000];
    const probes = ctx.budget.quick ? 3 : 8;
    const { build, code, node, trueStatic } = ctx.paths;
    const planFile = join(build, "plans", "scale-true.plan");
    writePlanFile(onePlan(STDOUT_SPEC, trueStatic), planFile);
    await awaitQuiet(ctx);
    const [out] = runJsonLines<DriverOut>(node, [join(code, "dist", "bench", "scale-driver.js"), trueStatic, join(build, "sleep"), build, planFile, levels.join(","), String(probes)], {
      cwd: ctx.paths.repo,
      timeoutMs: 400_000,
    });
    if (out === undefined) throw new Error("scale-driver: no output");
    const L = out.levels;
    const first = L[0]!;
    /** One series of the growth figure: each level's samples over the median of `base`, with p10–p90. */
    const relativeTo = (base: number[], pick: (l: Level) => number[]) =>
      L.map((l) => {
        const s = summarize(pick(l));
        const b = median(base);
        return { x: l.level, y: s.median / b, lo: s.p10 / b, hi: s.p90 / b };
      });
    const rows: Row[] = [];
    for (const l of L) {
      const addon = summarize(l.probeAddonNs);
      const floor = summarize(l.probeFloorNs);
      rows.push({
        suite: "scale",
        measure: `${l.level} live: one more void, spawn→exit (addon)`,
        value: scaleBy(addon, 1e-6),
        unit: "ms",
        ratio: { ...summarize([addon.median / floor.median]), p10: addon.p10 / floor.median, p90: addon.p90 / floor.median },
        ratioTo: `C floor at ${l.level} live (${(floor.median / 1e6).toFixed(2)} ms)`,
        ratioUnit: "×",
        note: `orchestrator RSS ${(l.rss / 2 ** 20).toFixed(0)} MiB, heap ${(l.heapUsed / 2 ** 20).toFixed(1)} MiB, ${l.fds} fds; machine memory in use +${Math.max(0, l.memAvailableDrop / 2 ** 20).toFixed(0)} MiB (MemAvailable)`,
      });
    }
    const last = L[L.length - 1]!;
    for (const l of [first, last]) {
      const fds = summarize(l.probeFloorFdsNs);
      rows.push({
        suite: "scale",
        measure: `${l.level} live: C floor holding the orchestrator's ${l.fds} fds, spawn→exit`,
        value: scaleBy(fds, 1e-6),
        unit: "ms",
        ratio: summarize([fds.median / median(l.probeFloorNs)]),
        ratioTo: "C floor with few fds, same level",
        ratioUnit: "×",
      });
    }
    const nsGrowth = Object.keys(last.nsCostNs).map((k) => `${k} ${((last.nsCostNs[k] ?? Number.NaN) / (first.nsCostNs[k] ?? Number.NaN)).toFixed(2)}×`);
    rows.push({
      suite: "scale",
      measure: `C clone+exit per namespace at ${last.level} live ÷ at ${first.level} live`,
      note: nsGrowth.join(", "),
    });
    rows.push({
      suite: "scale",
      measure: `slab caches that grew most with ${last.level} live voids`,
      note: out.slabGrowth
        .slice(0, 6)
        .map((g) => `${g.name} ${(g.bytes / last.level / 1024).toFixed(0)} KiB/void`)
        .join(", "),
    });
    const perVoid = (bytes: number) => (bytes / last.level / 1024).toFixed(0);
    const spawnLevels = L.filter((l) => l.added > 0).map((l) => ({ x: l.level, y: median(l.spawnNs) }));
    const slopes = {
      probeAddon: logLogSlope(L.map((l) => ({ x: l.level, y: median(l.probeAddonNs) }))),
      probeFloor: logLogSlope(L.map((l) => ({ x: l.level, y: median(l.probeFloorNs) }))),
      spawnWhileFilling: logLogSlope(spawnLevels),
      // Growth above the first level, against the voids added since.
      rss: logLogSlope(L.slice(1).map((l) => ({ x: l.level - first.level, y: l.rss - first.rss }))),
      memAvailableDrop: logLogSlope(L.slice(1).map((l) => ({ x: l.level - first.level, y: l.memAvailableDrop - first.memAvailableDrop }))),
    };
    rows.push({
      suite: "scale",
      measure: `growth: one more void's spawn time vs live voids (log-log slope; 0 flat, 1 linear)`,
      ratio: summarize([slopes.probeAddon]),
      ratioTo: `slope; C floor ${slopes.probeFloor.toFixed(2)}`,
      ratioUnit: "",
    });
    rows.push({
      suite: "scale",
      measure: `${last.level} live voids: memory per void`,
      note: `machine MemAvailable −${perVoid(last.memAvailableDrop)} KiB/void (of it slab ${perVoid(last.slabGrowth)} KiB), orchestrator RSS +${((last.rss - first.rss) / Math.max(1, last.level - first.level) / 1024).toFixed(1)} KiB/void; log-log slopes vs voids added: machine memory ${slopes.memAvailableDrop.toFixed(2)}, RSS ${slopes.rss.toFixed(2)}`,
    });
    const cpuPer = L.filter((l) => l.orchestratorCpuNsPerAdded !== null && l.added >= 10);
    rows.push({
      suite: "scale",
      measure: "orchestrator CPU per spawned void, by level",
      note: cpuPer.map((l) => `${l.level}: ${((l.orchestratorCpuNsPerAdded ?? 0) / 1e3).toFixed(0)} µs (machine ${((l.machineCpuNsPerAdded ?? 0) / 1e3).toFixed(0)} µs)`).join("; "),
    });
    rows.push({
      suite: "scale",
      measure: `teardown of ${out.teardown.voids} voids (SIGKILL → every exit seen)`,
      value: summarize([out.teardown.wallNs / 1e6]),
      unit: "ms",
      note: `${(out.teardown.wallNs / out.teardown.voids / 1e3).toFixed(0)} µs/void wall, ${(out.teardown.machineCpuNs / out.teardown.voids / 1e3).toFixed(0)} µs/void machine CPU (incl. 300 ms settle); 300 ms later the machine still holds +${(out.teardown.memAvailableDropAfter / 2 ** 20).toFixed(0)} MiB (slab +${(out.teardown.slabAfter / 2 ** 20).toFixed(0)} MiB)`,
    });
    const svg = lineChart({
      title: "One more void while N voids live, × the same spawn with 1 live",
      subtitle: "spawn→exit of static true; median of 3 interleaved rounds per level, p10–p90 whiskers",
      xAxis: "live voids (log scale)",
      yAxis: "× spawn time at the first level",
      logX: true,
      series: [
        { name: "addon (orchestrator)", points: relativeTo(first.probeAddonNs, (l) => l.probeAddonNs) },
        { name: "C floor", points: relativeTo(first.probeFloorNs, (l) => l.probeFloorNs) },
        { name: "C floor, orchestrator's fds", points: relativeTo(first.probeFloorNs, (l) => l.probeFloorFdsNs) },
        {
          name: "orchestrator RSS",
          points: L.map((l) => ({ x: l.level, y: l.rss / first.rss })),
        },
      ],
      refs: [{ at: 1, label: "no growth" }],
    });
    return {
      name: "scale",
      title: this.title,
      rows,
      figures: [{ file: "scale.svg", svg, caption: "Spawn time of one more void and orchestrator memory as live voids grow, as ratios to the first level." }],
      notes: [
        `Log-log slopes: ${Object.entries(slopes)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(", ")}.`,
      ],
      raw: out,
    };
  },
};
