/**
 * `forktop --json` end to end with the real tracer, and forktop's tracer
 * plumbing with a scripted one:
 * - `forktop --json -o FILE -- void run ...` (root and unprivileged
 *   launchers): every line is a valid event, no `hello`; every process
 *   appears in exactly one creation line and exactly one exit line, after
 *   its creator; the voids, their actors and the actors' forked children
 *   are all there; the exit status is the application's; with -o the
 *   program keeps forktop's stdout, without it its stdout goes to stderr;
 * - `forktop --json --once -p PID`: one attach line per process of a tree;
 * - a scripted tracer: lines forwarded byte for byte (unknown events too),
 *   a bad line reported and status 125; Tracer commands (rescan, shell
 *   error, detach) and its arguments; a tracer of another protocol
 *   version, or one that does not begin with hello, refused (125);
 * - usage errors.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION, parseEventLine } from "../../src/protocol.js";
import { Tracer, tracerArgs } from "../../src/tracer.js";
import { story } from "../support/events.js";
import { addVoid, asLauncher, launchers, makeStage, noVoid, packageRoot, type Stage, scratch, type VoidInStage, writeSpec } from "./harness.js";

const forktop = join(packageRoot, "bin", "forktop");

function runForktop(args: string[], env: Record<string, string> = {}, cwd?: string) {
  return spawnSync(process.execPath, [forktop, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120000, ...(cwd ? { cwd } : {}) });
}

interface Line {
  event: string;
  pid?: number;
  ppid?: number;
  thread?: boolean;
  code?: number;
  snapshot?: { cmdline: string[] | null; comm: string | null };
}

function parseLines(text: string): Line[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const r = parseEventLine(l);
      assert.ok(r.ok, `not a valid event line: ${l}`);
      return JSON.parse(l) as Line;
    });
}

const CREATE = new Set(["spawn", "attach", "fork", "vfork", "clone"]);

/** Every process exactly once, created after its creator, and (all having ended) exactly one exit. */
function checkOnce(lines: Line[]): Map<number, Line> {
  const created = new Map<number, Line>();
  const exited = new Set<number>();
  for (const l of lines) {
    if (CREATE.has(l.event)) {
      assert.ok(!created.has(l.pid!) || exited.has(l.pid!), `pid ${l.pid} created twice while alive`);
      if (l.event !== "spawn" && l.event !== "attach") assert.ok(created.has(l.ppid!), `creator ${l.ppid} of ${l.pid} appears before it`);
      created.set(l.pid!, l);
      exited.delete(l.pid!);
    } else if (l.event === "exit" && !l.thread) {
      assert.ok(created.has(l.pid!), `exit of ${l.pid} after its creation`);
      assert.ok(!exited.has(l.pid!), `one exit line for ${l.pid}`);
      exited.add(l.pid!);
    }
  }
  for (const pid of created.keys()) assert.ok(exited.has(pid), `pid ${pid} has an exit line`);
  return created;
}

describe("forktop --json with the real tracer", { timeout: 300000 }, () => {
  let stage: Stage;
  let spec: string;
  let app: VoidInStage;

  before(() => {
    stage = makeStage();
    if (noVoid) return;
    app = addVoid(stage);
    spec = writeSpec(stage, "forktop-json", {
      entrypoints: {
        "forks-2": { args: ["BinaryName", "Entrypoint"] },
        "print-hello.exit-0": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] },
      },
    });
  });
  after(() => stage.cleanup());

  for (const launcher of launchers) {
    it(`-o FILE: every process of a void run app exactly once (${launcher} launcher)`, { skip: noVoid }, () => {
      const out = join(scratch(stage, `json-${launcher}`), "trace.jsonl");
      const r = runForktop(["--json", "-o", out, "--", ...asLauncher(launcher, [process.execPath, app.voidBin, "run", "-s", spec, app.actor])]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "hello\n", "with -o the program keeps forktop's stdout");
      const lines = parseLines(readFileSync(out, "utf8"));
      assert.ok(!lines.some((l) => l.event === "hello"), "hello is not forwarded");
      const created = checkOnce(lines);
      const all = [...created.values()];
      assert.equal(all.filter((l) => l.event === "spawn").length, 1);
      const exec = lines.filter((l) => l.event === "exec");
      const cmd = (l: Line) => (l.snapshot?.cmdline ?? []).join(" ");
      const actors = exec.filter((l) => (l.snapshot?.cmdline ?? [])[0] === app.actor).map((l) => l.pid!);
      assert.equal(new Set(actors).size, 2, `both actors exec'd: ${exec.map(cmd).join(" | ")}`);
      assert.ok(exec.filter((l) => /void-init/.test(cmd(l))).length >= 2, "two void-inits");
      const forkedByActor = all.filter((l) => actors.includes(l.ppid!) && l.event !== "spawn");
      assert.equal(forkedByActor.length, 2, "forks-2 made two children, each seen");
    });
  }

  it("without -o: JSON on stdout, the program's stdout on stderr; exit status is the program's", () => {
    const r = runForktop(["--json", "--", "sh", "-c", "echo to-stdout; (exit 3)"]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /^to-stdout$/m);
    const lines = parseLines(r.stdout);
    checkOnce(lines);
    assert.equal(lines.filter((l) => l.event === "spawn").length, 1);
    assert.equal(lines.at(-1)!.event, "exit");
    assert.equal(lines.at(-1)!.code, 3);
  });

  it("the program has no controlling terminal, though forktop has one: it cannot open /dev/tty to type into it", {
    skip: spawnSync("script", ["--version"]).status === 0 ? false : "script(1) is not installed",
  }, () => {
    // forktop on a terminal of its own (script's pty: its controlling terminal), the program asked to open /dev/tty.
    const probe = `if (: </dev/tty) 2>/dev/null; then echo ctty-yes; else echo ctty-no; fi`;
    const inner = [process.execPath, forktop, "--json", "-o", "/dev/null", "--", "sh", "-c", probe].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
    const r = spawnSync("script", ["-qec", inner, "/dev/null"], { encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(r.status, 0, r.stderr);
    // In forktop's session, /dev/tty was forktop's terminal: keys pushed with TIOCSTI reached the shell that started it.
    assert.match(r.stdout, /ctty-no/, r.stdout);
    assert.doesNotMatch(r.stdout, /ctty-yes/);
  });

  it("--once -p PID prints the tree once, parents first, and leaves it running", async () => {
    const tree = spawn("sh", ["-c", "sleep 60 & sleep 60 & wait"], { stdio: "ignore" });
    try {
      // Wait until both sleeps are there.
      for (let i = 0; i < 200; i++) {
        const kids = spawnSync("pgrep", ["-P", String(tree.pid)], { encoding: "utf8" })
          .stdout.trim()
          .split("\n")
          .filter(Boolean);
        if (kids.length === 2) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const r = runForktop(["--json", "--once", "-p", String(tree.pid)]);
      assert.equal(r.status, 0, r.stderr);
      const lines = parseLines(r.stdout);
      assert.deepEqual(
        lines.map((l) => [l.event, l.snapshot?.comm]),
        [
          ["attach", "sh"],
          ["attach", "sleep"],
          ["attach", "sleep"],
        ],
      );
      assert.equal(lines[0]!.pid, tree.pid);
      assert.equal(lines[1]!.ppid, tree.pid);
      assert.equal(tree.exitCode, null, "still running");
    } finally {
      for (const pid of spawnSync("pgrep", ["-P", String(tree.pid)], { encoding: "utf8" })
        .stdout.trim()
        .split("\n")
        .filter(Boolean))
        process.kill(Number(pid), "SIGKILL");
      tree.kill("SIGKILL");
    }
  });
});

describe("forktop with a scripted tracer", () => {
  let dir: string;
  let fake: string;
  let events: string;
  let withBad: string;
  const unknown = '{"event":"teleport","time":5,"where":"mars"}';
  const storyLines = story().map((e) => JSON.stringify(e));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "forktop-fake-"));
    fake = join(dir, "fake-tracer");
    writeFileSync(fake, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(packageRoot, "dist", "test", "support", "fake-tracer.js"))} "$@"\n`);
    chmodSync(fake, 0o755);
    events = join(dir, "events.jsonl");
    writeFileSync(events, [...storyLines, unknown].join("\n") + "\n");
    withBad = join(dir, "bad.jsonl");
    writeFileSync(withBad, [storyLines[0], storyLines[1], '{"event":"fork","time":1,"pid":"x"}', storyLines[2]].join("\n") + "\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--json forwards every line but hello byte for byte, unknown events too", () => {
    const r = runForktop(["--json", "-p", "100"], { FORKTOP_TRACER: fake, FAKE_TRACER_EVENTS: events, FAKE_TRACER_EXIT: "1" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [...storyLines.slice(1), unknown].join("\n") + "\n");
  });

  it("a bad tracer line is reported on stderr, not forwarded, and fails with 125", () => {
    const out = join(dir, "bad-out.jsonl");
    const r = runForktop(["--json", "-o", out, "-p", "100"], { FORKTOP_TRACER: fake, FAKE_TRACER_EVENTS: withBad, FAKE_TRACER_EXIT: "1" });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /bad tracer line \(fork: pid: /);
    assert.equal(readFileSync(out, "utf8"), [storyLines[1], storyLines[2]].join("\n") + "\n");
  });

  it("refuses a tracer of another protocol version, saying how to rebuild it, and forwards none of its lines", () => {
    const other = join(dir, "other-version.jsonl");
    const hello = JSON.parse(storyLines[0]!) as object;
    writeFileSync(other, [JSON.stringify({ ...hello, version: PROTOCOL_VERSION + 1 }), ...storyLines.slice(1)].join("\n") + "\n");
    const r = runForktop(["--json", "-p", "100"], { FORKTOP_TRACER: fake, FAKE_TRACER_EVENTS: other });
    assert.equal(r.status, 125, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `forktop: the tracer at ${fake} speaks protocol ${PROTOCOL_VERSION + 1}, this forktop speaks ${PROTOCOL_VERSION}: rebuild it with \`sh ${join(packageRoot, "scripts", "build-native.sh")}\`\n`,
    );
    const noHello = join(dir, "no-hello.jsonl");
    writeFileSync(noHello, storyLines.slice(1).join("\n") + "\n");
    const r2 = runForktop(["--json", "-p", "100"], { FORKTOP_TRACER: fake, FAKE_TRACER_EVENTS: noHello });
    assert.equal(r2.status, 125, r2.stderr);
    assert.equal(r2.stdout, "");
    assert.match(r2.stderr, /^forktop: the tracer at \S+ did not begin with hello, so it speaks another protocol than this forktop's \(\d+\): rebuild it with /);
  });

  it("an error before hello (the real tracer, a process that does not exist) is the tracer's error, not a refusal", () => {
    const r = runForktop(["--json", "-p", "999999999"]);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^forktop: -p 999999999: no such process$/m);
    assert.doesNotMatch(r.stderr, /protocol/);
  });

  it("Tracer passes the options as arguments and carries commands and replies", async () => {
    assert.deepEqual(tracerArgs({ target: { cmd: ["a", "-b"] }, stdio: ["ignore", "ignore", "ignore"], ttyFd: 0, rescanMs: 100, poll: true }), [
      "--control-fd",
      "3",
      "--tty-fd",
      "4",
      "--rescan-ms",
      "100",
      "--poll",
      "--",
      "a",
      "-b",
    ]);
    assert.deepEqual(tracerArgs({ target: { pid: 7 }, once: true, stdio: ["ignore", "ignore", "ignore"] }), ["--control-fd", "3", "--once", "-p", "7"]);
    process.env["FAKE_TRACER_EVENTS"] = events;
    try {
      const t = new Tracer({ target: { pid: 100 }, stdio: ["ignore", "ignore", "pipe"], path: fake });
      const seen: string[] = [];
      const waitFor = (name: string) =>
        new Promise<void>((resolve) => {
          const on = (ev: { event: string }) => {
            if (ev.event === name) {
              t.off("event", on);
              resolve();
            }
          };
          t.on("event", on);
        });
      t.on("event", (ev) => seen.push(ev.event));
      await waitFor("teleport");
      assert.deepEqual(seen, [...story().map((e) => e.event), "teleport"]);
      const change = waitFor("change");
      assert.equal(t.send("rescan"), true);
      await change;
      const error = waitFor("error");
      t.send("shell 100 24 80");
      await error;
      const exit = await t.detach();
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.equal(seen.at(-1), "detached");
      assert.equal(t.running, false);
      assert.equal(t.send("rescan"), false, "no command after the tracer exited");
    } finally {
      delete process.env["FAKE_TRACER_EVENTS"];
    }
  });

  it("usage errors exit 2 with a message", () => {
    const cases: [string[], RegExp][] = [
      [[], /nothing to trace/],
      [["-p", "1", "--", "true"], /either -p PID or -- CMD/],
      [["-o", "x", "--", "true"], /-o writes the JSON output/],
      [["--once", "--", "true"], /--once needs -p PID/],
      [["-p", "abc"], /expected a process id/],
      [["--json", "--program-output", "x", "--", "true"], /--program-output is for the interactive view/],
    ];
    for (const [args, re] of cases) {
      const r = runForktop(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(" "));
    }
    const h = runForktop(["--help"]);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Keys: /);
    assert.match(h.stdout, /POLL MODE, LOSSY/);
  });

  it("the interactive view refuses to start without a terminal", () => {
    const r = runForktop(["-p", "1"], { FORKTOP_TRACER: fake, FAKE_TRACER_EVENTS: events });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /needs a terminal/);
  });

  it("a missing tracer is a clear error", () => {
    const r = runForktop(["--json", "-p", "1"], { FORKTOP_TRACER: join(dir, "absent") });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /cannot run the tracer .*absent \(ENOENT\): build it with/);
  });
});
