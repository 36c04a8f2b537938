/**
 * `void run` itself, and how a failure becomes an exit status: shared by
 * the commander CLI (void.ts) and the fast path for `void run` (entry.ts),
 * so both behave the same. Nothing here imports commander.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { once } from "node:events";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { loadAddon } from "../native/addon.js";
import { Activation } from "../orchestrator/activation.js";
import { CgroupError } from "../orchestrator/cgroups.js";
import { ServiceManager } from "../orchestrator/service-manager.js";
import { paintLabels, stderrLogger, visible, visibleLines } from "../orchestrator/log.js";
import { EXIT_LAUNCHER_FAILURE, runApplication } from "../orchestrator/run.js";
import { WiringError } from "../orchestrator/wiring.js";
import { DEFAULT_CONCURRENCY } from "../spec/types.js";
import { type AnchoredPath, anchorParent } from "./anchored-dir.js";
import { withoutDaemonFlag } from "./daemon-argv.js";
import { realHost } from "../plan/real-host.js";
import { writableNames } from "../plan/plan.js";
import type { VoidPlan } from "../plan/types.js";
import { commitEntry, Look, ORCHESTRATED_ENV, PlanRecorder, type PreparedEntry, PRIME_VARIABLE, prepareEntry, savePlan } from "./plan-cache.js";
import { checkRuntimeConcurrency, EXIT_INVALID_INPUT, findBinary, InputError, LOADER_VARIABLES, loadSpecWithRuntime, planFor } from "./load.js";
import { voidNodeEnv } from "./node-env.js";

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
  /** --pid-file: written (atomically) with the launcher's pid once every Startup void runs; removed at the end. */
  pidFile?: string;
  /** --log-file (with -D): the background launcher's stdout and stderr are appended there. */
  logFile?: string;
  /** --no-cache: neither use nor write the plan cache (src/cli/plan-cache.ts). */
  noCache?: boolean;
}

/** The environment variable that tells a `void run -D`'s background copy which fd to report readiness on. */
const READY_FD_VARIABLE = "VOID_DAEMON_READY_FD";

export async function runCommand(binary: string, args: string[], opts: RunOptions): Promise<number> {
  // The background copy of a `void run -D` runs without -D (daemonize): its readiness fd says what it is.
  const readyFd = takeReadyFd();
  // What this run reads to plan, kept for the plan cache (src/cli/plan-cache.ts), unless --no-cache, -d, -D (either
  // copy) or --pid-file: the native front end runs none of these, so no entry may be made for them (not even primed).
  const recorder = opts.noCache === true || opts.daemon || opts.debug || readyFd !== undefined || opts.pidFile !== undefined ? undefined : new PlanRecorder();
  // A service manager's variables are taken out of the environment below: looked at first.
  const orchestrated = ORCHESTRATED_ENV.find((v) => process.env[v] !== undefined);
  if (recorder !== undefined && orchestrated !== undefined) recorder.unrecordable = `${orchestrated} is set`;
  const toStderr = (line: string) => process.stderr.write(paintLabels(line));
  const write = recorder?.stderr(toStderr) ?? toStderr;
  const log = stderrLogger(opts.verbose, write);
  if (opts.logFile !== undefined && !opts.daemon && readyFd === undefined) throw new InputError("void: error: --log-file is for -D (in the foreground, redirect stderr)");
  // The test suite's warm pass primes the cache (plan-cache.ts PRIME_VARIABLE): nothing is ever started then.
  const prime = process.env[PRIME_VARIABLE] === "1";
  if (prime && (opts.daemon || recorder === undefined)) {
    toStderr(`void: plan cache: not cached (${opts.daemon ? "-D" : opts.debug ? "-d" : opts.pidFile !== undefined ? "--pid-file" : "--no-cache"})\n`);
    return 1;
  }
  if (opts.daemon && readyFd === undefined) {
    // With --log-file the spec is planned here too, quietly (the background copy plans it again and says what it
    // says), so the log is refused where a void of this run could write: its output would go there.
    const writable = opts.logFile !== undefined ? writableNames(planQuietly(binary, args, opts), realHost) : [];
    return daemonize(opts, writable);
  }
  // What a service manager passed is taken out of the environment before anything is planned: no void can be given it.
  const addon = loadAddon();
  const manager = new ServiceManager(addon, log);
  const activation = Activation.fromEnvironment(process.env, process.pid, addon);
  if (recorder !== undefined) {
    recorder.env.set("VOID_RUNTIME", process.env["VOID_RUNTIME"]);
    recorder.envPrefix(process.env, "VOID_LISTEN_");
    // A spec packed into the binary (void pack) is part of the binary's file: its identity covers both.
    if (opts.spec === undefined) recorder.file(resolve(process.cwd(), findBinary(binary)), Look.Stat);
  }
  const { spec, compiled, changes, embeddedSha256, files } = loadSpecWithRuntime(
    opts.spec ?? { embeddedIn: findBinary(binary) },
    opts.runtime,
    (w) => write(visibleLines(w) + "\n"),
    recorder?.content,
  );
  checkRuntimeConcurrency(compiled, spec, opts.maxConcurrent ?? DEFAULT_CONCURRENCY);
  if (embeddedSha256 !== undefined) log.verbose(`spec: embedded in ${binary} (sha256 ${embeddedSha256})`);
  // A deployment's changes (a File or bind source moved, a listener's address...) are said on every run.
  for (const c of changes) log.info(`runtime: ${c}`);
  // PATH: where a bare BINARY is found, and where the void command looks for node (load.ts launcherPath).
  if (recorder !== undefined) recorder.env.set("PATH", process.env["PATH"]);
  // And what makes ld.so load libraries into the launcher's Node from where it names (load.ts launcherLoader).
  if (recorder !== undefined) for (const name of LOADER_VARIABLES) recorder.env.set(name, process.env[name]);
  const executable = findBinary(binary);
  const plans = planFor(spec, {
    binary,
    trailing: args,
    grantStdout: opts.stdout,
    grantStderr: opts.stderr,
    hostRoot: opts.hostRoot === true,
    executable,
    specFiles: files,
    ...(recorder !== undefined ? { host: recorder.host(realHost), launcherEnv: recorder.environment(process.env) } : {}),
    warn: (w) => log.warn(w),
    // What a program may still miss if it uses it (void check prints it too): only with -v, as it reads every module of a bound Python library.
    ...(opts.verbose > 0 ? { advise: (a: string) => log.warn(a) } : {}),
  });
  if (opts.hostRoot === true && process.getuid?.() === 0) log.warn("--host-root: every void is host uid 0 (without capabilities): it can read root-only files in its binds and writes as root");
  for (const p of plans) log.debug(`plan for ${p.entrypoint}: ${JSON.stringify(p)}`);
  recorder?.stopText();
  // The test suite's warm pass (test/integration/harness.ts): plan, write the cache entry, start nothing.
  if (prime && recorder !== undefined) {
    // Asked for (void cache prime, the test suite's warm pass): what happened is said, not only with -vv.
    return savePlan({ words: process.argv.slice(2), binary, executable, verbosity: opts.verbose, plans, recorder }, (m) => toStderr(`void: ${m}\n`)) ? 0 : 1;
  }
  const cacheInput = recorder !== undefined ? { words: process.argv.slice(2), binary, executable, verbosity: opts.verbose, plans, recorder } : undefined;
  let entry: PreparedEntry | undefined;
  const pidAt = opts.pidFile !== undefined ? anchorOption("--pid-file", opts.pidFile, writableNames(plans, realHost)) : undefined;
  let pidFile: PidFile | undefined;
  try {
    return await runApplication(plans, {
      debug: opts.debug,
      log,
      concurrency: opts.maxConcurrent,
      allowUnenforcedLimits: opts.allowUnenforcedLimits,
      prepare: opts.prepare,
      activation,
      // The cache entry is built while the addon's threads make the voids (a one-shot run of a short program would
      // otherwise wait for it), and written once every void runs: a plan that could not start is never cached.
      whileSpawning: () => {
        if (cacheInput !== undefined) entry = prepareEntry(cacheInput, (m) => log.debug(m));
      },
      onReady: () => {
        if (entry !== undefined) commitEntry(entry, (m) => log.debug(m));
        if (pidAt !== undefined) pidFile = writePidFile(pidAt);
        manager.ready();
        if (readyFd !== undefined) reportReady(readyFd);
      },
      onStopping: () => manager.stopping(),
    });
  } finally {
    if (pidAt !== undefined) removePidFile(pidFile, pidAt);
  }
}

/** The readiness fd a `void run -D` passed to its background copy (and the variable removed), or undefined. */
function takeReadyFd(): number | undefined {
  const value = process.env[READY_FD_VARIABLE];
  delete process.env[READY_FD_VARIABLE];
  const fd = Number(value);
  return value !== undefined && Number.isInteger(fd) && fd > 2 ? fd : undefined;
}

function reportReady(fd: number): void {
  try {
    writeSync(fd, "ready\n");
    closeSync(fd);
  } catch {
    // The foreground `void run -D` is gone: nobody waits for the news.
  }
}

/**
 * The directory of --pid-file or --log-file, held before anything starts
 * (src/cli/anchored-dir.ts: no symlink a void could have put on the way is
 * followed); a refusal is invalid input.
 */
function anchorOption(option: string, path: string, writable: readonly string[]): AnchoredPath {
  try {
    return anchorParent(path, writable);
  } catch (e) {
    throw new InputError(`void: error: ${option} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The plans of this command, made without a word on stderr (errors still end the command: invalid input, exit 2). */
function planQuietly(binary: string, args: string[], opts: RunOptions): VoidPlan[] {
  const { spec, files } = loadSpecWithRuntime(opts.spec ?? { embeddedIn: findBinary(binary) }, opts.runtime, () => {});
  return planFor(spec, { binary, trailing: args, grantStdout: opts.stdout, grantStderr: opts.stderr, hostRoot: opts.hostRoot === true, specFiles: files });
}

/** Which file the pid file written is (its device and inode): removed at exit only if it is still that one. */
interface PidFile {
  dev: number;
  ino: number;
}

/**
 * The pid file, written whole under a temporary name and renamed into
 * place (a reader never sees half of it), in the directory held by `at`.
 * The temporary file is created anew (O_EXCL) without following a symlink
 * (O_NOFOLLOW): whoever can write the directory — a void, if it is under a
 * writable bind — cannot point it at another file for the launcher to
 * truncate.
 */
function writePidFile(at: AnchoredPath): PidFile {
  // Unpredictable, so a name cannot be taken ahead (O_EXCL would then fail): not a secret, Math.random is enough.
  const tmp = `${at.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let st: { dev: number; ino: number };
  try {
    writeSync(fd, `${process.pid}\n`);
    st = fstatSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, at.path);
  return { dev: st.dev, ino: st.ino };
}

/** Removes the pid file at exit, if it is still the one written (not a file someone put in its place). */
function removePidFile(written: PidFile | undefined, at: AnchoredPath): void {
  try {
    const st = lstatSync(at.path, { throwIfNoEntry: false });
    if (written !== undefined && st !== undefined && st.dev === written.dev && st.ino === written.ino) unlinkSync(at.path);
  } finally {
    closeSync(at.dirFd);
  }
}

/**
 * --log-file, opened for appending in its held directory without following
 * a symlink, and only if it is a regular file of this user's (or new): a
 * symlink or another user's file there is refused, not written through.
 */
function openLogFile(path: string, writable: readonly string[]): number {
  const at = anchorOption("--log-file", path, writable);
  let fd: number;
  try {
    fd = openSync(at.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o640);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InputError(`void: error: --log-file ${path}: ${code === "ELOOP" ? "is a symlink (refused: it could point anywhere)" : e instanceof Error ? e.message : String(e)}`);
  } finally {
    closeSync(at.dirFd);
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.uid !== (process.getuid?.() ?? st.uid)) {
    closeSync(fd);
    throw new InputError(`void: error: --log-file ${path}: not a regular file of this user's (refused)`);
  }
  return fd;
}

/**
 * -D: start this same command in the background (a new session, stdin on
 * /dev/null, stdout and stderr to --log-file or inherited) and wait until
 * it has validated the spec, planned, bound its listeners and started
 * every Startup void — it says so on a pipe (fd 3, named by
 * VOID_DAEMON_READY_FD) — then print its pid and exit 0. If it fails
 * before that, its error has gone to the same stderr and this exits with
 * its status. Node cannot fork(2) itself, and voids die with their
 * launcher, so the launcher itself must be the process left running.
 * node:child_process is loaded here only.
 */
async function daemonize(opts: RunOptions, writable: readonly string[]): Promise<number> {
  const { spawn } = await import("node:child_process");
  const out = opts.logFile !== undefined ? openLogFile(opts.logFile, writable) : "inherit";
  // The same command without the launcher's own -D; the program's argv is left as it is.
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...withoutDaemonFlag(process.argv.slice(2))], {
    detached: true,
    stdio: ["ignore", out, out, "pipe"],
    // As the void command started this Node (node-env.ts): the user's NODE_ICU_DATA and the like stay out of its start.
    env: { ...voidNodeEnv(process.env), [READY_FD_VARIABLE]: "3" },
  });
  if (typeof out === "number") closeSync(out);
  const pipe = child.stdio[3] as Readable;
  const ready = await new Promise<boolean>((resolve) => {
    let text = "";
    pipe.on("data", (d: Buffer) => {
      text += d.toString();
      if (text.includes("ready\n")) resolve(true);
    });
    pipe.on("close", () => resolve(text.includes("ready\n")));
    pipe.on("error", () => resolve(false));
  });
  if (!ready) {
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    process.stderr.write(paintLabels(`void: error: the background void run ${signal !== null ? `was killed by ${signal}` : `exited with status ${code}`} before its voids were running\n`));
    return code !== null && code !== 0 ? code : EXIT_LAUNCHER_FAILURE;
  }
  pipe.destroy();
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
    process.stderr.write(paintLabels(visibleLines(e.message.endsWith("\n") ? e.message : e.message + "\n")));
    return e.status;
  }
  if (e instanceof CgroupError) {
    process.stderr.write(
      paintLabels(`void: error: ${visible(e.message)}\n`) + `(nothing was started; run as root, give void a delegated cgroup, or pass --allow-unenforced-limits to run without the limits)\n`,
    );
    return EXIT_INVALID_INPUT;
  }
  if (e instanceof WiringError) {
    // A listener that cannot bind, an address that cannot be used:
    // reported before any void starts.
    process.stderr.write(paintLabels(`void: error: ${visible(e.message)}\n`));
    return EXIT_INVALID_INPUT;
  }
  // One message, one line: a path in it (a File grant's, a bind's) with a line break prints as text, never as a line
  // that looks like another of void's.
  process.stderr.write(paintLabels(`void: error: ${visible(e instanceof Error ? e.message : String(e))}\n`));
  return EXIT_LAUNCHER_FAILURE;
}
