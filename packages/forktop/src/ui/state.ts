/**
 * The TUI's state (selection, scroll, view mode, filter, panes) and what
 * each key does to it: a pure reducer, so every key is tested without a
 * terminal, and the state survives unmounting ink for the shell hotkey.
 *
 * Keys (docs/forktop.md):
 *   ↑ ↓ / k j   move          PgUp PgDn, g G (Home End)   page, top, bottom
 *   Enter       detail pane   (Esc, Enter or q: back; ↑↓ scroll it)
 *   /           filter (type, Enter keeps it, Esc clears it)
 *   t           tree / flat   space or → ←   a process's threads
 *   H           every thread  x   hide / show exited processes
 *   o           bottom pane: event log / program output
 *   e           bottom pane full screen
 *   s           shell inside the selected process
 *   r           rescan now    q or Ctrl-C   quit (detach, the program runs on)
 */

import type { Key } from "ink";
import type { Row, ViewMode, ViewOptions } from "../model.js";

export interface Selection {
  key: number;
  tid?: number;
}

export interface UiState {
  mode: ViewMode;
  filter: string;
  editingFilter: boolean;
  expanded: Set<number>;
  allThreads: boolean;
  hideExited: boolean;
  selected: Selection | null;
  /** First list row on screen. */
  scroll: number;
  /** Process key whose detail pane is open. */
  detail: number | null;
  detailScroll: number;
  bottom: "log" | "output";
  /** The bottom pane fills the screen. */
  bottomFull: boolean;
  /** Lines scrolled back from the end in the full-screen bottom pane. */
  bottomScroll: number;
  /** A message for the footer (e.g. the tracer's error for a shell). */
  message: { text: string; level: "info" | "error" } | null;
}

export function initialState(): UiState {
  return {
    mode: "tree",
    filter: "",
    editingFilter: false,
    expanded: new Set(),
    allThreads: false,
    hideExited: false,
    selected: null,
    scroll: 0,
    detail: null,
    detailScroll: 0,
    bottom: "log",
    bottomFull: false,
    bottomScroll: 0,
    message: null,
  };
}

export function viewOptions(s: UiState): ViewOptions {
  return { mode: s.mode, filter: s.filter, expanded: s.expanded, allThreads: s.allThreads, hideExited: s.hideExited };
}

export type Effect = { kind: "quit" } | { kind: "shell"; pid: number } | { kind: "rescan" };

export interface KeyContext {
  rows: Row[];
  /** Height of the process list on screen. */
  listHeight: number;
  /** Lines in the open detail pane, and how many fit. */
  detailLength: number;
  detailHeight: number;
  /** Lines in the bottom pane's source, and how many fit full screen. */
  bottomLength: number;
  bottomHeight: number;
  /** pid of a process key (null when it is not alive: no shell into the dead). */
  livePid(key: number): number | null;
}

/**
 * The selected row: the first before anything is chosen; -1 when nothing is
 * listed, or when the chosen process is no longer listed (it exited while
 * exited processes are hidden, or left the filter). Then nothing is
 * selected until a key moves the selection, or the process is listed
 * again: never another process in its place, where the next `s` would
 * open a shell (the first row is the traced command, outside every
 * sandbox).
 */
export function selectedIndex(s: UiState, rows: Row[]): number {
  if (s.selected === null) return rows.length > 0 ? 0 : -1;
  const sel = s.selected;
  const i = rows.findIndex((r) => r.key === sel.key && r.tid === sel.tid);
  if (i >= 0) return i;
  // The selected thread is no longer listed: fall back to its process.
  return rows.findIndex((r) => r.key === sel.key && r.kind === "proc");
}

function selectIndex(s: UiState, rows: Row[], index: number, height: number): UiState {
  if (rows.length === 0) return { ...s, selected: null, scroll: 0 };
  const i = Math.max(0, Math.min(rows.length - 1, index));
  const r = rows[i]!;
  const selected: Selection = r.tid === undefined ? { key: r.key } : { key: r.key, tid: r.tid };
  return { ...s, selected, scroll: clampScroll(s.scroll, i, rows.length, height) };
}

/** Keeps row `index` on screen and the list filled. */
export function clampScroll(scroll: number, index: number, total: number, height: number): number {
  const h = Math.max(1, height);
  let top = scroll;
  if (index < top) top = index;
  if (index >= top + h) top = index - h + 1;
  return Math.max(0, Math.min(top, Math.max(0, total - h)));
}

/** The state after the model changed (rows moved): the selection stays on its process. */
export function settle(s: UiState, rows: Row[], height: number): UiState {
  const i = selectedIndex(s, rows);
  if (i < 0) {
    // Nothing listed, or the chosen process is gone from the list: the selection stays where it was (nothing
    // highlighted), and the list keeps its place.
    const scroll = Math.max(0, Math.min(s.scroll, rows.length - Math.max(1, height)));
    return scroll === s.scroll ? s : { ...s, scroll };
  }
  const scroll = clampScroll(s.scroll, i, rows.length, height);
  return scroll === s.scroll && s.selected !== null ? s : selectIndex(s, rows, i, height);
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** A key with only the given flags set. */
export function keyOf(flags: Partial<Key> = {}): Key {
  return { ...NO_KEY, ...flags };
}

/**
 * ink hands over a run of characters typed (or sent) together as one input,
 * e.g. "j\r": split it into one key press per character, so that every key
 * of a burst counts. Inputs with a special key (arrows, escape...) are one.
 */
export function splitInput(input: string, key: Key): [string, Key][] {
  const special = (Object.keys(NO_KEY) as (keyof Key)[]).some((k) => k !== "shift" && key[k] === true);
  const chars = [...input];
  if (special || chars.length <= 1) return [[input, key]];
  return chars.map((ch): [string, Key] => {
    const code = ch.codePointAt(0)!;
    if (ch === "\r" || ch === "\n") return ["", keyOf({ return: true })];
    if (ch === "\u007f" || ch === "\b") return ["", keyOf({ backspace: true })];
    if (ch === "\t") return ["", keyOf({ tab: true })];
    if (ch === "\u001b") return ["", keyOf({ escape: true })];
    if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), keyOf({ ctrl: true })];
    return [ch, keyOf({ shift: ch !== ch.toLowerCase() })];
  });
}

export function handleKey(s: UiState, input: string, key: Key, ctx: KeyContext): { state: UiState; effect?: Effect } {
  // Any key clears a message once it has been seen.
  const base = s.message !== null && !s.editingFilter ? { ...s, message: null } : s;

  if (s.editingFilter) {
    if (key.return) return { state: { ...s, editingFilter: false } };
    if (key.escape) return { state: { ...s, editingFilter: false, filter: "" } };
    if (key.backspace || key.delete) return { state: { ...s, filter: [...s.filter].slice(0, -1).join("") } };
    if (key.ctrl && input === "u") return { state: { ...s, filter: "" } };
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return { state: s };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: typed text only, no control characters
    const text = input.replace(/[\u0000-\u001f\u007f]/g, "");
    return { state: { ...s, filter: s.filter + text } };
  }

  if (input === "q" && s.detail === null && !s.bottomFull) return { state: base, effect: { kind: "quit" } };
  if (key.ctrl && input === "c") return { state: base, effect: { kind: "quit" } };

  if (s.detail !== null) {
    const max = Math.max(0, ctx.detailLength - ctx.detailHeight);
    if (key.escape || key.return || input === "q" || key.leftArrow || input === "h") return { state: { ...base, detail: null, detailScroll: 0 } };
    if (key.downArrow || input === "j") return { state: { ...base, detailScroll: Math.min(max, s.detailScroll + 1) } };
    if (key.upArrow || input === "k") return { state: { ...base, detailScroll: Math.max(0, s.detailScroll - 1) } };
    if (key.pageDown || input === " ") return { state: { ...base, detailScroll: Math.min(max, s.detailScroll + ctx.detailHeight) } };
    if (key.pageUp) return { state: { ...base, detailScroll: Math.max(0, s.detailScroll - ctx.detailHeight) } };
    if (key.home || input === "g") return { state: { ...base, detailScroll: 0 } };
    if (key.end || input === "G") return { state: { ...base, detailScroll: max } };
    if (input === "s") {
      const pid = ctx.livePid(s.detail);
      if (pid === null) return { state: { ...base, message: { text: "that process has exited: no shell", level: "error" } } };
      return { state: base, effect: { kind: "shell", pid } };
    }
    return { state: base };
  }

  if (s.bottomFull) {
    const max = Math.max(0, ctx.bottomLength - ctx.bottomHeight);
    if (key.escape || input === "e" || input === "q") return { state: { ...base, bottomFull: false, bottomScroll: 0 } };
    if (input === "o") return { state: { ...base, bottom: s.bottom === "log" ? "output" : "log", bottomScroll: 0 } };
    if (key.upArrow || input === "k") return { state: { ...base, bottomScroll: Math.min(max, s.bottomScroll + 1) } };
    if (key.downArrow || input === "j") return { state: { ...base, bottomScroll: Math.max(0, s.bottomScroll - 1) } };
    if (key.pageUp) return { state: { ...base, bottomScroll: Math.min(max, s.bottomScroll + ctx.bottomHeight) } };
    if (key.pageDown) return { state: { ...base, bottomScroll: Math.max(0, s.bottomScroll - ctx.bottomHeight) } };
    if (key.home || input === "g") return { state: { ...base, bottomScroll: max } };
    if (key.end || input === "G") return { state: { ...base, bottomScroll: 0 } };
    return { state: base };
  }

  const { rows, listHeight } = ctx;
  const i = selectedIndex(s, rows);
  const sel = i >= 0 ? rows[i]! : null;
  if (key.downArrow || input === "j") return { state: selectIndex(base, rows, i + 1, listHeight) };
  if (key.upArrow || input === "k") return { state: selectIndex(base, rows, i - 1, listHeight) };
  if (key.pageDown) return { state: selectIndex(base, rows, i + listHeight, listHeight) };
  if (key.pageUp) return { state: selectIndex(base, rows, i - listHeight, listHeight) };
  if (key.home || input === "g") return { state: selectIndex(base, rows, 0, listHeight) };
  if (key.end || input === "G") return { state: selectIndex(base, rows, rows.length - 1, listHeight) };
  if (key.return) return { state: sel === null ? base : { ...base, detail: sel.key, detailScroll: 0 } };
  if (input === "/") return { state: { ...base, editingFilter: true } };
  if (key.escape) return { state: base.filter !== "" ? { ...base, filter: "" } : base };
  if (input === "t") return { state: { ...base, mode: s.mode === "tree" ? "flat" : "tree", scroll: 0 } };
  if (input === "H") return { state: { ...base, allThreads: !s.allThreads } };
  if (input === "x") return { state: { ...base, hideExited: !s.hideExited } };
  if (input === "o") return { state: { ...base, bottom: s.bottom === "log" ? "output" : "log" } };
  if (input === "e") return { state: { ...base, bottomFull: true, bottomScroll: 0 } };
  if (input === "r") return { state: { ...base, message: { text: "rescan requested", level: "info" } }, effect: { kind: "rescan" } };
  if (sel !== null && (input === " " || key.rightArrow || key.leftArrow || input === "l" || input === "h")) {
    const expanded = new Set(s.expanded);
    const open = key.rightArrow || input === "l" ? true : key.leftArrow || input === "h" ? false : !expanded.has(sel.key);
    if (open) expanded.add(sel.key);
    else expanded.delete(sel.key);
    // Collapsing from a thread row moves the selection to its process.
    const selected = open ? s.selected : { key: sel.key };
    return { state: { ...base, expanded, selected } };
  }
  if (input === "s") {
    if (sel === null) return { state: { ...base, message: { text: "no process is selected (the one selected is no longer listed): choose one first", level: "error" } } };
    const pid = sel.kind === "thread" ? ctx.livePid(sel.key) : ctx.livePid(sel.key);
    if (pid === null) return { state: { ...base, message: { text: "that process has exited: no shell", level: "error" } } };
    return { state: base, effect: { kind: "shell", pid } };
  }
  return { state: base };
}
