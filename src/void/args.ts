/**
 * The void side of the argv and pipe conventions, for Node programs that
 * run in a void (docs/rpc.md) — the TypeScript twin of lib/c's
 * void_fd_arg and void_pipe_send, plus a reader for pipe messages.
 *
 *   import { VoidArgs, pipeMessages, pipeSend } from "void-run/args";
 *   const args = new VoidArgs(process.argv.slice(2)); // what follows the script
 *   const role = args.entrypoint();                    // the "Entrypoint" argument
 *   const jobs = args.fd("the jobs pipe");             // a {"Pipe": {"Rx": "jobs"}} argument
 *   for await (const message of pipeMessages(jobs)) ...
 *
 * Pure Node: no addon, nothing outside node:fs and node:net.
 */
import { fstatSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { createInterface } from "node:readline";

/** Pipe messages: a line is at most PIPE_BUF (4096) bytes with its "\n", so one write is atomic. */
export const PIPE_MESSAGE_MAX_BYTES = 4095;

/** A malformed argument or message; `code` is the errno name the C library would set (EINVAL, EBADF). */
export class VoidArgError extends Error {
  constructor(
    readonly code: "EINVAL" | "EBADF",
    message: string,
  ) {
    super(message);
    this.name = "VoidArgError";
  }
}

/**
 * The fd number in an argv string the launcher wrote: canonical decimal
 * ("3", "17": no sign, space or leading zero, at most 2^31-1), and open.
 * Throws VoidArgError EINVAL (not such a number) or EBADF (not open).
 */
export function fdArg(text: string, what = "argument"): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > 0x7fffffff) {
    throw new VoidArgError("EINVAL", `${what}: ${JSON.stringify(text)} is not a file descriptor number`);
  }
  const fd = Number(text);
  try {
    fstatSync(fd);
  } catch {
    throw new VoidArgError("EBADF", `${what}: file descriptor ${fd} is not open (is the spec's argument list in this order?)`);
  }
  return fd;
}

/**
 * A cursor over a void's argv, in the order of the spec's "args": take each
 * argument as what the spec says it is. Pass the arguments after the
 * program's own name (for Node: `process.argv.slice(2)`, after the script;
 * for a binary: `process.argv.slice(1)` is rarely right, since Node itself is
 * argv[0] and the script argv[1]).
 */
export class VoidArgs {
  private at = 0;

  constructor(private readonly list: readonly string[]) {}

  /** How many arguments are left. */
  get remaining(): number {
    return this.list.length - this.at;
  }

  /** The next argument as a string ("BinaryName", "Entrypoint", a pipe message, a Trailing argument). */
  next(what = "argument"): string {
    const value = this.list[this.at];
    if (value === undefined) throw new VoidArgError("EINVAL", `${what}: missing (argument ${this.at + 1}; only ${this.list.length} given)`);
    this.at++;
    return value;
  }

  /** The "Entrypoint" argument: this void's entrypoint name. */
  entrypoint(): string {
    return this.next("the entrypoint name");
  }

  /** The next argument as an open fd (File, Pipe, FileSocket, TcpListener, Rpc). */
  fd(what = `argument ${this.at + 1}`): number {
    return fdArg(this.next(what), what);
  }

  /** Every argument left, as strings (Trailing, or a Pipe trigger's message). */
  rest(): string[] {
    const rest = this.list.slice(this.at);
    this.at = this.list.length;
    return rest;
  }

  /** Every argument left, as fds (a FileSocket trigger's received fds). */
  fds(what = "trigger fd"): number[] {
    return this.rest().map((t, i) => fdArg(t, `${what} ${i + 1}`));
  }
}

/**
 * Writes `message` and "\n" to a pipe in one write(2), so the line arrives
 * whole. Refuses (VoidArgError EINVAL) a message with "\n" (it would be two
 * messages), a NUL byte (no argv can carry it), or more than 4095 bytes.
 * Blocks while the pipe is full, like any write to a pipe.
 */
export function pipeSend(fd: number, message: string): void {
  const bytes = Buffer.from(`${message}\n`, "utf8");
  if (message.includes("\n")) throw new VoidArgError("EINVAL", 'a pipe message cannot contain "\\n": it would arrive as two messages');
  if (message.includes("\0")) throw new VoidArgError("EINVAL", "a pipe message cannot contain a NUL byte: no argv can carry it");
  if (bytes.length - 1 > PIPE_MESSAGE_MAX_BYTES) throw new VoidArgError("EINVAL", `a pipe message is at most ${PIPE_MESSAGE_MAX_BYTES} bytes; this one has ${bytes.length - 1}`);
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (e) {
      // A non-blocking pipe that is full: wait for room (a line <= PIPE_BUF is written whole or not at all).
      if ((e as { code?: string }).code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * The messages on the read end of a pipe, one per line (without "\n"), as
 * they arrive; ends when every writer has closed. Bytes left without a
 * final "\n" form one last message, as the launcher's Pipe triggers read
 * them. Reads through the event loop: other work goes on meanwhile.
 */
export async function* pipeMessages(fd: number): AsyncGenerator<string> {
  const stream = new Socket({ fd, readable: true, writable: false });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}
