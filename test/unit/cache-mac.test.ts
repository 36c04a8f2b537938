/**
 * The plan cache's authenticator computed twice must agree: HMAC-SHA256 in
 * native/sha256.h (what the front end, native/front.c, checks) against
 * node:crypto (what src/cli/plan-cache.ts writes), over bodies and keys
 * of many lengths, with the FIPS 180-4 and RFC 4231 test vectors first.
 * Built with the sanitizers; no root needed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
let dir: string;
let harness: string;

/** The harness: each stdin line is "KEYHEX DATAHEX" (a key of "-" means: plain SHA-256); prints the digest in hex. */
const HARNESS = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sha256.h"
static size_t unhex(const char *s, uint8_t *out) {
  size_t n = 0;
  for (; s[0] && s[1] && s[0] != ' ' && s[0] != '\\n'; s += 2) {
    unsigned v;
    sscanf(s, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}
int main(void) {
  static char line[1 << 20];
  static uint8_t key[256], data[1 << 19];
  while (fgets(line, sizeof line, stdin)) {
    char *sp = strchr(line, ' ');
    if (!sp) return 2;
    uint8_t out[32];
    size_t dlen = unhex(sp + 1, data);
    if (line[0] == '-') {
      struct sha256 s;
      sha256_init(&s);
      sha256_update(&s, data, dlen);
      sha256_final(&s, out);
    } else {
      size_t klen = unhex(line, key);
      hmac_sha256(key, klen, data, dlen, out);
    }
    for (int i = 0; i < 32; i++) printf("%02x", out[i]);
    printf("\\n");
  }
  return 0;
}
`;

before(() => {
  if (!hasGcc) return;
  dir = mkdtempSync(join(tmpdir(), "void-test-mac-"));
  writeFileSync(join(dir, "mac.c"), HARNESS);
  harness = join(dir, "mac");
  const cc = spawnSync(
    "gcc",
    ["-O1", "-g", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", `-I${join(repoRoot, "native")}`, join(dir, "mac.c"), "-o", harness],
    {
      encoding: "utf8",
    },
  );
  assert.equal(cc.status, 0, cc.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes (a linear congruential generator), so a failure repeats. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function native(lines: string[]): string[] {
  const r = spawnSync(harness, [], { input: `${lines.join("\n")}\n`, encoding: "utf8", maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n");
}

describe("native/sha256.h (the front end's HMAC-SHA256)", () => {
  it("gives the published test vectors", (t) => {
    if (!hasGcc) return t.skip("no gcc");
    const [abc, empty, rfc4231] = native([`- ${Buffer.from("abc").toString("hex")}`, "- ", `${"0b".repeat(20)} ${Buffer.from("Hi There").toString("hex")}`]);
    assert.equal(abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(rfc4231, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  });

  it("agrees with node:crypto over every body length around the block boundaries and keys of 1 to 64 bytes", (t) => {
    if (!hasGcc) return t.skip("no gcc");
    const cases: { key: Buffer; data: Buffer }[] = [];
    for (let n = 0; n < 300; n++) cases.push({ key: bytes(1 + (n % 64), n), data: bytes(n, n + 7) });
    for (const n of [4095, 4096, 9276, 65537]) cases.push({ key: bytes(32, n), data: bytes(n, n * 3) });
    const got = native(cases.map((c) => `${c.key.toString("hex")} ${c.data.toString("hex")}`));
    for (const [i, c] of cases.entries()) assert.equal(got[i], createHmac("sha256", c.key).update(c.data).digest("hex"), `key ${c.key.length} bytes, body ${c.data.length} bytes`);
    const plain = native([`- ${bytes(1000, 1).toString("hex")}`]);
    assert.equal(plain[0], createHash("sha256").update(bytes(1000, 1)).digest("hex"));
  });
});
