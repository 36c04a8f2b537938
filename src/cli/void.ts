/**
 * The `void` command line (commander): runs the program void-program.ts
 * builds. Subcommands: run, check, pack, schema, doctor (void-program.ts).
 *
 * Exit statuses: the application's (last non-zero of any void, else 0);
 * 2 for invalid input (spec, binary, libraries, usage), nothing spawned;
 * 125 when void itself fails.
 */
import { CommanderError } from "commander";
import { EXIT_INVALID_INPUT } from "./load.js";
import { failureStatus } from "./run-command.js";
import { buildProgram } from "./void-program.js";

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
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input.
      return e.exitCode === 0 ? 0 : EXIT_INVALID_INPUT;
    }
    return failureStatus(e);
  }
}

main(process.argv).then((status) => {
  process.exitCode = status;
});
