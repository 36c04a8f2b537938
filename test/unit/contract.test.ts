/**
 * The wire format between TypeScript and C is defined once
 * (src/native/contract.ts): native/contract.h is what the table renders,
 * the C compiler sees the table's values through native/plan.h, and no C
 * file of the native layer defines one of its names again.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { constants } from "node:os";
import { getSystemErrorMap } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CONTRACT, FdLayout, Limit } from "../../src/native/contract.js";
import { renderContractHeader, renderTextsHeader } from "../../src/native/contract-header.js";
import { ERRNO_TEXTS, errnoName, SIGNAL_NAMES, signalName, strerror } from "../../src/native/texts.js";
import { firstMessageFd } from "../../src/orchestrator/prepared.js";
import type { VoidPlan } from "../../src/plan/types.js";
import { USER_LIMIT_NAMES } from "../../src/plan/types.js";
import { FILE_SOCKET_MAX_FDS } from "../../src/rpc/protocol.js";
import { MAX_CONNECTS } from "../../src/spec/validate.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const entries = CONTRACT.flatMap((g) => Object.values(g.entries));

describe("the contract between TypeScript and C", () => {
  it("native/contract.h is exactly what src/native/contract.ts renders (npm run gen-contract)", () => {
    assert.equal(readFileSync(join(repoRoot, "native", "contract.h"), "utf8"), renderContractHeader(), "native/contract.h is stale: run npm run gen-contract");
  });

  it("native/texts.h is exactly what src/native/texts.ts renders (npm run gen-contract)", () => {
    assert.equal(readFileSync(join(repoRoot, "native", "texts.h"), "utf8"), renderTextsHeader(), "native/texts.h is stale: run npm run gen-contract");
  });

  it("the errno texts are libuv's and the signal names the kernel's numbers, whatever Node runs", () => {
    // Node's table is where the texts come from; this Node may lack one (Node 20 has no ENOEXEC) but never disagrees.
    const node = getSystemErrorMap();
    for (const [errno, name, text] of ERRNO_TEXTS) {
      assert.equal(strerror(errno), text);
      assert.equal(errnoName(errno), name);
      const theirs = node.get(-errno);
      if (theirs === undefined) continue;
      assert.equal(theirs[0], name, `errno ${errno}`);
      assert.equal(theirs[1].toLowerCase(), text.toLowerCase(), `errno ${errno}`);
    }
    for (const [errno, [name]] of node) if (errno < 0 && -errno < 1000) assert.equal(errnoName(-errno), name, `errno ${-errno} (${name}) is missing from the table`);
    assert.equal(strerror(10), "error 10", "an errno libuv has no text for");
    const signals = constants.signals as Record<string, number>;
    for (const [num, name] of SIGNAL_NAMES) assert.equal(signals[name], num, name);
    assert.equal(new Set(SIGNAL_NAMES.map(([n]) => n)).size, SIGNAL_NAMES.length, "a signal number appears twice");
    assert.equal(signalName(6), "SIGABRT");
    assert.equal(signalName(34), "signal 34");
  });

  it("names and values are unique where they must be: one C name per number, one value per tag, one bit per flag", () => {
    const names = entries.map((e) => e.c);
    assert.equal(new Set(names).size, names.length, "a C name appears twice");
    for (const g of CONTRACT) {
      const values = Object.values(g.entries).map((e) => e.value);
      if (g.enumName !== undefined) assert.equal(new Set(values).size, values.length, `${g.title}: a value appears twice`);
      if (g.bits !== undefined) for (const v of values) assert.ok(v > 0 && (v & (v - 1)) === 0, `${g.title}: ${v} is not one bit`);
    }
  });

  it("the C compiler sees the table's values through native/plan.h", { skip: hasGcc ? false : "gcc is not installed" }, () => {
    const dir = mkdtempSync(join(tmpdir(), "void-contract-"));
    try {
      const src = join(dir, "values.c");
      const prints = entries.map((e) => `  printf("%s %lld\\n", "${e.c}", (long long)(${e.c}));`);
      writeFileSync(src, ["#include <stdio.h>", '#include "plan.h"', "int main(void) {", ...prints, "  return 0;", "}", ""].join("\n"));
      const bin = join(dir, "values");
      const cc = spawnSync("gcc", ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", join(repoRoot, "native"), "-o", bin, src], { encoding: "utf8" });
      assert.equal(cc.status, 0, cc.stderr);
      const r = spawnSync(bin, { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        r.stdout.trimEnd().split("\n"),
        entries.map((e) => `${e.c} ${e.value}`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("no file of the native layer defines a name of the contract itself", () => {
    const native = join(repoRoot, "native");
    const files = readdirSync(native).filter((f) => (f.endsWith(".c") || f.endsWith(".h")) && f !== "contract.h");
    for (const f of files) {
      const text = readFileSync(join(native, f), "utf8");
      for (const e of entries) {
        assert.doesNotMatch(text, new RegExp(`(#define\\s+${e.c}\\b|\\b${e.c}\\s*=[^=])`), `${f} defines ${e.c}: it belongs to src/native/contract.ts`);
      }
    }
  });

  it("the TypeScript side takes its numbers from the table", () => {
    assert.equal(FILE_SOCKET_MAX_FDS, Limit.MessageMaxFds);
    assert.equal(MAX_CONNECTS, Limit.MaxConnects);
    assert.ok(USER_LIMIT_NAMES.length <= Limit.MaxUserLimits);
    assert.ok(USER_LIMIT_NAMES.every((n) => n.length <= Limit.MaxUserLimitName && /^[a-z_]+$/.test(n)));
    // A message's fds go where the status pipe sits: above the grants, never below the first granted fd.
    const fds = (...n: number[]) => ({ fds: n.map((fd) => ({ fd, source: { kind: "devnull" } })) }) as unknown as VoidPlan;
    assert.equal(firstMessageFd(fds(0, 1, 2)), FdLayout.FirstGranted + FdLayout.MessageFdsAboveStatus);
    assert.equal(firstMessageFd(fds(0, 1, 2, 3, 4)), 4 + FdLayout.StatusAboveGrants + FdLayout.MessageFdsAboveStatus);
  });

  it("lib/c/void.h, which programs copy and build without the package, states the same fd limit", () => {
    const text = readFileSync(join(repoRoot, "lib", "c", "void.h"), "utf8");
    assert.match(text, new RegExp(`#define VOID_FILESOCKET_MAX_FDS ${Limit.MessageMaxFds}\\b`));
  });
});
