/**
 * Resource limits: a cgroup per void (memory, pids, cpu), a wall-clock
 * timeout, and a refusal where limits cannot be enforced.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { isRoot, launchers, makeStage, runVoid, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

const E = ["BinaryName", "Entrypoint"];

/** Every cgroup directory named void-<pid> anywhere under /sys/fs/cgroup (none may be left). */
function leftoverCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      if (/^void-\d+$/.test(e)) found.push(`${dir}/${e}`);
      else if (!e.includes(".") && existsSync(`${dir}/${e}/cgroup.procs`)) walk(`${dir}/${e}`, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return found;
}

describe("resource limits (root launcher)", { skip: !isRoot && "cgroups are created by a root launcher here" }, () => {
  it("a fork bomb stops at its pids limit", () => {
    const spec = writeSpec(stage, "pids", { entrypoints: { "forks-100": { args: E, environment: ["Stdout", { Limits: { pids: 10 } }] } } });
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 0, r.stderr);
    const m = r.stdout.match(/^forked (\d+) (\w+)$/m);
    assert.ok(m, r.stdout);
    // void-init and the actor count too: at most 8 more processes.
    assert.ok(Number(m[1]) <= 8, `forked ${m[1]}`);
    assert.equal(m[2], "EAGAIN");
  });

  it("a memory hog is killed by the OOM killer inside its cgroup and reported as such", () => {
    const spec = writeSpec(stage, "mem", { entrypoints: { "hog-256": { args: E, environment: ["Stdout", { Limits: { memory: "32M" } }] } } });
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 128 + 9, r.stderr);
    assert.equal(r.stdout, "", "it never finished");
    assert.match(r.stderr, /OOM killer ended it at its memory limit \(33554432 bytes\)/);
  });

  it("a void whose making outgrows its memory limit fails to start, says why, and the launcher lives", () => {
    // The void's making runs in its memory cgroup while it shares the launcher's memory (a vfork child): the cgroup's
    // OOM killer must not take the launcher with it (the kernel never picks a vfork child), and the error names the limit.
    const binds = Array.from({ length: 1000 }, (_, i) => ({ Filesystem: { host_path: "/usr/share", environment_path: `/b/${i}`, read_only: true } }));
    const spec = writeSpec(stage, "mem-making", { entrypoints: { "never-runs": { args: E, environment: ["Stdout", { Limits: { memory: "1M" } }, ...binds] } } });
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.actor]);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /entrypoint never-runs: .*: (Not enough memory|No space left on device) \(a void is made inside its memory limit, 1048576 bytes here/, r.stderr);
  });

  it("a void's TCP buffers count against its memory limit, not the host's TCP budget", () => {
    // Forward brings lo up; the void connects to itself on the loopback and never reads.
    const spec = writeSpec(stage, "tcp-mem", {
      entrypoints: {
        "tcp-hog-64": { args: E, environment: ["Stdout", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5000 } }, { Limits: { memory: "32M", timeout: "30s" } }] },
      },
    });
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.actor]);
    const m = r.stdout.match(/^queued (\d+) (\w+)$/m);
    if (m === null) {
      // Or the OOM killer ended it at its limit: bounded too.
      assert.match(r.stderr, /OOM killer ended it at its memory limit/, r.stdout + r.stderr);
      return;
    }
    assert.ok(Number(m[1]) < 64, `queued ${m[1]} MiB in the TCP buffers of 64 connections with a 32M limit (~240 without)`);
  });

  it("a spinning void is killed at its timeout", () => {
    const spec = writeSpec(stage, "spin", { entrypoints: { spin: { args: E, environment: [{ Limits: { timeout: "500ms", cpu_max: 0.5 } }] } } });
    const started = Date.now();
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 128 + 9, r.stderr);
    assert.match(r.stderr, /killed at its timeout \(500 ms\)/);
    assert.ok(Date.now() - started < 10_000);
  });

  it("a void's cgroup namespace is rooted at its own cgroup: /proc/self/cgroup names nothing of the launcher's", () => {
    const spec = writeSpec(stage, "cgroup-ns", { entrypoints: { probe: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Procfs", { Limits: { pids: 50 } }] } } });
    const r = runVoid(stage, "root", ["run", "-s", spec, stage.probe, "--no-escape"]);
    assert.equal(r.status, 0, r.stderr);
    const cgroup = (JSON.parse(r.stdout) as { cgroup: string }).cgroup;
    const lines = cgroup.trim().split("\n");
    assert.ok(lines.length > 0, cgroup);
    // "ID:CONTROLLERS:PATH": the path is "/" in every hierarchy (it was /void-<launcher pid>/N where the void joined one).
    for (const line of lines) assert.match(line, /^\d+:[^:]*:\/$/, cgroup);
    assert.doesNotMatch(cgroup, /void-\d+/);
  });

  it("leaves no cgroup behind", () => {
    assert.deepEqual(leftoverCgroups(), []);
  });
});

describe("limits a launcher cannot enforce", () => {
  const launcher = launchers.includes("unprivileged") ? "unprivileged" : undefined;
  it("are refused before anything starts, unless --allow-unenforced-limits", { skip: launcher === undefined || cgroupsDelegatedToNobody() }, () => {
    const spec = writeSpec(stage, "unenforced", { entrypoints: { "print-ran": { args: E, environment: ["Stdout", { Limits: { pids: 10, timeout: 5 } }] } } });
    let r = runVoid(stage, "unprivileged", ["run", "-s", spec, stage.actor]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /resource limits cannot be enforced here: .*--allow-unenforced-limits/s);
    assert.equal(r.stdout, "");
    r = runVoid(stage, "unprivileged", ["run", "--allow-unenforced-limits", "-s", spec, stage.actor]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "ran\n");
    assert.match(r.stderr, /running WITHOUT them/);
  });
});

/** On a machine where uid 65534 owns a cgroup subtree the refusal cannot be shown. */
function cgroupsDelegatedToNobody(): boolean {
  try {
    return readFileSync("/proc/self/cgroup", "utf8").includes("nobody");
  } catch {
    return false;
  }
}
