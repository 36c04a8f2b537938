/**
 * The compiled-plan cache of `void run` (docs/architecture.md, "The native
 * front end"). A `void run` whose spec needs no orchestration — every
 * entrypoint a Startup one, fds only the standard output streams and
 * /dev/null, no Forward, Connect, listener, broker, pipe, file socket or
 * Limits — is planned in Node as always; this file then writes what the
 * native front end (native/front.c, build/void-run-fast) needs to run the
 * same command again without Node: each entrypoint's marshalled plan, what
 * the run printed before starting any void, and a manifest of everything
 * the plan was made from, which the front end checks before every use:
 *
 *   - the command line, working directory, package directory;
 *   - the spec's and runtime spec's exact bytes;
 *   - every file the planner looked at, found or not (the binary, each
 *     library and the ld.so.cache, #! interpreters, bind sources, the
 *     directories it listed) as (device, inode, size, mtime, ctime, mode):
 *     a library upgraded in place changes its ctime and size, a binary
 *     replaced by another of the same size and mtime its ctime (and
 *     inode), a file that appears earlier in a search path its absence;
 *   - the files of void itself (package.json, the CLI, void-init, the
 *     front end), so a rebuilt void never uses an older void's plan;
 *   - every environment variable the plan read (PassEnv, PATH), and the
 *     runtime ones (VOID_RUNTIME, every VOID_LISTEN_*);
 *   - the launcher's uid, gids, groups and capabilities.
 *
 * Where it lives and who may write it: the file lives in a directory of
 * the user's own (mode 0700) whose every ancestor only the user or root
 * may change (untrustedDirectory), and is written atomically (a new file
 * renamed into place) with mode 0600. That keeps other users out, but not
 * the user's own voids: a void may hold a writable bind over the cache
 * directory and writes as the user. So every entry carries an HMAC-SHA256
 * of its body under a key in the user's persistent kernel keyring
 * (native/cache_key.h), which no void can reach, and the front end runs
 * none whose authenticator does not verify, whatever its owner and mode.
 * Anything that does not hold sends the command to Node, which plans it
 * afresh and writes the entry again.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CacheFd, CacheLimit, CacheTag } from "../native/contract.js";
import { RecordWriter } from "../native/records.js";
import { launcherRunFiles, launcherWalked } from "./load.js";
import { loadAddon, nativeBinaries, packageRoot } from "../native/addon.js";
import type { HostView } from "../plan/host.js";
import type { VoidPlan } from "../plan/types.js";
import { ALL_NAMESPACES } from "../plan/types.js";
import { writablePaths } from "../plan/plan.js";
import { marshal } from "../orchestrator/marshal.js";
import { fdsLine, mountsLine } from "../orchestrator/run.js";
import { visible } from "../orchestrator/log.js";

/** The first 8 bytes of every cache file. */
export const CACHE_MAGIC = "VOIDRUN3";
/** Magic, body length, reserved u32, HMAC-SHA256 of the body (src/native/contract.ts CACHE_LIMITS). */
const HEADER_BYTES = CacheLimit.HeaderBytes;
/** Cache files are named PREFIX + 16 hex digits + SUFFIX. */
export const CACHE_PREFIX = "run-";
export const CACHE_SUFFIX = ".plan";

/**
 * With this set to 1, `void run` plans, writes the cache entry (if the plan
 * qualifies) and exits 0 without starting anything: the test suite's warm
 * pass makes every later run of the same command use the front end.
 */
export const PRIME_VARIABLE = "VOID_PLAN_CACHE_PRIME";

/** Turns the front end off (for one run, or a test pass): bin/void then runs Node as before. */
export const FAST_PATH_VARIABLE = "VOID_FAST_PATH";

/**
 * The user's cache directory: $XDG_CACHE_HOME/void, else $HOME/.cache/void
 * (each only if absolute); undefined without either: no cache.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg?.startsWith("/")) return join(xdg, "void");
  const home = env["HOME"];
  if (home?.startsWith("/")) return join(home, ".cache", "void");
  return undefined;
}

/** FNV-1a 64 of `data`: names a cache file (native/front.c computes the same). */
export function fnv1a64(data: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of data) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** The cache file's name for a command line: the hash of the package directory, working directory, uid and words. */
export function cacheName(root: string, cwd: string, uid: number, words: readonly string[]): string {
  const key = Buffer.from([root, cwd, String(uid), ...words].map((s) => `${s}\0`).join(""), "utf8");
  return `${CACHE_PREFIX}${fnv1a64(key).toString(16).padStart(16, "0")}${CACHE_SUFFIX}`;
}

/**
 * How a path is looked at: lstat, stat, or stat and list (a directory
 * whose entries the planner read). The CACHE_TAG_FILE record's u32.
 */
export const Look = { Lstat: 0, Stat: 1, List: 2 } as const;
export type Look = (typeof Look)[keyof typeof Look];

/**
 * The identity of `path` as looked at: "dev:ino:size:mtime_ns:ctime_ns:mode"
 * of a file, or of a listed directory (whose mtime changes with its
 * entries); "d:dev:ino:mode:uid:gid" of a directory only stat'ed (the
 * planner asked whether it is there and what it is: a file written into
 * the working directory must not void the plan); "absent"; or "error".
 * native/front.c identity() computes the same.
 */
export function identity(path: string, look: Look): string {
  try {
    const st = look === Look.Lstat ? lstatSync(path, { bigint: true, throwIfNoEntry: false }) : statSync(path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return "absent";
    if (st.isDirectory() && look !== Look.List) return `d:${st.dev}:${st.ino}:${st.mode}:${st.uid}:${st.gid}`;
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "absent" : "error";
  }
}

/** The lines of /proc/self/status that name who the launcher is and what it may. */
export function credentials(): string {
  const text = readFileSync("/proc/self/status", "utf8");
  return text
    .split("\n")
    .filter((l) => /^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):/.test(l))
    .map((l) => `${l}\n`)
    .join("");
}

/**
 * What one `void run` read while it was planned, recorded as it was read:
 * each file's identity is taken before the planner reads it (a file that
 * changes meanwhile then fails the check next time, never the other way
 * round), each environment variable's value, each spec's bytes.
 */
export class PlanRecorder {
  /** "LOOK/path" (Look: lstat 0, stat 1, list 2) -> identity. */
  readonly files = new Map<string, string>();
  readonly contents = new Map<string, Buffer>();
  readonly env = new Map<string, string | undefined>();
  readonly envPrefixes = new Set<string>();
  /** The mount table as the planner read it ("" if it could not), if it did: it must read the same for the plan to hold. */
  mountTable: string | undefined;
  /** What was written to stderr before any void started. */
  readonly text: string[] = [];
  /** Something was read in a way the manifest cannot check (the environment enumerated): no cache. */
  unrecordable: string | undefined;
  private recordingText = true;

  file(path: string, look: Look): void {
    const key = `${look}/${path}`;
    if (!this.files.has(key)) this.files.set(key, identity(path, look));
  }

  /** Keeps the bytes of a spec or runtime spec file, as read (by the path given). */
  readonly content = (path: string, bytes: Buffer): void => {
    if (!this.contents.has(path)) this.contents.set(path, bytes);
  };

  /** A HostView that records every path the planner asks about. */
  host(base: HostView): HostView {
    const seen = <T>(path: string, look: Look, result: () => T): T => {
      this.file(path, look);
      return result();
    };
    return {
      lstat: (p) => seen(p, Look.Lstat, () => base.lstat(p)),
      stat: (p) => seen(p, Look.Stat, () => base.stat(p)),
      readlink: (p) => seen(p, Look.Lstat, () => base.readlink(p)),
      openFile: (p) => seen(p, Look.Stat, () => base.openFile(p)),
      isExecutable: (p) => seen(p, Look.Stat, () => base.isExecutable(p)),
      readdir: (p) => seen(p, Look.List, () => base.readdir(p)),
      mountTable: () => {
        const table = base.mountTable?.() ?? null;
        this.mountTable ??= table ?? "";
        return table;
      },
    };
  }

  /** `env` as the planner sees it, recording every variable it reads. */
  environment(env: NodeJS.ProcessEnv): Readonly<Record<string, string | undefined>> {
    return new Proxy(env, {
      get: (target, name) => {
        if (typeof name !== "string") return undefined;
        const value = target[name];
        this.env.set(name, value);
        return value;
      },
      has: (target, name) => {
        if (typeof name === "string") this.env.set(name, target[name]);
        return name in target;
      },
      ownKeys: (target) => {
        this.unrecordable = "the planner listed the environment";
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor: (target, name) => {
        if (typeof name === "string") this.env.set(name, target[name]);
        return Reflect.getOwnPropertyDescriptor(target, name);
      },
    });
  }

  /** Records every variable starting with `prefix` (all of them must match next time, and no other). */
  envPrefix(env: NodeJS.ProcessEnv, prefix: string): void {
    this.envPrefixes.add(prefix);
    for (const [name, value] of Object.entries(env)) if (name.startsWith(prefix)) this.env.set(name, value);
  }

  /** Writes `line` to stderr as `write` would, and keeps it while no void has started. */
  stderr(write: (line: string) => void): (line: string) => void {
    return (line) => {
      if (this.recordingText) this.text.push(line);
      write(line);
    };
  }

  /** From now on what is written is the run's own, not the plan's. */
  stopText(): void {
    this.recordingText = false;
  }
}

/** Why `plans` need the Node orchestrator (undefined: the front end can run them). */
export function needsOrchestrator(plans: readonly VoidPlan[]): string | undefined {
  for (const p of plans) {
    if (p.trigger.kind !== "Startup") return `entrypoint ${p.entrypoint} has a trigger`;
    if (p.forwards.length > 0 || p.connects.length > 0) return `entrypoint ${p.entrypoint} has Forward or Connect grants`;
    if (Object.values(p.limits).some((v) => v !== undefined)) return `entrypoint ${p.entrypoint} has Limits`;
    const fd = p.fds.find((f) => f.source.kind !== "stdout" && f.source.kind !== "stderr" && f.source.kind !== "devnull");
    if (fd !== undefined) return `entrypoint ${p.entrypoint} has fd ${fd.fd} of kind ${fd.source.kind}`;
    if (p.argv.some((a) => a.kind !== "literal")) return `entrypoint ${p.entrypoint} takes a message`;
  }
  return undefined;
}

/** Environment variables under which the front end never runs (a service manager's, -D's). */
export const ORCHESTRATED_ENV = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "VOID_DAEMON_READY_FD"];

/** The file: the header, with the body's authenticator (`seal`), and the body (the records). */
function finishEntry(body: Buffer, seal: (body: Buffer) => Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(CACHE_MAGIC, 0, "latin1");
  header.writeUInt32LE(body.length, 8);
  seal(body).copy(header, 16);
  return Buffer.concat([header, body]);
}

/** The files that make up this void: a plan made by another build is never used. */
function voidFiles(root: string): string[] {
  const { addon, init, front } = nativeBinaries();
  // And what the launcher runs or reads to run, Node and the dependencies' manifests included (load.ts
  // launcherRunFiles): the planner looked for their hard links, and a link made since changes a file's ctime.
  return [...new Set([...["package.json", "bin/void", "bin/void.cjs", "dist/void.cjs", "dist/src/cli/entry.js"].map((p) => join(root, p)), addon, init, front, ...launcherRunFiles()])];
}

export interface CacheInput {
  /** The words after `void` (starting with "run"). */
  words: readonly string[];
  /** BINARY as typed, and the file it names (findBinary). */
  binary: string;
  executable: string;
  verbosity: number;
  plans: readonly VoidPlan[];
  recorder: PlanRecorder;
}

/** The package directory as the front end computes it (realpath of bin/void's "..": the package root). */
export function cacheRoot(): string {
  return realpathSync.native(packageRoot());
}

/**
 * The authenticator of a cache file's body: its HMAC-SHA256 under the
 * user's cache key, computed by the addon (native/addon/module.c
 * cacheSeal, with native/sha256.h: the front end checks it with the same
 * code), which keeps the key out of JavaScript; or why there is none (no
 * key: keyrings unavailable). Without one nothing is cached.
 */
export function seal(body: Buffer): { mac: Buffer } | { error: string } {
  try {
    return { mac: loadAddon().cacheSeal(body) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** seal, throwing. */
function sealOrThrow(body: Buffer): Buffer {
  const s = seal(body);
  if ("error" in s) throw new Error(`no key: ${s.error}`);
  return s.mac;
}

/** The bytes of the cache entry for one run, authenticated (sealed) under the user's key. */
export function cacheEntry(input: CacheInput): Buffer {
  const { recorder: rec } = input;
  const r = new RecordWriter("cached string");
  const root = cacheRoot();
  r.add(CacheTag.Root, root);
  r.add(CacheTag.Cwd, process.cwd());
  for (const w of input.words) r.add(CacheTag.Arg, w);
  r.add(CacheTag.Creds, credentials());
  r.add(CacheTag.Verbosity, input.verbosity);
  r.add(CacheTag.TimeNs, existsSync("/proc/self/ns/time") ? 1 : 0);
  for (const f of voidFiles(root)) rec.file(f, Look.Stat);
  // Where the launcher's PATH (without a recorded Node) and LD_* variables lead, link by link, and what ld.so would find
  // in the directories it searches: the values alone are recorded with the environment. Only where a void may write
  // (as the planner looks: load.ts planFor).
  if (writablePaths(input.plans).length > 0) {
    for (const { path, list } of launcherWalked(process.env)) rec.file(path, list ? Look.List : Look.Lstat);
  }
  r.add(CacheTag.Init, nativeBinaries().init);
  for (const [key, id] of rec.files) r.add(CacheTag.File, Number(key.slice(0, key.indexOf("/"))), key.slice(key.indexOf("/") + 1), id);
  for (const [path, bytes] of rec.contents) r.add(CacheTag.Content, path, bytes);
  if (rec.mountTable !== undefined) r.add(CacheTag.Mounts, Buffer.from(rec.mountTable, "utf8"));
  for (const name of ORCHESTRATED_ENV) rec.env.set(name, undefined);
  for (const [name, value] of rec.env) r.add(CacheTag.Env, value === undefined ? 0 : 1, name, value ?? "");
  for (const prefix of rec.envPrefixes) r.add(CacheTag.EnvPrefix, prefix);
  if (!input.binary.includes("/") && input.binary !== "") r.add(CacheTag.Binary, input.binary, input.executable);
  for (const t of rec.text) r.add(CacheTag.Text, t);
  for (const plan of input.plans) {
    const stderrDevnull = plan.fds.find((f) => f.fd === 2)?.source.kind === "devnull" ? 1 : 0;
    const namespaces = plan.namespaces.map((ns) => `${ns}:${ALL_NAMESPACES.indexOf(ns)}`).join(" ");
    const name = visible(plan.entrypoint);
    r.add(
      CacheTag.Entry,
      stderrDevnull,
      name,
      `void: ${visible(`entrypoint ${plan.entrypoint}: mounts ${mountsLine(plan)}`)}\n`,
      `void: ${visible(`entrypoint ${plan.entrypoint}: fds ${fdsLine(plan.fds)}`)}\n`,
      namespaces,
    );
    const hostFds = plan.fds.map((f) => (f.source.kind === "stdout" ? CacheFd.Stdout : f.source.kind === "stderr" ? CacheFd.Stderr : CacheFd.DevNull));
    const argv = plan.argv.map((a) => (a.kind === "literal" ? a.value : ""));
    r.add(CacheTag.Plan, marshal({ plan, argv, hostFds, debug: false, recordNamespaces: input.verbosity >= 1 }));
  }
  const bytes = finishEntry(r.bytes(), sealOrThrow);
  if (bytes.length > CacheLimit.MaxBytes) throw new Error("cache entry too large");
  return bytes;
}

/**
 * Why `dir` (an absolute path without symlinks) is not a directory only
 * this user (or root) can change, or undefined when it is: it and every
 * directory above it must be owned by the user or root and writable by
 * nobody else, except root-owned sticky directories such as /tmp (where
 * nobody can rename or remove what is ours). So nobody else can swap a
 * component for a symlink between this check and the writes that follow
 * (a root `void run` with a HOME in someone else's directory would
 * otherwise write where they point it).
 */
export function untrustedDirectory(dir: string, uid: number): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const st = lstatSync(d);
    if (!st.isDirectory()) return `${d} is not a directory`;
    if (st.uid !== uid && st.uid !== 0) return `${d} belongs to uid ${st.uid}`;
    const sticky = (st.mode & 0o1000) !== 0;
    if ((st.mode & 0o022) !== 0 && !(sticky && st.uid === 0)) return `${d} is writable by others`;
    if (d === "/") return undefined;
  }
}

/** Where the cache is and whether it can be used, without making anything but the key (for void doctor). */
export function cacheStatus(env: NodeJS.ProcessEnv = process.env): { ok: boolean; detail: string } {
  const wanted = cacheDir(env);
  if (wanted === undefined) return { ok: false, detail: "off: neither XDG_CACHE_HOME nor HOME is an absolute path" };
  let existing = wanted;
  while (!existsSync(existing)) existing = dirname(existing);
  const problem = untrustedDirectory(realpathSync.native(existing), process.geteuid?.() ?? 0);
  if (problem !== undefined) return { ok: false, detail: `off: ${wanted}: ${problem}` };
  const key = seal(Buffer.alloc(0));
  if ("error" in key) return { ok: false, detail: `off: no key in the persistent kernel keyring (${key.error})` };
  return { ok: true, detail: `${wanted}; entries authenticated with a key in the persistent kernel keyring` };
}

/**
 * The cache directory, made if missing (mode 0700; with `create` false,
 * only if it exists), if it is not a symbolic link and it and every
 * directory above it can be changed only by this user (untrustedDirectory);
 * else undefined, with the reason given to `why`. Symlinks in the path
 * ($XDG_CACHE_HOME or $HOME) are resolved first, and the resolved path is
 * the one shown (`shown`).
 *
 * What is used (`dir`) is the directory held open: /proc/self/fd/N of an
 * fd opened refusing every symlink (openNoSymlinks), checked with fstat,
 * kept for the life of the process. A void with a writable bind over the
 * directory above (~/.cache) could otherwise swap the cache directory for
 * a symlink between these checks and the files read, written or removed
 * by path later — and have `void run` write its entries, or `void cache
 * clear` remove the user's files of those names, in any directory.
 */
export function ownCacheDir(env: NodeJS.ProcessEnv = process.env, why: (reason: string) => void = () => {}, create = true): { dir: string; shown: string } | undefined {
  const wanted = cacheDir(env);
  if (wanted === undefined) {
    why("neither XDG_CACHE_HOME nor HOME is an absolute path");
    return undefined;
  }
  const uid = process.geteuid?.() ?? 0;
  try {
    // The cache directory itself is never a symlink (the front end opens it O_NOFOLLOW): one a void planted, through a
    // writable bind over the directory above, would otherwise send the writes below wherever it points.
    if (lstatSync(wanted, { throwIfNoEntry: false })?.isSymbolicLink()) {
      why(`${wanted} is a symbolic link`);
      return undefined;
    }
    if (!create && !existsSync(wanted)) {
      why(`${wanted} does not exist`);
      return undefined;
    }
    // The nearest directory that exists, resolved; then what is missing below it, made one level at a time.
    const missing: string[] = [];
    let existing = wanted;
    while (!existsSync(existing)) {
      missing.unshift(basename(existing));
      existing = dirname(existing);
    }
    let dir = realpathSync.native(existing);
    const problem = untrustedDirectory(dir, uid);
    if (problem !== undefined) {
      why(problem);
      return undefined;
    }
    for (const part of missing) {
      dir = join(dir, part);
      mkdirSync(dir, { mode: 0o700 });
    }
    if (!existsSync("/proc/self/fd")) {
      why("no /proc here: the cache directory cannot be held open");
      return undefined;
    }
    const fd = loadAddon().openNoSymlinks(dir, false);
    const st = fstatSync(fd);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      closeSync(fd);
      why(`${dir} is not a directory of this user's alone`);
      return undefined;
    }
    return { dir: `/proc/self/fd/${fd}`, shown: dir };
  } catch (e) {
    why(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/**
 * Writes `bytes` as the cache entry `name`: a new file of mode 0600 renamed
 * into place — unless the entry holds exactly these bytes already (a Node
 * run of a command whose entry is valid: `node bin/void`, VOID_FAST_PATH=0),
 * as replacing a file by rename costs ~1 ms on ext4 (it writes the new
 * file's blocks out first: auto_da_alloc).
 */
export function writeEntry(dir: string, name: string, bytes: Buffer): void {
  try {
    const fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.size === bytes.length && (st.mode & 0o077) === 0 && st.uid === process.geteuid?.() && readFileSync(fd).equals(bytes)) return;
    } finally {
      closeSync(fd);
    }
  } catch {
    // none yet, or not one to keep: written below
  }
  const tmp = join(dir, `${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, join(dir, name));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A cache entry built and sealed, not yet written (prepareEntry, then commitEntry). */
export interface PreparedEntry {
  /** The cache directory held open (/proc/self/fd/N, ownCacheDir), and as shown. */
  dir: string;
  shown: string;
  name: string;
  bytes: Buffer;
}

/**
 * Builds and seals the cache entry for this run, if it qualifies; best
 * effort: undefined, with the reason given to `debug`, when there is none
 * to write. `void run` calls it while the addon makes the Startup voids on
 * its own threads (run.ts whileSpawning), so the work overlaps theirs, and
 * writes the entry (commitEntry) only once every void runs.
 */
export function prepareEntry(input: CacheInput, debug: (m: string) => void): PreparedEntry | undefined {
  const why = input.recorder.unrecordable ?? needsOrchestrator(input.plans) ?? (input.verbosity >= 2 ? "-vv" : undefined) ?? ORCHESTRATED_ENV.find((v) => process.env[v] !== undefined);
  if (why !== undefined) {
    debug(`plan cache: not cached (${why})`);
    return undefined;
  }
  let problem = "";
  const found = ownCacheDir(process.env, (why) => {
    problem = why;
  });
  if (found === undefined) {
    debug(`plan cache: no cache directory of this user's ($XDG_CACHE_HOME or $HOME): ${problem}`);
    return undefined;
  }
  try {
    return { ...found, name: cacheName(cacheRoot(), process.cwd(), process.geteuid?.() ?? 0, input.words), bytes: cacheEntry(input) };
  } catch (e) {
    debug(`plan cache: not written (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
}

/** Writes a prepared entry; best effort (a failure only means Node next time too): whether it was written. */
export function commitEntry(entry: PreparedEntry, debug: (m: string) => void): boolean {
  try {
    writeEntry(entry.dir, entry.name, entry.bytes);
    debug(`plan cache: wrote ${join(entry.shown, entry.name)}`);
    return true;
  } catch (e) {
    debug(`plan cache: not written (${e instanceof Error ? e.message : String(e)})`);
    return false;
  }
}

/** Plans and writes the cache entry for this run, if it qualifies; best effort (a failure only means Node next time too): whether it was written. */
export function savePlan(input: CacheInput, debug: (m: string) => void): boolean {
  const entry = prepareEntry(input, debug);
  return entry !== undefined && commitEntry(entry, debug);
}

/** One cache file as `void cache list` shows it. */
export interface CacheListing {
  file: string;
  size: number;
  /** The command line and directory it was made for, or why it would be ignored. */
  words?: string[];
  cwd?: string;
  problem?: string;
}

/** Reads the command line back from a cache file (for listing only: the front end does the checking). */
export function describeEntry(path: string): CacheListing {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    const listing: CacheListing = { file: path, size: st.size };
    if (!st.isFile()) return { ...listing, problem: "not a regular file" };
    if (st.uid !== process.geteuid?.()) return { ...listing, problem: "not this user's" };
    if ((st.mode & 0o077) !== 0) return { ...listing, problem: "readable or writable by others" };
    if (st.size > CacheLimit.MaxBytes) return { ...listing, problem: "larger than any cached plan" };
    const bytes = readFileSync(fd);
    if (bytes.length < HEADER_BYTES || bytes.subarray(0, 8).toString("latin1") !== CACHE_MAGIC) return { ...listing, problem: "not a cached plan" };
    const body = bytes.subarray(HEADER_BYTES);
    if (bytes.readUInt32LE(8) !== body.length) return { ...listing, problem: "truncated" };
    const mac = seal(body);
    if ("error" in mac) return { ...listing, problem: `cannot be checked (no key: ${mac.error})` };
    if (!mac.mac.equals(bytes.subarray(16, 48))) return { ...listing, problem: "not authenticated (damaged, or not written by void under this user's key)" };
    const words: string[] = [];
    let cwd: string | undefined;
    for (let at = 0; at + 8 <= body.length; ) {
      const tag = body.readUInt32LE(at);
      const len = body.readUInt32LE(at + 4);
      const payload = body.subarray(at + 8, at + 8 + len);
      const text = payload.subarray(0, Math.max(0, payload.indexOf(0))).toString("utf8");
      if (tag === CacheTag.Arg) words.push(text);
      if (tag === CacheTag.Cwd) cwd = text;
      at += 8 + len + ((4 - (len % 4)) % 4);
    }
    return { ...listing, words, ...(cwd !== undefined ? { cwd } : {}) };
  } finally {
    closeSync(fd);
  }
}

/** Every file in the cache directory (cache entries and left-over temporary files). */
export function cacheFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.startsWith(CACHE_PREFIX) && (n.endsWith(CACHE_SUFFIX) || n.endsWith(".tmp")))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}
