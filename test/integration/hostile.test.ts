/**
 * A void that wants out (test/probe/hostile.c), for a root and an
 * unprivileged launcher: the launcher's terminal (run on a real pty with
 * script(1)), setuid files through a writable bind, socket families a
 * void has no use for, void-init's fds and memory, system calls newer
 * than the filter, a flood of output through a relayed stream, and one
 * of requests and messages the launcher refuses and would log. Each
 * attack must fail the way docs/security.md says.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { chmodSync, chownSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { dirname, join, posix } from "node:path";
import { after, before, describe, it } from "node:test";
import { FD_COST, REFUSALS_PER_SECOND } from "../../src/orchestrator/broker.js";
import { OPENS_PER_SECOND } from "../../src/orchestrator/pacing.js";
import { DROPPED_PER_SECOND } from "../../src/orchestrator/trigger.js";
import { voidUid } from "../../src/plan/plan.js";
import {
  asLauncher,
  isRoot,
  type Launcher,
  launchers,
  makeStage,
  pidAlive,
  runVoid,
  runVoidAsync,
  runVoidBinary,
  type Stage,
  scratch,
  startVoid,
  talk,
  UNPRIV_GID,
  UNPRIV_UID,
  voidCommand,
  writeSpec,
  fastPath,
} from "./harness.js";

let stage: Stage;

/** A TCP server on 127.0.0.1 that counts connections. */
async function listenTcp(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((c) => {
    n++;
    c.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => n };
}

/**
 * The whole seconds a launcher that pauses until the second is over, once
 * what it was sent this second costs `budget` or more, must take over
 * items of these costs (a lower bound: a slower machine only takes longer).
 */
function pacedSeconds(costs: readonly number[], budget: number): number {
  let seconds = 0;
  let spent = 0;
  // A pause delays what comes after it: none after the last item is counted.
  for (const cost of costs.slice(0, -1)) {
    spent += cost;
    if (spent >= budget) {
      seconds++;
      spent = 0;
    }
  }
  return seconds;
}

async function freePort(): Promise<number> {
  const s = await listenTcp();
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
  return s.port;
}

before(() => {
  stage = makeStage();
});

after(() => {
  stage.cleanup();
});

/**
 * Makes `dir` writable by the void of `entrypoint`: the test uid for an
 * unprivileged launcher; for a root launcher, the unprivileged host uid of
 * that entrypoint's voids (voidUid), as a user would after `void check`.
 */
function ownFor(dir: string, launcher: Launcher, entrypoint: string): void {
  if (launcher === "unprivileged" && isRoot) chownSync(dir, UNPRIV_UID, UNPRIV_GID);
  if (launcher === "root") {
    const id = voidUid(stage.hostile, entrypoint);
    chownSync(dir, id, id);
  }
}

/** "NAME RESULT" lines of hostile's output, as a map. */
function results(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .split("\n")
      .filter((l) => l.includes(" "))
      .map((l) => l.split(" ", 2) as [string, string]),
  );
}

const hasScript = spawnSync("script", ["--version"]).status === 0;
const hasBash = spawnSync("bash", ["-c", "true"]).status === 0;

/** Single-quoted for sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `void ARGS` from a bash on a fresh pseudo-terminal (script(1)), as a
 * user at a shell would, then lets the shell read its terminal for a
 * second (whatever a void typed into it would arrive there) and compare
 * the terminal's settings with those from before.
 */
function onTerminal(launcher: Launcher, args: string[]): string {
  const cmd = asLauncher(launcher, [process.execPath, stage.voidBin, ...args])
    .map(q)
    .join(" ");
  const shell = `before=$(stty -g); ${cmd}; echo "status:$?"; after=$(stty -g); [ "$before" = "$after" ] && echo terminal:unchanged || echo "terminal:changed $before -> $after"; line=; read -r -t 1 line; echo "typed:[$line]"`;
  const r = spawnSync("script", ["-qec", `bash --norc --noprofile -c ${q(shell)}`, "/dev/null"], {
    cwd: stage.dir,
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "dumb" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replaceAll("\r", "");
}

/** The probe of the closer attacks (hostile.c send_probe) was closed by the launcher within 3 s. */
function assertProbeClosedAtOnce(r: { stdout: string; stderr: string }): void {
  const probe = /^probe-closed (yes|no) (\d+)$/m.exec(r.stdout);
  assert.ok(probe !== null, `${r.stdout}\n${r.stderr}`);
  assert.equal(probe[1], "yes", `the probe was not closed within ${probe[2]} ms`);
  assert.ok(Number(probe[2]) < 3000, `the probe was closed after ${probe[2]} ms`);
}

for (const launcher of launchers) {
  describe(`a hostile void (${launcher} launcher)`, () => {
    it("cannot type into, read, or reconfigure the launcher's terminal, and the launcher goes on supervising", { skip: hasScript && hasBash ? false : "script(1) or bash is missing" }, () => {
      const spec = writeSpec(stage, `hostile-tty-${launcher}`, {
        entrypoints: {
          attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", "Stdin"] },
          bystander: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr"] },
        },
      });
      // The same binary plays both, attacking the terminal then reporting "getpid ok" last.
      const out = onTerminal(launcher, ["run", "-s", spec, stage.hostile, "tty", "newest"]);
      const r = results(out);
      for (const fd of [0, 1, 2]) {
        assert.equal(r.get(`isatty-${fd}`), "no", `fd ${fd} is not a terminal:\n${out}`);
        assert.notEqual(r.get(`tiocsti-${fd}`), "ok", `TIOCSTI on fd ${fd}`);
        assert.notEqual(r.get(`tiocsti-high-${fd}`), "ok", `TIOCSTI with high bits on fd ${fd}`);
        assert.notEqual(r.get(`echo-off-${fd}`), "ok", `echo off on fd ${fd}`);
        assert.notEqual(r.get(`tcooff-${fd}`), "ok", `TCOOFF on fd ${fd}`);
      }
      assert.notEqual(r.get("read-1"), "ok", "stdout does not read the terminal's keys");
      assert.notEqual(r.get("read-2"), "ok", "stderr does not read the terminal's keys");
      assert.equal(r.get("own-session"), "yes", "the void runs in a session of its own");
      assert.match(out, /^typed:\[\]$/m, `nothing was typed into the launching shell:\n${out}`);
      assert.match(out, /^terminal:unchanged$/m, out);
      assert.match(out, /^status:0$/m, out);
      // Both voids ran to the end: the bystander's last line arrived.
      assert.equal(out.match(/^getpid ok$/gm)?.length, 2, out);
    });

    it("cannot write into a FIFO of a read-only bind; writes where the plan allows them still work", (t) => {
      if (Number(spawnSync(stage.hostile, ["landlock-abi"]).stdout.toString()) < 2) {
        t.skip("no Landlock ABI 2 in this kernel: void relies on the kernel's read-only checks alone (docs/security.md)");
        return;
      }
      // A read-only mount stops writes to regular files only: a FIFO in it opened for writing, and a host reader got what the
      // void wrote (outside attack 49: /run/initctl under --host-root). Without a reader the open says ENXIO, not EACCES.
      const ro = scratch(stage, `fifo-ro-${launcher}`);
      const rw = scratch(stage, `fifo-rw-${launcher}`);
      ownFor(rw, launcher, "attacker");
      rmSync(join(ro, "fifo"), { force: true });
      spawnSync("mkfifo", ["-m", "0666", join(ro, "fifo")]);
      chmodSync(join(ro, "fifo"), 0o666);
      writeFileSync(join(ro, "file"), "data\n", { mode: 0o666 });
      chmodSync(join(ro, "file"), 0o666);
      const spec = writeSpec(stage, `hostile-fifo-${launcher}`, {
        entrypoints: {
          attacker: {
            args: ["BinaryName", "Trailing"],
            environment: [
              "Stdout",
              { Filesystem: { host_path: ro, environment_path: "/ro" } },
              { Filesystem: { host_path: rw, environment_path: "/rw", read_only: false } },
              { Tmpfs: { path: "/scratch", size: "1M" } },
            ],
          },
        },
      });
      const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "suid", "/rw", "move-across", "/rw", "/scratch", "write-open", "/ro/fifo", "/ro/file", "/rw/plain", "/dev/null"]);
      assert.equal(run.status, 0, run.stderr);
      const r = results(run.stdout);
      assert.equal(r.get("write-open:/ro/fifo"), "EACCES", run.stdout);
      assert.notEqual(r.get("write-open:/ro/file"), "ok", run.stdout);
      assert.equal(r.get("write-open:/rw/plain"), "ok", `a writable bind's file (made by "suid"): ${run.stdout}`);
      assert.equal(r.get("write-open:/dev/null"), "ok", run.stdout);
      // Links and renames into another directory (maildir delivery, ln, mv): a ruleset that does not allow REFER refuses them all (EXDEV: outside attack 51).
      for (const dir of ["/rw", "/scratch"]) {
        assert.equal(r.get(`move-across-link:${dir}`), "ok", run.stdout);
        assert.equal(r.get(`move-across-rename:${dir}`), "ok", run.stdout);
      }
    });

    it("cannot create setuid or setgid files through a writable bind", () => {
      const dir = scratch(stage, `suid-${launcher}`);
      ownFor(dir, launcher, "attacker");
      const spec = writeSpec(stage, `hostile-suid-${launcher}`, {
        entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] } },
      });
      const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "suid", "/rw"]);
      assert.equal(run.status, 0, run.stderr);
      const r = results(run.stdout);
      assert.equal(r.get("create-plain"), "ok", run.stdout);
      for (const attempt of [
        "chmod-4755",
        "chmod-2755",
        "fchmod-4755",
        "fchmodat-6755",
        "open-creat-4755",
        "openat-creat-2755",
        "openat-tmpfile-4755",
        "openat-high-bits",
        "creat-4755",
        "mkdir-2755",
        "mknod-fifo-4644",
      ]) {
        assert.equal(r.get(attempt), "EPERM", `${attempt}:\n${run.stdout}`);
      }
      assert.equal(r.get("fchmodat2-4755"), "ENOSYS", "fchmodat2 is newer than the filter: libc falls back to fchmodat");
      assert.equal(r.get("chmod-0700"), "ok", "a plain chmod still works");
      assert.equal(r.get("setid-files"), "none");
      // And on the host side too.
      for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o6000, 0, name);
    });

    it("cannot open sockets of families it has no use for, nor reach system calls the filter does not list", () => {
      const spec = writeSpec(stage, `hostile-families-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "families", "newest"]);
      assert.equal(run.status, 0, run.stderr);
      const r = results(run.stdout);
      for (const f of ["af_vsock", "af_vsock_high_bits", "af_packet", "af_alg", "af_key", "af_bluetooth", "socketpair_inet", "af_inet_sock_packet", "af_inet_sock_packet_cloexec"])
        assert.equal(r.get(f), "EAFNOSUPPORT", `${f}:\n${run.stdout}`);
      assert.equal(r.get("lease"), "EPERM", "no lease (it would make other opens of the file wait)");
      assert.equal(r.get("prlimit-init"), "EPERM", "void-init's limits are not the entrypoint's");
      assert.equal(r.get("prlimit-self"), "ok");
      assert.equal(r.get("netlink_audit"), "EPROTONOSUPPORT");
      for (const f of ["netlink_route", "af_unix", "af_inet", "af_inet6", "socketpair_unix", "getpid"]) assert.equal(r.get(f), "ok", f);
      for (const c of ["statmount", "listmount", "mseal", "nr-600", "clone3", "openat2"]) assert.equal(r.get(c), "ENOSYS", c);
      for (const c of ["io_uring_setup", "keyctl", "mq_open", "fanotify_init"]) assert.equal(r.get(c), "EPERM", c);
    });

    it("cannot ptrace at all without -d; with -d only PTRACE_TRACEME and PTRACE_DETACH pass the filter, and void-init lets a tracee go", async () => {
      const spec = writeSpec(stage, `hostile-ptrace-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const refused = ["ptrace-attach-1", "ptrace-seize-1", "ptrace-peekdata-1", "ptrace-pokedata-1", "ptrace-interrupt-1", "ptrace-traceme-high-bits"];
      const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "ptrace"]);
      assert.equal(run.status, 0, run.stderr);
      let r = results(run.stdout);
      for (const a of [...refused, "ptrace-detach-1", "ptrace-traceme"]) assert.equal(r.get(a), "EPERM", `${a}:\n${run.stdout}`);
      assert.equal(r.get("after-traceme-signal"), "ok");

      const child = startVoid(stage, launcher, ["run", "-d", "-s", spec, stage.hostile, "ptrace"]);
      let out = "";
      let err = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      let pid = 0;
      try {
        pid = await new Promise<number>((resolve, reject) => {
          child.stderr!.on("data", (d: Buffer) => {
            err += d.toString();
            const m = /after execve \([^)]+\): host pid (\d+)/.exec(err);
            if (m) resolve(Number(m[1]));
          });
          child.on("exit", () => reject(new Error(`exited before stopping: ${err}`)));
        });
        process.kill(pid, "SIGCONT");
        const [code] = await once(child, "exit");
        assert.equal(code, 0, err);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        if (pid > 0 && pidAlive(pid)) process.kill(pid, "SIGKILL");
      }
      r = results(out);
      for (const a of refused) assert.equal(r.get(a), "EPERM", `${a} under -d:\n${out}`);
      assert.equal(r.get("ptrace-detach-1"), "ESRCH", "DETACH reaches the kernel, which finds no tracee");
      assert.equal(r.get("ptrace-traceme"), "ok", "TRACEME reaches the kernel: void-init is its tracer");
      assert.equal(r.get("after-traceme-signal"), "ok", "void-init let its tracee go on after a signal stop");
    });

    for (const unconfined of [false, true]) {
      it(`cannot take void-init's fds or read its memory${unconfined ? " (SeccompUnconfined, Procfs: void-init is not dumpable)" : ""}`, () => {
        const environment = ["Stdout", ...(unconfined ? ["Procfs", "SeccompUnconfined"] : [])];
        const spec = writeSpec(stage, `hostile-init-${launcher}-${unconfined}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment } } });
        const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "reach-init"]);
        assert.equal(run.status, 0, run.stderr);
        const r = results(run.stdout);
        for (const a of ["pidfd_getfd", "ptrace-attach-1", "process_vm_readv-1"]) assert.equal(r.get(a), "EPERM", `${a}:\n${run.stdout}`);
        assert.notEqual(r.get("proc-1-mem"), "ok");
        assert.notEqual(r.get("proc-1-fd"), "ok");
        if (!unconfined) assert.equal(r.get("personality-addr-no-randomize"), "EPERM");
        assert.equal(r.get("personality-query"), "ok");
      });
    }

    it("cannot write the kernel's settings through /proc (Procfs)", () => {
      const spec = writeSpec(stage, `hostile-procsys-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdin", "Stdout", "Procfs"] } } });
      const run = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "procsys"]);
      assert.equal(run.status, 0, run.stderr);
      const r = results(run.stdout);
      // Read-only mounts (EROFS), and a void is not host root either (EACCES): --host-root shows the mounts alone.
      for (const a of ["proc-sys-core_pattern", "proc-sys-net"]) assert.ok(["EROFS", "EACCES"].includes(r.get(a) ?? ""), `${a}:\n${run.stdout}`);
      if (launcher === "root") {
        const hostRoot = results(runVoid(stage, launcher, ["run", "--host-root", "-s", spec, stage.hostile, "procsys"]).stdout);
        for (const a of ["proc-sys-core_pattern", "proc-sys-net"]) assert.equal(hostRoot.get(a), "EROFS", `${a} with --host-root`);
      }
      assert.notEqual(r.get("proc-sysrq-trigger"), "ok", "read-only where the kernel shows it");
      assert.equal(r.get("proc-sys-read"), "ok", "reading stays possible");
      // The shared input is a socket: /proc/self/fd cannot reopen it to write into the other voids' input.
      assert.equal(r.get("reopen-stdin-for-writing"), "ENXIO");
      // Its namespace's project-id map is the launcher's choice (project 0 only), written once: not the void's to write.
      assert.match(run.stdout, /^projid-map 0 0 1$/m, run.stdout);
      assert.equal(r.get("projid-map-write"), "EPERM", run.stdout);
    });

    it("takes no more of its launcher's kernel budgets than its own: inotify, fanotify, namespaces", () => {
      // The host's per-uid budget (fs.inotify.max_user_instances, 128 by default) is shared with every process of the launcher's user.
      const hostInstances = Number(readFileSync("/proc/sys/fs/inotify/max_user_instances", "utf8"));
      const plain = writeSpec(stage, `hostile-budgets-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const r = results(runVoid(stage, launcher, ["run", "-s", plain, stage.hostile, "budgets"]).stdout);
      assert.equal(r.get("inotify-instances"), String(Math.min(16, hostInstances)), "the default budget");
      assert.equal(r.get("inotify-instances-then"), "EMFILE");
      assert.equal(r.get("unshare-user"), "EPERM", "the filter refuses it first");
      // Limits lower it; with unshare allowed by the spec, the namespace budget (0) still refuses; /proc/sys/user is read-only.
      const limited = writeSpec(stage, `hostile-budgets-limited-${launcher}`, {
        entrypoints: {
          attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Procfs", { Seccomp: { allow: ["unshare"] } }, { Limits: { inotify_instances: 5, inotify_watches: 2 } }] },
        },
      });
      const run = runVoid(stage, launcher, ["run", "-s", limited, stage.hostile, "budgets"]);
      assert.equal(run.status, 0, run.stderr);
      const l = results(run.stdout);
      assert.equal(l.get("inotify-instances"), "5", run.stdout);
      assert.equal(l.get("inotify-watches"), "2", run.stdout);
      assert.equal(l.get("unshare-user"), "ENOSPC", run.stdout);
      assert.equal(l.get("unshare-net"), "EPERM", "no capability: refused before any budget");
      assert.ok(["EROFS", "EACCES"].includes(l.get("raise-user-limit") ?? ""), run.stdout);
    });

    for (const kind of ["symlink", "fifo"] as const) {
      it(`a File grant is the file the launcher opened at start, not a ${kind} another void put at its path`, { timeout: 60_000 }, async () => {
        const dir = scratch(stage, `file-swap-${kind}-${launcher}`);
        writeFileSync(join(dir, "granted.txt"), "the granted file\n");
        // Outside every bind: what a relative symlink climbing out of the writable directory would reach.
        writeFileSync(join(stage.dir, "scratch", "outside.txt"), "outside\n");
        chmodSync(join(dir, "granted.txt"), 0o644);
        ownFor(dir, launcher, `swap-${kind}`);
        const spec = writeSpec(stage, `hostile-file-${kind}-${launcher}`, {
          entrypoints: {
            [`swap-${kind}`]: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "go" } }], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] },
            "cat-fd": { trigger: { Pipe: "go" }, args: ["BinaryName", "Entrypoint", { File: join(dir, "granted.txt") }], environment: ["Stdout"] },
          },
        });
        const r = await runVoidAsync(stage, launcher, ["run", "--prepare", "0", "-s", spec, stage.hostile]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^swap ok$/m, "the swapper did replace the file");
        assert.match(r.stdout, /^the granted file$/m, `${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(r.stdout, /outside/);
      });
    }

    for (const unconfined of [false, true])
      it(`cannot change a File grant's file through its fd, though its uid owns the file (--host-root for a root launcher)${unconfined ? ", nor clear its mount's read-only flag from a user namespace of its own (SeccompUnconfined)" : ""}`, {
        timeout: 60_000,
      }, async () => {
        const dir = scratch(stage, `own-file-${launcher}-${unconfined}`);
        const file = join(dir, "granted.txt");
        writeFileSync(file, "granted\n");
        chmodSync(file, 0o644);
        // The void's uid owns it: an unprivileged launcher's own file; host uid 0 (--host-root) and a root-owned file.
        if (launcher === "unprivileged" && isRoot) chownSync(file, UNPRIV_UID, UNPRIV_GID);
        const before = statSync(file);
        const spec = writeSpec(stage, `hostile-own-file-${launcher}-${unconfined}`, {
          entrypoints: { "own-inode": { args: ["BinaryName", "Entrypoint", { File: file }, "Trailing"], environment: ["Stdout", "Procfs", ...(unconfined ? ["SeccompUnconfined"] : [])] } },
        });
        const r = await runVoidAsync(stage, launcher, ["run", ...(launcher === "root" ? ["--host-root"] : []), "-s", spec, stage.hostile, "/no-such-path"]);
        assert.equal(r.status, 0, r.stderr);
        const res = results(r.stdout);
        if (unconfined) {
          assert.equal(res.get("unshare-userns"), "ok", r.stdout);
          // The mount belongs to no namespace: nobody can change it.
          assert.equal(res.get("clear-read-only"), "EINVAL", r.stdout);
        }
        for (const attack of ["fchmod-fd", "futimens-fd", "setxattr-fd", "reopen-write-fd"]) assert.equal(res.get(attack), "EROFS", `${attack}: ${r.stdout}`);
        const after = statSync(file);
        assert.equal(readFileSync(file, "utf8"), "granted\n");
        assert.equal(after.mode, before.mode);
        assert.equal(after.mtimeMs, before.mtimeMs);
      });

    it("cannot change a File grant's file through its fd on Linux < 5.12 either (read-only by remount)", () => {
      const dir = scratch(stage, `own-file-legacy-${launcher}`);
      const file = join(dir, "granted.txt");
      writeFileSync(file, "granted\n");
      chmodSync(file, 0o644);
      if (launcher === "unprivileged" && isRoot) chownSync(file, UNPRIV_UID, UNPRIV_GID);
      // The addon's way without mount_setattr, taken here on purpose, by the launcher's uid: the file's owner.
      const script = `
        const { closeSync, constants, fchmodSync, futimesSync, openSync } = require("node:fs");
        const addon = require(${JSON.stringify(join(stage.dir, "build", "void.node"))});
        const file = ${JSON.stringify(file)};
        const pinned = addon.openNoSymlinks(file);
        const fd = openSync("/proc/self/fd/" + addon.pinReadOnly(pinned, file, true), constants.O_RDONLY);
        for (const [name, f] of [["fchmod", () => fchmodSync(fd, 0o666)], ["futimes", () => futimesSync(fd, 0, 0)], ["reopen", () => closeSync(openSync("/proc/self/fd/" + fd, constants.O_WRONLY))]]) {
          try { f(); console.log(name + " ok"); } catch (e) { console.log(name + " " + e.code); }
        }`;
      const [cmd, ...args] = asLauncher(launcher, [process.execPath, "-e", script]);
      const r = spawnSync(cmd!, args, { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "fchmod EROFS\nfutimes EROFS\nreopen EROFS\n");
      assert.equal(statSync(file).mode & 0o777, 0o644);
    });

    if (launcher === "root")
      it("cannot change /dev/null, its own or the launcher's stdout, as host uid 0 (--host-root), in Node and in the front end", { timeout: 60_000 }, () => {
        // A stand-in node (c 1 3) bound over /dev/null in a mount namespace of the test's own, / made private first:
        // should an attack work, it changes the stand-in, never the host's /dev/null. The launcher's stdout is that /dev/null.
        const dir = scratch(stage, "dev-null-stand-in");
        const fake = join(dir, "null");
        rmSync(fake, { force: true });
        assert.equal(spawnSync("mknod", ["-m", "666", fake, "c", "1", "3"]).status, 0);
        const before = statSync(fake);
        const cache = join(dir, "cache");
        mkdirSync(cache, { recursive: true, mode: 0o700 });
        const spec = writeSpec(stage, "hostile-dev-null", { entrypoints: { "own-inode": { args: ["BinaryName", "Entrypoint", "Trailing"], environment: ["Stdout", "Stderr"] } } });
        const words = ["run", "--host-root", "-s", spec, stage.hostile, "1", "/dev/null"];
        const inPrivateNs = (env: NodeJS.ProcessEnv, argv: string[]) =>
          spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /dev/null && exec "$@" >/dev/null', fake, ...argv], {
            encoding: "utf8",
            env: { ...process.env, XDG_CACHE_HOME: cache, ...env },
          });
        const node = inPrivateNs({ VOID_FAST_PATH: "0" }, [process.execPath, stage.voidBin, ...words]);
        assert.equal(node.status, 0, node.stderr);
        // The same command in the native front end: planned and cached first, then run from its cached plan.
        assert.equal(inPrivateNs({ VOID_PLAN_CACHE_PRIME: "1" }, [process.execPath, stage.voidBin, ...words]).status, 0);
        const front = inPrivateNs({ VOID_FAST_PATH_TRACE: "1" }, [stage.voidBin, ...words]);
        assert.equal(front.status, 0, front.stderr);
        assert.match(front.stderr, /plan cache: used/);
        const after = statSync(fake);
        assert.equal(after.mode, before.mode, "the void changed the mode of the launcher's /dev/null");
        assert.equal(after.mtimeMs, before.mtimeMs, "the void changed the times of the launcher's /dev/null");
      });

    it("cannot point an accepted connection at another host address", { timeout: 60_000 }, async () => {
      const target = await listenTcp();
      const port = await freePort();
      const spec = writeSpec(stage, `hostile-listener-${launcher}`, {
        entrypoints: { "listener-reaim": { args: ["BinaryName", "Entrypoint", { TcpListener: { addr: `127.0.0.1:${port}` } }, "Trailing"], environment: ["Stdout"] } },
      });
      const run = runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(target.port)]);
      const answer = await talk(port);
      const r = await run;
      target.server.close();
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("accept"), "ok", r.stdout);
      assert.equal(res.get("accepted-disconnect"), "EPERM", r.stdout);
      assert.equal(res.get("accepted-connect"), "EPERM", r.stdout);
      assert.equal(res.get("accepted-sendto"), "EPERM", r.stdout);
      assert.equal(res.get("accepted-fastopen"), "EPERM", r.stdout);
      // A listener shut down is a closed TCP socket: a Fast Open (sendmsg with MSG_FASTOPEN and an address) would connect it.
      assert.equal(res.get("listener-shutdown"), "ok", r.stdout);
      for (const call of ["fastopen", "connect", "sendto"]) assert.equal(res.get(`listener-${call}`), "EPERM", `listener-${call}: ${r.stdout}`);
      assert.equal(res.get("accepted-ifconf"), "EPERM", "the host's interfaces are not the void's to list");
      assert.equal(res.get("accepted-fionread"), "ok");
      assert.equal(target.connections(), 0, "nothing reached the unlisted port");
      assert.match(answer, /held/, "the connection still works for what it was accepted for");
    });

    it("cannot move a listener granted on port 0 to another address or port once it shuts it down", { timeout: 60_000 }, async () => {
      // shutdown(SHUT_RD) disconnects a listener; the kernel then unbinds a port it chose itself, never one asked for.
      const target = await freePort();
      const spec = writeSpec(stage, `hostile-rebind-${launcher}`, {
        entrypoints: { "listener-rebind": { args: ["BinaryName", "Entrypoint", { TcpListener: { addr: "127.0.0.1:0" } }, "Trailing"], environment: ["Stdout"] } },
      });
      const r = runVoid(stage, launcher, ["run", "-v", "-s", spec, stage.hostile, String(target)]);
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("rebind-shutdown"), "ok", r.stdout);
      assert.equal(res.get("rebind-bind"), "EINVAL", `the listener keeps its port: ${r.stdout}`);
      const granted = Number(/entrypoint listener-rebind: listening on 127\.0\.0\.1:(\d+) \(spec: 127\.0\.0\.1:0\)/.exec(r.stderr)?.[1]);
      assert.ok(granted > 0, r.stderr);
      assert.equal(Number(/rebind-port (\d+)/.exec(r.stdout)?.[1]), granted, "it listens again on the granted port only, never the one it named");
    });

    it("cannot open a granted listener's port to another service's SO_REUSEPORT bind, nor steer such a group", { timeout: 60_000 }, async () => {
      // With SO_REUSEPORT on the void's listener, a later service of the launcher's uid binding the same port with it
      // would join the void's group, and a reuseport BPF program would hand the void all its connections (outside attack 50).
      // Also where the spec allows connect (a program logging to /dev/log), which lifts the host-sockets rule (outside attack 51).
      for (const environment of [["Stdout"], ["Stdout", { Seccomp: { allow: ["connect"] } }]]) {
        const spec = writeSpec(stage, `hostile-reuseport-${launcher}`, {
          entrypoints: { "listener-reuseport": { args: ["BinaryName", "Entrypoint", { TcpListener: { addr: "127.0.0.1:0" } }], environment } },
        });
        const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile]);
        assert.equal(r.status, 0, r.stderr);
        const res = results(r.stdout);
        assert.equal(res.get("reuseport"), "EPERM", r.stdout);
        assert.equal(res.get("reuseport-cbpf"), "EPERM", r.stdout);
        assert.equal(res.get("reuseport-ebpf"), "EPERM", r.stdout);
        assert.match(r.stdout, /^reuseport-on 0$/m, "the listener has no SO_REUSEPORT");
      }
    });

    it("cannot point a brokered socket elsewhere, nor reach IPv4 through ::ffff:", { timeout: 60_000 }, async () => {
      const listed = await listenTcp();
      const unlisted = await listenTcp();
      const udpListed = createSocket("udp4");
      const udpUnlisted = createSocket("udp4");
      let unlistedDatagrams = 0;
      udpUnlisted.on("message", () => unlistedDatagrams++);
      const udpSeen: string[] = [];
      udpListed.on("message", (m, from) => {
        udpSeen.push(m.toString());
        udpListed.send("pong", from.port, from.address);
      });
      await new Promise<void>((resolve) => udpListed.bind(listed.port, "127.0.0.1", resolve));
      await new Promise<void>((resolve) => udpUnlisted.bind(unlisted.port, "127.0.0.1", resolve));
      const ops = [
        { OpenTcpSocket: { family: "Inet", port: listed.port, host: "127.0.0.1" } },
        { OpenUdpSocket: { family: "Inet", port: listed.port, host: "127.0.0.1" } },
        // Any IPv6 host on the unlisted port: ::ffff:127.0.0.1 is IPv4's 127.0.0.1, which is listed for listed.port only.
        { OpenTcpSocket: { family: "Inet6", port: unlisted.port, host: null } },
      ];
      const spec = writeSpec(stage, `hostile-rpc-${launcher}`, { entrypoints: { "rpc-reaim": { args: ["BinaryName", "Entrypoint", { Rpc: ops }, "Trailing"], environment: ["Stdout"] } } });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(listed.port), String(unlisted.port)]);
      listed.server.close();
      unlisted.server.close();
      udpListed.close();
      udpUnlisted.close();
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("rpc-tcp"), "ok", r.stdout + r.stderr);
      for (const a of ["rpc-tcp-disconnect", "rpc-tcp-connect", "rpc-tcp-sendto", "rpc-udp-sendto", "rpc-udp-disconnect", "rpc-udp-connect", "rpc-tcp-ifconf"])
        assert.equal(res.get(a), "EPERM", `${a}:\n${r.stdout}`);
      assert.equal(res.get("rpc-tcp-fionread"), "ok");
      assert.equal(res.get("rpc-udp"), "ok");
      assert.equal(res.get("rpc-udp-send"), "ok");
      assert.equal(res.get("rpc-udp-reply"), "pong", "the relayed datagram socket works both ways");
      assert.ok(udpSeen.includes("udp-ok"));
      assert.equal(res.get("rpc-mapped"), "EACCES", "::ffff:127.0.0.1 is 127.0.0.1, not listed as IPv4 for that port");
      assert.match(r.stderr, /::ffff:127\.0\.0\.1 is the IPv4 address 127\.0\.0\.1/);
      assert.equal(unlisted.connections(), 0, "no TCP connection reached the unlisted port");
      assert.equal(unlistedDatagrams, 0, "no datagram reached the unlisted port (sendmsg's address included)");
    });

    it("cannot flood the launcher's log nor have its CPU: refused, malformed, fd-laden and failing requests, each answered within REFUSALS_PER_SECOND a second, and dropped trigger messages make a few lines and their counts", {
      timeout: 60_000,
    }, async () => {
      const closed = await freePort();
      const spec = writeSpec(stage, `hostile-log-flood-${launcher}`, {
        entrypoints: {
          "log-flood": {
            args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenTcpSocket: { family: "Inet", port: closed, host: "127.0.0.1" } }] }, { Pipe: { Tx: "m" } }, "Trailing"],
            environment: ["Stdout"],
          },
          // Never runs: every message has a NUL byte.
          echo: { trigger: { Pipe: "m" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const n = 200;
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(n), String(closed)]);
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const [, refusedN, malformedN, failedN, writtenN, ms] = r.stdout.trim().split(" ");
      // 8 of the malformed carried 128 fds each (the probe's LOG_FLOOD_FD_REQUESTS, LOG_FLOOD_FDS).
      assert.deepEqual([refusedN, malformedN, failedN, writtenN], [String(n), String(n + 8), String(n), String(n)], `each request got its answer, as without a limit: ${r.stdout}`);
      // Paced: each costs one, each fd FD_COST more; past REFUSALS_PER_SECOND in a second, the broker reads the void's next
      // request when the second is over (a lower bound: a slower machine only takes longer).
      const seconds = pacedSeconds([...Array<number>(2 * n).fill(1), ...Array<number>(8).fill(1 + 128 * FD_COST), ...Array<number>(n).fill(1)], REFUSALS_PER_SECOND);
      assert.ok(Number(ms) >= seconds * 1000 - 50, `the requests took ${ms} ms, at most ${REFUSALS_PER_SECOND} a second takes ${seconds} s or more`);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      assert.ok(lines.length < 40, `${lines.length} lines of log:\n${r.stderr.slice(0, 3000)}`);
      // What is not shown is counted (one summary per window, and at the end): shown and counted make every one.
      const total = (shown: RegExp, counted: RegExp) => (r.stderr.match(shown)?.length ?? 0) + [...r.stderr.matchAll(counted)].reduce((sum, m) => sum + Number(m[1]!.replaceAll(",", "")), 0);
      assert.equal(total(/rpc log-flood \(pid \d+\): refused: /g, /rpc log-flood \(pid \d+\): ([\d,]+) further refused requests? not shown/g), n, r.stderr);
      assert.equal(total(/rpc log-flood \(pid \d+\): malformed request: /g, /rpc log-flood \(pid \d+\): ([\d,]+) further malformed requests? not shown/g), n + 8, r.stderr);
      assert.equal(total(/trigger echo: message contains a NUL byte/g, /trigger echo: ([\d,]+) further messages? dropped for a NUL byte not shown/g), n, r.stderr);
      assert.match(r.stderr, /^void: error: rpc log-flood \(pid \d+\): [\d,]+ further refused requests not shown \(in \d+ s; 5 a kind are shown per 10 s; -vv shows all\)$/m);
    });

    it("cannot have the launcher's CPU through sockets the broker opens for it in a loop: at most OPENS_PER_SECOND a second, each still opened", { timeout: 60_000 }, async () => {
      const dest = await listenTcp();
      try {
        const spec = writeSpec(stage, `hostile-rpc-churn-${launcher}`, {
          entrypoints: {
            "rpc-churn": { args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenTcpSocket: { family: "Inet", port: dest.port, host: "127.0.0.1" } }] }, "Trailing"], environment: ["Stdout"] },
          },
        });
        const n = 300;
        const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(dest.port), String(n)]);
        assert.equal(r.status, 0, r.stderr.slice(-3000));
        const [, opened, ms] = /^rpc-churned (\d+) (\d+)$/m.exec(r.stdout) ?? [];
        assert.equal(Number(opened), n, r.stdout);
        // Unpaced, 300 took well under a second here; each costs the launcher a connect and the socket's hand-over.
        const seconds = pacedSeconds(Array<number>(n).fill(1), OPENS_PER_SECOND);
        assert.ok(Number(ms) >= seconds * 1000 - 50, `${n} sockets took ${ms} ms; at most ${OPENS_PER_SECOND} a second takes ${seconds} s or more`);
      } finally {
        dest.server.close();
      }
    });

    it("a Pipe trigger's message reaches its void as the bytes written, UTF-8 or not, and within the length limit", { timeout: 60_000 }, async () => {
      // Decoded as UTF-8, \xff became U+FFFD (3 bytes): \xff/etc and \xfe/etc were one argument, and a 4,095-byte message an argument of 12,285 (outside attack 50).
      const messages = [Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0x2f, 0x65, 0x74, 0x63]), Buffer.from("caf\u00e9 ok", "utf8"), Buffer.alloc(4095, 0xff)];
      const spec = writeSpec(stage, `hostile-bytes-${launcher}`, {
        entrypoints: {
          "send-bytes": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "b" } }, "Trailing"] },
          echo: { trigger: { Pipe: "b" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const hex = messages.map((m) => Buffer.concat([m, Buffer.from("\n")]).toString("hex"));
      const r = runVoidBinary(stage, launcher, ["run", "-j", "1", "-s", spec, stage.hostile, ...hex]);
      assert.equal(r.status, 0, r.stderr);
      const got = r.stdout
        .toString("latin1")
        .split("\n")
        .filter((l) => l.startsWith("got "))
        .map((l) => Buffer.from(l.slice(4), "latin1"));
      assert.deepEqual(got.map((b) => b.toString("hex")).sort(), messages.map((m) => m.toString("hex")).sort());
    });

    it("cannot have the launcher's CPU through messages a Pipe trigger drops: 2-byte NUL messages are paced at DROPPED_PER_SECOND a read", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-nul-flood-${launcher}`, {
        entrypoints: {
          "nul-flood": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "n" } }, "Trailing"], environment: ["Stdout"] },
          // Never runs: every message has a NUL byte.
          echo: { trigger: { Pipe: "n" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const started = performance.now();
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "200"]);
      const ms = performance.now() - started;
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const messages = Number(/^nul-flood (\d+)$/m.exec(r.stdout)?.[1]);
      assert.equal(messages, 100 * 1024, r.stdout);
      // A read takes at most 64 KiB (32,768 messages), each read past the budget ends the trigger's second: 200 KiB is
      // at least three reads, two pauses between them (unpaced: well under a second).
      assert.ok(ms >= 2000, `${messages} dropped messages took ${Math.round(ms)} ms`);
      const shown = r.stderr.match(/trigger echo: message contains a NUL byte/g)?.length ?? 0;
      const counted = [...r.stderr.matchAll(/trigger echo: ([\d,]+) further messages? dropped for a NUL byte not shown/g)].reduce((n, m) => n + Number(m[1]!.replaceAll(",", "")), 0);
      assert.equal(shown + counted, messages, r.stderr);
    });

    it("cannot have the launcher's CPU through FileSocket packets its trigger drops: at most DROPPED_PER_SECOND fds and packets a second", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-fd-packets-${launcher}`, {
        entrypoints: {
          "fd-packets": { args: ["BinaryName", "Entrypoint", { FileSocket: { Tx: "f" } }, "Trailing"], environment: ["Stdout"] },
          // Never runs: every packet carries more than 16 fds.
          echo: { trigger: { FileSocket: "f" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const [k, m] = [24, 200];
      const started = performance.now();
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(k), String(m)]);
      const ms = performance.now() - started;
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      assert.equal(r.stdout.trim(), `fd-packets ${k}`);
      const seconds = pacedSeconds(Array<number>(k).fill(1 + m * FD_COST), DROPPED_PER_SECOND);
      assert.ok(ms >= seconds * 1000, `${k} packets of ${m} fds were dropped in ${Math.round(ms)} ms, at most ${DROPPED_PER_SECOND} a second takes ${seconds} s or more`);
      const dropped = /trigger echo: a packet carried more than 16 fds/g;
      const counted = [...r.stderr.matchAll(/trigger echo: ([\d,]+) further packets? dropped for (?:its|their) size not shown/g)].reduce((sum, x) => sum + Number(x[1]!.replaceAll(",", "")), 0);
      assert.equal((r.stderr.match(dropped)?.length ?? 0) + counted, k, r.stderr);
    });

    it("void check shows what a spec names escaped: escape sequences and bidi controls reach the terminal as text", () => {
      const dir = scratch(stage, `escaped-${launcher}`);
      // A name that clears the screen, a path that moves the cursor up and reverses what follows ("rw" shown as "wr"...).
      const spec = writeSpec(stage, `hostile-escapes-${launcher}`, {
        entrypoints: {
          "m\u001b[2Jx": {
            args: ["BinaryName", "Trailing"],
            environment: [
              "Stdout",
              { Filesystem: { host_path: dir, environment_path: "/data\u001b[1A\u202ero", read_only: false } },
              // A line break in a path: a line of its own would look like a read-only bind.
              { Filesystem: { host_path: dir, environment_path: "/w\n    /forged  bind dir (ro,nosuid,nodev) [spec]", read_only: false, shared: true } },
            ],
          },
        },
      });
      const r = runVoid(stage, launcher, ["check", "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      for (const raw of ["\u001b", "\u202e"]) assert.ok(!(r.stdout + r.stderr).includes(raw), "no raw escape or bidi control is printed");
      assert.match(r.stdout, /^entrypoint m\\x1b\[2Jx /m);
      assert.match(r.stdout, /^ +\/data\\x1b\[1A\\u\{202e\}ro {2}from .* bind dir \(rw,/m);
      assert.doesNotMatch(r.stdout, /^ +\/forged/m, "no line of the spec's making");
      // An error at start names a path with a line break in it: one line still.
      const odd = join(dir, "x\nvoid: error: forged");
      mkdirSync(odd, { recursive: true });
      const startSpec = writeSpec(stage, `hostile-escapes-start-${launcher}`, { entrypoints: { "cat-fd": { args: ["BinaryName", "Entrypoint", { File: odd }], environment: ["Stdout"] } } });
      const start = runVoid(stage, launcher, ["run", "-s", startSpec, stage.hostile]);
      assert.notEqual(start.status, 0);
      assert.match(start.stderr, /x\\x0avoid: error: forged/);
      assert.doesNotMatch(start.stderr, /^void: error: forged/m);
      assert.match(r.stdout, /^ +\/w\\x0a {4}\/forged {2}bind dir \(ro,nosuid,nodev\) \[spec\] {2}from .* bind dir \(rw,/m);
    });

    it("cannot hand a brokered socket to a void without the host-sockets rule through a directory both see (no AF_UNIX socket of its own)", { timeout: 60_000 }, async () => {
      const listed = await listenTcp();
      const unlisted = await listenTcp();
      const shared = scratch(stage, `pass-${launcher}`);
      spawnSync("chmod", ["a+rwx", shared]);
      ownFor(shared, launcher, "pass-taker");
      const bind = { Filesystem: { host_path: shared, environment_path: "/shared", read_only: false, shared: true } };
      const spec = writeSpec(stage, `hostile-pass-${launcher}`, {
        entrypoints: {
          "pass-holder": { args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenTcpSocket: { family: "Inet", port: listed.port, host: "127.0.0.1" } }] }, "Trailing"], environment: ["Stdout", bind] },
          "pass-taker": { args: ["BinaryName", "Entrypoint", "Trailing"], environment: ["Stdout", bind] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(listed.port), String(unlisted.port)]);
      listed.server.close();
      unlisted.server.close();
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("holder-tcp"), "ok", r.stdout + r.stderr);
      for (const a of ["unix-stream", "unix-dgram", "unix-seqpacket", "unix-pair-dgram"]) assert.equal(res.get(a), "EPERM", `${a}:\n${r.stdout}`);
      for (const a of ["unix-pair", "unix-pair-seqpacket"]) assert.equal(res.get(a), "ok", `${a}: a stream or seqpacket pair stays: its ends leave only through fds the void holds`);
      assert.match(r.stdout, /^pass-sent 0$/m);
      assert.equal(res.get("taker-got"), "ENOENT", r.stdout);
      assert.equal(unlisted.connections(), 0, "nothing reached the unlisted port");
    });

    it("cannot have a mount of a later void stand where it can write: such a spec is refused before anything starts", { timeout: 60_000 }, async () => {
      const top = scratch(stage, `mountpoint-swap-${launcher}`);
      const dir = join(top, "writable");
      const victim = join(top, "victim");
      mkdirSync(join(dir, "sub", "x"), { recursive: true });
      mkdirSync(join(top, "config"), { recursive: true });
      mkdirSync(victim, { recursive: true });
      spawnSync("chmod", ["-R", "a+rwX", top]);
      ownFor(dir, launcher, "plant-mountpoint");
      const spec = writeSpec(stage, `hostile-mountpoint-${launcher}`, {
        entrypoints: {
          "plant-mountpoint": {
            args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "go" } }, "Trailing"],
            environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false, shared: true } }],
          },
          // The nested bind's mount point, /data/sub/x, lies in what the first entrypoint writes.
          nested: {
            trigger: { Pipe: "go" },
            args: ["BinaryName", "Entrypoint"],
            environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/data" } }, { Filesystem: { host_path: join(top, "config"), environment_path: "/data/sub/x" } }],
          },
        },
      });
      // The first entrypoint could rename /data/sub away (symlink or directory in its place) before the next void is built, or after.
      const r = await runVoidAsync(stage, launcher, ["run", "--prepare", "0", "-s", spec, stage.hostile, `/oldroot${victim}`]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /the bind of .*config at \/data\/sub\/x would stand on .*writable\/sub\/x, inside what entrypoint plant-mountpoint can write/);
      assert.doesNotMatch(r.stdout, /nested ran|plant-/, "nothing started");
      assert.deepEqual(readdirSync(victim), [], "nothing was created in the host directory the symlink would point at");
    });

    it("cannot start a later void in another directory than planned (a symlink on its WorkingDirectory path)", { timeout: 60_000 }, async () => {
      const dir = scratch(stage, `cwd-swap-${launcher}`);
      mkdirSync(join(dir, "work"), { recursive: true });
      spawnSync("chmod", ["-R", "a+rwX", dir]);
      ownFor(dir, launcher, "plant-cwd");
      const spec = writeSpec(stage, `hostile-cwd-${launcher}`, {
        entrypoints: {
          "plant-cwd": {
            args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "go" } }, "Trailing"],
            environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false, shared: true } }],
          },
          nested: {
            trigger: { Pipe: "go" },
            args: ["BinaryName", "Entrypoint"],
            environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/data" } }, { WorkingDirectory: "/data/work" }],
          },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "--prepare", "0", "-s", spec, stage.hostile, "/"]);
      const res = results(r.stdout);
      assert.equal(res.get("cwd-symlink"), "ok", r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /nested ran/, "the void did not start elsewhere");
      assert.match(r.stderr, /working directory changed since planning/, r.stderr);
    });

    it("cannot run what it writes in a writable bind (noexec), so no later void runs it either", () => {
      const dir = scratch(stage, `noexec-${launcher}`);
      ownFor(dir, launcher, "attacker");
      const spec = writeSpec(stage, `hostile-noexec-${launcher}`, {
        entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] } },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "exec-writable", "/rw"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(results(r.stdout).get("exec-writable"), "EACCES", r.stdout);
      assert.doesNotMatch(r.stdout, /^planted$/m);
    });

    it("cannot send anything back on the shared stdin socket (no fd parked in the launcher, pinning memory)", () => {
      const spec = writeSpec(stage, `hostile-stdin-back-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdin", "Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "stdin-back"], { input: "x" });
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("stdin-send-fd"), "EPIPE", r.stdout);
      assert.equal(res.get("stdin-write"), "EPIPE", r.stdout);
    });

    it("a socket the launcher made (stdin, broker, FileSocket ends) tells nothing of the host's network and takes no name there", async () => {
      // Stdin: no host-sockets rule applies; the socket itself must be of an empty namespace.
      const stdinSpec = writeSpec(stage, `hostile-socket-ns-stdin-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdin", "Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", stdinSpec, stage.hostile, "socket-ns", "0"], { input: "x" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(results(r.stdout).get("interfaces"), "none", r.stdout);
      assert.equal(results(r.stdout).get("bind-abstract"), "EINVAL", r.stdout);
      // A broker socket and both ends of a FileSocket, each in a void of its own: no void binds a name another could probe.
      const spec = writeSpec(stage, `hostile-socket-ns-${launcher}`, {
        entrypoints: {
          "socket-ns-rpc": { args: ["BinaryName", "Entrypoint", { Rpc: [] }], environment: ["Stdout"] },
          "socket-ns-tx": { args: ["BinaryName", "Entrypoint", { FileSocket: { Tx: "s" } }], environment: ["Stdout"] },
          "socket-ns-rx": { args: ["BinaryName", "Entrypoint", { FileSocket: { Rx: "s" } }], environment: ["Stdout"] },
        },
      });
      const all = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assert.equal(all.status, 0, all.stderr);
      const lines = all.stdout.split("\n");
      assert.deepEqual(
        lines.filter((l) => l.startsWith("bind-abstract ")),
        ["bind-abstract EINVAL", "bind-abstract EINVAL", "bind-abstract EINVAL"],
        all.stdout,
      );
      assert.deepEqual(
        lines.filter((l) => l.startsWith("interfaces ")),
        ["interfaces EPERM", "interfaces EPERM", "interfaces EPERM"],
        all.stdout,
      );
    });

    it("takes none of the kernel budgets the whole host shares or its launcher's uid holds: the AIO events, locked shared memory, zerocopy pins, the reserved huge pages; gets no pidfd of its launcher, no merged page, no protocol module", () => {
      const spec = writeSpec(stage, `hostile-host-budgets-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "host-budgets"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(results(r.stdout).get("io-setup"), "ENOSYS", r.stdout);
      assert.equal(results(r.stdout).get("shm-lock"), "EPERM", r.stdout);
      assert.equal(results(r.stdout).get("zerocopy"), "EPERM", r.stdout);
      assert.equal(results(r.stdout).get("passpidfd"), "EPERM", r.stdout);
      for (const huge of ["hugetlb-mmap", "hugetlb-memfd", "hugetlb-shm"]) assert.equal(results(r.stdout).get(huge), "EPERM", `${huge}: ${r.stdout}`);
      for (const ksm of ["ksm-prctl", "ksm-madvise"]) assert.equal(results(r.stdout).get(ksm), "EPERM", `${ksm}: ${r.stdout}`);
      // No protocol module loaded for a void: UDP-Lite and MPTCP are built into this kernel, so only the filter refuses them.
      for (const proto of ["sock-udplite", "sock-udplite6", "sock-mptcp", "sock-sctp"]) assert.equal(results(r.stdout).get(proto), "EPROTONOSUPPORT", `${proto}: ${r.stdout}`);
      assert.equal(results(r.stdout).get("sock-tcp"), "ok", r.stdout);
      assert.equal(results(r.stdout).get("clone-untraced"), "EPERM", r.stdout);
      for (const ioctl of ["module-ioctl-vlan", "module-ioctl-bridge"]) assert.equal(results(r.stdout).get(ioctl), "EPERM", `${ioctl}: ${r.stdout}`);
      assert.match(r.stdout, /^ksm-merging 0$/m);
      // A launcher with same-page merging on (systemd's MemoryKSM=yes; fork and execve keep it): void-init turns it off.
      const cmd = voidCommand(stage, launcher, ["run", "-s", spec, stage.hostile, "host-budgets"]);
      const merged = spawnSync(stage.hostile, ["ksm-on", ...cmd.argv], { cwd: stage.dir, env: cmd.env, encoding: "utf8", timeout: 60_000 });
      assert.equal(merged.status, 0, merged.stderr);
      assert.match(merged.stdout, /^ksm-merging 0$/m, merged.stdout);
    });

    it("takes none of its launcher's scheduling privileges: a negative nice value, a real-time policy or I/O class, a core limit it could raise", {
      skip: process.getuid?.() === 0 ? false : "only root may give the launcher a negative nice value or a real-time policy",
    }, () => {
      const spec = writeSpec(stage, `hostile-sched-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Procfs"] } } });
      const cmd = voidCommand(stage, launcher, ["run", "-s", spec, stage.hostile, "sched-state"]);
      // nice -5, SCHED_RR 1 and the real-time I/O class for the launcher; its core limit 0, raisable to unlimited.
      const wrap = ["-n", "-5", "prlimit", "--core=0:unlimited", "--", "ionice", "-c", "1", "-n", "3", "chrt", "-r", "1"];
      const host = spawnSync("nice", [...wrap, stage.hostile, "sched-state"], { encoding: "utf8", timeout: 30_000 });
      assert.match(host.stdout, /^sched oom_score_adj -?\d+ nice -5 policy 2 ioclass 1 .* core-hard -1$/m, `the wrappers work here: ${host.stdout}${host.stderr}`);
      const r = spawnSync("nice", [...wrap, ...cmd.argv], { cwd: stage.dir, env: cmd.env, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      // (A negative oom_score_adj and raised RLIMIT_RTPRIO/RLIMIT_NICE need CAP_SYS_RESOURCE, which this host's root may lack.)
      assert.match(r.stdout, /^sched oom_score_adj \d+ nice 0 policy 0 ioclass 0 rtprio 0\/0 rlimit-nice 0\/0 core-hard 0$/m, r.stdout);
    });

    it("cannot push a shared file's pages out of the page cache, nor ask without waiting whether they are there", () => {
      const dir = scratch(stage, `page-cache-${launcher}`);
      const target = join(dir, "shared.bin");
      const control = join(dir, "control.bin");
      for (const file of [target, control]) {
        writeFileSync(file, Buffer.alloc(1 << 20, 7), { mode: 0o644 });
        const fd = openSync(file, "r+");
        fsyncSync(fd); // clean pages: the kernel drops dirty ones only once written back
        closeSync(fd);
      }
      const host = (...args: string[]) => spawnSync(stage.hostile, args, { encoding: "utf8", timeout: 30_000 }).stdout;
      // Whether this filesystem lets pages go at all (tmpfs does not): the launcher's own DONTNEED, outside any void.
      readFileSync(control);
      const evictable = /^resident 0\/256$/m.test(host("evict", control));
      readFileSync(target);
      assert.match(host("resident", target), /^resident 256\/256$/m, "the file is in the page cache before the void runs");
      const spec = writeSpec(stage, `hostile-page-cache-${launcher}`, {
        entrypoints: {
          attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/data", read_only: true } }] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "page-cache", "/data/shared.bin"]);
      assert.equal(r.status, 0, r.stderr);
      for (const advice of ["fadvise-dontneed", "madvise-cold", "madvise-pageout"]) assert.equal(results(r.stdout).get(advice), "ok", `${advice}: ${r.stdout}`);
      assert.equal(results(r.stdout).get("read-nowait"), "EOPNOTSUPP", r.stdout);
      // Done as nothing: every page is still there (without the rule: resident 0/256, where pages can go).
      if (evictable) assert.match(host("resident", target), /^resident 256\/256$/m, "the void evicted nothing");
    });

    it("a bind is the directory planned, not a symlink another void put at its path", { timeout: 60_000 }, async () => {
      const top = scratch(stage, `bind-swap-${launcher}`);
      const dir = join(top, "writable");
      mkdirSync(join(dir, "shared"), { recursive: true });
      mkdirSync(join(top, "outside"), { recursive: true });
      writeFileSync(join(dir, "shared", "file.txt"), "the planned directory\n");
      writeFileSync(join(top, "outside", "file.txt"), "outside\n");
      spawnSync("chmod", ["-R", "a+rX", top]);
      ownFor(dir, launcher, "swap-dir");
      const spec = writeSpec(stage, `hostile-bind-swap-${launcher}`, {
        entrypoints: {
          "swap-dir": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "go" } }], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] },
          "cat-data": { trigger: { Pipe: "go" }, args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: join(dir, "shared"), environment_path: "/data" } }] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "--prepare", "0", "-s", spec, stage.hostile]);
      assert.match(r.stdout, /^swap ok$/m, "the swapper did replace the directory");
      assert.doesNotMatch(r.stdout, /outside/, "the void after it did not get the directory outside");
      assert.match(r.stderr, /bind source changed since planning/, r.stderr);
      assert.equal(r.status, 125, "that void failed, and the run says so");
    });

    it("a void attacking everything at once, beside a running application: every message delivered, the launcher's memory bounded", { timeout: 120_000 }, async () => {
      const dir = scratch(stage, `all-at-once-${launcher}`);
      ownFor(dir, launcher, "attack-all");
      const spec = writeSpec(stage, `hostile-all-${launcher}`, {
        entrypoints: {
          "attack-all": {
            args: ["BinaryName", "Entrypoint"],
            environment: ["Stdout", "Stderr", "Stdin", "Procfs", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }, { Limits: { memory: "16M", pids: 32 } }],
          },
          sender: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          echo: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const child = startVoid(stage, launcher, ["run", "-j", "2", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      let cgroup: string | undefined;
      let out = "";
      let err = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString("latin1");
      });
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      let peakKiB = 0;
      const sample = setInterval(() => {
        try {
          const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
          if (rss !== undefined) peakKiB = Math.max(peakKiB, Number(rss));
          cgroup ??= /^0::(.*)$/m.exec(readFileSync(`/proc/${child.pid}/cgroup`, "utf8"))?.[1];
        } catch {
          // ended
        }
      }, 50);
      const [status] = (await once(child, "exit")) as [number | null];
      clearInterval(sample);
      assert.equal(status, 0, err.slice(-3000));
      assert.doesNotMatch(err, /^\s+at .+[(:]\d+/m, "no stack trace: nothing crashed in the launcher");
      // Each "got" line is one write of less than PIPE_BUF: whole, though the attacker's flood may surround it.
      const got = [...out.matchAll(/got msg-(\d+)\n/g)].map((m) => m[1]);
      assert.equal(got.length, 2000, "every message handled");
      assert.equal(new Set(got).size, 2000, "each exactly once");
      const r = results(out.replaceAll("z", "").replaceAll(/got msg-\d+\n/g, ""));
      assert.equal(r.get("tiocsti-1"), "EPERM");
      assert.equal(r.get("pidfd_getfd"), "EPERM");
      assert.equal(r.get("proc-sys-core_pattern") === "ok", false);
      assert.equal(r.get("setid-files"), "none");
      assert.ok(peakKiB > 0 && peakKiB < 256 * 1024, `the launcher's peak RSS: ${peakKiB} KiB`);
      // The voids' cgroups (void-<launcher pid>, beside the launcher's) are gone.
      if (cgroup !== undefined) assert.ok(!existsSync(join("/sys/fs/cgroup", cgroup, `void-${child.pid}`)) && !existsSync(join("/sys/fs/cgroup", posix.dirname(cgroup), `void-${child.pid}`)), cgroup);
    });

    for (const sender of ["linger", "linger17"])
      it(`a lingering socket sent to the launcher${sender === "linger17" ? " as the 17th fd of a packet (more than it takes)" : ""} does not stop it: timeouts still fire on time`, {
        timeout: 60_000,
      }, async () => {
        const spec = writeSpec(stage, `hostile-${sender}-${launcher}`, {
          entrypoints: {
            // Forward only brings lo up; allowing connect lifts the host-sockets rule so the void can make its socket.
            [sender]: {
              args: ["BinaryName", "Entrypoint", { Rpc: [] }],
              environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Seccomp: { allow: ["connect"] } }, { Limits: { timeout: "4s" } }],
            },
            bystander: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Limits: { timeout: "1s" } }] },
          },
        });
        const started = Date.now();
        const r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
        const took = Date.now() - started;
        assert.match(r.stdout, /^sent$/m, r.stderr);
        assert.match(r.stderr, /bystander \(pid \d+\) killed at its timeout \(1000 ms\)/);
        // The socket's close would wait 25 s on the event loop; the launcher ends with its voids' timeouts instead.
        assert.ok(took < 15_000, `void run took ${took} ms`);
      });

    it("many opens of one pipe whose lock a void holds stop one closer, not one each: the launcher's threads stay few", {
      timeout: 60_000,
    }, async () => {
      const spec = writeSpec(stage, `hostile-splice-many-${launcher}`, {
        entrypoints: { "splice-many": { args: ["BinaryName", "Entrypoint", { Rpc: [] }], environment: ["Stdout", "Procfs"] } },
      });
      const child = startVoid(stage, launcher, ["run", "-s", spec, stage.hostile]);
      let out = "";
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const threads = () => readdirSync(`/proc/${child.pid}/task`).length;
      let before = 0;
      let after = 0;
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (before === 0 && out.includes("started\n")) before = threads();
        if (after === 0 && out.includes("sent-many\n")) after = threads();
      });
      const [status] = (await once(child, "exit")) as [number | null];
      assert.equal(status, 0, err);
      assert.ok(before > 0 && after > 0, out);
      // One closer per stuck close would be 24 more threads; per pipe, one.
      assert.ok(after - before < 8, `the launcher had ${before} threads, then ${after}`);
    });

    for (const copies of ["write-end", "other"])
      it(`a stalled close followed at once by 1,120 fds whose closes cannot wait (${copies === "write-end" ? "copies of the stalled pipe's other end" : "copies of another socket"}) does not stop the launcher taking fds`, {
        timeout: 60_000,
      }, async () => {
        const spec = writeSpec(stage, `hostile-backlog-${copies}-${launcher}`, {
          entrypoints: { "backlog-copies": { args: ["BinaryName", "Entrypoint", { Rpc: [] }, "Trailing"], environment: ["Stdout"] } },
        });
        const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, copies]);
        assertProbeClosedAtOnce(r);
      });

    it("closes a void stalls, pushed through a brokered UDP socket, do not fill the launcher's fd table: the relay stops taking them", {
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const spec = writeSpec(stage, `hostile-relay-backlog-${launcher}`, {
        entrypoints: {
          "relay-backlog": { args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenUdpSocket: { family: "Inet", port, host: "127.0.0.1" } }] }, "Trailing"], environment: ["Stdout", "Procfs"] },
        },
      });
      const child = startVoid(stage, launcher, ["run", "-s", spec, stage.hostile, String(port)]);
      let out = "";
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const fds = () => readdirSync(`/proc/${child.pid}/fd`).length;
      let held = 0;
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (held === 0 && out.includes("measured\n")) held = fds();
      });
      const [status] = (await once(child, "exit")) as [number | null];
      assert.equal(status, 0, err);
      const m = /^opened (\d+) sent (\d+)$/m.exec(out);
      assert.ok(m !== null && held > 0, out);
      // With room to open them (RLIMIT_NOFILE), more were offered than the launcher may keep waiting.
      if (Number(m[1]) > 1500) assert.ok(held < 1024 + 400, `the launcher held ${held} fds (${m[0]})`);
    });

    it("lingering sockets sent through a brokered UDP socket (a relayed unix socket) do not keep the launcher from ending", {
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const spec = writeSpec(stage, `hostile-linger-relayed-${launcher}`, {
        entrypoints: {
          "linger-relayed": {
            args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenUdpSocket: { family: "Inet", port, host: "127.0.0.1" } }] }, "Trailing"],
            environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Seccomp: { allow: ["connect"] } }],
          },
        },
      });
      const started = Date.now();
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(port)]);
      const took = Date.now() - started;
      assert.match(r.stdout, /^relayed$/m, r.stderr);
      assert.equal(r.status, 0, r.stderr);
      // The relay thread would close them itself, waiting 25 s (for ever, had the void asked), and the run would not end.
      assert.ok(took < 15_000, `void run took ${took} ms`);
    });

    it("a close that waits where no signal reaches (a pipe whose lock a void holds) does not stop the launcher's closing: the next fd sent is closed at once", {
      timeout: 60_000,
    }, async () => {
      const spec = writeSpec(stage, `hostile-splice-stuck-${launcher}`, {
        entrypoints: { "splice-stuck": { args: ["BinaryName", "Entrypoint", { Rpc: [] }], environment: ["Stdout"] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assertProbeClosedAtOnce(r);
    });

    it("lingering sockets left unread in a broker socket's queue do not stop the launcher when it closes that socket, nor a void being made then", {
      timeout: 60_000,
    }, async () => {
      // The bystander is made as the launcher closes that socket: 300 binds make its making last long enough to be sure.
      const binds = Array.from({ length: 300 }, (_, i) => ({ Filesystem: { host_path: "/usr/share", environment_path: `/b/${i}`, read_only: true } }));
      const spec = writeSpec(stage, `hostile-linger-queued-${launcher}`, {
        entrypoints: {
          "linger-queued": {
            args: ["BinaryName", "Entrypoint", { Rpc: [] }],
            environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Seccomp: { allow: ["connect"] } }],
          },
          bystander: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Limits: { timeout: "2s" } }, ...binds] },
        },
      });
      let started = Date.now();
      let r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      // The probe's four messages go in one sendmmsg, but the launcher may read the junk and close the socket before the
      // kernel has queued the rest (the probe preempted on a busy machine): it then exits 5 and the case was not set up.
      for (let attempt = 1; attempt < 3 && !/^queued$/m.test(r.stdout) && /linger-queued exited with status 5/.test(r.stderr); attempt++) {
        started = Date.now();
        r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      }
      const took = Date.now() - started;
      assert.match(r.stdout, /^queued$/m, r.stderr);
      assert.match(r.stderr, /bystander \(pid \d+\) killed at its timeout \(2000 ms\)/);
      // The close of that socket would wait 25 s (for ever, had the void asked) on the event loop, and at exit; or in
      // the bystander's set-up, holding the launcher's spawning thread, had that void held a copy of the socket then and
      // closed it last (and the bystander's timeout would not have been on time).
      assert.ok(took < 15_000, `void run took ${took} ms`);
    });

    it("lingering sockets hidden in flight inside unix sockets sent to the launcher do not stop its closer: the next fd sent is closed at once", {
      timeout: 60_000,
    }, async () => {
      const spec = writeSpec(stage, `hostile-linger-nested-${launcher}`, {
        entrypoints: {
          "linger-nested": {
            args: ["BinaryName", "Entrypoint", { Rpc: [] }],
            environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Seccomp: { allow: ["connect"] } }],
          },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      // Each of the three would hold the closer 25 s; the probe waits 15 s at most.
      assertProbeClosedAtOnce(r);
    });

    it("a void whose making is slow (its cgroup's cpu.max, a thousand binds) holds up no closing of what the other voids send", {
      timeout: 60_000,
    }, async () => {
      const binds = Array.from({ length: 1000 }, (_, i) => ({ Filesystem: { host_path: "/usr/share", environment_path: `/b/${i}`, read_only: true } }));
      const spec = writeSpec(stage, `hostile-slow-making-${launcher}`, {
        entrypoints: {
          "linger-nested": {
            args: ["BinaryName", "Entrypoint", { Rpc: [] }],
            environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Seccomp: { allow: ["connect"] } }],
          },
          bystander: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Limits: { timeout: "1s", cpu_max: 0.01 } }, ...binds] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      const probe = /^probe-closed (yes|no) (\d+)$/m.exec(r.stdout);
      assert.ok(probe !== null, `${r.stdout}\n${r.stderr}`);
      assert.equal(probe[1], "yes", r.stderr);
      // The closers waited until the bystander's making had closed the launcher's fds it was given a copy of, and that
      // came last in its set-up, which ran under the bystander's cpu.max (outside attack 28: 3 s for an fd's close,
      // and every later void's making behind it). The bystander now drops them first, before its cgroup join.
      assert.ok(Number(probe[2]) < 1000, `the probe was closed after ${probe[2]} ms`);
    });

    it("a File grant is never reached through a symlink a void could plant, under any name, nor from procfs", () => {
      const dir = scratch(stage, `file-planted-${launcher}`);
      const outside = join(stage.dir, "scratch", `planted-target-${launcher}.txt`);
      writeFileSync(outside, "outside\n");
      chmodSync(outside, 0o644);
      // As a void of an earlier run would have left it, in the directory a void may write.
      rmSync(join(dir, "granted.txt"), { force: true });
      symlinkSync(outside, join(dir, "granted.txt"));
      const spec = writeSpec(stage, `hostile-file-planted-${launcher}`, {
        entrypoints: {
          "cat-fd": { args: ["BinaryName", "Entrypoint", { File: join(dir, "granted.txt") }], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assert.notEqual(r.status, 0);
      assert.doesNotMatch(r.stdout, /outside/);
      assert.match(r.stderr, /is a symlink inside .*which a void may write/, r.stderr);
      if (isRoot) {
        // The same directory under another name, a bind mount made outside void (as /home bound from /data/home):
        // the File named through it reaches the same planted link (in a mount namespace of the test's own).
        const alias = scratch(stage, `file-alias-${launcher}`);
        const aliased = writeSpec(stage, `hostile-file-alias-${launcher}`, {
          entrypoints: {
            "cat-fd": {
              args: ["BinaryName", "Entrypoint", { File: join(alias, "granted.txt") }],
              environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }],
            },
          },
        });
        const cmd = voidCommand(stage, launcher, ["run", "-s", aliased, stage.hostile]);
        const a = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", dir, alias, ...cmd.argv], {
          cwd: stage.dir,
          env: cmd.env,
          encoding: "utf8",
          timeout: 60_000,
        });
        assert.notEqual(a.status, 0, a.stdout);
        assert.doesNotMatch(a.stdout, /outside/);
        assert.match(a.stderr, /is a symlink inside .*file-alias-\w+, which a void may write/, a.stderr);
      }
      const proc = writeSpec(stage, `hostile-file-proc-${launcher}`, { entrypoints: { "cat-fd": { args: ["BinaryName", "Entrypoint", { File: "/proc/self/environ" }], environment: ["Stdout"] } } });
      const p = runVoid(stage, launcher, ["run", "-s", proc, stage.hostile], { env: { LAUNCHER_SECRET: "hunter2" } });
      assert.notEqual(p.status, 0);
      assert.doesNotMatch(p.stdout, /hunter2/);
      assert.match(p.stderr, /a file of procfs/, p.stderr);
    });

    it("cannot read another void's output, nor shut a stream down for it", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-thief-${launcher}`, {
        entrypoints: {
          thief: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", "Stderr", "Stdin", "Procfs"] },
          victim: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", "Stderr", "Stdin"] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("stolen"), "no", "its own pipe holds only its own output");
      assert.equal(res.get("shutdown-stdout"), "ENOTSOCK", "output is a pipe of its own: nothing to shut down for others");
      assert.equal(r.stdout.match(/^victim line \d+$/gm)?.length, 20, "the other void's output arrived whole");
    });

    it("holding its own output pipe's lock stops no other void's output", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-lock-stdout-${launcher}`, {
        entrypoints: {
          "lock-stdout": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] },
          "steady-stdout": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      const m = /^longest-write-ms (\d+)$/m.exec(r.stdout);
      assert.ok(m !== null, r.stderr);
      // A relay shared by both voids' pipes waited for the held lock for the whole 3 s (outside attack 20).
      assert.ok(Number(m[1]) < 1500, `the other void's slowest write took ${m[1]} ms`);
    });

    it("voids that wrote into a Pipe its reader does not read keep their places under -j until their relays have written it", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-pileup-${launcher}`, {
        entrypoints: {
          "many-jobs": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          "bulk-writer": { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger", { Pipe: { Tx: "bulk" } }], environment: ["Stdout", { Limits: { concurrency: 2 } }] },
          "slow-reader": { args: ["BinaryName", "Entrypoint", { Pipe: { Rx: "bulk" } }], environment: ["Stdout"] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      const readStart = Number(/^read-start at ([\d.]+)$/m.exec(r.stdout)?.[1]);
      const starts = [...r.stdout.matchAll(/^started job-\d+ at ([\d.]+)$/gm)].map((m) => Number(m[1]));
      assert.equal(starts.length, 20, r.stdout);
      // 64 KiB each: the Pipe holds one void's, two wait in their relays (-j 2). Without the wait, all 20 ran at once, their relays piling up.
      const early = starts.filter((t) => t < readStart).length;
      assert.ok(early <= 5, `${early} of 20 writers started before the reader read`);
    });

    it("holding a Pipe trigger's lock stops neither the launcher nor the other voids' timeouts", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-lock-trigger-${launcher}`, {
        entrypoints: {
          "lock-trigger": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          "recv-slow": { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout", { Limits: { concurrency: 1 } }] },
          ticker: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Limits: { timeout: "2s" } }] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "--allow-unenforced-limits", "-s", spec, stage.hostile]);
      const ticks = [...r.stdout.matchAll(/^tick \d+ at ([\d.]+)$/gm)].map((m) => Number(m[1]));
      assert.ok(ticks.length > 0, r.stdout + r.stderr);
      // Its 2 s timeout ends the ticker; with the launcher's event loop waiting for the held lock it ticked on for 5 s.
      assert.ok(Math.max(...ticks) < 3.5, `the ticker ran ${Math.max(...ticks)} s: ${r.stderr}`);
      assert.match(r.stdout, /^recv msg1$/m);
      assert.match(r.stdout, /^recv msg2$/m, "the held lock delays only its holder's own message");
    });

    it("cannot read what the other voids of its entrypoint write to a Pipe, though its uid owns the pipe (--host-root for a root launcher)", { timeout: 60_000 }, async () => {
      const spec = writeSpec(stage, `hostile-pipe-steal-${launcher}`, {
        entrypoints: {
          jobs: { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          worker: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Entrypoint", "Trigger", { Pipe: { Tx: "results" } }], environment: ["Stdout", "Procfs"] },
          results: { args: ["BinaryName", "Entrypoint", { Pipe: { Rx: "results" } }], environment: ["Stdout"] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", ...(launcher === "root" ? ["--host-root"] : []), "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      // Its uid owns the pipe it holds, so it may reopen it for reading: it is a pipe of its own, which only it writes.
      assert.match(r.stdout, /^reopen-pipe-for-reading ok$/m, r.stdout);
      assert.doesNotMatch(r.stdout, /^stolen:/m, r.stdout);
      assert.deepEqual(r.stdout.match(/^received: .*$/gm)?.sort(), ["received: result for alice", "received: result for bob"], r.stdout);
    });

    it("cannot take more than 16 relayed UDP sockets (each costs the launcher two threads)", { timeout: 60_000 }, async () => {
      const port = await freePort();
      const spec = writeSpec(stage, `hostile-udp-quota-${launcher}`, {
        entrypoints: { "udp-quota": { args: ["BinaryName", "Entrypoint", { Rpc: [{ OpenUdpSocket: { family: "Inet", port, host: "127.0.0.1" } }] }, "Trailing"], environment: ["Stdout"] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, String(port)]);
      assert.equal(r.status, 0, r.stderr);
      const res = results(r.stdout);
      assert.equal(res.get("udp-opened"), "16", r.stdout);
      assert.equal(res.get("udp-quota"), "EMFILE");
    });

    it("cannot be given a writable bind over what voids execute (its binary, libraries): refused before anything starts", () => {
      const spec = writeSpec(stage, `hostile-covers-${launcher}`, {
        entrypoints: {
          // The stage directory holds the program itself.
          writer: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: stage.dir, environment_path: "/rw", read_only: false } }] },
          other: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] },
        },
      });
      for (const command of ["check", "run"]) {
        const r = runVoid(stage, launcher, [command, "-s", spec, stage.hostile]);
        assert.equal(r.status, 2, `${command}: ${r.stderr}`);
        assert.match(r.stderr, /entrypoints\.writer: the writable bind of .* covers .*hostile \(binary\).*run its code in every void started after it/);
        assert.equal(r.stdout, "", "nothing started");
      }
      // /lib: the libraries every dynamic program loads.
      const libs = writeSpec(stage, `hostile-covers-libs-${launcher}`, {
        entrypoints: { writer: { args: ["BinaryName"], environment: [{ Filesystem: { host_path: "/usr/lib", environment_path: "/usr/lib", read_only: false } }] } },
      });
      const r = runVoid(stage, launcher, ["check", "-s", libs, stage.hostile]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /covers .*libc\.so\.6 \((library|interpreter)\)/);
    });

    it("plans only from a spec nobody but the launcher's user and root could have chosen: its owner, its directory, the links on the way", {
      skip: !isRoot && "needs root to make another uid's files",
    }, () => {
      const top = scratch(stage, `spec-owner-${launcher}`);
      const other = UNPRIV_UID - 1;
      const text = JSON.stringify({ entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout"] } } });
      const put = (path: string, mode: number, uid: number) => {
        writeFileSync(path, text);
        chmodSync(path, mode);
        chownSync(path, uid, uid);
      };
      const theirs = join(top, "theirs.json");
      put(theirs, 0o644, other);
      const loose = join(top, "loose.json");
      put(loose, 0o666, 0);
      const theirDir = join(top, "their-dir");
      mkdirSync(theirDir);
      chownSync(theirDir, other, other);
      put(join(theirDir, "spec.json"), 0o644, 0);
      // Higher up too: whoever owns a directory above can swap what lies below it (rename, RENAME_EXCHANGE) mid-read.
      const theirTop = join(top, "their-top");
      mkdirSync(join(theirTop, "sub"), { recursive: true });
      chownSync(theirTop, other, other);
      put(join(theirTop, "sub", "spec.json"), 0o644, 0);
      const linkDir = join(top, "link-dir");
      mkdirSync(linkDir);
      chownSync(linkDir, other, other);
      put(join(top, "fine.json"), 0o644, 0);
      symlinkSync(join(top, "fine.json"), join(linkDir, "spec.json"));
      for (const [path, why] of [
        [theirs, `belongs to uid ${other}`],
        [loose, "anyone may write"],
        [join(theirDir, "spec.json"), `their-dir belongs to uid ${other}, who could put another file there`],
        [join(theirTop, "sub", "spec.json"), `their-top belongs to uid ${other}, who could put another file there`],
        [join(linkDir, "spec.json"), `a symbolic link in a directory of uid ${other}`],
      ] as const) {
        for (const command of ["check", "run"]) {
          const r = runVoid(stage, launcher, [command, "-s", path, stage.hostile]);
          assert.equal(r.status, 2, `${command} ${path}: ${r.stderr}`);
          assert.match(r.stderr, new RegExp(`${why}.*: refused, as another user could change what this run grants`), `${command} ${path}`);
          assert.equal(r.stdout, "");
        }
      }
      // --runtime the same.
      const runtime = join(top, "runtime.json");
      writeFileSync(runtime, "{}");
      chownSync(runtime, other, other);
      const r = runVoid(stage, launcher, ["run", "-s", join(top, "fine.json"), "--runtime", runtime, stage.hostile]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /runtime\.json: .*belongs to uid \d+.*refused/);
      const fine = runVoid(stage, launcher, ["run", "-s", join(top, "fine.json"), stage.hostile]);
      assert.equal(fine.status, 0, fine.stderr);
      assert.match(fine.stdout, /nested ran/);
    });

    it("cannot be given a writable bind over the spec it is planned from, nor a runtime spec: refused before anything starts", () => {
      const dir = scratch(stage, `spec-inside-${launcher}`);
      const writer = { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] } };
      const inside = join(dir, "spec.json");
      writeFileSync(inside, JSON.stringify({ entrypoints: writer }));
      chmodSync(inside, 0o644);
      // Reached through a symlink elsewhere too: the file it resolves to is what a void could rewrite.
      const link = join(stage.dir, `spec-link-${launcher}.json`);
      rmSync(link, { force: true });
      symlinkSync(inside, link);
      for (const [command, path] of [
        ["check", inside],
        ["run", inside],
        ["run", link],
      ] as const) {
        const r = runVoid(stage, launcher, [command, "-s", path, stage.hostile, "nested"]);
        assert.equal(r.status, 2, `${command} ${path}: ${r.stderr}`);
        assert.match(r.stderr, /entrypoints\.nested: the writable bind of .* covers .*spec\.json.*, the spec this run is planned from: a void of nested could rewrite what the next run grants/);
        assert.equal(r.stdout, "", "nothing started");
      }
      // Or through a symlink inside the bind on the way to a spec outside it: the void could point that symlink at its own.
      const elsewhere = scratch(stage, `spec-elsewhere-${launcher}`);
      writeFileSync(join(elsewhere, "spec.json"), JSON.stringify({ entrypoints: writer }));
      chmodSync(join(elsewhere, "spec.json"), 0o644);
      rmSync(join(dir, "sub"), { force: true });
      symlinkSync(elsewhere, join(dir, "sub"));
      const via = join(stage.dir, `spec-via-${launcher}`);
      rmSync(via, { force: true });
      symlinkSync(join(dir, "sub"), via);
      const through = runVoid(stage, launcher, ["run", "-s", join(via, "spec.json"), stage.hostile]);
      assert.equal(through.status, 2, through.stderr);
      assert.match(through.stderr, /covers .*spec-inside-\w+\/sub, the spec this run is planned from/);
      const outside = writeSpec(stage, `spec-outside-${launcher}`, { entrypoints: writer });
      const runtime = join(dir, "runtime.json");
      writeFileSync(runtime, "{}");
      chmodSync(runtime, 0o644);
      const r = runVoid(stage, launcher, ["run", "-s", outside, "--runtime", runtime, stage.hostile, "nested"]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /covers .*runtime\.json, the spec this run is planned from/);
      const fine = runVoid(stage, launcher, ["run", "-s", outside, stage.hostile, "nested"]);
      assert.equal(fine.status, 0, fine.stderr);
      assert.match(fine.stdout, /nested ran/);
    });

    it("cannot be given a writable bind over void's own installation (its package, a package it loads, Node): refused before anything starts", () => {
      // The stage is the package: a project directory holding it, or one of its parts, bound writable would let a
      // void replace the front end, the CLI or void-init, and the next run would run its code as the launcher.
      const files = ["build/void-init", "build/void-run-fast", "dist/src/cli/entry.js", "node_modules/commander/package.json"].map((f) => join(stage.dir, f));
      const before = files.map((f) => statSync(f).mtimeMs);
      for (const [source, what] of [
        [stage.dir, /covers .*\/package\.json, .*\/bin, .*\/dist and \d+ more/],
        [join(stage.dir, "build"), /covers .*\/build,/],
        [join(stage.dir, "node_modules", "commander"), /covers .*\/node_modules\/commander,/],
        [dirname(process.execPath), /covers .*node,/],
      ] as const) {
        const spec = writeSpec(stage, `own-install-${launcher}`, {
          entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: source, environment_path: "/rw", read_only: false } }] } },
        });
        for (const command of ["check", "run"]) {
          const r = runVoid(stage, launcher, [command, "-s", spec, stage.hostile, "nested"]);
          assert.equal(r.status, 2, `${command} ${source}: ${r.stderr}`);
          assert.match(
            r.stderr,
            /entrypoints\.nested: the writable bind of .* of void's own installation, which the launcher runs: a void of nested could change what the next void run executes/,
            `${command} ${source}`,
          );
          assert.match(r.stderr, what, `${command} ${source}`);
          assert.equal(r.stdout, "", "nothing started");
        }
      }
      assert.deepEqual(
        files.map((f) => statSync(f).mtimeMs),
        before,
      );
      // A directory of the package's that void never runs (a checkout's scratch space) may be bound writable.
      const fine = writeSpec(stage, `own-install-fine-${launcher}`, {
        entrypoints: {
          nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: scratch(stage, `own-install-${launcher}`), environment_path: "/rw", read_only: false } }] },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", fine, stage.hostile, "nested"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /nested ran/);
    });

    it("cannot be given a writable bind on the filesystem where void's own files it could write have other names (hard links, as pnpm and bun make)", () => {
      // The stage's files are root's: a void can write them only as host root (--host-root of a root launcher).
      const store = scratch(stage, `store-${launcher}`);
      const data = scratch(stage, `linked-data-${launcher}`);
      const spec = writeSpec(stage, `linked-${launcher}`, {
        entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: data, environment_path: "/rw", read_only: false } }] } },
      });
      const hostRoot = launcher === "root" ? ["--host-root"] : [];
      const link = join(store, "package.json");
      rmSync(link, { force: true });
      linkSync(join(stage.dir, "package.json"), link);
      try {
        const r = runVoid(stage, launcher, ["run", ...hostRoot, "-s", spec, stage.hostile, "nested"]);
        // Voids are the launcher's uid on the host (an unprivileged launcher; --host-root): they could write the
        // stage's files if that uid owns them (the stage is the test runner's: root's, or the test uid's).
        const owner = statSync(join(stage.dir, "package.json"));
        const launcherUid = launcher === "root" ? 0 : isRoot ? UNPRIV_UID : process.getuid?.();
        if (owner.uid === launcherUid && (owner.mode & 0o200) !== 0) {
          assert.equal(r.status, 2, r.stderr);
          assert.match(
            r.stderr,
            new RegExp(
              `entrypoints\\.nested: the writable bind of .*linked-data-${launcher} is on the filesystem \\(.*\\) of .*package\\.json, a file of void's own installation that has other names there`,
            ),
          );
          assert.equal(r.stdout, "", "nothing started");
        } else assert.equal(r.status, 0, `voids of this launcher cannot write the stage's files: ${r.stderr}`);
        if (launcher === "root") {
          // Without --host-root its voids have uids of their own, which cannot write root's files: allowed.
          const own = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "nested"]);
          assert.equal(own.status, 0, own.stderr);
        }
      } finally {
        rmSync(link, { force: true });
      }
      const fine = runVoid(stage, launcher, ["run", ...hostRoot, "-s", spec, stage.hostile, "nested"]);
      assert.equal(fine.status, 0, fine.stderr);
      assert.match(fine.stdout, /nested ran/);
      // The Node the void command runs is looked at too: one a package store installed (pnpm env use) has other names.
      const record = join(stage.dir, "build", "node-path");
      const node = join(store, "node");
      writeFileSync(node, readFileSync(process.execPath), { mode: 0o755 });
      chmodSync(node, 0o755);
      rmSync(join(store, "node-linked"), { force: true });
      linkSync(node, join(store, "node-linked"));
      const recorded = readFileSync(record, "utf8");
      writeFileSync(record, `${node}\n`, { mode: 0o644 });
      chmodSync(record, 0o644);
      // Its user's, as a version manager's install is (the test runner's, or uid 65534's when the runner is root).
      if (isRoot) chownSync(node, UNPRIV_UID, UNPRIV_GID);
      try {
        const r = runVoid(stage, launcher, ["check", ...hostRoot, "-s", spec, stage.hostile, "nested"]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`the writable bind of .*linked-data-${launcher} is on the filesystem \\(.*\\) of .*store-${launcher}/node, a file of void's own installation that has other names there`),
        );
      } finally {
        writeFileSync(record, recorded);
        rmSync(node, { force: true });
        rmSync(join(store, "node-linked"), { force: true });
      }
    });

    it("cannot be given a writable bind of another name of void's own installation (a bind mount of it, or over a file of it, made outside void), from the plan cache either", {
      skip: !isRoot && "makes bind mounts, in a mount namespace of its own",
    }, () => {
      const top = scratch(stage, `alias-${launcher}`);
      const alias = join(top, "pkg");
      mkdirSync(alias, { recursive: true });
      // A copy of the CLI's entry the launcher runs, to be bound over the package's own (as a volume over node_modules would be).
      const copy = join(top, "entry.js");
      writeFileSync(copy, readFileSync(join(stage.dir, "dist", "src", "cli", "entry.js")));
      const spec = writeSpec(stage, `alias-${launcher}`, {
        entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: top, environment_path: "/rw", read_only: false } }] } },
      });
      // Without the mounts the bind holds nothing of void's: allowed, and its plan cached.
      for (let i = 0; i < 2; i++) {
        const r = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "nested"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /nested ran/);
      }
      // The same commands where a bind mount shows the package under the writable directory (as /home bound from
      // /data/home would), or a file of the writable directory over the CLI's entry: refused, and the cached
      // plan, made under another mount table, is not used.
      for (const [source, target, refusal] of [
        [
          stage.dir,
          alias,
          /covers .*\/pkg\/package\.json \(.*\/package\.json under another mount\), .*\/pkg\/bin \(.*\/bin under another mount\), .*\/pkg\/dist \(.*\/dist under another mount\) and \d+ more,/,
        ],
        [copy, join(stage.dir, "dist", "src", "cli", "entry.js"), /covers .*alias-\w+\/entry\.js \(.*\/dist\/src\/cli\/entry\.js under another mount\),/],
      ] as const) {
        for (const command of ["check", "run"]) {
          const cmd = voidCommand(stage, launcher, [command, "-s", spec, stage.hostile, "nested"]);
          const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", source, target, ...cmd.argv], {
            cwd: stage.dir,
            env: { ...cmd.env, VOID_FAST_PATH_TRACE: "1" },
            encoding: "utf8",
            timeout: 60_000,
          });
          assert.equal(r.status, 2, `${command} ${target}: ${r.stderr}`);
          assert.match(r.stderr, /entrypoints\.nested: the writable bind of .*alias-\w+ covers .* of void's own installation/, `${command} ${target}`);
          assert.match(r.stderr, refusal, `${command} ${target}`);
          assert.equal(r.stdout, "", "nothing started");
          // (A file bound over one of void's own is a change of a file the plan was made from, found first.)
          if (fastPath && command === "run") assert.match(r.stderr, /plan cache: not used \((the mount table|a file the plan was made from) changed\)/);
        }
      }
    });

    it("cannot plant a node on the launcher's PATH for the next void command: the recorded Node runs, and without one the bind is refused", () => {
      // As a CARGO_HOME whose bin/ rustup puts first on PATH: a node planted there (here by the test, as a void with
      // the writable bind would) must never be what the next void command runs.
      const home = scratch(stage, `path-${launcher}`);
      const bin = join(home, "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "node"), "#!/bin/sh\necho PLANTED-NODE-RAN >&2\nexit 99\n", { mode: 0o755 });
      chmodSync(join(bin, "node"), 0o755);
      const spec = writeSpec(stage, `path-${launcher}`, {
        entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: home, environment_path: "/rw", read_only: false } }] } },
      });
      const path = `${dirname(process.execPath)}:${process.env["PATH"] ?? "/usr/bin:/bin"}`;
      const record = join(stage.dir, "build", "node-path");
      assert.ok(existsSync(record), "set-up records the Node the package runs");
      // With the recorded Node (as set-up and npm install leave it): every command runs it, whatever PATH says.
      for (const args of [["--version"], ["check", "-s", spec, stage.hostile, "nested"], ["run", "-s", spec, stage.hostile, "nested"]]) {
        const r = runVoid(stage, launcher, args, { env: { PATH: `${bin}:${path}` } });
        assert.doesNotMatch(r.stderr, /PLANTED-NODE-RAN/, args.join(" "));
        assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      }
      // Also bin/void's shell part started with a bare name (`sh void` in bin/).
      const [shell, ...shellArgs] = asLauncher(launcher, ["sh", "void", "--version"]);
      const bare = spawnSync(shell!, shellArgs, { cwd: join(stage.dir, "bin"), env: { PATH: `${bin}:${path}`, XDG_CACHE_HOME: join(home, "cache") }, encoding: "utf8", timeout: 60_000 });
      assert.doesNotMatch(bare.stderr, /PLANTED-NODE-RAN/);
      assert.equal(bare.status, 0, bare.stderr);
      // bash looks `bash void` up through PATH when the working directory holds no `void`, and still calls it `void`:
      // an error, not a package guessed from the working directory (whose ../build a void may write).
      const [bash, ...bashArgs] = asLauncher(launcher, ["bash", "void", "--version"]);
      const elsewhere = scratch(stage, `bash-void-${launcher}`);
      const searched = spawnSync(bash!, bashArgs, {
        cwd: elsewhere,
        env: { PATH: `${join(stage.dir, "bin")}:${bin}:${path}`, XDG_CACHE_HOME: join(home, "cache") },
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.doesNotMatch(searched.stderr, /PLANTED-NODE-RAN/);
      assert.equal(searched.status, 125, searched.stderr);
      assert.match(searched.stderr, /void: error: cannot tell where this script is: it was started as 'void', with no directory/);
      // Without it, node is looked up through PATH: a writable bind of a directory searched before Node's is refused.
      renameSync(record, `${record}.aside`);
      try {
        for (const command of ["check", "run"]) {
          const r = runVoid(stage, launcher, [command, "-s", spec, stage.hostile, "nested"], { env: { PATH: path } });
          assert.equal(r.status, 0, `${command}, bind after Node's directory: ${r.stderr}`);
        }
        rmSync(join(bin, "node"));
        const cmd = voidCommand(stage, launcher, ["check", "-s", spec, stage.hostile, "nested"], { PATH: `${bin}:${path}` });
        const r = spawnSync(cmd.argv[0]!, cmd.argv.slice(1), { cwd: stage.dir, env: cmd.env, encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /the writable bind of .*path-\w+ covers .*path-\w+\/bin, on the launcher's PATH where the void command looks for node before it finds it/);
      } finally {
        renameSync(`${record}.aside`, record);
      }
      // A record whose Node is gone (uninstalled since) is an error, never a fallback to PATH, which the planner left
      // open while the record held; the user's NODE_OPTIONS (a --require) never reaches void's Node. Both are the
      // command's own launchers (bin/void's shell part, the front end): the warm pass runs the command through them.
      if (fastPath) {
        const preload = join(home, "preload.cjs");
        writeFileSync(preload, 'process.stderr.write("NODE-OPTIONS-RAN\\n");\n', { mode: 0o644 });
        chmodSync(preload, 0o644);
        const options = runVoid(stage, launcher, ["--version"], { env: { PATH: path, NODE_OPTIONS: `--require ${preload}` } });
        assert.equal(options.status, 0, options.stderr);
        assert.doesNotMatch(options.stderr, /NODE-OPTIONS-RAN/);
        const recorded = readFileSync(record, "utf8");
        writeFileSync(record, `${join(home, "gone", "node")}\n`);
        try {
          const r = runVoid(stage, launcher, ["--version"], { env: { PATH: path } });
          assert.equal(r.status, 125, r.stderr);
          assert.match(r.stderr, /build\/node-path names a Node that cannot be run \(.*gone\/node\): record the Node to run with `npm run build:native`/);
        } finally {
          writeFileSync(record, recorded);
        }
      }
    });

    it("cannot be given a writable bind of what the launcher's LD_LIBRARY_PATH or LD_PRELOAD names (ld.so loads it into the next void command's Node)", () => {
      const dir = scratch(stage, `ld-${launcher}`);
      mkdirSync(join(dir, "lib"), { recursive: true });
      const spec = writeSpec(stage, `ld-${launcher}`, {
        entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/rw", read_only: false } }] } },
      });
      // ld.so's $ORIGIN is the directory of the program: Node's (the recorded one's here); $LIB is lib, among others.
      const origin = posix.relative(dirname(readFileSync(join(stage.dir, "build", "node-path"), "utf8").trim()), join(dir, "lib", "libhook.so"));
      const envs: Record<string, string>[] = [
        { LD_LIBRARY_PATH: join(dir, "lib") },
        { LD_PRELOAD: join(dir, "lib", "libhook.so") },
        { LD_PRELOAD: `$ORIGIN/${origin}` },
        { LD_LIBRARY_PATH: `${dir}/$LIB` },
      ];
      for (const env of envs) {
        const r = runVoid(stage, launcher, ["check", "-s", spec, stage.hostile, "nested"], { env });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /the writable bind of .*ld-\w+ covers .*ld-\w+\/lib.*, where ld\.so finds what it loads into the Node the void command runs/);
      }
      const fine = runVoid(stage, launcher, ["run", "-s", spec, stage.hostile, "nested"]);
      assert.equal(fine.status, 0, fine.stderr);
      const bindOf = (name: string, hostPath: string) =>
        writeSpec(stage, `ld-${name}-${launcher}`, {
          entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: hostPath, environment_path: "/rw", read_only: false } }] } },
        });
      // Inside an LD_LIBRARY_PATH directory: ld.so looks in its glibc-hwcaps/, tls/ and platform subdirectories first.
      mkdirSync(join(dir, "lib", "x86_64"));
      const inside = runVoid(stage, launcher, ["check", "-s", bindOf("inside", join(dir, "lib", "x86_64")), stage.hostile, "nested"], { env: { LD_LIBRARY_PATH: join(dir, "lib") } });
      assert.equal(inside.status, 2, inside.stderr);
      // Refused either way: as lying where ld.so looks inside lib/, or as covering a directory the loader searches for
      // Node under LD_LIBRARY_PATH (lib/x86_64 is one of its legacy platform subdirectories where glibc has them).
      assert.match(inside.stderr, /the writable bind of .*ld-\w+\/lib\/x86_64 (lies where ld\.so looks inside .*ld-\w+\/lib \(a file in it, or its glibc-hwcaps|covers .*ld-\w+\/lib\/x86_64)/);
      // A link inside it that ld.so follows (glibc-hwcaps/ -> a directory the void writes), and ".." after a link, which
      // the kernel takes from where the link leads (app/bin -> data/v1/bin: app/bin/../lib is data/v1/lib).
      const hw = scratch(stage, `ld-hw-${launcher}`);
      mkdirSync(join(hw, "lib"));
      mkdirSync(join(hw, "shared", "hw"), { recursive: true });
      symlinkSync(join(hw, "shared", "hw"), join(hw, "lib", "glibc-hwcaps"));
      const viaHwcaps = runVoid(stage, launcher, ["check", "-s", bindOf("hw", join(hw, "shared")), stage.hostile, "nested"], { env: { LD_LIBRARY_PATH: join(hw, "lib") } });
      assert.equal(viaHwcaps.status, 2, viaHwcaps.stderr);
      assert.match(viaHwcaps.stderr, /the writable bind of .*ld-hw-\w+\/shared covers .*shared\/hw.*, where ld\.so finds what it loads into the Node/);
      const up = scratch(stage, `ld-up-${launcher}`);
      for (const d of ["app", "srv/data/v1/bin", "srv/data/v1/lib"]) mkdirSync(join(up, d), { recursive: true });
      symlinkSync(join(up, "srv", "data", "v1", "bin"), join(up, "app", "bin"));
      // What ld.so loads into Node by itself (its libraries, its RUNPATH: conda's and Homebrew's Node keep theirs beside
      // it): the directory of the libc this Node runs with, as `check` plans it (nothing is started).
      const libcDir = dirname(
        readFileSync("/proc/self/maps", "utf8")
          .split("\n")
          .map((l) => l.slice(l.indexOf("/")))
          .find((p) => /\/libc[.-][^/]*so/.test(p))!,
      );
      // A static program: no library of its own is there, only Node's.
      const nodeLibs = runVoid(stage, launcher, ["check", "-s", bindOf("libc", libcDir), stage.probeStatic]);
      assert.equal(nodeLibs.status, 2, nodeLibs.stderr);
      assert.equal(nodeLibs.stderr.trim().split("\n").length, 1, nodeLibs.stderr);
      assert.match(
        nodeLibs.stderr,
        /covers .*, where ld\.so finds what it loads into the Node the void command runs \(through the launcher's LD_LIBRARY_PATH, LD_PRELOAD or LD_AUDIT, \/etc\/ld\.so\.preload or ld\.so\.cache, or Node's own libraries\)/,
      );
      assert.ok(nodeLibs.stderr.includes(`the writable bind of ${libcDir} covers ${libcDir}/`), nodeLibs.stderr);
      const dotdot = runVoid(stage, launcher, ["check", "-s", bindOf("up", join(up, "srv", "data")), stage.hostile, "nested"], { env: { LD_LIBRARY_PATH: `${join(up, "app", "bin")}/../lib` } });
      assert.equal(dotdot.status, 2, dotdot.stderr);
      assert.match(dotdot.stderr, /the writable bind of .*ld-up-\w+\/srv\/data covers .*srv\/data\/v1\/lib/);
      // A symlink partway along the path (opt/app -> shared/current -> releases/v1): a void writing shared/ could point current anywhere.
      const top = scratch(stage, `ld-links-${launcher}`);
      for (const d of ["opt", "shared", "releases/v1/lib", "data"]) mkdirSync(join(top, d), { recursive: true });
      symlinkSync(join(top, "shared", "current"), join(top, "opt", "app"));
      symlinkSync(join(top, "releases", "v1"), join(top, "shared", "current"));
      const linked = { LD_LIBRARY_PATH: join(top, "opt", "app", "lib") };
      const through = runVoid(stage, launcher, ["run", "-s", bindOf("link", join(top, "shared")), stage.hostile, "nested"], { env: linked });
      assert.equal(through.status, 2, through.stderr);
      assert.match(through.stderr, /the writable bind of .*ld-links-\w+\/shared covers .*shared\/current.*, where ld\.so finds what it loads into the Node/);
      // A plan made (and, warm, cached) while the path stayed clear of what voids write is planned again once a link on
      // the way points into it: the cached plan recorded every link, not only LD_LIBRARY_PATH's value.
      const data = bindOf("data", join(top, "data"));
      const before = runVoid(stage, launcher, ["run", "-s", data, stage.hostile, "nested"], { env: linked });
      assert.equal(before.status, 0, before.stderr);
      rmSync(join(top, "shared", "current"));
      symlinkSync(join(top, "data"), join(top, "shared", "current"));
      const after = runVoid(stage, launcher, ["run", "-s", data, stage.hostile, "nested"], { env: linked });
      assert.equal(after.status, 2, after.stderr);
      assert.match(after.stderr, /the writable bind of .*ld-links-\w+\/data covers .*data\/lib.*, where ld\.so finds what it loads into the Node/);
    });

    it("follows no other user's symlink in a sticky directory anyone may write (/tmp): a local user cannot aim a File or bind grant", {
      skip: !isRoot && "needs root to plant another uid's symlink",
    }, () => {
      const top = scratch(stage, `sticky-${launcher}`);
      const shared = join(top, "tmp");
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      // What the launcher's user may read and a local user may not: a 0600 file and a directory of the launcher's.
      const own = join(top, "home");
      mkdirSync(own, { mode: 0o700 });
      writeFileSync(join(own, "key"), "private\n", { mode: 0o600 });
      if (launcher === "unprivileged") spawnSync("chown", ["-R", `${UNPRIV_UID}:${UNPRIV_GID}`, own]);
      const other = UNPRIV_UID - 1;
      const plant = (name: string, target: string, uid: number) => {
        symlinkSync(target, join(shared, name));
        spawnSync("chown", ["-h", `${uid}:${uid}`, join(shared, name)]);
      };
      plant("input.conf", join(own, "key"), other);
      plant("appdata", own, other);
      const specs = {
        file: writeSpec(stage, `sticky-file-${launcher}`, { entrypoints: { "cat-fd": { args: ["BinaryName", "Entrypoint", { File: join(shared, "input.conf") }], environment: ["Stdout"] } } }),
        bind: writeSpec(stage, `sticky-bind-${launcher}`, {
          entrypoints: { nested: { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", { Filesystem: { host_path: join(shared, "appdata"), environment_path: "/data", read_only: false } }] } },
        }),
      };
      for (const [kind, spec] of Object.entries(specs)) {
        // A File grant is opened (and its path followed) when void run starts; a bind is resolved when planning.
        for (const command of kind === "file" ? ["run"] : ["check", "run"]) {
          const r = runVoid(stage, launcher, [command, "-s", spec, stage.hostile, "3"]);
          // Refused before any void starts: when planning (2), or when the launcher opens the File grants.
          assert.ok(kind === "file" ? r.status !== 0 : r.status === 2, `${kind} ${command}: ${r.status} ${r.stderr}`);
          assert.match(r.stderr, new RegExp(`a symbolic link of uid ${other} in a sticky directory others may write: not followed`), `${kind} ${command}`);
          assert.doesNotMatch(r.stdout, /private/);
        }
      }
      // A directory of the other user's own there, where the spec's path does not exist yet, with the link inside it.
      const theirs = join(shared, "app");
      mkdirSync(theirs);
      spawnSync("chown", [`${other}:${other}`, theirs]);
      symlinkSync(join(own, "key"), join(theirs, "input.conf"));
      spawnSync("chown", ["-h", `${other}:${other}`, join(theirs, "input.conf")]);
      const nested = writeSpec(stage, `sticky-nested-${launcher}`, {
        entrypoints: { "cat-fd": { args: ["BinaryName", "Entrypoint", { File: join(theirs, "input.conf") }], environment: ["Stdout"] } },
      });
      const n = runVoid(stage, launcher, ["run", "-s", nested, stage.hostile]);
      assert.notEqual(n.status, 0, n.stderr);
      assert.match(n.stderr, new RegExp(`a symbolic link in a directory of uid ${other}, who could point it anywhere: not followed`));
      assert.doesNotMatch(n.stdout, /private/);
      // The launcher's own link there is followed, as the kernel would.
      rmSync(join(shared, "input.conf"));
      plant("input.conf", join(own, "key"), launcher === "root" ? 0 : UNPRIV_UID);
      const r = runVoid(stage, launcher, ["run", "-s", specs.file, stage.hostile, "3"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "private\n");
    });

    it("an empty packet on a shared FileSocket is one packet, not the end of the trigger for every writer", { timeout: 60_000 }, async () => {
      const file = join(scratch(stage, `empty-packets-${launcher}`), "file.txt");
      writeFileSync(file, "x\n");
      chmodSync(file, 0o644);
      const spec = writeSpec(stage, `hostile-empty-packets-${launcher}`, {
        entrypoints: {
          "empty-packets": { args: ["BinaryName", "Entrypoint", { FileSocket: { Tx: "s" } }, { File: file }], environment: ["Stdout"] },
          "count-fds": { trigger: { FileSocket: "s" }, args: ["BinaryName", "Entrypoint", "Trigger"], environment: ["Stdout"] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.match(/^packet with \d+ fds$/gm)?.sort(), ["packet with 0 fds", "packet with 0 fds", "packet with 1 fds"], r.stdout);
    });

    it("a flood of output through a relayed stream arrives whole, and a reader that goes away does not stop the launcher", async () => {
      const spec = writeSpec(stage, `hostile-flood-${launcher}`, { entrypoints: { attacker: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      // Node's pipes to a child are sockets, which the launcher relays.
      const bytes = 32 * 1024 * 1024;
      const args = ["run", "-s", spec, stage.hostile, "flood-stdout", String(bytes)];
      let received = 0;
      const whole = startVoid(stage, launcher, args);
      whole.stdout!.on("data", (d: Buffer) => {
        received += d.length;
      });
      const [status] = (await once(whole, "exit")) as [number | null];
      assert.equal(status, 0);
      assert.equal(received, bytes);
      // A reader that leaves after the first bytes: the relay drops the rest and void run still ends by itself.
      const gone = startVoid(stage, launcher, args);
      gone.stdout!.once("data", () => gone.stdout!.destroy());
      const timer = setTimeout(() => gone.kill("SIGKILL"), 30_000);
      const [goneStatus, goneSignal] = (await once(gone, "exit")) as [number | null, string | null];
      clearTimeout(timer);
      assert.equal(goneSignal, null, "void run ended by itself");
      assert.equal(goneStatus, 0);
    });
  });
}
