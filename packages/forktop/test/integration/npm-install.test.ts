/**
 * forktop's npm tarball installs and runs on its own: `npm pack` this
 * package, `npm install` the tarball into a temporary prefix (dependencies
 * from npm's cache when they are there: --prefer-offline), then, from the
 * installed package only: `forktop --help`, `forktop --json -- /bin/true`
 * with the shipped tracer, and the tracer rebuilt with the shipped
 * scripts/build-native.sh and run again. Skipped, saying why, when the
 * package is not built or npm cannot reach a registry for a dependency it
 * does not have cached.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { isEvent, parseEventLine } from "../../src/protocol.js";
import { packageRoot } from "./harness.js";

const built = ["dist/src/cli/forktop.js", "build/forktop-tracer"].every((f) => existsSync(join(packageRoot, f)));
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;
const cc = spawnSync("cc", ["--version"], { encoding: "utf8" }).status === 0;

let dir = "";
let installed = "";
let skipReason: string | false = !built ? "the package is not built (npm run build)" : !npm ? "npm is not installed" : false;

/** npm's ways of saying it could not reach a registry (or had nothing cached with --offline). */
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to .* failed/;

before(() => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), "forktop-test-npm-"));
  const pack = spawnSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: packageRoot, encoding: "utf8", timeout: 120_000 });
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
  installed = join(prefix, "node_modules", "@void-run", "forktop");
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function forktop(args: string[]) {
  const bin = join(dir, "prefix", "node_modules", ".bin", "forktop");
  return spawnSync(bin, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
}

function skipped(t: TestContext, needsCc = false): boolean {
  const reason = skipReason || (needsCc && !cc ? "no C compiler (cc)" : false);
  if (reason) t.skip(reason);
  return reason !== false;
}

/** `forktop --json -- /bin/true` from the installed package: a spawn, its exec of true, its exit 0. */
function traceTrue(): void {
  const r = forktop(["--json", "--", "/bin/true"]);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const p = parseEventLine(l);
      assert.ok(p.ok, `not a valid event line: ${l}`);
      return p.event;
    });
  assert.deepEqual(
    events.map((e) => e.event),
    ["spawn", "exec", "exit"],
  );
  const [, exec, exit] = events;
  assert.ok(exec !== undefined && isEvent(exec, "exec"));
  assert.deepEqual(exec.snapshot.cmdline, ["/bin/true"]);
  assert.ok(exit !== undefined && isEvent(exit, "exit"));
  assert.equal(exit.code, 0);
}

describe("forktop's npm tarball", () => {
  it("ships the command, the built tracer, its source and build script, docs, man page and completions; no tests", (t) => {
    if (skipped(t)) return;
    for (const f of [
      "bin/forktop",
      "dist/src/cli/forktop.js",
      "build/forktop-tracer",
      "native/tracer.c",
      "scripts/build-native.sh",
      "docs/forktop.md",
      "man/forktop.1",
      "completions/forktop.bash",
      "completions/_forktop",
    ]) {
      assert.ok(existsSync(join(installed, f)), `${f} is not in the installed package`);
    }
    for (const f of ["test", "src", "dist/test", "scripts/test.sh"]) assert.ok(!existsSync(join(installed, f)), `${f} should not be in the installed package`);
    assert.ok(!existsSync(join(dir, "prefix", "node_modules", "typescript")), "devDependencies were installed");
    assert.ok(!existsSync(join(dir, "prefix", "node_modules", "void-run")), "forktop installs without void");
  });

  it("prints its help", (t) => {
    if (skipped(t)) return;
    const r = forktop(["--help"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: forktop \[options\] -- CMD/);
  });

  it("traces /bin/true with the shipped tracer", (t) => {
    if (skipped(t)) return;
    traceTrue();
  });

  it("rebuilds its tracer with the shipped script, without devDependencies, and traces with it", (t) => {
    if (skipped(t, true)) return;
    const r = spawnSync("sh", [join(installed, "scripts", "build-native.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /build-native: built build\/forktop-tracer/);
    traceTrue();
  });
});
