/**
 * `void run` itself, and how a failure becomes an exit status: shared by
 * the commander CLI (void.ts) and the fast path for `void run` (entry.ts),
 * so both behave the same. Nothing here imports commander.
 */
import { CgroupError } from "../orchestrator/cgroups.js";
import { stderrLogger } from "../orchestrator/log.js";
import { EXIT_LAUNCHER_FAILURE, runApplication } from "../orchestrator/run.js";
import { WiringError } from "../orchestrator/wiring.js";
import { DEFAULT_CONCURRENCY } from "../spec/types.js";
import { checkRuntimeConcurrency, EXIT_INVALID_INPUT, findBinary, InputError, loadSpecWithRuntime, planFor } from "./load.js";

export interface RunOptions {
  spec?: string;
  runtime?: string;
  verbose: number;
  debug: boolean;
  daemon: boolean;
  stdout: boolean;
  stderr: boolean;
  /** At most this many voids of one trigger at a time (default: DEFAULT_CONCURRENCY of orchestrator/run.ts). */
  maxConcurrent?: number;
  /** Voids built ahead per trigger (default: DEFAULT_PREPARED of orchestrator/prepared.ts). */
  prepare?: number;
  allowUnenforcedLimits: boolean;
  /** --host-root: a root launcher's voids stay host uid 0. */
  hostRoot?: boolean;
}

export async function runCommand(binary: string, args: string[], opts: RunOptions): Promise<number> {
  const log = stderrLogger(opts.verbose);
  if (opts.daemon) return daemonize();
  const { spec, compiled, changes, embeddedSha256 } = loadSpecWithRuntime(opts.spec ?? { embeddedIn: findBinary(binary) }, opts.runtime, (w) => process.stderr.write(w + "\n"));
  checkRuntimeConcurrency(compiled, spec, opts.maxConcurrent ?? DEFAULT_CONCURRENCY);
  if (embeddedSha256 !== undefined) log.verbose(`spec: embedded in ${binary} (sha256 ${embeddedSha256})`);
  for (const c of changes) log.verbose(`runtime: ${c}`);
  const plans = planFor(spec, { binary, trailing: args, grantStdout: opts.stdout, grantStderr: opts.stderr, hostRoot: opts.hostRoot === true, warn: (w) => log.warn(w) });
  if (opts.hostRoot === true && process.getuid?.() === 0) log.warn("--host-root: every void is host uid 0 (without capabilities): it can read root-only files in its binds and writes as root");
  for (const p of plans) log.debug(`plan for ${p.entrypoint}: ${JSON.stringify(p)}`);
  return runApplication(plans, { debug: opts.debug, log, concurrency: opts.maxConcurrent, allowUnenforcedLimits: opts.allowUnenforcedLimits, prepare: opts.prepare });
}

/**
 * -D: re-run this same command detached from the terminal (new session,
 * stdin on /dev/null, stdout/stderr inherited so they can be redirected),
 * print the daemon's pid and return. Node cannot fork(2) itself; voids die
 * with their launcher, so the launcher must stay alive in the background.
 * node:child_process is loaded here only: nothing else in `void run` needs it.
 */
async function daemonize(): Promise<number> {
  const { spawn } = await import("node:child_process");
  const argv = process.argv.slice(1).filter((a) => a !== "-D" && a !== "--daemon");
  const child = spawn(process.execPath, [...process.execArgv, ...argv], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
  child.unref();
  process.stdout.write(`void: running in the background as pid ${child.pid}\n`);
  return 0;
}

/**
 * Reports an error that ended a command on stderr and returns the exit
 * status: invalid input (spec, binary, a listener that cannot bind, limits
 * that cannot be enforced) is 2 with nothing started; anything else is a
 * failure of void itself, 125.
 */
export function failureStatus(e: unknown): number {
  if (e instanceof InputError) {
    process.stderr.write(e.message.endsWith("\n") ? e.message : e.message + "\n");
    return e.status;
  }
  if (e instanceof CgroupError) {
    process.stderr.write(`void: error: ${e.message}\n(nothing was started; run as root, give void a delegated cgroup, or pass --allow-unenforced-limits to run without the limits)\n`);
    return EXIT_INVALID_INPUT;
  }
  if (e instanceof WiringError) {
    // A listener that cannot bind, an address that cannot be used:
    // reported before any void starts.
    process.stderr.write(`void: error: ${e.message}\n`);
    return EXIT_INVALID_INPUT;
  }
  process.stderr.write(`void: error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT_LAUNCHER_FAILURE;
}
