/**
 * What bin/void runs. A one-shot `void run` must start fast (the issue's
 * target: at most 15 ms above `node -e 0`), and most of a CLI's start-up is
 * loading code: commander, `--help` texts, the other commands. So the
 * common forms of `void run` are read here by hand and go straight to
 * run-command.ts; everything else — `--help`, the other commands, any
 * option not listed below, any usage error — loads the commander CLI
 * (void.ts), which parses the whole command line again and reports
 * exactly what it always did.
 *
 * fast-run.ts says which forms the fast path accepts.
 */
import { parseFastRun } from "./fast-run.js";

async function main(argv: readonly string[]): Promise<void> {
  const fast = parseFastRun(argv);
  if (fast === undefined) {
    // The commander CLI runs itself when loaded and sets process.exitCode.
    await import("./void.js");
    return;
  }
  const { failureStatus, runCommand } = await import("./run-command.js");
  try {
    process.exitCode = await runCommand(fast.binary, fast.args, fast.opts);
  } catch (e) {
    process.exitCode = failureStatus(e);
  }
}

void main(process.argv.slice(2));
