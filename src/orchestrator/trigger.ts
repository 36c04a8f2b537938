/**
 * Trigger loops: a fresh void per message.
 *
 * A Pipe trigger's message is one write(2): its pipe is in packet mode
 * (O_DIRECT), where each write of up to PIPE_BUF bytes is one packet and
 * each read returns one, so two quick writes are never merged and none is
 * split, whatever the timing. Within a write, each newline ends a message
 * (the newline is not part of it: stdio's buffered output of several lines
 * is one message per line); what follows the last newline is a message
 * of its own, unless the packet is exactly PIPE_BUF bytes long: then the
 * write may go on in the next packet (the kernel splits longer writes into
 * PIPE_BUF-sized packets, and stdio flushes full buffers of that size), and
 * the bytes wait for it. A message longer than MAX_MESSAGE (4095) bytes,
 * or containing a NUL byte (argv cannot carry one), is logged and dropped
 * — never truncated, never split. Bytes left over when the last writer
 * closes form one last message. Where the kernel has no packet pipes, the
 * pipe is a byte stream and only newlines end messages.
 *
 * No void writes into the pipe itself (src/orchestrator/wiring.ts): each
 * writer's relay thread frames its messages this same way and writes
 * whole ones only (native/addon/relay.c), so the loop never takes one
 * void's unfinished line to go on in another's packet, and its read here,
 * on the event loop, never waits for a pipe lock a void holds.
 *
 * A FileSocket trigger receives packets (AF_UNIX SOCK_SEQPACKET) carrying
 * up to MAX_FDS fds by SCM_RIGHTS; each packet spawns one void whose
 * Trigger arguments are the received fds' numbers inside the void (an
 * entrypoint without a "Trigger" argument is not granted them: they are
 * closed, and its void runs without them). A packet whose fds did not fit
 * is logged and dropped, its fds closed. The data bytes of a packet are
 * ignored.
 *
 * At most `bound` voids of one trigger run at once. Above it, the loop
 * stops reading: messages wait in the pipe or socket (and writers block
 * once the kernel buffer is full) instead of being dropped. Readiness comes
 * from the addon's watcher (EPOLLONESHOT): the loop asks for the next
 * report only when it can take more.
 */
import { readSync } from "node:fs";
import type { NativeAddon } from "../native/addon.js";
import { Limit } from "../native/contract.js";
import { FILE_SOCKET_MAX_FDS, PIPE_MESSAGE_MAX_BYTES } from "../rpc/protocol.js";
import type { VoidPlan } from "../plan/types.js";
import { FD_COST } from "./broker.js";
import { CLOSER_RETRY_MS, closeReceived, watchFd } from "./launcher.js";
import type { FloodLog, LineKind, Logger } from "./log.js";
import { SecondBudget, whenPast } from "./pacing.js";

/** Longest Pipe trigger message in bytes, without its newline: a whole line fits PIPE_BUF, so one write(2) is atomic. */
export const MAX_MESSAGE = PIPE_MESSAGE_MAX_BYTES;
/** Linux's PIPE_BUF: the largest write a pipe keeps whole, and the size of a packet pipe's packets. */
export const PIPE_BUF = 4096;
/** Most fds one FileSocket packet may carry (the addon's receive buffer holds this many). */
export const MAX_FDS = FILE_SOCKET_MAX_FDS;

/**
 * What a writer can make a loop log once per message: limited per trigger
 * (FloodLog), one budget for each kind, shared with the writers' relays
 * (src/orchestrator/streams.ts relayInto).
 */
export const DROPPED_LONG: LineKind = { kind: "trigger long", level: "error", what: ["message dropped as too long", "messages dropped as too long"] };
const DROPPED_NUL: LineKind = { kind: "trigger nul", level: "error", what: ["message dropped for a NUL byte", "messages dropped for a NUL byte"] };
const DROPPED_PACKET: LineKind = { kind: "trigger packet", level: "error", what: ["packet dropped for its size", "packets dropped for their size"] };

/** What dropped messages and FileSocket packets may cost a trigger per second: one each, and FD_COST per fd a packet carried (chargeDropped). */
export const DROPPED_PER_SECOND = 256;

/** A Pipe message as the writer wrote it (bytes: argv carries any but NUL), or a FileSocket packet's fds. */
export type Message = { kind: "text"; bytes: Buffer } | { kind: "fds"; fds: number[] };

export interface LoopHost {
  readonly log: Logger;
  /** For the lines a writer can cause once per message. */
  readonly flood: FloodLog;
  readonly addon: NativeAddon;
  /** Spawns one void of `plan` for `message`; resolves when it has started (or failed to). */
  spawnTriggered(plan: VoidPlan, message: Message, onExit: () => void): Promise<void>;
  /** The loop has read EOF and all its voids have been spawned and have exited. */
  loopFinished(loop: TriggerLoop): void;
}

export class TriggerLoop {
  private readonly queue: Message[] = [];
  private running = 0;
  private eof = false;
  private armed = true;
  private finished = false;
  private waitLogged = false;
  private partial: Buffer = Buffer.alloc(0);
  private discarding = false;
  /** Set while FileSocket messages are not taken (the closers are behind, or dropped packets spent the second's budget): looks again when it fires. */
  private paused: ReturnType<typeof setTimeout> | null = null;
  /** What dropped messages and packets cost (chargeDropped). */
  private readonly dropBudget = new SecondBudget(DROPPED_PER_SECOND);
  private readonly watch: { rearm: () => void; stop: () => void };
  private readonly buf = Buffer.alloc(65536);
  /** Messages taken so far (for logs and tests). */
  count = 0;

  constructor(
    private readonly host: LoopHost,
    readonly plan: VoidPlan,
    readonly fd: number,
    private readonly bound: number,
    /** The pipe is in packet mode: one read, one write. */
    private readonly packets = false,
  ) {
    if (plan.trigger.kind === "Pipe") host.addon.setBlocking(fd, false);
    this.watch = watchFd(fd, () => this.onReadable());
  }

  get name(): string {
    return this.plan.entrypoint;
  }

  /** What its lines start with, and their FloodLog source. */
  get source(): string {
    return `trigger ${this.name}`;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private onReadable(): void {
    this.armed = false;
    // Read only while there is room: the rest waits in the kernel.
    while (!this.eof && this.queue.length === 0 && this.running < this.bound && this.paused === null) {
      if (this.waitForClosers() || !this.readOnce()) break;
    }
    this.pump();
  }

  /**
   * A FileSocket message carries fds: none are taken while the closers are
   * behind (native/addon/relay.c closer_behind); a timer reads again, the
   * watch is not rearmed meanwhile.
   */
  private waitForClosers(): boolean {
    if (this.plan.trigger.kind === "Pipe" || !this.host.addon.closersBehind()) return false;
    this.paused ??= setTimeout(() => {
      this.paused = null;
      if (!this.finished) this.onReadable();
    }, CLOSER_RETRY_MS);
    return true;
  }

  /**
   * A dropped message costs the launcher its reading and a log line's
   * budget, a dropped packet a close for each fd it carried too: CPU no
   * void's cgroup counts (outside attack 46: 3,000 packets of 253 fds took
   * 11 s of it; attack 48: a 64 KiB write of "\0\n" is 32,768 messages,
   * 19 ms). Past DROPPED_PER_SECOND in a second, the trigger reads again
   * when the second is over (the writers wait in the pipe or the socket's
   * buffer, as at the concurrency bound).
   */
  private chargeDropped(units: number): void {
    const until = this.dropBudget.charge(units);
    if (until === 0 || this.paused !== null) return;
    whenPast(
      until,
      () => {
        this.paused = null;
        if (!this.finished) this.onReadable();
      },
      (timer) => {
        this.paused = timer;
      },
    );
  }

  /** One read; false when nothing was waiting. */
  private readOnce(): boolean {
    if (this.plan.trigger.kind === "Pipe") {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") return false;
        throw e;
      }
      if (n === 0) {
        this.eof = true;
        if (this.partial.length > 0 && !this.discarding) this.takeLine(this.partial);
        this.partial = Buffer.alloc(0);
        return false;
      }
      this.split(this.buf.subarray(0, n), this.packets && n < PIPE_BUF);
      return true;
    }
    const packet = this.host.addon.recvFds(this.fd, Limit.FileSocketMaxBytes);
    if (packet === null) return false;
    if (packet.eof) {
      this.eof = true;
      return false;
    }
    if (packet.truncated) {
      this.host.flood.line(
        this.source,
        DROPPED_PACKET,
        `trigger ${this.name}: a packet carried more than ${MAX_FDS} fds or ${Limit.FileSocketMaxBytes} bytes; dropped it and closed the ${packet.fds.length} fd(s) that arrived`,
      );
      closeAll(packet.fds);
      this.chargeDropped(1 + packet.fds.length * FD_COST);
      return true;
    }
    this.queue.push({ kind: "fds", fds: packet.fds });
    return true;
  }

  /**
   * What one read returned: its lines, and what follows the last newline,
   * which is a message of its own when `writeEnded` (a packet shorter than
   * PIPE_BUF: its write ended there), else waits for the next read (a byte
   * stream, or a full packet that a longer write may continue).
   */
  private split(chunk: Buffer, writeEnded: boolean): void {
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = Buffer.alloc(0);
    let nl = data.indexOf(10);
    while (nl >= 0) {
      if (this.discarding) this.discarding = false;
      else this.takeLine(data.subarray(0, nl));
      data = data.subarray(nl + 1);
      nl = data.indexOf(10);
    }
    if (writeEnded) {
      if (this.discarding) this.discarding = false;
      else if (data.length > 0) this.takeLine(data);
      return;
    }
    if (this.discarding) return;
    if (data.length > MAX_MESSAGE) {
      this.host.flood.line(this.source, DROPPED_LONG, `trigger ${this.name}: message longer than ${MAX_MESSAGE} bytes; dropped`);
      this.chargeDropped(1);
      this.discarding = true;
      return;
    }
    this.partial = Buffer.from(data);
  }

  private takeLine(line: Buffer): void {
    if (line.length > MAX_MESSAGE) {
      this.host.flood.line(this.source, DROPPED_LONG, `trigger ${this.name}: message longer than ${MAX_MESSAGE} bytes (${line.length}); dropped`);
      this.chargeDropped(1);
      return;
    }
    if (line.includes(0)) {
      this.host.flood.line(this.source, DROPPED_NUL, `trigger ${this.name}: message contains a NUL byte, which no argv can carry; dropped`);
      this.chargeDropped(1);
      return;
    }
    // The bytes as written, not decoded: a void gets what the writer sent, valid UTF-8 or not (outside attack 50).
    this.queue.push({ kind: "text", bytes: Buffer.from(line) });
  }

  /** Starts voids while there is room, then decides whether to read more. */
  pump(): void {
    while (this.queue.length > 0 && this.running < this.bound) {
      const message = this.queue.shift()!;
      this.running++;
      this.count++;
      void this.host.spawnTriggered(this.plan, message, () => {
        this.running--;
        this.pump();
      });
    }
    if (this.queue.length > 0 || (this.running >= this.bound && !this.eof)) {
      if (!this.waitLogged) this.host.log.verbose(`trigger ${this.name}: ${this.running} voids running (the limit); further messages wait`);
      this.waitLogged = true;
    } else {
      this.waitLogged = false;
    }
    if (this.finished) return;
    if (!this.eof && !this.armed && this.paused === null && this.queue.length === 0 && this.running < this.bound) {
      this.armed = true;
      this.watch.rearm();
    }
    if (this.eof && this.queue.length === 0 && this.running === 0) this.finish();
  }

  /** Stops taking messages (shutdown): queued messages are dropped, received fds closed. */
  stop(): void {
    for (const m of this.queue) if (m.kind === "fds") closeAll(m.fds);
    if (this.queue.length > 0) this.host.log.verbose(`trigger ${this.name}: dropped ${this.queue.length} queued message(s) on shutdown`);
    this.queue.length = 0;
    this.eof = true;
    if (this.running === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.paused !== null) clearTimeout(this.paused);
    this.paused = null;
    this.watch.stop();
    this.host.flood.end(this.source);
    this.host.log.verbose(`trigger ${this.name}: no more messages (${this.count} handled)`);
    this.host.loopFinished(this);
  }
}

function closeAll(fds: number[]): void {
  closeReceived(fds);
}
