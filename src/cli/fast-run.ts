/**
 * The `void run` fast path's reading of the command line (entry.ts): the
 * common forms of `void run`, read by hand so that commander need not be
 * loaded. Whatever it does not accept is left to commander (void.ts).
 *
 * Accepted: `run [OPTIONS] BINARY [ARGS...]` where every OPTION before
 * BINARY is one of -s/--spec FILE (or --spec=FILE), --runtime FILE (or
 * --runtime=FILE), -v/--verbose (repeatable, also -vv), -j/--max-concurrent
 * N (a whole number >= 1), --prepare N (0 to 64), --stdout, --stderr,
 * --allow-unenforced-limits, --host-root, --no-cache.
 * As with commander's passThroughOptions, everything after BINARY is the
 * program's own. Anything else (-h, -d, -D, an unknown or repeated option,
 * a value that starts with "-", no BINARY) returns undefined.
 */
import type { RunOptions } from "./run-command.js";

export interface FastRun {
  binary: string;
  args: string[];
  opts: RunOptions;
}

/** The parsed `void run`, or undefined when commander should decide. */
export function parseFastRun(argv: readonly string[]): FastRun | undefined {
  if (argv[0] !== "run") return undefined;
  const opts: RunOptions = { verbose: 0, debug: false, daemon: false, stdout: false, stderr: false, allowUnenforcedLimits: false };
  let i = 1;
  // A value for -s, --runtime or -j: the next word, which commander would
  // take even if it began with "-"; such a value is left to commander.
  const value = (inline: string | undefined): string | undefined => {
    if (inline !== undefined) return inline.length > 0 ? inline : undefined;
    const v = argv[++i];
    return v === undefined || v.startsWith("-") ? undefined : v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") break;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    if ((name === "-s" || name === "--spec") && (inline === undefined || name === "--spec")) {
      const v = value(inline);
      if (v === undefined || opts.spec !== undefined) return undefined;
      opts.spec = v;
    } else if (name === "--runtime") {
      const v = value(inline);
      if (v === undefined || opts.runtime !== undefined) return undefined;
      opts.runtime = v;
    } else if ((name === "-j" || name === "--max-concurrent") && (inline === undefined || name === "--max-concurrent")) {
      const v = value(inline);
      if (v === undefined || !/^[1-9][0-9]{0,8}$/.test(v)) return undefined;
      opts.maxConcurrent = Number(v);
    } else if (name === "--prepare") {
      const v = value(inline);
      if (v === undefined || !/^(0|[1-9][0-9]?)$/.test(v) || Number(v) > 64) return undefined;
      opts.prepare = Number(v);
    } else if (/^-v+$/.test(a)) {
      opts.verbose += a.length - 1;
    } else if (a === "--verbose") {
      opts.verbose++;
    } else if (a === "--stdout") {
      opts.stdout = true;
    } else if (a === "--stderr") {
      opts.stderr = true;
    } else if (a === "--allow-unenforced-limits") {
      opts.allowUnenforcedLimits = true;
    } else if (a === "--host-root") {
      opts.hostRoot = true;
    } else if (a === "--no-cache") {
      opts.noCache = true;
    } else {
      return undefined;
    }
  }
  const binary = argv[i];
  if (binary === undefined) return undefined;
  return { binary, args: argv.slice(i + 1), opts };
}
