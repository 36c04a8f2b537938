/**
 * The benchmarks' addon (bench/c/clone_exit_addon.c, built here by
 * bench/c/build-addon.sh, as the benchmarks build it): cloneExit makes
 * bare clones with CLONE_NEW* flags, timed on a worker thread; bad
 * arguments are refused before anything is cloned. The production addon
 * (build/void.node) has no cloneExit.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadAddon, type NativeError, packageRoot } from "../../src/native/addon.js";
import { isRoot } from "./harness.js";

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWTIME = 0x80;

interface CloneExitAddon {
  cloneExit(nsFlags: number, count: number): Promise<number[]>;
}

let dir = "";
let addon: CloneExitAddon;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "void-test-clone-exit-"));
  const out = join(dir, "clone-exit.node");
  const r = spawnSync("sh", [join(packageRoot(), "bench", "c", "build-addon.sh"), out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  addon = createRequire(import.meta.url)(out) as CloneExitAddon;
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("cloneExit is the benchmarks' own, not the production addon's", () => {
  assert.equal("cloneExit" in loadAddon(), false);
});

test("cloneExit times each clone and reaps every child", async () => {
  const ns = await addon.cloneExit(0, 5);
  assert.equal(ns.length, 5);
  for (const t of ns) assert.ok(Number.isInteger(t) && t > 0, String(t));
});

test("cloneExit with namespaces (as root)", { skip: !isRoot && "needs CAP_SYS_ADMIN for CLONE_NEWNET" }, async () => {
  const ns = await addon.cloneExit(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWTIME, 2);
  assert.equal(ns.length, 2);
});

test("cloneExit refuses flags other than CLONE_NEW* and bad counts", () => {
  const refused = (f: () => unknown) =>
    assert.throws(f, (e: NativeError) => {
      assert.equal(e.code, "EINVAL");
      assert.equal(e.errno, -22);
      assert.equal(e.syscall, "cloneExit");
      assert.match(e.message, /^cloneExit .*: Invalid argument$/);
      return true;
    });
  refused(() => addon.cloneExit(0x100 /* CLONE_VM */, 1));
  refused(() => addon.cloneExit(-1, 1));
  refused(() => addon.cloneExit(0, 0));
  refused(() => addon.cloneExit(0, 100001));
});
