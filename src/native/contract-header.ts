/**
 * Renders the contract table (src/native/contract.ts) as C: the text of
 * native/contract.h; and the texts table (src/native/texts.ts) as
 * native/texts.h. scripts/gen-contract.mjs writes both, and
 * test/unit/contract.test.ts compares them with the committed files.
 */
import { allBits, CONTRACT, type ContractEntry, type ContractGroup } from "./contract.js";
import { ERRNO_TEXTS, SIGNAL_NAMES } from "./texts.js";

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

/** A C string literal of `text` (the table's texts are printable ASCII). */
function cString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`not printable ASCII: ${JSON.stringify(text)}`);
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

export function renderTextsHeader(): string {
  const lines = [
    "/*",
    " * texts.h — what void prints for an errno value or a signal number, the",
    " * same words the Node launcher prints (src/orchestrator/status.ts).",
    " *",
    " * GENERATED from src/native/texts.ts by scripts/gen-contract.mjs",
    " * (npm run gen-contract); do not edit. test/unit/contract.test.ts fails",
    " * when this file differs from what the table renders.",
    " */",
    "#ifndef VOID_TEXTS_H",
    "#define VOID_TEXTS_H",
    "",
    "#include <errno.h>",
    "#include <signal.h>",
    "#include <stddef.h>",
    "",
    "/* The table's numbers are the kernel's; the C library must agree. */",
  ];
  for (const [n, name] of ERRNO_TEXTS) lines.push(`_Static_assert(${name} == ${n}, "${name}");`);
  for (const [n, name] of SIGNAL_NAMES) lines.push(`_Static_assert(${name} == ${n}, "${name}");`);
  lines.push(
    "",
    '/* The text for errno value `e` ("No such file or directory"), or NULL: the caller prints "error N". */',
    "static inline const char *void_errno_text(int e) {",
    "  static const char *const texts[] = {",
  );
  for (const [n, , text] of ERRNO_TEXTS) lines.push(`      [${n}] = ${cString(text)},`);
  lines.push(
    "  };",
    "  return e > 0 && (size_t)e < sizeof texts / sizeof texts[0] ? texts[e] : NULL;",
    "}",
    "",
    '/* The name of signal `s` ("SIGTERM"), or NULL: the caller prints "signal N". */',
    "static inline const char *void_signal_name(int s) {",
    "  static const char *const names[] = {",
  );
  for (const [n, name] of SIGNAL_NAMES) lines.push(`      [${n}] = ${cString(name)},`);
  lines.push("  };", "  return s > 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : NULL;", "}", "", "#endif");
  return `${lines.join("\n")}\n`;
}
