/**
 * bin/void and the bundled CLI (scripts/bundle-cli.mjs): dist/void.cjs runs
 * `void run` by itself and loads dist/void-cli.cjs for everything else,
 * with no dist/src at all; and bin/void picks the bundle only when it is
 * not older than dist/src/cli/entry.js (a `tsc` after the bundle leaves it
 * stale). Run as root and as an unprivileged uid on a staged copy. On
 * Node 20, bin/void's own V8 code cache of the bundle.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { asLauncher, isRoot, launchers, repoRoot } from "./harness.js";

const bundles = ["void.cjs", "void-cli.cjs"].map((f) => join(repoRoot, "dist", f));
const built = bundles.every((f) => existsSync(f));
let dir = "";

before(() => {
  if (!built) return;
  dir = mkdtempSync(join(tmpdir(), "void-test-bundle-"));
  chmodSync(dir, 0o755);
  for (const part of ["package.json", "bin", "build", join("node_modules", "zod")]) cpSync(join(repoRoot, part), join(dir, part), { recursive: true });
  for (const f of bundles) cpSync(f, join(dir, "dist", f.slice(f.lastIndexOf("/") + 1)));
  writeFileSync(join(dir, "echo.json"), JSON.stringify({ entrypoints: { echo: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } }));
  spawnSync("chmod", ["-R", "a+rX", dir]);
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function run(launcher: (typeof launchers)[number], args: string[], root = dir) {
  const [cmd, ...rest] = asLauncher(launcher, [process.execPath, join(root, "bin", "void"), ...args]);
  const r = spawnSync(cmd!, rest, { cwd: dir, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("npm run build made both bundles (esbuild is a devDependency)", () => {
  assert.ok(built, `missing ${bundles.join(" or ")}: run npm run build`);
});

for (const launcher of launchers) {
  test(`the bundle alone, without dist/src (${launcher})`, { skip: !built }, () => {
    const spec = join(dir, "echo.json");
    const ran = run(launcher, ["run", "-s", spec, "/bin/echo", "hello", "-v"]);
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(ran.stdout, "hello -v\n");
    // Off the fast path: commander, from void-cli.cjs.
    const attached = run(launcher, ["run", `-s${spec}`, "/bin/echo", "x"]);
    assert.equal(attached.status, 0, attached.stderr);
    assert.equal(attached.stdout, "x\n");
    const version = run(launcher, ["--version"]);
    assert.deepEqual([version.status, version.stdout], [0, "0.1.0\n"]);
    const help = run(launcher, ["run", "--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: void run \[options\] <binary> \[args\.\.\.\]/);
    const check = run(launcher, ["check", "-s", spec, "/bin/echo"]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /valid; 1 entrypoint/);
    const schema = run(launcher, ["schema"]);
    assert.equal(schema.status, 0, schema.stderr);
    assert.equal(JSON.parse(schema.stdout).$schema, "https://json-schema.org/draft/2020-12/schema");
    // Errors: the same statuses on and off the fast path.
    const missing = run(launcher, ["run", "-s", join(dir, "nope.json"), "/bin/echo"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.json/);
    const usage = run(launcher, ["run", "-s", spec]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /missing required argument 'binary'/);
    assert.equal(run(launcher, ["frobnicate"]).status, 2);
  });
}

test("bin/void uses the bundle only when it is not older than dist/src/cli/entry.js", { skip: !built }, () => {
  const root = mkdtempSync(join(tmpdir(), "void-test-bin-"));
  try {
    cpSync(join(repoRoot, "bin"), join(root, "bin"), { recursive: true });
    cpSync(join(repoRoot, "package.json"), join(root, "package.json"));
    cpSync(join(dir, "dist"), join(root, "dist"), { recursive: true });
    const entry = join(root, "dist", "src", "cli", "entry.js");
    mkdirSync(join(root, "dist", "src", "cli"), { recursive: true });
    writeFileSync(entry, 'process.stdout.write("unbundled\\n");\n');
    writeFileSync(join(root, "dist", "void.cjs"), 'process.stdout.write("bundle\\n");\n');
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    at(entry, 2_000_000_000);
    at(join(root, "dist", "void.cjs"), 1_000_000_000);
    assert.equal(run("root", ["--version"], root).stdout, "unbundled\n");
    at(join(root, "dist", "void.cjs"), 2_000_000_000);
    assert.equal(run("root", ["--version"], root).stdout, "bundle\n");
    rmSync(entry);
    assert.equal(run("root", ["--version"], root).stdout, "bundle\n");
    rmSync(join(root, "dist", "void.cjs"));
    const none = run("root", ["--version"], root);
    assert.equal(none.status, 125);
    assert.match(none.stderr, /not built yet/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Node 20 has no compile cache (module.enableCompileCache, Node >= 22.1): bin/void keeps a code cache itself. */
const ownCodeCache = !("enableCompileCache" in (await import("node:module")).default);

test("without Node's compile cache, bin/void keeps V8's code cache of the bundle: stamped, replaced when bad or stale or not made by void run, optional", {
  skip: !built || !ownCodeCache ? "Node has its own compile cache" : false,
}, () => {
  const root = mkdtempSync(join(tmpdir(), "void-test-cache-"));
  try {
    chmodSync(root, 0o755);
    cpSync(join(repoRoot, "bin"), join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "dist"));
    const bundle = join(root, "dist", "void.cjs");
    const cache = `${bundle}.v8cache`;
    const write = (word: string, seconds: number) => {
      writeFileSync(bundle, `function say() { return "${word}"; }\nprocess.stdout.write(say() + " " + require("node:path").basename(__filename) + "\\n");\n`);
      utimesSync(bundle, seconds, seconds);
    };
    const stamp = () => `void.cjs ${statSync(bundle).size} ${statSync(bundle).mtimeMs}\n`;
    write("first", 1_000_000_000);
    const owner = isRoot ? "root" : "unprivileged";
    assert.equal(run(owner, ["--version"], root).stdout, "first void.cjs\n");
    const made = readFileSync(cache);
    assert.ok(made.subarray(0, stamp().length).toString() === stamp(), "the cache starts with the bundle's size and mtime");
    assert.ok(made.length > stamp().length + 100);
    // Accepted: the second run does not rewrite it.
    assert.equal(run(owner, ["--version"], root).stdout, "first void.cjs\n");
    assert.deepEqual(readFileSync(cache), made);
    // A rebuilt bundle of the same length (V8 itself would take the old code) is run as it is now, and re-cached.
    write("ohter", 2_000_000_000);
    assert.equal(run(owner, ["--version"], root).stdout, "ohter void.cjs\n");
    assert.ok(readFileSync(cache).subarray(0, stamp().length).toString() === stamp());
    // A damaged cache with the right stamp: V8 refuses it, the bundle runs, the cache is made again.
    writeFileSync(cache, `${stamp()}not a code cache`);
    assert.equal(run(owner, ["--version"], root).stdout, "ohter void.cjs\n");
    assert.ok(readFileSync(cache).length > stamp().length + 100);
    // The first `void run` replaces a cache another command made (it holds what that command compiled), and marks it
    // "run"; other commands leave that one be.
    const byOther = readFileSync(cache);
    assert.equal(run(owner, ["run", "x"], root).stdout, "ohter void.cjs\n");
    const byRun = readFileSync(cache);
    assert.equal(byRun.subarray(0, byRun.indexOf(10) + 1).toString(), `${stamp().trimEnd()} run\n`);
    assert.notDeepEqual(byRun, byOther);
    assert.equal(run(owner, ["run", "x"], root).stdout, "ohter void.cjs\n");
    assert.deepEqual(readFileSync(cache), byRun, "a cache made by void run is kept by the next void run");
    assert.equal(run(owner, ["--version"], root).stdout, "ohter void.cjs\n");
    assert.deepEqual(readFileSync(cache), byRun, "and by other commands");
    // NODE_DISABLE_COMPILE_CACHE turns it off; so does a dist/ the user cannot write.
    rmSync(cache);
    const off = spawnSync(process.execPath, [join(root, "bin", "void"), "--version"], { encoding: "utf8", env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" } });
    assert.equal(off.stdout, "ohter void.cjs\n");
    assert.equal(existsSync(cache), false);
    if (isRoot) {
      const ran = run("unprivileged", ["--version"], root);
      assert.deepEqual([ran.status, ran.stdout, ran.stderr], [0, "ohter void.cjs\n", ""]);
      assert.equal(existsSync(cache), false);
      assert.deepEqual(readdirSync(join(root, "dist")), ["void.cjs"]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("with Node's compile cache, bin/void keeps it in the package's dist/, never in a temporary directory others (or a void) can write", {
  skip: !built || ownCodeCache ? "Node 20 has no compile cache (the test above)" : false,
}, () => {
  const root = mkdtempSync(join(tmpdir(), "void-test-compile-cache-"));
  try {
    chmodSync(root, 0o755);
    cpSync(join(repoRoot, "bin"), join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist", "void.cjs"), 'process.stdout.write("ran\\n");\n');
    // TMPDIR is where Node's default (os.tmpdir()/node-compile-cache) would be: one any local user can make first.
    const tmp = join(root, "tmp");
    mkdirSync(tmp, { mode: 0o1777 });
    chmodSync(tmp, 0o1777);
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env["NODE_COMPILE_CACHE"];
    delete env["NODE_DISABLE_COMPILE_CACHE"];
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, [join(root, "bin", "void"), "--version"], { encoding: "utf8", env });
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, "ran\n", ""]);
    }
    assert.deepEqual(readdirSync(tmp), [], "nothing in the temporary directory");
    const kept = join(root, "dist", ".compile-cache");
    assert.ok(existsSync(kept) && readdirSync(kept).length === 1, "the cache is in dist/.compile-cache");
    assert.ok(readdirSync(join(kept, readdirSync(kept)[0]!)).length > 0, "and holds the bundle's code");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
