// npm's postinstall for an installed void-run: makes the package's `void`
// command (bin/void, which npm links onto the PATH) the native front end
// itself (native/front.c), so that a `void run` whose plan is cached
// starts neither a shell nor Node (docs/architecture.md, "The native front
// end"). bin/void is shipped as a shell and Node script in one file, whose
// shell part finds and runs the front end: correct everywhere, but the
// shell costs ~0.7 ms, a third of a cached run.
//
// What it does, and nothing else: if this package lies in a node_modules
// directory (an install, not a checkout, whose bin/void git tracks), it
// records the Node running the install in build/node-path (recordNode),
// and if the front end void would use here (build/ when the native code was
// built in the package, else prebuilt/linux-<arch>/) runs on this machine (its
// usage line, status 2), bin/void is replaced by a symbolic link to it, in
// one rename. The front end finds the package above its own executable and
// runs `node bin/void.cjs ...` (the Node side of the command) for
// everything it does not run itself. In every other case bin/void stays
// the script, which works as before; so it does with --ignore-scripts.
// Never fails the install: anything unexpected is said in one line.
"use strict";
const { spawnSync } = require("node:child_process");
const { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } = require("node:fs");
const { basename, dirname, join } = require("node:path");

const root = join(__dirname, "..");

function installed() {
  const parent = dirname(root);
  if (basename(parent) === "node_modules") return true;
  return basename(parent).startsWith("@") && basename(dirname(parent)) === "node_modules";
}

/** The front end relative to the package, chosen as src/native/binaries.ts chooses the binaries; or undefined. */
function frontEnd() {
  if (existsSync(join(root, "build", "void.node")) && existsSync(join(root, "build", "void-run-fast"))) return join("build", "void-run-fast");
  const prebuilt = join("prebuilt", `${process.platform}-${process.arch}`, "void-run-fast");
  return existsSync(join(root, prebuilt)) ? prebuilt : undefined;
}

/**
 * build/node-path: the Node that installs the package, by its resolved
 * path, which bin/void's shell part and the front end run (never a `node`
 * looked up through PATH, where a directory a void may write could come
 * first: docs/security.md). scripts/build-native.sh writes it as well.
 */
function recordNode() {
  try {
    const dir = join(root, "build");
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `node-path.${process.pid}.tmp`);
    writeFileSync(tmp, `${realpathSync(process.execPath)}\n`, { mode: 0o644 });
    chmodSync(tmp, 0o644); // whatever the umask: the front end ignores a record others may write
    renameSync(tmp, join(dir, "node-path"));
  } catch (e) {
    console.log(`void-run: could not record the Node to run (${e.message}): the void command looks node up through PATH`);
  }
}

function main() {
  if (!installed()) return;
  recordNode();
  const front = frontEnd();
  if (front === undefined) {
    console.log(`void-run: no native front end for ${process.platform}-${process.arch}: the void command runs Node for every command`);
    return;
  }
  // Proof that it runs here (architecture, kernel): run without words, it prints its usage and exits 2.
  const probe = spawnSync(join(root, front), [], { encoding: "utf8", timeout: 10_000 });
  if (probe.status !== 2 || !probe.stderr.startsWith("usage: void-run-fast ")) {
    console.log(`void-run: ${front} does not run on this machine (${probe.error?.message ?? `status ${probe.status}`}): the void command stays a script`);
    return;
  }
  const bin = join(root, "bin", "void");
  const target = join("..", front);
  const now = lstatSync(bin, { throwIfNoEntry: false });
  if (now?.isSymbolicLink() && readlinkSync(bin) === target) return;
  const tmp = `${bin}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, bin);
}

try {
  main();
} catch (e) {
  console.log(`void-run: the void command stays a script (${e instanceof Error ? e.message : String(e)})`);
}
