/**
 * Per-namespace cost: clone + exit with no new namespace, each namespace
 * alone, all of them, all but the network (bench/c/ns_cost.c, the floor),
 * and — interleaved in the same rounds — a whole void through the addon
 * (spawn to exit of the static true), which is the only per-void entry
 * point the addon has: measuring the addon per namespace needs an addon
 * function it does not have (docs/performance.md names it).
 */
import { join } from "node:path";
import { awaitQuiet, type Ctx, type Row, runJsonLines, type Suite, type SuiteResult } from "../context.js";
import { type Rounds, ratio, rotate, summarize, scale, pooled } from "../stats.js";
import { barChart } from "../svg.js";
import { AddonSpawner, onePlan, STDOUT_SPEC } from "../voids.js";

interface Batch {
  config: string;
  round: number;
  n: number;
  mean_ns: number;
  median_ns: number;
  cpu_ns: number;
  window_ns: number;
  busy_ns: number;
}

const CONFIGS = ["none", "user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time", "all", "all-but-net"];
const ADDON = "addon: whole void";

export const nsSuite: Suite = {
  name: "ns",
  title: "Per-namespace cost (clone + exit)",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const rounds = ctx.budget.quick ? 3 : 20;
    const iterations = ctx.budget.quick ? 10 : 40;
    const addonPerRound = ctx.budget.quick ? 5 : 15;
    const spawner = new AddonSpawner(onePlan(STDOUT_SPEC, ctx.paths.trueStatic));
    await spawner.batch(3); // warm-up
    const wall: Rounds = [];
    const cpu: Rounds = [];
    for (let r = 0; r < rounds; r++) {
      await awaitQuiet(ctx);
      const w: Record<string, number[]> = {};
      const c: Record<string, number[]> = {};
      // Alternate which goes first: the C batches or the addon's.
      const steps = rotate(["c", "addon"], r);
      for (const step of steps) {
        if (step === "c") {
          const batches = runJsonLines<Batch>(join(ctx.paths.build, "ns_cost"), ["-n", String(iterations), "-r", "1", "-o", String(r)]);
          // CPU per clone above the machine's background (the round's idle window).
          const idle = batches.find((b) => b.config === "idle");
          const background = idle && idle.window_ns > 0 ? idle.busy_ns / idle.window_ns : 0;
          for (const b of batches) {
            if (b.config === "idle") continue;
            w[b.config] = [b.median_ns];
            c[b.config] = [(b.busy_ns - background * b.window_ns) / b.n];
          }
        } else {
          w[ADDON] = (await spawner.batch(addonPerRound)).map((s) => s.exit);
        }
      }
      wall.push(w);
      cpu.push(c);
    }
    const rows: Row[] = [];
    for (const name of [...CONFIGS, ADDON]) {
      rows.push({
        suite: "ns",
        measure: name === ADDON ? "addon: whole void, spawn→exit (static true)" : `C clone+exit: ${name}`,
        value: scale(summarize(pooled(wall, name)), 1e-3),
        unit: "µs",
        ratio: ratio(wall, name, "none"),
        ratioTo: "C clone+exit, no namespace",
        ratioUnit: "×",
        note:
          name === ADDON
            ? "the addon has one spawn entry point (a whole void); per-namespace cost through it needs a new addon function"
            : undefined,
      });
    }
    rows.push({
      suite: "ns",
      measure: "network namespace share of all namespaces (C clone+exit)",
      ratio: summarize(wall.map((w) => 1 - (w["all-but-net"]![0]! / w["all"]![0]!))),
      ratioTo: "(all − all-but-net) / all",
      ratioUnit: "",
    });
    rows.push({
      suite: "ns",
      measure: "addon whole void vs C clone+exit with all namespaces",
      ratio: ratio(wall, ADDON, "all"),
      ratioTo: "C clone+exit, all namespaces",
      ratioUnit: "×",
      note: "the rest of a void: mounts, pivot_root, fds, caps, void-init, exec, Node",
    });
    const bars = CONFIGS.map((name) => {
      const s = ratio(wall, name, "none");
      return { label: name, value: s.median, lo: s.p10, hi: s.p90, group: name.startsWith("all") ? "all" : "one" };
    });
    const svg = barChart({
      title: "Namespace cost: clone + exit, × the same clone with no new namespace",
      subtitle: `C floor (bench/c/ns_cost.c, CLONE_VM|CLONE_VFORK via clone3), ${rounds} interleaved rounds × ${iterations} clones`,
      axis: "× clone+exit without a new namespace (median of rounds, p10–p90 whiskers)",
      bars,
      refs: [{ at: 1, label: "no namespace" }],
      digits: 1,
    });
    return {
      name: "ns",
      title: this.title,
      rows,
      figures: [{ file: "ns-cost.svg", svg, caption: "Per-namespace clone+exit cost, as a ratio to a clone with no new namespace (same rounds)." }],
      notes: [
        "Each C batch's median is one sample per round; the addon's samples are whole voids (spawn→exit of bench/c/true.c as seen by JavaScript).",
        "CLONE_NEWTIME with CLONE_VM creates the namespace but the child enters it only at execve; the cost measured is the creation.",
        "The machine CPU of each batch (cpuidle, incl. the kernel's deferred network-namespace teardown) is in latest.json; batches are too short for it to rise above other work on the machine: the trigger suite measures the network namespace's CPU share over hundreds of voids instead.",
      ],
      raw: { rounds, iterations, wall, cpu },
    };
  },
};
