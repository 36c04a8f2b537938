/**
 * The launcher's diagnostics: everything goes to stderr prefixed "void:",
 * so a void's own stdout stays clean. Verbosity is the count of -v.
 */
export interface Logger {
  readonly verbosity: number;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  /** Printed with -v. */
  verbose(message: string): void;
  /** Printed with -vv. */
  debug(message: string): void;
}

/**
 * `text` with what a terminal would act on made visible: C0 and C1
 * controls, DEL, and the invisible Unicode format characters that reorder
 * or hide text (bidi overrides and isolates, zero-width marks) as
 * \x.. or \u{..}. Log lines quote what voids send (requests, messages,
 * paths); nothing a void chooses reaches the launcher's terminal raw.
 */
export function visible(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if ((code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x2028 || code === 0x2029 || code === 0xfeff)
      out += `\\u{${code.toString(16)}}`;
    else out += c;
  }
  return out;
}

/** `visible` on each line of `text`, keeping its line breaks: what void prints that is not its own words (spec text, paths). */
export function visibleLines(text: string): string {
  return text.split("\n").map(visible).join("\n");
}

/**
 * Colours the "error:" and "warning:" labels of void's lines in `text`
 * ("void: error: …", "spec.json: error: …")
 * (red, yellow), when stderr is a terminal and NO_COLOR is not set
 * (no-color.org); otherwise returns it as it is.
 */
export function paintLabels(text: string, tty: boolean = process.stderr.isTTY === true, env: NodeJS.ProcessEnv = process.env): string {
  if (!tty || (env["NO_COLOR"] ?? "") !== "" || env["TERM"] === "dumb") return text;
  return text.replace(/^((?:[^\n:]*: )?)(error|warning):/gm, (_, head: string, label: string) => `${head}\x1b[${label === "error" ? "1;31" : "1;33"}m${label}:\x1b[0m`);
}

export function stderrLogger(verbosity: number, write: (line: string) => void = (l) => process.stderr.write(paintLabels(l))): Logger {
  const out = (prefix: string, m: string) => write(`void: ${prefix}${visible(m)}\n`);
  return {
    verbosity,
    error: (m) => out("error: ", m),
    warn: (m) => out("warning: ", m),
    info: (m) => out("", m),
    verbose: (m) => {
      if (verbosity >= 1) out("", m);
    },
    debug: (m) => {
      if (verbosity >= 2) out("", m);
    },
  };
}

/** Lines of one kind from one source written in full per window (LineBudget). */
export const LOG_LINES_PER_WINDOW = 5;
/** The window those lines are counted in. */
export const LOG_WINDOW_MS = 10_000;
/** Keys (source and kind) a LineBudget remembers at once; past it, the oldest source is told and forgotten. */
export const LOG_MAX_KEYS = 1024;

export interface BudgetOptions {
  linesPerWindow?: number;
  windowMs?: number;
  maxKeys?: number;
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number;
}

/** What LineBudget.take decided for one line. */
export interface Verdict {
  /** Write this line in full. */
  write: boolean;
  /** Lines of this key held back in the window that has just passed (0: nothing to tell). */
  heldBack: number;
  /** That window's length up to its last line, in ms (for the summary). */
  heldOverMs: number;
}

interface KeyState {
  start: number;
  shown: number;
  held: number;
  last: number;
}

/**
 * Which lines a log writes, when a void can make it write the same kind
 * of line again and again (a refused RPC request, a dropped trigger
 * message, a failed Connect): each such line costs the launcher CPU and
 * log space that no cgroup limit of the void counts. Per key (a source,
 * such as one void's broker socket or one trigger, and a kind of line),
 * the first `linesPerWindow` lines of each window are written; the rest
 * are counted, and told as one summary when the next line of the key
 * comes after the window has passed, or when its source ends. Pure: no
 * timers (a void stopping its flood costs nothing more), memory bounded
 * by `maxKeys`.
 */
export class LineBudget {
  readonly linesPerWindow: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** source -> kind -> state, in order of first line (Map order): the first source is the oldest. */
  private readonly sources = new Map<string, Map<string, KeyState>>();
  private keys = 0;

  constructor(opts: BudgetOptions = {}) {
    this.linesPerWindow = opts.linesPerWindow ?? LOG_LINES_PER_WINDOW;
    this.windowMs = opts.windowMs ?? LOG_WINDOW_MS;
    this.maxKeys = Math.max(1, opts.maxKeys ?? LOG_MAX_KEYS);
    this.now = opts.now ?? (() => performance.now());
  }

  /** Keys remembered now. */
  get size(): number {
    return this.keys;
  }

  /**
   * One line of `kind` from `source`. `evicted` is told the held-back
   * counts of a source forgotten to make room (only when `maxKeys` keys
   * are remembered already).
   */
  take(source: string, kind: string, evicted?: (source: string, kind: string, held: number, overMs: number) => void): Verdict {
    const now = this.now();
    let kinds = this.sources.get(source);
    let state = kinds?.get(kind);
    let heldBack = 0;
    let heldOverMs = 0;
    if (state !== undefined && now - state.start >= this.windowMs) {
      heldBack = state.held;
      heldOverMs = state.last - state.start;
      state.start = now;
      state.shown = 0;
      state.held = 0;
    }
    if (state === undefined) {
      if (this.keys >= this.maxKeys) {
        const [oldest] = this.sources.keys();
        if (oldest !== undefined) {
          for (const [k, n, ms] of this.end(oldest)) evicted?.(oldest, k, n, ms);
          if (oldest === source) kinds = undefined;
        }
      }
      if (kinds === undefined) {
        kinds = new Map();
        this.sources.set(source, kinds);
      }
      state = { start: now, shown: 0, held: 0, last: now };
      kinds.set(kind, state);
      this.keys++;
    }
    state.last = now;
    if (state.shown < this.linesPerWindow) {
      state.shown++;
      return { write: true, heldBack, heldOverMs };
    }
    state.held++;
    return { write: false, heldBack, heldOverMs };
  }

  /** `source` has ended (its void exited, its trigger closed): forgets it; returns [kind, held back, over ms] for each kind with lines not yet told. */
  end(source: string): [string, number, number][] {
    const kinds = this.sources.get(source);
    if (kinds === undefined) return [];
    this.sources.delete(source);
    this.keys -= kinds.size;
    return [...kinds].filter(([, s]) => s.held > 0).map(([k, s]) => [k, s.held, s.last - s.start]);
  }

  /** Every source ended (the run is over): [source, kind, held back, over ms] for those with lines not yet told. */
  endAll(): [string, string, number, number][] {
    return [...this.sources.keys()].flatMap((source) => this.end(source).map(([k, n, ms]): [string, string, number, number] => [source, k, n, ms]));
  }
}

/** One kind of line a void can cause repeatedly: its key, its level, and what its summary calls the lines held back. */
export interface LineKind {
  kind: string;
  level: "error" | "warn" | "verbose";
  /** [one, several]: "refused request", "refused requests". */
  what: readonly [string, string];
}

/**
 * A Logger's lines that voids can cause repeatedly, through a LineBudget.
 * Each line names its source ("rpc ENTRY (pid N)", "trigger NAME"), which
 * starts it and its summary:
 *   void: error: rpc flood (pid 12): 4,312 further refused requests not shown (in 10 s; 5 a kind are shown per 10 s; -vv shows all)
 * With -vv every line is written: the operator asked to see each one.
 */
export class FloodLog {
  private readonly budget: LineBudget;
  private readonly kinds = new Map<string, LineKind>();

  constructor(
    readonly log: Logger,
    opts: BudgetOptions = {},
  ) {
    this.budget = new LineBudget(opts);
  }

  /** Logs `message` (which starts with `source`) at `kind`'s level, within its budget. */
  line(source: string, kind: LineKind, message: string): void {
    const write = (m: string) => {
      if (kind.level === "error") this.log.error(m);
      else if (kind.level === "warn") this.log.warn(m);
      else this.log.verbose(m);
    };
    if (kind.level === "verbose" && this.log.verbosity < 1) return;
    if (this.log.verbosity >= 2) {
      write(message);
      return;
    }
    this.kinds.set(kind.kind, kind);
    const v = this.budget.take(source, kind.kind, (s, k, n, ms) => this.tell(s, k, n, ms));
    if (v.heldBack > 0) this.tell(source, kind.kind, v.heldBack, v.heldOverMs);
    if (v.write) write(message);
  }

  /** `source` has ended: what it held back is told. */
  end(source: string): void {
    for (const [k, n, ms] of this.budget.end(source)) this.tell(source, k, n, ms);
  }

  /** The run is over: everything held back is told. */
  endAll(): void {
    for (const [s, k, n, ms] of this.budget.endAll()) this.tell(s, k, n, ms);
  }

  private tell(source: string, kindName: string, n: number, overMs: number): void {
    const kind = this.kinds.get(kindName);
    if (kind === undefined) return;
    const what = n === 1 ? kind.what[0] : kind.what[1];
    const window = Math.round(this.budget.windowMs / 1000);
    const over = Math.max(1, Math.ceil(overMs / 1000));
    const m = `${source}: ${n.toLocaleString("en-US")} further ${what} not shown (in ${over} s; ${this.budget.linesPerWindow} a kind are shown per ${window} s; -vv shows all)`;
    if (kind.level === "error") this.log.error(m);
    else if (kind.level === "warn") this.log.warn(m);
    else this.log.verbose(m);
  }
}
