/**
 * Renders the contract table (src/native/contract.ts) as C: the text of
 * native/contract.h, which scripts/gen-contract.mjs writes and
 * test/unit/contract.test.ts compares with the committed file.
 */
import { allBits, CONTRACT, type ContractEntry, type ContractGroup } from "./contract.js";

/** 1u << n for a single bit, else the decimal value. */
function cValue(e: ContractEntry, bits: boolean): string {
  if (bits && e.value > 0 && (e.value & (e.value - 1)) === 0) return `1u << ${Math.log2(e.value)}`;
  return String(e.value);
}

function comment(text: string, indent = ""): string[] {
  const words = text.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line !== "" && indent.length + 3 + line.length + 1 + w.length > 100) {
      lines.push(line);
      line = w;
    } else line = line === "" ? w : `${line} ${w}`;
  }
  lines.push(line);
  if (lines.length === 1) return [`${indent}/* ${lines[0]} */`];
  return [`${indent}/* ${lines[0]}`, ...lines.slice(1).map((l) => `${indent} * ${l}`), `${indent} */`];
}

function group(g: ContractGroup): string[] {
  const entries = Object.values(g.entries);
  const out = comment(g.title);
  if (g.enumName !== undefined) {
    out.push(`enum ${g.enumName} {`);
    for (const e of entries) out.push(...comment(e.doc, "  "), `  ${e.c} = ${cValue(e, g.bits !== undefined)},`);
    out.push("};");
  } else {
    for (const e of entries) out.push(...comment(e.doc), `#define ${e.c} ${cValue(e, g.bits !== undefined)}`);
  }
  if (g.bits !== undefined) out.push(`#define ${g.bits.all} ${allBits(g)}u`);
  return out;
}

export function renderContractHeader(): string {
  const lines = [
    "/*",
    " * contract.h — the numbers TypeScript and C agree on: plan record tags,",
    " * option bits, bind and root flags, Connect protocols, seccomp",
    " * architectures and rule bits, limits and the fd layout of a void.",
    " *",
    " * GENERATED from src/native/contract.ts by scripts/gen-contract.mjs",
    " * (npm run gen-contract); do not edit. test/unit/contract.test.ts fails",
    " * when this file differs from what the table renders.",
    " */",
    "#ifndef VOID_CONTRACT_H",
    "#define VOID_CONTRACT_H",
    "",
  ];
  for (const g of CONTRACT) lines.push(...group(g), "");
  lines.push("#endif");
  return `${lines.join("\n")}\n`;
}
