/**
 * The whole forktop screen for a terminal size, as lines: header, process
 * list (or the detail pane, or a full-screen log), the bottom pane (event
 * log or program output) and the footer. Pure; `App` draws the result.
 *
 * Layout for R rows: R-1 lines are used (ink redraws a frame that fills
 * the terminal by clearing it, which flickers), so 80x24 gives a header,
 * the column titles, 15 process rows, a 5-line bottom pane and the footer.
 */

import type { TailBuffer } from "../lines.js";
import { type ProcessTable, visibleRows } from "../model.js";
import { detailLines, fit, fitLine, formatRow, headerRow, type Line, logLine, sanitize } from "../view.js";
import { type KeyContext, settle, type UiState, viewOptions } from "./state.js";

/** Everything the screen shows; one object survives unmounting ink for the shell. */
export class Session {
  ui: UiState;
  /** What started the trace: "CMD ARGS" or "pid N". */
  target: string;
  /** The program's output (when forktop started it), and where it is written. */
  output: TailBuffer | null = null;
  outputPath: string | null = null;
  /** Why the tracer is gone, or null while it runs. */
  tracerGone: string | null = null;
  /** Incremented on every change; App re-renders on it. */
  version = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly table: ProcessTable,
    ui: UiState,
    target: string,
  ) {
    this.ui = ui;
    this.target = target;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }
}

export interface Screen {
  lines: Line[];
  ctx: KeyContext;
  /** The UI state with the selection and scroll made valid for the current rows. */
  ui: UiState;
}

const FOOTER_HELP = "jk↑↓ move ⏎ detail / filter t tree/flat ␣ threads s shell o out e log x q quit";

function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal escape sequences from program output
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\u001b[\]P^_][^\u0007\u001b]*(\u0007|\u001b\\)?/g, "");
}

function bottomSource(sess: Session, width: number): { title: string; lines: Line[] } {
  if (sess.ui.bottom === "output") {
    if (sess.output === null) return { title: "program output (none: attached with -p)", lines: [] };
    const where = sess.outputPath === null ? "" : ` → ${sess.outputPath}`;
    return {
      title: `program output${where}`,
      lines: sess.output.all().map((l) => fitLine([{ text: sanitize(stripAnsi(l)) }], width)),
    };
  }
  const t = sess.table;
  return {
    title: `events (${t.log.length + t.logDropped})`,
    lines: t.log.map((e) => logLine(e, width)),
  };
}

function titleLine(text: string, width: number): Line {
  const head = fit(`── ${text} `, Math.min(width, [...`── ${text} `].length));
  return fitLine([{ text: head + "─".repeat(Math.max(0, width - [...head].length)), color: "cyan" }], width);
}

export function headerLine(sess: Session, width: number): Line {
  const t = sess.table;
  let procs = 0;
  let threads = 0;
  for (const p of t.procs.values()) {
    procs++;
    for (const th of p.threads.values()) if (th.alive) threads++;
  }
  const mode = t.hello === null ? "starting" : t.hello.mode;
  const left: Line = [
    { text: "forktop ", bold: true },
    { text: mode, ...(mode === "poll" ? { color: "red" as const, bold: true } : { color: "green" as const }) },
    { text: ` │ ${t.liveCount}/${procs} live, ${threads} thr │ ${sess.ui.mode}` },
  ];
  if (sess.ui.filter !== "") left.push({ text: ` │ /${sanitize(sess.ui.filter)}`, color: "yellow" });
  if (sess.ui.hideExited) left.push({ text: " │ exited hidden" });
  const right = t.detached ? "detached" : sess.tracerGone !== null ? sess.tracerGone : "";
  if (right !== "") left.push({ text: ` │ ${right}`, color: "yellow" });
  left.push({ text: ` │ ${sanitize(sess.target)}`, dim: true });
  return fitLine(left, width);
}

function pollLine(sess: Session, width: number): Line | null {
  const h = sess.table.hello;
  if (h === null || h.mode !== "poll") return null;
  const why = h.reason ? sanitize(h.reason) + "; " : "";
  return fitLine([{ text: `POLL MODE, LOSSY: ${why}polling /proc misses processes that live between two scans`, color: "red", bold: true, inverse: true }], width);
}

function footerLine(sess: Session, width: number, extra = ""): Line {
  const ui = sess.ui;
  if (ui.editingFilter) return fitLine([{ text: "filter: /", color: "yellow" }, { text: sanitize(ui.filter) }, { text: "█" }, { text: "   Enter keep  Esc clear", dim: true }], width);
  if (ui.message !== null) return fitLine([{ text: sanitize(ui.message.text), ...(ui.message.level === "error" ? { color: "red" as const, bold: true } : { color: "green" as const }) }], width);
  return fitLine([{ text: extra !== "" ? extra : FOOTER_HELP, dim: true }], width);
}

/** Lays out the screen for `columns` x `rows`. */
export function layoutScreen(sess: Session, columns: number, rows: number): Screen {
  const width = Math.max(20, columns);
  const height = Math.max(6, rows - 1);
  const table = sess.table;
  const allRows = visibleRows(table, viewOptions(sess.ui));
  const top: Line[] = [headerLine(sess, width)];
  const poll = pollLine(sess, width);
  if (poll !== null) top.push(poll);
  const footerHeight = 1;
  const livePid = (key: number) => {
    const p = table.get(key);
    return p?.alive ? p.pid : null;
  };
  const bottom = bottomSource(sess, width);

  // Full-screen bottom pane.
  if (sess.ui.bottomFull) {
    const bodyHeight = Math.max(1, height - top.length - 1 - footerHeight);
    const end = Math.max(0, bottom.lines.length - sess.ui.bottomScroll);
    const body = bottom.lines.slice(Math.max(0, end - bodyHeight), end);
    while (body.length < bodyHeight) body.push(fitLine([], width));
    const lines = [...top, titleLine(bottom.title, width), ...body, footerLine(sess, width, "Esc back  ↑↓ PgUp PgDn scroll  g oldest  G newest  o log/output")];
    const ctx: KeyContext = { rows: allRows, listHeight: 1, detailLength: 0, detailHeight: 1, bottomLength: bottom.lines.length, bottomHeight: bodyHeight, livePid };
    return { lines, ctx, ui: sess.ui };
  }

  // Detail pane.
  const detailProc = sess.ui.detail === null ? undefined : table.get(sess.ui.detail);
  if (detailProc !== undefined) {
    const all = detailLines(table, detailProc, width);
    const bodyHeight = Math.max(1, height - top.length - footerHeight);
    const scroll = Math.min(sess.ui.detailScroll, Math.max(0, all.length - bodyHeight));
    const body = all.slice(scroll, scroll + bodyHeight).map((l) => fitLine(l, width));
    while (body.length < bodyHeight) body.push(fitLine([], width));
    const pos = all.length > bodyHeight ? `  (${scroll + 1}-${Math.min(all.length, scroll + bodyHeight)} of ${all.length})` : "";
    const lines = [...top, ...body, footerLine(sess, width, `Esc back  ↑↓ PgUp PgDn scroll  s shell${pos}`)];
    const ctx: KeyContext = { rows: allRows, listHeight: 1, detailLength: all.length, detailHeight: bodyHeight, bottomLength: 0, bottomHeight: 1, livePid };
    return { lines, ctx, ui: { ...sess.ui, detailScroll: scroll } };
  }

  // Process list and bottom pane.
  const avail = height - top.length - 1 - footerHeight; // minus column titles and footer
  const bottomBody = avail >= 14 ? 4 : avail >= 8 ? 2 : 0;
  const bottomHeight = bottomBody === 0 ? 0 : bottomBody + 1;
  const listHeight = Math.max(1, avail - bottomHeight);
  const ui = settle(sess.ui, allRows, listHeight);
  const selIndex = ui.selected === null ? -1 : allRows.findIndex((r) => r.key === ui.selected?.key && r.tid === ui.selected?.tid);
  const list: Line[] = [];
  for (let i = ui.scroll; i < Math.min(allRows.length, ui.scroll + listHeight); i++) {
    list.push(formatRow(table, allRows[i]!, width, i === selIndex));
  }
  if (allRows.length === 0) {
    const why = table.procs.size === 0 ? (table.hello === null ? "waiting for the tracer…" : "no process yet") : `nothing matches /${sanitize(ui.filter)}`;
    list.push(fitLine([{ text: fit(`  ${why}`, width), dim: true }], width));
  }
  while (list.length < listHeight) list.push(fitLine([], width));
  const lines: Line[] = [...top, headerRow(width), ...list];
  if (bottomHeight > 0) {
    lines.push(titleLine(bottom.title, width));
    const tail = bottom.lines.slice(-bottomBody);
    while (tail.length < bottomBody) tail.push(fitLine([], width));
    lines.push(...tail);
  }
  lines.push(footerLine(sess, width));
  const ctx: KeyContext = { rows: allRows, listHeight, detailLength: 0, detailHeight: 1, bottomLength: bottom.lines.length, bottomHeight: 1, livePid };
  return { lines, ctx, ui };
}
