/**
 * The seccomp plan (pure) and how specs and runtime specs may change it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ALLOW, ENOSYS_BY_DEFAULT, planSeccomp, refusedCalls, SYSCALL_TABLES, syscallNumber, toRanges, withDebugPtrace } from "../../src/plan/seccomp.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue } from "../../src/spec/runtime.js";
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from "../../src/spec/syscalls.js";
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
      ["io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel", "io_pgetevents", "clone3", "openat2", "memfd_secret"],
      "ascending by number; the host-wide AIO budget's calls as on a kernel without AIO",
    );
    assert.equal(plain.knownMax, Math.max(...Object.values(X86_64_SYSCALLS)));
    assert.deepEqual(plain.rules, [
      "namespace-clone",
      "terminal-injection",
      "setuid-modes",
      "socket-families",
      "personality",
      "leases",
      "init-limits",
      "shm-lock",
      "socket-options",
      "huge-pages",
      "memory-merge",
      "module-ioctls",
      "page-cache",
    ]);
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
    assert.deepEqual(
      adjusted.enosys.map((e) => e.name),
      ["io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel", "io_pgetevents", "memfd_secret"],
      "a denied openat2 gets EPERM, clone3 is allowed",
    );
    const aio = planSeccomp(spec([{ Seccomp: { allow: ["io_setup", "io_submit", "io_getevents", "io_destroy"] } }]).entrypoints[0]!.environment, "x64");
    assert.ok("mode" in aio && aio.mode === "filter");
    assert.ok(
      aio.allow.some((a) => a.name === "io_setup"),
      "a program that needs the kernel's AIO may allow it",
    );
    assert.deepEqual(
      aio.enosys.map((e) => e.name),
      ["io_cancel", "io_pgetevents", "clone3", "openat2", "memfd_secret"],
    );
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
    // The reuseport rule stays: allowing connect (a program logging to /dev/log) does not let a listener share its port.
    assert.ok(plain.mode === "filter" && plain.rules.includes("reuseport"));
    assert.ok(lifted.rules.includes("reuseport"), "not lifted by connect");
    assert.ok(without.mode === "filter" && !without.rules.includes("reuseport"), "a void without host sockets may share its own ports");
  });

  it("refuses to allow what would do the rules' work out of the filter's sight: io_uring, openat2, process_madvise (each architecture)", () => {
    for (const name of ["io_uring_setup", "io_uring_enter", "io_uring_register", "openat2", "clone3", "process_madvise"]) {
      for (const arch of ["x64", "arm64"]) {
        const p = planSeccomp(spec([{ Seccomp: { allow: ["getpid", name] } }]).entrypoints[0]!.environment, arch);
        assert.ok("error" in p, `${name} on ${arch}`);
        assert.match(p.error, new RegExp(`^Seccomp allows "${name}": .*(setuid|host-sockets|namespace-clone|memory-merge) rule`));
      }
    }
    // clone3 with "unshare": the namespace-clone rule is lifted anyway, clone3 with it.
    assert.ok("mode" in planSeccomp(spec([{ Seccomp: { allow: ["unshare", "clone3"] } }]).entrypoints[0]!.environment, "x64"));
    // Denying them is fine (they are refused anyway), and so is opting out of the filter altogether.
    assert.ok("mode" in planSeccomp(spec([{ Seccomp: { deny: ["openat2", "io_uring_setup"] } }]).entrypoints[0]!.environment, "x64"));
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
    for (const arch of ["riscv64", "ia32", "arm", "constructor", "__proto__"]) {
      assert.match((planSeccomp([], arch) as { error: string }).error, /x86_64 and aarch64 only, not .*SeccompUnconfined/, arch);
    }
  });

  it("aarch64: the same allow-list minus the calls aarch64 does not have, with aarch64's numbers", () => {
    const x86 = planSeccomp([], "x64");
    const arm = planSeccomp([], "arm64");
    assert.ok("mode" in x86 && x86.mode === "filter" && "mode" in arm && arm.mode === "filter");
    assert.equal(x86.arch, "x86_64");
    assert.equal(arm.arch, "aarch64");
    // The names: exactly those of the default list aarch64 has; what it lacks are the old calls its libc replaces with *at forms and the like.
    const armNames = arm.allow.map((a) => a.name).sort();
    assert.deepEqual(armNames, DEFAULT_ALLOW.filter((n) => Object.hasOwn(AARCH64_SYSCALLS, n)).sort());
    const missing = DEFAULT_ALLOW.filter((n) => !Object.hasOwn(AARCH64_SYSCALLS, n)).sort();
    assert.deepEqual(missing, [
      "access",
      "alarm",
      "arch_prctl",
      "chmod",
      "chown",
      "creat",
      "dup2",
      "epoll_create",
      "epoll_wait",
      "eventfd",
      "fork",
      "futimesat",
      "get_thread_area",
      "getdents",
      "getpgrp",
      "inotify_init",
      "lchown",
      "link",
      "lstat",
      "mkdir",
      "mknod",
      "open",
      "pause",
      "pipe",
      "poll",
      "readlink",
      "rename",
      "rmdir",
      "select",
      "set_thread_area",
      "signalfd",
      "stat",
      "symlink",
      "time",
      "unlink",
      "utime",
      "utimes",
      "vfork",
    ]);
    // What an aarch64 libc calls instead is there.
    for (const name of [
      "openat",
      "newfstatat",
      "fstat",
      "faccessat",
      "fchmodat",
      "fchownat",
      "mkdirat",
      "mknodat",
      "unlinkat",
      "renameat",
      "renameat2",
      "linkat",
      "symlinkat",
      "readlinkat",
      "dup3",
      "pipe2",
      "ppoll",
      "pselect6",
      "epoll_create1",
      "epoll_pwait",
      "eventfd2",
      "signalfd4",
      "inotify_init1",
      "getdents64",
      "clone",
      "execve",
      "utimensat",
      "clock_gettime",
      "getrandom",
      "socket",
    ]) {
      assert.ok(armNames.includes(name), name);
    }
    // Numbers: aarch64's table, ascending, and the ranges hold exactly them.
    for (const a of arm.allow) assert.equal(a.nr, AARCH64_SYSCALLS[a.name], a.name);
    for (let i = 1; i < arm.allow.length; i++) assert.ok(arm.allow[i]!.nr > arm.allow[i - 1]!.nr);
    assert.deepEqual(
      arm.ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)),
      arm.allow.map((a) => a.nr),
    );
    assert.deepEqual(
      arm.enosys,
      ENOSYS_BY_DEFAULT.map((name) => ({ name, nr: AARCH64_SYSCALLS[name]! })).sort((a, b) => a.nr - b.nr),
    );
    assert.equal(arm.knownMax, Math.max(...Object.values(AARCH64_SYSCALLS)));
    assert.deepEqual(arm.rules, x86.rules, "the same argument rules (native/seccomp_filter.h applies each with aarch64's numbers)");
    // refusedCalls lists aarch64's calls: mount is refused, open is not a call there at all.
    const refused = refusedCalls(arm);
    assert.ok(refused.includes("mount") && refused.includes("ptrace") && refused.includes("io_uring_setup"));
    assert.ok(!refused.includes("open") && !refused.includes("arch_prctl"));
    assert.deepEqual([...refused, ...armNames].sort(), Object.keys(AARCH64_SYSCALLS).sort());
    // The debug filter adds aarch64's ptrace.
    const debug = withDebugPtrace(arm);
    assert.ok(debug.mode === "filter" && debug.allow.some((a) => a.name === "ptrace" && a.nr === AARCH64_SYSCALLS["ptrace"]));
    assert.equal(syscallNumber("aarch64", "ptrace"), 117);
    assert.equal(syscallNumber("aarch64", "open"), undefined);
    assert.equal(syscallNumber("x86_64", "open"), 2);
    assert.equal(syscallNumber("aarch64", "toString"), undefined);
  });

  it("aarch64's table is the asm-generic one: known numbers, no x86_64-only calls, nothing of its own", () => {
    assert.deepEqual(
      Object.fromEntries(["io_setup", "openat", "close", "read", "write", "exit_group", "clone", "execve", "mmap", "clone3", "openat2", "ptrace", "socket"].map((n) => [n, AARCH64_SYSCALLS[n]])),
      { io_setup: 0, openat: 56, close: 57, read: 63, write: 64, exit_group: 94, clone: 220, execve: 221, mmap: 222, clone3: 435, openat2: 437, ptrace: 117, socket: 198 },
    );
    assert.deepEqual(
      Object.keys(AARCH64_SYSCALLS).filter((n) => !Object.hasOwn(X86_64_SYSCALLS, n)),
      [],
    );
    for (const n of ["open", "stat", "fork", "arch_prctl", "iopl", "modify_ldt", "syscalls", "arch_specific_syscall"]) assert.ok(!Object.hasOwn(AARCH64_SYSCALLS, n), n);
    assert.deepEqual(Object.keys(SYSCALL_TABLES).sort(), ["aarch64", "x86_64"]);
  });

  it("a spec's names are those of either architecture; on the host's, a name it lacks is ignored", () => {
    const env = spec([{ Seccomp: { allow: ["ptrace", "open", "modify_ldt"], deny: ["socket", "stat", "fork"] } }]).entrypoints[0]!.environment;
    const arm = planSeccomp(env, "arm64");
    const x86 = planSeccomp(env, "x64");
    assert.ok("mode" in arm && arm.mode === "filter" && "mode" in x86 && x86.mode === "filter");
    const armNames = arm.allow.map((a) => a.name);
    assert.ok(armNames.includes("ptrace") && !armNames.includes("open") && !armNames.includes("modify_ldt") && !armNames.includes("socket"));
    assert.ok(!armNames.includes("fork") && armNames.includes("clone"), "denying fork does not touch clone");
    const x86Names = x86.allow.map((a) => a.name);
    assert.ok(x86Names.includes("open") && x86Names.includes("modify_ldt") && !x86Names.includes("stat") && !x86Names.includes("fork"));
    for (const p of [arm, x86]) for (const a of p.allow) assert.equal(a.nr, SYSCALL_TABLES[p.arch][a.name], `${p.arch} ${a.name}`);
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
