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
