#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/*, from tsc) into two CommonJS files,
// which bin/void loads when they are at least as new as
// dist/src/cli/entry.js:
//
//   dist/void.cjs      entry.js: the `void run` fast path and what it needs;
//   dist/void-cli.cjs  void.js: the commander CLI (every command, --help,
//                      usage errors), loaded by entry.js off the fast path.
//
// One file instead of ~40 ES modules: no module resolution and no ESM
// loader at start-up, one compile (cached by V8's compile cache on
// Node >= 22.1, which bin/void turns on); and the fast path does not even
// parse commander. Measured by the cli suite of `npm run bench`
// (docs/performance.md).
//
// - node:net, node:dgram, node:dns/promises and node:crypto are replaced by
//   the lazy stand-ins in src/cli/lazy/ (loaded on first use; a `void run`
//   that needs none of them never pays for them). A stand-in lacks what a
//   bundled module imports ("No matching export")? That bundle is built
//   again without it, with a warning: a few ms slower, never broken;
// - in void.cjs, run-command.js and what it imports are evaluated only when
//   entry.js imports them (esbuild wraps a dynamically imported module in a
//   function);
// - zod (only `void schema`) and ink/react (a terminal UI) stay outside and
//   are required from node_modules when used;
// - import.meta.url (the addon's package root, createRequire) becomes the
//   bundle's own file URL.
//
// Without esbuild (a production install without devDependencies) there is
// no bundle, and bin/void runs dist/src/cli/entry.js as before.
import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

// The package to bundle: this checkout, or the directory given (the bench
// bundles its staged copy, so that the bundle matches the copied dist/).
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const out = join(dist, "void.cjs");
const outCli = join(dist, "void-cli.cjs");
const entry = join(dist, "src", "cli", "entry.js");
const cliEntry = join(dist, "src", "cli", "void.js");
const lazy = join(dist, "src", "cli", "lazy");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  rmSync(out, { force: true });
  rmSync(outCli, { force: true });
  process.stderr.write("bundle-cli: esbuild is not installed (a devDependency): no dist/void.cjs; bin/void runs dist/src/cli/entry.js\n");
  process.exit(0);
}
if (!existsSync(entry)) {
  process.stderr.write(`bundle-cli: ${entry} does not exist: run tsc first (npm run build:ts)\n`);
  process.exit(1);
}
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  legalComments: "none",
  external: ["zod", "ink", "react", "react/*"],
  define: { "import.meta.url": "__void_bundle_url" },
  banner: { js: "const __void_bundle_url=require('node:url').pathToFileURL(__filename).href;" },
};
// entry.js's `import("./void.js")` becomes a require of the other bundle.
const cliInOtherBundle = {
  name: "void-cli-bundle",
  setup(b) {
    b.onResolve({ filter: /^\.\/void\.js$/ }, (args) => (args.importer === entry ? { path: "./void-cli.cjs", external: true } : undefined));
  },
};
const lazyModules = {
  "node:net": join(lazy, "net.js"),
  "node:dgram": join(lazy, "dgram.js"),
  "node:dns/promises": join(lazy, "dns-promises.js"),
  "node:crypto": join(lazy, "crypto.js"),
};
/** Builds with every lazy stand-in that covers what the code imports. */
async function build(options) {
  const alias = { ...lazyModules };
  for (;;) {
    try {
      return await esbuild.build({ ...options, alias, logLevel: "silent" });
    } catch (e) {
      const missing = Object.keys(alias).filter((m) =>
        (e.errors ?? []).some((err) => err.text.includes(`No matching export in "${alias[m]}"`) || err.text.includes(`No matching export in "${relative(process.cwd(), alias[m])}"`)),
      );
      if (missing.length === 0) throw e;
      for (const m of missing) {
        process.stderr.write(`bundle-cli: warning: ${alias[m]} lacks what the code imports from ${m}; ${m} is loaded at start-up instead\n`);
        delete alias[m];
      }
    }
  }
}
const tmp = `${out}.tmp-${process.pid}`;
const tmpCli = `${outCli}.tmp-${process.pid}`;
try {
  await build({ ...common, entryPoints: [cliEntry], outfile: tmpCli });
  await build({ ...common, entryPoints: [entry], outfile: tmp, plugins: [cliInOtherBundle], supported: { "dynamic-import": false } });
  // void.cjs last: bin/void goes by its time.
  renameSync(tmpCli, outCli);
  renameSync(tmp, out);
  // bin/void's own code cache of the old bundle (Node 20; it would be refused anyway).
  rmSync(`${out}.v8cache`, { force: true });
} catch (e) {
  for (const f of [tmp, tmpCli, out, outCli]) rmSync(f, { force: true });
  process.stderr.write(`bundle-cli: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
