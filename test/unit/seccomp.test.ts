/**
 * The seccomp plan (pure) and how specs and runtime specs may change it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ALLOW, ENOSYS_BY_DEFAULT, planSeccomp, refusedCalls, toRanges, withDebugPtrace } from "../../src/plan/seccomp.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue } from "../../src/spec/runtime.js";
import { X86_64_SYSCALLS } from "../../src/spec/syscalls.js";
import type { Spec } from "../../src/spec/types.js";

function spec(environment: unknown[]): Spec {
  const r = parseSpecValue({ entrypoints: { main: { environment } } });
  assert.ok(r.ok, JSON.stringify(r));
  return r.spec;
}

describe("seccomp", () => {
  it("every default-allowed call is a real x86_64 system call, listed once", () => {
    for (const name of [...DEFAULT_ALLOW, ...ENOSYS_BY_DEFAULT]) assert.ok(Object.hasOwn(X86_64_SYSCALLS, name), name);
    assert.equal(new Set(DEFAULT_ALLOW).size, DEFAULT_ALLOW.length, "a call listed twice");
    for (const name of ENOSYS_BY_DEFAULT) assert.ok(!DEFAULT_ALLOW.includes(name), name);
  });

  it("refuses by default what namespaces do not close: mounts, keyrings, bpf, ptrace, io_uring, pidfd_getfd, message queues", () => {
    const plain = planSeccomp([], "x64");
    assert.ok("mode" in plain && plain.mode === "filter");
    const allowed = new Set(plain.allow.map((a) => a.name));
    for (const name of [
      "mount",
      "umount2",
      "pivot_root",
      "chroot",
      "setns",
      "unshare",
      "open_tree",
      "move_mount",
      "fsopen",
      "keyctl",
      "add_key",
      "bpf",
      "perf_event_open",
      "userfaultfd",
      "io_uring_setup",
      "ptrace",
      "process_vm_readv",
      "process_vm_writev",
      "pidfd_getfd",
      "process_madvise",
      "kcmp",
      "init_module",
      "kexec_load",
      "reboot",
      "syslog",
      "settimeofday",
      "clock_settime",
      "iopl",
      "open_by_handle_at",
      "name_to_handle_at",
      "mq_open",
      "fanotify_init",
      "modify_ldt",
      "mbind",
      "sethostname",
      "vhangup",
    ]) {
      assert.ok(!allowed.has(name), `${name} allowed by default`);
      assert.ok(refusedCalls(plain).includes(name), `${name} not listed as refused`);
    }
    for (const name of ["read", "openat", "execve", "clone", "socket", "sendmsg", "recvmsg", "futex", "mmap", "getrandom", "ioctl", "chmod"]) assert.ok(allowed.has(name), name);
    assert.deepEqual(
      plain.enosys.map((e) => e.name),
      ["clone3", "openat2"],
    );
    assert.equal(plain.knownMax, Math.max(...Object.values(X86_64_SYSCALLS)));
    assert.deepEqual(plain.rules, ["namespace-clone", "terminal-injection", "setuid-modes", "socket-families", "personality", "leases", "init-limits"]);
    // The ranges hold exactly the allowed numbers, ascending and disjoint (native/plan.c refuses anything else).
    const fromRanges = plain.ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
    assert.deepEqual(
      fromRanges,
      plain.allow.map((a) => a.nr),
    );
    for (let i = 1; i < plain.ranges.length; i++) assert.ok(plain.ranges[i]![0] > plain.ranges[i - 1]![1] + 1);
  });

  it("allow adds calls, deny removes them; allowing unshare lifts the namespace rules", () => {
    const adjusted = planSeccomp(spec([{ Seccomp: { allow: ["ptrace", "unshare"], deny: ["socket", "openat2"] } }]).entrypoints[0]!.environment, "x64");
    assert.ok("mode" in adjusted && adjusted.mode === "filter");
    const names = adjusted.allow.map((d) => d.name);
    assert.ok(names.includes("ptrace") && names.includes("unshare") && names.includes("clone3") && !names.includes("socket"));
    assert.ok(!adjusted.rules.includes("namespace-clone"), "allowing unshare allows namespace clones too");
    assert.deepEqual(adjusted.enosys, [], "a denied openat2 gets EPERM, clone3 is allowed");
    for (let i = 1; i < adjusted.allow.length; i++) assert.ok(adjusted.allow[i]!.nr > adjusted.allow[i - 1]!.nr);
    assert.deepEqual(planSeccomp(spec(["SeccompUnconfined"]).entrypoints[0]!.environment, "x64"), { mode: "unconfined" });
  });

  it("void run -d adds ptrace under the debug-ptrace rule, and nothing else; no plan ever holds that rule", () => {
    const plain = planSeccomp([], "x64", true);
    assert.ok("mode" in plain && plain.mode === "filter" && !plain.rules.includes("debug-ptrace"));
    const debug = withDebugPtrace(plain);
    assert.ok(debug.mode === "filter");
    assert.deepEqual(debug.allow.map((a) => a.name).sort(), [...plain.allow.map((a) => a.name), "ptrace"].sort());
    assert.deepEqual(debug.rules, [...plain.rules, "debug-ptrace"]);
    assert.deepEqual(debug.enosys, plain.enosys);
    for (let i = 1; i < debug.allow.length; i++) assert.ok(debug.allow[i]!.nr > debug.allow[i - 1]!.nr);
    assert.deepEqual(
      debug.ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)),
      debug.allow.map((a) => a.nr),
    );
    // Every filter a spec can ask for, but the debug one, leaves ptrace refused.
    for (const env of [[], ["Stdout"], [{ Seccomp: { allow: ["unshare"] } }], [{ Seccomp: { deny: ["ptrace"] } }]]) {
      const p = planSeccomp(spec(env).entrypoints[0]!.environment, "x64");
      assert.ok("mode" in p && p.mode === "filter" && !p.allow.some((a) => a.name === "ptrace") && !p.rules.includes("debug-ptrace"));
    }
    // A spec that allows ptrace itself keeps it whole; no filter stays no filter.
    const allowed = planSeccomp(spec([{ Seccomp: { allow: ["ptrace"] } }]).entrypoints[0]!.environment, "x64");
    assert.ok("mode" in allowed);
    assert.equal(withDebugPtrace(allowed), allowed);
    assert.deepEqual(withDebugPtrace({ mode: "unconfined" }), { mode: "unconfined" });
  });

  it("a void that may hold host sockets gets the host-sockets rule, unless the spec allows connect", () => {
    const plain = planSeccomp([], "x64", true);
    assert.ok("mode" in plain && plain.mode === "filter" && plain.rules.includes("host-sockets"));
    const without = planSeccomp([], "x64", false);
    assert.ok("mode" in without && without.mode === "filter" && !without.rules.includes("host-sockets"));
    const lifted = planSeccomp(spec([{ Seccomp: { allow: ["connect"] } }]).entrypoints[0]!.environment, "x64", true);
    assert.ok("mode" in lifted && lifted.mode === "filter" && !lifted.rules.includes("host-sockets"));
  });

  it("toRanges joins consecutive numbers", () => {
    assert.deepEqual(toRanges([]), []);
    assert.deepEqual(toRanges([0, 1, 2, 4, 6, 7]), [
      [0, 2],
      [4, 4],
      [6, 7],
    ]);
  });

  it("refuses to run unfiltered silently on an architecture without a table", () => {
    assert.match((planSeccomp([], "arm64") as { error: string }).error, /x86_64 only.*SeccompUnconfined/);
  });

  it("rejects unknown system calls with a did-you-mean, and two filters", () => {
    const text = (environment: unknown[]) => {
      const r = parseSpecValue({ entrypoints: { main: { environment } } });
      assert.ok(!r.ok);
      return r.errors.map((e) => `${e.path}: ${e.message} ${e.hint ?? ""}`).join("\n");
    };
    assert.match(text([{ Seccomp: { allow: ["ptrac"] } }]), /environment\[0\]\.Seccomp\.allow\[0\]: unknown system call "ptrac" did you mean "ptrace"\?/);
    assert.match(text([{ Seccomp: { allow: ["ptrace"] } }, "SeccompUnconfined"]), /environment\[1\]: a second seccomp setting/);
  });

  it("a runtime spec may tighten the filter but never loosen it", () => {
    const compiled = spec([{ Seccomp: { allow: ["ptrace"], deny: ["socket"] } }]);
    const tighter = applyRuntimeValue(compiled, { entrypoints: { main: { environment: [{ Seccomp: { deny: ["socket", "connect"] } }] } } }, "rt.json");
    assert.ok(tighter.ok, JSON.stringify(tighter));
    for (const [env, why] of [
      [[{ Seccomp: { allow: ["ptrace", "bpf"], deny: ["socket"] } }], /allows "bpf"/],
      [[{ Seccomp: { allow: ["ptrace"] } }], /no longer denies "socket"/],
      [[], /leaving out the Seccomp grant would no longer deny "socket"/],
      [["SeccompUnconfined"], /widens/],
    ] as const) {
      const r = applyRuntimeValue(compiled, { entrypoints: { main: { environment: env } } }, "rt.json");
      assert.ok(!r.ok, JSON.stringify(env));
      assert.match(r.errors.map((e) => e.message).join("\n"), why);
    }
  });
});
