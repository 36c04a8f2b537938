/**
 * Shared by `void run` and `void check`: read and validate a spec (a file,
 * or the one `void pack` embedded in the binary), then plan it for a
 * binary. Any problem here is the user's input, reported in full and with
 * exit status 2, before anything is spawned.
 */
import { accessSync, type BigIntStats, closeSync, constants, existsSync, fstatSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { formatDiagnostics } from "../spec/format.js";
import { parseSpec } from "../spec/parse.js";
import { formatRuntimeDiagnostics, resolveRuntime } from "../spec/runtime.js";
import type { Spec } from "../spec/types.js";
import { HostError, type HostFile, type HostView } from "../plan/host.js";
import { type PackedSpec, readPackedSpec } from "../plan/pack.js";
import { LOADER_SUBDIRS, loaderExpansions } from "../plan/libraries.js";
import { materialize, walkPath } from "../plan/paths.js";
import { planApplication } from "../plan/plan.js";
import { borrowedFile, realHost } from "../plan/real-host.js";
import type { VoidPlan } from "../plan/types.js";
import { visible } from "../orchestrator/log.js";
import { loadAddon, packageRoot } from "../native/addon.js";

/** Exit status for invalid input: spec, binary, libraries, arguments. */
export const EXIT_INVALID_INPUT = 2;

export class InputError extends Error {
  constructor(
    message: string,
    readonly status = EXIT_INVALID_INPUT,
  ) {
    super(message);
  }
}

/** Where the compile-time spec comes from: a file (-s), or the `.void.spec` section of the binary (void pack). */
export type SpecSource = string | { embeddedIn: string };

/**
 * The compile-time spec with the deployment's runtime spec applied: the
 * --runtime file, then VOID_RUNTIME, then VOID_LISTEN_<ENTRYPOINT>
 * (docs/spec.md, "Runtime specs"). Each may re-parameterise, none may
 * widen; a widening is invalid input. `changes` lists what was changed.
 */
export function loadSpecWithRuntime(
  source: SpecSource,
  runtimeFile: string | undefined,
  warn: (text: string) => void,
  /** Told the bytes of each spec and runtime spec file read, by the path given (the plan cache records them). */
  record?: (path: string, bytes: Buffer) => void,
): {
  spec: Spec /** the spec before the runtime layers */;
  compiled: Spec;
  changes: string[] /** SHA-256 of an embedded spec */;
  embeddedSha256?: string;
  /** The spec and runtime spec files read, absolute, as given and resolved, and every symlink on the way (PlanInput.specFiles). */
  files: string[];
} {
  const files: string[] = [];
  const reading = (path: string) => {
    const trusted = openTrustedSpec(path);
    try {
      const bytes = readFileSync(trusted.fd);
      // Every symlink on the way counts too: one inside a writable bind could be pointed at a spec of the void's.
      files.push(...trusted.files);
      record?.(path, bytes);
      return bytes.toString("utf8");
    } finally {
      closeSync(trusted.fd);
    }
  };
  let loaded: { spec: Spec; sha256: string | undefined };
  if (typeof source === "string") loaded = { spec: parseSpecText(readSpecFile(source, reading), source, warn), sha256: undefined };
  else {
    // The binary carrying the spec is read through the very file checked.
    const trusted = openTrustedSpec(findBinary(source.embeddedIn));
    try {
      files.push(...trusted.files);
      loaded = loadEmbeddedSpec(source.embeddedIn, warn, borrowedFile(trusted.fd, source.embeddedIn));
    } finally {
      closeSync(trusted.fd);
    }
  }
  const result = resolveRuntime(loaded.spec, { file: runtimeFile, env: process.env, readFile: reading });
  if (result.warnings.length > 0) warn(formatRuntimeDiagnostics(result.warnings).trimEnd());
  if (!result.ok) throw new InputError(formatRuntimeDiagnostics(result.errors));
  return { spec: result.spec, compiled: loaded.spec, changes: result.changes, ...(loaded.sha256 !== undefined ? { embeddedSha256: loaded.sha256 } : {}), files };
}

/**
 * A spec (or runtime spec, or a binary carrying one) says what every void
 * of the run is granted, so nobody but the launcher's user and root may
 * have chosen it. Its path is resolved as void resolves host paths
 * (following only symlinks nobody else could have put there:
 * src/plan/paths.ts untrustedLink); every directory from / down to it must
 * belong to the launcher's user or root, and be one others cannot write
 * or a sticky one (where they cannot rename what is not theirs), so nobody
 * else can swap anything on the way; the file is then opened refusing any
 * symlink (openat2) and must be a regular file of the launcher's user or
 * root that no one else may write (its group excepted: a umask of 002).
 * The caller reads the spec from the fd returned (and closes it), never by
 * its path again. `files`: the path as given (absolute), every symlink on
 * the way and the file it leads to, for writableCoversSpecs.
 */
export function openTrustedSpec(path: string): { fd: number; files: string[] } {
  const absolute = resolve(path);
  const refuse = (why: string) => new InputError(`void: error: ${visible(path)}: ${why}: refused, as another user could change what this run grants`);
  let m: ReturnType<typeof materialize>;
  try {
    m = materialize(realHost, absolute);
  } catch (e) {
    if (e instanceof HostError && (e.code === "ENOENT" || e.code === "ENOTDIR")) throw new InputError(`${path}: cannot read the spec: no such file`);
    throw refuse(e instanceof Error ? visible(e.message) : String(e));
  }
  const uid = process.geteuid?.() ?? 0;
  for (let dir = dirname(m.real); ; dir = dirname(dir)) {
    const st = lstatSync(dir);
    if (st.uid !== uid && st.uid !== 0) throw refuse(`${visible(dir)} belongs to uid ${st.uid}, who could put another file there`);
    if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) throw refuse(`anyone may write ${visible(dir)}`);
    if (dir === "/") break;
  }
  let fd: number;
  try {
    // Opened for reading at once (not an O_PATH fd reopened through /proc/self/fd: a launcher may have no /proc).
    fd = loadAddon().openNoSymlinks(m.real, true);
  } catch (e) {
    throw new InputError(`${path}: cannot read the spec: ${e instanceof Error ? e.message : String(e)}`);
  }
  const file = fstatSync(fd);
  const why = !file.isFile()
    ? "not a regular file"
    : file.uid !== uid && file.uid !== 0
      ? `${visible(m.real)} belongs to uid ${file.uid}`
      : (file.mode & 0o002) !== 0
        ? `anyone may write ${visible(m.real)}`
        : undefined;
  if (why !== undefined) {
    closeSync(fd);
    throw refuse(why);
  }
  return { fd, files: [absolute, ...m.symlinks.map((l) => l.dest), m.real] };
}

export function loadSpec(path: string, warn: (text: string) => void): Spec {
  return parseSpecText(readSpecFile(path), path, warn);
}

/** A spec file's text; an unreadable file is invalid input. */
export function readSpecFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): string {
  try {
    return readFile(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the spec: ${code === "ENOENT" ? "no such file" : String(e)}`);
  }
}

/** Parses and validates spec text (warnings to `warn`, errors thrown as InputError, named `name`). */
export function parseSpecText(text: string, name: string, warn: (text: string) => void): Spec {
  const result = parseSpec(text);
  if (result.warnings.length > 0) warn(formatDiagnostics(result.warnings, name).trimEnd());
  if (!result.ok) throw new InputError(formatDiagnostics(result.errors, name));
  return result.spec;
}

/**
 * The spec `void pack` embedded in `binary`, after checking it against the
 * SHA-256s packed with it. No section, a spec or program changed since
 * packing, or an unreadable section are invalid input: nothing starts.
 */
export function loadEmbeddedSpec(binary: string, warn: (text: string) => void, opened?: HostFile): { spec: Spec; sha256: string } {
  let packed: PackedSpec;
  try {
    // `opened`: the binary already opened and checked (loadSpecWithRuntime's openTrustedSpec).
    const file = opened ?? realHost.openFile(resolve(process.cwd(), binary));
    try {
      packed = readPackedSpec(file);
    } finally {
      file.close();
    }
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    const why = e.code === "ENOENT" || e.code === "ENOTDIR" ? "no such file or directory" : e.code === "EISDIR" || e.code === "EINVAL" ? "not a regular file" : e.message;
    throw new InputError(`void: error: ${binary}: ${why}`);
  }
  switch (packed.kind) {
    case "absent":
      throw new InputError(`void: error: ${binary} has no embedded spec${packed.reason !== undefined ? ` (${packed.reason})` : ""}: pass -s SPEC, or embed one with void pack`);
    case "tampered":
      throw new InputError(`void: error: ${binary}: ${packed.message} (nothing was started; if the change is yours, pack the binary again)`);
    case "malformed":
      throw new InputError(`void: error: ${binary}: cannot use its embedded spec: ${packed.message}`);
    case "ok":
      return { spec: parseSpecText(packed.text, `${binary} (embedded spec)`, warn), sha256: packed.specSha256 };
  }
}

export interface PlanOptions {
  binary: string;
  trailing: string[];
  grantStdout: boolean;
  grantStderr: boolean;
  /** --host-root: a root launcher's voids stay host uid 0. */
  hostRoot?: boolean;
  /** Receives each planning warning (without the "void: warning: " prefix). */
  warn?: (warning: string) => void;
  /** Receives what a program may still miss (PlanResult.advice); computed only when given. */
  advise?: (advice: string) => void;
  /** The file BINARY names (default: findBinary). */
  executable?: string;
  /** The host view (default: realHost) and environment (default: process.env) the planner reads: the plan cache records both. */
  host?: HostView;
  launcherEnv?: Readonly<Record<string, string | undefined>>;
  /** The spec files the plan is made from (loadSpecWithRuntime's `files`): no writable bind may cover one. */
  specFiles?: readonly string[];
}

/**
 * The file a command line's BINARY names, found as a shell finds a
 * command: a name with a slash is a path (relative to the working
 * directory); a bare name is looked up in PATH (an empty entry is the
 * working directory), and — what void did before it looked in PATH, kept
 * so that existing command lines still work — in the working directory
 * when PATH has no such program. Not found: the name itself, which the
 * planner reports as missing. BinaryName (argv[0]) stays as typed.
 */
export function findBinary(binary: string, path = process.env["PATH"] ?? "", cwd = process.cwd()): string {
  if (binary.includes("/") || binary === "") return binary;
  for (const dir of path.split(":")) {
    const candidate = resolve(cwd, dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: the next PATH entry.
    }
  }
  return binary;
}

let installation: readonly string[] | undefined;

/**
 * What the launcher runs of void's own package: its manifest, the
 * commands (bin/), the compiled CLI (dist/), the native code built here
 * or shipped prebuilt (build/, prebuilt/: the addon, void-init, the front
 * end), its own node_modules, and what a rebuild compiles (native/,
 * scripts/) — whether each exists or not (a void that could make build/
 * would choose the binaries). The rest of the package directory (docs,
 * examples, a checkout's test scratch) is never run.
 */
const PACKAGE_PARTS = ["package.json", "bin", "dist", "build", "prebuilt", "node_modules", "native", "scripts"];

/**
 * void's own installation (PlanInput.launcherFiles), each as given and as
 * resolved: the parts of its package the launcher runs (PACKAGE_PARTS),
 * the directory of each package in its `dependencies` as Node finds it
 * from there (an npm install hoists them beside the package), and the Node
 * executable running this.
 */
export function launcherFiles(): readonly string[] {
  if (installation !== undefined) return installation;
  const files = new Set<string>();
  const add = (path: string) => {
    files.add(path);
    try {
      files.add(realpathSync.native(path));
    } catch {
      // Absent or unreadable: the path as given is still refused.
    }
  };
  const root = packageRoot();
  for (const part of PACKAGE_PARTS) add(join(root, part));
  add(process.execPath);
  // The Node the void command runs (build/node-path), if it is another.
  const node = recordedNode(root);
  if (node !== undefined) add(node);
  let dependencies: string[] = [];
  try {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    dependencies = Object.keys(manifest.dependencies ?? {});
  } catch {
    // No readable manifest: the package's parts are still refused.
  }
  // Where Node's require() looks for a bare name from the package: its node_modules, then each directory's above.
  const searched = createRequire(join(root, "package.json")).resolve.paths("void-dependency") ?? [];
  for (const name of dependencies) {
    const dir = searched.map((d) => join(d, name)).find((d) => existsSync(join(d, "package.json")));
    if (dir !== undefined) add(dir);
  }
  installation = [...files];
  return installation;
}

/**
 * The Node the `void` command runs (build/node-path: scripts/build-native.sh,
 * scripts/postinstall.cjs), as native/front.c reads it; undefined when there
 * is none (bin/void and the front end then look `node` up through PATH).
 */
export function recordedNode(root: string = packageRoot()): string | undefined {
  try {
    const st = lstatSync(join(root, "build", "node-path"));
    if (!st.isFile() || (st.mode & 0o022) !== 0) return undefined;
    const path = readFileSync(join(root, "build", "node-path"), "utf8").replace(/\n$/, "");
    if (!path.startsWith("/") || path.includes("\n")) return undefined;
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/**
 * PlanInput.launcherPath: where the `void` command would look `node` up
 * through PATH — only without a recorded Node (recordedNode), which it
 * runs by its path — the directories of the launcher's PATH up to and
 * including the one where it is found now (all of them if it is not),
 * followed as the kernel follows them (walk: an empty entry or "." is the
 * working directory; no PATH is the shell's and the C library's
 * default), with every symlink met on the way to each of them and to the
 * `node` found. A program a void put in one of them, ahead of the real
 * one, would run as the launcher; a link a void could point elsewhere,
 * anywhere on the way, would send the search where it likes. (readlink
 * and uname are looked up in the system's default path only: bin/void's
 * `command -p`.)
 */
export function launcherPath(env: NodeJS.ProcessEnv, recorded: string | null = recordedNode() ?? null): readonly string[] {
  return [...new Set(pathWalks(env, recorded).flatMap((w) => [w.resolved, ...w.links]))];
}

/** The walks launcherPath is made of: each PATH directory searched, then the `node` found. */
function pathWalks(env: NodeJS.ProcessEnv, recorded: string | null): Walk[] {
  if (recorded !== null) return [];
  const dirs = (env["PATH"] ?? DEFAULT_PATH).split(":").map((d) => (d === "" ? "." : d));
  const at = dirs.findIndex((d) => {
    try {
      accessSync(`${d}/node`, constants.X_OK);
      return statSync(`${d}/node`).isFile();
    } catch {
      return false;
    }
  });
  const walks = (at === -1 ? dirs : dirs.slice(0, at + 1)).map((d) => walk(d));
  // The node found may be a symlink (into a directory a void writes): every link on the way is where it could be swapped.
  if (at !== -1) walks.push(walk(`${dirs[at]!}/node`));
  return walks;
}

/** The variables of the launcher's environment that make ld.so load libraries from where they name, into the Node the void command runs. */
export const LOADER_VARIABLES = ["LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT"];

/** What ld.so may reach through the launcher's LD_* variables (launcherLoader). */
export interface LauncherLoader {
  /** PlanInput.launcherLoader: what no writable bind may cover. */
  paths: string[];
  /** PlanInput.launcherLoaderDirs: the directories ld.so searches, inside which a writable bind is refused where ld.so looks. */
  dirs: string[];
  /** PlanInput.launcherLoaderNames: the bare names of LD_PRELOAD and LD_AUDIT, which ld.so looks up in those directories. */
  names: string[];
  /** PlanInput.launcherLibraryPath: the LD_LIBRARY_PATH directories, where each leads, in order. */
  libraryPath: string[];
  /** PlanInput.launcherPreload: the LD_PRELOAD and LD_AUDIT libraries named by a path, where each leads (the planner looks bare names up as ld.so does). */
  preload: string[];
  /** Every path looked at, and how (the plan cache records each one's identity). */
  looked: { path: string; list: boolean }[];
}

/**
 * What ld.so may load from into the Node the void command runs, through
 * the launcher's LD_LIBRARY_PATH (directories), LD_PRELOAD (files,
 * separated by spaces or colons) and LD_AUDIT (files, separated by colons)
 * — those named with a slash; a bare name (`names`) the planner looks up
 * as ld.so does — each followed as the kernel follows it (walk), with
 * ld.so's $ORIGIN, $LIB and $PLATFORM expanded: where each leads, and
 * every symlink met on the way. In each LD_LIBRARY_PATH directory (and,
 * through them, each LOADER_SUBDIRS one), every symlink is followed the
 * same way (libfoo.so.1, a bare LD_PRELOAD name, or glibc-hwcaps/ may be
 * a link to somewhere a void writes), and the directories the
 * LOADER_SUBDIRS ones lead to are searched in turn (at most three deep).
 * What ld.so loads into Node by itself (its RUNPATH, its libraries) the
 * planner finds from Node's ELF file (PlanInput.launcherNodes).
 */
export function launcherLoader(env: NodeJS.ProcessEnv): LauncherLoader {
  // Asked twice in a run (by the planner, then for the plan cache's records): the directories are listed once.
  const key = JSON.stringify([process.cwd(), ...LOADER_VARIABLES.map((n) => env[n] ?? null)]);
  if (lastLoader?.key !== key) lastLoader = { key, value: findLauncherLoader(env) };
  return lastLoader.value;
}

let lastLoader: { key: string; value: LauncherLoader } | undefined;

function findLauncherLoader(env: NodeJS.ProcessEnv): LauncherLoader {
  const paths = new Set<string>();
  const dirs = new Set<string>();
  const looked: { path: string; list: boolean }[] = [];
  const follow = (entry: string): Walk => {
    const w = walk(entry);
    paths.add(w.resolved);
    for (const l of w.links) paths.add(l);
    for (const l of w.looked) looked.push({ path: l, list: false });
    return w;
  };
  const search = (dir: string, depth: number) => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // not there (yet), or not a directory: nothing in it to follow
    }
    looked.push({ path: dir, list: true });
    for (const name of names) {
      const path = `${dir === "/" ? "" : dir}/${name}`;
      let link = false;
      let directory = false;
      try {
        const st = lstatSync(path);
        link = st.isSymbolicLink();
        directory = st.isDirectory();
      } catch {
        continue;
      }
      // ld.so opens DIR/NAME for whatever NAME it is asked for (a DT_NEEDED name, a bare LD_PRELOAD entry: any
      // name, and a link to a directory today may lead to a library tomorrow) and searches the subdirectories it knows.
      const subdir = LOADER_SUBDIRS.includes(name);
      if (link) {
        const w = follow(path);
        if (subdir && depth < 3) search(w.resolved, depth + 1);
      } else if (directory && subdir && depth < 3) search(path, depth + 1);
    }
  };
  const libraryPath: string[] = [];
  if (env["LD_LIBRARY_PATH"] !== undefined) {
    for (const entry of env["LD_LIBRARY_PATH"].split(/[:;]/).flatMap(nodeLoaderExpansions)) {
      const at = follow(entry === "" ? "." : entry).resolved;
      libraryPath.push(at);
      search(at, 0);
    }
  }
  const files = [...(env["LD_PRELOAD"] ?? "").split(/[: ]+/), ...(env["LD_AUDIT"] ?? "").split(":")].filter((f) => f !== "");
  const names = files.filter((f) => !f.includes("/"));
  const preload = files
    .filter((f) => f.includes("/"))
    .flatMap(nodeLoaderExpansions)
    .map((f) => follow(f).resolved);
  return { paths: [...paths], dirs: [...dirs], names, libraryPath: [...new Set(libraryPath)], preload: [...new Set(preload)], looked };
}

/**
 * Every path the walks of launcherPath looked at (each component, links
 * included), with launcherLoader's: a cached plan records each one's
 * identity (src/cli/plan-cache.ts), so that a link pointed elsewhere
 * since — by whoever may — makes the next run plan again, as does a
 * searched directory whose entries changed.
 */
export function launcherWalked(env: NodeJS.ProcessEnv): readonly { path: string; list: boolean }[] {
  return [...pathWalks(env, recordedNode() ?? null).flatMap((w) => w.looked.map((path) => ({ path, list: false }))), ...launcherLoader(env).looked];
}

/** What ld.so may make of `entry` in Node (the one running and the one recorded): src/plan/libraries.ts loaderExpansions. */
function nodeLoaderExpansions(entry: string): string[] {
  return loaderExpansions(entry, launcherNodes());
}

/** The shell's and the C library's search path where PATH is not set (dash's; glibc's execvp adds nothing to it). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A path of the launcher's environment, followed (walk). */
interface Walk {
  /** Where it leads (once someone creates what is missing of it). */
  resolved: string;
  /** Every symlink met on the way, in any component: one a void could point elsewhere moves the whole path. */
  links: string[];
  /** Every path looked at (lstat), links and directories: what a cached plan records. */
  looked: string[];
}

/**
 * Follows `path` as the kernel does (src/plan/paths.ts walkPath, on the
 * real filesystem), from the working directory for a relative path: a
 * symlink's target is followed from the directory holding the link, and
 * "." and ".." are taken against the directory reached so far — never by
 * editing the text, which would take `link/..` for the link's own
 * directory where the kernel goes to its target's parent. Where a
 * component is missing, the rest is appended (it leads there once someone
 * creates it). Past 40 links the kernel gives up, and so does this (with
 * the links met: one a void could write may be the one that ends the loop).
 */
function walk(path: string): Walk {
  const links: string[] = [];
  const looked: string[] = [];
  const absolute = path.startsWith("/") ? path : `${process.cwd()}/${path}`;
  try {
    const m = walkPath(absolute, (candidate) => {
      looked.push(candidate);
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(candidate);
      } catch {
        return null;
      }
      if (!st.isSymbolicLink()) return undefined;
      links.push(candidate);
      return readlinkSync(candidate);
    });
    return { resolved: m.real, links, looked };
  } catch {
    return { resolved: absolute, links, looked };
  }
}

/** Node's executables the void command involves: the one running this and the one it runs (build/node-path), resolved. */
function launcherNodes(): string[] {
  return [process.execPath, recordedNode()].flatMap((n) => {
    try {
      return n === undefined ? [] : [realpathSync.native(n)];
    } catch {
      return [];
    }
  });
}

/**
 * The files the launcher runs or reads to run: package.json, bin/, the
 * bundles and the CLI's entry, the native binaries and build/node-path,
 * every dependency's package.json, and Node's executables — where their
 * hard links are looked for (launcherLinks), and whose identities a cached
 * plan records (src/cli/plan-cache.ts: a new link changes a file's ctime).
 */
export function launcherRunFiles(): string[] {
  const root = packageRoot();
  const listed = (dir: string, depth = 1): string[] => {
    try {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() && depth > 0 ? listed(join(dir, e.name), depth - 1) : [join(dir, e.name)]));
    } catch {
      return [];
    }
  };
  return [
    join(root, "package.json"),
    ...listed(join(root, "bin"), 0),
    ...["void.cjs", "void-cli.cjs", join("src", "cli", "entry.js")].map((f) => join(root, "dist", f)),
    ...listed(join(root, "build"), 0),
    ...listed(join(root, "prebuilt")),
    // A Node a version manager installed through a package store (pnpm env use) is a hard link of the store's file.
    ...launcherNodes(),
    // Every dependency's, wherever Node finds it: beside the package (npm) or in its own node_modules (a checkout, a
    // global install), where a pnpm or bun install links them from a store too.
    ...launcherFiles()
      .filter((f) => f !== process.execPath && !PACKAGE_PARTS.some((part) => f === join(root, part)))
      .map((dir) => join(dir, "package.json")),
  ];
}

let links: { hostRoot: boolean; found: readonly { dev: string; mount: string; file: string }[] } | undefined;

/**
 * PlanInput.launcherLinks: the filesystems where a file of void's
 * installation has other names, and a void could write it: a file its
 * group or anyone may write, one of the launcher's uid with the owner's
 * write bit when voids are that uid on the host (an unprivileged
 * launcher, or --host-root), and, for a root launcher, one of any user but
 * root (its voids have host uids of their own). The files looked at are what the launcher runs (package.json,
 * bin/, the bundles and the CLI's entry, the native binaries) and each
 * dependency's package.json: an installer that links (pnpm's and bun's
 * stores) links every file of a package, and no void can add a link (a
 * link across mounts fails with EXDEV, and it sees no file of void's
 * through a writable bind); and Node's executable, which `pnpm env use`
 * installs from its store (a root-owned system Node that perf's build-id
 * cache links is no void's to write, by the rule above).
 */
export function launcherLinks(hostRoot: boolean): readonly { dev: string; mount: string; file: string }[] {
  if (links !== undefined && links.hostRoot === hostRoot) return links.found;
  const uid = process.getuid?.() ?? 0;
  const voidsAreLauncher = uid !== 0 || hostRoot;
  const files = launcherRunFiles();
  const nodes = launcherNodes();
  const found = new Map<string, { dev: string; mount: string; file: string }>();
  for (const file of files) {
    let st: BigIntStats;
    try {
      st = statSync(file, { bigint: true });
    } catch {
      continue;
    }
    if (!st.isFile() || st.nlink <= 1n) continue;
    const mode = Number(st.mode);
    // Anyone's (or its group's: a void's uid may be in it), the launcher's when voids are its uid, and any other
    // user's but root's: a root launcher's voids have host uids of their own, and a file of one of them (or of a user
    // who hands it to one) is theirs to write.
    const owner = Number(st.uid);
    // (A root-owned Node is the system's: its other names are too — perf's build-id cache links it — and voids that
    // are host root, under --host-root, write root's files in their binds whatever void refuses: docs/security.md.)
    const systemNode = owner === 0 && nodes.includes(file);
    const writable = (mode & 0o022) !== 0 || ((mode & 0o200) !== 0 && !systemNode && ((voidsAreLauncher && owner === uid) || (uid === 0 && owner !== 0)));
    const dev = String(st.dev);
    if (writable && !found.has(dev)) found.set(dev, { dev, mount: filesystemTop(realpathSync.native(file), st.dev), file });
  }
  links = { hostRoot, found: [...found.values()] };
  return links.found;
}

/** The highest directory on `path`'s way that is on the same filesystem (device) as it: where that filesystem is mounted, as the path shows it. */
function filesystemTop(path: string, dev: bigint): string {
  let top = dirname(path);
  for (;;) {
    const up = dirname(top);
    if (up === top) return top;
    try {
      if (lstatSync(up, { bigint: true }).dev !== dev) return top;
    } catch {
      return top;
    }
    top = up;
  }
}

/** A spec that grants some void a writable bind: only then can a void reach what the launcher runs or loads. */
function hasWritableBind(spec: Spec): boolean {
  return spec.entrypoints.some((ep) => ep.environment.some((g) => g.kind === "Filesystem" && !g.readOnly));
}

export function timeNamespaceAvailable(): boolean {
  return existsSync("/proc/self/ns/time");
}

export function planFor(spec: Spec, opts: PlanOptions): VoidPlan[] {
  const loader = hasWritableBind(spec) ? launcherLoader(process.env) : undefined;
  const result = planApplication(
    spec,
    {
      binary: opts.binary,
      executable: opts.executable ?? findBinary(opts.binary),
      trailing: opts.trailing,
      cwd: process.cwd(),
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      timeNamespace: timeNamespaceAvailable(),
      arch: process.arch,
      launcherEnv: opts.launcherEnv ?? process.env,
      grantStdout: opts.grantStdout,
      grantStderr: opts.grantStderr,
      ...(opts.hostRoot === true ? { hostRoot: true } : {}),
      ...(opts.advise !== undefined ? { advise: true } : {}),
      ...(opts.specFiles !== undefined ? { specFiles: opts.specFiles } : {}),
      launcherFiles: launcherFiles(),
      launcherPath: launcherPath(process.env),
      // Hard links, and what ld.so reaches through LD_*, matter only where a void may write; looking for them reads
      // the installation and lists directories, so only then.
      ...(loader !== undefined
        ? {
            launcherLinks: launcherLinks(opts.hostRoot === true),
            launcherLoader: loader.paths,
            launcherLoaderDirs: loader.dirs,
            launcherLoaderNames: loader.names,
            launcherLibraryPath: loader.libraryPath,
            launcherPreload: loader.preload,
            launcherNodes: launcherNodes(),
          }
        : {}),
    },
    opts.host ?? realHost,
  );
  if (!result.ok) throw new InputError(result.errors.map((e) => `void: error: ${visible(e)}`).join("\n"));
  for (const w of result.warnings) opts.warn?.(w);
  for (const a of result.advice) opts.advise?.(a);
  return result.plans;
}

/**
 * A runtime spec may not give an entrypoint whose compile-time spec sets
 * no concurrency more voids at once than `-j` (the value in force for it);
 * the pure check (src/spec/runtime.ts) knows only -j's default.
 */
export function checkRuntimeConcurrency(compiled: Spec, merged: Spec, maxConcurrent: number): void {
  const limit = (ep: Spec["entrypoints"][number] | undefined) => ep?.environment.find((g) => g.kind === "Limits");
  const errors: string[] = [];
  for (const ep of merged.entrypoints) {
    const now = limit(ep);
    const before = limit(compiled.entrypoints.find((e) => e.name === ep.name));
    const value = now?.kind === "Limits" ? now.concurrency : undefined;
    const base = before?.kind === "Limits" ? before.concurrency : undefined;
    if (value !== undefined && base === undefined && value > maxConcurrent) {
      errors.push(`void: error: runtime: entrypoints.${ep.name}: Limits concurrency ${value} widens the compile-time spec: -j allows ${maxConcurrent} at once`);
    }
  }
  if (errors.length > 0) throw new InputError(errors.join("\n"));
}
