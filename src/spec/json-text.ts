/**
 * Reading the spec's JSON text: the value, syntax errors with line and
 * column, duplicate keys, and the order keys appear in.
 *
 * JSON.parse is the authority on what the text means. When it fails, the
 * error's offset is taken from V8's message — "... in JSON at position 42"
 * on Node 20, "... in JSON at position 42 (line 3 column 5)" on Node 22+,
 * and no position at all for "Unexpected token 'x', ... is not valid JSON" —
 * and turned into a line and column. When the message has no position, a
 * small strict scanner (below) finds it. The scanner also words the common
 * hand-editing mistakes (trailing comma, comment, single quotes, unquoted key)
 * in plain terms; its wording is used whenever it agrees with V8 on the
 * position, so messages are the same on every Node version.
 *
 * JSON.parse silently keeps the last of two equal keys, and other readers keep
 * the first: a reviewer and void could read different specs. The scanner
 * reports every duplicate key so that parse.ts can refuse it. It also records
 * each object's keys in text order, because JavaScript objects list
 * integer-like keys ("1") first and entrypoints must keep the file's order.
 *
 * The scanner is iterative (an explicit stack), so deeply nested input cannot
 * overflow the call stack.
 */

import { indexPath, keyPath, quote } from "./diagnostics.js";

export interface TextLocation {
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (as editors and V8 count). */
  column: number;
}

export interface DuplicateKey {
  /** Path of the object that has the key twice. */
  path: string;
  key: string;
  /** Where the second (or later) copy starts. */
  location: TextLocation;
}

export type JsonText =
  | {
      ok: true;
      value: unknown;
      duplicates: DuplicateKey[];
      /** Each object's keys in text order (first appearance), by path. */
      keyOrder: Map<string, string[]>;
    }
  | { ok: false; location: TextLocation; message: string; hint?: string };

/** Line and column of a UTF-16 offset in text. */
export function locate(text: string, offset: number): TextLocation {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (const c of before) if (c === "\n") line++;
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * The offset of a JSON.parse SyntaxError from its message, for the message
 * formats of Node 20 (V8 11) through Node 24 (V8 13); undefined if the
 * message carries no position.
 */
export function syntaxErrorOffset(message: string, text: string): number | undefined {
  const position = /\bat position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) {
    const lines = text.split("\n");
    const line = Number(lineColumn[1]);
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
    return offset + Number(lineColumn[2]) - 1;
  }
  if (/^Unexpected end of JSON input/.test(message)) return text.length;
  return undefined;
}

/** V8's message without the position and the echo of the input. */
export function cleanSyntaxErrorMessage(message: string): string {
  const cleaned = message
    .replace(/ in JSON at position \d+/, "")
    .replace(/ \(line \d+ column \d+\)/, "")
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "")
    .replace(/^".*" is not valid JSON$/s, "not valid JSON");
  return cleaned.charAt(0).toLowerCase() + cleaned.slice(1);
}

/** Parse spec text. Never throws. A leading byte order mark is ignored. */
export function readJsonText(text: string): JsonText {
  const shift = text.startsWith("\uFEFF") ? 1 : 0;
  const body = text.slice(shift);
  const at = (offset: number): TextLocation => locate(text, offset + shift);
  if (body.trim() === "") {
    return { ok: false, location: at(0), message: 'the file is empty; expected a JSON object {"entrypoints": {...}}' };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const v8Message = error instanceof Error ? error.message : String(error);
    const scanned = scanJson(body);
    const offset = syntaxErrorOffset(v8Message, body) ?? scanned.error?.offset ?? body.length;
    const own = scanned.error?.offset === offset ? scanned.error : undefined;
    const result: JsonText = {
      ok: false,
      location: at(offset),
      message: own?.message ?? cleanSyntaxErrorMessage(v8Message),
    };
    if (own?.hint !== undefined) result.hint = own.hint;
    return result;
  }
  const scanned = scanJson(body);
  return {
    ok: true,
    value,
    duplicates: scanned.duplicates.map((d) => ({ path: d.path, key: d.key, location: at(d.offset) })),
    keyOrder: scanned.keyOrder,
  };
}

interface ScanError {
  offset: number;
  message: string;
  hint?: string;
}

interface ScanResult {
  error?: ScanError;
  duplicates: { path: string; key: string; offset: number }[];
  keyOrder: Map<string, string[]>;
}

type Frame = { kind: "object"; path: string; seen: Set<string>; key: string } | { kind: "array"; path: string; index: number };

type State = "value" | "value-or-close" | "key-or-close" | "key" | "colon" | "comma-or-close" | "end";

class ScanFailure extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WORD = /[A-Za-z_$][A-Za-z0-9_$]*/y;

/** A strict JSON scanner: first syntax error, duplicate keys, key order. */
export function scanJson(text: string): ScanResult {
  const scanner = new Scanner(text);
  try {
    scanner.run();
  } catch (failure) {
    if (!(failure instanceof ScanFailure)) throw failure;
    const error: ScanError = { offset: failure.offset, message: failure.reason };
    if (failure.hint !== undefined) error.hint = failure.hint;
    return { error, duplicates: scanner.duplicates, keyOrder: scanner.keyOrder };
  }
  return { duplicates: scanner.duplicates, keyOrder: scanner.keyOrder };
}

class Scanner {
  readonly duplicates: { path: string; key: string; offset: number }[] = [];
  readonly keyOrder = new Map<string, string[]>();
  private readonly stack: Frame[] = [];
  private i = 0;
  private state: State = "value";

  constructor(private readonly text: string) {}

  run(): void {
    for (;;) {
      this.skipWhitespace();
      switch (this.state) {
        case "value":
          this.value();
          break;
        case "value-or-close":
          if (this.peek() === "]") this.close();
          else this.value();
          break;
        case "key-or-close":
          if (this.peek() === "}") this.close();
          else this.key();
          break;
        case "key":
          this.key();
          break;
        case "colon":
          this.colon();
          break;
        case "comma-or-close":
          this.commaOrClose();
          break;
        case "end":
          if (this.i < this.text.length) {
            throw new ScanFailure(this.i, "unexpected text after the end of the JSON value");
          }
          return;
      }
    }
  }

  private peek(): string | undefined {
    return this.text[this.i];
  }

  private skipWhitespace(): void {
    while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i]!)) this.i++;
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private valuePath(): string {
    const frame = this.top();
    if (frame === undefined) return "";
    return frame.kind === "object" ? keyPath(frame.path, frame.key) : indexPath(frame.path, frame.index);
  }

  private previousSignificant(): string | undefined {
    let j = this.i - 1;
    while (j >= 0 && " \t\n\r".includes(this.text[j]!)) j--;
    return this.text[j];
  }

  private endOfInput(): ScanFailure {
    const frame = this.top();
    const inside = frame === undefined ? "" : frame.kind === "object" ? ': a "}" is missing' : ': a "]" is missing';
    return new ScanFailure(this.i, `unexpected end of input${inside}`);
  }

  private value(): void {
    const c = this.peek();
    if (c === undefined) throw this.endOfInput();
    const path = this.valuePath();
    if (c === "{") {
      this.stack.push({ kind: "object", path, seen: new Set(), key: "" });
      this.keyOrder.set(path, []);
      this.i++;
      this.state = "key-or-close";
    } else if (c === "[") {
      this.stack.push({ kind: "array", path, index: 0 });
      this.i++;
      this.state = "value-or-close";
    } else {
      this.scalar(c);
      this.afterValue();
    }
  }

  private scalar(c: string): void {
    if (c === '"') {
      this.string();
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      this.number();
    } else if (this.text.startsWith("true", this.i) || this.text.startsWith("null", this.i)) {
      this.i += 4;
    } else if (this.text.startsWith("false", this.i)) {
      this.i += 5;
    } else {
      throw this.unexpected("expected a value");
    }
  }

  /** A failure at the current character, worded for the usual mistakes. */
  private unexpected(expected: string): ScanFailure {
    const c = this.peek();
    if (c === undefined) return this.endOfInput();
    if ((c === "]" || c === "}") && this.previousSignificant() === ",") {
      return new ScanFailure(this.i, `${expected}, got ${quote(c)}`, "JSON does not allow a comma after the last item");
    }
    if (c === "/") return new ScanFailure(this.i, "comments are not allowed in JSON");
    if (c === "'") return new ScanFailure(this.i, "strings must be in double quotes in JSON");
    WORD.lastIndex = this.i;
    const word = WORD.exec(this.text)?.[0];
    if (word !== undefined) {
      return new ScanFailure(this.i, `${expected}, got ${quote(word)}`, "strings and keys must be in double quotes");
    }
    return new ScanFailure(this.i, `${expected}, got ${c === '"' ? "a string" : quote(c)}`);
  }

  private string(): string {
    const start = this.i;
    let j = this.i + 1;
    for (;;) {
      const c = this.text[j];
      if (c === undefined) throw new ScanFailure(j, "unterminated string");
      if (c === '"') break;
      if (c < " ") throw new ScanFailure(j, "a string contains a raw control character; escape it");
      if (c === "\\") {
        const e = this.text[j + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(j + 2, j + 6))) throw new ScanFailure(j + 1, "bad \\u escape");
          j += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new ScanFailure(j + 1, "bad escape in a string");
        j += 2;
        continue;
      }
      j++;
    }
    this.i = j + 1;
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new ScanFailure(this.i + 1, "no number after the minus sign");
    const end = this.i + match[0].length;
    const next = this.text[end];
    if (next === ".") throw new ScanFailure(end + 1, "unterminated fractional number");
    if (next === "e" || next === "E") throw new ScanFailure(end + 1, "the exponent part is missing a number");
    if (next !== undefined && next >= "0" && next <= "9") {
      throw new ScanFailure(end, "numbers must not have leading zeros");
    }
    this.i = end;
  }

  private key(): void {
    const frame = this.top();
    if (frame?.kind !== "object") throw new ScanFailure(this.i, "internal: key outside an object");
    if (this.peek() !== '"') throw this.unexpected("expected a property name in double quotes");
    const offset = this.i;
    const key = this.string();
    if (frame.seen.has(key)) this.duplicates.push({ path: frame.path, key, offset });
    else {
      frame.seen.add(key);
      this.keyOrder.get(frame.path)?.push(key);
    }
    frame.key = key;
    this.state = "colon";
  }

  private colon(): void {
    if (this.peek() !== ":") throw this.unexpected('expected ":" after a property name');
    this.i++;
    this.state = "value";
  }

  private commaOrClose(): void {
    const frame = this.top();
    if (frame === undefined) throw new ScanFailure(this.i, "internal: no open container");
    const closer = frame.kind === "object" ? "}" : "]";
    const c = this.peek();
    if (c === ",") {
      this.i++;
      if (frame.kind === "array") frame.index++;
      this.state = frame.kind === "object" ? "key" : "value";
    } else if (c === closer) {
      this.close();
    } else {
      const after = frame.kind === "object" ? "a property value" : "an array item";
      const failure = this.unexpected(`expected "," or "${closer}" after ${after}`);
      const missingComma = c === '"' || c === "{" || c === "[";
      throw missingComma ? new ScanFailure(failure.offset, failure.reason, "is a comma missing?") : failure;
    }
  }

  private close(): void {
    this.stack.pop();
    this.i++;
    this.afterValue();
  }

  private afterValue(): void {
    this.state = this.stack.length === 0 ? "end" : "comma-or-close";
  }
}
