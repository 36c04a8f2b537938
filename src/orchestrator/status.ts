/**
 * The status records a void reports on its status pipe (native/plan.h),
 * and what they mean for the void's outcome.
 */
import { constants } from "node:os";
import { getSystemErrorMap } from "node:util";
import type { WaitStatus } from "../native/addon.js";

export type StatusRecord =
  | { kind: "error"; errno: number; what: string }
  | { kind: "stopped"; nsPid: number }
  | { kind: "exited"; code: number }
  | { kind: "killed"; signal: number };

export function parseRecords(text: string): StatusRecord[] {
  const records: StatusRecord[] = [];
  for (const line of text.split("\n")) {
    const [kind, a = "", ...rest] = line.split("\t");
    const n = Number.parseInt(a, 10);
    if (kind === "E") records.push({ kind: "error", errno: n, what: rest.join("\t") });
    else if (kind === "S") records.push({ kind: "stopped", nsPid: n });
    else if (kind === "X") records.push({ kind: "exited", code: n });
    else if (kind === "K") records.push({ kind: "killed", signal: n });
  }
  return records;
}

let errorMap: Map<number, [string, string]> | undefined;

/** "No such file or directory" for 2, like strerror(3). */
export function strerror(errno: number): string {
  errorMap ??= getSystemErrorMap();
  const entry = errorMap.get(-errno);
  if (entry === undefined) return `error ${errno}`;
  const text = entry[1];
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, num]) => [num, name]));

/** "SIGSEGV" for 11. */
export function signalName(signal: number): string {
  return signalNames.get(signal) ?? `signal ${signal}`;
}

/** How one void ended, from its init's wait status and its records. */
export interface Outcome {
  /** The exit status this void contributes to `void run`'s. */
  status: number;
  /** A set-up or execve failure, e.g. "bind /srv/data -> /data: No such file or directory". */
  failure?: string;
  /** The entrypoint died from this signal. */
  signal?: number;
  /** Human summary: "exited with 0", "killed by SIGSEGV", ... */
  summary: string;
}

export function outcomeOf(wait: WaitStatus, records: StatusRecord[]): Outcome {
  const error = records.find((r) => r.kind === "error");
  const failure = error?.kind === "error" ? `${error.what}: ${strerror(error.errno)}` : undefined;
  const last = [...records].reverse().find((r) => r.kind === "exited" || r.kind === "killed");
  if (last?.kind === "killed") {
    return { status: 128 + last.signal, signal: last.signal, summary: `killed by ${signalName(last.signal)}`, ...(failure ? { failure } : {}) };
  }
  if (last?.kind === "exited") {
    return { status: last.code, summary: `exited with status ${last.code}`, ...(failure ? { failure } : {}) };
  }
  if (wait.signal !== undefined) {
    return { status: 128 + wait.signal, signal: wait.signal, summary: `killed by ${signalName(wait.signal)}`, ...(failure ? { failure } : {}) };
  }
  const code = wait.code ?? 125;
  return { status: code, summary: failure ? "failed to start" : `exited with status ${code}`, ...(failure ? { failure } : {}) };
}
