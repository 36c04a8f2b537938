/**
 * The CLONE_VM child's code calls only what it may. native/void_spawn.c
 * holds the child's code and nothing else (the parent's side of the clone
 * is native/spawn_clone.c), so the symbols its object file leaves
 * undefined are exactly what the child can call outside itself. The child
 * shares the launcher's memory and runs while a thread of Node is
 * suspended: anything that allocates, locks, buffers (stdio) or touches
 * the C library's state could deadlock on a lock another thread held, or
 * corrupt the heap. So every undefined symbol must be on the list below:
 * thin system-call wrappers, errno, and string functions that only read
 * and write the memory they are given. Compiled as the addon is (-O2) and
 * without optimisation (-O0, where the compiler calls what it would
 * otherwise inline), so neither can slip a call past the list.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/** dist/test/unit/ -> repository root. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const cc = process.env["CC"] ?? "cc";
const hasCc = spawnSync(cc, ["--version"]).status === 0 && spawnSync("nm", ["--version"]).status === 0;

/** System-call wrappers: each one system call, no allocation, no lock. */
const SYSCALL_WRAPPERS = [
  "_exit",
  "bind",
  "chdir",
  "close",
  "dup3",
  "fchdir",
  "fcntl",
  "fstat",
  "ioctl",
  "listen",
  "mkdir",
  "mkdirat",
  "mount",
  "open",
  "openat",
  "poll",
  "prctl",
  "read",
  "recvmsg",
  "sendmsg",
  "setdomainname",
  "sethostname",
  "setsid",
  "sigaction",
  "socket",
  "stat",
  "statvfs",
  "symlinkat",
  "syscall",
  "umount2",
  "unshare",
  "write",
];
/** errno (the spawning thread's: the child runs with its thread pointer), byte order, and string functions on given memory only. */
const PURE = ["__errno_location", "htonl", "htons", "ntohs", "memcpy", "memset", "memmove", "memcmp", "strlen", "strcmp", "strncmp", "strchr"];
/** What a compiler hardening by default (stack protector) may add: a check failure ends the process. */
const COMPILER = ["__stack_chk_fail"];
const ALLOWED = new Set([...SYSCALL_WRAPPERS, ...PURE, ...COMPILER]);

describe("the CLONE_VM child (native/void_spawn.c) calls only system-call wrappers", { skip: hasCc ? false : "a C compiler or nm is not installed" }, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-child-symbols-"));
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const undefinedSymbols = (opt: string): { undef: string[]; defined: string[] } => {
    const obj = join(dir, `void_spawn${opt}.o`);
    // scripts/build-native.sh's flags.
    const r = spawnSync(cc, [opt, "-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wno-unused-parameter", "-fPIC", "-c", join(repoRoot, "native", "void_spawn.c"), "-o", obj], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const u = spawnSync("nm", ["-u", "--format=just-symbols", obj], { encoding: "utf8" });
    assert.equal(u.status, 0, u.stderr);
    const d = spawnSync("nm", ["--defined-only", "--extern-only", "--format=just-symbols", obj], { encoding: "utf8" });
    assert.equal(d.status, 0, d.stderr);
    const words = (s: string) =>
      s
        .split("\n")
        .map((l) => l.trim().replace(/@.*$/, ""))
        .filter((l) => l !== "");
    return { undef: words(u.stdout), defined: words(d.stdout) };
  };

  for (const opt of ["-O2", "-O0"]) {
    it(`compiled with ${opt}: every call out of the child is on the allow-list`, () => {
      const { undef, defined } = undefinedSymbols(opt);
      const refused = undef.filter((s) => !ALLOWED.has(s));
      assert.deepEqual(
        refused,
        [],
        `the child calls ${refused.join(", ")}: not a plain system-call wrapper (malloc, stdio, locks and the like are forbidden in the CLONE_VM child; parent-side code goes in native/spawn_clone.c)`,
      );
      assert.ok(undef.includes("sendmsg") && undef.includes("mount"), `the check saw the child's calls: ${undef.join(" ")}`);
      // The file is the child's only: its one entry point, nothing of the parent's.
      assert.deepEqual(defined, ["void_child_main"]);
    });
  }

  it("would catch a forbidden call", () => {
    const src = join(dir, "bad.c");
    const obj = join(dir, "bad.o");
    writeFileSync(src, '#include <stdlib.h>\n#include <stdio.h>\nvoid *f(void) { void *p = malloc(4); printf("x"); return p; }\n');
    assert.equal(spawnSync(cc, ["-O2", "-c", src, "-o", obj]).status, 0);
    const u = spawnSync("nm", ["-u", "--format=just-symbols", obj], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((s) => s !== "");
    assert.ok(
      u.some((s) => !ALLOWED.has(s)),
      u.join(" "),
    );
  });
});
