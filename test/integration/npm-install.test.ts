/**
 * The npm tarball installs and runs: `npm pack` this checkout, `npm install`
 * the tarball into a temporary prefix (dependencies from npm's cache when
 * they are there: --prefer-offline), then, from the installed package only:
 * `void doctor`, examples/fib built from the shipped source and run under
 * `void run` with the shipped spec, and the native code rebuilt with the
 * shipped scripts/build-native.sh (no devDependencies installed) and run
 * again. Skipped, saying why, when the checkout is not built or npm cannot
 * reach a registry for a dependency it does not have cached.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { isRoot, repoRoot } from "./harness.js";

const built = ["dist/void.cjs", "dist/src/cli/entry.js", "build/void.node", "build/void-init"].every((f) => existsSync(join(repoRoot, f)));
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;
const cc = spawnSync("cc", ["--version"], { encoding: "utf8" }).status === 0;

let dir = "";
let installed = "";
let skipReason: string | false = !built ? "the checkout is not built (npm run build)" : !npm ? "npm is not installed" : false;

/** npm's ways of saying it could not reach a registry (or had nothing cached with --offline). */
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to .* failed/;

before(() => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), "void-test-npm-"));
  // Voids of a root launcher run as an unprivileged uid: they must reach the binary.
  chmodSync(dir, 0o755);
  const pack = spawnSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  assert.equal(pack.status, 0, `npm pack: ${pack.stderr}`);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, `npm pack wrote no tarball: ${pack.stdout}`);
  const prefix = join(dir, "prefix");
  const install = spawnSync("npm", ["install", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(dir, tarball)], {
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (install.status !== 0 && UNREACHABLE.test(install.stderr)) {
    skipReason = `npm install could not reach a registry for an uncached dependency: ${install.stderr.trim().split("\n")[0]}`;
    return;
  }
  assert.equal(install.status, 0, `npm install: ${install.stderr}`);
  installed = join(prefix, "node_modules", "void-run");
  spawnSync("chmod", ["-R", "a+rX", dir]);
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], timeout = 60_000) {
  const bin = join(dir, "prefix", "node_modules", ".bin", "void");
  const r = spawnSync(bin, args, { cwd: dir, encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Builds examples/fib from the installed package's source into DIR/fib. */
function buildFib(): string {
  const out = join(dir, "fib");
  const r = spawnSync("cc", ["-O2", "-o", out, join(installed, "examples", "fib", "fib.c")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  chmodSync(out, 0o755);
  return out;
}

/** Whether to skip: decided in before() (npm install may find no registry), so said with t.skip(). */
function skipped(t: TestContext, needsCc = false): boolean {
  const reason = skipReason || (needsCc && !cc ? "no C compiler (cc)" : false);
  if (reason) t.skip(reason);
  return reason !== false;
}

describe("the npm tarball", () => {
  it("ships what a user needs and no build outputs of the examples", (t) => {
    if (skipped(t)) return;
    for (const f of [
      "LICENSE",
      "README.md",
      "docs/spec.md",
      "examples/fib/fib.c",
      "examples/fib/spec.json",
      "man/void.1",
      "completions/void.bash",
      "completions/_void",
      "scripts/build-native.sh",
      "native/addon/module.c",
      "native/fdpass.h",
    ]) {
      assert.ok(existsSync(join(installed, f)), `${f} is not in the installed package`);
    }
    // forktop is its own package (packages/forktop): bin/forktop only runs it from a checkout.
    for (const f of ["examples/fib/fib", "examples/https/tls", "test", "src", "node_modules/typescript", "bin/forktop", "packages"])
      assert.ok(!existsSync(join(installed, f)), `${f} should not be in the installed package`);
    assert.ok(!existsSync(join(dir, "prefix", "node_modules", "typescript")), "devDependencies were installed");
    assert.ok(existsSync(join(dir, "prefix", "node_modules", "node-api-headers", "include", "node_api.h")), "node-api-headers (to rebuild the addon) was not installed");
  });

  it("runs void doctor from the installed package", (t) => {
    if (skipped(t)) return;
    const r = run(["doctor"]);
    if (isRoot) assert.equal(r.status, 0, r.stdout + r.stderr);
    else assert.ok(r.status === 0 || r.status === 1, r.stdout + r.stderr);
    assert.match(r.stdout, /a real void: /);
  });

  it("runs examples/fib, built from the shipped source, with the shipped spec", (t) => {
    if (skipped(t, true)) return;
    const fib = buildFib();
    const r = run(["run", "-s", join(installed, "examples", "fib", "spec.json"), fib, "20"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "fib(20) = 6765\n");
  });

  it("rebuilds its native code without devDependencies, and runs with it", (t) => {
    if (skipped(t, true)) return;
    const r = spawnSync("sh", [join(installed, "scripts", "build-native.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /build-native: built build\/void\.node/);
    spawnSync("chmod", ["-R", "a+rX", installed]);
    const run2 = run(["run", "-s", join(installed, "examples", "fib", "spec.json"), buildFib(), "10"]);
    assert.equal(run2.status, 0, run2.stderr);
    assert.equal(run2.stdout, "fib(10) = 55\n");
  });
});
