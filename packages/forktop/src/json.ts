/**
 * `forktop --json`: the tracer's event lines, one JSON object per line,
 * forwarded unchanged except `hello` (docs/forktop.md, "JSON output").
 *
 * Where things go:
 *  - the JSON lines: `-o FILE`, else forktop's stdout;
 *  - the traced program's stdin and stderr: forktop's;
 *  - its stdout: forktop's stdout when the JSON goes to a file (`-o`), else
 *    forktop's stderr, so that stdout carries only JSON and stays parseable.
 *
 * forktop's own messages (poll mode, tracer errors) go to stderr.
 * Exit status: the traced program's (128+signal when killed) with `--`;
 * 0 with `-p`; 125 when the tracer failed or was refused (another protocol
 * version).
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { type ExitEvent, isEvent } from "./protocol.js";
import { type Target, Tracer } from "./tracer.js";

export interface JsonOptions {
  target: Target;
  once: boolean;
  output?: string;
  poll?: boolean;
  rescanMs?: number;
}

export const EXIT_FORKTOP_FAILURE = 125;

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSYS: 31,
};

/** A shell-style status for an exit event: the code, or 128+signal number. */
export function exitStatus(e: Pick<ExitEvent, "code" | "signal">): number {
  if (e.code !== undefined) return e.code;
  if (e.signal !== undefined) return 128 + (SIGNAL_NUMBERS[e.signal] ?? 0);
  return 0;
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
}

export async function runJson(opts: JsonOptions): Promise<number> {
  let outFd = 1;
  if (opts.output !== undefined) {
    try {
      outFd = openSync(opts.output, "w", 0o644);
    } catch (e) {
      process.stderr.write(`forktop: open ${opts.output}: ${(e as Error).message}\n`);
      return EXIT_FORKTOP_FAILURE;
    }
  }
  const cmdStdout = opts.output !== undefined ? "inherit" : 2;
  const tracer = new Tracer({
    target: opts.target,
    once: opts.once,
    ...(opts.poll ? { poll: true } : {}),
    ...(opts.rescanMs !== undefined ? { rescanMs: opts.rescanMs } : {}),
    stdio: opts.once ? ["ignore", "ignore", "inherit"] : ["inherit", cmdStdout, "inherit"],
  });
  let rootPid: number | null = null;
  let status: number | null = null;
  let failed = false;
  let writeError: string | null = null;
  tracer.on("event", (ev, raw) => {
    if (ev.event === "hello") {
      // --once is a single scan by definition: nothing to warn about.
      if ("mode" in ev && ev.mode === "poll" && !opts.once) process.stderr.write(`forktop: poll mode (lossy)${ev.reason ? `: ${ev.reason}` : ""}\n`);
      return;
    }
    if (ev.event === "spawn" && "pid" in ev) rootPid = ev.pid;
    if (isEvent(ev, "exit") && ev.pid === rootPid && !ev.thread) status = exitStatus(ev);
    if (ev.event === "error" && "message" in ev) process.stderr.write(`forktop: ${ev.message}\n`);
    if (writeError !== null) return;
    try {
      writeAll(outFd, raw + "\n");
    } catch (e) {
      // A closed stdout (e.g. `| head`): stop writing, detach, leave the program running.
      writeError = (e as Error).message;
      tracer.send("detach");
    }
  });
  tracer.on("refused", (why) => {
    process.stderr.write(`forktop: ${why}\n`);
  });
  tracer.on("bad-line", (error, raw) => {
    failed = true;
    process.stderr.write(`forktop: bad tracer line (${error}): ${raw.slice(0, 200)}\n`);
  });
  // Ctrl-C reaches the whole process group: the tracer detaches by itself;
  // forktop stays to forward its last lines. A signal sent to forktop alone
  // is passed on as `detach`.
  const onSignal = () => {
    tracer.send("detach");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  const exit = await tracer.wait();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.off("SIGHUP", onSignal);
  if (outFd !== 1) closeSync(outFd);
  for (const text of tracer.stderr) process.stderr.write(text);
  if (tracer.refused !== null) return EXIT_FORKTOP_FAILURE;
  if (writeError !== null && opts.output !== undefined) {
    process.stderr.write(`forktop: write ${opts.output}: ${writeError}\n`);
    return EXIT_FORKTOP_FAILURE;
  }
  if (exit.code !== 0) {
    process.stderr.write(`forktop: the tracer ${exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`}\n`);
    return EXIT_FORKTOP_FAILURE;
  }
  if (failed) return EXIT_FORKTOP_FAILURE;
  return status ?? 0;
}
