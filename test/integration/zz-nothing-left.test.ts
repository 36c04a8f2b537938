/**
 * Runs last (files run in name order): after the whole suite, nothing the
 * tests started or built is left on the machine.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { pidsRunning, waitFor } from "./harness.js";

/** Zombie children of this test process (a void that was never reaped). */
function zombieChildren(): number[] {
  const zombies: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === process.pid) zombies.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return zombies;
}

describe("after the whole suite", () => {
  it("no void-init, probe or test program is still running", async () => {
    assert.ok(await waitFor(() => pidsRunning("void-init").length === 0, 5000), `void-init still running: ${pidsRunning("void-init")}`);
    assert.ok(await waitFor(() => pidsRunning("/void-test-").length === 0, 5000), `still running: ${pidsRunning("/void-test-")}`);
    // forktop's tests (packages/forktop) stage their programs in forktop-test-* dirs.
    assert.ok(await waitFor(() => pidsRunning("/forktop-test-").length === 0, 5000), `still running: ${pidsRunning("/forktop-test-")}`);
  });

  it("no temp dir of the tests remains", () => {
    assert.deepEqual(
      readdirSync(tmpdir()).filter((n) => n.startsWith("void-test-") || n.startsWith("forktop-test-")),
      [],
    );
  });

  it("no mount under the temp dir in this mount namespace", () => {
    const mounts = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .filter((l) => l.split(" ")[4]?.startsWith(tmpdir() + "/"));
    assert.deepEqual(mounts, []);
  });

  it("no zombie children", () => {
    assert.deepEqual(zombieChildren(), []);
  });
});
