/**
 * What `void run -s SPEC BINARY [ARGS...]` costs without what it does not
 * need: no commander (argv read by hand), doctor/describe/schema never
 * imported, node:net and node:dns/promises loaded only on use (bench/shims,
 * swapped in by esbuild --alias when the cli suite bundles this file). The
 * product modules are the real ones; the run is the real one. A
 * measurement of lazy imports, not a second CLI.
 */
import { loadSpecWithRuntime, planFor } from "../src/cli/load.js";
import { stderrLogger } from "../src/orchestrator/log.js";
import { runApplication } from "../src/orchestrator/run.js";

async function main(argv: string[]): Promise<number> {
  const [command, flag, specPath, binary, ...rest] = argv;
  if (command !== "run" || flag !== "-s" || specPath === undefined || binary === undefined) {
    process.stderr.write("usage: cli-lean run -s SPEC BINARY [ARGS...]\n");
    return 2;
  }
  const { spec } = loadSpecWithRuntime(specPath, undefined, (w) => process.stderr.write(w + "\n"));
  const plans = planFor(spec, { binary, trailing: rest, grantStdout: false, grantStderr: false });
  return runApplication(plans, { debug: false, log: stderrLogger(0) });
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`cli-lean: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 125;
  },
);
