/**
 * Where the void command would look `node` up through PATH when no Node
 * is recorded (src/cli/load.ts launcherPath): what the planner keeps
 * writable binds away from (plan.ts writableCoversLauncherPath).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { launcherPath } from "../../src/cli/load.js";

describe("launcherPath", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "void-launcher-path-")));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const nodeDir = realpathSync(join(process.execPath, ".."));

  it("is empty when a Node is recorded: it is run by its path", () => {
    assert.deepEqual(launcherPath({ PATH: `${dir}:${nodeDir}` }, "/usr/bin/node"), []);
  });
  it("holds the directories searched up to the one where node is found, and none after", () => {
    const found = launcherPath({ PATH: `${dir}/first:${nodeDir}:${dir}/after` }, null);
    assert.ok(found.includes(`${dir}/first`));
    assert.ok(found.includes(nodeDir));
    assert.ok(!found.includes(`${dir}/after`));
  });
  it("takes an empty entry or a relative one from the working directory, and no PATH as the shell's default", () => {
    assert.ok(launcherPath({ PATH: `:${nodeDir}` }, null).includes(process.cwd()));
    assert.ok(launcherPath({ PATH: `rel/bin:${nodeDir}` }, null).includes(join(process.cwd(), "rel/bin")));
    const none = launcherPath({}, null);
    assert.ok(none.includes("/usr/local/bin"));
    assert.ok(!none.includes(process.cwd()) || process.cwd() === "/usr/local/bin");
  });
  it("resolves an entry through a symlink whose target does not exist yet", () => {
    symlinkSync(join(dir, "data", "local"), join(dir, "ulocal"));
    mkdirSync(join(dir, "data"));
    assert.ok(launcherPath({ PATH: `${dir}/ulocal/bin:${nodeDir}` }, null).includes(join(dir, "data", "local", "bin")));
  });
  it("holds every symlink on the way to the node found", () => {
    mkdirSync(join(dir, "pbin"));
    mkdirSync(join(dir, "links"));
    symlinkSync(process.execPath, join(dir, "links", "node"));
    symlinkSync(join(dir, "links", "node"), join(dir, "pbin", "node"));
    const found = launcherPath({ PATH: `${dir}/pbin:${nodeDir}` }, null);
    assert.ok(found.includes(join(dir, "pbin", "node")));
    assert.ok(found.includes(join(dir, "links", "node")));
    assert.ok(!found.includes(nodeDir), "node was found in pbin: the directories after it are not searched");
  });
});
