/**
 * The spec corpus under test/fixtures/specs.
 *
 * invalid/NN-name.json must fail to parse, and NN-name.expected.txt holds the
 * exact output expected: formatDiagnostics(errors then warnings) without a
 * file prefix, i.e. one line per diagnostic,
 *   `error: <path>: <message>[; expected <forms>][ (<hint>)]`
 * in the order they are reported. Every line is compared, so every error the
 * spec contains must be reported, and no others.
 *
 * valid/*.json must parse without errors; when valid/name.expected.txt exists
 * it holds the expected warnings in the same format, otherwise there must be
 * none.
 *
 * Fixtures are read at run time relative to the repository root, which is
 * three levels above this file once compiled (dist/test/unit/).
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatDiagnostics, resultDiagnostics } from "../../src/spec/format.js";
import { parseSpec } from "../../src/spec/parse.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const corpus = `${root}test/fixtures/specs/`;

function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

function read(path: string): string {
  return readFileSync(path, "utf8");
}

describe("invalid specs", () => {
  const dir = `${corpus}invalid/`;
  const files = specFiles(dir);

  it("has at least 24 cases, each with its expected output", () => {
    assert.ok(files.length >= 24, `only ${files.length} invalid specs`);
    for (const file of files) {
      assert.match(file, /^[0-9]{2}-[a-z0-9-]+\.json$/);
      assert.ok(existsSync(`${dir}${file.replace(/\.json$/, ".expected.txt")}`), `${file} has no .expected.txt`);
    }
  });

  for (const file of files) {
    it(file, () => {
      const result = parseSpec(read(`${dir}${file}`));
      assert.equal(result.ok, false, `${file} parsed`);
      const expected = read(`${dir}${file.replace(/\.json$/, ".expected.txt")}`);
      assert.equal(formatDiagnostics(resultDiagnostics(result)), expected);
    });
  }
});

describe("valid specs", () => {
  const dir = `${corpus}valid/`;
  for (const file of specFiles(dir)) {
    it(file, () => {
      const result = parseSpec(read(`${dir}${file}`));
      if (!result.ok) assert.fail(formatDiagnostics(result.errors, file));
      const warningsFile = `${dir}${file.replace(/\.json$/, ".expected.txt")}`;
      const expected = existsSync(warningsFile) ? read(warningsFile) : "";
      assert.equal(formatDiagnostics(result.warnings), expected);
      assert.ok(result.spec.entrypoints.length > 0);
    });
  }
});
