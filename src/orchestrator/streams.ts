/**
 * The launcher's standard streams as voids receive them.
 *
 * A void granted Stdin, Stdout or Stderr never holds the launcher's own
 * stream: every kind would give it more than the stream. Even /dev/null:
 * a void whose uid owns the node (host uid 0, with --host-root) could
 * fchmod the launcher's and so the host's; where the launcher's stream is
 * /dev/null (or closed) the void opens its own, on its read-only bind of
 * the node (native/void_spawn.c add_device). A terminal above all: it
 * takes ioctls (TIOCSTI types into the
 * shell that started `void run`, TCSETS turns echo off for good, TCXONC
 * stops the terminal and with it the launcher's next write), and the
 * shell's terminal is open read-write, so an output fd also reads the keys
 * typed next. A socket can be shut down for every other writer or read
 * from. A pipe can be opened again through /proc/PID/fd in the other
 * direction (a void with Procfs would read what other voids write, or the
 * next program of a shell pipeline's input). A regular file shares its
 * open file description: a void could clear O_APPEND and truncate the log
 * it was given to append to.
 *
 * Output reaches the real stream through a pipe of each void's own: the
 * void holds its write end, a relay thread of the addon's
 * (native/addon/relay.c) copies from the read end to the launcher's
 * stream. A thread per void, not one for all: a void can hold its own
 * pipe's lock for as long as it likes (a splice() into it from an empty
 * socket waits holding it), and a read of that pipe then waits for the
 * lock, whatever O_NONBLOCK says; a thread shared by every void's pipe
 * stopped every void's output that way (outside attack 20). Nothing
 * is shared between voids: reopening the pipe through
 * /proc/PID/fd reaches only the void's own output, O_NONBLOCK changes only
 * its own pipe, and no void can shut the stream down for another (as it
 * could a shared socket). The relay's writes block only its thread, so
 * nothing a void does to its stream stops the event loop that supervises
 * every other void; the launcher logs a void's exit once its relay has
 * written the void's last bytes (or after EXIT_DRAIN_MS), so the lines
 * stay in order. Input (Stdin) is one AF_UNIX stream socket that every
 * void granted it shares, as they would share a terminal: a relay copies
 * what the user types into it; a socket, not a pipe, so that no void can
 * reopen it through /proc for writing and feed the others.
 *
 * Why a pipe and not a pseudo-terminal (sudo's use_pty, systemd-run --pty):
 * a pty is a terminal again, with a line discipline and ioctls of its own,
 * one per void and multiplexed onto the user's terminal, and the launcher
 * would have to put the user's terminal in raw mode. void runs the parts
 * of a program, several of them writing to one terminal at once, not
 * interactive sessions; so a void sees a pipe (a socket for stdin;
 * isatty() is false, as under `program | cat`), and the user's terminal
 * keeps its own echo and line editing. bubblewrap's --new-session closes
 * TIOCSTI only; this closes every terminal operation. Every void also
 * runs in a session of its own (native/void_spawn.c), and the default
 * seccomp filter refuses TIOCSTI and TIOCLINUX, should a terminal reach a
 * void some other way.
 */
import { closeSync, fstatSync } from "node:fs";
import type { NativeAddon } from "../native/addon.js";
import type { VoidPlan } from "../plan/types.js";
import { PIPE_MESSAGE_MAX_BYTES } from "../rpc/protocol.js";
import { relayFd } from "./launcher.js";
import { FloodLog, type LineKind, type Logger } from "./log.js";

export type StreamName = "stdin" | "stdout" | "stderr";

const STREAM_FD: Record<StreamName, number> = { stdin: 0, stdout: 1, stderr: 2 };

/** /dev/null's device number (major 1, minor 3). */
const DEV_NULL_RDEV = (1 << 8) | 3;

/** How long the output relays may take to drain once every void has ended before what is left is dropped. */
const DRAIN_MS = 5000;
/** How long the launcher waits for a void's output relay before it logs the void's exit. */
export const EXIT_DRAIN_MS = 1000;

/** What a void gets for the launcher's fd `fd`: "devnull" (it is /dev/null, or closed: the void's own /dev/null) or "relay". */
export function streamDisposition(fd: number): "devnull" | "relay" {
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch {
    return "devnull";
  }
  return st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV ? "devnull" : "relay";
}

type Relay = ReturnType<typeof relayFd>;

/** What one void gets for a stream: the fd to place, the launcher's copy to close once it has it, and its relay's end. */
export interface VoidStream {
  fd: number;
  close?: number;
  ended?: Promise<void>;
}

export class Streams {
  /** Output streams whose voids each get a relayed pipe. */
  private readonly relayedOutput = new Set<StreamName>();
  /** Streams that are /dev/null or closed in the launcher: each void opens its own /dev/null. */
  private readonly devNull = new Set<StreamName>();
  /** The shared input socket (its void end) and its relay. */
  private stdin?: { voidEnd: number; relay: Relay };
  /** Output relays not yet ended. */
  private readonly live = new Set<Relay>();

  private constructor(
    private readonly addon: NativeAddon,
    private readonly log: Logger,
    private readonly flood: FloodLog,
  ) {}

  /** Decides, for each stream some plan grants, whether voids get it relayed; starts the input relay. */
  static open(plans: readonly VoidPlan[], addon: NativeAddon, log: Logger, flood: FloodLog = new FloodLog(log)): Streams {
    const s = new Streams(addon, log, flood);
    const granted = new Set(plans.flatMap((p) => p.fds.map((f) => f.source.kind)));
    for (const name of ["stdin", "stdout", "stderr"] as const) {
      if (!granted.has(name)) continue;
      if (streamDisposition(STREAM_FD[name]) === "devnull") {
        s.devNull.add(name);
        continue;
      }
      if (name !== "stdin") {
        s.relayedOutput.add(name);
        log.debug(`${name}: each void gets a pipe of its own, relayed by the launcher`);
        continue;
      }
      const [r, w] = addon.streamPair();
      try {
        const relay = relayFd(0, w);
        addon.setBlocking(w, false);
        s.stdin = { voidEnd: r, relay };
      } catch (e) {
        closeSync(r);
        throw e;
      } finally {
        closeSync(w);
      }
      log.debug("stdin: voids share a socket, relayed by the launcher");
    }
    return s;
  }

  /** What a void gets for `name` (call once per void; close `close` once the void has its copy). */
  forVoid(name: StreamName): VoidStream {
    if (this.devNull.has(name)) return { fd: -1 };
    // Every stream a plan grants was sorted by open(): /dev/null, the shared input socket, or a relayed output. A
    // name none of them holds is a caller's bug, never a reason to hand a void the launcher's own stream.
    if (name === "stdin") {
      if (this.stdin === undefined) throw new Error("void: internal error: stdin granted to a void but never opened");
      return { fd: this.stdin.voidEnd };
    }
    if (!this.relayedOutput.has(name)) throw new Error(`void: internal error: ${name} granted to a void but never opened`);
    return this.relayed(false, (r) => relayFd(r, STREAM_FD[name]));
  }

  /**
   * A pipe of a void's own into `to`, the write end of a Pipe several voids
   * write to (src/orchestrator/wiring.ts sharedWriters): the void gets the
   * write end (`fd`; close it once the void has its copy), and the
   * launcher relays what it writes into `to` on a thread of its own. The
   * void's pipe is a packet pipe, relayed one packet per write (at most
   * PIPE_BUF bytes), so each write the void makes of up to PIPE_BUF bytes
   * reaches `to` whole, never interleaved with another void's, as it would
   * writing there itself; once the pipe's reader is gone the void's writes
   * fail with EPIPE, as they would into the pipe itself. Into a Pipe
   * trigger's pipe (`trigger`), whole messages only: the relay frames its
   * void's writes as the trigger loop would (native/addon/relay.c
   * framer), so no void's unfinished line joins another's message.
   */
  relayInto(to: number, trigger?: { writer: string; reader: string }): Required<VoidStream> {
    const dropped = trigger === undefined ? undefined : this.droppedLong(trigger);
    // Packet mode: Linux 3.4 and later (void needs 5.4).
    return this.relayed(true, (r) => relayFd(r, to, true, trigger !== undefined, dropped));
  }

  /**
   * Says a message `trigger.writer`'s relay dropped, as the trigger loop
   * says it (src/orchestrator/trigger.ts takeLine). Limited per trigger and
   * writer, a budget next to the loop's: a writer looping long messages
   * would otherwise have the launcher write a line for each.
   */
  private droppedLong(trigger: { writer: string; reader: string }): () => void {
    const source = `trigger ${trigger.reader}`;
    const what = `from entrypoint ${trigger.writer} dropped as too long`;
    const kind: LineKind = { kind: `trigger long from ${trigger.writer}`, level: "error", what: [`message ${what}`, `messages ${what}`] };
    return () => this.flood.line(source, kind, `${source}: message longer than ${PIPE_MESSAGE_MAX_BYTES} bytes (from entrypoint ${trigger.writer}); dropped`);
  }

  /**
   * A new pipe (a packet pipe if `packet`) whose read end `start` relays:
   * the void gets the write end, the launcher keeps neither end, and the
   * relay is tracked until it ends (drain()).
   */
  private relayed(packet: boolean, start: (readEnd: number) => Relay): Required<VoidStream> {
    const [r, w] = this.addon.pipe(packet);
    let relay: Relay;
    try {
      relay = start(r);
    } catch (e) {
      closeSync(w);
      throw e;
    } finally {
      closeSync(r);
    }
    this.live.add(relay);
    void relay.ended.then(() => this.live.delete(relay));
    return { fd: w, close: w, ended: relay.ended };
  }

  /**
   * Once no void runs: lets the output relays write what voids left (up to
   * DRAIN_MS; a void's pipe passed to a process still alive elsewhere
   * keeps its relay open), stops the input relay.
   */
  async close(): Promise<void> {
    if (this.stdin !== undefined) {
      closeSync(this.stdin.voidEnd);
      this.stdin.relay.stop();
    }
    const relays = [...this.live, ...(this.stdin !== undefined ? [this.stdin.relay] : [])];
    this.stdin = undefined;
    if (relays.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn(`output still held open ${DRAIN_MS} ms after the last void ended; the rest is dropped`);
        for (const r of relays) r.stop();
        resolve();
      }, DRAIN_MS);
    });
    await Promise.race([Promise.all(relays.map((r) => r.ended)), late]);
    clearTimeout(timer);
  }
}
