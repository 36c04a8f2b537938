/**
 * The interactive forktop: the tracer, the model, ink, the program's output
 * and the shell hotkey.
 *
 * The traced program (`forktop -- CMD`) gets /dev/null as stdin, and its
 * stdout and stderr go to one file (`--output FILE`, else a new
 * `forktop-PID-*.out` in the temp directory), which the output pane (`o`)
 * follows. A file rather than a pipe, so that the program keeps running,
 * and writing, after forktop quits.
 *
 * The shell hotkey hands the terminal to the tracer: ink is unmounted, the
 * terminal stays in raw mode, forktop stops reading it and ignores SIGINT,
 * the tracer relays the terminal (its fd 4) to the shell's pty until
 * `shell-exit` (or `error`), then the same session is drawn again.
 */

import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { render } from "ink";
import { createElement } from "react";
import { TailBuffer } from "./lines.js";
import { type ProcessTable as Table, ProcessTable } from "./model.js";
import type { TracerEvent, UnknownEvent } from "./protocol.js";
import { type Target, Tracer } from "./tracer.js";
import { App } from "./ui/App.js";
import { Session } from "./ui/screen.js";
import { type Effect, initialState } from "./ui/state.js";
import { sanitize } from "./view.js";

export interface TuiOptions {
  target: Target;
  /** Where the program's stdout and stderr go (default: a new temp file). */
  output?: string;
  poll?: boolean;
  rescanMs?: number;
}

const ALT_SCREEN_ON = "\u001b[?1049h";
const ALT_SCREEN_OFF = "\u001b[?1049l";
const CLEAR = "\u001b[2J\u001b[H";
const SHOW_CURSOR = "\u001b[?25h";

/** Follows a file as it grows (the program's output), into a TailBuffer. */
class FileFollower {
  readonly tail = new TailBuffer();
  private offset = 0;
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(path: string, onData: () => void) {
    this.fd = openSync(path, "r");
    this.timer = setInterval(() => {
      if (this.poll()) onData();
    }, 200);
    this.timer.unref();
  }

  /** Reads what was appended; true if anything was. */
  poll(): boolean {
    let any = false;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      } catch {
        return any;
      }
      if (n <= 0) return any;
      this.offset += n;
      this.tail.push(this.buf.subarray(0, n));
      any = true;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.poll();
    closeSync(this.fd);
  }
}

function describeTarget(t: Target): string {
  return "pid" in t ? `pid ${t.pid}` : t.cmd.join(" ");
}

export async function runTui(opts: TuiOptions): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    process.stderr.write("forktop: the interactive view needs a terminal on stdin and stdout; use --json for a log of events\n");
    return 2;
  }
  const table: Table = new ProcessTable();
  const session = new Session(table, initialState(), describeTarget(opts.target));

  // The program's output file.
  let outFd: number | null = null;
  let outPath: string | null = null;
  let outDir: string | null = null;
  if ("cmd" in opts.target) {
    if (opts.output !== undefined) outPath = opts.output;
    else {
      outDir = mkdtempSync(join(tmpdir(), `forktop-${process.pid}-`));
      outPath = join(outDir, "output");
    }
    try {
      outFd = openSync(outPath, "a", 0o600);
    } catch (e) {
      process.stderr.write(`forktop: open ${outPath}: ${(e as Error).message}\n`);
      return 125;
    }
    session.outputPath = outPath;
  }

  const tracer = new Tracer({
    target: opts.target,
    ...(opts.poll ? { poll: true } : {}),
    ...(opts.rescanMs !== undefined ? { rescanMs: opts.rescanMs } : {}),
    stdio: outFd === null ? ["ignore", "ignore", "pipe"] : ["ignore", outFd, outFd],
    ttyFd: 0,
  });
  if (outFd !== null) closeSync(outFd);
  const follower = outPath === null ? null : new FileFollower(outPath, () => session.changed());
  session.output = follower?.tail ?? null;

  // Events are applied at once; drawing is ink's business (at most 30 fps).
  const shellWaiters = new Set<(ev: TracerEvent | UnknownEvent) => void>();
  tracer.on("event", (ev) => {
    table.apply(ev);
    for (const w of shellWaiters) w(ev);
    session.changed();
  });
  // A tracer of another protocol version: leave, saying why (after the view is gone).
  tracer.on("refused", () => {
    if (!busy) void quit();
  });
  tracer.on("bad-line", (error) => {
    table.protocolError(Date.now(), error);
    session.changed();
  });
  tracer.on("exit", (exit) => {
    const stderr = tracer.stderr.join("").trim();
    if (stderr !== "") for (const line of stderr.split("\n")) table.addLog({ time: Date.now(), kind: "protocol", text: `tracer: ${line}`, level: "warn" });
    session.tracerGone = table.detached ? "detached" : exit.code === 0 ? (table.liveCount === 0 ? "all processes exited" : "tracer exited") : `tracer failed (${exit.signal ?? `status ${exit.code}`})`;
    if (exit.code !== 0)
      session.ui = {
        ...session.ui,
        message: { text: `the tracer ${exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`}; the view is frozen (q quits)`, level: "error" },
      };
    for (const w of shellWaiters) w({ event: "tracer-exit", time: Date.now(), unknown: true });
    session.changed();
  });

  stdout.write(ALT_SCREEN_ON + CLEAR);
  let instance: ReturnType<typeof render> | null = null;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let busy = false;

  const mount = () => {
    instance = render(createElement(App, { session, onEffect }), { exitOnCtrlC: false, patchConsole: false, stdin, stdout });
  };
  const unmount = () => {
    instance?.unmount();
    instance = null;
  };

  const quit = async () => {
    busy = true;
    if (tracer.running) {
      session.ui = { ...session.ui, message: { text: "detaching…", level: "info" } };
      session.changed();
      await tracer.detach();
    }
    unmount();
    finish(0);
  };

  const openShell = async (pid: number) => {
    if (!tracer.running) {
      session.ui = { ...session.ui, message: { text: "the tracer is gone: no shell", level: "error" } };
      session.changed();
      return;
    }
    busy = true;
    unmount();
    // The terminal is the tracer's until the shell ends.
    stdin.setRawMode(true);
    stdin.pause();
    // pause() stops the libuv read only through process.stdin's own 'pause'
    // listener, and only when the stream was flowing; ink read it in paused
    // mode, so pause() alone would leave one read pending that steals a
    // chunk of the shell's input. Let Node's handler stop it, one tick later.
    stdin.emit("pause");
    await new Promise((resolve) => setImmediate(resolve));
    const ignoreSigint = () => {};
    process.on("SIGINT", ignoreSigint);
    const onResize = () => tracer.send(`resize ${stdout.rows} ${stdout.columns}`);
    stdout.on("resize", onResize);
    const p = table.byPid(pid);
    // The name is the process's own choice (prctl PR_SET_NAME): sanitized, as everywhere on screen.
    stdout.write(`${CLEAR}${SHOW_CURSOR}forktop: opening a shell inside ${pid}${p?.snapshot.comm ? ` (${sanitize(p.snapshot.comm)})` : ""}; exit the shell to come back\r\n`);
    const outcome = await new Promise<{ error?: string }>((resolve) => {
      let shellPid: number | null = null;
      const waiter = (ev: TracerEvent | UnknownEvent) => {
        if (ev.event === "shell" && "shell" in ev && ev.pid === pid) shellPid = ev.shell;
        else if (ev.event === "shell-exit" && "shell" in ev && (shellPid === null || ev.shell === shellPid)) finishWith({});
        else if (ev.event === "error" && "message" in ev && shellPid === null) finishWith({ error: ev.message });
        else if (ev.event === "tracer-exit") finishWith({ error: "the tracer exited" });
      };
      const finishWith = (r: { error?: string }) => {
        shellWaiters.delete(waiter);
        resolve(r);
      };
      shellWaiters.add(waiter);
      if (!tracer.send(`shell ${pid} ${stdout.rows} ${stdout.columns}`)) finishWith({ error: "the tracer no longer listens" });
    });
    stdout.off("resize", onResize);
    process.off("SIGINT", ignoreSigint);
    stdout.write(CLEAR);
    session.ui = {
      ...session.ui,
      message: outcome.error !== undefined ? { text: `shell: ${outcome.error}`, level: "error" } : { text: `shell inside ${pid} ended`, level: "info" },
    };
    busy = false;
    mount();
    session.changed();
  };

  function onEffect(effect: Effect): void {
    if (busy) return;
    if (effect.kind === "quit") void quit();
    else if (effect.kind === "shell") void openShell(effect.pid);
    else if (effect.kind === "rescan") {
      if (!tracer.send("rescan")) {
        session.ui = { ...session.ui, message: { text: "the tracer is gone: nothing to rescan", level: "error" } };
        session.changed();
      }
    }
  }

  // A terminal hang-up or SIGTERM: detach and leave like q.
  const onTerm = () => {
    if (!busy) void quit();
  };
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onTerm);
  // The terminal went away (EIO, EPIPE): nothing more can be drawn; detach.
  let terminalGone = false;
  const onOutputError = () => {
    terminalGone = true;
    if (!busy) void quit();
  };
  stdout.on("error", onOutputError);

  mount();
  const code = await done;
  process.off("SIGTERM", onTerm);
  process.off("SIGHUP", onTerm);
  follower?.close();
  if (!terminalGone) {
    stdout.write(ALT_SCREEN_OFF + SHOW_CURSOR);
    if (stdin.isTTY) stdin.setRawMode(false);
  }
  stdin.pause();

  const live = table.liveCount;
  if (table.detached && live > 0) process.stderr.write(`forktop: detached; ${live} process${live === 1 ? " runs" : "es run"} on untraced\n`);
  if (outPath !== null) {
    let size = 0;
    try {
      const fd = openSync(outPath, "r");
      size = fstatSync(fd).size;
      closeSync(fd);
    } catch {
      size = -1;
    }
    if (outDir !== null && size === 0 && live === 0) {
      rmSync(outPath, { force: true });
      rmdirSync(outDir);
    } else if (size !== 0 || live > 0) process.stderr.write(`forktop: the program's output is in ${outPath}\n`);
  }
  if (tracer.refused !== null) {
    process.stderr.write(`forktop: ${tracer.refused}\n`);
    return 125;
  }
  return code;
}
