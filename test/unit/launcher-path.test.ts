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
import { launcherLoader, launcherPath, launcherWalked } from "../../src/cli/load.js";

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
  it("holds every symlink met on the way to a directory, in any component, not only its last", () => {
    // mid/app -> shared/current -> releases/v1: a void writing shared/ could point current anywhere.
    mkdirSync(join(dir, "mid"));
    mkdirSync(join(dir, "shared"));
    mkdirSync(join(dir, "releases", "v1", "bin"), { recursive: true });
    symlinkSync(join(dir, "shared", "current"), join(dir, "mid", "app"));
    symlinkSync("../releases/v1", join(dir, "shared", "current"));
    const found = launcherPath({ PATH: `${dir}/mid/app/bin:${nodeDir}` }, null);
    assert.ok(found.includes(join(dir, "mid", "app")));
    assert.ok(found.includes(join(dir, "shared", "current")));
    assert.ok(found.includes(join(dir, "releases", "v1", "bin")));
  });
});

describe("launcherLoader", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "void-launcher-loader-")));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is empty without LD_LIBRARY_PATH, LD_PRELOAD and LD_AUDIT; a bare name in LD_PRELOAD is the system's", () => {
    assert.deepEqual(launcherLoader({}), { paths: [], dirs: [], names: [], libraryPath: [], preload: [], looked: [] });
    assert.deepEqual(launcherLoader({ LD_PRELOAD: "libfoo.so" }).paths, []);
  });
  it("holds where each entry leads and every symlink met on the way (intermediate ones too); an empty entry is the working directory", () => {
    mkdirSync(join(dir, "opt"));
    mkdirSync(join(dir, "shared"));
    mkdirSync(join(dir, "releases", "v1", "lib"), { recursive: true });
    symlinkSync(join(dir, "shared", "current"), join(dir, "opt", "app"));
    symlinkSync(join(dir, "releases", "v1"), join(dir, "shared", "current"));
    const { paths, dirs } = launcherLoader({ LD_LIBRARY_PATH: `${dir}/opt/app/lib:`, LD_PRELOAD: `${dir}/opt/app/lib/libhook.so` });
    for (const p of [`${dir}/opt/app`, `${dir}/shared/current`, `${dir}/releases/v1/lib`, `${dir}/releases/v1/lib/libhook.so`, process.cwd()]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(" ")}`);
    }
    assert.ok(dirs.includes(`${dir}/releases/v1/lib`) && dirs.includes(process.cwd()), dirs.join(" "));
  });
  it('takes ".." after a symlink as the kernel does: the parent of where the link leads, not the link\'s own directory', () => {
    // app/bin -> data/v1/bin: app/bin/../lib is data/v1/lib to ld.so (app/lib by the text).
    mkdirSync(join(dir, "data", "v1", "bin"), { recursive: true });
    mkdirSync(join(dir, "data", "v1", "lib"));
    mkdirSync(join(dir, "app"));
    symlinkSync(join(dir, "data", "v1", "bin"), join(dir, "app", "bin"));
    const { paths, dirs } = launcherLoader({ LD_LIBRARY_PATH: `${dir}/app/bin/../lib` });
    assert.ok(paths.includes(`${dir}/data/v1/lib`), paths.join(" "));
    assert.ok(paths.includes(`${dir}/app/bin`), paths.join(" "));
    assert.ok(!paths.includes(`${dir}/app/lib`), paths.join(" "));
    assert.deepEqual(dirs, [`${dir}/data/v1/lib`]);
    // And a relative link target with ".." after another link.
    symlinkSync("../v1/bin/../lib", join(dir, "data", "v1", "up"));
    assert.ok(launcherLoader({ LD_LIBRARY_PATH: `${dir}/app/bin/../up` }).paths.includes(`${dir}/data/v1/lib`));
  });
  it("follows the links ld.so would follow inside a searched directory: a library's, glibc-hwcaps/ and what it holds", () => {
    mkdirSync(join(dir, "ld", "lib"), { recursive: true });
    mkdirSync(join(dir, "elsewhere", "hw", "x86-64-v3"), { recursive: true });
    symlinkSync(join(dir, "elsewhere", "libdl.so.2"), join(dir, "ld", "lib", "libdl.so.2"));
    symlinkSync(join(dir, "elsewhere", "hw"), join(dir, "ld", "lib", "glibc-hwcaps"));
    symlinkSync(join(dir, "elsewhere", "notes"), join(dir, "ld", "lib", "README"));
    const { paths, dirs, looked } = launcherLoader({ LD_LIBRARY_PATH: `${dir}/ld/lib` });
    for (const p of [`${dir}/ld/lib/libdl.so.2`, `${dir}/elsewhere/libdl.so.2`, `${dir}/ld/lib/glibc-hwcaps`, `${dir}/elsewhere/hw`]) assert.ok(paths.includes(p), `${p} in ${paths.join(" ")}`);
    assert.ok(paths.includes(`${dir}/elsewhere/notes`), "a link of any name: ld.so opens the name it is asked for (a bare LD_PRELOAD entry)");
    assert.deepEqual(dirs, [`${dir}/ld/lib`, `${dir}/elsewhere/hw`, `${dir}/elsewhere/hw/x86-64-v3`]);
    assert.ok(looked.some((l) => l.list && l.path === `${dir}/ld/lib`));
  });
  it("splits LD_PRELOAD on spaces and colons, LD_AUDIT on colons only; keeps their bare names", () => {
    mkdirSync(join(dir, "a b"));
    assert.ok(launcherLoader({ LD_AUDIT: `${dir}/a b/audit.so` }).paths.includes(`${dir}/a b/audit.so`));
    assert.ok(launcherLoader({ LD_PRELOAD: `${dir}/p1.so ${dir}/p2.so:${dir}/p3.so` }).paths.includes(`${dir}/p2.so`));
    assert.ok(launcherLoader({ LD_PRELOAD: `${dir}/a\tb.so` }).paths.includes(`${dir}/a\tb.so`), "a tab is part of the name");
    assert.deepEqual(launcherLoader({ LD_PRELOAD: "libhook libx.so", LD_AUDIT: "audit" }).names, ["libhook", "libx.so", "audit"]);
  });
  it("walked: every component looked at, links and directories, and the directories listed, for the plan cache to record", () => {
    const walked = launcherWalked({ LD_LIBRARY_PATH: `${dir}/opt/app/lib` });
    for (const p of [dir, `${dir}/opt`, `${dir}/opt/app`, `${dir}/shared/current`, `${dir}/releases/v1/lib`])
      assert.ok(
        walked.some((w) => w.path === p),
        `${p} in ${walked.map((w) => w.path).join(" ")}`,
      );
    assert.ok(walked.some((w) => w.list && w.path === `${dir}/releases/v1/lib`));
  });
});
