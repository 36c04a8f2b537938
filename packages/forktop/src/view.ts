/**
 * What forktop's screen shows, as plain lines of styled segments, computed
 * from the model for a given terminal size. The ink components only draw
 * these lines, so everything here is tested without a terminal.
 *
 * Every string from a traced process (command lines, paths, comm) is
 * sanitized first: a control character or escape sequence in a command
 * line must not reach the terminal.
 */

import {
  type Difference,
  describeCaps,
  differencesOf,
  differingNamespaces,
  formatExit,
  formatIdMap,
  insideId,
  type LogEntry,
  type Proc,
  type ProcessTable,
  processName,
  type Row,
  capMask,
} from "./model.js";
import { CAP_SETS, NAMESPACES, type Namespace, type Snapshot } from "./protocol.js";

export interface Seg {
  text: string;
  color?: "red" | "green" | "yellow" | "cyan" | "magenta" | "blue" | "gray";
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

/** Replaces control characters (C0, DEL, C1) by "?" and tabs by a space. */
export function sanitize(s: string): string {
  // Control characters (C0, DEL, C1), and the invisible characters that reorder or hide text on a terminal that
  // does bidi (U+202E right-to-left override, the isolates, zero-width and direction marks, line and paragraph
  // separators, the byte order mark): a process could make its name read as another's.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this is exactly what it removes
  return s.replace(/\t/g, " ").replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]/g, "?");
}

/** Cuts to `width` characters (an ellipsis marks a cut) and pads with spaces. */
export function fit(s: string, width: number, align: "left" | "right" = "left"): string {
  if (width <= 0) return "";
  const chars = [...s];
  if (chars.length > width) return width === 1 ? "…" : chars.slice(0, width - 1).join("") + "…";
  const pad = " ".repeat(width - chars.length);
  return align === "left" ? s + pad : pad + s;
}

export function lineText(line: Line): string {
  return line.map((s) => s.text).join("");
}

export function lineWidth(line: Line): number {
  return [...lineText(line)].length;
}

/** Pads or cuts a line to exactly `width` characters. */
export function fitLine(line: Line, width: number): Line {
  const out: Line = [];
  let used = 0;
  for (const seg of line) {
    const chars = [...seg.text];
    if (used + chars.length <= width) {
      out.push(seg);
      used += chars.length;
      continue;
    }
    const room = width - used;
    if (room > 0) out.push({ ...seg, text: fit(seg.text, room) });
    used = width;
    break;
  }
  if (used < width) out.push({ text: " ".repeat(width - used) });
  return out;
}

/** Local time of day, HH:MM:SS.mmm, of an event time (ms since the epoch). */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** One-letter badges for namespaces, in NAMESPACES order: U M P N I H C T. */
export const NS_LETTER: Record<Namespace, string> = { user: "U", mnt: "M", pid: "P", net: "N", ipc: "I", uts: "H", cgroup: "C", time: "T" };

export function nsBadges(s: Snapshot, parent: Snapshot | null): string {
  const diff = differingNamespaces(s, parent);
  return NAMESPACES.map((ns) => (diff.has(ns) ? NS_LETTER[ns] : "·")).join("");
}

/** "inside/outside" of the effective id ("1000" when they are equal). */
export function idColumn(ids: number[] | null, map: [number, number, number][] | null): string {
  if (ids === null || ids[1] === undefined) return "?";
  const host = ids[1];
  const inside = insideId(host, map);
  if (inside === host) return String(host);
  return `${inside ?? "-"}/${host}`;
}

/**
 * The PRIV column: `!` when the process has something its parent lacked,
 * `c` when it holds effective capabilities, `n` for no_new_privs, and the
 * seccomp state: `-` off, `S` strict, else the number of filters (`+` > 9).
 */
export function privColumn(s: Snapshot, more: boolean): string {
  const eff = capMask(s.caps?.eff ?? null);
  const caps = eff === null ? "?" : eff !== 0n ? "c" : "-";
  const nnp = s.no_new_privs === null ? "?" : s.no_new_privs ? "n" : "-";
  let sec = "?";
  if (s.seccomp === 0) sec = "-";
  else if (s.seccomp === 1) sec = "S";
  else if (s.seccomp === 2) sec = s.seccomp_filters === null ? "f" : s.seccomp_filters > 9 ? "+" : String(s.seccomp_filters);
  return (more ? "!" : " ") + caps + nnp + sec;
}

export interface Columns {
  pid: number;
  nspid: number;
  uid: number;
  state: number;
  ns: number;
  priv: number;
  cmd: number;
}

/** Column widths for a terminal width: narrow terminals drop UID, NSPID and NS. */
export function columnsFor(width: number): Columns {
  const c: Columns = { pid: 7, nspid: 6, uid: 11, state: 1, ns: 8, priv: 4, cmd: 0 };
  if (width < 72) c.uid = 0;
  if (width < 60) {
    c.nspid = 0;
    c.ns = 0;
  }
  const fixed = [c.pid, c.nspid, c.uid, c.state, c.ns, c.priv].filter((w) => w > 0);
  c.cmd = Math.max(1, width - fixed.reduce((a, b) => a + b + 1, 0));
  return c;
}

export function headerRow(width: number): Line {
  const c = columnsFor(width);
  const parts: string[] = [fit("PID", c.pid, "right")];
  if (c.nspid) parts.push(fit("NSPID", c.nspid, "right"));
  if (c.uid) parts.push(fit("UID in/out", c.uid));
  parts.push("S");
  if (c.ns) parts.push(fit("NS", c.ns));
  parts.push(fit("PRIV", c.priv));
  parts.push(fit("COMMAND", c.cmd));
  return fitLine([{ text: parts.join(" "), bold: true, inverse: true }], width);
}

function innermostPid(s: Snapshot, pid: number): string {
  if (s.nspid === null || s.nspid.length < 2) return "";
  const inner = s.nspid[s.nspid.length - 1]!;
  return inner === pid ? "" : String(inner);
}

/** One list row, exactly `width` characters. */
export function formatRow(table: ProcessTable, row: Row, width: number, selected: boolean): Line {
  const c = columnsFor(width);
  const p = table.get(row.key)!;
  const line: Line = [];
  const sp = { text: " " };
  if (row.kind === "thread") {
    const t = p.threads.get(row.tid!)!;
    line.push({ text: fit(String(row.tid), c.pid, "right") });
    const blank = [c.nspid, c.uid].filter((w) => w > 0).reduce((a, b) => a + b + 1, 0);
    line.push({ text: " ".repeat(blank + 1) });
    line.push({ text: t.alive ? "t" : "X" }, sp);
    if (c.ns) line.push({ text: " ".repeat(c.ns) }, sp);
    line.push({ text: " ".repeat(c.priv) }, sp);
    line.push({ text: fit(`${row.prefix}thread ${row.tid}${t.alive ? "" : " (ended)"}`, c.cmd), color: "gray" });
  } else {
    const s = p.snapshot;
    const parent = table.parentOf(p);
    const diffs = differencesOf(table, p);
    const more = diffs.some((d) => d.verdict === "more");
    const dim = !p.alive || !row.match;
    line.push({ text: fit(String(p.pid), c.pid, "right"), ...(dim ? { dim } : {}) }, sp);
    if (c.nspid) line.push({ text: fit(innermostPid(s, p.pid), c.nspid, "right"), color: "cyan" }, sp);
    if (c.uid) {
      const uid = idColumn(s.uid, s.uid_map);
      const hostRoot = s.uid?.[1] === 0;
      line.push({ text: fit(uid, c.uid), ...(hostRoot ? { color: "yellow" as const } : {}) }, sp);
    }
    const state = p.alive ? (s.state ?? "?").slice(0, 1) : "X";
    line.push({ text: state, ...(state === "Z" || state === "X" ? { color: "gray" as const } : state === "R" ? { color: "green" as const } : {}) }, sp);
    if (c.ns) line.push({ text: fit(nsBadges(s, parent?.snapshot ?? null), c.ns), color: "magenta" }, sp);
    const priv = privColumn(s, more);
    if (more) line.push({ text: "!", color: "red", bold: true }, { text: priv.slice(1) });
    else line.push({ text: fit(priv, c.priv) });
    line.push(sp);
    const threads = p.threads.size > 0 ? ` [${[...p.threads.values()].filter((t) => t.alive).length} thr]` : "";
    const status = p.alive ? "" : ` (${p.exit ? formatExit(p.exit) : "gone"})`;
    line.push({ text: fit(row.prefix + sanitize(processName(s)) + threads + status, c.cmd), ...(dim ? { dim } : {}), ...(more ? { color: "red" as const } : {}) });
  }
  const fitted = fitLine(line, width);
  return selected ? fitted.map((seg) => ({ ...seg, inverse: true, dim: false })) : fitted;
}

export function logLine(e: LogEntry, width: number): Line {
  const color = e.level === "error" ? "red" : e.level === "warn" ? "yellow" : undefined;
  const kind = fit(e.kind, 10);
  return fitLine(
    [
      { text: clock(e.time) + " ", color: "gray" },
      { text: kind + " ", color: "cyan" },
      { text: sanitize(e.text), ...(color ? { color } : {}) },
    ],
    width,
  );
}

/** Wraps text to lines of at most `width` characters (hard wrap, after a first line's prefix). */
export function wrap(text: string, width: number, indent = 2): string[] {
  const w = Math.max(4, width);
  const chars = [...text];
  if (chars.length <= w) return [text];
  const out = [chars.slice(0, w).join("")];
  for (let i = w; i < chars.length; i += w - indent) out.push(" ".repeat(indent) + chars.slice(i, i + w - indent).join(""));
  return out;
}

function verdictColor(d: Difference): Seg["color"] {
  return d.verdict === "more" ? "red" : d.verdict === "less" ? "green" : "yellow";
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "?";
  return sanitize(String(v));
}

/**
 * The detail pane of one process: everything the snapshot says, its
 * threads, and the differences with its parent (verdict first).
 */
export function detailLines(table: ProcessTable, p: Proc, width: number): Line[] {
  const s = p.snapshot;
  const out: Line[] = [];
  const add = (label: string, value: string, seg: Partial<Seg> = {}) => {
    const texts = wrap(`${label.padEnd(13)}${value}`, width, 13);
    for (const t of texts) out.push([{ text: t, ...seg }]);
  };
  const parent = table.parentOf(p);
  const title = `PID ${p.pid}` + (s.nspid && s.nspid.length > 1 ? ` (namespaced: ${s.nspid.join(" → ")})` : "") + `  ${fmt(s.comm)}  ${p.alive ? "running" : p.exit ? formatExit(p.exit) : "gone"}`;
  out.push([{ text: sanitize(title), bold: true }]);
  add("command", s.cmdline === null ? "?" : sanitize(JSON.stringify(s.cmdline)));
  add("exe", fmt(s.exe));
  add("state", `${fmt(s.state)}   created ${clock(p.started)} by ${p.how}${p.how === "spawn" ? "" : ` of ${p.creator}`}${p.execs ? `, ${p.execs} exec(s)` : ""}`);
  add("parent", parent === null ? `${p.creator} (not traced)` : `${parent.pid} ${sanitize(processName(parent.snapshot))}`);
  const ids = (kind: "uid" | "gid") => {
    const v = s[kind];
    const map = kind === "uid" ? s.uid_map : s.gid_map;
    if (v === null) return "?";
    const inside = v.map((id) => insideId(id, map));
    return `host ${v.join(" ")}   inside ${inside.map((i) => (i === null ? "unmapped" : String(i))).join(" ")}   (real eff saved fs)`;
  };
  add("uid", ids("uid"));
  add("gid", ids("gid"));
  add("uid_map", formatIdMap(s.uid_map));
  add("gid_map", formatIdMap(s.gid_map));
  for (const set of CAP_SETS) add(`caps ${set}`, describeCaps(capMask(s.caps?.[set] ?? null)));
  add("no_new_privs", s.no_new_privs === null ? "?" : s.no_new_privs ? "yes" : "no");
  add("seccomp", s.seccomp === null ? "?" : s.seccomp === 0 ? "off" : s.seccomp === 1 ? "strict" : `filter, ${s.seccomp_filters ?? "?"} filter(s)`);
  add("root", fmt(s.root));
  add("cwd", fmt(s.cwd));
  add("cgroup", fmt(s.cgroup).replace(/\?/g, " "));
  add("mounts", fmt(s.mounts));
  const diffNs = differingNamespaces(s, parent?.snapshot ?? null);
  add("namespaces", s.ns === null ? "?" : NAMESPACES.map((ns) => `${ns}:${s.ns?.[ns] ?? "?"}${diffNs.has(ns) ? "*" : ""}`).join(" "));
  if (s.fds === null) add("fds", "?");
  else {
    add("fds", `${s.fds_total ?? s.fds.length} open${s.fds_total !== null && s.fds_total > s.fds.length ? ` (first ${s.fds.length} listed)` : ""}`);
    for (const f of s.fds) add("", `${String(f.fd).padStart(4)} ${f.type.padEnd(6)} ${fmt(f.target)}`);
  }
  if (p.threads.size > 0) {
    const live = [...p.threads.values()].filter((t) => t.alive);
    add("threads", `${live.length} live: ${live.map((t) => t.tid).join(" ")}` + (live.length < p.threads.size ? `; ${p.threads.size - live.length} ended` : ""));
  }
  out.push([{ text: "" }]);
  if (parent === null) {
    out.push([{ text: "No parent in the trace: nothing to compare with.", dim: true }]);
    return out;
  }
  const diffs = differencesOf(table, p);
  out.push([{ text: `Compared with its parent ${parent.pid} (${sanitize(processName(parent.snapshot))})`, bold: true }]);
  if (diffs.length === 0) out.push([{ text: "  same privileges as its parent", color: "green" }]);
  const order = { more: 0, changed: 1, less: 2 } as const;
  for (const d of [...diffs].sort((a, b) => order[a.verdict] - order[b.verdict])) {
    const mark = d.verdict === "more" ? "MORE " : d.verdict === "less" ? "less " : "diff ";
    const color = verdictColor(d);
    for (const [i, t] of wrap(`${mark}${d.label}: ${d.why}`, width, 5).entries()) out.push([{ text: t, ...(color ? { color } : {}), ...(i === 0 && d.verdict === "more" ? { bold: true } : {}) }]);
    for (const t of wrap(`     parent: ${sanitize(d.parent)}`, width, 13)) out.push([{ text: t, dim: true }]);
    for (const t of wrap(`     child:  ${sanitize(d.child)}`, width, 13)) out.push([{ text: t }]);
  }
  return out;
}
