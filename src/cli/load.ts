/**
 * Shared by `void run` and `void check`: read and validate a spec, then
 * plan it for a binary. Any problem here is the user's input, reported in
 * full and with exit status 2, before anything is spawned.
 */
import { existsSync, readFileSync } from "node:fs";
import { formatDiagnostics } from "../spec/format.js";
import { parseSpec } from "../spec/parse.js";
import { formatRuntimeDiagnostics, resolveRuntime } from "../spec/runtime.js";
import type { Spec } from "../spec/types.js";
import { planApplication } from "../plan/plan.js";
import { realHost } from "../plan/real-host.js";
import type { VoidPlan } from "../plan/types.js";

/** Exit status for invalid input: spec, binary, libraries, arguments. */
export const EXIT_INVALID_INPUT = 2;

export class InputError extends Error {
  constructor(
    message: string,
    readonly status = EXIT_INVALID_INPUT,
  ) {
    super(message);
  }
}

/**
 * The compile-time spec with the deployment's runtime spec applied: the
 * --runtime file, then VOID_RUNTIME, then VOID_LISTEN_<ENTRYPOINT>
 * (docs/spec.md, "Runtime specs"). Each may re-parameterise, none may
 * widen; a widening is invalid input. `changes` lists what was changed.
 */
export function loadSpecWithRuntime(path: string, runtimeFile: string | undefined, warn: (text: string) => void): { spec: Spec; changes: string[] } {
  const compiled = loadSpec(path, warn);
  const result = resolveRuntime(compiled, { file: runtimeFile, env: process.env, readFile: (p) => readFileSync(p, "utf8") });
  if (result.warnings.length > 0) warn(formatRuntimeDiagnostics(result.warnings).trimEnd());
  if (!result.ok) throw new InputError(formatRuntimeDiagnostics(result.errors));
  return { spec: result.spec, changes: result.changes };
}

export function loadSpec(path: string, warn: (text: string) => void): Spec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the spec: ${code === "ENOENT" ? "no such file" : String(e)}`);
  }
  const result = parseSpec(text);
  if (result.warnings.length > 0) warn(formatDiagnostics(result.warnings, path).trimEnd());
  if (!result.ok) throw new InputError(formatDiagnostics(result.errors, path));
  return result.spec;
}

export interface PlanOptions {
  binary: string;
  trailing: string[];
  grantStdout: boolean;
  grantStderr: boolean;
}

export function timeNamespaceAvailable(): boolean {
  return existsSync("/proc/self/ns/time");
}

export function planFor(spec: Spec, opts: PlanOptions): VoidPlan[] {
  const result = planApplication(
    spec,
    {
      binary: opts.binary,
      trailing: opts.trailing,
      cwd: process.cwd(),
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      timeNamespace: timeNamespaceAvailable(),
      arch: process.arch,
      grantStdout: opts.grantStdout,
      grantStderr: opts.grantStderr,
    },
    realHost,
  );
  if (!result.ok) throw new InputError(result.errors.map((e) => `void: error: ${e}`).join("\n"));
  return result.plans;
}
