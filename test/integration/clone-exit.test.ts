/**
 * The addon's benchmark entry point cloneExit (native/void_addon.c): bare
 * clones with CLONE_NEW* flags, timed on a worker thread; bad arguments
 * are refused before anything is cloned.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadAddon, type NativeError } from "../../src/native/addon.js";
import { isRoot } from "./harness.js";

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWTIME = 0x80;

test("cloneExit times each clone and reaps every child", async () => {
  const addon = loadAddon();
  const ns = await addon.cloneExit(0, 5);
  assert.equal(ns.length, 5);
  for (const t of ns) assert.ok(Number.isInteger(t) && t > 0, String(t));
});

test("cloneExit with namespaces (as root)", { skip: !isRoot && "needs CAP_SYS_ADMIN for CLONE_NEWNET" }, async () => {
  const addon = loadAddon();
  const ns = await addon.cloneExit(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWTIME, 2);
  assert.equal(ns.length, 2);
});

test("cloneExit refuses flags other than CLONE_NEW* and bad counts", () => {
  const addon = loadAddon();
  const refused = (f: () => unknown) =>
    assert.throws(f, (e: NativeError) => {
      assert.equal(e.code, "EINVAL");
      assert.match(e.message, /^cloneExit/);
      return true;
    });
  refused(() => addon.cloneExit(0x100 /* CLONE_VM */, 1));
  refused(() => addon.cloneExit(-1, 1));
  refused(() => addon.cloneExit(0, 0));
  refused(() => addon.cloneExit(0, 100001));
});
