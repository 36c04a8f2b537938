/**
 * The `void` command line's commander tree, built without running it
 * (void.ts runs it; scripts/gen-man.mjs renders the man page and shell
 * completions from it). Subcommands:
 *   run     start an application, one void per Startup entrypoint
 *   check   validate a spec and print each entrypoint's resolved plan
 *   pack    embed a spec in a copy of the binary (run/check without -s use it)
 *   schema  print the spec format's JSON Schema
 *   doctor  check this machine's kernel features and start a test void
 *
 * Exit statuses: the application's (last non-zero of any void, else 0);
 * 2 for invalid input (spec, binary, libraries, usage), nothing spawned;
 * 125 when void itself fails.
 */
import { closeSync, constants, existsSync, fchmodSync, lstatSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { HISTORY, hostChecks, kernelRelease } from "./doctor.js";
import { type AnchoredPath, anchorParent } from "./anchored-dir.js";
import { describePlan } from "./describe.js";
import { findBinary, InputError, loadSpecWithRuntime, parseSpecText, planFor, readSpecFile } from "./load.js";
import { runCommand } from "./run-command.js";
import { cacheDir, cacheFiles, type CacheListing, describeEntry, ownCacheDir, PRIME_VARIABLE } from "./plan-cache.js";
import { packageRoot } from "../native/addon.js";
import { stderrLogger, visible, visibleLines } from "../orchestrator/log.js";
import { DEFAULT_CONCURRENCY, runApplication } from "../orchestrator/run.js";
import { DEFAULT_PREPARED } from "../orchestrator/prepared.js";
import { ElfError } from "../plan/elf.js";
import { packSpec, readPackedSpec, SECTION_NAME } from "../plan/pack.js";
import { parseSpecValue } from "../spec/parse.js";
import { voidNodeEnv } from "./node-env.js";

const VERSION = "0.1.0";

/** void run's exit statuses: the end of `void run --help`, and the man page's EXIT STATUS. */
export const EXIT_STATUS = `the last non-zero exit status of any void, else 0; 2 when the
spec, binary or arguments are invalid or a listener cannot bind (nothing is
started); 125 when void itself fails. A void killed by a signal counts as
128+signal, except an orderly stop: SIGTERM or SIGINT to void run is passed
on to every void, void run waits for them, and the voids it stopped count
as success (a second signal kills them all at once).`;

const runHelp = `
The spec grants each entrypoint what it may use; everything else is absent:
new user, mount, PID, network, IPC, UTS, cgroup and time namespaces, an
empty read-only root, no environment, no capabilities, no_new_privs, and
standard streams on /dev/null unless granted. Libraries are found by
reading the ELF file: a spec never lists them.

A granted stream reaches each void through a pipe the launcher relays (a
void never holds your terminal or file; it sees isatty() false).
As root, each entrypoint's voids run as an unprivileged host uid of their
own (void check shows it; chown a writable bind to it); --host-root keeps
host uid 0, without capabilities.

Examples:
  void run -s examples/fib/spec.json examples/fib/fib 20
  void run -s spec.json --stderr -v ./app --port 8443
  void check -s spec.json ./app          # what each void would get
  void pack ./app -s spec.json -o app.packed && void run ./app.packed

Without -s, the spec is the one 'void pack' embedded in BINARY, checked
against the SHA-256s packed with it.

Pipes and file sockets connect entrypoints; a Pipe or FileSocket trigger
starts a fresh void per message (one write(2), or each line of one, of at
most 4095 bytes; or a packet of up to 16 fds), at most -j at a time per
trigger; the rest wait. The next void of each trigger is built before its message
arrives (--prepare, default 1) and then serves that one message only: it
starts about twice as soon. TCP listeners are bound before any void
starts. void run ends when no void runs and nothing can produce more work.

With -d, each entrypoint stops at the first instruction of its program,
just after its execve (the program and its libraries are loaded), and
void run prints its host pid and how to attach: as root to a root
launcher's voids (gdb -p PID), as your own user to an unprivileged
launcher's (gdb -iex 'set sysroot /' -p PID); in gdb, "handle SIGSTOP
nopass", then "continue". Without a debugger, kill -CONT PID resumes it.
The void's filter then also allows ptrace, for PTRACE_TRACEME and
PTRACE_DETACH only.

Deployment choices go in a runtime spec (--runtime FILE, or the
environment: VOID_RUNTIME=FILE-or-JSON, VOID_LISTEN_<ENTRYPOINT>=ip:port):
it may change listen addresses, bind host paths and hostnames, and narrow
RPC allow-lists; anything that would widen the spec is refused.

Exit status: ${EXIT_STATUS}`;

function collect(_value: string, previous: number): number {
  return previous + 1;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

function preparedCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 64) throw new InvalidArgumentError("expected a whole number from 0 to 64");
  return n;
}

function checkCommand(binary: string, args: string[], opts: { spec?: string; runtime?: string; json: boolean; stdout: boolean; stderr: boolean; hostRoot?: boolean }): number {
  // Everything printed is shown escaped (visibleLines): paths and names come from the spec, which may be a packed
  // binary's, and a terminal must show what they are, not what their escape sequences draw.
  const { spec, changes, embeddedSha256, files } = loadSpecWithRuntime(opts.spec ?? { embeddedIn: findBinary(binary) }, opts.runtime, (w) => process.stderr.write(visibleLines(w) + "\n"));
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    process.stderr.write(`void: warning: ${visible(w)}\n`);
  };
  const plans = planFor(spec, { binary, trailing: args, grantStdout: opts.stdout, grantStderr: opts.stderr, hostRoot: opts.hostRoot === true, warn, advise: warn, specFiles: files });
  if (opts.json) {
    const embedded = embeddedSha256 !== undefined ? { embeddedSpec: { sha256: embeddedSha256 } } : {};
    process.stdout.write(JSON.stringify({ spec: opts.spec ?? null, ...embedded, binary, runtimeChanges: changes, warnings, entrypoints: plans }, null, 2) + "\n");
    return 0;
  }
  const source = visible(opts.spec ?? `${binary} (embedded spec, sha256 ${embeddedSha256})`);
  const runtime = changes.length > 0 ? `runtime changes:\n${changes.map((c) => `  ${visible(c)}`).join("\n")}\n\n` : "";
  process.stdout.write(visibleLines(`${source}: valid; ${plans.length} entrypoint(s)\n\n${runtime}${plans.map(describePlan).join("\n\n")}\n`));
  return 0;
}

/**
 * void pack: a copy of BINARY with the spec in a `.void.spec` section
 * (src/plan/pack.ts). The spec is validated as `void run` would; OUT is
 * written whole under a temporary name, then renamed into place.
 */
/**
 * The cache directory `void cache` lists or clears: the one `void run`
 * writes (ownCacheDir, never made here), or undefined after saying why
 * there is none. A directory that exists but cannot be trusted (a
 * symlink, or another user could change it) is neither listed nor
 * cleared: nothing is followed there.
 */
function existingCacheDir(): { dir: string; shown: string } | { none: string } {
  const wanted = cacheDir();
  if (wanted === undefined) return { none: "void: no plan cache: neither XDG_CACHE_HOME nor HOME is an absolute path" };
  let problem = "";
  const dir = ownCacheDir(
    process.env,
    (why) => {
      problem = why;
    },
    false,
  );
  if (dir !== undefined) return dir;
  if (!existsSync(wanted)) return { none: `${wanted}: 0 cached plan(s)` };
  return { none: `void: warning: the plan cache at ${wanted} is not used: ${problem}` };
}

/** `void cache list`: each cached plan, with the command line and directory it was made for. */
function cacheListCommand(): number {
  const found = existingCacheDir();
  if ("none" in found) {
    process.stderr.write(`${found.none}\n`);
    return 0;
  }
  const { dir, shown } = found;
  const files = cacheFiles(dir);
  const lines = [`${shown}: ${files.length} cached plan(s)`];
  for (const f of files) {
    let d: CacheListing;
    try {
      d = describeEntry(f);
    } catch (e) {
      lines.push(`${basename(f)}  (unreadable: ${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    const what = d.problem !== undefined ? `(ignored: ${d.problem})` : `in ${visible(d.cwd ?? "?")}: void ${(d.words ?? []).map((w) => JSON.stringify(w)).join(" ")}`;
    lines.push(`${basename(f)}  ${d.size} bytes  ${what}`);
  }
  process.stdout.write(`${visibleLines(lines.join("\n"))}\n`);
  return 0;
}

/** `void cache clear`: removes every cached plan (and left-over temporary files). */
function cacheClearCommand(): number {
  const found = existingCacheDir();
  if ("none" in found) {
    process.stderr.write(`${found.none}\n`);
    return 0;
  }
  // Each name on its own: a directory under an entry's name (which a void
  // able to write the cache directory could have put first in the list)
  // no longer stops the files after it. An empty one is removed; nothing
  // is removed recursively: a void could swap a directory for a symlink
  // while a recursive removal walks it, and have it remove what the link
  // names, as the user.
  let removed = 0;
  let failed = 0;
  for (const f of cacheFiles(found.dir)) {
    try {
      if (lstatSync(f).isDirectory()) rmdirSync(f);
      else unlinkSync(f);
      removed++;
    } catch (e) {
      failed++;
      process.stderr.write(`void: cannot remove ${visible(join(found.shown, basename(f)))}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  process.stdout.write(`void: removed ${removed} cached plan(s) from ${visible(found.shown)}\n`);
  return failed === 0 ? 0 : 1;
}

/**
 * `void cache prime -- run ...`: plans that `void run` command as it would
 * run, writes its cache entry and starts nothing, so that its first real
 * run (in the same directory) already starts without Node: an install
 * step for a deployment. Run by a Node child given exactly those words
 * (the entry is named by them) and VOID_PLAN_CACHE_PRIME=1; it says on
 * stderr whether it cached the plan, and why not.
 */
function cachePrimeCommand(words: string[]): number {
  if (words[0] !== "run") throw new InputError(`void: error: void cache prime caches a void run: its words start with "run" (void cache prime run -s SPEC BINARY ...)`);
  // Node started as the void command starts it: with void's own (empty) OpenSSL configuration (bin/openssl.cnf).
  const r = spawnSync(process.execPath, [`--openssl-config=${join(packageRoot(), "bin", "openssl.cnf")}`, join(packageRoot(), "bin", "void.cjs"), ...words], {
    stdio: "inherit",
    // As the void command starts Node (node-env.ts): the user's NODE_ICU_DATA and the like stay out of its start.
    env: { ...voidNodeEnv(process.env), [PRIME_VARIABLE]: "1" },
  });
  return r.status ?? 1;
}

function packCommand(binary: string, opts: { spec: string; output: string }): number {
  const text = readSpecFile(opts.spec);
  parseSpecText(text, opts.spec, (w) => process.stderr.write(visibleLines(w) + "\n"));
  let input: Uint8Array;
  let mode: number;
  try {
    input = readFileSync(binary);
    mode = statSync(binary).mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`void: error: ${binary}: ${code === "ENOENT" ? "no such file or directory" : e instanceof Error ? e.message : String(e)}`);
  }
  let packed: Uint8Array;
  try {
    packed = packSpec(input, text);
  } catch (e) {
    if (e instanceof ElfError) throw new InputError(`void: error: ${binary}: cannot embed a spec: ${e.message}`);
    throw e;
  }
  const check = readPackedSpec(packed);
  if (check.kind !== "ok") throw new Error(`void pack: the packed file does not read back (${check.kind})`);
  // The output's directory held first (src/cli/anchored-dir.ts: no symlink another user or a void could have put on
  // the way is followed), then a new file there under a name nobody can guess ahead (not a secret: Math.random is
  // enough), made anew (O_EXCL: never one that is there already, nor a symlink someone planted, O_NOFOLLOW), its mode
  // set through the fd, then renamed into place: whoever else can write the output directory (another user, a void
  // with a writable bind there) cannot point the write or the chmod elsewhere. The input's mode without write for
  // group and others: a packed binary is not for others to change.
  let at: AnchoredPath;
  try {
    at = anchorParent(opts.output, []);
  } catch (e) {
    throw new InputError(`void: error: cannot write ${opts.output}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tmp = `${at.path}.void-pack-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let created = false;
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    created = true;
    try {
      writeSync(fd, packed);
      fchmodSync(fd, mode & 0o755);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, at.path);
  } catch (e) {
    if (created) rmSync(tmp, { force: true });
    throw new InputError(`void: error: cannot write ${opts.output}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    closeSync(at.dirFd);
  }
  process.stdout.write(`${opts.output}: ${binary} with ${opts.spec} embedded (section ${SECTION_NAME}, spec sha256 ${check.specSha256})\n`);
  return 0;
}

async function doctorCommand(opts: { json: boolean }): Promise<number> {
  const checks = hostChecks();
  let voidOk = false;
  let voidDetail = "";
  if (checks.every((c) => c.ok || !c.required)) {
    const parsed = parseSpecValue({ entrypoints: { doctor: { args: ["BinaryName"] } } });
    if (!parsed.ok) throw new Error("void doctor: built-in spec is invalid");
    try {
      const plans = planFor(parsed.spec, { binary: "/bin/true", trailing: [], grantStdout: false, grantStderr: false });
      const lines: string[] = [];
      const status = await runApplication(plans, { debug: false, log: stderrLogger(0, (l) => lines.push(l.trim())) });
      voidOk = status === 0;
      voidDetail = voidOk ? "/bin/true ran in a void and exited 0" : `status ${status}: ${lines.join("; ")}`;
      // What a container that forbids user namespaces looks like from inside: say it in words.
      if (!voidOk && /clone: (No space left on device|Operation not permitted)/.test(voidDetail)) {
        voidDetail += ` — this machine or container does not let uid ${process.getuid?.()} create user namespaces (user.max_user_namespaces, a seccomp or AppArmor profile, or the container runtime forbids it), and every void needs one; docs/deploy.md says what a container must allow`;
      }
    } catch (e) {
      voidDetail = e instanceof Error ? e.message : String(e);
    }
  } else {
    voidDetail = "skipped: a required feature is missing";
  }
  checks.push({ name: "a real void", ok: voidOk, required: true, detail: voidDetail });
  const ok = checks.every((c) => c.ok || !c.required);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ kernel: kernelRelease(), uid: process.getuid?.(), ok, checks, history: HISTORY }, null, 2) + "\n");
    return ok ? 0 : 1;
  }
  const out = [`kernel ${kernelRelease()}, launcher uid ${process.getuid?.()}`, ""];
  for (const c of checks) out.push(`${c.ok ? "ok  " : c.required ? "FAIL" : "warn"}  ${c.name}: ${c.detail}`);
  out.push("", "When each feature void uses reached mainline Linux:");
  for (const h of HISTORY) out.push(`  ${h.version.padEnd(7)} (${h.year})  ${h.feature}${h.note ? `; ${h.note}` : ""}`);
  out.push("", ok ? "void can build voids on this machine." : "void cannot build voids here: see FAIL above.");
  process.stdout.write(out.join("\n") + "\n");
  return ok ? 0 : 1;
}

export function buildProgram(setStatus: (n: number) => void): Command {
  const program = new Command("void")
    .description("Run each part of a program as a void process: nothing is granted but what its JSON spec lists.")
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError("(see 'void help' or 'void <command> --help')")
    .exitOverride();

  const commonOptions = (c: Command) =>
    c
      .option("-s, --spec <file>", "the JSON specification (default: the one embedded in BINARY by void pack)")
      .option("--runtime <file>", "a runtime spec: deployment choices (addresses, host paths, hostnames) checked against the spec, never widening it")
      .addOption(new Option("--stdout", "grant the launcher's stdout to every entrypoint"))
      .addOption(new Option("--stderr", "grant the launcher's stderr to every entrypoint"))
      .addOption(
        new Option(
          "--host-root",
          "as root: keep every void host uid 0 (without capabilities) instead of an unprivileged uid of its own; bound root-only files become readable to the void and what it writes is root's",
        ),
      );

  commonOptions(
    program
      .command("run")
      .description("start BINARY's Startup entrypoints, one void each, and wait for them")
      .argument("<binary>", "the program: a path, or a name looked up in PATH (as given, it is argv's BinaryName)")
      .argument("[args...]", "passed where the spec says Trailing")
      .option("-v, --verbose", "log each void's host pid, namespaces and grants (repeat for more)", collect, 0)
      .option("-d, --debug", "stop each entrypoint at its program's first instruction, after execve, and print its host pid, how to attach a debugger and how to resume it", false)
      .option("-D, --daemon", "run in the background: returns once every Startup void runs (printing the launcher's pid), or with the error and status of what failed", false)
      .option("--pid-file <file>", "write the launcher's pid there once every Startup void runs (removed when void run ends)")
      .option("--log-file <file>", "with -D: append the background launcher's stdout and stderr there")
      .option("-j, --max-concurrent <n>", "at most N voids of one trigger at a time; more messages wait", positiveInt, DEFAULT_CONCURRENCY)
      .option("--prepare <n>", "build N voids ahead for each trigger, each waiting for one message (0: build each when its message arrives)", preparedCount, DEFAULT_PREPARED)
      .option("--allow-unenforced-limits", "run even where the spec's memory/pids/cpu limits cannot be enforced (no cgroup delegation)", false)
      .option("--no-cache", "plan in Node and run without the plan cache, neither using nor writing it (see void cache)")
      .passThroughOptions()
      .addHelpText("after", runHelp),
  ).action(async (binary: string, args: string[], opts) => setStatus(await runCommand(binary, args, { ...opts, noCache: opts.cache === false })));

  commonOptions(
    program
      .command("check")
      .description("validate a spec and print, per entrypoint, the void it would get: namespaces, id maps, mounts, fds, argv, environment")
      .argument("<binary>", "the program the spec is for")
      .argument("[args...]", "what Trailing would be")
      .option("--json", "machine-readable output", false)
      .passThroughOptions(),
  ).action((binary: string, args: string[], opts) => setStatus(checkCommand(binary, args, opts)));

  program
    .command("pack")
    .description(`write a copy of BINARY with the spec embedded (an ELF section ${SECTION_NAME}); void run and void check use it when -s is absent`)
    .argument("<binary>", "the ELF executable the spec is for")
    .requiredOption("-s, --spec <file>", "the JSON specification, validated as void run does")
    .requiredOption("-o, --output <file>", "where to write the packed copy (BINARY itself is not changed)")
    .action((binary: string, opts) => setStatus(packCommand(binary, opts)));

  program
    .command("schema")
    .description("print the JSON Schema (2020-12) of the spec format")
    .action(async () => {
      // Imported here: zod (which builds the schema) takes ~60 ms to load,
      // and no other command needs it.
      const { specJsonSchema } = await import("../spec/schema.js");
      process.stdout.write(JSON.stringify(specJsonSchema(), null, 2) + "\n");
      setStatus(0);
    });

  program
    .command("doctor")
    .description("check the kernel features void needs, start a test void, and show when each feature reached Linux")
    .option("--json", "machine-readable output", false)
    .action(async (opts) => setStatus(await doctorCommand(opts)));

  const cache = program.command("cache").description("the plan cache: compiled plans that let void run start without Node (docs/architecture.md)").enablePositionalOptions();
  cache
    .command("list")
    .description("list the cached plans of this user, with the command line each was made for")
    .action(() => setStatus(cacheListCommand()));
  cache
    .command("clear")
    .description("remove every cached plan of this user")
    .action(() => setStatus(cacheClearCommand()));
  cache
    .command("prime")
    .description("plan a void run command and cache its plan without running it, so that its first run in this directory starts without Node")
    .argument("<words...>", "the command after `void`: run [OPTIONS] BINARY [ARGS...] (after -- if you like)")
    .passThroughOptions()
    .addHelpText("after", "\nExample:\n  $ void cache prime run -s spec.json ./app --port 8080\n  $ void run -s spec.json ./app --port 8080    # from the cached plan\n")
    .action((words: string[]) => setStatus(cachePrimeCommand(words)));

  return program;
}
