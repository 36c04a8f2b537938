/**
 * `void run` as a service, for a root and an unprivileged launcher:
 * - socket activation, with Debian's systemd-socket-activate: the echo
 *   example's TcpListener takes the passed socket (matched by its name)
 *   instead of binding the spec's address;
 * - sd_notify: READY=1 once every Startup void runs and STOPPING=1 when an
 *   orderly stop begins, to a datagram socket the test listens on (a small
 *   C listener: Node has no AF_UNIX datagram sockets);
 * - -D: returns only once the voids run (pid file, log file), or with the
 *   error and status when something fails first (a missing spec, a port in
 *   use); an orderly stop of the background launcher exits 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { asLauncher, type Launcher, launchers, makeStage, pidAlive, repoRoot, runVoid, type Stage, scratch, talk, waitFor, writeSpec } from "./harness.js";

let stage: Stage;
let echo: string;
let echoSpec: string;
let listenerBin: string;
const hasActivate = spawnSync("systemd-socket-activate", ["--version"]).status === 0;

/** Prints each datagram received on the AF_UNIX socket argv[1] as one line (newlines as "|"), until one holds STOPPING=1. */
const LISTENER_C = `
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return 3;
  chmod(argv[1], 0777);
  printf("listening\\n");
  fflush(stdout);
  char buf[4096];
  for (;;) {
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) return 4;
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == '\\n') buf[i] = '|';
    printf("%s\\n", buf);
    fflush(stdout);
    if (strstr(buf, "STOPPING=1")) return 0;
  }
}
`;

before(() => {
  stage = makeStage();
  const dir = join(stage.dir, "echo");
  cpSync(join(repoRoot, "examples", "echo"), dir, { recursive: true });
  chmodSync(dir, 0o755);
  echo = join(dir, "echo");
  echoSpec = join(dir, "spec.json");
  const src = join(scratch(stage, "notify"), "listener.c");
  writeFileSync(src, LISTENER_C);
  listenerBin = join(stage.dir, "scratch", "notify", "listener");
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Werror", "-o", listenerBin, src], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  stage.cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return { out: () => out, err: () => err };
}

function voidArgv(launcher: Launcher, args: string[]): string[] {
  return asLauncher(launcher, [process.execPath, stage.voidBin, ...args]);
}

const hasBwrap = spawnSync("bwrap", ["--version"]).status === 0;

describe("void doctor where user namespaces are forbidden", () => {
  it("says so in words", { skip: hasBwrap ? false : "bubblewrap is not installed" }, () => {
    // bwrap's own user namespace allows no nested one: what a locked-down container looks like from inside.
    const r = spawnSync("bwrap", ["--dev-bind", "/", "/", "--unshare-user", "--disable-userns", "--", process.execPath, stage.voidBin, "doctor"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL {2}a real void: .*does not let uid \d+ create user namespaces/);
  });
});

for (const launcher of launchers) {
  describe(`void run as a service (${launcher} launcher)`, () => {
    it("takes its listening socket from systemd socket activation (by entrypoint name) instead of binding the spec's address", {
      skip: hasActivate ? false : "systemd-socket-activate is not installed",
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const child = spawn("systemd-socket-activate", ["-l", `127.0.0.1:${port}`, "--fdname=listener", ...voidArgv(launcher, ["run", "-v", "-s", echoSpec, echo])], {
        cwd: stage.dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
      const io = collect(child);
      try {
        // systemd-socket-activate starts void run on the first connection, which then waits in the passed socket.
        assert.equal(await talk(port, "hello activation"), "hello activation");
        assert.equal(await talk(port, "again"), "again");
        assert.match(io.err(), new RegExp(`entrypoint listener: listening on 127\\.0\\.0\\.1:${port} \\(from socket activation: listener\\)`), io.err());
      } finally {
        child.kill("SIGTERM");
        const [code] = await once(child, "exit");
        assert.equal(code, 0, `an orderly stop: ${io.err()}`);
      }
      assert.doesNotMatch(io.err(), /7007/, "the spec's own address was never bound");
    });

    it("tells the service manager READY=1 once its voids run, and STOPPING=1 when it stops", { timeout: 60_000 }, async () => {
      const socket = join(stage.dir, "scratch", "notify", `notify-${launcher}.sock`);
      const listener = spawn(listenerBin, [socket], { stdio: ["ignore", "pipe", "inherit"] });
      const heard = collect(listener);
      try {
        assert.ok(await waitFor(() => heard.out().includes("listening"), 5000));
        const spec = writeSpec(stage, `notify-${launcher}`, { entrypoints: { "sleep-30000": { args: ["BinaryName", "Entrypoint"] } } });
        const [cmd, ...rest] = voidArgv(launcher, ["run", "-s", spec, stage.actor]);
        const child = spawn(cmd!, rest, { cwd: stage.dir, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NOTIFY_SOCKET: socket } });
        const io = collect(child);
        assert.ok(await waitFor(() => heard.out().includes("READY=1"), 10_000), `no READY=1: ${heard.out()} ${io.err()}`);
        assert.match(heard.out(), new RegExp(`READY=1\\|STATUS=every Startup void is running\\|MAINPID=${child.pid}`));
        child.kill("SIGTERM");
        const [code] = await once(child, "exit");
        assert.equal(code, 0, io.err());
        assert.ok(await waitFor(() => heard.out().includes("STOPPING=1"), 5000), heard.out());
      } finally {
        if (listener.exitCode === null) listener.kill("SIGKILL");
      }
    });

    it("-D returns once the voids run, with a pid file and a log file; the background launcher stops in order", { timeout: 60_000 }, async () => {
      const dir = scratch(stage, `daemon-${launcher}`);
      chmodSync(dir, 0o777);
      const pidFile = join(dir, "void.pid");
      const logFile = join(dir, "void.log");
      const spec = writeSpec(stage, `daemon-${launcher}`, { entrypoints: { "sleep-30000": { args: ["BinaryName", "Entrypoint"] } } });
      const r = runVoid(stage, launcher, ["run", "-vD", "--pid-file", pidFile, "--log-file", logFile, "-s", spec, stage.actor]);
      assert.equal(r.status, 0, r.stderr);
      const m = r.stdout.match(/^void: running in the background as pid (\d+)$/m);
      assert.ok(m, r.stdout);
      const pid = Number(m[1]);
      assert.equal(readFileSync(pidFile, "utf8"), `${pid}\n`, "the pid file exists when -D returns");
      assert.ok(pidAlive(pid));
      assert.match(readFileSync(logFile, "utf8"), /entrypoint sleep-30000: host pid \d+/, "-v went to the log file");
      process.kill(pid, "SIGTERM");
      assert.ok(await waitFor(() => !pidAlive(pid), 10_000), "the background launcher ended");
      assert.ok(await waitFor(() => !existsSync(pidFile), 5000), "the pid file was removed");
    });

    it("--log-file and --pid-file never write through a symlink someone planted", { timeout: 30_000 }, async () => {
      const dir = scratch(stage, `daemon-links-${launcher}`);
      chmodSync(dir, 0o777);
      const target = join(dir, "target");
      writeFileSync(target, "untouched\n");
      chmodSync(target, 0o666);
      symlinkSync(target, join(dir, "void.log"));
      const spec = writeSpec(stage, `daemon-links-${launcher}`, { entrypoints: { "exit-0": { args: ["BinaryName", "Entrypoint"] } } });
      const r = runVoid(stage, launcher, ["run", "-D", "--log-file", join(dir, "void.log"), "-s", spec, stage.actor]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--log-file .*void\.log: is a symlink \(refused/);
      assert.equal(readFileSync(target, "utf8"), "untouched\n");

      // A directory on the way swapped for a symlink (a void with a writable bind over dir could do it) into a
      // directory only the launcher's user or root may write: refused for both files, nothing written there.
      const closed = join(dir, "closed");
      mkdirSync(closed, { mode: 0o777 });
      chmodSync(closed, 0o777);
      symlinkSync(closed, join(dir, "logs"));
      const log = runVoid(stage, launcher, ["run", "-D", "--log-file", join(dir, "logs", "void.log"), "-s", spec, stage.actor]);
      assert.equal(log.status, 2, log.stderr);
      assert.match(log.stderr, /--log-file .*logs\/void\.log: .*logs is a symbolic link where others can put one \(.* is writable by others\)/);
      const pid = runVoid(stage, launcher, ["run", "--pid-file", join(dir, "logs", "void.pid"), "-s", spec, stage.actor]);
      assert.equal(pid.status, 2, pid.stderr);
      assert.match(pid.stderr, /--pid-file .*logs\/void\.pid: .*symbolic link where others can put one/);
      assert.deepEqual(readdirSync(closed), [], "nothing was written through the symlink");
      // A symlink inside a writable bind of the run: its voids write as the launcher's user (or as root with
      // --host-root), so whoever owns the directory, a void could have put it there.
      const bound = join(stage.dir, `daemon-bound-${launcher}`);
      mkdirSync(bound, { mode: 0o755 });
      symlinkSync(closed, join(bound, "logs"));
      const boundSpec = writeSpec(stage, `daemon-bound-${launcher}`, {
        entrypoints: { "exit-0": { args: ["BinaryName", "Entrypoint"], environment: [{ Filesystem: { host_path: bound, environment_path: "/state", read_only: false } }] } },
      });
      for (const option of ["--log-file", "--pid-file"]) {
        const r = runVoid(stage, launcher, ["run", ...(option === "--log-file" ? ["-D"] : []), option, join(bound, "logs", "void.x"), "-s", boundSpec, stage.actor]);
        assert.equal(r.status, 2, `${option}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${option} .*logs/void\\.x: .*logs is a symbolic link inside .*daemon-bound-\\w+, which a void of this run may write`));
      }
      assert.deepEqual(readdirSync(closed), [], "nothing was written through the symlink");
      // No symlink at all: a directory a void of the run may write is refused too (the void could rename its own file
      // over the pid file, naming any process for whoever signals the service by it, or remove or rewrite the log).
      mkdirSync(join(bound, "state"), { mode: 0o755 });
      for (const [option, dir] of [
        ["--pid-file", bound],
        ["--pid-file", join(bound, "state")],
        ["--log-file", join(bound, "state")],
      ] as const) {
        const r = runVoid(stage, launcher, ["run", ...(option === "--log-file" ? ["-D"] : []), option, join(dir, "void.x"), "-s", boundSpec, stage.actor]);
        assert.equal(r.status, 2, `${option} in ${dir}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${option} .*void\\.x: .* is inside .*daemon-bound-\\w+, which a void of this run may write`));
      }
      assert.deepEqual(readdirSync(join(bound, "state")), [], "nothing was written there");
      // The log file itself bound writable (a directory of its own no void may write): the void could rewrite it.
      const own = join(stage.dir, `daemon-own-${launcher}`);
      mkdirSync(own, { mode: 0o755 });
      writeFileSync(join(own, "void.log"), "");
      const fileSpec = writeSpec(stage, `daemon-file-bound-${launcher}`, {
        entrypoints: { "exit-0": { args: ["BinaryName", "Entrypoint"], environment: [{ Filesystem: { host_path: join(own, "void.log"), environment_path: "/state/void.log", read_only: false } }] } },
      });
      const fileBound = runVoid(stage, launcher, ["run", "-D", "--log-file", join(own, "void.log"), "-s", fileSpec, stage.actor]);
      assert.equal(fileBound.status, 2, fileBound.stderr);
      assert.match(fileBound.stderr, /--log-file .*void\.log: .*void\.log is inside .*void\.log, which a void of this run may write/);
      // A symlink in a directory nobody else can change is followed as before.
      const trusted = join(stage.dir, `daemon-trusted-${launcher}`);
      mkdirSync(trusted, { mode: 0o755 });
      symlinkSync(closed, join(trusted, "run"));
      const ok = runVoid(stage, launcher, ["run", "--pid-file", join(trusted, "run", "void.pid"), "-s", spec, stage.actor]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(readdirSync(closed), [], "the pid file is removed at exit");
    });

    it("-D fails with the error and status of what failed before the voids run: a missing spec, a port in use", async () => {
      const missing = runVoid(stage, launcher, ["run", "-D", "-s", join(stage.dir, "no-such-spec.json"), stage.actor]);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /no-such-spec\.json/);
      assert.doesNotMatch(missing.stdout, /running in the background/);
      const busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      try {
        const port = (busy.address() as { port: number }).port;
        const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const [cmd, ...rest] = voidArgv(launcher, ["run", "-D", "-s", echoSpec, echo]);
          const c = spawn(cmd!, rest, { cwd: stage.dir, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", VOID_LISTEN_LISTENER: `127.0.0.1:${port}` } });
          const io = collect(c);
          c.on("exit", (status) => resolve({ status, stderr: io.err() }));
        });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
      } finally {
        busy.close();
      }
    });
  });
}
