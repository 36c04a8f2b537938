/**
 * The environment void's own Node processes start with (src/cli/node-env.ts),
 * and that its three makers agree on it: native/front.c and bin/void's shell
 * part, which start the first Node, and bin/void.cjs, which puts the renamed
 * variables back.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { NODE_DROPPED, NODE_RENAMED, voidNodeEnv } from "../../src/cli/node-env.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("voidNodeEnv", () => {
  it("drops what Node would load code from, renames what it reads or writes as it starts, keeps the rest", () => {
    const env = voidNodeEnv({ PATH: "/bin", NODE_OPTIONS: "--require /x.js", NODE_PATH: "/m", NODE_ICU_DATA: "/icu", NODE_EXTRA_CA_CERTS: "/c.pem", NODE_ENV: "production" });
    assert.deepEqual(env, { PATH: "/bin", NODE_ENV: "production", VOID_NODE_ICU_DATA: "/icu", VOID_NODE_EXTRA_CA_CERTS: "/c.pem" });
  });
  it("does not take a VOID_ name of the user's for one of its own", () => {
    assert.deepEqual(voidNodeEnv({ VOID_NODE_ICU_DATA: "/stray" }), {});
  });
  it("is what native/front.c and bin/void's shell part do, and what bin/void.cjs undoes", () => {
    const front = readFileSync(join(repoRoot, "native", "front.c"), "utf8");
    const shell = readFileSync(join(repoRoot, "bin", "void"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith('":" //;'))
      .join("\n");
    const cjs = readFileSync(join(repoRoot, "bin", "void.cjs"), "utf8");
    for (const name of NODE_DROPPED) {
      assert.ok(front.includes(`unsetenv("${name}")`), `front.c drops ${name}`);
      assert.match(shell, new RegExp(`unset [A-Z_ ]*\\b${name}\\b`), `bin/void drops ${name}`);
    }
    for (const name of NODE_RENAMED) {
      assert.ok(front.includes(`"${name}"`), `front.c renames ${name}`);
      assert.match(shell, new RegExp(`for v in [A-Z0-9_ ]*\\b${name.slice("NODE_".length)}\\b`), `bin/void renames ${name}`);
      assert.ok(cjs.includes(`"${name}"`), `bin/void.cjs puts ${name} back`);
    }
  });
});
