/**
 * The JSON Schema: it compiles under ajv's strict draft 2020-12 mode, every
 * valid fixture and every spec under examples/ validates, every structurally
 * invalid fixture is rejected, every variant carries a description, and the
 * schema's patterns agree with the parser's value checks (property tests).
 * Cross-value rules are the parser's alone; the fixtures that only break
 * those are listed in SEMANTIC_ONLY and must validate.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
// The named export: under NodeNext, TypeScript types the default import of this CommonJS module as the namespace.
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { SPEC_SCHEMA_ID, specJsonSchema } from "../../src/spec/schema.js";
import {
  ABSOLUTE_PATH_PATTERN,
  checkAbsolutePath,
  checkEntrypointName,
  checkEnvironmentPath,
  checkListenAddr,
  ENTRYPOINT_NAME_PATTERN,
  ENVIRONMENT_PATH_PATTERN,
  LISTEN_ADDR_PATTERN,
} from "../../src/spec/values.js";
import { ARG_TABLE, FAMILY_TABLE, GRANT_TABLE, RPC_OPERATION_TABLE, TRIGGER_TABLE } from "../../src/spec/variants.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const corpus = `${root}test/fixtures/specs/`;

/** Invalid fixtures whose only problems are cross-value rules the schema cannot express. */
const SEMANTIC_ONLY = new Set([
  "11-dangling-pipe-reader.json",
  "12-pipe-two-writers.json",
  "13-socket-no-reader.json",
  "14-trigger-in-startup.json",
  "21-duplicate-hostname.json",
  "24-no-startup.json",
  "27-misspelt-pipe-name.json",
  "28-duplicate-keys.json",
  "32-filesystem-conflict.json",
  "35-socket-kind-mixup.json",
  "36-duplicate-listener.json",
]);

const ajv = new Ajv2020({ strict: true, allErrors: true });
const validate = ajv.compile(specJsonSchema());

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => `${dir}${f}`);
}

/** Every *.json below dir, recursively, skipping node_modules. */
function allJsonFiles(dir: string): string[] {
  let found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (entry === "node_modules") continue;
    const path = `${dir}/${entry}`;
    if (statSync(path).isDirectory()) found = found.concat(allJsonFiles(path));
    else if (entry.endsWith(".json")) found.push(path);
  }
  return found;
}

function errorsOf(value: unknown): string {
  validate(value);
  return ajv.errorsText(validate.errors);
}

describe("spec JSON Schema", () => {
  it("is a draft 2020-12 schema with an $id and a title", () => {
    const schema = specJsonSchema() as Record<string, unknown>;
    assert.equal(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert.equal(schema["$id"], SPEC_SCHEMA_ID);
    assert.equal(typeof schema["title"], "string");
    assert.notEqual(specJsonSchema(), specJsonSchema(), "each call returns a fresh copy");
  });

  it("describes every variant, so editors can show help", () => {
    const schema = specJsonSchema() as { $defs: Record<string, { anyOf?: { description?: string }[] }> };
    for (const table of [TRIGGER_TABLE, ARG_TABLE, GRANT_TABLE, RPC_OPERATION_TABLE, FAMILY_TABLE]) {
      const options = schema.$defs[table.schemaName]?.anyOf;
      assert.ok(options !== undefined, table.schemaName);
      const unitCount = table.variants.filter((v) => v.unit).length;
      assert.equal(options.length, table.variants.length + unitCount, table.schemaName);
      for (const option of options) assert.ok((option.description ?? "").length > 0, JSON.stringify(option));
    }
  });

  it("marks the stale spellings deprecated", () => {
    type Option = { const?: string; deprecated?: boolean; properties?: Record<string, Option>; anyOf?: Option[] };
    const schema = specJsonSchema() as { $defs: { Arg: { anyOf: Option[] } } };
    const options = schema.$defs.Arg.anyOf;
    assert.equal(options.find((o) => o.const === "PipeTrigger")?.deprecated, true);
    assert.equal(options.find((o) => o.const === "Trigger")?.deprecated, undefined);
    const listener = options.find((o) => o.properties?.["TcpListener"] !== undefined)?.properties?.["TcpListener"];
    const forms = listener?.anyOf ?? [];
    assert.equal(forms.find((o) => o.properties?.["port"] !== undefined)?.deprecated, true);
    assert.equal(forms.find((o) => o.properties?.["addr"] !== undefined)?.deprecated, undefined);
  });

  for (const path of jsonFiles(`${corpus}valid/`)) {
    it(`accepts valid/${path.split("/").pop()}`, () => {
      const value: unknown = JSON.parse(readFileSync(path, "utf8"));
      assert.ok(validate(value), errorsOf(value));
    });
  }

  it("accepts every spec under examples/", () => {
    for (const path of allJsonFiles(`${root}examples`)) {
      const value: unknown = JSON.parse(readFileSync(path, "utf8"));
      if (typeof value !== "object" || value === null || !("entrypoints" in value)) continue;
      assert.ok(validate(value), `${path}: ${errorsOf(value)}`);
      assert.ok(parseSpecValue(value).ok, path);
    }
  });

  for (const path of jsonFiles(`${corpus}invalid/`)) {
    const name = path.split("/").pop() ?? path;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      continue; // a JSON syntax error: nothing for a schema to judge
    }
    const structural = !SEMANTIC_ONLY.has(name);
    it(`${structural ? "rejects" : "accepts (cross-value rules only)"} invalid/${name}`, () => {
      assert.equal(validate(value), !structural, errorsOf(value));
    });
  }

  it("rejects unknown keys everywhere", () => {
    const specs = [
      { entrypoints: { a: {} }, extra: 1 },
      { entrypoints: { a: { trigerr: "Startup" } } },
      { entrypoints: { a: { environment: [{ Filesystem: { host_path: "/a", environment_path: "/b", x: 1 } }] } } },
      { entrypoints: { a: { args: [{ TcpListener: { addr: "1.2.3.4:5", port: 5 } }] } } },
      { entrypoints: { a: { args: [{ Rpc: [{ OpenTcpSocket: { hots: null } }] }] } } },
      { entrypoints: { a: { args: [{ Pipe: { Rx: "p", Tx: "q" } }] } } },
    ];
    for (const spec of specs) assert.equal(validate(spec), false, JSON.stringify(spec));
  });
});

describe("schema patterns agree with the parser's checks", () => {
  const pathLike = fc.array(fc.constantFrom("/", "/", ".", "..", "a", "proc", "dev", "null", "é", "\u0000", " "), { maxLength: 8 }).map((parts) => parts.join(""));

  it("absolute paths: the pattern matches exactly what checkAbsolutePath accepts", () => {
    const pattern = new RegExp(ABSOLUTE_PATH_PATTERN, "u");
    fc.assert(
      fc.property(pathLike, (path) => pattern.test(path) === (checkAbsolutePath(path) === undefined)),
      { numRuns: 2000 },
    );
  });

  it("environment paths: the pattern matches exactly what checkEnvironmentPath accepts", () => {
    const pattern = new RegExp(ENVIRONMENT_PATH_PATTERN, "u");
    for (const path of ["/proc", "/proc/x", "/dev/null", "/dev/null/x", "/procx", "/dev/nullx", "/dev"]) {
      assert.equal(pattern.test(path), checkEnvironmentPath(path) === undefined, path);
    }
    fc.assert(
      fc.property(pathLike, (path) => pattern.test(path) === (checkEnvironmentPath(path) === undefined)),
      { numRuns: 2000 },
    );
  });

  it("entrypoint names: the pattern matches exactly what checkEntrypointName accepts", () => {
    const pattern = new RegExp(ENTRYPOINT_NAME_PATTERN, "u");
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "/", "\u0000", "-", "é") }), (name) => {
        return pattern.test(name) === (checkEntrypointName(name) === undefined);
      }),
    );
  });

  it("listen addresses: the pattern accepts every address checkListenAddr accepts", () => {
    const pattern = new RegExp(LISTEN_ADDR_PATTERN, "u");
    const addr = fc.oneof(
      fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 70000 })).map(([ip, port]) => `${ip}:${port}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 70000 })).map(([ip, port]) => `[${ip}]:${port}`),
      fc.string({ unit: fc.constantFrom("1", "0", ".", ":", "[", "]", "f", "%", "x") }),
    );
    fc.assert(
      fc.property(addr, (a) => checkListenAddr(a) !== undefined || pattern.test(a)),
      { numRuns: 2000 },
    );
  });
});
