/**
 * `void doctor`'s history of kernel features is in date order, and the
 * minimum Linux it names is the README's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { HISTORY, MINIMUM_LINUX } from "../../src/cli/doctor.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function versionParts(v: string): number[] {
  return v.split(".").map(Number);
}

function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

describe("void doctor", () => {
  it("lists when each feature reached Linux oldest first: by year, then version", () => {
    for (let i = 1; i < HISTORY.length; i++) {
      const prev = HISTORY[i - 1]!;
      const cur = HISTORY[i]!;
      assert.ok(
        prev.year < cur.year || (prev.year === cur.year && compareVersions(prev.version, cur.version) <= 0),
        `${prev.feature} (${prev.version}, ${prev.year}) before ${cur.feature} (${cur.version}, ${cur.year})`,
      );
      // A later release never has an earlier year.
      if (compareVersions(prev.version, cur.version) < 0) assert.ok(prev.year <= cur.year, cur.feature);
    }
  });

  it("names the README's minimum Linux, and the feature without a fallback that sets it", () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const stated = /^- Linux ≥ ([0-9.]+)/m.exec(readme)?.[1];
    assert.equal(stated, MINIMUM_LINUX, "README.md's requirements and src/cli/doctor.ts MINIMUM_LINUX disagree");
    const required = HISTORY.filter((h) => h.version === MINIMUM_LINUX && h.note?.includes("no fallback"));
    assert.equal(required.length, 1, "HISTORY marks the feature that sets the minimum");
    assert.ok(
      HISTORY.every((h) => compareVersions(h.version, MINIMUM_LINUX) <= 0 || h.note?.startsWith("without it") || h.note?.startsWith("only ")),
      "every feature newer than the minimum says what void does without it",
    );
  });
});
