/**
 * The npm tarball installs and runs: `npm pack` this checkout (its prepack
 * script builds the prebuilt binaries, scripts/build-prebuilt.sh), `npm
 * install` the tarball into a temporary prefix (dependencies from npm's
 * cache when they are there: --prefer-offline), then, from the installed
 * package only: its postinstall script made `void` a link to the prebuilt
 * native front end (and with --ignore-scripts `void` stays the script,
 * which runs it too), `void doctor` and examples/fib (built from the
 * shipped source) under `void run` with the shipped spec, both with a PATH that
 * has node and npm but no C compiler, as the install itself, so the
 * prebuilt binaries are what runs; the tarball's prebuilt directories for
 * x86_64 and aarch64 (the aarch64 void-init run under qemu-aarch64-static
 * when that is installed: no binfmt_misc registration is needed for a
 * static binary named on the command line); then the native code rebuilt
 * with the shipped scripts/build-native.sh (no devDependencies installed)
 * and run again. Skipped, saying why, when the checkout is not built or npm
 * cannot reach a registry for a dependency it does not have cached.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { isRoot, repoRoot } from "./harness.js";

const built = ["dist/void.cjs", "dist/src/cli/entry.js", "build/void.node", "build/void-init"].every((f) => existsSync(join(repoRoot, f)));
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;
const cc = spawnSync("cc", ["--version"], { encoding: "utf8" }).status === 0;

let dir = "";
let installed = "";
let tarball = "";
/** PATH and environment without a C compiler: node, npm and sh only (symlinks in DIR/bin). */
let noCompiler: NodeJS.ProcessEnv = {};
let skipReason: string | false = !built ? "the checkout is not built (npm run build)" : !npm ? "npm is not installed" : false;

/** npm's ways of saying it could not reach a registry (or had nothing cached with --offline). */
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to .* failed/;

before(() => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), "void-test-npm-"));
  // Voids of a root launcher run as an unprivileged uid: they must reach the binary.
  chmodSync(dir, 0o755);
  const pack = spawnSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: repoRoot, encoding: "utf8", timeout: 300_000 });
  assert.equal(pack.status, 0, `npm pack: ${pack.stderr}`);
  const name = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  assert.ok(name, `npm pack wrote no tarball: ${pack.stdout}`);
  tarball = join(dir, name);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const npmPath = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  symlinkSync(process.execPath, join(bin, "node"));
  symlinkSync(realpathSync(npmPath), join(bin, "npm"));
  symlinkSync("/bin/sh", join(bin, "sh"));
  // bin/void's shell part resolves npm's bin symlink with readlink (coreutils, on every machine) to find the front end.
  symlinkSync(realpathSync("/usr/bin/readlink"), join(bin, "readlink"));
  noCompiler = { ...process.env, PATH: bin };
  const prefix = join(dir, "prefix");
  const install = spawnSync("npm", ["install", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
    env: noCompiler,
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

/** Runs the installed `void` (of `prefix`); `env` defaults to the one without a compiler. */
function run(args: string[], timeout = 60_000, env = noCompiler, prefix = "prefix") {
  const bin = join(dir, prefix, "node_modules", ".bin", "void");
  const r = spawnSync(bin, args, { cwd: dir, encoding: "utf8", timeout, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readelf(args: string[]): string {
  const r = spawnSync("readelf", args, { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
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
    // forktop is its own package (packages/forktop): bin/forktop only runs it from a checkout. The binaries are prebuilt/, not
    // build/, which holds only the Node the postinstall script recorded.
    for (const f of ["examples/fib/fib", "examples/https/tls", "test", "src", "node_modules/typescript", "bin/forktop", "packages"])
      assert.ok(!existsSync(join(installed, f)), `${f} should not be in the installed package`);
    assert.deepEqual(readdirSync(join(installed, "build")), ["node-path"]);
    assert.ok(!existsSync(join(dir, "prefix", "node_modules", "typescript")), "devDependencies were installed");
    assert.ok(existsSync(join(dir, "prefix", "node_modules", "node-api-headers", "include", "node_api.h")), "node-api-headers (to rebuild the addon) was not installed");
  });

  it("carries stripped prebuilt binaries for linux-x64 and linux-arm64, and no build/", (t) => {
    if (skipped(t)) return;
    const list = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" });
    assert.equal(list.status, 0, list.stderr);
    const files = list.stdout.split("\n");
    const expected = ["linux-x64/void.node", "linux-x64/void-init", "linux-x64/void-run-fast", "linux-arm64/void.node", "linux-arm64/void-init", "linux-arm64/void-run-fast"];
    for (const f of expected) assert.ok(files.includes(`package/prebuilt/${f}`), `the tarball lacks prebuilt/${f}`);
    assert.ok(!files.some((f) => f.startsWith("package/build/")), "the tarball carries build/, which would hide the prebuilt binaries");
    for (const f of expected) {
      const file = join(installed, "prebuilt", f);
      const machine = /^\s*Machine:\s*(.*)$/m.exec(readelf(["-h", file]))?.[1];
      assert.equal(machine, f.startsWith("linux-arm64") ? "AArch64" : "Advanced Micro Devices X86-64", file);
      assert.doesNotMatch(readelf(["-S", "-W", file]), /\.symtab|\.debug_info/, `${file} is not stripped`);
    }
  });

  it("runs the aarch64 void-init under qemu-aarch64-static", (t) => {
    if (skipped(t)) return;
    const qemu = spawnSync("qemu-aarch64-static", ["--version"], { encoding: "utf8" });
    if (qemu.status !== 0) {
      t.skip("qemu-aarch64-static is not installed (Debian qemu-user-static)");
      return;
    }
    // As an ordinary process: status fd 1, no options, no factory, no
    // message socket; its child execs the host's sh (qemu passes an
    // execve of a native binary to the kernel) and exits 3, which
    // void-init reports on its status fd ("X<TAB>3") and exits with.
    const r = spawnSync("qemu-aarch64-static", [join(installed, "prebuilt", "linux-arm64", "void-init"), "1", "0", "-1", "-1", "/bin/sh", "sh", "-c", "exit 3"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.stdout, "X\t3\n", r.stderr);
    assert.equal(r.status, 3);
  });

  it("has no C compiler on the PATH its commands run with", (t) => {
    if (skipped(t)) return;
    for (const c of ["cc", "gcc", "clang"]) {
      assert.notEqual(spawnSync("sh", ["-c", `command -v ${c}`], { env: noCompiler }).status, 0, `${c} is on ${noCompiler["PATH"]}`);
    }
    assert.equal(spawnSync("sh", ["-c", "command -v node && command -v npm"], { env: noCompiler }).status, 0);
  });

  it("runs void doctor from the installed package, on the prebuilt binaries", (t) => {
    if (skipped(t)) return;
    const r = run(["doctor"]);
    if (isRoot) assert.equal(r.status, 0, r.stdout + r.stderr);
    else assert.ok(r.status === 0 || r.status === 1, r.stdout + r.stderr);
    assert.match(r.stdout, /a real void: /);
    assert.match(r.stdout, new RegExp(`ok +native binaries: prebuilt \\(prebuilt/linux-${process.arch}/, for glibc >= 2\\.17\\)`), r.stdout);
  });

  it("runs examples/fib, built from the shipped source, with the shipped spec, on the prebuilt binaries", (t) => {
    if (skipped(t, true)) return;
    const fib = buildFib();
    const r = run(["run", "-s", join(installed, "examples", "fib", "spec.json"), fib, "20"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "fib(20) = 6765\n");
  });

  it("makes the installed void command a link to the prebuilt front end (its postinstall script)", (t) => {
    if (skipped(t)) return;
    assert.equal(readlinkSync(join(installed, "bin", "void")), join("..", "prebuilt", `linux-${process.arch}`, "void-run-fast"));
    assert.match(run(["doctor"]).stdout, /void command: bin\/void is the native front end/);
    assert.equal(run(["--version"]).stdout.trim(), JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version);
  });

  it("records the Node that installed it, and runs that one whatever PATH finds first (its postinstall script)", (t) => {
    if (skipped(t)) return;
    const node = readFileSync(join(installed, "build", "node-path"), "utf8").trim();
    assert.match(node, /^\//);
    assert.ok(statSync(node).isFile(), node);
    // A node ahead of it on PATH (a directory a void could have written) is never the one run.
    const planted = join(dir, "planted");
    mkdirSync(planted, { recursive: true });
    writeFileSync(join(planted, "node"), "#!/bin/sh\necho PLANTED-NODE-RAN >&2\nexit 99\n", { mode: 0o755 });
    const r = run(["--version"], 60_000, { ...noCompiler, PATH: `${planted}:${noCompiler.PATH ?? "/usr/bin:/bin"}` });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /PLANTED-NODE-RAN/);
  });

  it("keeps bin/void the script with --ignore-scripts, and its shell part still runs the front end", (t) => {
    if (skipped(t, true)) return;
    const prefix = join(dir, "prefix-no-scripts");
    const install = spawnSync("npm", ["install", "--ignore-scripts", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
      cwd: dir,
      encoding: "utf8",
      timeout: 300_000,
      env: noCompiler,
    });
    assert.equal(install.status, 0, `npm install --ignore-scripts: ${install.stderr}`);
    spawnSync("chmod", ["-R", "a+rX", prefix]);
    const script = join(prefix, "node_modules", "void-run", "bin", "void");
    assert.ok(lstatSync(script).isFile(), "bin/void is not the script");
    assert.match(readFileSync(script, "utf8"), /^#!\/bin\/sh\n/);
    const env = { ...noCompiler, XDG_CACHE_HOME: join(dir, "cache-no-scripts"), VOID_FAST_PATH_TRACE: "1" };
    const words = ["run", "-s", join(installed, "examples", "fib", "spec.json"), buildFib(), "12"];
    assert.equal(run(words, 60_000, env, "prefix-no-scripts").status, 0);
    const second = run(words, 60_000, env, "prefix-no-scripts");
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, "fib(12) = 144\n");
    assert.match(second.stderr, /plan cache: used/, "the script's shell part did not run the front end");
  });

  it("runs the same command again in the prebuilt native front end, from its cached plan", (t) => {
    if (skipped(t, true)) return;
    const fib = buildFib();
    const env = { ...noCompiler, XDG_CACHE_HOME: join(dir, "cache"), VOID_FAST_PATH_TRACE: "1" };
    const words = ["run", "-s", join(installed, "examples", "fib", "spec.json"), fib, "15"];
    const first = run(words, 60_000, env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /plan cache: not used \(no cache directory\)/);
    const second = run(words, 60_000, env);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, "fib(15) = 610\n");
    assert.match(second.stderr, /plan cache: used/, "the prebuilt front end did not run the cached plan");
  });

  it("rebuilds its native code without devDependencies, and runs with it", (t) => {
    if (skipped(t, true)) return;
    const r = spawnSync("sh", [join(installed, "scripts", "build-native.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /build-native: built build\/void\.node/);
    // The installed command follows the binaries to build/, as the addon does.
    assert.equal(readlinkSync(join(installed, "bin", "void")), join("..", "build", "void-run-fast"));
    spawnSync("chmod", ["-R", "a+rX", installed]);
    const run2 = run(["run", "-s", join(installed, "examples", "fib", "spec.json"), buildFib(), "10"], 60_000, process.env);
    assert.equal(run2.status, 0, run2.stderr);
    assert.equal(run2.stdout, "fib(10) = 55\n");
    const doctor = run(["doctor"], 60_000, process.env);
    assert.match(doctor.stdout, /native binaries: built on this machine \(build\/\)/, doctor.stdout);
  });
});
