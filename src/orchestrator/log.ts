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

export function stderrLogger(verbosity: number, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const out = (prefix: string, m: string) => write(`void: ${prefix}${m}\n`);
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
