/**
 * native/seccomp_filter.h, the BPF program every void's filter is, for
 * both architectures it is built for (x86_64 and aarch64), on this machine
 * whatever it is. Nothing is installed in the kernel, so no root is needed,
 * no denied call runs, and the aarch64 program is checked without an
 * aarch64 machine:
 *   - test/c/seccomp_filter_test.c: allow-lists of every size and every
 *     argument rule, for every system call number, by a small BPF
 *     interpreter against the policy written plainly; the numbers of the
 *     calls the rules inspect come from src/spec/syscalls.ts, and the
 *     header's own are compared with them;
 *   - test/c/seccomp_eval.c: the planned default filter, marshalled,
 *     parsed by native/plan.c (built as an x86_64 and as an aarch64 build)
 *     and run over chosen calls: allowed, refused, ENOSYS, the rules, a
 *     foreign architecture;
 *   - the kernel values the rules compare with, and the addon, void-init,
 *     plan.c and bench/c/floor.c compiled for aarch64 with the cross
 *     compiler, warnings as errors (skipped, saying so, without it);
 *   - where qemu-aarch64-static is installed, both test programs also
 *     compiled for aarch64 (so plan.c and seccomp_filter.h as the aarch64
 *     addon compiles them) and run under user-mode emulation.
 * On x86_64 the same program is also installed for real: the integration
 * tests (hostile.test.ts, escape.test.ts, void.test.ts) check from inside a
 * void what the interpreter checks here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { marshal } from "../../src/orchestrator/marshal.js";
import { planApplication } from "../../src/plan/plan.js";
import { ENOSYS_BY_DEFAULT, planSeccomp, refusedCalls, type SeccompArch, type SeccompPlan, SYSCALL_TABLES } from "../../src/plan/seccomp.js";
import type { VoidPlan } from "../../src/plan/types.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

/** dist/test/unit/ -> repository root. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const CROSS = "aarch64-linux-gnu-gcc";
const hasCross = spawnSync(CROSS, ["--version"]).status === 0;
/** User-mode emulation, run directly (nothing registered with the kernel): aarch64 programs of the tests, not the filter in a kernel (qemu does not install a guest's seccomp filter). */
const QEMU = "qemu-aarch64-static";
const hasQemu = hasCross && spawnSync(QEMU, ["--version"]).status === 0;
const noQemu = hasQemu ? false : `${CROSS} or ${QEMU} is not installed: the aarch64 build of the test is not run`;
const CFLAGS = ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wshadow"];
const native = join(repoRoot, "native");
const testC = join(repoRoot, "test", "c");

/** The calls the argument rules inspect (VF_RULE_CALLS in native/seccomp_filter.h). */
const RULE_CALLS = [
  "clone",
  "ioctl",
  "chmod",
  "fchmod",
  "fchmodat",
  "creat",
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "open",
  "openat",
  "socket",
  "socketpair",
  "personality",
  "connect",
  "sendto",
  "sendmsg",
  "sendmmsg",
  "fcntl",
  "prlimit64",
  "ptrace",
  "shmctl",
  "setsockopt",
  "mmap",
  "memfd_create",
  "shmget",
  "prctl",
  "madvise",
  "fadvise64",
  "preadv2",
  "pwritev2",
];

/** <linux/audit.h> */
const AUDIT_ARCH: Record<SeccompArch | "i386" | "arm", number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7, i386: 0x40000003, arm: 0x40000028 };
const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;
const EPROTONOSUPPORT = 93;
const EOPNOTSUPP = 95;

function gcc(cc: string, args: string[]): void {
  const r = spawnSync(cc, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cc} ${args.join(" ")}\n${r.stderr}`);
}

describe("native/seccomp_filter.h", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  let dir = "";
  let binary = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-seccomp-filter-"));
    binary = join(dir, "seccomp_filter_test");
    gcc("gcc", [...CFLAGS, "-I", native, "-o", binary, join(testC, "seccomp_filter_test.c")]);
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  for (const arch of ["x86_64", "aarch64"] as const) {
    it(`${arch}: agrees with the policy written plainly, for every system call number, allow-lists of 0..512 ranges and every argument rule; its numbers are the table's`, () => {
      const table = SYSCALL_TABLES[arch];
      const numbers = RULE_CALLS.filter((n) => Object.hasOwn(table, n)).map((n) => `${n}=${table[n]}`);
      const r = spawnSync(binary, [arch, ...numbers], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^ok - \d+ checks, 0 failed$/m);
      const line = r.stdout.split("\n").find((l) => l.startsWith("numbers "));
      assert.ok(line !== undefined, r.stdout);
      const words = line.split(" ").slice(1);
      const header = Object.fromEntries(Array.from({ length: words.length / 2 }, (_, i) => [words[2 * i]!, Number(words[2 * i + 1])]));
      assert.deepEqual(header, Object.fromEntries(RULE_CALLS.map((n) => [n, Object.hasOwn(table, n) ? table[n]! : -1])), `native/seccomp_filter.h's ${arch} numbers differ from src/spec/syscalls.ts`);
    });
  }

  it("aarch64: the test built for aarch64 and run under qemu-aarch64-static agrees too", { skip: noQemu }, () => {
    const cross = join(dir, "seccomp_filter_test-aarch64");
    gcc(CROSS, [...CFLAGS, "-static", "-I", native, "-o", cross, join(testC, "seccomp_filter_test.c")]);
    const table = SYSCALL_TABLES.aarch64;
    const r = spawnSync(QEMU, [cross, "aarch64", ...RULE_CALLS.filter((n) => Object.hasOwn(table, n)).map((n) => `${n}=${table[n]}`)], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok - \d+ checks, 0 failed$/m);
  });

  it("the kernel values the rules compare with are the target's: x86_64 here, aarch64 with the cross compiler", (t) => {
    gcc("gcc", ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", native, "-c", "-o", join(dir, "abi-x86_64.o"), join(testC, "seccomp_abi_check.c")]);
    if (!hasCross) {
      t.skip(`${CROSS} is not installed (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross): aarch64 not checked`);
      return;
    }
    gcc(CROSS, ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", native, "-c", "-o", join(dir, "abi-aarch64.o"), join(testC, "seccomp_abi_check.c")]);
  });

  it("the addon, void-init, plan.c and bench/c/floor.c build for aarch64, warnings as errors, and seccomp_filter.h's numbers are aarch64's <sys/syscall.h>", {
    skip: hasCross ? false : `${CROSS} is not installed (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)`,
  }, () => {
    const out = join(dir, "linux-arm64");
    const r = spawnSync("sh", [join(repoRoot, "scripts", "build-native.sh")], { encoding: "utf8", env: { ...process.env, CC: CROSS, INIT_CC: CROSS, OUT: out }, timeout: 300_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const file of ["void.node", "void-init"]) {
      const elf = readFileSync(join(out, file));
      assert.equal(elf.readUInt16LE(18), 183, `${file} is not an aarch64 ELF file (EM_AARCH64)`);
    }
    gcc(CROSS, [...CFLAGS, "-Wno-unused-parameter", "-I", native, "-c", "-o", join(dir, "floor-aarch64.o"), join(repoRoot, "bench", "c", "floor.c")]);
  });
});

/** The planned plan of a one-entrypoint spec, with `seccomp` as the filter. */
function voidPlan(seccomp: SeccompPlan): VoidPlan {
  const parsed = parseSpecValue({ entrypoints: { main: { args: ["BinaryName"] } } });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const host = new FakeHost().file("/srv/app", buildElf({ type: 2 }));
  const r = planApplication(parsed.spec, { binary: "./app", trailing: [], cwd: "/srv", uid: 1000, gid: 100, timeNamespace: true, arch: "x64", grantStdout: false, grantStderr: false }, host);
  assert.ok(r.ok, JSON.stringify(r));
  return { ...r.plans[0]!, seccomp };
}

function filterOf(arch: "x64" | "arm64", hostSockets = false): Extract<SeccompPlan, { mode: "filter" }> {
  const p = planSeccomp([], arch, hostSockets);
  assert.ok("mode" in p && p.mode === "filter");
  return p;
}

/** One call: its seccomp_data and what the filter must return ("allow", "errno N", "kill"). */
interface Query {
  what: string;
  arch: number;
  nr: number;
  args?: (number | bigint)[];
  expect: string;
}

describe("the planned default filter, through native/plan.c, run by a BPF interpreter", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  let dir = "";
  /** The command that runs seccomp_eval as each build: x86_64 and aarch64 here (VOID_PLAN_SECCOMP_ARCH given), and the real aarch64 build under qemu. */
  const evaluator: Record<SeccompArch | "qemu", string[]> = { x86_64: [], aarch64: [], qemu: [] };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-seccomp-eval-"));
    for (const arch of ["x86_64", "aarch64"] as const) {
      const out = join(dir, `seccomp_eval_${arch}`);
      const as = arch === "x86_64" ? "PLAN_SECCOMP_ARCH_X86_64" : "PLAN_SECCOMP_ARCH_AARCH64";
      gcc("gcc", [...CFLAGS, `-DVOID_PLAN_SECCOMP_ARCH=${as}`, "-I", native, "-I", testC, "-o", out, join(testC, "seccomp_eval.c"), join(native, "plan.c")]);
      evaluator[arch] = [out];
    }
    if (hasQemu) {
      const out = join(dir, "seccomp_eval_aarch64_native");
      gcc(CROSS, [...CFLAGS, "-static", "-I", native, "-I", testC, "-o", out, join(testC, "seccomp_eval.c"), join(native, "plan.c")]);
      evaluator.qemu = [QEMU, out];
    }
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `queries` against `filter` marshalled, in the evaluator built as `build`'s; the output lines after the program's. */
  function evaluate(build: SeccompArch | "qemu", filter: SeccompPlan, queries: readonly Query[], debug = false): { status: number | null; lines: string[]; stdout: string } {
    const file = join(dir, `plan-${build}-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, marshal({ plan: voidPlan(filter), argv: ["/srv/app"], hostFds: [-1, -1, -1], debug }));
    const input = queries.map((q) => [q.arch, q.nr, ...[0, 1, 2, 3, 4, 5].map((i) => q.args?.[i] ?? 0)].map((v) => BigInt(v).toString()).join(" ")).join("\n");
    const [command, ...args] = evaluator[build];
    const r = spawnSync(command!, [...args, file], { input: `${input}\n`, encoding: "utf8", timeout: 60_000 });
    rmSync(file, { force: true });
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    return { status: r.status, lines: lines.slice(1), stdout: r.stdout };
  }

  function check(build: SeccompArch | "qemu", filter: SeccompPlan, queries: readonly Query[], debug = false): void {
    const r = evaluate(build, filter, queries, debug);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^program \d+ instructions$/m);
    const wrong = queries.flatMap((q, i) => (r.lines[i] === q.expect ? [] : [`${q.what} (nr ${q.nr}): got ${r.lines[i]}, expected ${q.expect}`]));
    assert.deepEqual(wrong, [], `${wrong.length} of ${queries.length} calls`);
  }

  for (const [nodeArch, arch, other] of [
    ["x64", "x86_64", "aarch64"],
    ["arm64", "aarch64", "x86_64"],
  ] as const) {
    const table = SYSCALL_TABLES[arch];
    const nr = (name: string) => {
      assert.ok(Object.hasOwn(table, name), `${name} is not a ${arch} call`);
      return table[name]!;
    };
    const has = (name: string) => Object.hasOwn(table, name);
    const AA = AUDIT_ARCH[arch];

    it(`${arch}: every allowed call is allowed, every other call of the table refused (EPERM), clone3, openat2, the AIO calls and numbers past the table ENOSYS, other architectures killed`, () => {
      const filter = filterOf(nodeArch);
      // Arguments that pass every rule: socket and socketpair of AF_UNIX; zero elsewhere.
      const fine = (name: string) => (name === "socket" || name === "socketpair" ? [1, 1, 0] : []);
      const queries: Query[] = [
        ...filter.allow.map((a) => ({ what: `allowed ${a.name}`, arch: AA, nr: a.nr, args: fine(a.name), expect: "allow" })),
        ...refusedCalls(filter).map((name) => ({ what: `refused ${name}`, arch: AA, nr: nr(name), expect: `errno ${ENOSYS_BY_DEFAULT.includes(name) ? ENOSYS : EPERM}` })),
        { what: "clone3", arch: AA, nr: nr("clone3"), expect: `errno ${ENOSYS}` },
        { what: "openat2", arch: AA, nr: nr("openat2"), expect: `errno ${ENOSYS}` },
        { what: "io_setup", arch: AA, nr: nr("io_setup"), expect: `errno ${ENOSYS}` },
        { what: "ptrace", arch: AA, nr: nr("ptrace"), expect: `errno ${EPERM}` },
        { what: "mount", arch: AA, nr: nr("mount"), expect: `errno ${EPERM}` },
        { what: "io_uring_setup", arch: AA, nr: nr("io_uring_setup"), expect: `errno ${EPERM}` },
        { what: "the number after the table", arch: AA, nr: filter.knownMax + 1, expect: `errno ${ENOSYS}` },
        { what: "a number far past the table", arch: AA, nr: filter.knownMax + 1000, expect: `errno ${ENOSYS}` },
        { what: "an x32 number", arch: AA, nr: 0x40000000 + nr("read"), expect: `errno ${ENOSYS}` },
        { what: "read of the other architecture", arch: AUDIT_ARCH[other], nr: nr("read"), expect: "kill" },
        { what: "a call of i386", arch: AUDIT_ARCH.i386, nr: 3, expect: "kill" },
        { what: "a call of 32-bit arm", arch: AUDIT_ARCH.arm, nr: 3, expect: "kill" },
      ];
      assert.ok(filter.allow.length > 200 && refusedCalls(filter).length > 50);
      check(arch, filter, queries);
    });

    it(`${arch}: the argument rules inspect the right calls and arguments`, () => {
      const filter = filterOf(nodeArch);
      const high = 1n << 32n;
      const q = (what: string, name: string, args: (number | bigint)[], expect: string): Query => ({ what, arch: AA, nr: nr(name), args, expect });
      const ALLOW = "allow";
      const PERM = `errno ${EPERM}`;
      const DONE = "errno 0";
      const NOTSUPP = `errno ${EOPNOTSUPP}`;
      const queries: Query[] = [
        // clone(flags, stack, parent_tid, child_tid | tls, tls | child_tid): flags are the first argument on both.
        q("clone with CLONE_NEWUSER", "clone", [0x10000000 | 17], PERM),
        q("clone with CLONE_NEWNET", "clone", [0x40000000], PERM),
        q("clone of a thread", "clone", [0x3d0f00], ALLOW),
        // A child no tracer of its parent would see (forktop, void run -d).
        q("clone with CLONE_UNTRACED", "clone", [0x00800000 | 17], PERM),
        q("clone with CLONE_NEWUSER only in a later argument", "clone", [17, 0, 0, 0x10000000, 0x10000000], ALLOW),
        // ioctl(fd, request): the low 32 bits of the request.
        q("ioctl TIOCSTI", "ioctl", [0, 0x5412], PERM),
        q("ioctl TIOCSTI with high bits set", "ioctl", [0, high | 0x5412n], PERM),
        q("ioctl TIOCLINUX", "ioctl", [0, 0x541c], PERM),
        q("ioctl TCGETS", "ioctl", [0, 0x5401], ALLOW),
        q("ioctl fd 0x5412", "ioctl", [0x5412, 0x5401], ALLOW),
        // setuid/setgid modes: the *at calls on both, the old ones where they exist.
        q("fchmod 04755", "fchmod", [3, 0o4755], PERM),
        q("fchmod 0755", "fchmod", [3, 0o755], ALLOW),
        q("fchmodat 02755", "fchmodat", [-100, 0, 0o2755], PERM),
        q("fchmodat 0755", "fchmodat", [-100, 0, 0o755], ALLOW),
        q("fchmodat 0755 from a dirfd that looks like a mode", "fchmodat", [0o4755, 0, 0o755], ALLOW),
        q("mkdirat 02755", "mkdirat", [-100, 0, 0o2755], PERM),
        q("mkdirat 0755", "mkdirat", [-100, 0, 0o755], ALLOW),
        q("mknodat 04755", "mknodat", [-100, 0, 0o4755 | 0o100000, 0], PERM),
        q("mknodat 0644", "mknodat", [-100, 0, 0o644 | 0o100000, 0], ALLOW),
        q("openat O_CREAT 04755", "openat", [-100, 0, 0o100 | 0o1, 0o4755], PERM),
        q("openat O_TMPFILE 02755", "openat", [-100, 0, 0o20200000 | 0o2, 0o2755], PERM),
        q("openat O_CREAT 0644", "openat", [-100, 0, 0o100 | 0o1, 0o644], ALLOW),
        q("openat O_RDONLY with a stray mode", "openat", [-100, 0, 0, 0o4755], ALLOW),
        ...(has("chmod") ? [q("chmod 04755", "chmod", [0, 0o4755], PERM), q("chmod 0755", "chmod", [0, 0o755], ALLOW)] : []),
        ...(has("creat") ? [q("creat 04755", "creat", [0, 0o4755], PERM)] : []),
        ...(has("mkdir") ? [q("mkdir 02755", "mkdir", [0, 0o2755], PERM)] : []),
        ...(has("mknod") ? [q("mknod 04755", "mknod", [0, 0o4755 | 0o100000, 0], PERM)] : []),
        ...(has("open") ? [q("open O_CREAT 04755", "open", [0, 0o100 | 0o1, 0o4755], PERM), q("open O_CREAT 0644", "open", [0, 0o100 | 0o1, 0o644], ALLOW)] : []),
        // socket(family, type, protocol), socketpair(family, ...).
        q("socket AF_UNIX", "socket", [1, 1, 0], ALLOW),
        q("socket AF_INET", "socket", [2, 1, 0], ALLOW),
        q("socket AF_INET6", "socket", [10, 2, 0], ALLOW),
        q("socket AF_PACKET", "socket", [17, 3, 0], `errno ${EAFNOSUPPORT}`),
        q("socket AF_INET SOCK_PACKET", "socket", [2, 10, 0], `errno ${EAFNOSUPPORT}`),
        q("socket AF_NETLINK NETLINK_ROUTE", "socket", [16, 3, 0], ALLOW),
        q("socket AF_NETLINK NETLINK_AUDIT", "socket", [16, 3, 9], `errno ${EPROTONOSUPPORT}`),
        // IP: TCP, UDP and ping only; any other protocol would make the kernel load a module for it.
        q("socket AF_INET SOCK_STREAM IPPROTO_TCP", "socket", [2, 1, 6], ALLOW),
        q("socket AF_INET6 SOCK_STREAM|SOCK_CLOEXEC", "socket", [10, 0x80001, 0], ALLOW),
        q("socket AF_INET SOCK_DGRAM|SOCK_NONBLOCK IPPROTO_UDP", "socket", [2, 0x802, 17], ALLOW),
        q("socket AF_INET SOCK_DGRAM IPPROTO_ICMP (ping)", "socket", [2, 2, 1], ALLOW),
        q("socket AF_INET6 SOCK_DGRAM IPPROTO_ICMPV6 (ping)", "socket", [10, 2, 58], ALLOW),
        q("socket AF_INET6 SOCK_DGRAM IPPROTO_ICMP", "socket", [10, 2, 1], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET SOCK_STREAM IPPROTO_SCTP", "socket", [2, 1, 132], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET6 SOCK_SEQPACKET IPPROTO_SCTP", "socket", [10, 5, 132], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET SOCK_DCCP", "socket", [2, 6, 33], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET SOCK_DGRAM IPPROTO_L2TP", "socket", [2, 2, 115], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET SOCK_STREAM IPPROTO_MPTCP", "socket", [2, 1, 262], `errno ${EPROTONOSUPPORT}`),
        q("socket AF_INET6 SOCK_RAW", "socket", [10, 3, 58], `errno ${EPERM}`),
        q("socket AF_INET SOCK_PACKET|SOCK_CLOEXEC", "socket", [2, 0x8000a, 0], `errno ${EAFNOSUPPORT}`),
        q("socketpair AF_UNIX", "socketpair", [1, 1, 0], ALLOW),
        q("socketpair AF_INET", "socketpair", [2, 1, 0], `errno ${EAFNOSUPPORT}`),
        // personality(persona).
        q("personality PER_LINUX", "personality", [0], ALLOW),
        q("personality query", "personality", [0xffffffff], ALLOW),
        q("personality ADDR_NO_RANDOMIZE", "personality", [0x0040000], PERM),
        // fcntl(fd, cmd), prlimit64(pid, ...).
        q("fcntl F_SETLEASE", "fcntl", [3, 1024], PERM),
        q("fcntl F_GETFL", "fcntl", [3, 3], ALLOW),
        q("prlimit64 on void-init", "prlimit64", [1, 7, 0, 0], PERM),
        q("prlimit64 on itself", "prlimit64", [0, 7, 0, 0], ALLOW),
        // shmctl(id, cmd, buf): SHM_LOCK, with or without IPC_64.
        q("shmctl SHM_LOCK", "shmctl", [0, 11, 0], PERM),
        q("shmctl SHM_LOCK | IPC_64", "shmctl", [0, 0x10b, 0], PERM),
        q("shmctl SHM_UNLOCK", "shmctl", [0, 12, 0], ALLOW),
        q("shmctl IPC_STAT | IPC_64", "shmctl", [11, 0x102, 0], ALLOW),
        // setsockopt(fd, level, optname, ...): SOL_SOCKET's SO_ZEROCOPY and SO_PASSPIDFD.
        q("setsockopt SO_ZEROCOPY", "setsockopt", [3, 1, 60, 0, 4], PERM),
        q("setsockopt SO_PASSPIDFD", "setsockopt", [3, 1, 76, 0, 4], PERM),
        q("setsockopt SO_REUSEADDR", "setsockopt", [3, 1, 2, 0, 4], ALLOW),
        q("setsockopt IPPROTO_TCP 60", "setsockopt", [3, 6, 60, 0, 4], ALLOW),
        // Without host sockets, a void's own sockets may share ports (nginx's reuseport on its own loopback).
        q("setsockopt SO_REUSEPORT", "setsockopt", [3, 1, 15, 0, 4], ALLOW),
        // mmap(addr, length, prot, flags, fd, offset), memfd_create(name, flags), shmget(key, size, shmflg): no huge pages.
        q("mmap MAP_HUGETLB | MAP_ANONYMOUS | MAP_PRIVATE", "mmap", [0, 2 << 20, 3, 0x40022, -1, 0], PERM),
        q("mmap MAP_HUGETLB | MAP_HUGE_1GB", "mmap", [0, 1 << 30, 3, 0x78040022, -1, 0], PERM),
        q("mmap MAP_ANONYMOUS | MAP_PRIVATE", "mmap", [0, 4096, 3, 0x22, -1, 0], ALLOW),
        q("memfd_create MFD_HUGETLB | MFD_CLOEXEC", "memfd_create", [0, 5], PERM),
        q("memfd_create MFD_CLOEXEC", "memfd_create", [0, 1], ALLOW),
        q("shmget SHM_HUGETLB | IPC_CREAT", "shmget", [0, 2 << 20, 0o5600], PERM),
        q("shmget IPC_CREAT", "shmget", [0, 4096, 0o1600], ALLOW),
        // No page offered to KSM: prctl(PR_SET_MEMORY_MERGE, ...), madvise(addr, len, MADV_MERGEABLE).
        q("prctl PR_SET_MEMORY_MERGE 1", "prctl", [67, 1], PERM),
        q("prctl PR_SET_MEMORY_MERGE 1 << 32", "prctl", [67, 2 ** 32], PERM),
        q("prctl PR_SET_MEMORY_MERGE 0 (off)", "prctl", [67, 0], ALLOW),
        // Socket ioctls the kernel answers by loading a module (bridge, 8021q, dlci).
        q("ioctl SIOCGIFVLAN", "ioctl", [3, 0x8982], PERM),
        q("ioctl SIOCBRADDBR", "ioctl", [3, 0x89a0], PERM),
        q("ioctl SIOCGIFBR", "ioctl", [3, 0x8940], PERM),
        q("ioctl SIOCGIFINDEX", "ioctl", [3, 0x8933], ALLOW),
        q("ioctl FIONREAD", "ioctl", [3, 0x541b], ALLOW),
        q("prctl PR_GET_MEMORY_MERGE", "prctl", [68], ALLOW),
        q("prctl PR_SET_NAME", "prctl", [15, 0], ALLOW),
        q("madvise MADV_MERGEABLE", "madvise", [0, 4096, 12], PERM),
        q("madvise MADV_DONTNEED", "madvise", [0, 4096, 4], ALLOW),
        // Nothing pushed out of the page cache, nothing asked of it without waiting: done as nothing (0), or EOPNOTSUPP.
        q("madvise MADV_PAGEOUT", "madvise", [0, 4096, 21], DONE),
        q("madvise MADV_COLD", "madvise", [0, 4096, 20], DONE),
        q("madvise MADV_WILLNEED", "madvise", [0, 4096, 3], ALLOW),
        q("fadvise64 POSIX_FADV_DONTNEED", "fadvise64", [3, 0, 0, 4], DONE),
        q("fadvise64 POSIX_FADV_DONTNEED, high half set", "fadvise64", [3, 0, 0, 2 ** 32 + 4], DONE),
        q("fadvise64 POSIX_FADV_SEQUENTIAL", "fadvise64", [3, 0, 0, 2], ALLOW),
        q("fadvise64 POSIX_FADV_NOREUSE", "fadvise64", [3, 0, 0, 5], ALLOW),
        q("preadv2 RWF_NOWAIT", "preadv2", [3, 0x1000, 1, 0, 0, 8], NOTSUPP),
        q("preadv2 RWF_NOWAIT | RWF_HIPRI", "preadv2", [3, 0x1000, 1, 0, 0, 9], NOTSUPP),
        q("preadv2 RWF_HIPRI", "preadv2", [3, 0x1000, 1, 0, 0, 1], ALLOW),
        q("preadv2", "preadv2", [3, 0x1000, 1, -1, -1, 0], ALLOW),
        q("pwritev2 RWF_NOWAIT | RWF_APPEND", "pwritev2", [3, 0x1000, 1, 0, 0, 0x18], NOTSUPP),
        q("pwritev2 RWF_DSYNC", "pwritev2", [3, 0x1000, 1, 0, 0, 2], ALLOW),
        // Without host sockets, connect and sendto are free.
        q("connect", "connect", [3, 0, 16], ALLOW),
        q("sendto an address", "sendto", [3, 0, 1, 0, 0x1000, 16], ALLOW),
        q("sendmsg MSG_FASTOPEN", "sendmsg", [3, 0x1000, 0x20000000], ALLOW),
      ];
      check(arch, filter, queries);
      // A void that may hold host sockets: connect refused, sendto only without an address (both halves of the pointer).
      const hostSockets = filterOf(nodeArch, true);
      check(arch, hostSockets, [
        q("connect", "connect", [3, 0, 16], PERM),
        q("sendto an address", "sendto", [3, 0, 1, 0, 0x1000, 16], PERM),
        q("sendto an address above 4 GiB", "sendto", [3, 0, 1, 0, high, 16], PERM),
        q("send on the connected socket", "sendto", [3, 0, 1, 0, 0, 0], ALLOW),
        // MSG_FASTOPEN connects a closed TCP socket to the message's address, which no filter reads.
        q("sendmsg MSG_FASTOPEN", "sendmsg", [3, 0x1000, 0x20000000], PERM),
        q("sendmsg MSG_FASTOPEN | MSG_DONTWAIT", "sendmsg", [3, 0x1000, 0x20000040], PERM),
        q("sendmsg MSG_NOSIGNAL | MSG_DONTWAIT", "sendmsg", [3, 0x1000, 0x4040], ALLOW),
        q("sendmmsg MSG_FASTOPEN", "sendmmsg", [3, 0x1000, 2, 0x20000000], PERM),
        q("sendmmsg", "sendmmsg", [3, 0x1000, 2, 0], ALLOW),
        // A granted listener joins no reuseport group (a later service of the launcher's uid would share its port).
        q("setsockopt SO_REUSEPORT", "setsockopt", [3, 1, 15, 0, 4], PERM),
        q("setsockopt SO_ATTACH_REUSEPORT_CBPF", "setsockopt", [3, 1, 51, 0, 16], PERM),
        q("setsockopt SO_ATTACH_REUSEPORT_EBPF", "setsockopt", [3, 1, 52, 0, 4], PERM),
        q("setsockopt SO_ZEROCOPY", "setsockopt", [3, 1, 60, 0, 4], PERM),
        q("setsockopt SO_REUSEADDR", "setsockopt", [3, 1, 2, 0, 4], ALLOW),
        q("setsockopt TCP_NODELAY (level 6, option 1)", "setsockopt", [3, 6, 1, 0, 4], ALLOW),
        q("setsockopt IPPROTO_TCP option 15", "setsockopt", [3, 6, 15, 0, 4], ALLOW),
      ]);
      // void run -d: ptrace for TRACEME and DETACH only, the whole request compared.
      check(
        arch,
        filter,
        [
          q("ptrace TRACEME", "ptrace", [0], ALLOW),
          q("ptrace DETACH", "ptrace", [17, 5, 0, 19], ALLOW),
          q("ptrace PEEKDATA", "ptrace", [2, 5, 0, 0], PERM),
          q("ptrace TRACEME with high bits set", "ptrace", [high], PERM),
        ],
        true,
      );
    });

    if (arch === "aarch64") {
      it("aarch64: the real aarch64 build (plan.c and seccomp_filter.h compiled for aarch64, run under qemu-aarch64-static) takes its filter, refuses x86_64's, and its program decides the same", {
        skip: noQemu,
      }, () => {
        const filter = filterOf(nodeArch);
        const queries: Query[] = [
          ...filter.allow.map((a) => ({ what: `allowed ${a.name}`, arch: AA, nr: a.nr, args: a.name === "socket" || a.name === "socketpair" ? [1, 1, 0] : [], expect: "allow" })),
          ...refusedCalls(filter).map((name) => ({ what: `refused ${name}`, arch: AA, nr: nr(name), expect: `errno ${ENOSYS_BY_DEFAULT.includes(name) ? ENOSYS : EPERM}` })),
          { what: "past the table", arch: AA, nr: filter.knownMax + 1, expect: `errno ${ENOSYS}` },
          { what: "x86_64", arch: AUDIT_ARCH.x86_64, nr: 0, expect: "kill" },
          { what: "ioctl TIOCSTI", arch: AA, nr: nr("ioctl"), args: [0, 0x5412], expect: `errno ${EPERM}` },
          { what: "clone with CLONE_NEWUSER", arch: AA, nr: nr("clone"), args: [0x10000000 | 17], expect: `errno ${EPERM}` },
          { what: "openat O_CREAT 04755", arch: AA, nr: nr("openat"), args: [-100, 0, 0o101, 0o4755], expect: `errno ${EPERM}` },
          { what: "fchmodat 04755", arch: AA, nr: nr("fchmodat"), args: [-100, 0, 0o4755], expect: `errno ${EPERM}` },
          { what: "socket AF_PACKET", arch: AA, nr: nr("socket"), args: [17, 3, 0], expect: `errno ${EAFNOSUPPORT}` },
        ];
        check("qemu", filter, queries);
        const foreign = evaluate("qemu", filterOf("x64"), []);
        assert.equal(foreign.status, 1, foreign.stdout);
        assert.match(foreign.stdout, /^error: plan: /);
      });
    }

    it(`${arch}: native/plan.c of a ${arch} build accepts a ${arch} filter and refuses a ${other} one`, () => {
      const mine = evaluate(arch, filterOf(nodeArch), []);
      assert.equal(mine.status, 0, mine.stdout);
      const foreign = evaluate(arch, filterOf(nodeArch === "x64" ? "arm64" : "x64"), []);
      assert.equal(foreign.status, 1, foreign.stdout);
      assert.match(foreign.stdout, /^error: plan: /);
    });
  }
});
