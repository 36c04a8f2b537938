/**
 * The `forktop` command line (commander): runs the program
 * program.ts builds.
 *
 * Exit statuses: 0 after quitting the view (or with -p); with --json and
 * `-- CMD`, CMD's status (128+signal when killed); 2 for usage errors;
 * 125 when forktop or its tracer fails.
 */
import { CommanderError } from "commander";
import { EXIT_FORKTOP_FAILURE } from "../json.js";
import { buildProgram, EXIT_USAGE } from "./program.js";

export { buildProgram };

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = buildProgram((n) => {
    status = n;
  });
  try {
    await program.parseAsync(argv);
    return status;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(`forktop: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_FORKTOP_FAILURE;
  }
}

main(process.argv).then((status) => {
  process.exitCode = status;
});
