/**
 * The void-side C library (lib/c/void.c), tested through test/c/lib_test.c:
 * - void.c compiles with -Wall -Wextra -Werror (and -Wconversion);
 * - lib_test's own checks pass: fd argv parsing, SEQPACKET packets with
 *   fds (EOF, MSG_CTRUNC with 20 fds, MSG_TRUNC, no fd leaks counted in
 *   /proc/self/fd), pipe lines, and the Rpc client against a fake broker;
 * - every request the C client sent is accepted by parseRequest (the TS
 *   side of the protocol), host escaping included;
 * - the C client reads every reply encodeReply can make: each error name
 *   becomes the documented errno, messages arrive byte for byte;
 * - the same again under AddressSanitizer/UBSan when the compiler has them;
 * - its SCM_RIGHTS functions are native/fdpass.h's, byte for byte.
 * No root and no network: socketpairs, pipes and a forked fake broker.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { encodeReply, parseRequest, RPC_ERROR_NAMES, type RpcErrorName, type RpcReply } from "../../src/rpc/protocol.js";

/** dist/test/unit/c-lib.test.js -> repository root. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CFLAGS = ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror"];
const voidC = join(repoRoot, "lib", "c", "void.c");
const testC = join(repoRoot, "test", "c", "lib_test.c");

/** The errno the C client sets for each protocol error name (docs/rpc.md). */
const ERRNO_OF: Record<RpcErrorName, string> = Object.fromEntries(RPC_ERROR_NAMES.map((name) => [name, name === "EAI_NONAME" ? "ENOENT" : name === "EAI_AGAIN" ? "EAGAIN" : name])) as Record<
  RpcErrorName,
  string
>;

/** Linux errno values that Node's os.constants.errno (libuv's list) lacks. */
const LINUX_ERRNO_EXTRA: Record<string, number> = { EHOSTDOWN: 112 };

function errnoNumber(name: string): number {
  const value = (constants.errno as Record<string, number | undefined>)[name] ?? LINUX_ERRNO_EXTRA[name];
  assert.ok(value !== undefined, `no errno ${name}`);
  return value;
}

function gcc(args: string[]): { ok: boolean; stderr: string } {
  const r = spawnSync("gcc", args, { encoding: "utf8" });
  return { ok: r.status === 0, stderr: `${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[] = [], input?: string): RunResult {
  const r = spawnSync(binary, args, { encoding: "utf8", input: input ?? "", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** What the C client should leave in err for a failure reply's message. */
function expectedMessage(reply: Extract<RpcReply, { ok: false }>, bytes: Uint8Array): string {
  const sent = (JSON.parse(new TextDecoder().decode(bytes)) as { message: string }).message;
  // Lone surrogates have no UTF-8 form and U+0000 would end a C string: both become U+FFFD.
  const text = Buffer.from(sent.replaceAll("\u0000", "\uFFFD"), "utf8").toString("hex");
  return text === "" ? Buffer.from(reply.error, "utf8").toString("hex") : text;
}

interface Case {
  reply: RpcReply;
  nFds: number;
  type: "tcp" | "udp";
}

/** Runs `lib_test replies` over the cases; one result line per case. */
function replyLines(binary: string, cases: Case[]): string[] {
  const input = cases.map((c) => `${hex(encodeReply(c.reply))} ${c.nFds} ${c.type}\n`).join("");
  const r = run(binary, ["replies"], input);
  assert.equal(r.status, 0, `lib_test replies failed:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, cases.length, r.stdout);
  return lines;
}

function checkReplies(binary: string, cases: Case[]): void {
  const lines = replyLines(binary, cases);
  cases.forEach((c, i) => {
    const line = lines[i]!;
    if (c.reply.ok) {
      const family = c.reply.family === "Inet" ? 2 : 10;
      assert.equal(line, `fd ${family} ${c.reply.address} ${c.reply.port} 0`);
    } else {
      const want = `error ${errnoNumber(ERRNO_OF[c.reply.error])} ${expectedMessage(c.reply, encodeReply(c.reply))} 0`;
      assert.equal(line, want, `reply ${JSON.stringify(c.reply)}`);
    }
  });
}

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;

/** The text between fdpass.h's begin and end markers, markers included. */
function fdpassBlock(text: string, file: string): string {
  const begin = text.indexOf("/* fdpass.h: begin");
  const end = text.indexOf("/* fdpass.h: end */");
  assert.ok(begin >= 0 && end > begin, `${file}: no fdpass.h block`);
  return text.slice(begin, end);
}

describe("lib/c/void.c and native/fdpass.h", () => {
  it("send and receive fds with the same code: lib/c carries native/fdpass.h's functions unchanged, forktop a copy of the file", () => {
    const native = fdpassBlock(readFileSync(join(repoRoot, "native", "fdpass.h"), "utf8"), "native/fdpass.h");
    const lib = fdpassBlock(readFileSync(voidC, "utf8"), "lib/c/void.c");
    assert.equal(lib, native, "copy native/fdpass.h's block (between its begin and end markers) into lib/c/void.c");
    const forktop = readFileSync(join(repoRoot, "packages", "forktop", "native", "fdpass.h"), "utf8");
    assert.equal(forktop, readFileSync(join(repoRoot, "native", "fdpass.h"), "utf8"), "forktop ships its own copy of native/fdpass.h: copy the file to packages/forktop/native/fdpass.h");
    assert.match(native, /static inline ssize_t fdpass_send\(/);
    assert.match(native, /static inline ssize_t fdpass_recv\(/);
  });
});

describe("lib/c/void.c", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  let dir = "";
  let libTest = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-c-lib-"));
    libTest = join(dir, "lib_test");
    const built = gcc([...CFLAGS, "-I", join(repoRoot, "lib", "c"), "-o", libTest, testC, voidC]);
    assert.ok(built.ok, `building lib_test failed:\n${built.stderr}`);
  });

  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("compiles with -Wall -Wextra -Werror, and with -Wconversion -Wshadow", () => {
    for (const extra of [[], ["-Wconversion", "-Wsign-conversion", "-Wshadow", "-Wstrict-prototypes"]]) {
      const r = gcc([...CFLAGS, ...extra, "-c", "-o", join(dir, "void.o"), voidC]);
      assert.ok(r.ok, r.stderr);
    }
  });

  it("passes its own checks: fd argv, fds over SEQPACKET, pipe lines, the Rpc client", () => {
    const r = run(libTest);
    const failed = r.stdout.split("\n").filter((l) => l.startsWith("not ok"));
    assert.deepEqual(failed, [], r.stderr);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^done 0$/m);
    const checks = r.stdout.split("\n").filter((l) => l.startsWith("ok - "));
    for (const topic of ["MSG_CTRUNC leaves no fd behind", "0 at EOF", "void_pipe_send", "malformed replies leave no fd behind"]) {
      assert.ok(
        checks.some((l) => l.includes(topic)),
        `no check about ${topic}`,
      );
    }
  });

  it("sends requests that parseRequest accepts, escaping the host", () => {
    const r = run(libTest);
    const requests = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("request "))
      .map((l) => parseRequest(Buffer.from(l.slice("request ".length), "hex")));
    assert.ok(requests.length >= 20, `only ${requests.length} requests`);
    const parsed = requests.map((p) => {
      assert.ok(p.ok, JSON.stringify(p));
      return p.request;
    });
    const find = (host: string) => parsed.find((p) => p.host === host);
    assert.deepEqual(find('q"uo\\te.example'), { op: "OpenTcpSocket", host: 'q"uo\\te.example', port: 443, family: null });
    assert.deepEqual(find('"'.repeat(253)), { op: "OpenTcpSocket", host: '"'.repeat(253), port: 443, family: null });
    assert.deepEqual(find("café.example"), { op: "OpenTcpSocket", host: "café.example", port: 443, family: "Inet6" });
    assert.ok(parsed.some((p) => p.op === "OpenUdpSocket" && p.host === "ok4.example" && p.port === 53 && p.family === null));
    assert.ok(parsed.some((p) => p.host === "ok6.example" && p.port === 8443 && p.family === "Inet6"));
    assert.ok(parsed.some((p) => p.host === "ok4.example" && p.port === 65535));
  });

  it("reads every reply encodeReply makes: each error name's errno, messages byte for byte", () => {
    const cases: Case[] = [
      { reply: { ok: true, family: "Inet", address: "192.0.2.7", port: 443 }, nFds: 1, type: "tcp" },
      { reply: { ok: true, family: "Inet6", address: "2001:db8::7", port: 53 }, nFds: 1, type: "udp" },
      { reply: { ok: true, family: "Inet6", address: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", port: 65535 }, nFds: 1, type: "tcp" },
      ...RPC_ERROR_NAMES.map((error): Case => ({ reply: { ok: false, error, message: `${error} happened` }, nFds: 0, type: "tcp" })),
      { reply: { ok: false, error: "EIO", message: "" }, nFds: 0, type: "udp" },
      { reply: { ok: false, error: "EACCES", message: "x".repeat(5000) }, nFds: 0, type: "tcp" },
      { reply: { ok: false, error: "EACCES", message: 'é😀\u0000\ud800"\\\n\t'.repeat(200) }, nFds: 0, type: "tcp" },
    ];
    checkReplies(libTest, cases);
  });

  it("reads random failure messages exactly", () => {
    const message = fc.oneof(
      fc.string({ unit: "binary", maxLength: 1200 }),
      fc.string({ unit: fc.constantFrom("a", "é", "😀", "\u0000", "\ud800", "\udc00", '"', "\\", "\n", "\u007f"), maxLength: 600 }),
    );
    const cases = fc
      .sample(fc.tuple(fc.constantFrom(...RPC_ERROR_NAMES), message), { numRuns: 60, seed: 20240611 })
      .map(([error, text]): Case => ({ reply: { ok: false, error, message: text }, nFds: 0, type: "tcp" }));
    checkReplies(libTest, cases);
  });

  it("refuses, without leaking, a success reply with the wrong number of fds and a failure reply with one", () => {
    const success: RpcReply = { ok: true, family: "Inet", address: "192.0.2.1", port: 1 };
    const failure: RpcReply = { ok: false, error: "EACCES", message: "no" };
    const lines = replyLines(libTest, [
      { reply: success, nFds: 0, type: "tcp" },
      { reply: success, nFds: 2, type: "tcp" },
      { reply: success, nFds: 3, type: "udp" },
      { reply: failure, nFds: 1, type: "tcp" },
    ]);
    for (const line of lines) assert.match(line, new RegExp(`^error ${errnoNumber("EPROTO")} [0-9a-f]+ 0$`));
  });

  it("passes under AddressSanitizer and UBSan", (t) => {
    const asan = join(dir, "lib_test_asan");
    const flags = ["-O1", "-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"];
    const built = gcc([...flags, "-I", join(repoRoot, "lib", "c"), "-o", asan, testC, voidC]);
    if (!built.ok) {
      t.skip(`this gcc cannot build with sanitizers: ${built.stderr.split("\n")[0]}`);
      return;
    }
    const r = run(asan);
    if (r.status !== 0 && /AddressSanitizer:DEADLYSIGNAL|ptrace|personality|Shadow memory range/i.test(r.stderr) && !r.stdout.includes("ok - ")) {
      t.skip(`sanitizers cannot run here: ${r.stderr.split("\n")[0]}`);
      return;
    }
    assert.equal(
      r.status,
      0,
      `${r.stdout
        .split("\n")
        .filter((l) => !l.startsWith("ok") && !l.startsWith("request"))
        .join("\n")}\n${r.stderr}`,
    );
    checkReplies(asan, [
      { reply: { ok: true, family: "Inet", address: "192.0.2.7", port: 443 }, nFds: 1, type: "tcp" },
      { reply: { ok: false, error: "EACCES", message: 'é😀\u0000\ud800"\\'.repeat(300) }, nFds: 0, type: "tcp" },
    ]);
  });
});
