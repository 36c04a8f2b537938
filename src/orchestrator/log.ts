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
  /**
   * Sends every line to `write` from now on (undefined: back to where it
   * went at first). The launcher routes its lines into the relay of a
   * relayed stderr (src/orchestrator/streams.ts), so they stay in order
   * with what voids wrote before them.
   */
  route?(write: ((line: string) => void) | undefined): void;
}

export function stderrLogger(verbosity: number, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  let sink = write;
  const out = (prefix: string, m: string) => sink(`void: ${prefix}${m}\n`);
  return {
    verbosity,
    route: (w) => {
      sink = w ?? write;
    },
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
