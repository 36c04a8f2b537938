/**
 * native/seccomp_filter.h, the BPF program every void's filter is: built
 * from allow-lists of every size and every argument rule, and checked, by a small BPF interpreter,
 * for every system call number (test/c/seccomp_filter_test.c). Nothing is
 * installed in the kernel, so no root is needed and no denied call runs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/** dist/test/unit/ -> repository root. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;

describe("native/seccomp_filter.h", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  let dir = "";
  let binary = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "void-seccomp-filter-"));
    binary = join(dir, "seccomp_filter_test");
    const r = spawnSync("gcc", ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-I", join(repoRoot, "native"), "-o", binary, join(repoRoot, "test", "c", "seccomp_filter_test.c")], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("agrees with the policy written plainly, for every system call number, allow-lists of 0..512 ranges and every argument rule", () => {
    const r = spawnSync(binary, [], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok - \d+ checks, 0 failed$/m);
  });
});
