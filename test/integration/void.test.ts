/**
 * The void, asserted from inside: every property of docs/security.md checked by
 * the C probe (test/probe/probe.c) running in a real void, for a root
 * launcher and an unprivileged one (uid 65534, no capabilities).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { voidUid } from "../../src/plan/plan.js";
import { isRoot, launchers, makeStage, probeReport, runVoid, scratch, type Stage, UNPRIV_GID, UNPRIV_UID, voidCommand, writeSpec } from "./harness.js";

const ZERO_CAPS = "0x0000000000000000";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

for (const launcher of launchers) {
  const uid = launcher === "root" ? 0 : isRoot ? UNPRIV_UID : process.getuid!();
  const gid = launcher === "root" ? 0 : isRoot ? UNPRIV_GID : process.getgid!();

  describe(`a void (${launcher} launcher)`, () => {
    // biome-ignore lint/suspicious/noExplicitAny: probe JSON, checked field by field
    let bare: any; // only Stdout granted, no /proc
    // biome-ignore lint/suspicious/noExplicitAny: probe JSON
    let withProc: any; // Stdout + Procfs

    before(() => {
      const spec = writeSpec(stage, `bare-${launcher}`, { entrypoints: { probe: { args: ["BinaryName"], environment: ["Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe]);
      assert.equal(r.status, 0, r.stderr);
      bare = probeReport(r);
      const spec2 = writeSpec(stage, `proc-${launcher}`, { entrypoints: { probe: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Procfs"] } } });
      const r2 = runVoid(stage, launcher, ["run", "-s", spec2, stage.probe, "--no-escape"]);
      assert.equal(r2.status, 0, r2.stderr);
      withProc = probeReport(r2);
    });

    it("runs as the launcher's uid/gid inside, one id mapped: an unprivileged launcher's own ids (setgroups denied), a root launcher's an unprivileged host id of the entrypoint's (setgroups allowed, groups cleared)", () => {
      // A root launcher's voids are uid 0 inside but not host root (src/plan/plan.ts voidUid).
      const outside = launcher === "root" ? voidUid(stage.probe, "probe") : uid;
      const outsideGid = launcher === "root" ? outside : gid;
      assert.ok(launcher !== "root" || (outside >= 0x71000000 && outside < 0x71010000), String(outside));
      assert.equal(bare.uid, uid);
      assert.equal(bare.euid, uid);
      assert.equal(bare.gid, gid);
      assert.deepEqual(withProc.uid_map.trim().split(/\s+/).map(Number), [uid, outside, 1]);
      assert.deepEqual(withProc.gid_map.trim().split(/\s+/).map(Number), [gid, outsideGid, 1]);
      // A root launcher maps its voids' ids itself and leaves setgroups allowed: the void clears its groups, and has no CAP_SETGID to use it.
      assert.equal(withProc.setgroups.trim(), launcher === "root" ? "allow" : "deny");
    });

    if (launcher === "root") {
      /** A spec whose entrypoint `fs` sees `dir` read-only at /config and `rw` writable at /data. */
      const configAndData = (name: string, dir: string, rw: string) =>
        writeSpec(stage, name, {
          entrypoints: {
            fs: {
              args: ["BinaryName", "Trailing"],
              environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/config" } }, { Filesystem: { host_path: rw, environment_path: "/data", read_only: false } }],
            },
          },
        });

      it("a root launcher's void cannot read a root-only file in its bind (--host-root can), and writes as its own uid", () => {
        const dir = scratch(stage, "root-only");
        writeFileSync(join(dir, "conf"), "secret");
        chmodSync(join(dir, "conf"), 0o600);
        const rw = scratch(stage, "root-rw");
        const id = voidUid(stage.probe, "fs");
        chownSync(rw, id, id);
        const spec = configAndData("root-only", dir, rw);
        const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe, "--no-escape", "--read", "/config/conf", "--try-write", "/data"]);
        assert.equal(r.status, 0, r.stderr);
        const p = probeReport(r);
        assert.notEqual(p.read[0].content, "secret", JSON.stringify(p.read[0]));
        assert.equal(p.tmp_writable[0].ok, true, JSON.stringify(p.tmp_writable[0]));
        const hostRoot = probeReport(runVoid(stage, launcher, ["run", "--host-root", "-s", spec, stage.probe, "--no-escape", "--read", "/config/conf"]));
        assert.equal(hostRoot.read[0].content, "secret", "with --host-root the void is host uid 0");
      });

      it("a root launcher's void keeps none of the launcher's supplementary groups (root after su or sudo is in group 0)", () => {
        const dir = scratch(stage, "group-only");
        writeFileSync(join(dir, "conf"), "group secret");
        chmodSync(join(dir, "conf"), 0o640);
        const rw = scratch(stage, "group-rw");
        chmodSync(rw, 0o770);
        const spec = configAndData("group-only", dir, rw);
        // The launcher in root's group 0 (and 4), as su, sudo, runuser and a login leave it.
        const command = voidCommand(stage, launcher, ["run", "-s", spec, stage.probe, "--no-escape", "--read", "/config/conf", "--try-write", "/data"]);
        const r = spawnSync("setpriv", ["--groups", "0,4", ...command.argv], { cwd: stage.dir, env: command.env, encoding: "utf8", timeout: 30_000 });
        assert.equal(r.status, 0, r.stderr);
        const p = probeReport(r);
        assert.deepEqual(p.groups, [], "no supplementary group inside");
        assert.notEqual(p.read[0].content, "group secret", JSON.stringify(p.read[0]));
        assert.equal(p.read[0].errno, "EACCES", JSON.stringify(p.read[0]));
        assert.equal(p.tmp_writable[0].ok, false, JSON.stringify(p.tmp_writable[0]));
        // Root whose gid is not 0 (a unit's User=root with Group=, sudo -g, sg): its void is still gid 0 inside, no group kept.
        const other = spawnSync("setpriv", ["--regid", "4", "--groups", "4", ...command.argv], { cwd: stage.dir, env: command.env, encoding: "utf8", timeout: 30_000 });
        assert.equal(other.status, 0, other.stderr);
        const q = probeReport(other);
        assert.deepEqual([q.uid, q.gid, q.groups], [0, 0, []]);
        assert.equal(q.read[0].errno, "EACCES", JSON.stringify(q.read[0]));
      });
    }

    it("is in a new namespace of every kind", () => {
      for (const ns of ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"]) {
        const host = Number(readlinkSync(`/proc/self/ns/${ns}`).replace(/^.*\[(\d+)\]$/, "$1"));
        assert.ok(withProc.ns[ns] > 0, `${ns} namespace visible`);
        assert.notEqual(withProc.ns[ns], host, `${ns} namespace differs from the host's`);
      }
      assert.equal(bare.pid, 2, "the entrypoint is PID 2 under void-init");
    });

    it("has no capabilities in any of the five sets, no_new_privs, and dies with the launcher", () => {
      for (const set of ["effective", "permitted", "inheritable", "bounding", "ambient"]) assert.equal(bare.caps[set], ZERO_CAPS, set);
      assert.equal(bare.no_new_privs, 1);
      assert.equal(bare.pdeathsig, 0, "pdeathsig is reset for the entrypoint: void-init holds it; the PID namespace ends with init");
    });

    it("has hostname void and domain (none), an empty environment", () => {
      assert.equal(bare.hostname, "void");
      assert.equal(bare.domainname, "(none)");
      assert.deepEqual(bare.env, []);
    });

    it("holds only fds 0-2: stdout granted, stdin and stderr on /dev/null", () => {
      assert.deepEqual(
        bare.fds.map((f: { fd: number }) => f.fd),
        [0, 1, 2],
      );
      assert.equal(bare.fds[0].dev_rdev, "1:3");
      assert.equal(bare.fds[2].dev_rdev, "1:3");
      assert.notEqual(bare.fds[1].dev_rdev, "1:3");
    });

    it("sees an empty, read-only root: only what it needs to start, /dev/null", () => {
      assert.equal(bare.root_writable.ok, false);
      assert.equal(bare.root_writable.errno, "EROFS");
      // /dev/null, the probe (under the stage dir), its libraries (/usr,
      // with the /lib and /lib64 symlinks that lead there) and ld.so.cache.
      const expected = new Set(["dev", "etc", "lib", "lib64", "usr", stage.dir.split("/")[1]]);
      for (const name of bare.root_listing) assert.ok(expected.has(name), `unexpected /${name}`);
      assert.ok(!bare.root_listing.includes("proc"), "no /proc without Procfs");
    });

    it("mounts every bind read-only, nosuid, nodev, and the root tmpfs read-only", () => {
      const mounts = withProc.mounts as { mount_point: string; fs_type: string; options: string }[];
      const root = mounts.find((m) => m.mount_point === "/");
      assert.equal(root?.fs_type, "tmpfs");
      assert.match(root!.options, /(^|,)ro(,|$)/);
      for (const m of mounts) {
        if (m.mount_point === "/proc" || m.mount_point === "/dev/null") continue;
        assert.match(m.options, /(^|,)ro(,|$)/, `${m.mount_point} read-only`);
        assert.match(m.options, /nosuid/, `${m.mount_point} nosuid`);
        assert.match(m.options, /nodev/, `${m.mount_point} nodev`);
      }
      const proc = mounts.find((m) => m.mount_point === "/proc");
      assert.equal(proc?.fs_type, "proc");
      assert.match(proc!.options, /nosuid/);
      // The host's tree is gone: no mount shows the host root or /work.
      assert.ok(!mounts.some((m) => m.mount_point.startsWith("/oldroot") || m.mount_point.startsWith("/newroot")));
    });

    it("has no network interface up", () => {
      const ifs = bare.net_interfaces as { name: string; up: boolean }[];
      assert.ok(
        ifs.every((i) => i.up === false),
        JSON.stringify(ifs),
      );
      assert.deepEqual(
        ifs.map((i) => i.name),
        ["lo"],
      );
    });

    it("runs under the default seccomp filter: no new user namespace, no io_uring, no perf", () => {
      assert.equal(bare.seccomp, 2, "SECCOMP_MODE_FILTER");
      assert.equal(bare.escape.unshare_user.ok, false);
      assert.equal(bare.escape.unshare_user.errno, "EPERM");
      const spec = (env: unknown[]) =>
        writeSpec(stage, `sc-${launcher}-${env.length}`, { entrypoints: { "syscall-425.syscall-298": { args: ["BinaryName", "Entrypoint"], environment: ["Stdout", ...env] } } });
      let r = runVoid(stage, launcher, ["run", "-s", spec([]), stage.actor]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "syscall 425: EPERM\nsyscall 298: EPERM\n");
      // allow takes a call off the list; the kernel then sees the bad arguments.
      r = runVoid(stage, launcher, ["run", "-s", spec([{ Seccomp: { allow: ["perf_event_open"], deny: ["getpid"] } }]), stage.actor]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "syscall 425: EPERM\nsyscall 298: EFAULT\n");
      // io_uring would do what the rules refuse out of the filter's sight: a spec may not allow it.
      r = runVoid(stage, launcher, ["run", "-s", spec([{ Seccomp: { allow: ["io_uring_setup"] } }]), stage.actor]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /Seccomp allows "io_uring_setup": io_uring opens files, makes sockets and connects them without a system call the filter sees/);
      assert.equal(r.stdout, "");
      r = runVoid(stage, launcher, ["run", "-s", spec(["SeccompUnconfined", "Procfs"]), stage.probe, "--no-escape"]);
      assert.equal(r.status, 0, r.stderr);
    });

    it("can opt out of the filter with SeccompUnconfined", () => {
      const spec = writeSpec(stage, `unconfined-${launcher}`, { entrypoints: { probe: { args: ["BinaryName"], environment: ["Stdout", "SeccompUnconfined"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe]);
      assert.equal(r.status, 0, r.stderr);
      const p = probeReport(r);
      assert.equal(p.seccomp, 0);
      assert.equal(p.escape.unshare_user.ok, true, "a nested user namespace is possible without the filter (it grants nothing outside)");
    });

    it("cannot mount, pivot, chroot, set the hostname or become root", () => {
      const e = bare.escape;
      for (const attempt of ["mount_tmpfs", "sethostname", "chroot", "pivot_root"]) {
        assert.equal(e[attempt].ok, false, attempt);
        assert.equal(e[attempt].errno, "EPERM", attempt);
      }
      assert.equal(e.setuid0.ok, uid === 0, "setuid(0) succeeds only as a no-op for a uid-0 void");
      assert.equal(e.open_dev_null_rw.ok, true, "/dev/null works");
    });
  });

  describe(`grants (${launcher} launcher)`, () => {
    it("File, Trailing, Entrypoint and BinaryName become argv; File is a read-only fd", () => {
      const dir = scratch(stage, `grants-${launcher}`);
      const file = join(dir, "secret.txt");
      writeFileSync(file, "s3cret");
      chmodSync(file, 0o644);
      const spec = writeSpec(stage, `grants-${launcher}`, {
        entrypoints: { reader: { args: ["BinaryName", "Entrypoint", { File: file }, "Trailing"], environment: ["Stdout"] } },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe, "--no-escape", "x y"]);
      assert.equal(r.status, 0, r.stderr);
      const p = probeReport(r);
      assert.deepEqual(p.argv, [stage.probe, "reader", "3", "--no-escape", "x y"]);
      const fd3 = p.fds.find((f: { fd: number }) => f.fd === 3);
      assert.equal(fd3.type, "file");
      assert.equal(fd3.access, "r");
      assert.deepEqual(
        p.fds.map((f: { fd: number }) => f.fd),
        [0, 1, 2, 3],
      );
    });

    it("Filesystem binds are read-only unless read_only is false; Hostname and DomainName apply", () => {
      const dir = scratch(stage, `fs-${launcher}`);
      const ro = join(dir, "ro");
      const rw = join(dir, "rw");
      mkdirSync(ro);
      mkdirSync(rw);
      writeFileSync(join(ro, "conf"), "hello");
      chmodSync(ro, 0o755);
      chmodSync(join(ro, "conf"), 0o644);
      chmodSync(rw, 0o777);
      if (launcher === "root") chownSync(rw, voidUid(stage.probe, "fs"), voidUid(stage.probe, "fs"));
      const spec = writeSpec(stage, `fs-${launcher}`, {
        entrypoints: {
          fs: {
            args: ["BinaryName", "Trailing"],
            environment: [
              "Stdout",
              { Filesystem: { host_path: ro, environment_path: "/config" } },
              { Filesystem: { host_path: rw, environment_path: "/data", read_only: false } },
              { Hostname: "web" },
              { DomainName: "example" },
            ],
          },
        },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe, "--no-escape", "--read", "/config/conf", "--try-write", "/config", "--try-write", "/data"]);
      assert.equal(r.status, 0, r.stderr);
      const p = probeReport(r);
      assert.equal(p.read[0].content, "hello");
      assert.equal(p.tmp_writable[0].ok, false);
      assert.equal(p.tmp_writable[0].errno, "EROFS");
      assert.equal(p.tmp_writable[1].ok, true, JSON.stringify(p.tmp_writable[1]));
      assert.equal(p.hostname, "web");
      assert.equal(p.domainname, "example");
    });

    it("Stdin is granted only when asked", () => {
      const spec = writeSpec(stage, `stdin-${launcher}`, { entrypoints: { cat: { args: ["BinaryName", "Trailing"], environment: ["Stdin", "Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probe, "--no-escape", "--echo-stdin", "--out-fd", "2"], { input: "piped data" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "piped data");
    });

    it("a static binary needs no library at all", () => {
      const spec = writeSpec(stage, `static-${launcher}`, { entrypoints: { s: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, stage.probeStatic, "--no-escape"]);
      assert.equal(r.status, 0, r.stderr);
      const p = probeReport(r);
      assert.deepEqual(
        p.root_listing.filter((n: string) => n !== "dev"),
        [stage.dir.split("/")[1]],
      );
    });
  });
}

describe("the void's own status rules", () => {
  it("exits with the last non-zero status of any void; all start concurrently", () => {
    const spec = writeSpec(stage, "status", {
      entrypoints: {
        "exit-0": { args: ["BinaryName", "Entrypoint"] },
        "sleep-300.exit-7": { args: ["BinaryName", "Entrypoint"] },
        "exit-3": { args: ["BinaryName", "Entrypoint"] },
      },
    });
    const r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 7, r.stderr);
  });

  it("reports an entrypoint killed by a signal as 128+signal and says so", () => {
    const spec = writeSpec(stage, "signal", { entrypoints: { "signal-11": { args: ["BinaryName", "Entrypoint"] } } });
    const r = runVoid(stage, launchers[0]!, ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 128 + 11, r.stderr);
    assert.match(r.stderr, /entrypoint signal-11 \(pid \d+\) killed by SIGSEGV/);
  });
});

describe("host safety", () => {
  it("keeps the test's mount table unchanged even when / is rshared", { skip: !isRoot && "needs root to make a mount namespace with shared propagation" }, () => {
    const spec = writeSpec(stage, "safety", { entrypoints: { a: { args: ["BinaryName", "Trailing"], environment: ["Procfs"] }, b: { args: ["BinaryName", "Trailing"] } } });
    const script = `set -e
mount --make-rshared /
before=$(cat /proc/self/mountinfo)
"${process.execPath}" "${join(stage.dir, "bin", "void")}" run -s "${spec}" "${stage.probe}" --no-escape
"${process.execPath}" "${join(stage.dir, "bin", "void")}" run -s "${spec}" "${stage.probeStatic}" --no-escape
after=$(cat /proc/self/mountinfo)
[ "$before" = "$after" ] && echo SAME
grep -c . /proc/self/mountinfo`;
    const r = spawnSync("unshare", ["--mount", "--propagation", "unchanged", "sh", "-c", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SAME$/m);
  });
});
