/**
 * The seccomp plan (pure) and how specs and runtime specs may change it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_DENY, planSeccomp } from "../../src/plan/seccomp.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue } from "../../src/spec/runtime.js";
import { X86_64_SYSCALLS } from "../../src/spec/syscalls.js";
import type { Spec } from "../../src/spec/types.js";

function spec(environment: unknown[]): Spec {
  const r = parseSpecValue({ entrypoints: { main: { environment } } });
  assert.ok(r.ok, JSON.stringify(r));
  return r.spec;
}

describe("seccomp", () => {
  it("every default-denied call is a real x86_64 system call", () => {
    for (const name of DEFAULT_DENY) assert.ok(Object.hasOwn(X86_64_SYSCALLS, name), name);
  });

  it("denies the defaults and namespace clones; allow and deny adjust the list", () => {
    const plain = planSeccomp([], "x64");
    assert.ok("mode" in plain && plain.mode === "filter");
    assert.ok(plain.deny.some((d) => d.name === "bpf" && d.nr === 321));
    assert.equal(plain.denyNamespaceClone, true);
    const adjusted = planSeccomp(spec([{ Seccomp: { allow: ["ptrace", "unshare"], deny: ["socket"] } }]).entrypoints[0]!.environment, "x64");
    assert.ok("mode" in adjusted && adjusted.mode === "filter");
    const names = adjusted.deny.map((d) => d.name);
    assert.ok(!names.includes("ptrace") && names.includes("socket"));
    assert.equal(adjusted.denyNamespaceClone, false, "allowing unshare allows namespace clones too");
    // Strictly ascending by number: the native filter searches it as a tree, and native/plan.c refuses anything else.
    for (const list of [plain.deny, adjusted.deny]) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i]!.nr > list[i - 1]!.nr, `${list[i]!.name} out of order`);
    }
    assert.deepEqual(planSeccomp(spec(["SeccompUnconfined"]).entrypoints[0]!.environment, "x64"), { mode: "unconfined" });
  });

  it("refuses to run unfiltered silently on an architecture without a table", () => {
    assert.match((planSeccomp([], "arm64") as { error: string }).error, /x86_64 only.*SeccompUnconfined/);
  });

  it("rejects unknown system calls with a did-you-mean, and two filters", () => {
    const text = (environment: unknown[]) => {
      const r = parseSpecValue({ entrypoints: { main: { environment } } });
      assert.ok(!r.ok);
      return r.errors.map((e) => `${e.path}: ${e.message} ${e.hint ?? ""}`).join("\n");
    };
    assert.match(text([{ Seccomp: { allow: ["ptrac"] } }]), /environment\[0\]\.Seccomp\.allow\[0\]: unknown system call "ptrac" did you mean "ptrace"\?/);
    assert.match(text([{ Seccomp: { allow: ["ptrace"] } }, "SeccompUnconfined"]), /environment\[1\]: a second seccomp setting/);
  });

  it("a runtime spec may tighten the filter but never loosen it", () => {
    const compiled = spec([{ Seccomp: { allow: ["ptrace"], deny: ["socket"] } }]);
    const tighter = applyRuntimeValue(compiled, { entrypoints: { main: { environment: [{ Seccomp: { deny: ["socket", "connect"] } }] } } }, "rt.json");
    assert.ok(tighter.ok, JSON.stringify(tighter));
    for (const [env, why] of [
      [[{ Seccomp: { allow: ["ptrace", "bpf"], deny: ["socket"] } }], /allows "bpf"/],
      [[{ Seccomp: { allow: ["ptrace"] } }], /no longer denies "socket"/],
      [[], /leaving out the Seccomp grant would no longer deny "socket"/],
      [["SeccompUnconfined"], /widens/],
    ] as const) {
      const r = applyRuntimeValue(compiled, { entrypoints: { main: { environment: env } } }, "rt.json");
      assert.ok(!r.ok, JSON.stringify(env));
      assert.match(r.errors.map((e) => e.message).join("\n"), why);
    }
  });
});
