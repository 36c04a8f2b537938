/**
 * The native binaries load with the documented glibc baseline: every
 * glibc symbol version the addon needs is at most GLIBC_BASELINE
 * (src/native/binaries.ts), and void-init and the front end (void-run-fast) are static
 * (no dynamic section, no program interpreter). Checked on build/ and on
 * each prebuilt/linux-ARCH/ there is, with readelf (binutils, installed
 * with gcc), which reads an ELF file of any architecture: what objdump -T
 * lists, one symbol a line. The README and docs/architecture.md name the
 * same baseline.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { GLIBC_BASELINE, PREBUILT_PLATFORMS } from "../../src/native/binaries.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const readelf = spawnSync("readelf", ["--version"], { encoding: "utf8" }).status === 0;

function versionParts(v: string): number[] {
  return v.split(".").map(Number);
}

function newer(a: string, b: string): boolean {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return false;
}

function readelfOut(args: string[]): string {
  const r = spawnSync("readelf", ["-W", ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The glibc versions `file` needs, from its dynamic symbols ("memcpy@GLIBC_2.14 (3)"). */
function glibcVersions(file: string): string[] {
  const out = readelfOut(["--dyn-syms", file]);
  return [...new Set([...out.matchAll(/@GLIBC_([0-9.]+)/g)].map((m) => m[1]!))];
}

function isStatic(file: string): boolean {
  return !/\bINTERP\b/.test(readelfOut(["-l", file])) && /no dynamic section/.test(readelfOut(["-d", file]));
}

/** build/ and every prebuilt/linux-ARCH/ present. */
const dirs = ["build", ...PREBUILT_PLATFORMS.map((p) => join("prebuilt", p))].filter((d) => existsSync(join(root, d, "void.node")));

function skipped(t: TestContext): boolean {
  const reason = !readelf ? "readelf (binutils) is not installed" : dirs.length === 0 ? "nothing is built (npm run build:native)" : false;
  if (reason) t.skip(reason);
  return reason !== false;
}

describe(`the native binaries need glibc <= ${GLIBC_BASELINE}`, () => {
  it("the addon: no symbol version newer than the baseline", (t) => {
    if (skipped(t)) return;
    for (const dir of dirs) {
      const file = join(root, dir, "void.node");
      const versions = glibcVersions(file);
      assert.ok(versions.length > 0, `${file}: no glibc symbol versions at all`);
      const tooNew = versions.filter((v) => newer(v, GLIBC_BASELINE));
      const syms = readelfOut(["--dyn-syms", file])
        .split("\n")
        .filter((l) => tooNew.some((v) => l.includes(`@GLIBC_${v}`)))
        .map((l) => l.trim().split(/\s+/).pop());
      assert.deepEqual(tooNew, [], `${file} needs ${tooNew.map((v) => `GLIBC_${v}`).join(", ")}: ${syms.join(", ")} (native/glibc_compat.h)`);
    }
  });

  it("void-init and the front end (void-run-fast) are static", (t) => {
    if (skipped(t)) return;
    for (const dir of dirs) {
      for (const name of ["void-init", "void-run-fast"]) {
        const file = join(root, dir, name);
        assert.ok(isStatic(file), `${file} is not static`);
      }
    }
  });

  it("the README and docs/architecture.md name the baseline", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    assert.match(readme, new RegExp(`glibc ≥ ${GLIBC_BASELINE.replace(".", "\\.")}\\b`), "README.md's requirements");
    const arch = readFileSync(join(root, "docs", "architecture.md"), "utf8");
    assert.match(arch, new RegExp(`GLIBC_${GLIBC_BASELINE.replace(".", "\\.")}\\b`), "docs/architecture.md");
  });
});
