#!/usr/bin/env node
// Writes native/contract.h, the C side of the wire format between
// TypeScript and C, from its one table (src/native/contract.ts, rendered
// by src/native/contract-header.ts), as compiled by tsc into dist/.
// Run after changing the table:
//   npm run gen-contract      (tsc, then this script)
// `--check` writes nothing and exits 1 when the committed file differs
// (test/unit/contract.test.ts makes the same comparison).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const file = join(root, "native", "contract.h");
let header;
try {
  header = await import(join(root, "dist", "src", "native", "contract-header.js"));
} catch (e) {
  process.stderr.write(`gen-contract: cannot load dist/src/native/contract-header.js (run tsc first): ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
const text = header.renderContractHeader();
let old;
try {
  old = readFileSync(file, "utf8");
} catch {
  old = undefined;
}
if (old === text) process.exit(0);
if (process.argv.includes("--check")) {
  process.stderr.write("gen-contract: native/contract.h differs from src/native/contract.ts: run npm run gen-contract\n");
  process.exit(1);
}
writeFileSync(file, text);
process.stdout.write("gen-contract: wrote native/contract.h\n");
