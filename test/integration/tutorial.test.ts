/**
 * docs/tutorial.md, run as a new user would: every ```sh block is run in
 * order (as root and as an unprivileged launcher, from a scratch copy of
 * examples/tutorial standing in for /tmp/greet), and every plain ``` block
 * right after one is the output it must print. The specs shown in the page
 * must be the files in examples/tutorial. So the page cannot drift from
 * the code without this test failing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { asLauncher, type Launcher, launchers, makeStage, repoRoot, type Stage, scratch, UNPRIV_GID, UNPRIV_UID } from "./harness.js";

const DOC_DIR = "/tmp/greet";
const tutorialSrc = join(repoRoot, "examples", "tutorial");
const page = readFileSync(join(repoRoot, "docs", "tutorial.md"), "utf8");

interface Block {
  lang: string;
  text: string;
}

/** Fenced code blocks of the page, in order. */
function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /^```([a-z]*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push({ lang: m[1]!, text: m[2]! });
  return out;
}

interface Step {
  command: string;
  /** The output block after it, if any. */
  expected: string | undefined;
}

function steps(markdown: string): Step[] {
  const all = blocks(markdown);
  const out: Step[] = [];
  all.forEach((b, i) => {
    if (b.lang !== "sh") return;
    const next = all[i + 1];
    out.push({ command: b.text, expected: next && next.lang === "" ? next.text : undefined });
  });
  return out;
}

/**
 * Does `actual` match the page's `expected`? Lines are compared as a set
 * when the block has no elision (concurrent voids print in any order);
 * a line "..." skips any lines, and " ... " inside a line skips any text.
 */
function matches(expected: string, actual: string): boolean {
  const want = expected.trimEnd().split("\n");
  const got = actual.trimEnd().split("\n");
  if (!want.some((l) => l.trim() === "..." || l.includes(" ... "))) {
    return JSON.stringify([...want].sort()) === JSON.stringify([...got].sort());
  }
  const lineRe = (l: string) =>
    new RegExp(
      `^${l
        .split(" ... ")
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(" .* ")}$`,
    );
  let g = 0;
  for (const l of want) {
    if (l.trim() === "...") continue;
    const re = lineRe(l);
    while (g < got.length && !re.test(got[g]!)) g++;
    if (g === got.length) return false;
    g++;
  }
  return true;
}

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

describe("docs/tutorial.md", () => {
  it("shows the specs that are in examples/tutorial", () => {
    const shown = blocks(page)
      .filter((b) => b.lang === "json")
      .map((b) => JSON.parse(b.text));
    const files = ["spec-plain.json", "spec.json", "spec-sort.json", "spec-fetch.json"].map((f) => JSON.parse(readFileSync(join(tutorialSrc, f), "utf8")));
    assert.deepEqual(shown, files);
  });

  it("has commands with outputs to check", () => {
    assert.ok(steps(page).filter((s) => s.expected !== undefined).length >= 5);
  });

  for (const launcher of launchers) {
    it(`every command prints what the page shows (${launcher} launcher)`, () => {
      const dir = scratch(stage, `greet-${launcher}`);
      for (const f of readdirSync(tutorialSrc)) {
        if (!f.endsWith(".c") && !f.endsWith(".json") && !f.endsWith(".sh")) continue;
        const text = readFileSync(join(tutorialSrc, f), "utf8").replaceAll(DOC_DIR, dir);
        writeFileSync(join(dir, f), text, { mode: f.endsWith(".sh") ? 0o755 : 0o644 });
      }
      for (const f of ["void.c", "void.h"]) copyFileSync(join(repoRoot, "lib", "c", f), join(dir, f));
      if (launcher === "unprivileged") {
        chownSync(dir, UNPRIV_UID, UNPRIV_GID);
        for (const f of readdirSync(dir)) chownSync(join(dir, f), UNPRIV_UID, UNPRIV_GID);
      }
      const env = { PATH: `${join(stage.dir, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: dir };
      const run = (command: string) => {
        const [cmd, ...args] = asLauncher(launcher as Launcher, ["sh", "-c", `exec 2>&1\n${command.replaceAll(DOC_DIR, dir)}`]);
        return spawnSync(cmd!, args, { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      };
      for (const step of steps(page)) {
        // The first block sets up the scratch directory, done above.
        if (step.command.includes("export PATH")) {
          run("echo Hello > greeting.txt");
          continue;
        }
        const r = run(step.command);
        assert.equal(r.error, undefined, `${step.command}: ${r.error}`);
        if (step.expected === undefined) continue;
        const want = step.expected.replaceAll(DOC_DIR, dir);
        assert.ok(matches(want, r.stdout), `$ ${step.command} (status ${r.status}, stderr ${r.stderr})\n--- the page shows:\n${want}\n--- it printed:\n${r.stdout}`);
      }
    });
  }
});
