/**
 * The man pages (man/) and shell completions (completions/) are what
 * scripts/gen-man.mjs renders from the commander programs behind --help
 * (src/cli/gen/): a changed option or help text without regenerating them
 * fails here. And the bash completion completes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../../src/cli/gen/pages.js";
import { roffText } from "../../src/cli/gen/man.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const versionOf = (dir: string): string => (JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { version: string }).version;
const versions = { void: versionOf("."), forktop: versionOf("packages/forktop") };

describe("generated man pages and completions", () => {
  for (const [path, text] of generatedFiles(versions)) {
    it(`${path} is what scripts/gen-man.mjs generates`, () => {
      const committed = readFileSync(join(root, path), "utf8");
      assert.equal(committed, text, `${path} differs from the CLI's help: run npm run gen-man, and commit the result`);
    });
  }

  it("every option of void run and forktop is in its man page", () => {
    const voidPage = readFileSync(join(root, "man/void.1"), "utf8");
    for (const flag of ["\\-\\-spec", "\\-\\-runtime", "\\-\\-host\\-root", "\\-\\-prepare", "\\-\\-max\\-concurrent", "\\-\\-allow\\-unenforced\\-limits", "\\-\\-json"])
      assert.ok(voidPage.includes(flag), flag);
    assert.match(voidPage, /^\.SH EXIT STATUS$/m);
    const forktopPage = readFileSync(join(root, "packages/forktop/man/forktop.1"), "utf8");
    for (const flag of ["\\-\\-pid", "\\-\\-once", "\\-\\-program\\-output", "\\-\\-rescan\\-ms"]) assert.ok(forktopPage.includes(flag), flag);
  });

  it("help text becomes roff: escaped hyphens and backslashes, a leading dot guarded, indented lines kept as written", () => {
    assert.deepEqual(roffText("a -b \\c\n.d\n\nExamples:\n  void run x\n  y"), ["a \\-b \\ec", "\\&.d", ".PP", "Examples:", ".RS 4", ".nf", "void run x", "y", ".fi", ".RE"]);
  });
});

function bashComplete(script: string, fn: string, words: string[]): string[] {
  const r = spawnSync("bash", ["-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`, "complete", join(root, script), ...words], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("bash completion", { skip: spawnSync("bash", ["-c", "true"]).status !== 0 ? "no bash" : false }, () => {
  it("offers the subcommands, then each one's options, then file names", () => {
    assert.deepEqual(bashComplete("completions/void.bash", "_void", ["void", "r"]), ["run"]);
    assert.deepEqual(bashComplete("completions/void.bash", "_void", ["void", ""]), ["run", "check", "pack", "schema", "doctor", "cache"]);
    const runOptions = bashComplete("completions/void.bash", "_void", ["void", "run", "--s"]);
    assert.deepEqual(runOptions, ["--spec", "--stdout", "--stderr"]);
    assert.deepEqual(bashComplete("completions/void.bash", "_void", ["void", "run", "-s", "examples/fib/spe"]), ["examples/fib/spec.json"]);
    assert.deepEqual(bashComplete("completions/void.bash", "_void", ["void", "check", "--runtime", "READM"]), ["README.md"]);
    // After BINARY, words are the program's own: file names, not void's options.
    assert.deepEqual(bashComplete("completions/void.bash", "_void", ["void", "run", "-s", "x.json", "./app", "READM"]), ["README.md"]);
    assert.deepEqual(bashComplete("packages/forktop/completions/forktop.bash", "_forktop", ["forktop", "--p"]), ["--pid", "--program-output", "--poll"]);
  });
});
