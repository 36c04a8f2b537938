/**
 * Trigger throughput: fresh voids per second through a Pipe trigger and a
 * FileSocket trigger at -j 1, 2 and 8. A Startup void (bench/c/trig.c,
 * with lib/c) sends N messages; each message starts a receiver void that
 * writes its CLOCK_MONOTONIC reading on stdout and exits. Handled messages
 * are the receivers' lines; the sustained rate is taken between the first
 * and the last receiver. The C floor (bench/c/floor.c -j) spawns the same
 * receiver void from 1, 2 and 8 threads, with and without a network
 * namespace, in the same rounds.
 *
 * Latency (the moonshot): a Startup void sends messages 20 ms apart, each
 * stamped with CLOCK_MONOTONIC just before its write; the receiver reports
 * the time from that write to its own first instruction. With `--prepare
 * 1` (the default) the void for each message was built before it came
 * (src/orchestrator/prepared.ts); with `--prepare 0` it is built on
 * arrival. Interleaved rounds, the ratio taken per round.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitQuiet, busyNs, cpuMark, type Ctx, type Row, runJsonLines, type Suite, type SuiteResult } from "../context.js";
import { pooled, quantile, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";
import { barChart } from "../svg.js";
import { plansFor, writePlanFile } from "../voids.js";

const SPECS = {
  Pipe: {
    entrypoints: {
      "sender-pipe": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "m" } }, "Trailing"] },
      receiver: { trigger: { Pipe: "m" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
    },
  },
  FileSocket: {
    entrypoints: {
      "sender-socket": { args: ["BinaryName", "Entrypoint", { FileSocket: { Tx: "c" } }, "Trailing"] },
      receiver: { trigger: { FileSocket: "c" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
    },
  },
} as const;

const JS = [1, 2, 8];

const LATENCY_SPEC = {
  entrypoints: {
    "sender-paced": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "m" } }, "Trailing"] },
    receiver: { trigger: { Pipe: "m" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
  },
};
const LATENCY_TARGET = "moonshot: message → entrypoint running ≤ 0.5 ms p50";
const PREPARED = "Pipe trigger, a void prepared ahead (--prepare 1, the default)";
const ON_ARRIVAL = "Pipe trigger, the void built on arrival (--prepare 0)";

interface Case {
  name: string;
  run(n: number): { rate: number; handled: number; cpuPerVoid: number };
}

export const triggerSuite: Suite = {
  name: "trigger",
  title: "Trigger throughput",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const rounds = ctx.budget.quick ? 1 : 6;
    const n = ctx.budget.quick ? 200 : 600;
    const { build, code, node } = ctx.paths;
    const trig = join(build, "trig");
    const dir = join(build, "trigger");
    mkdirSync(dir, { recursive: true });
    const cores = Number(spawnSync("nproc", [], { encoding: "utf8" }).stdout.trim()) || 1;
    const cases: Case[] = [];
    for (const [kind, spec] of Object.entries(SPECS)) {
      const specFile = join(dir, `${kind}.json`);
      writeFileSync(specFile, JSON.stringify(spec));
      for (const j of JS) {
        cases.push({
          name: `void ${kind} trigger -j ${j}`,
          run: (count) => {
            const m0 = cpuMark();
            const r = spawnSync(node, [join(code, "bin", "void"), "run", "-j", String(j), "-s", specFile, trig, String(count)], {
              encoding: "utf8",
              maxBuffer: 64 * 1024 * 1024,
              timeout: 300_000,
            });
            const m1 = cpuMark();
            if (r.status !== 0) throw new Error(`void run (${kind}, -j ${j}) exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 1000)}`);
            const stamps = r.stdout
              .split("\n")
              .filter((l) => l.startsWith("T "))
              .map((l) => Number(l.slice(2)))
              .sort((a, b) => a - b);
            const span = (stamps[stamps.length - 1]! - stamps[0]!) / 1e9;
            return { rate: stamps.length > 1 ? (stamps.length - 1) / span : Number.NaN, handled: stamps.length, cpuPerVoid: busyNs(m0, m1, cores) / count };
          },
        });
      }
    }
    const [receiver] = plansFor(SPECS.Pipe, trig).filter((p) => p.entrypoint === "receiver");
    if (receiver === undefined) throw new Error("trigger: no receiver plan");
    const planFile = join(dir, "receiver.plan");
    writePlanFile(receiver, planFile);
    const env = { ...process.env, VOID_INIT: join(code, "build", "void-init") };
    const floorCase = (j: number, extra: string[]): Case => ({
      name: `C floor -j ${j}${extra.length ? " without CLONE_NEWNET" : ""}`,
      run: (count) => {
        const m0 = cpuMark();
        const [o] = runJsonLines<{ voids: number; wall_ns: number; failures: number }>(join(build, "floor"), [planFile, "-n", String(count), "-j", String(j), "--seccomp", ...extra], {
          env,
          cwd: ctx.paths.repo,
        });
        const m1 = cpuMark();
        if (o === undefined || o.failures > 0) throw new Error(`floor -j ${j}: ${JSON.stringify(o)}`);
        return { rate: o.voids / (o.wall_ns / 1e9), handled: o.voids, cpuPerVoid: busyNs(m0, m1, cores) / count };
      },
    });
    for (const j of JS) cases.push(floorCase(j, []));
    cases.push(floorCase(2, ["--no-net"]));
    for (const c of cases) c.run(Math.min(50, n)); // warm-up
    const rate: Rounds = [];
    const cpu: Rounds = [];
    const handled: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      await awaitQuiet(ctx);
      const rr: Record<string, number[]> = {};
      const cc: Record<string, number[]> = {};
      for (const c of rotate(cases, r * 3)) {
        const out = c.run(n);
        rr[c.name] = [out.rate];
        cc[c.name] = [out.cpuPerVoid];
        handled[c.name] = [...(handled[c.name] ?? []), out.handled];
      }
      rate.push(rr);
      cpu.push(cc);
    }
    // Latency from message to entrypoint, prepared ahead or built on arrival.
    const latencyFile = join(dir, "latency.json");
    writeFileSync(latencyFile, JSON.stringify(LATENCY_SPEC));
    const perRun = ctx.budget.quick ? 30 : 120;
    const latency: Rounds = [];
    const latencyRun = (prepare: number): number[] => {
      const r = spawnSync(node, [join(code, "bin", "void"), "run", "--prepare", String(prepare), "-s", latencyFile, trig, String(perRun), "20"], { encoding: "utf8", timeout: 120_000 });
      if (r.status !== 0) throw new Error(`void run --prepare ${prepare} exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 1000)}`);
      // The first message may come before the first void is ready: dropped from both.
      return r.stdout
        .split("\n")
        .filter((l) => l.startsWith("L "))
        .map((l) => Number(l.slice(2)))
        .slice(1);
    };
    const latencyRounds = ctx.budget.quick ? 1 : 3;
    for (let r = 0; r < latencyRounds; r++) {
      await awaitQuiet(ctx);
      const order = r % 2 === 0 ? [1, 0] : [0, 1];
      const lr: Record<string, number[]> = {};
      for (const prepare of order) lr[prepare === 1 ? PREPARED : ON_ARRIVAL] = latencyRun(prepare);
      latency.push(lr);
    }
    const rows: Row[] = [];
    for (const name of [PREPARED, ON_ARRIVAL]) {
      const s = summarize(pooled(latency, name));
      rows.push({
        suite: "trigger",
        measure: `${name}: message → entrypoint's first instruction`,
        value: scale(s, 1e-6),
        unit: "ms",
        ...(name === PREPARED ? { ratio: ratio(latency, PREPARED, ON_ARRIVAL), ratioTo: ON_ARRIVAL, ratioUnit: "×", target: LATENCY_TARGET, met: s.median <= 0.5e6 } : {}),
        note: `${perRun - 1} messages 20 ms apart per run, ${latencyRounds} interleaved runs; p99 ${(quantile(pooled(latency, name), 0.99) / 1e6).toFixed(2)} ms`,
      });
    }
    for (const c of cases) {
      const floorName = c.name.startsWith("void") ? `C floor -j ${c.name.split("-j ")[1]}` : c.name.includes("without") ? "C floor -j 2" : undefined;
      const isVoid = c.name.startsWith("void");
      const s = summarize(pooled(rate, c.name));
      rows.push({
        suite: "trigger",
        measure: `${c.name}: voids/s`,
        value: s,
        unit: "/s",
        ...(floorName ? { ratio: ratio(rate, c.name, floorName), ratioTo: floorName, ratioUnit: "×" } : {}),
        // -j 1 runs one void at a time: it cannot use the second core.
        ...(isVoid && !c.name.endsWith("-j 1") ? { target: "≥ 400 fresh triggered voids/s on 2 cores", met: s.median >= 400 } : {}),
        note: `handled ${handled[c.name]!.join(", ")} of ${n} per run; machine CPU ${(summarize(pooled(cpu, c.name)).median / 1e6).toFixed(2)} ms/void`,
      });
    }
    for (const kind of Object.keys(SPECS)) {
      const best = Math.max(...JS.filter((j) => j > 1).map((j) => summarize(pooled(rate, `void ${kind} trigger -j ${j}`)).median));
      rows.push({
        suite: "trigger",
        measure: `void ${kind} trigger, best of -j 2 and -j 8: voids/s sustained`,
        value: summarize([best]),
        unit: "/s",
        target: "≥ 400 fresh triggered voids/s on 2 cores",
        met: best >= 400,
      });
    }
    const svg = barChart({
      title: "Fresh triggered voids per second, × the C floor at the same concurrency",
      subtitle: `${n} messages per run, ${rounds} interleaved rounds; static receiver (bench/c/trig.c)`,
      axis: "× C floor voids/s with the same number of concurrent spawns (median, p10–p90)",
      bars: cases
        .filter((c) => c.name.startsWith("void"))
        .map((c) => {
          const s = ratio(rate, c.name, `C floor -j ${c.name.split("-j ")[1]}`);
          return { label: c.name, value: s.median, lo: s.p10, hi: s.p90, group: c.name.split(" ")[1] };
        }),
      refs: [{ at: 1, label: "C floor" }],
    });
    return {
      name: "trigger",
      title: this.title,
      rows,
      figures: [{ file: "trigger.svg", svg, caption: "Triggered voids per second as a ratio to the C floor's rate at the same concurrency, same rounds." }],
      notes: ["Machine CPU per void is every core's busy time (cpuidle residency) over the run, divided by the messages: it includes the kernel's deferred network-namespace teardown."],
      raw: { rounds, n, rate, cpu, handled, latency },
    };
  },
};
