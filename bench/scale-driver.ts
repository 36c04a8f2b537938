/**
 * The "live voids" benchmark, in a process of its own (so its 1,000 voids
 * and its heap are not the runner's): an orchestrator that raises the
 * number of live voids (bench/c/sleep.c, waiting forever) level by level
 * and, at each level, times one more void (spawn→exit of the static true)
 * through its own Launcher and through the C floor (floor.c, same plan),
 * interleaved, and records its own memory and CPU and the machine's
 * memory. At the end it kills every void it started and times the
 * teardown. Also at each level: the C floor holding as many open fds as
 * the orchestrator does (clone copies the fd table, the child closes every
 * copy), bench/c/ns_cost.c (which namespace's creation grows), and at the
 * end the slab caches that grew most. Prints one JSON line.
 *
 *   node dist/bench/scale-driver.js TRUE SLEEP BUILDDIR PLANFILE LEVELS PROBES
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Launcher, type RunningVoid } from "../src/orchestrator/launcher.js";
import { nativePaths } from "../src/native/addon.js";
import { busyNs, cpuMark } from "./context.js";
import { AddonSpawner, hostFds, literalArgv, onePlan, STDOUT_SPEC } from "./voids.js";

const [trueBin, sleepBin, buildDir, planFile, levelsArg, probesArg] = process.argv.slice(2);
if (!trueBin || !sleepBin || !buildDir || !planFile || !levelsArg || !probesArg) {
  process.stderr.write("usage: scale-driver TRUE SLEEP BUILDDIR PLANFILE LEVELS PROBES\n");
  process.exit(2);
}
const floorBin = join(buildDir, "floor");
const levels = levelsArg.split(",").map(Number);
const probes = Number(probesArg);
const cores = Number(spawnSync("nproc", [], { encoding: "utf8" }).stdout.trim()) || 1;

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync("/proc/meminfo", "utf8").split("\n")) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

const probe = new AddonSpawner(onePlan(STDOUT_SPEC, trueBin));
const sleeperPlan = onePlan(STDOUT_SPEC, sleepBin);
const launcher = new Launcher();
const live: RunningVoid[] = [];
const env = { ...process.env, VOID_INIT: nativePaths().init };

function floorProbe(n: number, fds = 0): number[] {
  const r = spawnSync(floorBin, [planFile!, "-n", String(n), "--seccomp", "--fds", String(fds)], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`floor: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { exit: number[] }).exit;
}

/** Median clone+exit ns per namespace configuration (bench/c/ns_cost.c, the median of three rounds). */
function nsCost(): Record<string, number> {
  const r = spawnSync(join(buildDir!, "ns_cost"), ["-n", "30", "-r", "3", "-s", "5"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ns_cost: ${r.stderr}`);
  const all: Record<string, number[]> = {};
  for (const line of r.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const b = JSON.parse(line) as { config: string; median_ns: number };
    if (b.config !== "idle") all[b.config] = [...(all[b.config] ?? []), b.median_ns];
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(all)) out[k] = v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return out;
}

/** Bytes held per slab cache (/proc/slabinfo: active objects × object size). */
function slabs(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync("/proc/slabinfo", "utf8").split("\n").slice(2)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3) out[f[0]!] = Number(f[1]) * Number(f[3]);
    }
  } catch {
    // not readable: no breakdown
  }
  return out;
}

await probe.batch(3);
floorProbe(2);
const base = meminfo();
const slabBase = slabs();
const results: unknown[] = [];
for (const level of levels) {
  const toAdd = level - live.length;
  const cpu0 = process.cpuUsage();
  const m0 = cpuMark();
  const spawnTimes: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < toAdd; i++) {
    const s = process.hrtime.bigint();
    live.push(await launcher.spawn({ plan: sleeperPlan, argv: literalArgv(sleeperPlan), hostFds: hostFds(sleeperPlan, -1), debug: false }));
    spawnTimes.push(Number(process.hrtime.bigint() - s));
  }
  const addWall = Number(process.hrtime.bigint() - t0);
  const cpu1 = process.cpuUsage(cpu0);
  const m1 = cpuMark();
  const addon: number[][] = [];
  const floor: number[][] = [];
  const floorFds: number[][] = [];
  const ownFds = readdirSync("/proc/self/fd").length;
  for (let r = 0; r < 3; r++) {
    const steps = [async () => addon.push((await probe.batch(probes)).map((s) => s.exit)), async () => floor.push(floorProbe(probes)), async () => floorFds.push(floorProbe(probes, ownFds))];
    for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]!();
  }
  const ns = nsCost();
  const mem = process.memoryUsage();
  const mi = meminfo();
  results.push({
    level: live.length,
    added: toAdd,
    addWallNs: addWall,
    spawnNs: spawnTimes,
    orchestratorCpuNsPerAdded: toAdd > 0 ? ((cpu1.user + cpu1.system) * 1000) / toAdd : null,
    machineCpuNsPerAdded: toAdd > 0 ? busyNs(m0, m1, cores) / toAdd : null,
    probeAddonNs: addon.flat(),
    probeFloorNs: floor.flat(),
    probeFloorFdsNs: floorFds.flat(),
    nsCostNs: ns,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    fds: readdirSync("/proc/self/fd").length,
    memAvailableDrop: base["MemAvailable"]! - mi["MemAvailable"]!,
    slabGrowth: (mi["Slab"] ?? 0) - (base["Slab"] ?? 0),
  });
}
const slabFull = slabs();
const slabGrowth = Object.entries(slabFull)
  .map(([name, bytes]) => ({ name, bytes: bytes - (slabBase[name] ?? 0) }))
  .sort((a, b) => b.bytes - a.bytes)
  .slice(0, 10);
const m0 = cpuMark();
const t0 = process.hrtime.bigint();
for (const v of live) v.signal(9);
await Promise.all(live.map((v) => v.exited));
const teardownNs = Number(process.hrtime.bigint() - t0);
// Let the kernel's deferred work (network namespaces) finish before the CPU mark.
await new Promise((r) => setTimeout(r, 300));
const m1 = cpuMark();
const after = meminfo();
const slabEnd = slabs();
process.stdout.write(
  JSON.stringify({
    levels: results,
    teardown: {
      voids: live.length,
      wallNs: teardownNs,
      machineCpuNs: busyNs(m0, m1, cores),
      memAvailableDropAfter: base["MemAvailable"]! - after["MemAvailable"]!,
      slabAfter: Object.values(slabEnd).reduce((a, b) => a + b, 0) - Object.values(slabBase).reduce((a, b) => a + b, 0),
    },
    slabGrowth,
    init: join(nativePaths().init),
  }) + "\n",
);
