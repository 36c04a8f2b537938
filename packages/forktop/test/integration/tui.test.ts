/**
 * forktop's interactive view end to end, in a real terminal: tmux on a
 * private socket, 80x24, driving bin/forktop with the real tracer over a
 * `void run` application of two voids (void-init + actor each).
 *
 * - the tree shows the launcher, both voids with all eight namespace badges
 *   and the actors under them;
 * - `/` filters, Enter opens the detail pane with the diff against the
 *   parent, `t` toggles flat and back;
 * - `s` opens a shell inside a voided actor: `id; hostname; ls /` print
 *   what that process has (its uid inside its user namespace, the void's
 *   hostname, the void's root directory), read independently from /proc
 *   and with nsenter; `exit` brings the view back;
 * - `q` quits, and the application runs on, no longer traced;
 * - with a scripted tracer: poll mode, a failed shell, and a tracer of
 *   another protocol version refused.
 * The tmux server (and its socket), the application and the stage are
 * removed at the end.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION } from "../../src/protocol.js";
import { story } from "../support/events.js";
import { addVoid, makeStage, noVoid, packageRoot, pidAlive, pidsRunning, type Stage, waitFor, writeSpec } from "./harness.js";

/**
 * The tmux server's socket, in a private directory of its own (not tmux's
 * default /tmp/tmux-UID/, where kill-server leaves the socket file behind),
 * removed at the end.
 */
const tmuxDir = mkdtempSync(join(tmpdir(), "forktop-tmux-"));
const SOCKET = join(tmuxDir, "socket");

/**
 * The tmux server (and so forktop) gets CI=true whatever the test runner
 * has: ink draws nothing until exit when it believes it runs in CI, and
 * forktop must still draw on a terminal (CI runners set CI; this test once
 * failed only there). SHELL=/bin/sh: tmux runs each command with $SHELL,
 * else the user's login shell, which for a test uid such as nobody is
 * nologin.
 */
const TMUX_ENV = { ...process.env, CI: "true", SHELL: "/bin/sh" };

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-S", SOCKET, "-f", "/dev/null", ...args], { encoding: "utf8", env: TMUX_ENV });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The tmux session the helpers below talk to. */
let session = "main";

function screen(): string {
  return tmux("capture-pane", "-p", "-t", session);
}

function keys(...k: string[]): void {
  tmux("send-keys", "-t", session, ...k);
}

/**
 * Starts `cmd` in a new session `name` (width x 24) and makes it the one
 * the helpers talk to, then ends the previous one. In this order the tmux
 * server never runs out of sessions in between: ending the last session
 * first makes the server exit, and a new-session racing that exit fails.
 */
function switchSession(name: string, width: number, cmd: string): void {
  const previous = session;
  tmux("new-session", "-d", "-s", name, "-x", String(width), "-y", "24", cmd);
  session = name;
  spawnSync("tmux", ["-S", SOCKET, "kill-session", "-t", previous], { env: TMUX_ENV });
}

/** Types text literally, then Enter. */
function typeLine(text: string): void {
  tmux("send-keys", "-t", session, "-l", text);
  keys("Enter");
}

async function waitScreen(what: string, pred: (s: string) => boolean, timeoutMs = 30000): Promise<string> {
  let last = "";
  const ok = await waitFor(() => {
    last = screen();
    return pred(last);
  }, timeoutMs);
  if (!ok) throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
  return last;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The host pid forktop shows for an actor's row. */
function actorPidOnScreen(text: string, entry: string): number | null {
  const m = new RegExp(`^ +(\\d+) +2 .*\\./actor ${entry}$`, "m").exec(text.replace(/ +$/gm, ""));
  return m === null ? null : Number(m[1]);
}

function statusField(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return line === undefined ? "" : line.slice(field.length + 1).trim();
}

/** The effective id inside the process's user namespace, from /proc (independently of forktop). */
function insideEffective(pid: number, kind: "Uid" | "Gid"): number {
  const host = Number(statusField(pid, kind).split(/\s+/)[1]);
  const map = readFileSync(`/proc/${pid}/${kind.toLowerCase()}_map`, "utf8").trim().split("\n");
  for (const row of map) {
    const [inside, outside, count] = row.trim().split(/\s+/).map(Number) as [number, number, number];
    if (host >= outside && host < outside + count) return inside + host - outside;
  }
  return 65534;
}

describe("forktop TUI in tmux (80x24)", { timeout: 180000 }, () => {
  let stage: Stage;
  let spec: string | null = null;
  let outFile: string;
  const actors: number[] = [];

  before(() => {
    stage = makeStage();
    outFile = join(stage.dir, "program-output");
    if (noVoid) return;
    addVoid(stage);
    spec = writeSpec(stage, "forktop-tui", {
      entrypoints: {
        "sleep-120000": { args: ["BinaryName", "Entrypoint"] },
        "sleep-120001": { args: ["BinaryName", "Entrypoint"] },
      },
    });
  });

  after(() => {
    spawnSync("tmux", ["-S", SOCKET, "kill-server"]);
    rmSync(tmuxDir, { recursive: true, force: true });
    // The application was left running by q: end it (its launcher ends its voids).
    for (const pid of spec === null ? [] : pidsRunning("bin/void\0run\0-s\0" + spec)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && actors.some(pidAlive)) spawnSync("sleep", ["0.1"]);
    for (const pid of actors.filter(pidAlive)) process.kill(pid, "SIGKILL");
    stage.cleanup();
    rmSync(outFile, { force: true });
  });

  it("shows the tree, filters, details, toggles, opens a shell inside a void and quits leaving it running", { skip: noVoid }, async () => {
    const forktop = join(packageRoot, "bin", "forktop");
    // Run from the stage with a relative binary, so that command lines are short enough to read at 80 columns.
    const cmd = `cd ${shQuote(stage.dir)} && ${shQuote(process.execPath)} ${shQuote(forktop)} --program-output ${shQuote(outFile)} -- ${shQuote(process.execPath)} bin/void run -s ${shQuote(spec!)} ./actor; echo FORKTOP-EXIT=$?; sleep 600`;
    tmux("new-session", "-d", "-s", "main", "-x", "80", "-y", "24", cmd);

    // The tree: the launcher, two voids (all namespaces new), an actor under each.
    let s = await waitScreen("both actors in the tree", (t) => /└─ \.\/actor sleep-120000/.test(t) && /└─ \.\/actor sleep-120001/.test(t));
    const lines = s.split("\n");
    assert.equal(lines.length >= 23, true);
    for (const l of lines) assert.ok([...l].length <= 80, l);
    assert.match(lines[0]!, /^forktop ptrace │ \d+\/\d+ live/);
    assert.match(lines[1]!, /PID +NSPID UID in\/out +S NS +PRIV COMMAND/);
    // The launcher's row: node (by its full path, which a long one, e.g. a
    // Node 24 from npm, leaves no room after at 80 columns) running void.
    assert.match(s, /^ +\d+ .* [c-][n-]. \S*\bnode( bin\/void run -s|\S* ?…)/m);
    const voidInits = lines.filter((l) => /^ +\d+ +1 .* UMPNIHCT +-n\d [├└]─ void-init/.test(l));
    assert.equal(voidInits.length, 2, s);
    const actorRows = lines.filter((l) => /^ +\d+ +2 .* ········ .*-n\d .*└─ \.\/actor sleep-12000[01]/.test(l));
    assert.equal(actorRows.length, 2, s);
    assert.match(s, /── events \(\d+\) ─/);

    const target = actorPidOnScreen(s, "sleep-120001");
    const other = actorPidOnScreen(s, "sleep-120000");
    assert.ok(target !== null && other !== null, s);
    actors.push(target, other);
    assert.deepEqual(readFileSync(`/proc/${target}/cmdline`, "utf8").split("\0").slice(0, 2), ["./actor", "sleep-120001"]);

    // Filter: only the branch of sleep-120001 (ancestors kept).
    keys("/");
    await waitScreen("the filter prompt", (t) => t.includes("filter: /"));
    tmux("send-keys", "-t", session, "-l", "sleep-120001");
    keys("Enter");
    s = await waitScreen("the filtered tree", (t) => t.includes("│ /sleep-120001") && !/actor sleep-120000/.test(t.split("── events")[0]!));
    assert.match(s, new RegExp(`^ +${target} +2 .*actor sleep-120001`, "m"));

    // Detail of the last row (the actor) and its diff against void-init.
    keys("G");
    keys("Enter");
    s = await waitScreen("the detail pane", (t) => new RegExp(`^PID ${target} \\(namespaced: ${target} → 2\\)`, "m").test(t));
    assert.match(s, /^no_new_privs yes/m);
    assert.match(s, /^seccomp +filter, \d+ filter\(s\)/m);
    assert.match(s, /^uid +host \d+ \d+ \d+ \d+ +inside \d+/m);
    keys("G");
    s = await waitScreen("the end of the detail pane", (t) => /Compared with its parent \d+ \(.*void-init/.test(t));
    keys("Escape");
    await waitScreen("the list again", (t) => t.includes("PID  NSPID"));

    // Flat and back to the tree.
    keys("t");
    s = await waitScreen("the flat view", (t) => t.split("\n")[0]!.includes("│ flat"));
    assert.ok(!/[├└]─/.test(s.split("── events")[0]!), "no tree drawing in the flat view");
    keys("t");
    await waitScreen("the tree view", (t) => t.split("\n")[0]!.includes("│ tree"));

    // A shell inside the actor: same uid, hostname and root as the actor.
    keys("s");
    await waitScreen("the shell prompt", (t) => t.includes(`[forktop ${target}]`));
    typeLine("echo BEGIN-$((6*7)); id; hostname; ls /; echo END-$((6*7))");
    s = await waitScreen("the shell's answers", (t) => /^END-42$/m.test(t));
    const out = s
      .slice(s.search(/^BEGIN-42$/m), s.search(/^END-42$/m))
      .split("\n")
      .slice(1);
    const uid = insideEffective(target, "Uid");
    const gid = insideEffective(target, "Gid");
    assert.match(out[0]!, new RegExp(`^uid=${uid}(\\(\\w+\\))? gid=${gid}(\\(\\w+\\))?`));
    // An unprivileged user may join the void's UTS namespace only through its user namespace (which it owns).
    const ns = spawnSync("nsenter", ["--target", String(target), ...(process.getuid?.() === 0 ? [] : ["--user", "--preserve-credentials"]), "--uts", "hostname"], { encoding: "utf8" });
    assert.equal(ns.status, 0, ns.stderr);
    assert.equal(out[1]!.trim(), ns.stdout.trim());
    const rootEntries = readdirSync(`/proc/${target}/root`).sort();
    const listed = out
      .slice(2)
      .join(" ")
      .split(/\s+/)
      .filter((x) => x !== "")
      .sort();
    assert.deepEqual(listed, rootEntries);
    assert.notDeepEqual(rootEntries, readdirSync("/").sort(), "the void's root is not the host's");
    typeLine("exit");
    s = await waitScreen("the view after the shell", (t) => t.includes(`shell inside ${target} ended`));
    // The shell was traced: its exit is among the last events (its fork, "sh -i", may already have scrolled out of the
    // five lines the events pane shows at 80x24, behind the exits of what it ran and a change of its fds).
    assert.match(s, /exit +\d+ memfd:busybox: exit 0/, "the shell's process was traced");

    // A resize: the view follows the terminal.
    tmux("resize-window", "-t", session, "-x", "100", "-y", "30");
    s = await waitScreen("the view at 100x30", (t) => t.split("\n").some((l) => /^── events \(\d+\) ─+$/.test(l) && [...l].length === 100));
    assert.equal(
      s.split("\n").findIndex((l) => l.startsWith("── events")),
      23,
      "30 rows: 21 process rows",
    );
    tmux("resize-window", "-t", session, "-x", "80", "-y", "24");
    await waitScreen("the view at 80x24 again", (t) => t.split("\n").some((l) => /^── events \(\d+\) ─+$/.test(l) && [...l].length === 80));

    // q: detach and leave the application running, untraced.
    keys("q");
    await waitScreen("forktop's exit", (t) => t.includes("FORKTOP-EXIT=0"));
    assert.ok(pidAlive(target), "the actor still runs after q");
    assert.equal(statusField(target, "TracerPid"), "0");
    assert.ok(pidAlive(other));
    assert.equal(statusField(other, "TracerPid"), "0");
  });

  it("labels poll mode as lossy, and keeps the final tree when the program exits", async () => {
    const forktop = join(packageRoot, "bin", "forktop");
    const cmd = `${shQuote(process.execPath)} ${shQuote(forktop)} --poll --rescan-ms 100 --program-output ${shQuote(outFile)} -- sh -c 'sleep 3; echo done-$((6*7))'; echo FORKTOP-EXIT=$?; sleep 600`;
    switchSession("poll", 80, cmd);
    let s = await waitScreen("the poll mode header", (t) => t.startsWith("forktop poll"));
    assert.match(s.split("\n")[1]!, /^POLL MODE, LOSSY: .*polling \/proc misses processes/);
    s = await waitScreen("the program's exit", (t) => /all processes exited/.test(t));
    assert.match(s, /^ +\d+ +\d+ +X .* sh -c sleep 3; echo done/m);
    assert.match(s, /^ +\d+ +\d+ +X .* └─ sleep 3 \((exit 0|exited)\)/m);
    keys("o");
    await waitScreen("the program's output in the output pane", (t) => /^done-42/m.test(t));
    keys("q");
    await waitScreen("forktop's exit", (t) => t.includes("FORKTOP-EXIT=0"));
  });

  it("shows the tracer's message when a shell cannot be made, and stays usable", async () => {
    const events = join(stage.dir, "story.jsonl");
    writeFileSync(
      events,
      story()
        .map((e) => JSON.stringify(e))
        .join("\n") + "\n",
    );
    const fake = join(stage.dir, "fake-tracer");
    writeFileSync(fake, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(join(packageRoot, "dist", "test", "support", "fake-tracer.js"))} "$@"\n`);
    chmodSync(fake, 0o755);
    const cmd = `FORKTOP_TRACER=${shQuote(fake)} FAKE_TRACER_EVENTS=${shQuote(events)} ${shQuote(process.execPath)} ${shQuote(join(packageRoot, "bin", "forktop"))} -p 100; echo FORKTOP-EXIT=$?; sleep 600`;
    switchSession("noshell", 80, cmd);
    await waitScreen("the scripted tree", (t) => /└─ worker -n 1 \(exit 3\)/.test(t));
    keys("s");
    const s = await waitScreen("the tracer's error", (t) => t.includes("shell: shell 100: the fake tracer cannot inject"));
    assert.match(s, /^forktop ptrace/, "the view is back");
    keys("t");
    await waitScreen("keys work after the failed shell", (t) => t.split("\n")[0]!.includes("│ flat"));
    keys("q");
    await waitScreen("forktop's exit", (t) => t.includes("FORKTOP-EXIT=0"));
  });

  it("refuses a tracer of another protocol version: leaves the screen, says why, exits 125", async () => {
    const events = join(stage.dir, "other-version.jsonl");
    const [hello, ...rest] = story();
    writeFileSync(events, [{ ...hello, version: PROTOCOL_VERSION + 1 }, ...rest].map((e) => JSON.stringify(e)).join("\n") + "\n");
    const fake = join(stage.dir, "fake-tracer");
    writeFileSync(fake, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(join(packageRoot, "dist", "test", "support", "fake-tracer.js"))} "$@"\n`);
    chmodSync(fake, 0o755);
    const cmd = `FORKTOP_TRACER=${shQuote(fake)} FAKE_TRACER_EVENTS=${shQuote(events)} ${shQuote(process.execPath)} ${shQuote(join(packageRoot, "bin", "forktop"))} -p 100; echo FORKTOP-EXIT=$?; sleep 600`;
    switchSession("refused", 200, cmd);
    const s = await waitScreen("forktop's exit", (t) => t.includes("FORKTOP-EXIT="));
    assert.match(s, new RegExp(`forktop: the tracer at \\S+ speaks protocol ${PROTOCOL_VERSION + 1}, this forktop speaks ${PROTOCOL_VERSION}: rebuild it with`));
    assert.match(s, /FORKTOP-EXIT=125/);
    assert.doesNotMatch(s, /worker/, "none of its lines was shown");
  });
});
