/**
 * The contract between TypeScript and the native layer: a plan marshalled
 * by src/orchestrator/marshal.ts, parsed by native/plan.c (through
 * test/c/plan_parse_test.c, built with the address and undefined-behaviour
 * sanitizers), says what the planner planned; and plan.c refuses, without
 * crashing, whatever else it is given: every truncation, random damage,
 * hostile names and counts. No root needed: nothing is spawned.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Limit, RootFlag, SeccompArchId } from "../../src/native/contract.js";
import { RecordWriter } from "../../src/native/records.js";
import { marshal, PlanOption, Tag } from "../../src/orchestrator/marshal.js";
import { planSeccomp, SECCOMP_RULES, withDebugPtrace } from "../../src/plan/seccomp.js";
import { planApplication } from "../../src/plan/plan.js";
import type { MountEntry, PlanInput, VoidPlan } from "../../src/plan/types.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"];
/** A sanitizer report exits with these, never 0 (parsed) or 1 (refused). */
const SANITIZER_ENV = { ...process.env, ASAN_OPTIONS: "exitcode=99:detect_leaks=1", UBSAN_OPTIONS: "halt_on_error=1:exitcode=98" };

/** The architecture this machine's plan.c accepts filters of (the test runs on x86_64 or aarch64). */
const nodeArch = process.arch === "arm64" ? "arm64" : "x64";
const hostArch = nodeArch === "arm64" ? SeccompArchId.aarch64 : SeccompArchId.x86_64;
const otherArch = nodeArch === "arm64" ? SeccompArchId.x86_64 : SeccompArchId.aarch64;
const input: PlanInput = { binary: "./app", trailing: ["--port", "80"], cwd: "/srv", uid: 1000, gid: 100, timeNamespace: true, arch: nodeArch, grantStdout: true, grantStderr: false };
const host = new FakeHost()
  .file("/srv/app", buildElf({ type: 2 }))
  .file("/srv/www/index.html", "<html>")
  .file("/srv/key.pem", "key");

function planOf(spec: unknown): VoidPlan {
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(parsed.spec, input, host);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plans[0]!;
}

/** A record as plan.h describes it: [u32 tag][u32 length][payload padded to 4]. */
function record(tag: number, ...parts: (number | string)[]): Buffer {
  const payload = Buffer.concat(
    parts.map((p) => {
      if (typeof p === "string") return Buffer.from(`${p}\0`);
      const b = Buffer.alloc(4);
      b.writeUInt32LE(p >>> 0);
      return b;
    }),
  );
  const header = Buffer.alloc(8);
  header.writeUInt32LE(tag, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

/** A record whose payload is exactly `payload` (no NUL added). */
function rawRecord(tag: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(tag, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

/** The root record as the planner makes it: [size low, high, inodes, mode, flags, dest]. */
const root = (dest = "/", size = 1 << 20, inodes = 16384, mode = 0o755, flags: number = RootFlag.ReadOnly) => record(Tag.Root, size, 0, inodes, mode, flags, dest);
/** The parts of its /proc a void gets read-only. */
const procParts = ["sys", "sysrq-trigger", "irq", "bus", "fs"];

/** The smallest plan plan.c accepts: ids, an exec path and argv, the root and /dev/null. */
const minimal = Buffer.concat([record(Tag.UidMap, "0 1000 1\n"), record(Tag.GidMap, "0 100 1\n"), record(Tag.Exec, "/app"), record(Tag.Arg, "app"), root(), record(Tag.Device, "/dev/null")]);

/** What plan_parse_test prints for a planned mount: the child makes exactly this (the root first, the rest in order). */
function parsedLine(m: MountEntry): string {
  switch (m.type) {
    case "tmpfs":
      return `root / size ${m.size} inodes ${m.inodes} mode ${m.mode.toString(8)} flags ${m.readOnly ? RootFlag.ReadOnly : 0}`;
    case "bind":
      return `bind ${m.dest} from ${m.source}`;
    case "symlink":
      return `symlink ${m.dest} -> ${m.target}`;
    case "scratch":
      return `tmpfs ${m.dest} size ${m.size} inodes ${m.inodes}`;
    case "devnull":
    case "device":
      return `device ${m.dest} from ${m.dest}`;
    case "proc":
      return `proc ${m.dest} read-only${m.readOnly.map((p) => ` ${p}`).join("")}`;
  }
}

describe("the plan contract: marshal.ts -> native/plan.c", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  let dir = "";
  let parser = "";
  const parse = (buf: Buffer, args: string[] = []) => spawnSync(parser, args, { input: buf, encoding: "utf8", env: SANITIZER_ENV, timeout: 60_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-plan-contract-"));
    parser = join(dir, "plan_parse_test");
    const r = spawnSync(
      "gcc",
      [
        "-O1",
        "-g",
        "-std=gnu11",
        "-Wall",
        "-Wextra",
        "-Werror",
        ...SANITIZERS,
        "-I",
        join(repoRoot, "native"),
        "-o",
        parser,
        join(repoRoot, "test", "c", "plan_parse_test.c"),
        join(repoRoot, "native", "plan.c"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const spec = {
    entrypoints: {
      web: {
        args: ["BinaryName", "Trailing", { File: "/srv/key.pem" }],
        environment: [
          "Procfs",
          "DevRandom",
          { Hostname: "web-1" },
          { Filesystem: { host_path: "/srv/www", environment_path: "/www" } },
          { Limits: { inotify_instances: 3 } },
          { Tmpfs: { path: "/tmp", size: "2M" } },
          { WorkingDirectory: "/www" },
          { Env: { LANG: "C.UTF-8", EMPTY: "", EQ: "a=b" } },
          { Connect: { protocol: "Tcp", environment_port: 5432, host_addr: "192.0.2.10:5432" } },
          { Connect: { protocol: "Udp", environment_port: 53, host_addr: "192.0.2.53:53" } },
        ],
      },
    },
  };

  it("what plan.c parses is what the planner planned: argv, maps, binds, fds, options, filter, budgets", () => {
    const plan = planOf(spec);
    const argv = ["./app", "--port", "80", "3"];
    const r = parse(marshal({ plan, argv, hostFds: [-1, 1, -1, 17], cgroupFds: [21], factoryFd: 40, debug: true }));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split("\n");
    const options = Number(lines.find((l) => l.startsWith("options "))!.split(" ")[1]);
    assert.equal(options, PlanOption.NewTime | PlanOption.Debug | PlanOption.Loopback);
    // Every mount the plan lists (what `void check` prints) is a record the child executes, in the plan's order.
    assert.deepEqual(
      lines.filter((l) => /^(root|bind|symlink|dir|tmpfs|device|proc) /.test(l)).map((l) => (l.startsWith("bind ") ? l.split(" ").slice(0, 4).join(" ") : l)),
      plan.mounts.map(parsedLine),
    );
    assert.deepEqual(plan.mounts.filter((m) => m.type === "tmpfs" || m.type === "devnull" || m.type === "device" || m.type === "proc").map(parsedLine), [
      `root / size ${1 << 20} inodes 16384 mode 755 flags 1`,
      "device /dev/null from /dev/null",
      "device /dev/random from /dev/random",
      "device /dev/urandom from /dev/urandom",
      `proc /proc read-only ${procParts.join(" ")}`,
    ]);
    assert.ok(lines.includes("uid_map 1000 1000 1"), r.stdout);
    assert.ok(lines.includes("gid_map 100 100 1"), r.stdout);
    assert.ok(lines.includes("hostname web-1"));
    assert.ok(lines.includes(`exec ${plan.exec}`));
    assert.deepEqual(
      lines.filter((l) => l.startsWith("arg ")),
      argv.map((a) => `arg ${a}`),
    );
    const binds = plan.mounts.filter((m) => m.type === "bind");
    assert.deepEqual(
      lines.filter((l) => l.startsWith("bind ")).map((l) => l.split(" ").slice(1, 4)),
      binds.map((m) => [m.dest, "from", m.source]),
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith("fd ")),
      plan.fds.map((f, i) => `fd ${f.fd} from ${[-1, 1, -1, 17][i]}`),
    );
    assert.ok(lines.includes("cgroup 21") && lines.includes("factory 40"));
    // debug: true, so the filter is the debug one (withDebugPtrace): ptrace allowed under its rule.
    const debugFilter = withDebugPtrace(plan.seccomp);
    assert.ok(debugFilter.mode === "filter" && debugFilter.rules.includes("debug-ptrace"));
    const rules = debugFilter.rules.reduce((bits, x) => bits | SECCOMP_RULES[x], 0);
    assert.ok(lines.includes(`seccomp arch ${hostArch} rules ${rules} known_max ${debugFilter.knownMax} ranges ${debugFilter.ranges.length} enosys ${debugFilter.enosys.length}`), r.stdout);
    // Without -d the filter is the plan's own.
    const plain = parse(marshal({ plan, argv, hostFds: [-1, 1, -1, 17], factoryFd: 40, debug: false }));
    assert.ok(plan.seccomp.mode === "filter");
    const plainRules = plan.seccomp.rules.reduce((bits, x) => bits | SECCOMP_RULES[x], 0);
    assert.ok(!plan.seccomp.rules.includes("debug-ptrace"));
    assert.ok(
      plain.stdout.split("\n").includes(`seccomp arch ${hostArch} rules ${plainRules} known_max ${plan.seccomp.knownMax} ranges ${plan.seccomp.ranges.length} enosys ${plan.seccomp.enosys.length}`),
      plain.stdout,
    );
    // The plan's own records are made once per plan (marshal.ts): another void of it gets its own argv and fds, the rest unchanged.
    const own = (l: string) => /^(arg|fd|cgroup|factory) /.test(l);
    const again = parse(marshal({ plan, argv: ["./app", "x"], hostFds: [3, -1, 4, 5], factoryFd: 41, debug: true })).stdout.split("\n");
    assert.deepEqual(
      again.filter((l) => l.startsWith("arg ")),
      ["arg ./app", "arg x"],
    );
    assert.deepEqual(
      again.filter((l) => l.startsWith("fd ")),
      plan.fds.map((f, i) => `fd ${f.fd} from ${[3, -1, 4, 5][i]}`),
    );
    assert.ok(!again.some((l) => l.startsWith("cgroup ")) && again.includes("factory 41"));
    assert.deepEqual(
      again.filter((l) => !own(l)),
      lines.filter((l) => !own(l)),
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith("user_limit ")),
      plan.userLimits.map((l) => `user_limit ${l.name} ${l.value}`),
    );
    assert.ok(lines.includes("user_limit max_inotify_instances 3"));
    assert.ok(lines.includes(`tmpfs /tmp size ${2 * 1024 * 1024} inodes 2048`), r.stdout);
    assert.deepEqual(
      lines.filter((l) => l.startsWith("env ")),
      ["env LANG=C.UTF-8", "env EMPTY=", "env EQ=a=b"],
    );
    assert.ok(lines.includes("cwd /www"));
    assert.deepEqual(
      lines.filter((l) => l.startsWith("connect ")),
      ["connect tcp 5432", "connect udp 53"],
    );
  });

  it("every truncation and random damage is parsed or refused, never a crash or an out-of-bounds read", () => {
    const buf = marshal({ plan: planOf(spec), argv: ["./app"], hostFds: [-1, 1, -1, 17], debug: false });
    const r = parse(buf, ["hostile", "20261206", "20000"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [, total, parsed] = /^truncations (\d+) parsed (\d+)$/m.exec(r.stdout) ?? [];
    assert.equal(Number(total), buf.length);
    assert.ok(Number(parsed) < buf.length, "most prefixes lack the exec path or argv");
    assert.match(r.stdout, /^mutations 20000 parsed \d+$/m);
  });

  it("refuses hostile records: path-like or oversized budget names, too many of them, unsorted filter ranges, relative binds, unknown tags", () => {
    assert.equal(parse(minimal).status, 0, "the minimal plan parses");
    const bad: [string, Buffer][] = [
      ["a name that climbs out of /proc/sys/user", record(Tag.UserLimit, 1, "../../kernel/core_pattern")],
      ["a name with a slash", record(Tag.UserLimit, 1, "a/b")],
      ["an empty name", record(Tag.UserLimit, 1, "")],
      ["an upper-case name", record(Tag.UserLimit, 1, "MAX")],
      ["a name of 33 bytes", record(Tag.UserLimit, 1, "a".repeat(33))],
      ["a budget without its name", record(Tag.UserLimit, 1)],
      ["17 budgets", Buffer.concat(Array.from({ length: 17 }, () => record(Tag.UserLimit, 1, "max_inotify_instances")))],
      ["filter ranges out of order", record(Tag.Seccomp, hostArch, 0, 450, 2, 0, 10, 20, 5, 6)],
      ["a filter range past the x32 bit", record(Tag.Seccomp, hostArch, 0, 450, 1, 0, 0, 0x40000000)],
      ["an unknown filter rule", record(Tag.Seccomp, hostArch, 1 << 30, 450, 0, 0)],
      ["a filter of the other architecture", record(Tag.Seccomp, otherArch, 0, 450, 1, 0, 0, 10)],
      ["a filter of no architecture", record(Tag.Seccomp, 0, 0, 450, 1, 0, 0, 10)],
      ["a filter of an unknown architecture", record(Tag.Seccomp, 3, 0, 450, 1, 0, 0, 10)],
      ["a filter without its architecture", record(Tag.Seccomp)],
      ["a bind from a relative path", record(Tag.Bind, 0, 0, 0, 0, 0, "etc", "/etc")],
      ["a bind to a relative path", record(Tag.Bind, 0, 0, 0, 0, 0, "/etc", "etc")],
      ["a ninth cgroup", Buffer.concat(Array.from({ length: 9 }, (_, i) => record(Tag.Cgroup, i)))],
      ["a negative factory fd", record(Tag.Factory, -1)],
      ["an environment entry without =", record(Tag.Env, "NAME")],
      ["an environment entry without a name", record(Tag.Env, "=value")],
      ["a relative working directory", record(Tag.Cwd, "data")],
      ["a tmpfs of size 0", record(Tag.Tmpfs, 0, 0, 1024, "/tmp")],
      ["a tmpfs of 0 inodes", record(Tag.Tmpfs, 4096, 0, 0, "/tmp")],
      ["a tmpfs at a relative path", record(Tag.Tmpfs, 4096, 0, 1024, "tmp")],
      ["a Connect of protocol 3", Buffer.concat([record(Tag.Options, PlanOption.Loopback), record(Tag.Factory, 9), record(Tag.Connect, 3, 80)])],
      ["a Connect to port 0", Buffer.concat([record(Tag.Options, PlanOption.Loopback), record(Tag.Factory, 9), record(Tag.Connect, 1, 0)])],
      ["a Connect to port 65536", Buffer.concat([record(Tag.Options, PlanOption.Loopback), record(Tag.Factory, 9), record(Tag.Connect, 1, 65536)])],
      ["17 Connects", Buffer.concat([record(Tag.Options, PlanOption.Loopback), record(Tag.Factory, 9), ...Array.from({ length: 17 }, (_, i) => record(Tag.Connect, 1, 1000 + i))])],
      ["a Connect without a socket factory", Buffer.concat([record(Tag.Options, PlanOption.Loopback), record(Tag.Connect, 1, 80)])],
      ["a Connect without the loopback", Buffer.concat([record(Tag.Factory, 9), record(Tag.Connect, 1, 80)])],
      ["an unknown tag", record(999, 0)],
      ["a second root", root()],
      // Devices: plain paths under /dev, nothing else.
      ["a device outside /dev", record(Tag.Device, "/etc/shadow")],
      ["a device that climbs out of /dev", record(Tag.Device, "/dev/../etc/shadow")],
      ["a device at /dev/.", record(Tag.Device, "/dev/.")],
      ["a device with an empty component", record(Tag.Device, "/dev//null")],
      ["a device at /dev/ itself", record(Tag.Device, "/dev/")],
      ["a relative device", record(Tag.Device, "dev/null")],
      ["a device path past the limit", record(Tag.Device, `/dev/${"a".repeat(Limit.MaxPath)}`)],
      ["a device with a second string", record(Tag.Device, "/dev/zero", "/dev/null")],
      ["a device without its NUL", Buffer.concat([record(Tag.Device, 0x41414141).subarray(0, 8), Buffer.from("/dev")])],
      // /proc: one, at a plain path; its read-only parts single plain components, at most PLAN_MAX_PROC_READONLY.
      ["a second proc", Buffer.concat([record(Tag.Proc, "/proc"), record(Tag.Proc, "/proc2")])],
      ["a proc at /", record(Tag.Proc, "/")],
      ["a relative proc", record(Tag.Proc, "proc")],
      ["a proc that climbs out", record(Tag.Proc, "/proc/..")],
      ["a proc without its path", record(Tag.Proc)],
      ["a read-only part that climbs out", record(Tag.Proc, "/proc", "..")],
      ["a read-only part with a slash", record(Tag.Proc, "/proc", "sys/kernel")],
      ["an empty read-only part", record(Tag.Proc, "/proc", "sys", "")],
      ["a read-only part in upper case", record(Tag.Proc, "/proc", "SYS")],
      [`${Limit.MaxProcReadOnly + 1} read-only parts`, record(Tag.Proc, "/proc", ...Array.from({ length: Limit.MaxProcReadOnly + 1 }, (_, i) => `p${i}`))],
      ["a read-only part without its NUL", rawRecord(Tag.Proc, Buffer.from("/proc\0sys"))],
      ["a string without its NUL", Buffer.concat([record(Tag.Hostname, 0x41414141).subarray(0, 8), Buffer.from("AAAA")])],
    ];
    // The root: exactly one, at "/", of a real size, with known flags and nothing after its path (instead of the minimal plan's).
    const withoutRoot = Buffer.concat([record(Tag.UidMap, "0 1000 1\n"), record(Tag.GidMap, "0 100 1\n"), record(Tag.Exec, "/app"), record(Tag.Arg, "app"), record(Tag.Device, "/dev/null")]);
    assert.equal(parse(Buffer.concat([withoutRoot, root()])).status, 0, "the minimal plan's root is the planner's");
    const badRoots: [string, Buffer][] = [
      ["a root elsewhere", root("/tmp")],
      ["a root at a relative path", root("")],
      ["a root of size 0", root("/", 0)],
      ["a root of 0 inodes", root("/", 4096, 0)],
      ["a root of mode 010000", root("/", 4096, 16, 0o10000)],
      ["a root with an unknown flag", root("/", 4096, 16, 0o755, 1 << 9)],
      ["a root without its path", record(Tag.Root, 4096, 0, 16, 0o755, 1)],
      ["a root with bytes after its path", record(Tag.Root, 4096, 0, 16, 0o755, 1, "/", "x")],
      ["a root cut short", record(Tag.Root, 4096, 0, 16)],
      ["a root path without its NUL", rawRecord(Tag.Root, Buffer.concat([record(0, 4096, 0, 16, 0o755, 1).subarray(8), Buffer.from("/")]))],
    ];
    for (const [what, extra] of badRoots) {
      const r = parse(Buffer.concat([withoutRoot, extra]));
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^error: plan: /, what);
    }
    for (const [what, extra] of bad) {
      const r = parse(Buffer.concat([minimal, extra]));
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^error: plan: /, what);
    }
    const fine = parse(Buffer.concat([minimal, ...Array.from({ length: 16 }, () => record(Tag.UserLimit, 7, "max_inotify_watches"))]));
    assert.equal(fine.status, 0, "16 budgets are the most");
    const parts = Array.from({ length: Limit.MaxProcReadOnly }, (_, i) => `p${i}`);
    const proc = parse(Buffer.concat([minimal, record(Tag.Proc, "/proc", ...parts), record(Tag.Device, "/dev/urandom")]));
    assert.equal(proc.status, 0, proc.stdout);
    assert.ok(proc.stdout.includes(`proc /proc read-only ${parts.join(" ")}\n`), proc.stdout);
    assert.equal(parse(Buffer.concat([minimal, record(Tag.Proc, "/proc")])).status, 0, "a proc with no read-only part parses");
    const filter = parse(Buffer.concat([minimal, record(Tag.Seccomp, hostArch, 0, 450, 1, 0, 0, 10)]));
    assert.equal(filter.status, 0, filter.stdout);
    assert.ok(filter.stdout.includes(`seccomp arch ${hostArch} rules 0 known_max 450 ranges 1 enosys 0\n`), filter.stdout);
  });

  it("the filter record names its architecture; this machine's plan.c takes its own and refuses the other's", () => {
    const plan = planOf(spec);
    const own = parse(marshal({ plan, argv: ["./app"], hostFds: [-1, 1, -1, 17], factoryFd: 40, debug: false }));
    assert.equal(own.status, 0, own.stdout);
    assert.match(own.stdout, new RegExp(`^seccomp arch ${hostArch} `, "m"));
    const other = planSeccomp([], nodeArch === "arm64" ? "x64" : "arm64");
    assert.ok("mode" in other && other.mode === "filter");
    const foreign = parse(marshal({ plan: { ...plan, seccomp: other }, argv: ["./app"], hostFds: [-1, 1, -1, 17], factoryFd: 40, debug: false }));
    assert.equal(foreign.status, 1, foreign.stdout);
    assert.match(foreign.stdout, new RegExp(`^error: plan: malformed record \\(tag ${Tag.Seccomp}\\)`));
  });

  it("a plan without its root or without /dev/null is refused: the child builds on the one and connects streams to the other", () => {
    const ids = Buffer.concat([record(Tag.UidMap, "0 1000 1\n"), record(Tag.GidMap, "0 100 1\n"), record(Tag.Exec, "/app"), record(Tag.Arg, "app")]);
    for (const [what, buf] of [
      ["no root", Buffer.concat([ids, record(Tag.Device, "/dev/null")])],
      ["no /dev/null", Buffer.concat([ids, root(), record(Tag.Device, "/dev/random")])],
    ] as const) {
      const r = parse(buf);
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^error: plan: no root tmpfs or no \/dev\/null/, what);
    }
  });
});

describe("the record writer (src/native/records.ts), the format of plans and cache entries", () => {
  it("writes tag, length, parts and zero padding, little-endian", () => {
    const w = new RecordWriter("test string");
    w.add(7, -2, "ab", Uint8Array.of(9));
    w.add(0x01020304);
    const expected = Buffer.from([7, 0, 0, 0, 8, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x61, 0x62, 0, 9, 4, 3, 2, 1, 0, 0, 0, 0]);
    assert.deepEqual(w.bytes(), expected);
  });

  it("grows past its first buffer and keeps every record", () => {
    const w = new RecordWriter("test string");
    for (let i = 0; i < 2000; i++) w.add(i, `record-${i}`);
    const b = w.bytes();
    let at = 0;
    for (let i = 0; i < 2000; i++) {
      assert.equal(b.readUInt32LE(at), i);
      const len = b.readUInt32LE(at + 4);
      assert.equal(b.subarray(at + 8, at + 8 + len).toString("utf8"), `record-${i}\0`);
      at += 8 + len + ((4 - (len % 4)) % 4);
    }
    assert.equal(at, b.length);
  });

  it("refuses a string with a NUL byte, naming it", () => {
    assert.throws(() => new RecordWriter("plan string").add(1, "a\0b"), /NUL byte in plan string "a\\u0000b"/);
  });
});
