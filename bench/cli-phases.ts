/**
 * Where a one-shot `void run` spends its time, phase by phase, in one
 * process: Node's own start-up (until this file runs), each group of
 * imports, the spec, the plan, loading the addon, and the void itself.
 * Prints one JSON line of milliseconds. Run by the cli suite:
 *
 *   node dist/bench/cli-phases.js SPEC BINARY
 *
 * The imports are those of the `void run` fast path (src/cli/entry.ts):
 * the spec and planner (load.js), then the orchestrator (run-command.js),
 * unbundled ES modules; then the work.
 */
import { performance } from "node:perf_hooks";

const phases: Record<string, number> = { bootstrap: performance.now() };
let mark = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  phases[name] = now - mark;
  mark = now;
};

const [specPath, binary] = process.argv.slice(2);
if (specPath === undefined || binary === undefined) {
  process.stderr.write("usage: cli-phases SPEC BINARY\n");
  process.exit(2);
}

const load = await import("../src/cli/load.js");
lap("import spec + planner (load.js)");
const run = await import("../src/orchestrator/run.js");
const { stderrLogger } = await import("../src/orchestrator/log.js");
await import("../src/cli/run-command.js");
lap("import orchestrator (run-command.js)");
const { spec } = load.loadSpecWithRuntime(specPath, undefined, () => {});
lap("read + validate spec");
const plans = load.planFor(spec, { binary, trailing: [], grantStdout: false, grantStderr: false, hostRoot: true });
lap("plan (ELF, libraries)");
const { loadAddon } = await import("../src/native/addon.js");
loadAddon();
lap("load addon (dlopen)");
const status = await run.runApplication(plans, { debug: false, log: stderrLogger(0) });
lap("run: init, spawn, void runs, exit seen");
phases["total in script"] = performance.now() - phases.bootstrap!;
process.stdout.write(JSON.stringify({ status, phases }) + "\n");
