/**
 * The command line of a `void run -D`'s background copy: the same words
 * with exactly the launcher's own daemon flag taken out. Only the `run`
 * options before BINARY are the launcher's; BINARY and everything after it
 * are the program's and pass unchanged, a "-D" among them included. A
 * daemon flag inside a cluster of short flags ("-vD") is taken out of the
 * cluster ("-v"). Pure: a unit test covers it (test/unit/daemon-argv.test.ts).
 */

/** Long options of `void run` that take a value in the next word (unless given as --name=value). */
const LONG_WITH_VALUE = new Set(["--spec", "--runtime", "--pid-file", "--log-file", "--max-concurrent", "--prepare"]);
/** Short options of `void run` that take a value: the rest of the cluster, or the next word. */
const SHORT_WITH_VALUE = new Set(["s", "j"]);

/**
 * `args` is what follows node's script in process.argv ("run", options,
 * BINARY, the program's arguments). Returns a copy without the launcher's
 * -D/--daemon; anything that is not a `run` command line is returned as it is.
 */
export function withoutDaemonFlag(args: readonly string[]): string[] {
  const out = [...args];
  const run = out.indexOf("run");
  if (run < 0 || out.slice(0, run).some((a) => !a.startsWith("-"))) return out;
  let i = run + 1;
  while (i < out.length) {
    const a = out[i]!;
    if (a === "--" || a === "-" || !a.startsWith("-")) break; // BINARY (after "--", the word that follows): the program's from here
    if (a.startsWith("--")) {
      if (a === "--daemon") {
        out.splice(i, 1);
        continue;
      }
      i += LONG_WITH_VALUE.has(a) ? 2 : 1;
      continue;
    }
    // A cluster of short flags: booleans, then at most one that takes a value.
    let kept = "-";
    let takesNext = false;
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      if (SHORT_WITH_VALUE.has(c)) {
        kept += a.slice(k);
        takesNext = k === a.length - 1;
        break;
      }
      if (c !== "D") kept += c;
    }
    if (kept === "-") {
      out.splice(i, 1);
      continue;
    }
    out[i] = kept;
    i += takesNext ? 2 : 1;
  }
  return out;
}
