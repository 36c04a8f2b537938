/**
 * The `forktop` command line's commander tree, built without running it
 * (forktop.ts runs it; scripts/gen-man.mjs renders the man page and shell
 * completions from it): follow every process of a program and show each
 * one's privileges relative to its parent.
 *
 *   forktop [options] -- CMD [ARGS...]   start CMD traced
 *   forktop [options] -p PID             attach to PID and its descendants
 *   forktop --json [-o FILE] ...         one JSON object per event
 *   forktop --json --once -p PID         the current tree, once
 *
 * Exit statuses: 0 after quitting the view (or with -p); with --json and
 * `-- CMD`, CMD's status (128+signal when killed); 2 for usage errors;
 * 125 when forktop or its tracer fails.
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { EXIT_FORKTOP_FAILURE, runJson } from "../json.js";
import { checkTracer, type Target } from "../tracer.js";

const VERSION = "0.1.0";
export const EXIT_USAGE = 2;

/** forktop's exit statuses, for the man page's EXIT STATUS. */
export const EXIT_STATUS = `0 after quitting the view (or with -p); with --json and -- CMD, CMD's
status (128+signal when killed); 2 for usage errors; 125 when forktop or
its tracer fails.`;

const help = `
Start a program under forktop, or attach to one, and watch every process
it creates (fork, vfork, clone, exec, exit) in a live tree. Each row shows
the host pid and the pid inside its PID namespace, the effective uid inside
and outside its user namespace, the state, a badge per namespace that
differs from its parent's (U user, M mnt, P pid, N net, I ipc, H uts,
C cgroup, T time) and a PRIV column: ! = has something its parent did not
(a capability, weaker seccomp, no_new_privs cleared, host uid 0, a wider
uid map, a root or cgroup outside its parent's, more mounts), c = effective
capabilities, n = no_new_privs, then seccomp (- off, S strict, or the
number of filters).

Keys: ↑↓ or j k move, Enter details and the diff against the parent,
/ filter, t tree/flat, space threads, H all threads, x hide exited,
o event log / program output, e that pane full screen, r rescan,
s a shell inside the selected process (same namespaces, credentials,
capabilities, seccomp filter, cgroup and root: it is a fork of it),
q quit (detaches: the program runs on).

The program's stdin is /dev/null and its stdout and stderr go to a file
(--program-output, default a new file in $TMPDIR, named on exit) that the
output pane follows.

Without permission to ptrace (kernel.yama.ptrace_scope, no CAP_SYS_PTRACE,
another tracer), forktop says why and polls /proc instead: the header shows
POLL MODE, LOSSY; processes that live less than a scan are never seen.

Examples:
  forktop -- void run -s examples/pipes/spec.json examples/pipes/pipes a b c
  forktop -p 1234
  forktop --json -o trace.jsonl -- make -j4
  forktop --json --once -p 1234 | jq -r .snapshot.comm

Environment: FORKTOP_TRACER overrides the tracer binary (build/forktop-tracer).
The JSON format and the privilege rules: docs/forktop.md.`;

function pidArg(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a process id (a whole number >= 1)");
  return n;
}

function msArg(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected milliseconds (a whole number >= 0; 0 = never)");
  return n;
}

interface Opts {
  pid?: number;
  json: boolean;
  once: boolean;
  output?: string;
  programOutput?: string;
  poll: boolean;
  rescanMs?: number;
}

async function run(cmd: string[], opts: Opts, program: Command): Promise<number> {
  const usage = (msg: string): number => {
    program.error(`forktop: ${msg}`, { exitCode: EXIT_USAGE, code: "forktop.usage" });
    return EXIT_USAGE;
  };
  if (opts.pid !== undefined && cmd.length > 0) return usage("give either -p PID or -- CMD, not both");
  if (opts.pid === undefined && cmd.length === 0) return usage("nothing to trace: give -- CMD [ARGS...] or -p PID");
  if (opts.once && opts.pid === undefined) return usage("--once needs -p PID (it prints the tree of a running process)");
  const json = opts.json || opts.once;
  if (opts.output !== undefined && !json) return usage("-o writes the JSON output: use it with --json");
  if (opts.programOutput !== undefined && json) return usage("--program-output is for the interactive view; with --json the program keeps forktop's stdio");
  if (opts.programOutput !== undefined && opts.pid !== undefined) return usage("--program-output needs -- CMD (forktop does not start an attached process)");
  try {
    checkTracer();
  } catch (e) {
    process.stderr.write(`forktop: ${(e as Error).message}\n`);
    return EXIT_FORKTOP_FAILURE;
  }
  const target: Target = opts.pid !== undefined ? { pid: opts.pid } : { cmd };
  const common = { ...(opts.poll ? { poll: true } : {}), ...(opts.rescanMs !== undefined ? { rescanMs: opts.rescanMs } : {}) };
  if (json) return runJson({ target, once: opts.once, ...(opts.output !== undefined ? { output: opts.output } : {}), ...common });
  const { runTui } = await importTui();
  return runTui({ target, ...(opts.programOutput !== undefined ? { output: opts.programOutput } : {}), ...common });
}

/** The variables ink's `is-in-ci` dependency reads (see importTui). */
const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION"] as const;

/**
 * Loads the interactive view. Imported only here: ink and react take a while
 * to load, and --json needs neither.
 *
 * ink decides once, when it is first imported, whether it runs "in CI" (`CI`
 * or `CONTINUOUS_INTEGRATION` set and not "0"/"false"), and if so draws
 * nothing until the view exits. The view only starts on a terminal (runTui
 * refuses otherwise), so a person is looking at it: a CI variable inherited
 * from a CI job's shell (a job debugged over ssh, a test in tmux) must not
 * blank the screen. The variables are hidden for the import only and put
 * back before anything is started, so the traced program sees its
 * environment unchanged.
 */
async function importTui(): Promise<typeof import("../tui.js")> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await import("../tui.js");
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

export function buildProgram(setStatus: (n: number) => void): Command {
  const program = new Command("forktop");
  program
    .description("Follow every process of a program (ptrace) and show each one's privileges relative to its parent; open a shell inside any of them.")
    .version(VERSION)
    .usage("[options] -- CMD [ARGS...]  |  [options] -p PID")
    .argument("[cmd...]", "the program to start traced, with its arguments (after --)")
    .addOption(new Option("-p, --pid <pid>", "attach to a running process and all its descendants (leaves them running on quit)").argParser(pidArg))
    .option("--json", "print one JSON object per event instead of the view (docs/forktop.md)", false)
    .option("--once", "with -p: print the current tree as JSON (one attach line per process) and exit", false)
    .option("-o, --output <file>", "with --json: write the JSON lines to FILE (the program then keeps forktop's stdout)")
    .option("--program-output <file>", "interactive view: append the program's stdout and stderr to FILE (default: a new file in $TMPDIR)")
    .option("--poll", "do not ptrace: poll /proc (lossy; what forktop falls back to when ptrace is refused)", false)
    .addOption(
      new Option(
        "--rescan-ms <ms>",
        "how often every process is re-read for changes, and children made out of the kernel's reports (CLONE_UNTRACED) are looked for (default 500; 0 = never)",
      ).argParser(msArg),
    )
    .passThroughOptions()
    .showHelpAfterError("(see forktop --help)")
    .addHelpText("after", help)
    .exitOverride()
    .action(async (cmd: string[], opts: Opts) => setStatus(await run(cmd, opts, program)));
  return program;
}
