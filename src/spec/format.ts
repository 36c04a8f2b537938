/**
 * Human-readable diagnostics, one per line, in the compiler style editors
 * and terminals know:
 *
 *   spec.json: error: entrypoints.fib.args[1]: unknown variant "Entrypiont"; expected "BinaryName" | ... (did you mean "Entrypoint"?)
 *
 * i.e. `[file: ]severity: [path: ]message[; expected X][ (hint)]`. The path is
 * left out for problems with the whole document (JSON syntax, wrong top-level
 * type). Control characters that could split a line or drive a terminal are
 * escaped, whatever produced the diagnostic. Printing, colour and exit status
 * are the caller's business.
 */

import type { Diagnostic, ParseResult } from "./types.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what must not reach a terminal raw
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One diagnostic as one line, without a trailing newline. */
export function formatDiagnostic(diagnostic: Diagnostic, file?: string): string {
  let line = file === undefined ? "" : `${file}: `;
  line += `${diagnostic.severity}: `;
  if (diagnostic.path !== "") line += `${diagnostic.path}: `;
  line += diagnostic.message;
  if (diagnostic.expected !== undefined) line += `; expected ${diagnostic.expected}`;
  if (diagnostic.hint !== undefined) line += ` (${diagnostic.hint})`;
  return escapeControls(line);
}

/** Every diagnostic, one per line, each ending in "\n"; "" for none. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], file?: string): string {
  return diagnostics.map((d) => `${formatDiagnostic(d, file)}\n`).join("");
}

/** All diagnostics of a parse, errors first, then warnings. */
export function resultDiagnostics(result: ParseResult): Diagnostic[] {
  return result.ok ? [...result.warnings] : [...result.errors, ...result.warnings];
}
