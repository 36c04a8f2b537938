/**
 * Voids for the benchmarks, made by the product's own code: a plan from
 * planApplication with the real host (src/cli/load.ts planFor), marshalled
 * by src/orchestrator/marshal.ts, spawned by the Launcher — or written to a
 * file for the C floor (bench/c/floor.c), which parses the very same bytes.
 */
import { readSync, writeFileSync } from "node:fs";
import { planFor } from "../src/cli/load.js";
import { Launcher, nativeAddon } from "../src/orchestrator/launcher.js";
import { marshal } from "../src/orchestrator/marshal.js";
import type { VoidPlan } from "../src/plan/types.js";
import { parseSpecValue } from "../src/spec/parse.js";

/** The fd number floor.c reads timestamps from (its TIMING_FD). */
export const FLOOR_TIMING_FD = 100;

/** A one-entrypoint spec whose void gets stdout (where true.c writes its timestamp). */
export const STDOUT_SPEC = { entrypoints: { t: { args: ["BinaryName"], environment: ["Stdout"] } } };

/** The plans of `spec` for `binary`, as `void run` would make them. */
export function plansFor(spec: unknown, binary: string, trailing: string[] = []): VoidPlan[] {
  const parsed = parseSpecValue(spec);
  if (!parsed.ok) throw new Error(`bench: invalid spec: ${JSON.stringify(parsed.errors)}`);
  // Host root, as the C floor writes its own id maps (a root launcher's voids otherwise map an id of their own, written by the launcher).
  return planFor(parsed.spec, { binary, trailing, grantStdout: false, grantStderr: false, hostRoot: true });
}

export function onePlan(spec: unknown, binary: string): VoidPlan {
  const [plan] = plansFor(spec, binary);
  if (plan === undefined) throw new Error("bench: no plan");
  return plan;
}

/** Launcher fds for a plan's fds: the void's stdout is `stdoutFd`, everything else /dev/null. */
export function hostFds(plan: VoidPlan, stdoutFd: number): number[] {
  return plan.fds.map((f) => (f.source.kind === "stdout" ? stdoutFd : -1));
}

export function literalArgv(plan: VoidPlan): string[] {
  return plan.argv.map((a) => (a.kind === "literal" ? a.value : ""));
}

/** Writes the marshalled plan for bench/c/floor.c. */
export function writePlanFile(plan: VoidPlan, path: string): void {
  writeFileSync(path, marshal({ plan, argv: literalArgv(plan), hostFds: hostFds(plan, FLOOR_TIMING_FD), debug: false }));
}

/** Does the plan carry a seccomp filter (a field newer than some checkouts)? */
export function hasSeccomp(plan: VoidPlan): boolean {
  const s = (plan as unknown as { seccomp?: { mode?: string } }).seccomp;
  return s?.mode === "filter";
}

/** One void spawned through the addon, timed in ns from just before marshal(). */
export interface AddonSample {
  /** spawn() resolved: the clone returned on the worker and the completion ran on the event loop. */
  spawned: number;
  /** The entrypoint's first CLOCK_MONOTONIC reading (-1 if it wrote none). */
  first: number;
  /** The void's exit reached JavaScript (watcher thread -> event loop). */
  exit: number;
}

/**
 * Spawns voids of one plan through the Launcher of this process — an
 * orchestrator that is already running — with stdout on a pipe that the
 * entrypoint's timestamp arrives on.
 */
export class AddonSpawner {
  private readonly launcher = new Launcher();
  private readonly addon = nativeAddon();
  private readonly pipe: [number, number];
  private readonly buf = Buffer.alloc(4096);

  constructor(private readonly plan: VoidPlan) {
    const [r, w] = this.addon.pipe();
    this.pipe = [r, w];
    this.addon.setBlocking(this.pipe[0], false);
  }

  async once(): Promise<AddonSample> {
    const t0 = process.hrtime.bigint();
    const v = await this.launcher.spawn({ plan: this.plan, argv: literalArgv(this.plan), hostFds: hostFds(this.plan, this.pipe[1]), debug: false });
    const spawned = process.hrtime.bigint();
    const outcome = await v.exited;
    const exited = process.hrtime.bigint();
    if (outcome.status !== 0) throw new Error(`bench: void of ${this.plan.exec} failed: ${outcome.failure ?? outcome.summary}`);
    let first = -1;
    const text = this.drain();
    const m = /T (\d+)/.exec(text);
    if (m) first = Number(BigInt(m[1]!) - t0);
    return { spawned: Number(spawned - t0), first, exit: Number(exited - t0) };
  }

  async batch(n: number): Promise<AddonSample[]> {
    const out: AddonSample[] = [];
    for (let i = 0; i < n; i++) out.push(await this.once());
    return out;
  }

  private drain(): string {
    let text = "";
    for (;;) {
      let n = 0;
      try {
        n = readSync(this.pipe[0], this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw e;
      }
      if (n <= 0) break;
      text += this.buf.toString("utf8", 0, n);
    }
    return text;
  }
}
