/**
 * Setting up a fresh clone leaves `git status` clean: the steps of
 * scripts/setup.sh that touch the checkout (npm install, npm run build, the
 * examples' build; not its Debian packages) run in a clone of this
 * checkout's HEAD, and then nothing is modified or untracked. In
 * particular `npm install` leaves the committed package-lock.json as it is
 * (it matches package.json), and every build output is ignored.
 *
 * It tests the last commit, not uncommitted changes. Skipped, saying why,
 * outside a git checkout or when npm cannot reach a registry for a
 * dependency it does not have cached.
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "./harness.js";

const inGit = spawnSync("git", ["-C", repoRoot, "rev-parse", "--is-inside-work-tree"], { encoding: "utf8" }).stdout?.trim() === "true";
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|request to .* failed/;

let dir = "";

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function ok(r: SpawnSyncReturns<string>, what: string): void {
  assert.equal(r.status, 0, `${what}: ${r.stderr}${r.error ? String(r.error) : ""}`);
}

describe("setting up a clone", { skip: inGit ? false : "not in a git checkout" }, () => {
  it("leaves git status clean: package-lock.json unchanged, every build output ignored", (t) => {
    dir = mkdtempSync(join(tmpdir(), "void-test-setup-"));
    const clone = join(dir, "void");
    ok(spawnSync("git", ["clone", "--quiet", "--shared", repoRoot, clone], { encoding: "utf8" }), "git clone");
    const opts = { cwd: clone, encoding: "utf8" as const, timeout: 300_000 };
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], opts);
    if (install.status !== 0 && UNREACHABLE.test(install.stderr)) {
      t.skip(`npm install could not reach a registry for an uncached dependency: ${install.stderr.trim().split("\n")[0]}`);
      return;
    }
    ok(install, "npm install");
    const afterInstall = spawnSync("git", ["status", "--porcelain"], opts);
    ok(afterInstall, "git status");
    assert.equal(afterInstall.stdout, "", "npm install changed the checkout (package-lock.json out of step with package.json?)");
    ok(spawnSync("npm", ["run", "--silent", "build"], opts), "npm run build");
    ok(spawnSync("sh", ["examples/build.sh"], opts), "examples/build.sh");
    const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], opts);
    ok(status, "git status");
    assert.equal(status.stdout, "", "the set-up left files that are neither committed nor ignored");
  });
});
