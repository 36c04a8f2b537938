/**
 * Which native binaries void picks (src/native/binaries.ts): build/ first,
 * then the tarball's prebuilt/linux-ARCH/; another platform or
 * architecture, musl or an older glibc get a message naming the platform,
 * the supported ones and how to build from source.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GLIBC_BASELINE, glibcProblem, PREBUILT_PLATFORMS, selectBinaries } from "../../src/native/binaries.js";

const root = "/opt/void-run";

function host(platform: string, arch: string, present: string[]) {
  return { platform, arch, exists: (p: string) => present.includes(p) };
}

describe("native binaries", () => {
  it("prefers build/ to the prebuilt ones", () => {
    const found = selectBinaries(root, host("linux", "x64", ["/opt/void-run/build/void.node", "/opt/void-run/prebuilt/linux-x64/void.node"]));
    assert.deepEqual(found, {
      source: "built",
      dir: "/opt/void-run/build",
      addon: "/opt/void-run/build/void.node",
      init: "/opt/void-run/build/void-init",
      front: "/opt/void-run/build/void-run-fast",
    });
  });

  it("uses prebuilt/linux-ARCH/ for x64 and arm64 when nothing was built", () => {
    for (const arch of ["x64", "arm64"]) {
      const found = selectBinaries(root, host("linux", arch, [`/opt/void-run/prebuilt/linux-${arch}/void.node`]));
      assert.ok(!("error" in found));
      assert.equal(found.source, "prebuilt");
      assert.equal(found.init, `/opt/void-run/prebuilt/linux-${arch}/void-init`);
      assert.equal(found.front, `/opt/void-run/prebuilt/linux-${arch}/void-run-fast`);
    }
    assert.deepEqual(PREBUILT_PLATFORMS, ["linux-x64", "linux-arm64"]);
  });

  it("refuses any other platform or architecture, saying which are supported and how to build", () => {
    for (const [platform, arch] of [
      ["linux", "riscv64"],
      ["linux", "ia32"],
      ["darwin", "arm64"],
    ] as const) {
      const found = selectBinaries(root, host(platform, arch, ["/opt/void-run/prebuilt/linux-x64/void.node", "/opt/void-run/prebuilt/linux-arm64/void.node"]));
      assert.ok("error" in found);
      assert.match(found.error, new RegExp(`no native binaries for ${platform}-${arch}`));
      assert.match(found.error, /linux-x64 and linux-arm64 \(glibc >= 2\.17\)/);
      assert.match(found.error, /npm run build:native/);
      assert.match(found.error, /README/);
    }
  });

  it("says the addon is not built when a supported platform has neither", () => {
    const found = selectBinaries(root, host("linux", "x64", []));
    assert.ok("error" in found);
    assert.match(found.error, /not built .*npm run build:native/);
  });

  it("names a missing or older glibc", () => {
    assert.equal(GLIBC_BASELINE, "2.17");
    assert.equal(glibcProblem("2.17", "linux-x64"), undefined);
    assert.equal(glibcProblem("2.36", "linux-arm64"), undefined);
    assert.match(glibcProblem("2.12", "linux-x64") ?? "", /glibc 2\.12 is older than 2\.17/);
    assert.match(glibcProblem("2.9", "linux-x64") ?? "", /older than 2\.17/);
    assert.match(glibcProblem(undefined, "linux-x64") ?? "", /no glibc \(musl\?\)/);
  });
});
