/**
 * Per-namespace cost: clone + exit with no new namespace, each namespace
 * alone, all of them, all but the network (bench/c/ns_cost.c, the floor),
 * and — interleaved in the same rounds — the same clones through the addon
 * (cloneExit of the benchmarks' own addon, bench/c/clone_exit_addon.c,
 * built by bench/c/build-addon.sh: the same clone3 on a libuv worker thread of this Node
 * process, timed there; and one call per clone timed from JavaScript,
 * which adds the worker hop), and a whole void through the addon (spawn
 * to exit of the static true).
 */
import { createRequire } from "node:module";
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

/** linux/sched.h */
const NS_FLAGS: Record<string, number> = {
  none: 0,
  user: 0x10000000,
  mnt: 0x00020000,
  pid: 0x20000000,
  net: 0x40000000,
  ipc: 0x08000000,
  uts: 0x04000000,
  cgroup: 0x02000000,
  time: 0x00000080,
};
NS_FLAGS["all"] = Object.values(NS_FLAGS).reduce((a, b) => a | b, 0);
NS_FLAGS["all-but-net"] = NS_FLAGS["all"] & ~NS_FLAGS["net"]!;
const viaAddon = (config: string) => `addon: ${config}`;
const fromJs = (config: string) => `addon from JS: ${config}`;
/** The configurations also timed one call per clone from JavaScript. */
const JS_CONFIGS = ["none", "all"];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The benchmarks' addon (bench/c/clone_exit_addon.c), built by bench/c/build.sh beside the C programs. */
function loadCloneExit(ctx: Ctx): { cloneExit(nsFlags: number, count: number): Promise<number[]> } {
  return createRequire(import.meta.url)(join(ctx.paths.build, "clone-exit.node")) as { cloneExit(nsFlags: number, count: number): Promise<number[]> };
}

export const nsSuite: Suite = {
  name: "ns",
  title: "Per-namespace cost (clone + exit)",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const rounds = ctx.budget.quick ? 3 : 20;
    const iterations = ctx.budget.quick ? 10 : 40;
    const addonPerRound = ctx.budget.quick ? 5 : 15;
    const spawner = new AddonSpawner(onePlan(STDOUT_SPEC, ctx.paths.trueStatic));
    await spawner.batch(3); // warm-up
    const addon = loadCloneExit(ctx);
    await addon.cloneExit(NS_FLAGS["all"]!, 3);
    const wall: Rounds = [];
    const cpu: Rounds = [];
    for (let r = 0; r < rounds; r++) {
      await awaitQuiet(ctx);
      const w: Record<string, number[]> = {};
      const c: Record<string, number[]> = {};
      // Alternate which goes first: the C batches or the addon's.
      const steps = rotate(["c", "addon", "clone"], r);
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
        } else if (step === "addon") {
          w[ADDON] = (await spawner.batch(addonPerRound)).map((s) => s.exit);
        } else {
          // The C batches' order, rotated the same way; one median per batch.
          for (const config of rotate(CONFIGS, r)) {
            w[viaAddon(config)] = [median(await addon.cloneExit(NS_FLAGS[config]!, iterations))];
            if (JS_CONFIGS.includes(config)) {
              const rt: number[] = [];
              for (let i = 0; i < iterations; i++) {
                const t0 = process.hrtime.bigint();
                await addon.cloneExit(NS_FLAGS[config]!, 1);
                rt.push(Number(process.hrtime.bigint() - t0));
              }
              w[fromJs(config)] = [median(rt)];
            }
          }
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
      });
    }
    for (const name of CONFIGS) {
      rows.push({
        suite: "ns",
        measure: `addon cloneExit (worker thread): ${name}`,
        value: scale(summarize(pooled(wall, viaAddon(name))), 1e-3),
        unit: "µs",
        ratio: ratio(wall, viaAddon(name), name),
        ratioTo: `C clone+exit, ${name}`,
        ratioUnit: "×",
      });
    }
    for (const name of JS_CONFIGS) {
      rows.push({
        suite: "ns",
        measure: `addon cloneExit from JavaScript, one call per clone: ${name}`,
        value: scale(summarize(pooled(wall, fromJs(name))), 1e-3),
        unit: "µs",
        ratio: ratio(wall, fromJs(name), name),
        ratioTo: `C clone+exit, ${name}`,
        ratioUnit: "×",
        note: "await addon.cloneExit(flags, 1): event loop → libuv worker → clone → back",
      });
    }
    rows.push({
      suite: "ns",
      measure: "network namespace share of all namespaces (addon cloneExit)",
      ratio: summarize(wall.map((w) => 1 - w[viaAddon("all-but-net")]![0]! / w[viaAddon("all")]![0]!)),
      ratioTo: "(all − all-but-net) / all",
      ratioUnit: "",
    });
    rows.push({
      suite: "ns",
      measure: "network namespace share of all namespaces (C clone+exit)",
      ratio: summarize(wall.map((w) => 1 - w["all-but-net"]![0]! / w["all"]![0]!)),
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
    const bars = CONFIGS.flatMap((name) =>
      [
        [`C: ${name}`, name, "C (bench/c/ns_cost.c)"],
        [`addon: ${name}`, viaAddon(name), "addon cloneExit (worker thread)"],
      ].map(([label, key, group]) => {
        const s = scale(summarize(pooled(wall, key!)), 1e-3);
        return { label: label!, value: s.median, lo: s.p10, hi: s.p90, group: group! };
      }),
    );
    const svg = barChart({
      title: "Namespace cost: clone + exit + reap, in C and through the addon",
      subtitle: `CLONE_VM|CLONE_VFORK via clone3 with each CLONE_NEW* flag; ${rounds} interleaved rounds × ${iterations} clones`,
      axis: "µs per clone (median of batch medians, p10–p90 whiskers)",
      bars,
      digits: 0,
    });
    return {
      name: "ns",
      title: this.title,
      rows,
      figures: [{ file: "ns-cost.svg", svg, caption: "Per-namespace clone+exit cost, in C and through the addon (same rounds)." }],
      notes: [
        "Each C batch's median is one sample per round, and so is each addon cloneExit batch's (timed on the worker thread); 'from JavaScript' is the median of one await per clone; the whole-void samples are spawn→exit of bench/c/true.c as seen by JavaScript.",
        "CLONE_NEWTIME with CLONE_VM creates the namespace but the child enters it only at execve; the cost measured is the creation.",
        "The machine CPU of each batch (cpuidle, incl. the kernel's deferred network-namespace teardown) is in latest.json; batches are too short for it to rise above other work on the machine: the trigger suite measures the network namespace's CPU share over hundreds of voids instead.",
      ],
      raw: { rounds, iterations, wall, cpu },
    };
  },
};
