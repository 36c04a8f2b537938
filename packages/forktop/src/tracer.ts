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
 *
 * The tracer's first line is `hello`, naming its protocol version: a tracer
 * of another version than PROTOCOL_VERSION (one built from other sources) is
 * refused: none of its lines is passed on, it is told to detach, and
 * `refused` says why. Only `error` lines may come before `hello` (a tracer
 * that fails before it traces anything writes one and exits).
 */

import { type ChildProcess, type IOType, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { accessSync, constants } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LineSplitter } from "./lines.js";
import { PROTOCOL_VERSION, parseEventLine, type TracerEvent, type UnknownEvent } from "./protocol.js";

/** dist/src/tracer.js -> the package root (packages/forktop in the repository, or the installed package). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function tracerPath(): string {
  return process.env["FORKTOP_TRACER"] || join(packageRoot, "build", "forktop-tracer");
}

/** How to rebuild the tracer of this forktop. */
function rebuildHint(): string {
  return `rebuild it with \`sh ${join(packageRoot, "scripts", "build-native.sh")}\``;
}

/**
 * What one of the tracer's first lines says about its protocol: "hello" for
 * a hello of PROTOCOL_VERSION, "before-hello" for an `error` line, else
 * why the tracer at `path` is refused.
 */
export function greeting(raw: string, path: string): "hello" | "before-hello" | { refused: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = null;
  }
  const line = typeof value === "object" && value !== null && !Array.isArray(value) ? new Map(Object.entries(value)) : new Map<string, unknown>();
  if (line.get("event") === "error") return "before-hello";
  if (line.get("event") !== "hello") {
    return { refused: `the tracer at ${path} did not begin with hello, so it speaks another protocol than this forktop's (${PROTOCOL_VERSION}): ${rebuildHint()}` };
  }
  const version = line.get("version");
  if (version === PROTOCOL_VERSION) return "hello";
  const theirs = typeof version === "number" ? `speaks protocol ${version}` : "names no protocol version";
  return { refused: `the tracer at ${path} ${theirs}, this forktop speaks ${PROTOCOL_VERSION}: ${rebuildHint()}` };
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
 *  - `refused` (why): the tracer speaks another protocol version (see
 *    `greeting`); no line is passed on after it, and it is told to detach;
 *  - `exit` (TracerExit): the tracer exited and its control socket is drained.
 */
export class Tracer extends EventEmitter<{
  event: [TracerEvent | UnknownEvent, string];
  "bad-line": [string, string];
  refused: [string];
  exit: [TracerExit];
}> {
  readonly child: ChildProcess;
  private readonly control: Socket;
  private exitInfo: TracerExit | null = null;
  private controlClosed = false;
  private exited: Promise<TracerExit>;
  private greeted = false;
  /** Why the tracer was refused (another protocol version), or null. */
  refused: string | null = null;
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
      if (line === "" || this.refused !== null) return;
      if (!this.greeted) {
        const g = greeting(line, path);
        if (typeof g === "object") {
          this.refused = g.refused;
          this.emit("refused", g.refused);
          void this.detach();
          return;
        }
        this.greeted = g === "hello";
      }
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
