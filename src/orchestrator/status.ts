/**
 * The status records a void reports on its status pipe (native/plan.h),
 * and what they mean for the void's outcome.
 */
import type { WaitStatus } from "../native/addon.js";
import { signalName, strerror } from "../native/texts.js";
import { visible } from "./log.js";

export type StatusRecord =
  | { kind: "error"; errno: number; what: string }
  | { kind: "stopped"; nsPid: number }
  | { kind: "exited"; code: number }
  | { kind: "killed"; signal: number }
  /** Anything else: not something void-init or the child writes (or the addon's "F": the pipe was flooded). */
  | { kind: "malformed"; text: string };

/** At most this much of a record's text is kept (a path, PATH_MAX, and the name of a syscall). */
const MAX_WHAT = 4096 + 512;

/**
 * `text` with every byte a terminal could act on made visible (log.ts
 * visible: controls as \xNN, invisible format characters as \u{..}), a
 * backslash doubled so that an escape the void typed reads as typed. A
 * void chooses the paths in its failure records; they reach the
 * launcher's stderr only this way.
 */
export function escapeText(text: string, max = MAX_WHAT): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return visible(cut.replaceAll("\\", "\\\\"));
}

/**
 * The records in `text`, complete lines only. Each must be exactly what
 * native/plan.h lists; any other line becomes a "malformed" record, which
 * makes the void a failure (outcomeOf), never something printed as is.
 */
export function parseRecords(text: string): StatusRecord[] {
  const records: StatusRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([ESXKF])\t(-?\d{1,10})(?:\t([^\n]*))?$/.exec(line);
    const kind = m?.[1];
    const n = Number.parseInt(m?.[2] ?? "", 10);
    const rest = m?.[3];
    if (kind === "E" && rest !== undefined && n > 0 && n < 4096) records.push({ kind: "error", errno: n, what: escapeText(rest) });
    else if (kind === "S" && rest === undefined && n > 0) records.push({ kind: "stopped", nsPid: n });
    else if (kind === "X" && rest === undefined && n >= 0 && n <= 255) records.push({ kind: "exited", code: n });
    else if (kind === "K" && rest === undefined && n > 0 && n < 65) records.push({ kind: "killed", signal: n });
    else records.push({ kind: "malformed", text: line.startsWith("F\t") ? line.slice(2) : `"${escapeText(line, 80)}"` });
  }
  return records;
}

/** How one void ended, from its init's wait status and its records. */
export interface Outcome {
  /** The exit status this void contributes to `void run`'s. */
  status: number;
  /** A set-up or execve failure, e.g. "bind /srv/data -> /data: No such file or directory". */
  failure?: string;
  /** The errno of that failure (ENOMEM or ENOSPC while a void is made under a memory limit says why, run.ts). */
  failureErrno?: number;
  /** The entrypoint died from this signal. */
  signal?: number;
  /** Human summary: "exited with 0", "killed by SIGSEGV", ... */
  summary: string;
}

/** Exit status of a void whose status pipe did not hold to the protocol (as for a void that could not be created). */
const MALFORMED_STATUS = 125;

export function outcomeOf(wait: WaitStatus, records: StatusRecord[]): Outcome {
  // void-init reports one end, once; anything else on its pipe was not written by it.
  const ends = records.filter((r) => r.kind === "exited" || r.kind === "killed");
  const malformed = records.find((r) => r.kind === "malformed");
  if (malformed?.kind === "malformed" || ends.length > 1) {
    const why = malformed?.kind === "malformed" ? `a malformed record: ${malformed.text}` : `${ends.length} exit records`;
    return { status: MALFORMED_STATUS, summary: "failed", failure: `void-init's status pipe carried ${why}; the void is counted as failed` };
  }
  const error = records.find((r) => r.kind === "error");
  const failed = error?.kind === "error" ? { failure: `${error.what}: ${strerror(error.errno)}`, failureErrno: error.errno } : {};
  const last = ends[0];
  if (last?.kind === "killed") {
    return { status: 128 + last.signal, signal: last.signal, summary: `killed by ${signalName(last.signal)}`, ...failed };
  }
  if (last?.kind === "exited") {
    return { status: last.code, summary: `exited with status ${last.code}`, ...failed };
  }
  if (wait.signal !== undefined) {
    return { status: 128 + wait.signal, signal: wait.signal, summary: `killed by ${signalName(wait.signal)}`, ...failed };
  }
  const code = wait.code ?? 125;
  return { status: code, summary: failed.failure !== undefined ? "failed to start" : `exited with status ${code}`, ...failed };
}
