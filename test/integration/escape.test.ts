/**
 * The escape battery: from inside a void, every way out that the threat
 * model names is tried by the C probe and must fail — mount, pivot, chroot,
 * ptrace, signals to host processes, the host's hostname, its abstract unix
 * sockets, a TCP port on its loopback, its SysV IPC, a new user namespace,
 * writing the root — for a root and an unprivileged launcher.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, probeReport, runVoidAsync, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
let tcp: Server;
let abstract: Server;
let tcpPort = 0;
const abstractName = `void-escape-test-${process.pid}`;
let queueId = -1;
let queueKey = 0;

before(async () => {
  stage = makeStage();
  tcp = createServer((s) => s.end("you should not be here\n"));
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  tcpPort = (tcp.address() as { port: number }).port;
  abstract = createServer((s) => s.end());
  await new Promise<void>((resolve) => abstract.listen(`\0${abstractName}`, resolve));
  // A SysV message queue of the host's, with a key the probe will look for.
  const made = spawnSync("ipcmk", ["-Q"], { encoding: "utf8" });
  queueId = Number(made.stdout.match(/id: (\d+)/)?.[1] ?? -1);
  const listed = spawnSync("ipcs", ["-q"], { encoding: "utf8" }).stdout;
  const row = listed.split("\n").find((l) => l.split(/\s+/)[1] === String(queueId));
  queueKey = Number.parseInt(row?.split(/\s+/)[0] ?? "0", 16);
});

after(() => {
  tcp.close();
  abstract.close();
  if (queueId >= 0) spawnSync("ipcrm", ["-q", String(queueId)]);
  stage.cleanup();
});

for (const launcher of launchers) {
  describe(`escape battery (${launcher} launcher)`, () => {
    it("every way out fails", async () => {
      assert.ok(queueKey > 0, "the host has a SysV queue to look for");
      const spec = writeSpec(stage, `escape-${launcher}`, { entrypoints: { probe: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const r = await runVoidAsync(stage, launcher, [
        "run",
        "-s",
        spec,
        stage.probe,
        "--connect-port",
        String(tcpPort),
        "--abstract",
        abstractName,
        "--sysv-key",
        String(queueKey),
        "--kill-pid",
        String(process.pid),
      ]);
      assert.equal(r.status, 0, r.stderr);
      const p = probeReport(r);
      const e = p.escape;
      for (const attempt of ["mount_tmpfs", "pivot_root", "chroot", "sethostname", "unshare_user"]) {
        assert.equal(e[attempt].ok, false, attempt);
        assert.equal(e[attempt].errno, "EPERM", attempt);
      }
      assert.equal(e.ptrace_parent.ok, false, "ptrace of its parent (void-init)");
      assert.equal(e.kill_pid.ok, false, "a host process cannot be signalled");
      assert.equal(e.kill_pid.errno, "ESRCH", "host pids do not exist in the void");
      assert.equal(e.abstract_unix.ok, false, "the host's abstract unix socket is not reachable");
      assert.equal(e.socket_inet.connect_ok, false, "the host's loopback is not reachable");
      assert.equal(e.socket_inet.connect_errno, "ENETUNREACH");
      assert.deepEqual([e.sysv_ipc.msg_errno, e.sysv_ipc.shm_errno, e.sysv_ipc.sem_errno], ["ENOENT", "ENOENT", "ENOENT"]);
      assert.equal(p.root_writable.ok, false);
      assert.equal(p.root_writable.errno, "EROFS");
      assert.equal(hostname(), spawnSync("hostname", { encoding: "utf8" }).stdout.trim(), "the host's name is untouched");
    });
  });
}
