/**
 * What scripts/gen-man.mjs writes, file by file: the man pages and shell
 * completions of void and forktop, rendered from their commander trees
 * (void-program.ts; forktop's packages/forktop/src/cli/program.ts, through
 * the workspace package). test/unit/man-completions.test.ts compares the
 * committed files with this.
 */
import { EXIT_STATUS as FORKTOP_EXIT_STATUS, buildProgram as buildForktop } from "@void-run/forktop/program";
import { buildProgram as buildVoid, EXIT_STATUS as VOID_EXIT_STATUS } from "../void-program.js";
import { renderBash, renderZsh } from "./completions.js";
import { renderMan } from "./man.js";

const noStatus = () => {};

/** The version of each package, from its package.json. */
export interface Versions {
  void: string;
  forktop: string;
}

/** Generated files, by path relative to the repository root. */
export function generatedFiles(versions: Versions): Map<string, string> {
  const source = `void-run ${versions.void}`;
  const voidProgram = buildVoid(noStatus);
  const forktop = buildForktop(noStatus);
  return new Map([
    [
      "man/void.1",
      renderMan({
        program: voidProgram,
        source,
        exitStatus: `void run: ${VOID_EXIT_STATUS}\n\nvoid check, pack, schema: 0 on success; 2 for invalid input (spec, binary, usage). void doctor: 0 when this machine can build voids, else 1.`,
        seeAlso: ["forktop(1)", "namespaces(7)", "user_namespaces(7)", "seccomp(2)", "the package's README.md and docs/ (spec.md: the spec format; security.md: what a void can and cannot do)"],
      }),
    ],
    [
      "packages/forktop/man/forktop.1",
      renderMan({
        program: forktop,
        source: `forktop ${versions.forktop}`,
        exitStatus: FORKTOP_EXIT_STATUS,
        seeAlso: ["void(1)", "ptrace(2)", "namespaces(7)", "the package's docs/forktop.md (the JSON format and the privilege rules)"],
      }),
    ],
    ["completions/void.bash", renderBash(voidProgram)],
    ["completions/_void", renderZsh(voidProgram)],
    ["packages/forktop/completions/forktop.bash", renderBash(forktop)],
    ["packages/forktop/completions/_forktop", renderZsh(forktop)],
  ]);
}
