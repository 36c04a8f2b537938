#!/usr/bin/env node
// Writes the man pages (man/void.1, packages/forktop/man/forktop.1) and
// shell completions (completions/, packages/forktop/completions/) from the
// commander programs behind `void --help` and `forktop --help`, as compiled
// by tsc into dist/ and packages/forktop/dist/ (src/cli/gen/pages.ts).
// Run after changing a command, an option or a help text:
//   npm run gen-man
// `--check` writes nothing and exits 1 when a committed file differs.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const versionOf = (dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).version;
const versions = { void: versionOf("."), forktop: versionOf("packages/forktop") };
let pages;
try {
  pages = await import(join(root, "dist", "src", "cli", "gen", "pages.js"));
} catch (e) {
  process.stderr.write(`gen-man: cannot load dist/src/cli/gen/pages.js (build first: npm run gen-man): ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
let stale = 0;
for (const [path, text] of pages.generatedFiles(versions)) {
  const file = join(root, path);
  let old;
  try {
    old = readFileSync(file, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) continue;
  if (check) {
    process.stderr.write(`gen-man: ${path} is not what the CLI generates: run npm run gen-man\n`);
    stale++;
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  process.stdout.write(`gen-man: wrote ${path}\n`);
}
process.exit(stale > 0 ? 1 : 0);
