/**
 * Which host files must exist inside a void for a program to start: the
 * program itself, its #! interpreters, its ELF interpreter (PT_INTERP),
 * every shared library the dynamic loader will map, and /etc/ld.so.cache.
 *
 * The answer comes from reading files, never from running them: `ldd`
 * executes the binary's own loader, which an untrusted binary chooses. This
 * module replays what the kernel's execve and glibc's ld.so do, in their
 * order:
 *
 *   - execve: a "#!" line names an interpreter (at most 255 bytes are read,
 *     BINPRM_BUF_SIZE semantics; one optional argument), followed through at
 *     most MAX_SCRIPT_DEPTH scripts. `#!/usr/bin/env NAME` (and `env -S`)
 *     runs NAME from PATH; a void's environment is empty, so that is
 *     execvp's default path, /bin:/usr/bin.
 *   - ELF: PT_INTERP is opened exactly as written. A program without one is
 *     static and needs nothing else.
 *   - ld.so (glibc elf/dl-load.c, _dl_map_object), breadth first over
 *     DT_NEEDED: names with a '/' are paths; other names are looked up in
 *     the DT_RPATH of the requesting object and then of the objects that
 *     loaded it (only when the requester has no DT_RUNPATH; an object's
 *     DT_RUNPATH also voids its own DT_RPATH), LD_LIBRARY_PATH (never
 *     in a void only as LibraryPath grants give it: Env and PassEnv refuse
 *     LD_* names; ResolveOptions.libraryPath), the requester's DT_RUNPATH, /etc/ld.so.cache
 *     (entries of the requester's ABI), then the default directories
 *     (neither of the last two under DF_1_NODEFLIB). $ORIGIN, $LIB and
 *     $PLATFORM are expanded; elements with an unknown value are dropped.
 *     Each directory is also searched in its glibc-hwcaps and legacy hwcap
 *     subdirectories; what the loader picks there depends on the CPU, so
 *     every such file found is bound as well.
 *   - A candidate of another ELF class or machine is skipped (a 32-bit
 *     library in a 64-bit path); a candidate that is not ELF at all stops
 *     the search, as it makes ld.so fail.
 *   - A name that matches an object already loaded (by a name it was loaded
 *     under or its DT_SONAME, e.g. libc's DT_NEEDED ld-linux-x86-64.so.2 and
 *     the PT_INTERP loader) is not searched again; a path that reaches an
 *     already loaded file is still opened, so it is listed.
 *   - dlopen (ResolveOptions.modules, the Library grants): each module is
 *     mapped into the process of the last dynamic program the chain runs,
 *     as a dependency of that program (so its RPATH, the objects already
 *     loaded and LD_LIBRARY_PATH count), then its own DT_NEEDED.
 *
 * Distribution layouts differ (Debian multiarch /lib/x86_64-linux-gnu with
 * $LIB = lib/x86_64-linux-gnu, Fedora /lib64 with $LIB = lib64, ...); the
 * per-machine data lives in MACHINE_PROFILES and the layout is chosen by
 * what exists on the host, or fixed with ResolveOptions.
 *
 * All file access goes through HostView, so this is unit-tested on a fake.
 */
import { posix } from "node:path";
import {
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_LOONGARCH,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  DF_1_NODEFLIB,
  ET_DYN,
  ET_EXEC,
  ElfError,
  type ElfInfo,
  describeElf,
  describeStart,
  hasElfMagic,
  readElf,
  typeName,
} from "./elf.js";
import { HostError, type HostFile, type HostView } from "./host.js";
import { type LdCache, LdCacheError, lookupLdCache, parseLdCache } from "./ldcache.js";
import { realpath } from "./paths.js";

export interface NeededFile {
  /** The path as the kernel/loader will open it (may contain symlinks, e.g. /lib64/ld-linux-x86-64.so.2). */
  path: string;
  reason: "binary" | "executable" | "interpreter" | "library" | "module" | "shebang" | "ld.so.cache";
  /** Path of the object or script that needed it. */
  requiredBy?: string;
  /** The DT_NEEDED name, #! interpreter token or PATH name that led to it. */
  name?: string;
}

export interface Resolution {
  /** Each path once, in discovery order; the binary first. */
  files: NeededFile[];
  /** No dynamic loader is involved: every program run is a static ELF. */
  isStatic: boolean;
  /** Human-readable problems; any one means the program cannot start. */
  errors: string[];
  /**
   * Every directory the loader was followed looking into (RPATH, RUNPATH,
   * the default directories, hwcaps subdirectories), as written: in a void
   * ld.so looks at the same paths, so none may be writable by a void.
   */
  searchedDirs: string[];
  /**
   * The binary's $ORIGIN when its RPATH/RUNPATH uses it. ld.so learns it
   * from /proc/self/exe, which a void has only with Procfs; otherwise it
   * falls back to LD_ORIGIN_PATH, which the planner then sets.
   */
  programOrigin?: string;
  /**
   * Library grants (ResolveOptions.modules) not mapped because no program of
   * the chain has a dynamic loader; the caller may place them in another
   * program's process.
   */
  unplacedModules: string[];
  /** Which file each DT_NEEDED name of each object resolved to (variants included): who needs what, transitively. */
  edges: { from: string; name: string; to: string }[];
}

export interface ResolveOptions {
  /** Default /etc/ld.so.cache. */
  ldCachePath?: string;
  /** The loader's built-in search directories; default from the machine profile and host layout. */
  defaultDirs?: string[];
  /** What $LIB expands to; default from the machine profile and host layout. */
  lib?: string;
  /** What $PLATFORM expands to (AT_PLATFORM); default from the machine profile. */
  platform?: string;
  /** Where `#!/usr/bin/env NAME` looks for NAME; default /bin, /usr/bin (execvp without PATH). */
  envPath?: string[];
  /**
   * LD_LIBRARY_PATH, as LibraryPath grants set it in the void: absolute
   * directories searched after DT_RPATH and before DT_RUNPATH.
   */
  libraryPath?: readonly string[];
  /** Shared objects the program dlopens (Library grants): mapped into its process with their DT_NEEDED closure. */
  modules?: readonly string[];
  /** Libraries named without a '/' that the program is made to load (LD_PRELOAD's bare names): found as its own DT_NEEDED would be, with their closure. */
  preloadNames?: readonly string[];
}

/** The kernel follows this many #! interpreters (binfmt_script recursion). */
export const MAX_SCRIPT_DEPTH = 4;
/** The kernel reads this much of a file to parse a #! line. */
export const BINPRM_BUF_SIZE = 256;
/** glibc's confstr(_CS_PATH): execvp's search path when PATH is unset. */
export const EXECVP_DEFAULT_PATH: readonly string[] = ["/bin", "/usr/bin"];
export const DEFAULT_LD_CACHE = "/etc/ld.so.cache";
/** ld.so.cache files are tens of KiB; refuse to slurp anything absurd. */
const MAX_LD_CACHE_BYTES = 64 << 20;

/** Per-ABI facts the loader has built in. */
export interface MachineProfile {
  /** Debian multiarch tuple, e.g. x86_64-linux-gnu. */
  triplet: string;
  /** The library directory name without multiarch: lib64, lib, libx32. */
  libdir: string;
  /** AT_PLATFORM, the value of $PLATFORM; unknown when it depends on the CPU model. */
  platform?: string;
  /** glibc-hwcaps subdirectory names (glibc >= 2.33), best first. */
  hwcaps: readonly string[];
  /** Legacy hwcap/platform/tls subdirectories (glibc <= 2.36), in search order. */
  legacy: readonly string[];
}

const EF_ARM_ABI_FLOAT_HARD = 0x400;

/** Keyed by `${e_machine}/${class}`; the ARM entry is refined by float ABI in machineProfile(). */
const MACHINE_PROFILES: ReadonlyMap<string, MachineProfile> = new Map([
  [
    `${EM_X86_64}/64`,
    {
      triplet: "x86_64-linux-gnu",
      libdir: "lib64",
      platform: "x86_64",
      hwcaps: ["x86-64-v4", "x86-64-v3", "x86-64-v2"],
      // As LD_DEBUG=libs shows with glibc 2.36 (AT_PLATFORM and hwcap "x86_64", plus tls).
      legacy: ["tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64"],
    },
  ],
  [`${EM_X86_64}/32`, { triplet: "x86_64-linux-gnux32", libdir: "libx32", platform: "x86_64", hwcaps: [], legacy: ["tls/x86_64", "tls", "x86_64"] }],
  [`${EM_386}/32`, { triplet: "i386-linux-gnu", libdir: "lib", platform: "i686", hwcaps: [], legacy: ["tls/i686", "tls", "i686"] }],
  [`${EM_AARCH64}/64`, { triplet: "aarch64-linux-gnu", libdir: "lib64", platform: "aarch64", hwcaps: [], legacy: ["tls/aarch64", "tls", "aarch64"] }],
  [`${EM_ARM}/32`, { triplet: "arm-linux-gnueabi", libdir: "lib", hwcaps: [], legacy: ["tls"] }],
  [`${EM_PPC64}/64`, { triplet: "powerpc64le-linux-gnu", libdir: "lib64", hwcaps: ["power10", "power9"], legacy: ["tls"] }],
  [`${EM_S390}/64`, { triplet: "s390x-linux-gnu", libdir: "lib64", hwcaps: ["z16", "z15", "z14", "z13"], legacy: ["tls"] }],
  [`${EM_RISCV}/64`, { triplet: "riscv64-linux-gnu", libdir: "lib64/lp64d", hwcaps: [], legacy: ["tls"] }],
  [`${EM_LOONGARCH}/64`, { triplet: "loongarch64-linux-gnu", libdir: "lib64", hwcaps: [], legacy: ["tls"] }],
]);

/**
 * The subdirectories ld.so searches in a library directory before the
 * directory itself, on any machine profile: glibc-hwcaps/ and the names in
 * it, and every component of the older hwcap, platform and tls paths —
 * with the x86_64 AT_PLATFORM values other CPUs than the profiles' have
 * (haswell, xeon_phi) and the avx512_1 hwcap of glibc <= 2.36. What a
 * writable bind must not lie in where the launcher's Node searches
 * (src/plan/plan.ts writableCoversLauncherLoader, src/cli/load.ts).
 */
export const LOADER_SUBDIRS: readonly string[] = [
  ...new Set(["glibc-hwcaps", ...[...MACHINE_PROFILES.values()].flatMap((p) => [...p.hwcaps, ...p.legacy.flatMap((l) => l.split("/"))]), "haswell", "xeon_phi", "avx512_1"]),
];

/**
 * Every value ld.so gives $LIB and $PLATFORM in a search path, on any
 * machine profile: the library directory with and without the multiarch
 * tuple (Debian's ld.so says lib/x86_64-linux-gnu, others lib64), lib and
 * lib32 (multilib), and AT_PLATFORM with the values other CPUs than the
 * profiles' have (x86_64: haswell, xeon_phi; i386: i386 to i586). What the launcher's LD_* entries may name
 * (src/cli/load.ts).
 */
export const LOADER_LIB_VALUES: readonly string[] = [
  ...new Set(["lib", "lib32", ...[...MACHINE_PROFILES.values()].flatMap((p) => [p.libdir, `lib/${p.triplet}`]), "lib/arm-linux-gnueabihf", "lib/powerpc64-linux-gnu"]),
];
export const LOADER_PLATFORM_VALUES: readonly string[] = [
  ...new Set([...[...MACHINE_PROFILES.values()].flatMap((p) => (p.platform === undefined ? [] : [p.platform])), "haswell", "xeon_phi", "i386", "i486", "i586"]),
];

/**
 * What ld.so may make of a search-path entry or preload path of the
 * programs `programs`: $ORIGIN (and ${ORIGIN}) is a program's directory,
 * $LIB and $PLATFORM each value they take on the machines void runs on.
 */
export function loaderExpansions(entry: string, programs: readonly string[]): string[] {
  if (!entry.includes("$")) return [entry];
  const values: [string, readonly string[]][] = [
    ["ORIGIN", [...new Set(programs.map((p) => posix.dirname(p)))]],
    ["LIB", LOADER_LIB_VALUES],
    ["PLATFORM", LOADER_PLATFORM_VALUES],
  ];
  let out = [entry];
  for (const [name, subs] of values) {
    const pattern = new RegExp(`\\$(?:${name}(?![A-Za-z0-9_])|\\{${name}\\})`, "g");
    out = out.flatMap((e) => (e.match(pattern) === null ? [e] : subs.map((v) => e.replace(pattern, v))));
  }
  return out;
}

/** The loader's built-in facts for programs of this ELF ABI. */
export function machineProfile(elf: Pick<ElfInfo, "class" | "machine" | "flags" | "endian">): MachineProfile | undefined {
  const profile = MACHINE_PROFILES.get(`${elf.machine}/${elf.class}`);
  if (profile === undefined) return undefined;
  if (elf.machine === EM_ARM && (elf.flags & EF_ARM_ABI_FLOAT_HARD) !== 0) return { ...profile, triplet: "arm-linux-gnueabihf" };
  if (elf.machine === EM_PPC64 && elf.endian === "big") return { ...profile, triplet: "powerpc64-linux-gnu" };
  return profile;
}

/** Where the loader looks by default and what $LIB means, on this host. */
export interface LoaderLayout {
  defaultDirs: string[];
  lib: string;
  platform?: string;
  /** Subdirectories tried in each search directory before the directory itself. */
  subdirs: string[];
}

/**
 * Multiarch (Debian, Ubuntu) when the triplet directory exists, else the
 * classic layout of the ABI's libdir (Fedora's /lib64, /usr/lib64).
 */
export function loaderLayout(host: HostView, elf: Pick<ElfInfo, "class" | "machine" | "flags" | "endian">, opts: ResolveOptions = {}): LoaderLayout {
  const profile = machineProfile(elf);
  const libdir = profile?.libdir ?? "lib";
  const multiarch = profile !== undefined && [`/lib/${profile.triplet}`, `/usr/lib/${profile.triplet}`].some((d) => host.stat(d)?.type === "dir");
  const dirs = multiarch ? [`/lib/${profile.triplet}`, `/usr/lib/${profile.triplet}`, "/lib", "/usr/lib"] : [`/${libdir}`, `/usr/${libdir}`];
  const platform = opts.platform ?? profile?.platform;
  return {
    defaultDirs: opts.defaultDirs ?? dirs,
    lib: opts.lib ?? (multiarch ? `lib/${profile.triplet}` : libdir),
    ...(platform !== undefined ? { platform } : {}),
    subdirs: [...(profile?.hwcaps ?? []).map((h) => `glibc-hwcaps/${h}`), ...(profile?.legacy ?? ["tls"])],
  };
}

const DST_NAMES = ["ORIGIN", "PLATFORM", "LIB"] as const;
type DstName = (typeof DST_NAMES)[number];

/** Length of a DST reference at `text[at]` (just after '$'): "ORIGIN" or "{ORIGIN}". */
function dstLength(text: string, at: number, name: DstName): number {
  const curly = text[at] === "{";
  const start = curly ? at + 1 : at;
  if (!text.startsWith(name, start)) return 0;
  const next = text[start + name.length];
  if (curly) return next === "}" ? name.length + 2 : 0;
  // "$ORIGINAL" is not $ORIGIN: the name must not continue as an identifier.
  return next !== undefined && /[A-Za-z0-9_]/.test(next) ? 0 : name.length;
}

/**
 * Expands $ORIGIN, $PLATFORM and $LIB (also ${...}) as _dl_dst_substitute
 * does. Undefined when a recognised token has no known value: the loader
 * then drops the whole element. Other '$' are kept literally.
 */
export function expandDst(text: string, values: Partial<Record<DstName, string>>): string | undefined {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    const hit = DST_NAMES.map((name) => ({ name, len: dstLength(text, i + 1, name) })).find((d) => d.len > 0);
    if (hit === undefined) {
      out += c;
      continue;
    }
    const value = values[hit.name];
    if (value === undefined) return undefined;
    out += value;
    i += hit.len;
  }
  return out;
}

export type Shebang = { interpreter: string; arg?: string } | { error: string };

const isSpaceTab = (b: number | undefined): boolean => b === 0x20 || b === 0x09;

/**
 * Parses a "#!" line like the kernel's binfmt_script: only the first
 * BINPRM_BUF_SIZE bytes count, an interpreter path cut off by that limit is
 * refused, leading and trailing blanks go, the interpreter ends at the first
 * blank, and everything after it is one argument.
 */
export function parseShebang(head: Uint8Array): Shebang {
  const buf = new Uint8Array(BINPRM_BUF_SIZE);
  buf.set(head.subarray(0, BINPRM_BUF_SIZE));
  if (buf[0] !== 0x23 || buf[1] !== 0x21) return { error: "does not start with #!" };
  const last = BINPRM_BUF_SIZE - 1;
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    let first = 2;
    while (first <= last && isSpaceTab(buf[first])) first++;
    if (first > last) return { error: "#! line has no interpreter" };
    let term = first;
    while (term <= last && !isSpaceTab(buf[term]) && buf[term] !== 0) term++;
    if (term > last) return { error: `#! line is longer than ${last} bytes and cuts off the interpreter path` };
    end = last;
  }
  let line = buf.subarray(2, end);
  const nul = line.indexOf(0);
  if (nul >= 0) line = line.subarray(0, nul);
  const text = new TextDecoder().decode(line).replace(/^[ \t]+|[ \t]+$/g, "");
  if (text === "") return { error: "#! line has no interpreter" };
  const m = /^([^ \t]+)[ \t]*(.*)$/s.exec(text);
  const interpreter = m?.[1] ?? text;
  const arg = m?.[2] ?? "";
  return arg === "" ? { interpreter } : { interpreter, arg };
}

export type EnvCommand = { command: string } | { none: true } | { error: string };

/** env options that take no value, as coreutils spells them. */
const ENV_FLAGS = new Set(["-i", "--ignore-environment", "-", "-0", "--null", "-v", "--debug"]);

/**
 * The program `env` runs, given the single argument a #! line passes it:
 * "NAME", or "-S NAME ARGS..." which env splits itself.
 */
export function envCommand(arg: string): EnvCommand {
  let words: string[];
  const split = /^(?:-S|--split-string(?:=|[ \t]))[ \t]*(.*)$/s.exec(arg);
  if (split !== null) {
    const rest = split[1] ?? "";
    if (/["'\\$#]/.test(rest)) return { error: `env -S string ${JSON.stringify(rest)} uses quoting, escapes or variables, which void does not interpret` };
    words = rest.split(/[ \t]+/).filter((w) => w !== "");
  } else {
    words = [arg]; // without -S, env sees the whole rest of the #! line as one word
  }
  while (words.length > 0) {
    const w = words[0]!;
    if (w === "--") {
      words.shift();
      break;
    }
    if (ENV_FLAGS.has(w) || /^-u.|^--unset=|^-C.|^--chdir=/.test(w)) words.shift();
    else if (w === "-u" || w === "-C") words.splice(0, 2);
    else if (/^[^=-][^=]*=/.test(w))
      words.shift(); // NAME=VALUE
    else if (w.startsWith("-")) return { error: `env option ${JSON.stringify(w)} is not understood by void` };
    else break;
  }
  const command = words[0];
  return command === undefined ? { none: true } : { command };
}

/** "a, b or c" */
function orList(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? "nowhere";
  return `${parts.slice(0, -1).join(", ")} or ${parts[parts.length - 1]}`;
}

function listDirs(dirs: string[]): string {
  return dirs.length > 0 ? dirs.join(", ") : "(no usable directory)";
}

function joinDir(dir: string, name: string): string {
  const trimmed = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  return trimmed === "/" ? `/${name}` : `${trimmed}/${name}`;
}

/** Errors that describe the host's files (as opposed to bugs, which propagate). */
function isFileProblem(e: unknown): e is ElfError | HostError | LdCacheError {
  return e instanceof ElfError || e instanceof HostError || e instanceof LdCacheError;
}

function messageOf(e: unknown): string {
  if (isFileProblem(e)) return e.message;
  throw e;
}

/** An object the simulated loader has mapped. */
interface LoadedObject {
  /** As opened (link_map l_name). */
  path: string;
  realPath: string;
  elf: ElfInfo;
  /** Names that match it without a search: its path and the DT_NEEDED names it was loaded under. */
  names: Set<string>;
  /** The object whose DT_NEEDED loaded it (l_loader); the RPATH chain walks these. */
  loader?: LoadedObject;
  /** What $ORIGIN means in its RPATH/RUNPATH. */
  origin: string;
  /** A CPU-specific variant: bound and followed, but not what a name resolves to (unless it is also the baseline file). */
  variant: boolean;
}

type Candidate = { kind: "missing" } | { kind: "ok"; elf: ElfInfo } | { kind: "skip"; note: string } | { kind: "fatal"; message: string };

type SearchResult = { path?: string; elf?: ElfInfo; variants: { path: string; elf: ElfInfo }[]; error?: string };

/** How a program came to be executed. */
interface ExecVia {
  reason: "binary" | "shebang";
  requiredBy?: string;
  name?: string;
  /** For messages: "#! interpreter of", "run by env for", ... followed by requiredBy. */
  role?: string;
  /** Found by env through execvp, which runs a non-ELF, non-#! file with /bin/sh. */
  execvp?: boolean;
}

/** One resolution: the shared state of all programs and loaders it runs. */
class Resolver {
  readonly files: NeededFile[] = [];
  readonly errors: string[] = [];
  private readonly byPath = new Set<string>();
  private readonly programs = new Set<string>();
  private readonly dirMemo = new Map<string, boolean>();
  private cache: LdCache | null | undefined;
  sawProgram = false;
  sawDynamic = false;
  /** The first program's $ORIGIN, when its RPATH or RUNPATH uses it. */
  programOrigin: string | undefined;
  /** The loader of the last dynamic program run: the process that stays, which dlopens modules. */
  lastLoader: Loader | undefined;
  readonly edges: { from: string; name: string; to: string }[] = [];

  constructor(
    readonly host: HostView,
    readonly opts: ResolveOptions,
  ) {}

  get cachePath(): string {
    return this.opts.ldCachePath ?? DEFAULT_LD_CACHE;
  }

  add(file: NeededFile): void {
    if (this.byPath.has(file.path)) return;
    this.byPath.add(file.path);
    this.files.push(file);
  }

  error(message: string): void {
    if (!this.errors.includes(message)) this.errors.push(message);
  }

  searchedDirs(): string[] {
    return [...this.dirMemo.keys()];
  }

  isDir(path: string): boolean {
    let known = this.dirMemo.get(path);
    if (known === undefined) {
      known = this.host.stat(path)?.type === "dir";
      this.dirMemo.set(path, known);
    }
    return known;
  }

  realPathOf(path: string): string | undefined {
    try {
      return realpath(this.host, path);
    } catch (e) {
      this.error(`${path}: ${messageOf(e)}`);
      return undefined;
    }
  }

  withFile<T>(path: string, use: (file: HostFile) => T): T {
    const file = this.host.openFile(path);
    try {
      return use(file);
    } finally {
      file.close();
    }
  }

  /** The parsed ld.so.cache, or null when absent or unreadable (the loader then ignores it). */
  ldCache(): LdCache | null {
    if (this.cache !== undefined) return this.cache;
    this.cache = null;
    const st = this.host.stat(this.cachePath);
    if (st?.type !== "file" || st.size > MAX_LD_CACHE_BYTES) return null;
    try {
      this.cache = parseLdCache(this.withFile(this.cachePath, (f) => f.read(0, f.size)));
    } catch (e) {
      if (!isFileProblem(e)) throw e; // a damaged cache is skipped, as ld.so skips it
    }
    return this.cache;
  }

  /** Runs `path` as execve would: records it and follows #! or PT_INTERP. */
  exec(path: string, via: ExecVia, depth: number): void {
    const who = via.requiredBy === undefined ? path : `${path} (${via.role ?? "needed by"} ${via.requiredBy})`;
    if (this.programs.has(path)) return;
    this.programs.add(path);
    const problem = this.programProblem(path);
    if (problem !== undefined) {
      this.error(`${who}: ${problem}`);
      return;
    }
    this.add({ path, reason: via.reason, ...(via.requiredBy !== undefined ? { requiredBy: via.requiredBy } : {}), ...(via.name !== undefined ? { name: via.name } : {}) });
    if (!this.host.isExecutable(path)) this.error(`${who}: not executable`);
    let head: Uint8Array;
    try {
      head = this.withFile(path, (f) => f.read(0, BINPRM_BUF_SIZE));
    } catch (e) {
      this.error(`${who}: ${messageOf(e)}`);
      return;
    }
    if (head[0] === 0x23 && head[1] === 0x21) this.script(path, head, depth);
    else if (hasElfMagic(head)) this.elfProgram(path, who);
    // execvp retries a file the kernel refuses (ENOEXEC) as `/bin/sh file`.
    else if (via.execvp) this.exec("/bin/sh", { reason: "shebang", requiredBy: path, name: "sh", role: "shell execvp runs for" }, depth + 1);
    else this.error(`${who}: not an ELF file and not a #! script (${describeStart(head)})`);
  }

  /** Why execve could not even open `path`, if it could not. */
  private programProblem(path: string): string | undefined {
    if (!path.startsWith("/")) return "not an absolute path (it would depend on the working directory)";
    const st = this.host.stat(path);
    if (st === null) return "no such file or directory";
    if (st.type !== "file") return "not a regular file";
    return undefined;
  }

  private script(path: string, head: Uint8Array, depth: number): void {
    if (depth >= MAX_SCRIPT_DEPTH) {
      this.error(`${path}: too many levels of #! interpreters (the kernel follows at most ${MAX_SCRIPT_DEPTH})`);
      return;
    }
    const line = parseShebang(head);
    if ("error" in line) {
      this.error(`${path}: ${line.error}`);
      return;
    }
    this.exec(line.interpreter, { reason: "shebang", requiredBy: path, name: line.interpreter, role: "#! interpreter of" }, depth + 1);
    if (posix.basename(line.interpreter) === "env" && line.arg !== undefined) this.envProgram(path, line.interpreter, line.arg);
  }

  /** The program `#!/usr/bin/env NAME` runs: NAME looked up like execvp with no PATH set. */
  private envProgram(script: string, env: string, arg: string): void {
    const parsed = envCommand(arg);
    if ("error" in parsed) this.error(`${script}: ${parsed.error}`);
    if (!("command" in parsed)) return;
    const name = parsed.command;
    const via: ExecVia = { reason: "shebang", requiredBy: script, name, role: "run by env for", execvp: true };
    const dirs = this.opts.envPath ?? EXECVP_DEFAULT_PATH;
    const found = name.includes("/") ? name : dirs.map((d) => joinDir(d, name)).find((p) => this.host.stat(p)?.type === "file" && this.host.isExecutable(p));
    if (found !== undefined) {
      this.exec(found, via, 0);
      return;
    }
    const hint = /[ \t]/.test(name) ? " (Linux passes the rest of a #! line as one argument; use env -S to split it)" : "";
    this.error(`${name} (run by ${env} for ${script}): not found in PATH ${dirs.join(":")}${hint}`);
  }

  private readElfAt(path: string): ElfInfo {
    return this.withFile(path, (f) => readElf(f));
  }

  private elfProgram(path: string, who: string): void {
    let elf: ElfInfo;
    try {
      elf = this.readElfAt(path);
    } catch (e) {
      this.error(`${who}: ${messageOf(e)}`);
      return;
    }
    this.sawProgram = true;
    if (elf.type !== ET_EXEC && elf.type !== ET_DYN) {
      this.error(`${who}: not an executable ELF file (type ${typeName(elf.type)})`);
    } else if (elf.interpreter === undefined) {
      if (elf.needed.length > 0) {
        this.error(`${who}: has DT_NEEDED ${elf.needed.join(", ")} but no PT_INTERP: the kernel would run it without a dynamic loader (a shared library, not a program)`);
      }
    } else {
      this.sawDynamic = true;
      this.dynamicProgram(path, elf, elf.interpreter);
    }
  }

  /** A program with PT_INTERP: the loader, its cache, and the libraries it maps. */
  private dynamicProgram(path: string, elf: ElfInfo, interp: string): void {
    const rtld = this.loaderObject(path, elf, interp);
    if (rtld === undefined) return;
    // ld.so opens the cache whether or not it can use it.
    if (this.host.stat(this.cachePath)?.type === "file") {
      this.add({ path: this.cachePath, reason: "ld.so.cache", requiredBy: path });
    }
    const realPath = this.realPathOf(path);
    if (realPath === undefined) return;
    // The kernel gives ld.so the program's real path (/proc/self/exe): its $ORIGIN.
    const main: LoadedObject = { path, realPath, elf, names: new Set(), origin: posix.dirname(realPath), variant: false };
    if (this.programOrigin === undefined && this.files[0]?.path === path && [...elf.runpath, ...elf.rpath].some((d) => /\$(\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/.test(d))) {
      this.programOrigin = main.origin;
    }
    const loader = new Loader(this, main, rtld, loaderLayout(this.host, elf, this.opts));
    loader.run();
    this.lastLoader = loader;
  }

  /** Checks and records PT_INTERP; returns it as the loader's first object. */
  private loaderObject(program: string, elf: ElfInfo, interp: string): LoadedObject | undefined {
    const who = `${interp} (ELF interpreter of ${program})`;
    const problem = this.programProblem(interp);
    if (problem !== undefined) {
      this.error(`${who}: ${problem}`);
      return undefined;
    }
    this.add({ path: interp, reason: "interpreter", requiredBy: program, name: interp });
    if (!this.host.isExecutable(interp)) this.error(`${who}: not executable`);
    let ld: ElfInfo;
    try {
      ld = this.readElfAt(interp);
    } catch (e) {
      this.error(`${who}: ${messageOf(e)}`);
      return undefined;
    }
    if (ld.class !== elf.class || ld.endian !== elf.endian || ld.machine !== elf.machine) {
      this.error(`${who}: ${describeElf(ld)} cannot load ${describeElf(elf)}`);
      return undefined;
    }
    const realPath = this.realPathOf(interp);
    if (realPath === undefined) return undefined;
    return { path: interp, realPath, elf: ld, names: new Set([interp]), origin: posix.dirname(interp), variant: false };
  }
}

/** One run of ld.so for one program: breadth-first over DT_NEEDED. */
class Loader {
  private readonly loaded: LoadedObject[];
  private readonly queue: LoadedObject[];

  constructor(
    private readonly r: Resolver,
    private readonly main: LoadedObject,
    rtld: LoadedObject,
    private readonly layout: LoaderLayout,
  ) {
    this.loaded = [main, rtld];
    this.queue = [main];
  }

  run(): void {
    for (let obj = this.queue.shift(); obj !== undefined; obj = this.queue.shift()) {
      for (const name of obj.elf.needed) this.needed(obj, name);
    }
  }

  /** _dl_map_object's first step: a name an object already answers to. */
  private alreadyLoaded(name: string): LoadedObject | undefined {
    return this.loaded.find((o) => !o.variant && (o.names.has(name) || o.elf.soname === name));
  }

  private needed(requester: LoadedObject, name: string): void {
    const existing = this.alreadyLoaded(name);
    if (existing !== undefined) {
      existing.names.add(name);
      this.r.edges.push({ from: requester.path, name, to: existing.path });
      return;
    }
    const found = name.includes("/") ? this.byPath(requester, name) : this.search(requester, name);
    if (found.error !== undefined) {
      this.r.error(found.error);
      return;
    }
    for (const v of found.variants) this.map(requester, name, v.path, v.elf, true);
    if (found.path !== undefined && found.elf !== undefined) this.map(requester, name, found.path, found.elf, false);
  }

  /**
   * A module the program dlopens by its path (a Library grant): mapped as
   * the program's own dependency, then its DT_NEEDED, breadth first.
   */
  module(path: string): void {
    const c = this.candidate(path);
    if (c.kind === "ok") {
      this.map(this.main, path, path, c.elf, false, "module");
      this.run();
      return;
    }
    const why = c.kind === "missing" ? "no such file or directory" : c.kind === "skip" ? `${c.note} cannot be loaded by ${this.main.path} (${describeElf(this.main.elf)})` : c.message;
    this.r.error(`${path} (a Library grant, loaded by ${this.main.path}): ${why}`);
  }

  /**
   * A library named without a '/' that the program is made to load (an
   * LD_PRELOAD entry): looked up as the program's own DT_NEEDED would be
   * (its RPATH, LD_LIBRARY_PATH, its RUNPATH, the cache, the default
   * directories), then its DT_NEEDED, breadth first.
   */
  preloadName(name: string): void {
    this.needed(this.main, name);
    this.run();
  }

  /** Records a library at `path`; follows its own DT_NEEDED unless the same file is already mapped. */
  private map(requester: LoadedObject, name: string, path: string, elf: ElfInfo, variant: boolean, reason: "library" | "module" = "library"): void {
    this.r.edges.push({ from: requester.path, name, to: path });
    this.r.add({ path, reason, ...(reason === "library" ? { requiredBy: requester.path, name } : {}) });
    const realPath = this.r.realPathOf(path);
    if (realPath === undefined) return;
    const same = this.loaded.find((o) => o.realPath === realPath);
    if (same !== undefined) {
      if (variant) return;
      if (same.variant) {
        // The baseline is the very file a variant already brought in.
        same.variant = false;
        same.names.add(same.path);
      }
      same.names.add(name);
      return;
    }
    // For libraries glibc takes $ORIGIN from the path as opened, symlinks unresolved.
    const obj: LoadedObject = { path, realPath, elf, names: variant ? new Set() : new Set([path, name]), loader: requester, origin: posix.dirname(path), variant };
    this.loaded.push(obj);
    this.queue.push(obj);
  }

  private who(requester: LoadedObject, name: string): string {
    return `${name} (needed by ${requester.path})`;
  }

  private dstValues(obj: LoadedObject): { ORIGIN: string; LIB: string; PLATFORM?: string } {
    return { ORIGIN: obj.origin, LIB: this.layout.lib, ...(this.layout.platform !== undefined ? { PLATFORM: this.layout.platform } : {}) };
  }

  /** A DT_NEEDED with a '/': opened as is, after DST expansion. */
  private byPath(requester: LoadedObject, name: string): SearchResult {
    const who = this.who(requester, name);
    const path = expandDst(name, this.dstValues(requester));
    if (path === undefined || path === "") return { variants: [], error: `${who}: a dynamic string token in it has no value here` };
    if (!path.startsWith("/")) return { variants: [], error: `${who}: relative path ${path} would depend on the working directory` };
    const c = this.candidate(path);
    if (c.kind === "ok") return { path, elf: c.elf, variants: [] };
    if (c.kind === "fatal") return { variants: [], error: `${who}: ${c.message}` };
    return { variants: [], error: `${who}: ${c.kind === "skip" ? c.note : `${path}: no such file or directory`}` };
  }

  /**
   * RPATH or RUNPATH elements of `obj` as directories: DSTs expanded,
   * relative and unknown ones dropped, and each directory once however it
   * is spelled ("/lib", "//lib/", "/./lib": empty and "." components are
   * nothing to the kernel; ".." is kept, as it follows symlinks), so that
   * a crafted list cannot multiply the lookups.
   */
  private pathDirs(obj: LoadedObject, elements: string[]): string[] {
    const dirs: string[] = [];
    const seen = new Set<string>();
    for (const element of elements) {
      if (element === "") continue; // the working directory: unknowable, and never bound
      const dir = expandDst(element, this.dstValues(obj));
      if (dir === undefined || !dir.startsWith("/")) continue;
      const key = `/${dir
        .split("/")
        .filter((c) => c !== "" && c !== ".")
        .join("/")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      dirs.push(dir);
    }
    return dirs;
  }

  /** _dl_map_object's search for a bare name, in glibc's order. */
  private search(requester: LoadedObject, name: string): SearchResult {
    const where: string[] = [];
    const skipped: string[] = [];
    const variants: { path: string; elf: ElfInfo }[] = [];
    const who = this.who(requester, name);
    const inDirs = (dirs: string[]): SearchResult | undefined => {
      for (const dir of dirs) {
        const hit = this.inDir(requester, dir, name, variants, skipped);
        if (hit !== undefined) return hit;
      }
      return undefined;
    };

    if (requester.elf.runpath.length === 0) {
      for (let l: LoadedObject | undefined = requester; l !== undefined; l = l.loader) {
        // An object's own DT_RUNPATH voids its DT_RPATH (glibc drops it on load).
        if (l.elf.rpath.length === 0 || l.elf.runpath.length > 0) continue;
        const dirs = this.pathDirs(l, l.elf.rpath);
        where.push(`RPATH ${listDirs(dirs)}${l === requester ? "" : ` (of ${l.path})`}`);
        const hit = inDirs(dirs);
        if (hit !== undefined) return hit;
      }
    }
    // LD_LIBRARY_PATH: after DT_RPATH, before DT_RUNPATH, whatever the requester has (ld.so(8)).
    const libraryPath = this.r.opts.libraryPath ?? [];
    if (libraryPath.length > 0) {
      where.push(`LD_LIBRARY_PATH ${libraryPath.join(":")}`);
      const hit = inDirs([...libraryPath]);
      if (hit !== undefined) return hit;
    }
    if (requester.elf.runpath.length > 0) {
      const dirs = this.pathDirs(requester, requester.elf.runpath);
      where.push(`RUNPATH ${listDirs(dirs)}`);
      const hit = inDirs(dirs);
      if (hit !== undefined) return hit;
    }

    const noDefaultLib = (requester.elf.flags1 & DF_1_NODEFLIB) !== 0;
    const cache = this.r.ldCache();
    if (cache !== null) {
      where.push(noDefaultLib ? `${this.r.cachePath} (outside the default directories: DF_1_NODEFLIB)` : this.r.cachePath);
      const hit = this.fromCache(requester, cache, name, noDefaultLib, variants, skipped);
      if (hit !== undefined) return hit;
    }
    if (!noDefaultLib) {
      where.push(this.layout.defaultDirs.join(", "));
      const hit = inDirs(this.layout.defaultDirs);
      if (hit !== undefined) return hit;
    } else if (where.length === 0) {
      where.push("no directory (DF_1_NODEFLIB excludes the default ones)");
    }
    if (variants.length > 0) return { variants }; // only CPU-specific builds exist; the loader may take one
    const notes = skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : "";
    return { variants, error: `${who}: not found in ${orList(where)}${notes}` };
  }

  private fromCache(requester: LoadedObject, cache: LdCache, name: string, noDefaultLib: boolean, variants: { path: string; elf: ElfInfo }[], skipped: string[]): SearchResult | undefined {
    const systemPrefixes = this.layout.defaultDirs.map((d) => joinDir(d, ""));
    const allowed = (p: string): boolean => !noDefaultLib || !systemPrefixes.some((prefix) => p.startsWith(prefix));
    // The cache entries must match the loader's own ABI, which is the program's.
    const hit = lookupLdCache(cache, name, this.main.elf);
    for (const v of hit.variants.filter(allowed)) {
      const c = this.candidate(v);
      if (c.kind === "ok") variants.push({ path: v, elf: c.elf });
      else if (c.kind === "fatal") return { variants, error: `${this.who(requester, name)}: ${c.message}` };
    }
    if (hit.path === undefined || !allowed(hit.path)) return undefined;
    return this.accept(requester, name, hit.path, variants, skipped);
  }

  /** Tries `dir`'s hwcaps and legacy subdirectories (collecting variants), then `dir` itself. */
  private inDir(requester: LoadedObject, dir: string, name: string, variants: { path: string; elf: ElfInfo }[], skipped: string[]): SearchResult | undefined {
    if (!this.r.isDir(dir)) return undefined;
    for (const sub of this.layout.subdirs) {
      const subdir = joinDir(dir, sub);
      if (!this.r.isDir(subdir)) continue;
      const path = joinDir(subdir, name);
      const c = this.candidate(path);
      if (c.kind === "ok" && !variants.some((v) => v.path === path)) variants.push({ path, elf: c.elf });
      else if (c.kind === "fatal") return { variants, error: `${this.who(requester, name)}: ${c.message}` };
      else if (c.kind === "skip") skipped.push(c.note);
    }
    return this.accept(requester, name, joinDir(dir, name), variants, skipped);
  }

  /** The search ends at `path` if it is usable; a wrong-ABI file is passed over. */
  private accept(requester: LoadedObject, name: string, path: string, variants: { path: string; elf: ElfInfo }[], skipped: string[]): SearchResult | undefined {
    const c = this.candidate(path);
    if (c.kind === "ok") return { path, elf: c.elf, variants };
    if (c.kind === "fatal") return { variants, error: `${this.who(requester, name)}: ${c.message}` };
    if (c.kind === "skip") skipped.push(c.note);
    return undefined;
  }

  /** open_verify: is `path` a library this loader can map? */
  private candidate(path: string): Candidate {
    const st = this.r.host.stat(path);
    if (st === null) return { kind: "missing" };
    if (st.type !== "file") return { kind: "fatal", message: `${path}: not a regular file` };
    let elf: ElfInfo;
    try {
      elf = this.r.withFile(path, (f) => readElf(f));
    } catch (e) {
      if (e instanceof HostError && e.code === "EACCES") return { kind: "skip", note: `${path} (permission denied)` };
      return { kind: "fatal", message: `${path}: ${messageOf(e)}` };
    }
    const want = this.main.elf;
    if (elf.class !== want.class || elf.machine !== want.machine) return { kind: "skip", note: `${path} (${describeElf(elf)})` };
    if (elf.endian !== want.endian) return { kind: "fatal", message: `${path}: ELF file data encoding not ${want.endian}-endian` };
    if (elf.osabi !== 0 && elf.osabi !== 3) return { kind: "fatal", message: `${path}: ELF file OS ABI ${elf.osabi} invalid` };
    if (elf.type === ET_EXEC) return { kind: "fatal", message: `${path}: cannot dynamically load executable` };
    if (elf.type !== ET_DYN) return { kind: "fatal", message: `${path}: only ET_DYN and ET_EXEC can be loaded (type ${typeName(elf.type)})` };
    if (elf.isPie) return { kind: "fatal", message: `${path}: cannot dynamically load position-independent executable` };
    return { kind: "ok", elf };
  }
}

/**
 * Every file the kernel and the dynamic loader open to start `binaryPath`
 * (absolute), each with the reason it is needed. Problems that would stop
 * the program from starting are collected in `errors`.
 */
export function resolveLibraries(binaryPath: string, host: HostView, opts: ResolveOptions = {}): Resolution {
  const r = new Resolver(host, opts);
  r.exec(binaryPath, { reason: "binary" }, 0);
  const modules = opts.modules ?? [];
  if (r.lastLoader !== undefined) for (const m of modules) r.lastLoader.module(m);
  if (r.lastLoader !== undefined) for (const n of opts.preloadNames ?? []) r.lastLoader.preloadName(n);
  return {
    unplacedModules: r.lastLoader === undefined ? [...modules] : [],
    edges: r.edges,
    files: r.files,
    isStatic: r.sawProgram && !r.sawDynamic,
    errors: r.errors,
    searchedDirs: r.searchedDirs(),
    ...(r.programOrigin !== undefined ? { programOrigin: r.programOrigin } : {}),
  };
}
