// The Node side of the `void` command: what bin/void runs as a Node script,
// and what the native front end (native/front.c) executes with Node for
// everything it does not run itself.
//
// It runs the CLI built by `npm run build`: the bundle dist/void.cjs (scripts/bundle-cli.mjs) when it is at least as new as the
// compiled dist/src/cli/entry.js (tsc rewrites every file it emits, so a
// `tsc` run after the bundle was made leaves the bundle stale and unused),
// otherwise dist/src/cli/entry.js itself.
//
// This file is CommonJS: a CommonJS entry point starts ~10 ms sooner than
// an ES module one on Node 20, which loads its ESM loader first (measured by `npm run bench`, docs/performance.md).
"use strict";
// The front end (native/front.c) and bin/void's shell part start Node with
// NODE_EXTRA_CA_CERTS renamed VOID_NODE_EXTRA_CA_CERTS: Node 20 parses every
// certificate of that file as it starts (~75 ms for Debian's bundle), and
// void makes no TLS connection; and NODE_ICU_DATA, NODE_REDIRECT_WARNINGS and
// NODE_V8_COVERAGE the same way: files Node reads or writes on its own, from
// its start, where a void's writable bind may reach. Back under their own
// names, the user's environment is whole again for the plans (PassEnv) and
// for whatever the command starts.
for (const name of ["NODE_EXTRA_CA_CERTS", "NODE_ICU_DATA", "NODE_REDIRECT_WARNINGS", "NODE_V8_COVERAGE"]) {
  if (process.env[`VOID_${name}`] !== undefined) {
    process.env[name] = process.env[`VOID_${name}`];
    delete process.env[`VOID_${name}`];
  }
}
const { statSync } = require("node:fs");
const { dirname, join } = require("node:path");
const module_ = require("node:module");

const dist = join(__dirname, "..", "dist");

// V8's compile cache (Node >= 22.1; absent on Node 20): later starts skip
// compiling the CLI. A compile cache is code the launcher runs, so it is
// kept in the package's dist/, which only whoever installed void can write
// and no void may be given (src/plan/plan.ts writableCoversLauncher) —
// never Node's default, os.tmpdir()'s node-compile-cache, which any local
// user (or a void with a writable /tmp) can make first and fill. Best
// effort: where dist/ is not writable, there is no cache.
module_.enableCompileCache?.(join(dist, ".compile-cache"));

const entry = join(dist, "src", "cli", "entry.js");
const bundle = join(dist, "void.cjs");
const entryTime = statSync(entry, { throwIfNoEntry: false })?.mtimeMs;
const bundleStat = statSync(bundle, { throwIfNoEntry: false });
const bundleTime = bundleStat?.mtimeMs;
if (bundleTime !== undefined && (entryTime === undefined || bundleTime >= entryTime)) {
  // NODE_DISABLE_COMPILE_CACHE, Node's switch for its compile cache, turns off bin/void's own too.
  if (module_.enableCompileCache || process.env.NODE_DISABLE_COMPILE_CACHE) require(bundle);
  else requireWithCodeCache(bundle, bundleStat);
} else if (entryTime === undefined) {
  process.stderr.write("void: not built yet: run the README's set-up command (or `npm run build`) first\n");
  process.exitCode = 125;
} else {
  import(require("node:url").pathToFileURL(entry).href);
}

/**
 * Node 20 has no compile cache (module.enableCompileCache is Node >= 22.1),
 * so there bin/void keeps V8's code cache of the bundle itself, as Node 22's
 * cache does: `FILE.v8cache` beside the bundle, written by the first run that
 * finds none (or finds it rejected) and can write there; a run that cannot
 * (an unprivileged user, a read-only install) compiles as before. Measured
 * by `npm run bench` (docs/performance.md).
 *
 * The file starts with a line naming the bundle's size and mtime: V8 checks
 * a code cache only against its own version, flags and the source's
 * *length*, so a rebuilt bundle of the same length must not meet the old
 * cache. The cache is made at exit, after the run, so that it holds the
 * functions the run compiled and not only the top level; so it holds what
 * that command needed. `void run` is the command whose start-up counts: a
 * cache made by another (`void --version`, the first thing many type) left
 * `void run` compiling most of its code at every start (~9 ms here), so the
 * line also says "run" when a `void run` made it, and the first `void run`
 * that finds a cache made by another command makes it again. It is code, trusted
 * as the bundle is: it lives beside it, in a directory only the bundle's
 * writers can write.
 */
function requireWithCodeCache(file, stat) {
  const fs = require("node:fs");
  const vm = require("node:vm");
  const cacheFile = `${file}.v8cache`;
  const run = process.argv[2] === "run";
  const base = `void.cjs ${stat.size} ${stat.mtimeMs}`;
  const stamp = Buffer.from(`${base}${run ? " run" : ""}\n`);
  let cachedData;
  let madeByRun = false;
  try {
    const cache = fs.readFileSync(cacheFile);
    const newline = cache.indexOf(10);
    const line = newline < 0 ? "" : cache.subarray(0, newline).toString("latin1");
    if (line === base || line === `${base} run`) {
      cachedData = cache.subarray(newline + 1);
      madeByRun = line !== base;
    }
  } catch {
    // no cache yet
  }
  const script = new vm.Script(module_.wrap(fs.readFileSync(file, "utf8")), {
    filename: file,
    ...(cachedData !== undefined ? { cachedData } : {}),
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected || (run && !madeByRun)) {
    process.once("exit", () => {
      const tmp = `${cacheFile}.tmp-${process.pid}`;
      try {
        fs.writeFileSync(tmp, Buffer.concat([stamp, script.createCachedData()]), { flag: "wx" });
        fs.renameSync(tmp, cacheFile);
      } catch {
        // best effort: an unwritable dist/ only means compiling next time too
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  const bundleModule = { exports: {}, filename: file, id: file };
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, module_.createRequire(file), bundleModule, file, dirname(file));
}
