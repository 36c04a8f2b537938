/**
 * Starting `build/forktop-tracer` and talking to it (docs/forktop-protocol.md).
 *
 * The tracer is spawned with the control socket as its fd 3 (Node's
 * `'pipe'` stdio entry is a unix SOCK_STREAM socketpair) and, for the shell
 * hotkey, forktop's terminal as its fd 4. Its fds 0, 1 and 2 become the
 * traced program's stdio, so the caller decides where the program's input
 * and output go.
 *
 * `FORKTOP_TRACER` overrides the tracer's path (the tests use it to run a
 * scripted tracer).
 */

import { type ChildProcess, type IOType, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { accessSync, constants } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LineSplitter } from "./lines.js";
import { parseEventLine, type TracerEvent, type UnknownEvent } from "./protocol.js";

/** dist/src/tracer.js -> the package root (packages/forktop in the repository, or the installed package). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function tracerPath(): string {
  return process.env["FORKTOP_TRACER"] || join(packageRoot, "build", "forktop-tracer");
}

/** Throws an Error saying how to build the tracer when it is missing. */
export function checkTracer(path = tracerPath()): void {
  try {
    accessSync(path, constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot run the tracer ${path} (${code}): build it with \`sh scripts/build-native.sh\` (or \`npm run build\`)`);
  }
}

export type Target = { cmd: string[] } | { pid: number };

export type StdioEntry = IOType | "inherit" | number;

export interface TracerOptions {
  target: Target;
  /** `--once`: one `attach` line per process of the tree, then exit. */
  once?: boolean;
  /** Do not ptrace: poll /proc (lossy). */
  poll?: boolean;
  rescanMs?: number;
  /** The tracer's fds 0, 1, 2: the traced program's stdin, stdout, stderr. */
  stdio: [StdioEntry, StdioEntry, StdioEntry];
  /** An fd of forktop's terminal, given to the tracer as fd 4 for the shell hotkey. */
  ttyFd?: number;
  path?: string;
}

export interface TracerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function tracerArgs(opts: TracerOptions): string[] {
  const args = ["--control-fd", "3"];
  if (opts.ttyFd !== undefined) args.push("--tty-fd", "4");
  if (opts.rescanMs !== undefined) args.push("--rescan-ms", String(opts.rescanMs));
  if (opts.poll) args.push("--poll");
  if (opts.once) args.push("--once");
  if ("pid" in opts.target) args.push("-p", String(opts.target.pid));
  else args.push("--", ...opts.target.cmd);
  return args;
}

/**
 * A running tracer. Events:
 *  - `event` (event, rawLine): a valid event line;
 *  - `bad-line` (error, rawLine): a line that is not a valid event;
 *  - `exit` (TracerExit): the tracer exited and its control socket is drained.
 */
export class Tracer extends EventEmitter<{
  event: [TracerEvent | UnknownEvent, string];
  "bad-line": [string, string];
  exit: [TracerExit];
}> {
  readonly child: ChildProcess;
  private readonly control: Socket;
  private exitInfo: TracerExit | null = null;
  private controlClosed = false;
  private exited: Promise<TracerExit>;
  /** stderr of the tracer, when it was a pipe. */
  readonly stderr: string[] = [];

  constructor(opts: TracerOptions) {
    super();
    const path = opts.path ?? tracerPath();
    const stdio: StdioEntry[] = [...opts.stdio, "pipe"];
    if (opts.ttyFd !== undefined) stdio.push(opts.ttyFd);
    this.child = spawn(path, tracerArgs(opts), { stdio });
    const control = this.child.stdio[3];
    if (control === null || control === undefined) throw new Error("spawn forktop-tracer: no control socket");
    this.control = control as Socket;
    const splitter = new LineSplitter();
    const deliver = (line: string) => {
      if (line === "") return;
      const parsed = parseEventLine(line);
      if (parsed.ok) this.emit("event", parsed.event, line);
      else this.emit("bad-line", parsed.error, line);
    };
    this.control.on("data", (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) deliver(line);
    });
    // The tracer may exit while forktop still writes a command.
    this.control.on("error", () => {});
    const controlDone = new Promise<void>((resolve) => {
      this.control.on("close", () => {
        const rest = splitter.end();
        if (rest !== null) deliver(rest);
        this.controlClosed = true;
        resolve();
      });
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr.push(chunk.toString("utf8"));
    });
    const childDone = new Promise<TracerExit>((resolve) => {
      this.child.on("error", (e) => {
        this.stderr.push(`spawn ${path}: ${e.message}\n`);
        this.control.destroy();
        resolve({ code: 127, signal: null });
      });
      this.child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    this.exited = Promise.all([childDone, controlDone]).then(([exit]) => {
      this.exitInfo = exit;
      this.emit("exit", exit);
      return exit;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Sends one command line; false when the tracer no longer listens. */
  send(command: string): boolean {
    if (this.controlClosed || this.control.destroyed || !this.control.writable) return false;
    this.control.write(command + "\n");
    return true;
  }

  wait(): Promise<TracerExit> {
    return this.exited;
  }

  /**
   * Asks the tracer to detach and waits for it to exit; after `timeoutMs`
   * sends SIGTERM (which also makes it detach), then SIGKILL.
   */
  async detach(timeoutMs = 3000): Promise<TracerExit> {
    if (!this.running) return this.exited;
    if (!this.send("detach")) this.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      this.child.kill("SIGTERM");
      setTimeout(() => this.child.kill("SIGKILL"), timeoutMs).unref();
    }, timeoutMs);
    timer.unref();
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
