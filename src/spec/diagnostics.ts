/**
 * Small shared pieces for building diagnostics: JSON paths, describing what a
 * value was ("got a number"), quoting user text safely, and a collector that
 * keeps errors and warnings apart.
 *
 * Paths look like `entrypoints.tls_handler.args[2]`. A key that is not an
 * identifier is written as a quoted JSON string in brackets:
 * `entrypoints["tls-handler"].args[2]`. The root of the document is the empty
 * path. All user text in messages goes through `quote`, which JSON-escapes it
 * (so a name can never break a line or carry a terminal escape) and shortens
 * very long strings.
 */

import type { Diagnostic } from "./types.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path of key `key` inside the object at `base`. */
export function keyPath(base: string, key: string): string {
  if (IDENTIFIER.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** The path of element `index` of the array at `base`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

const QUOTE_LIMIT = 60;

/** A JSON-quoted, length-limited rendering of user text for messages. */
export function quote(text: string): string {
  const chars = Array.from(text);
  const short = chars.length > QUOTE_LIMIT ? `${chars.slice(0, QUOTE_LIMIT).join("")}…` : text;
  return JSON.stringify(short);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "a number", "the string \"x\"", "an array", ...: what a value was, for "got ..." messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  switch (typeof value) {
    case "string":
      return `the string ${quote(value)}`;
    case "number":
      return `the number ${String(value)}`;
    case "boolean":
      return `the boolean ${String(value)}`;
    case "object":
      return Object.keys(value).length === 0 ? "an empty object" : "an object";
    default:
      return `a JavaScript ${typeof value}, which JSON cannot express`;
  }
}

/** Optional parts of a diagnostic. */
export interface Extra {
  expected?: string | undefined;
  hint?: string | undefined;
}

function make(severity: Diagnostic["severity"], path: string, message: string, extra: Extra): Diagnostic {
  const diagnostic: Diagnostic = { severity, path, message };
  if (extra.expected !== undefined) diagnostic.expected = extra.expected;
  if (extra.hint !== undefined) diagnostic.hint = extra.hint;
  return diagnostic;
}

/** Collects errors and warnings in the order they are found. */
export class Diagnostics {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(path: string, message: string, extra: Extra = {}): void {
    this.errors.push(make("error", path, message, extra));
  }

  warning(path: string, message: string, extra: Extra = {}): void {
    this.warnings.push(make("warning", path, message, extra));
  }
}
