/**
 * Warnings where the loader, or a script, will still miss something the
 * planner can see (pure; the host is read through a HostView):
 *
 *   - a #! shell script — the binary or an Executable grant — whose text
 *     runs commands that are on the host (in the launcher's PATH) but not
 *     in the void: it would fail there with "not found";
 *   - a Python interpreter whose standard library is bound: extension
 *     modules in lib-dynload whose libraries the void does not have, so
 *     that importing them fails (a Library grant fixes that).
 *
 * Both are best effort and conservative: a warning, never an error, and
 * silence where the text is too dynamic to read.
 */
import { posix } from "node:path";
import { HostError, type HostView } from "./host.js";
import { EXECVP_DEFAULT_PATH, type NeededFile, resolveLibraries } from "./libraries.js";
import { isWithin, realpath } from "./paths.js";
import type { MountEntry } from "./types.js";

/** Interpreters whose scripts are read as shell. */
const SHELLS = new Set(["sh", "bash", "dash", "ash", "ksh", "mksh", "pdksh", "posh", "yash", "zsh", "busybox"]);

/** Builtins of the common shells, and their keywords: never files in PATH that a void lacks. */
const BUILTINS = new Set(
  (
    ". : [ [[ ]] alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable eval exec exit export false fc fg " +
    "getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true " +
    "type typeset ulimit umask unalias unset wait if then else elif fi case esac for select while until do done in function time coproc { } !"
  ).split(" "),
);
/** Words after which the next word is a command again. */
const BEFORE_COMMAND = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "exec", "nohup", "builtin"]);
/** Words after which no command follows before the next separator. */
const NO_COMMAND_AFTER = new Set(["for", "select", "function", "fi", "done", "}", "esac", "in"]);

/** The longest script read. */
const MAX_SCRIPT_BYTES = 1 << 20;

interface Frame {
  kind: "dq" | "sq" | "sub" | "paren" | "bq";
  saved?: { word: string; plain: boolean; atCommand: boolean };
}

/**
 * The plain command words of a shell script, with their line numbers: a
 * word at the start of a command (a line, or after `|`, `;`, `&`, `&&`,
 * `||`, `(`, `$(`, a backquote, `then`, `do`...), after any `NAME=value`
 * assignments; words with quotes or expansions are not plain and are
 * skipped. Comments, quoted text, here-documents, `case` patterns and the
 * script's own functions are not commands. Builtins and keywords are left
 * out.
 */
export function shellCommands(text: string): { word: string; line: number }[] {
  const found: { word: string; line: number }[] = [];
  const functions = new Set<string>();
  const stack: Frame[] = [];
  const heredocs: { delim: string; strip: boolean }[] = [];
  let word = "";
  let plain = true;
  let wordLine = 1;
  let line = 1;
  let atCommand = true;
  let nextIsFunction = false;
  let caseHeader = false;
  let patternNext = false;
  const top = (): Frame["kind"] | undefined => stack[stack.length - 1]?.kind;

  const endWord = (): void => {
    if (word === "") return;
    const w = word;
    const isPlain = plain;
    word = "";
    plain = true;
    if (nextIsFunction) {
      functions.add(w);
      nextIsFunction = false;
      return;
    }
    if (isPlain && w === "esac") {
      atCommand = false;
      return;
    }
    if (caseHeader) {
      if (isPlain && w === "in") {
        caseHeader = false;
        patternNext = true;
      }
      return;
    }
    if (!atCommand) return;
    if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(w)) return; // an assignment before the command
    if (isPlain && BEFORE_COMMAND.has(w)) return;
    atCommand = false;
    if (!isPlain) return;
    if (w === "case") caseHeader = true;
    else if (w === "function") nextIsFunction = true;
    else if (NO_COMMAND_AFTER.has(w) || BUILTINS.has(w)) return;
    else if (/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(w) || /^\/[A-Za-z0-9_.+/-]+$/.test(w)) found.push({ word: w, line: wordLine });
  };
  const separator = (): void => {
    endWord();
    atCommand = true;
  };
  // Back from $( ), ( ) or backquotes: the word they were part of goes on, as a word that is not plain.
  const restore = (f: Frame): void => {
    if (f.saved === undefined) return;
    word = f.saved.word === "" ? "$()" : f.saved.word;
    plain = false;
    atCommand = f.saved.atCommand;
  };
  const append = (c: string, isPlain = true): void => {
    if (word === "") wordLine = line;
    word += c;
    if (!isPlain) plain = false;
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const kind = top();
    if (c === "\n") line++;
    if (kind === "sq") {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (kind === "dq") {
      if (c === "\\") i += 2;
      else if (c === '"') {
        stack.pop();
        i++;
      } else if (text.startsWith("$(", i) && !text.startsWith("$((", i)) {
        stack.push({ kind: "sub", saved: { word, plain: false, atCommand } });
        word = "";
        plain = true;
        atCommand = true;
        i += 2;
      } else if (c === "`") {
        stack.push({ kind: "bq", saved: { word, plain: false, atCommand } });
        word = "";
        plain = true;
        atCommand = true;
        i++;
      } else i++;
      continue;
    }
    // Normal text (top level, or inside $( ), ( ) or backquotes).
    if (patternNext && !/\s/.test(c)) {
      patternNext = false;
      if (!/^esac(?![A-Za-z0-9_])/.test(text.slice(i, i + 5))) {
        // A case pattern up to its ")": not a command.
        const close = text.indexOf(")", i);
        if (close < 0) break;
        line += (text.slice(i, close).match(/\n/g) ?? []).length;
        i = close + 1;
        atCommand = true;
        continue;
      }
    }
    if (c === "\\") {
      if (text[i + 1] === "\n") {
        line++;
        i += 2;
        continue;
      }
      append(text.slice(i, i + 2), false);
      i += 2;
      continue;
    }
    if (c === "#" && word === "") {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === "\n") {
      endWord();
      atCommand = true;
      caseHeader = false;
      i++;
      // Here-documents begin after the line that opened them.
      while (heredocs.length > 0) {
        const h = heredocs.shift()!;
        while (i < n) {
          const eol = text.indexOf("\n", i);
          const end = eol < 0 ? n : eol;
          const body = text.slice(i, end);
          i = end + 1;
          line++;
          if ((h.strip ? body.replace(/^\t+/, "") : body) === h.delim) break;
        }
      }
      continue;
    }
    if (c === " " || c === "\t") {
      endWord();
      i++;
      continue;
    }
    if (c === "'") {
      append(c, false);
      stack.push({ kind: "sq" });
      i++;
      continue;
    }
    if (c === '"') {
      append(c, false);
      stack.push({ kind: "dq" });
      i++;
      continue;
    }
    if (c === "<" && text[i + 1] === "<" && text[i + 2] !== "<") {
      const m = /^<<(-?)[ \t]*(["']?)([A-Za-z0-9_.-]+)\2/.exec(text.slice(i, i + 200));
      if (m !== null) {
        heredocs.push({ delim: m[3]!, strip: m[1] === "-" });
        endWord();
        i += m[0].length;
        continue;
      }
    }
    if (c === "$") {
      if (text.startsWith("$((", i)) {
        const close = text.indexOf("))", i);
        append("$", false);
        i = close < 0 ? n : close + 2;
        continue;
      }
      if (text[i + 1] === "(") {
        stack.push({ kind: "sub", saved: { word, plain: false, atCommand } });
        word = "";
        plain = true;
        atCommand = true;
        i += 2;
        continue;
      }
      if (text[i + 1] === "{") {
        const close = text.indexOf("}", i);
        append("$", false);
        i = close < 0 ? n : close + 1;
        continue;
      }
      append("$", false);
      i++;
      continue;
    }
    if (c === "`") {
      if (kind === "bq") {
        endWord();
        const f = stack.pop()!;
        restore(f);
      } else {
        stack.push({ kind: "bq", saved: { word, plain: false, atCommand } });
        word = "";
        plain = true;
        atCommand = true;
      }
      i++;
      continue;
    }
    if (c === "(") {
      if (/^\(\s*\)/.test(text.slice(i, i + 20)) && word !== "") {
        // name() { ...: a function definition, not a command.
        functions.add(word);
        word = "";
        plain = true;
        atCommand = true;
        i = text.indexOf(")", i) + 1;
        continue;
      }
      endWord();
      stack.push({ kind: "paren" });
      atCommand = true;
      i++;
      continue;
    }
    if (c === ")") {
      endWord();
      if (kind === "sub" || kind === "paren") {
        const f = stack.pop()!;
        restore(f);
      }
      if (kind !== "sub") atCommand = false;
      i++;
      continue;
    }
    if (c === ";") {
      if (text[i + 1] === ";") {
        separator();
        patternNext = true;
        i += 2;
        continue;
      }
      separator();
      i++;
      continue;
    }
    if (c === "|") {
      separator();
      i++;
      continue;
    }
    if (c === "&") {
      const prev = text[i - 1];
      if (prev === ">" || prev === "<" || text[i + 1] === ">") {
        append(c, false);
        i++;
        continue;
      }
      separator();
      i++;
      continue;
    }
    append(c, !/[<>*?[\]~]/.test(c));
    i++;
  }
  endWord();
  return found.filter((f) => !functions.has(f.word));
}

/** Is the host file `real` (a canonical path) inside something bound into the void? */
function bound(mounts: readonly MountEntry[], real: string): boolean {
  return mounts.some((m) => m.type === "bind" && (m.source === real || (m.directory && isWithin(real, m.source))));
}

/** A regular file the launcher can see (a directory of PATH it cannot search is passed over, as a shell does). */
function isHostFile(host: HostView, path: string): boolean {
  try {
    return host.stat(path)?.type === "file";
  } catch {
    return false;
  }
}

function canonical(host: HostView, path: string): string | undefined {
  try {
    return realpath(host, path);
  } catch {
    return undefined;
  }
}

export interface AdviceInput {
  /** `entrypoints.NAME`, as errors and warnings name it. */
  where: string;
  mounts: readonly MountEntry[];
  /** Every file the entrypoint's programs need: the binary's and its Executable grants'. */
  files: readonly NeededFile[];
  /** The entrypoint's LibraryPath directories. */
  libraryPath: readonly string[];
  /** Where to look commands up on the host: the launcher's PATH. */
  hostPath: readonly string[];
}

/** The scripts among `files` that a shell runs. */
function shellScripts(files: readonly NeededFile[]): string[] {
  return files
    .filter((f) => f.reason === "binary" || f.reason === "executable")
    .map((f) => f.path)
    .filter((script) => files.some((g) => g.reason === "shebang" && g.requiredBy === script && SHELLS.has(posix.basename(g.name ?? g.path))));
}

/** Commands a shell script of the void runs that the void lacks (the host has them in PATH). */
export function scriptWarnings(host: HostView, input: AdviceInput): string[] {
  const warnings: string[] = [];
  for (const script of shellScripts(input.files)) {
    let text: string;
    try {
      const f = host.openFile(script);
      try {
        text = new TextDecoder().decode(f.read(0, Math.min(f.size, MAX_SCRIPT_BYTES)));
      } finally {
        f.close();
      }
    } catch {
      continue;
    }
    const seen = new Set<string>();
    for (const { word, line } of shellCommands(text)) {
      if (seen.has(word)) continue;
      seen.add(word);
      const candidates = word.startsWith("/") ? [word] : input.hostPath.map((d) => posix.join(d, word));
      const onHost = candidates.find((p) => isHostFile(host, p) && host.isExecutable(p));
      if (onHost === undefined) continue; // not a host command either: a typo or something the script makes
      const real = canonical(host, onHost);
      if (real === undefined || bound(input.mounts, real)) continue;
      warnings.push(
        `${input.where}: ${script} runs ${word} (line ${line}), which is ${onHost} on the host but not in the void: it would fail there ("not found"); if the script needs it, grant {"Executable": ${JSON.stringify(onHost)}}`,
      );
    }
  }
  return warnings;
}

/** python, python3, python3.11...: the interpreter's basename. */
function isPythonName(path: string): boolean {
  return /^python[0-9.]*$/.test(posix.basename(path));
}

/** Every lib-dynload directory a directory bound by the spec holds: itself, DIR/lib-dynload, DIR/pythonX.Y/lib-dynload, DIR/lib/pythonX.Y/lib-dynload. */
function dynloadDirs(host: HostView, mounts: readonly MountEntry[]): string[] {
  const dirs = new Set<string>();
  const isDir = (p: string) => host.stat(p)?.type === "dir";
  for (const m of mounts) {
    if (m.type !== "bind" || m.origin !== "spec" || !m.directory) continue;
    const s = m.source;
    if (posix.basename(s) === "lib-dynload") dirs.add(s);
    if (isDir(posix.join(s, "lib-dynload"))) dirs.add(posix.join(s, "lib-dynload"));
    for (const base of [s, posix.join(s, "lib")]) {
      for (const name of host.readdir(base) ?? []) {
        if (!/^python[0-9]+(\.[0-9]+)*$/.test(name)) continue;
        const d = posix.join(base, name, "lib-dynload");
        if (isDir(d)) dirs.add(d);
      }
    }
  }
  return [...dirs];
}

/**
 * Python extension modules of a bound standard library whose libraries the
 * void lacks: `import _ssl` would fail with "libssl.so.3: cannot open
 * shared object file". One warning per module, naming the Library grant
 * that brings its libraries in.
 */
export function pythonModuleWarnings(host: HostView, input: AdviceInput): string[] {
  try {
    return pythonModules(host, input);
  } catch (e) {
    if (e instanceof HostError) return []; // what the launcher cannot read, it cannot advise on
    throw e;
  }
}

function pythonModules(host: HostView, input: AdviceInput): string[] {
  const python = input.files.find((f) => (f.reason === "binary" || f.reason === "shebang" || f.reason === "executable") && isPythonName(f.path));
  if (python === undefined) return [];
  const modules = dynloadDirs(host, input.mounts).flatMap((d) => (host.readdir(d) ?? []).filter((name) => name.endsWith(".so")).map((name) => posix.join(d, name)));
  if (modules.length === 0) return [];
  // Every module at once, in the interpreter's process: who needs what, transitively.
  const r = resolveLibraries(python.path, host, { libraryPath: input.libraryPath, modules });
  const needs = new Map<string, string[]>();
  for (const e of r.edges) if (e.from !== e.to) needs.set(e.from, [...(needs.get(e.from) ?? []), e.to]);
  const warnings: string[] = [];
  for (const module of modules) {
    const missing: string[] = [];
    const seen = new Set<string>([module]);
    const queue = [...(needs.get(module) ?? [])];
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      if (seen.has(p)) continue;
      seen.add(p);
      const real = canonical(host, p);
      if (real !== undefined && !bound(input.mounts, real)) missing.push(posix.basename(p));
      queue.push(...(needs.get(p) ?? []));
    }
    if (missing.length === 0) continue;
    const name = posix.basename(module).split(".")[0] ?? module;
    warnings.push(
      `${input.where}: Python's extension module ${name} (${module}) needs ${missing.join(", ")}, not in the void: "import ${name}" fails there; if the program uses it, grant {"Library": ${JSON.stringify(module)}}`,
    );
  }
  return warnings;
}

/** The launcher's PATH as absolute directories (execvp's default without one). */
export function hostSearchPath(env: Readonly<Record<string, string | undefined>> | undefined): string[] {
  const value = env?.["PATH"];
  if (value === undefined) return [...EXECVP_DEFAULT_PATH];
  return [...new Set(value.split(":").filter((d) => d.startsWith("/")))];
}
