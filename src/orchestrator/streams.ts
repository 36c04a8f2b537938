/**
 * The launcher's standard streams as voids receive them.
 *
 * A void granted Stdin, Stdout or Stderr never holds the launcher's own
 * stream, except /dev/null: every other kind would give it more than the
 * stream. A terminal above all: it takes ioctls (TIOCSTI types into the
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
 * Such a stream reaches voids through a socket pair the launcher owns (a
 * byte stream like a pipe, but one no void can open again through
 * /proc/PID/fd to read what the others write), and a relay thread of the
 * addon's (native/void_addon.c) copies between it and the real stream:
 * voids write their output into it; with a Stdin grant, what the user
 * types is copied into one that voids read.
 * The relay's writes block only its own thread, so nothing a void does to
 * its stream can stop the event loop that supervises every other void.
 *
 * Why a pipe-like stream and not a pseudo-terminal (sudo's use_pty, systemd-run --pty):
 * a pty is a terminal again, with a line discipline and ioctls of its own,
 * one per void and multiplexed onto the user's terminal, and the launcher
 * would have to put the user's terminal in raw mode. void runs the parts
 * of a program, several of them writing to one terminal at once, not
 * interactive sessions; so a void sees a socket (isatty() is false, as under
 * `program | cat`), and the user's terminal keeps its own echo and line
 * editing. bubblewrap's --new-session closes TIOCSTI only; this closes
 * every terminal operation. Every void also runs in a session of its own
 * (native/void_spawn.c), and the default seccomp filter refuses TIOCSTI
 * and TIOCLINUX, should a terminal reach a void some other way.
 */
import { closeSync, fstatSync, writeSync } from "node:fs";
import type { NativeAddon } from "../native/addon.js";
import type { VoidPlan } from "../plan/types.js";
import { relayFd } from "./launcher.js";
import type { Logger } from "./log.js";

export type StreamName = "stdin" | "stdout" | "stderr";

const STREAM_FD: Record<StreamName, number> = { stdin: 0, stdout: 1, stderr: 2 };

/** /dev/null's device number (major 1, minor 3). */
const DEV_NULL_RDEV = (1 << 8) | 3;

/** How long the output relays may take to drain once every void has ended before what is left is dropped. */
const DRAIN_MS = 5000;

/** What a void may receive of the launcher's fd `fd`: "pass" (as it is: /dev/null), "relay", or "closed" (no such fd: /dev/null too). */
export function streamDisposition(fd: number): "pass" | "relay" | "closed" {
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch {
    return "closed";
  }
  if (st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV) return "pass";
  return "relay";
}

interface Relayed {
  /** The end the launcher hands to voids. */
  voidEnd: number;
  relay: { ended: Promise<void>; stop: () => void };
}

export class Streams {
  private readonly relayed = new Map<StreamName, Relayed>();
  private readonly closed = new Set<StreamName>();
  /** The relayed stderr's void end, where the launcher's log lines go too; -1 when stderr is not relayed. */
  private logFd = -1;

  private constructor(private readonly log: Logger) {}

  /** Relays for the streams some plan grants and that cannot be passed as they are. */
  static open(plans: readonly VoidPlan[], addon: NativeAddon, log: Logger): Streams {
    const s = new Streams(log);
    const granted = new Set(plans.flatMap((p) => p.fds.map((f) => f.source.kind)));
    try {
      for (const name of ["stdin", "stdout", "stderr"] as const) {
        if (!granted.has(name)) continue;
        const fd = STREAM_FD[name];
        const how = streamDisposition(fd);
        if (how === "closed") s.closed.add(name);
        if (how !== "relay") continue;
        const [r, w] = addon.streamPair();
        try {
          // stdin: the user's terminal -> the pipe voids read; output: the pipe voids write -> the real stream.
          const relay = name === "stdin" ? relayFd(fd, w) : relayFd(r, fd);
          if (name === "stdin") addon.setBlocking(w, false);
          s.relayed.set(name, { voidEnd: name === "stdin" ? r : w, relay });
          closeSync(name === "stdin" ? w : r);
        } catch (e) {
          closeSync(r);
          closeSync(w);
          throw e;
        }
        log.debug(`${name}: voids get a socket, relayed by the launcher`);
      }
      const err = s.relayed.get("stderr");
      if (err !== undefined && log.route !== undefined) {
        // The launcher's lines go through the same socket, after whatever a void wrote before them
        // (a void's error message, then its exit). A void may have made the shared end non-blocking:
        // a line that does not fit then goes straight to the real stderr.
        const fd = err.voidEnd;
        s.logFd = fd;
        log.route((line) => {
          try {
            const b = Buffer.from(line);
            for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
          } catch {
            process.stderr.write(line);
          }
        });
      }
    } catch (e) {
      void s.close();
      throw e;
    }
    return s;
  }

  /** The launcher fd a void gets for `name`; -1 means /dev/null (the launcher has no such stream). */
  fdFor(name: StreamName): number {
    if (this.closed.has(name)) return -1;
    return this.relayed.get(name)?.voidEnd ?? STREAM_FD[name];
  }

  /**
   * Once no void runs: closes the launcher's ends and lets the output
   * relays write what voids left in their pipes (up to DRAIN_MS), stops
   * the input relay.
   */
  async close(): Promise<void> {
    if (this.logFd >= 0) {
      this.log.route?.(undefined);
      this.logFd = -1;
    }
    const waits: Promise<void>[] = [];
    for (const [name, r] of this.relayed) {
      closeSync(r.voidEnd);
      if (name === "stdin") r.relay.stop();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn(`${name}: output still held open ${DRAIN_MS} ms after the last void ended; the rest is dropped`);
          r.relay.stop();
          resolve();
        }, DRAIN_MS);
      });
      waits.push(Promise.race([r.relay.ended, late]).then(() => clearTimeout(timer)));
    }
    this.relayed.clear();
    await Promise.all(waits);
  }
}
