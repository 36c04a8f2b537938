#!/usr/bin/env node
// Writes native/contract.h, the C side of the wire format between
// TypeScript and C, from its one table (src/native/contract.ts, rendered
// by src/native/contract-header.ts), as compiled by tsc into dist/; and
// native/texts.h, the errno texts and signal names both launchers print,
// from src/native/texts.ts.
// Run after changing the table:
//   npm run gen-contract      (tsc, then this script)
// `--check` writes nothing and exits 1 when a committed file differs
// (test/unit/contract.test.ts makes the same comparison).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let header;
try {
  header = await import(join(root, "dist", "src", "native", "contract-header.js"));
} catch (e) {
  process.stderr.write(`gen-contract: cannot load dist/src/native/contract-header.js (run tsc first): ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
let stale = 0;
for (const [name, render, from] of [
  ["contract.h", header.renderContractHeader, "src/native/contract.ts"],
  ["texts.h", header.renderTextsHeader, "src/native/texts.ts"],
]) {
  const file = join(root, "native", name);
  const text = render();
  let old;
  try {
    old = readFileSync(file, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) continue;
  if (process.argv.includes("--check")) {
    process.stderr.write(`gen-contract: native/${name} differs from ${from}: run npm run gen-contract\n`);
    stale = 1;
    continue;
  }
  writeFileSync(file, text);
  process.stdout.write(`gen-contract: wrote native/${name}\n`);
}
process.exit(stale);
