/**
 * spec + binary -> one VoidPlan per entrypoint (pure; the host is read
 * through a HostView and never executed).
 *
 * Decisions made here, in one place:
 *   - namespaces: all of them, time where the kernel has it;
 *   - ids: one uid and one gid. An unprivileged launcher's voids are its
 *     own uid and gid, mapped to themselves (the only mapping it may
 *     write), setgroups denied (its supplementary groups stay: only a
 *     privileged process may clear them). A root launcher's voids are uid
 *     0 inside but an unprivileged host uid and gid of their own outside
 *     (voidUid: one per binary and entrypoint, in a range no account uses),
 *     with no supplementary group, so permission checks on every bound file
 *     judge them as nobody in particular, not as root (nor as group root);
 *     --host-root keeps host uid 0;
 *   - fds: 0, 1, 2 are the launcher's streams where granted, else
 *     /dev/null; granted fds follow from 3 in argument order, and argv
 *     carries their numbers as decimal strings (as the original did);
 *   - mounts: an empty read-only tmpfs root, /dev/null, the spec's binds
 *     (read-only unless `"read_only": false`), /proc with Procfs, and every
 *     file the binary needs to start (itself, its ELF interpreter,
 *     libraries, #! interpreters, ld.so.cache) with the symlinks on their
 *     paths recreated, so that no library has to be listed in a spec.
 */
import { posix } from "node:path";
import { FdLayout } from "../native/contract.js";
import { limitInForce } from "../spec/runtime.js";
import type { Arg, Entrypoint, ResourceLimits, Spec } from "../spec/types.js";
import { HostError, type HostStat, type HostView } from "./host.js";
import { hostSearchPath, pythonModuleWarnings, scriptWarnings } from "./advice.js";
import { DEFAULT_LD_CACHE, LOADER_SUBDIRS, loaderExpansions, type NeededFile, type Resolution, resolveLibraries } from "./libraries.js";
import { compareByComponents, isWithin, materialize, materializeExisting, realpath, resolveInVoid } from "./paths.js";
import { type Alias, deviceName, loopBacking, type MountRecord, MountTable, parseMountinfo } from "./mountinfo.js";
import { planSeccomp } from "./seccomp.js";
import { ALL_NAMESPACES, type ArgvPart, type FdGrant, type MountEntry, type MountOrigin, type EnvVar, type PlanInput, type PlanResult, type UserNamespaceLimit, type VoidPlan } from "./types.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `entrypoints.fib` or `entrypoints["tls-handler"]`, as spec diagnostics write it. */
export function entrypointPath(name: string): string {
  return IDENT.test(name) ? `entrypoints.${name}` : `entrypoints[${JSON.stringify(name)}]`;
}

type BindEntry = Extract<MountEntry, { type: "bind" }>;
type LinkEntry = Extract<MountEntry, { type: "symlink" }>;
type ScratchEntry = Extract<MountEntry, { type: "scratch" }>;

function hostMessage(e: unknown): string {
  return e instanceof HostError ? e.message : String(e);
}

function originOf(f: NeededFile): MountOrigin {
  return f.reason;
}

function reasonOf(f: NeededFile): string | undefined {
  if (f.reason === "binary") return undefined;
  if (f.requiredBy === undefined) return f.name;
  return `${f.name ?? posix.basename(f.path)} needed by ${f.requiredBy}`;
}

/** The first host uid (and gid) of a root launcher's voids: above the container ranges systemd documents (up to 0x6FFFFFFF) and below 2^31, which tools that keep ids in a signed int still show. */
export const VOID_UID_BASE = 0x71000000;
/** How many ids the range holds. */
export const VOID_UID_COUNT = 0x10000;

/**
 * The unprivileged host uid and gid of a root launcher's voids of
 * `entrypoint` of `binary` (absolute): the same on every run, so files it
 * creates in a writable bind keep one owner (chown a writable directory to
 * it; `void check` prints it); different entrypoints of one program get
 * different ids (FNV-1a of binary and entrypoint, in VOID_UID_COUNT ids),
 * so one cannot write what another owns.
 */
export function voidUid(binary: string, entrypoint: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(`${binary}\0${entrypoint}`, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return VOID_UID_BASE + (h % VOID_UID_COUNT);
}

/** A bind source's device and inode, when the host view knows them. */
function identity(st: HostStat | null): { dev?: string; ino?: string } {
  return st?.dev !== undefined && st.ino !== undefined ? { dev: st.dev, ino: st.ino } : {};
}

/** The automatic entries (symlinks + binds) for everything the binary needs. */
function automaticEntries(host: HostView, files: NeededFile[], errors: string[]): { links: LinkEntry[]; binds: BindEntry[] } {
  const links = new Map<string, LinkEntry>();
  const binds = new Map<string, BindEntry>();
  for (const f of files) {
    try {
      const m = materialize(host, f.path);
      for (const s of m.symlinks) {
        if (!links.has(s.dest)) links.set(s.dest, { type: "symlink", dest: s.dest, target: s.target, origin: originOf(f), reason: `on the path to ${f.path}` });
      }
      if (!binds.has(m.real)) {
        const st = host.stat(m.real);
        binds.set(m.real, {
          type: "bind",
          source: m.real,
          dest: m.real,
          readOnly: true,
          directory: st?.type === "dir",
          ...identity(st),
          origin: originOf(f),
          ...(reasonOf(f) !== undefined ? { reason: reasonOf(f) } : {}),
        });
      }
    } catch (e) {
      errors.push(`${f.path}: ${hostMessage(e)}`);
    }
  }
  return { links: [...links.values()], binds: [...binds.values()] };
}

/** An entrypoint's LibraryPath directories (its LD_LIBRARY_PATH, in grant order) and Library grants, as far as they exist on the host. */
interface LoaderGrants {
  libraryPath: string[];
  modules: string[];
}

/** The binary resolved for one set of loader grants, and its automatic entries. */
interface BinaryResolution {
  resolution: Resolution;
  auto: { links: LinkEntry[]; binds: BindEntry[] };
  errors: string[];
}

/**
 * An entrypoint's LibraryPath and Library grants, checked against the
 * host: a directory that is not one, a module that is not a file, is an
 * error here (and left out of the resolution).
 */
function loaderGrantsOf(host: HostView, ep: Entrypoint, errors: string[]): LoaderGrants {
  const grants: LoaderGrants = { libraryPath: [], modules: [] };
  ep.environment.forEach((g, i) => {
    if (g.kind !== "LibraryPath" && g.kind !== "Library") return;
    const where = `${entrypointPath(ep.name)}.environment[${i}]: ${g.kind} ${g.path}`;
    const st = host.stat(g.path);
    if (g.kind === "LibraryPath") {
      if (st === null) errors.push(`${where}: no such directory`);
      else if (st.type !== "dir") errors.push(`${where}: not a directory`);
      else grants.libraryPath.push(g.path);
    } else if (st === null) errors.push(`${where}: no such file or directory`);
    else if (st.type !== "file") errors.push(`${where}: not a regular file`);
    else grants.modules.push(g.path);
  });
  return grants;
}

interface Context {
  spec: Spec;
  input: PlanInput;
  host: HostView;
  binaryAbs: string;
  isStatic: boolean;
  /** The binary's files for each entrypoint: the same for all unless LibraryPath or Library grants differ. */
  binaryOf: Map<string, BinaryResolution>;
  loaderGrants: Map<string, LoaderGrants>;
  /** The binary's $ORIGIN when its RUNPATH/RPATH uses it (Resolution.programOrigin). */
  programOrigin?: string;
  /** Directories ld.so looks into, per entrypoint, for its Executable grants (the binary's are in every void's). */
  executableSearchDirs: Map<string, string[]>;
  /** The binary, or an interpreter of its #! chain, is Python. */
  runsPython: boolean;
  /** The symlinks on the paths to each entrypoint's Executable grants' files (the binary's are auto.links). */
  executableLinks: Map<string, LinkEntry[]>;
  /** What each entrypoint's Executable grants need, for the warnings of advice.ts. */
  executableFiles: Map<string, NeededFile[]>;
}

function planArgs(ctx: Context, ep: Entrypoint, fds: FdGrant[], errors: string[]): ArgvPart[] {
  const argv: ArgvPart[] = [];
  const base = entrypointPath(ep.name);
  let next = FdLayout.FirstGranted;
  const grant = (source: FdGrant["source"]): string => {
    const fd = next++;
    fds.push({ fd, source });
    return String(fd);
  };
  ep.args.forEach((arg: Arg, i: number) => {
    const where = `${base}.args[${i}]`;
    switch (arg.kind) {
      case "BinaryName":
        argv.push({ kind: "literal", value: ctx.input.binary });
        break;
      case "Entrypoint":
        argv.push({ kind: "literal", value: ep.name });
        break;
      case "Trailing":
        for (const t of ctx.input.trailing) argv.push({ kind: "literal", value: t });
        break;
      case "File": {
        const st = ctx.host.stat(arg.path);
        if (st === null) errors.push(`${where}: File ${arg.path}: no such file or directory`);
        else if (st.type === "dir") errors.push(`${where}: File ${arg.path}: is a directory (use a Filesystem grant for directories)`);
        else if (st.type !== "file") errors.push(`${where}: File ${arg.path}: not a regular file (a FIFO, socket or device); a File grant is a regular file`);
        argv.push({ kind: "literal", value: grant({ kind: "file", path: arg.path }) });
        break;
      }
      case "Pipe":
        argv.push({ kind: "literal", value: grant({ kind: "pipe", name: arg.name, direction: arg.direction }) });
        break;
      case "FileSocket":
        argv.push({ kind: "literal", value: grant({ kind: "filesocket", name: arg.name, direction: arg.direction }) });
        break;
      case "TcpListener":
        argv.push({ kind: "literal", value: grant({ kind: "tcplistener", addr: arg.addr }) });
        break;
      case "Rpc":
        argv.push({ kind: "literal", value: grant({ kind: "rpc", operations: arg.operations }) });
        break;
      case "Trigger":
        argv.push({ kind: "trigger" });
        break;
    }
  });
  // execve(2) of an empty argv fails in the void (and some programs crash on argv[0] == NULL): say so now.
  if (argv.length === 0) {
    errors.push(
      `${base}: its argv would be empty (${ep.args.length === 0 ? '"args": []' : "only Trailing, and no trailing arguments were given"}): a program needs at least its name; start "args" with "BinaryName"`,
    );
  }
  return argv;
}

/**
 * What an entrypoint's Executable grants need, resolved as the binary is
 * (its interpreter, libraries, #! chain): that entrypoint's own automatic
 * entries, and each program's files for the writable-bind check.
 */
function executablesOf(ctx: Context, ep: Entrypoint, errors: string[]): { links: LinkEntry[]; binds: BindEntry[] } {
  const files: NeededFile[] = [];
  const { libraryPath } = ctx.loaderGrants.get(ep.name) ?? { libraryPath: [] };
  // Library grants go into the binary's process; when it has no dynamic loader, into the first Executable's that has one.
  let pending = ctx.binaryOf.get(ep.name)?.resolution.unplacedModules ?? [];
  ep.environment.forEach((g, i) => {
    if (g.kind !== "Executable") return;
    const where = `${entrypointPath(ep.name)}.environment[${i}]: Executable ${g.path}`;
    const st = ctx.host.stat(g.path);
    if (st === null) errors.push(`${where}: no such file or directory`);
    else if (st.type !== "file") errors.push(`${where}: not a regular file`);
    else if (!ctx.host.isExecutable(g.path)) errors.push(`${where}: not executable (permission denied)`);
    else {
      const r = resolveLibraries(g.path, ctx.host, { libraryPath, modules: pending });
      pending = r.unplacedModules;
      errors.push(...r.errors.map((e) => `${where}: ${e}`));
      ctx.executableSearchDirs.set(ep.name, [...(ctx.executableSearchDirs.get(ep.name) ?? []), ...r.searchedDirs]);
      files.push(...r.files.map((f): NeededFile => (f.reason === "binary" ? { ...f, reason: "executable" } : f)));
    }
  });
  ctx.executableFiles.set(ep.name, files);
  for (const m of pending) {
    errors.push(
      `${entrypointPath(ep.name)}: Library ${m}: no program of this entrypoint can load it: neither the binary nor an Executable grant is a dynamically linked program (a static one has no loader to map it)`,
    );
  }
  return files.length === 0 ? { links: [], binds: [] } : automaticEntries(ctx.host, files, errors);
}

function planMounts(ctx: Context, ep: Entrypoint, errors: string[], absent?: string[]): MountEntry[] {
  const { host } = ctx;
  const base = entrypointPath(ep.name);
  const programs = executablesOf(ctx, ep, errors);
  ctx.executableLinks.set(ep.name, programs.links);
  const auto = ctx.binaryOf.get(ep.name)?.auto ?? { links: [], binds: [] };
  const links = new Map([...auto.links, ...programs.links].map((l) => [l.dest, l.target]));
  const specBinds: BindEntry[] = [];
  ep.environment.forEach((g, i) => {
    if (g.kind !== "Filesystem") return;
    const where = `${base}.environment[${i}]`;
    let source: string;
    try {
      source = materialize(host, g.hostPath).real;
    } catch (e) {
      // "Bind if present": an optional grant whose host path is missing binds nothing.
      if (g.optional && e instanceof HostError && e.code === "ENOENT") {
        absent?.push(`${g.environmentPath} (optional: ${g.hostPath} does not exist)`);
        return;
      }
      errors.push(`${where}: Filesystem host_path ${hostMessage(e)}`);
      return;
    }
    const st = host.stat(source);
    const dest = resolveInVoid(g.environmentPath, links);
    specBinds.push({ type: "bind", source, dest, readOnly: g.readOnly, directory: st?.type === "dir", ...identity(st), origin: "spec", ...(g.shared ? { shared: true } : {}) });
  });
  const scratch: ScratchEntry[] = ep.environment.flatMap((g) =>
    g.kind === "Tmpfs" ? [{ type: "scratch" as const, dest: resolveInVoid(g.path, links), size: g.size, inodes: scratchInodes(g.size), origin: "spec" as const }] : [],
  );

  // Nested spec binds land on a mount point the outer bind already shows:
  // it must exist on the host, because nothing may be created there.
  for (const inner of [...specBinds, ...scratch]) {
    for (const outer of specBinds) {
      if (inner.dest === outer.dest || !isWithin(inner.dest, outer.dest)) continue;
      const onHost = posix.join(outer.source, posix.relative(outer.dest, inner.dest));
      const st = host.stat(onHost);
      const directory = inner.type === "scratch" || inner.directory;
      if (st === null || (st.type === "dir") !== directory) {
        errors.push(
          `${base}: cannot ${inner.type === "scratch" ? "mount the Tmpfs" : `bind ${inner.source}`} at ${inner.dest}: it lies inside the bind of ${outer.source} at ${outer.dest}, where ${onHost} is not an existing ${directory ? "directory" : "file"} to mount on`,
        );
      }
    }
  }

  const byDest = new Map<string, MountEntry>();
  for (const s of scratch) byDest.set(s.dest, s);
  for (const b of specBinds) {
    const prev = byDest.get(b.dest);
    if (prev?.type === "bind" && prev.source !== b.source) {
      errors.push(`${base}: two Filesystem grants at ${b.dest}: ${prev.source} and ${b.source}`);
      continue;
    }
    if (prev?.type === "scratch") {
      errors.push(`${base}: a Filesystem grant and a Tmpfs at ${b.dest}`);
      continue;
    }
    byDest.set(b.dest, b);
  }

  // Automatic entries: skipped where a spec bind already shows the same
  // host path at the same place; an error where a spec bind would hide them.
  const covering = (dest: string): BindEntry | undefined => specBinds.find((b) => isWithin(dest, b.dest));
  const autos: (BindEntry | LinkEntry)[] = [...auto.links, ...auto.binds, ...programs.links, ...programs.binds];
  for (const a of autos) {
    const cover = covering(a.dest);
    if (cover !== undefined) {
      if (cover.source === cover.dest) continue;
      errors.push(`${base}: ${a.dest} (${a.origin}${a.reason ? `: ${a.reason}` : ""}) would be hidden by the Filesystem bind of ${cover.source} at ${cover.dest}`);
      continue;
    }
    const prev = byDest.get(a.dest);
    if (prev?.type === "scratch") {
      errors.push(`${base}: ${a.dest} (${a.origin}${a.reason ? `: ${a.reason}` : ""}) would be hidden by the Tmpfs at ${a.dest}`);
      continue;
    }
    if (prev === undefined) byDest.set(a.dest, a);
    // A spec bind of the same file (the original's specs listed libc) merges.
  }

  const ordered = [...byDest.values()].sort((x, y) => compareByComponents(x.dest, y.dest));
  const mounts: MountEntry[] = [ROOT, ...ordered, { type: "devnull", dest: "/dev/null", origin: "void" }];
  if (ep.environment.some((g) => g.kind === "DevRandom")) {
    mounts.push({ type: "device", dest: "/dev/random", origin: "spec" }, { type: "device", dest: "/dev/urandom", origin: "spec" });
  }
  if (ep.environment.some((g) => g.kind === "Procfs")) mounts.push({ type: "proc", dest: "/proc", readOnly: [...PROC_READ_ONLY], origin: "spec" });
  return mounts;
}

/**
 * The void's root: its own small tmpfs (it holds only the mount points and
 * symlinks the planner lists), mode 0755, made read-only once the tree is
 * built, so nothing in the void can create a file outside its binds and
 * scratch space.
 */
const ROOT = { type: "tmpfs", dest: "/", readOnly: true, size: 1024 * 1024, inodes: 16384, mode: 0o755, origin: "void" } as const;

/**
 * The kernel-wide parts of a void's /proc, made read-only, as bubblewrap
 * and Docker do: most sysctls check only the writer's uid, and a void of a
 * root launcher with --host-root runs as host uid 0 (with no capability),
 * so a writable /proc/sys would let it set kernel.core_pattern and have
 * the kernel run a program as real root. The void's own /proc/sys/net is
 * read-only too.
 */
const PROC_READ_ONLY = ["sys", "sysrq-trigger", "irq", "bus", "fs"] as const;

/** python, python3, python3.11...: a program whose user site directory runs .pth files as code. */
function isPython(path: string): boolean {
  return /^python[0-9.]*$/.test(posix.basename(path));
}

/**
 * The most files a Tmpfs holds: one per KiB of its size, from 1,024 to
 * 1,048,576. Inodes cost kernel memory that `size` does not count; the
 * kernel's own default (half the machine's pages) would let a small
 * scratch space hold millions of empty files.
 */
export function scratchInodes(size: number): number {
  return Math.min(1024 * 1024, Math.max(1024, Math.floor(size / 1024)));
}

/**
 * Env's variables in spec order, then PassEnv's that the launcher has;
 * then, for a binary whose RUNPATH or RPATH uses $ORIGIN, LD_ORIGIN_PATH
 * (a spec may not set LD_* itself): ld.so takes the program's $ORIGIN from
 * /proc/self/exe, absent without Procfs, and falls back to it; with
 * LibraryPath grants, LD_LIBRARY_PATH: exactly their directories, in grant
 * order, where the planner looked for libraries as ld.so will. A Python
 * program gets PYTHONNOUSERSITE=1: its user site directory
 * (~/.local/lib/pythonX.Y/site-packages, relative to the working directory
 * when HOME is unset) may lie in a writable bind, and the .pth files there
 * run as code at start-up — a void could plant one for every later void.
 */
function planEnvironment(ep: Entrypoint, launcherEnv: Readonly<Record<string, string | undefined>> | undefined, programOrigin: string | undefined, runsPython: boolean): EnvVar[] {
  const vars: EnvVar[] = [];
  for (const g of ep.environment) {
    if (g.kind === "Env") for (const [name, value] of g.vars) vars.push({ name, value, from: "spec" });
    if (g.kind === "PassEnv") {
      for (const name of g.names) {
        const value = launcherEnv?.[name];
        if (value !== undefined) vars.push({ name, value, from: "launcher" });
      }
    }
  }
  if (programOrigin !== undefined) vars.push({ name: "LD_ORIGIN_PATH", value: programOrigin, from: "void" });
  const libraryPath = ep.environment.flatMap((g) => (g.kind === "LibraryPath" ? [g.path] : []));
  if (libraryPath.length > 0) vars.push({ name: "LD_LIBRARY_PATH", value: libraryPath.join(":"), from: "void" });
  if (runsPython) vars.push({ name: "PYTHONNOUSERSITE", value: "1", from: "void" });
  return vars;
}

/**
 * The WorkingDirectory, checked against the planned tree: the root, a
 * directory bind or a Tmpfs, a directory made to hold a mount point, or
 * an existing directory inside a directory bind. Anything else would be
 * a chdir that fails in every void.
 */
function planCwd(ep: Entrypoint, mounts: readonly MountEntry[], host: HostView, errors: string[]): string {
  const grant = ep.environment.find((g) => g.kind === "WorkingDirectory");
  if (grant?.kind !== "WorkingDirectory") return "/";
  const links = new Map(mounts.flatMap((m) => (m.type === "symlink" ? [[m.dest, m.target] as const] : [])));
  const dir = resolveInVoid(grant.path, links);
  if (dir === "/") return dir;
  const madeForMounts = mounts.some((m) => m.dest !== dir && isWithin(m.dest, dir) && m.dest !== "/");
  const mounted = mounts.find((m) => m.dest === dir);
  if (mounted?.type === "scratch" || (mounted?.type === "bind" && mounted.directory) || (mounted === undefined && madeForMounts)) return dir;
  // The deepest directory bind holding it: the directory must exist on the host under it.
  const holder = mounts.filter((m): m is BindEntry => m.type === "bind" && m.directory && m.dest !== dir && isWithin(dir, m.dest)).sort((a, b) => b.dest.length - a.dest.length)[0];
  if (holder !== undefined && mounted === undefined && host.stat(posix.join(holder.source, posix.relative(holder.dest, dir)))?.type === "dir") return dir;
  errors.push(`${entrypointPath(ep.name)}: WorkingDirectory ${grant.path} is not a directory of the void: bind a directory there or inside one (Filesystem), or mount a Tmpfs`);
  return dir;
}

function limitsOf(ep: Entrypoint): ResourceLimits {
  const grant = ep.environment.find((g) => g.kind === "Limits");
  if (grant?.kind !== "Limits") return {};
  const { kind: _kind, ...limits } = grant;
  return limits;
}

/**
 * The void's user-namespace limits (see USER_LIMIT_NAMES): its inotify
 * budget from Limits or the defaults, no fanotify (the filter refuses it
 * too; these hold also under SeccompUnconfined), and — when the filter
 * refuses new namespaces — none of any kind, as a second wall behind it;
 * without a filter, at most UNCONFINED_NAMESPACES of each kind (each one is
 * charged to the launcher's uid, whose host budget the host shares). The
 * namespaces the void is born with were counted when the child was
 * cloned; the one time namespace it unshares before void-init is allowed.
 */
/** New namespaces of each kind a void without a seccomp filter may hold at once. */
export const UNCONFINED_NAMESPACES = 64;

export function planUserLimits(limits: ResourceLimits, filtered: boolean, timeNamespace: boolean): UserNamespaceLimit[] {
  const out: UserNamespaceLimit[] = [
    { name: "max_inotify_instances", value: limitInForce(limits, "inotifyInstances") },
    { name: "max_inotify_watches", value: limitInForce(limits, "inotifyWatches") },
    { name: "max_fanotify_groups", value: 0 },
    { name: "max_fanotify_marks", value: 0 },
  ];
  const each = filtered ? 0 : UNCONFINED_NAMESPACES;
  for (const name of ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"] as const) out.push({ name: `max_${name}_namespaces`, value: each });
  out.push({ name: "max_time_namespaces", value: each + (timeNamespace ? 1 : 0) });
  return out;
}

function planVoid(ctx: Context, ep: Entrypoint, errors: string[]): VoidPlan {
  const has = (kind: string) => ep.environment.some((g) => g.kind === kind);
  const fds: FdGrant[] = [
    { fd: 0, source: has("Stdin") ? { kind: "stdin" } : { kind: "devnull" } },
    { fd: 1, source: has("Stdout") || ctx.input.grantStdout ? { kind: "stdout" } : { kind: "devnull" } },
    { fd: 2, source: has("Stderr") || ctx.input.grantStderr ? { kind: "stderr" } : { kind: "devnull" } },
  ];
  const argv = planArgs(ctx, ep, fds, errors);
  const absent: string[] = [];
  const mounts = planMounts(ctx, ep, errors, absent);
  const hostname = ep.environment.find((g) => g.kind === "Hostname");
  const domainname = ep.environment.find((g) => g.kind === "DomainName");
  const { uid, gid } = ctx.input;
  const own = uid === 0 && ctx.input.hostRoot !== true ? voidUid(ctx.binaryAbs, ep.name) : undefined;
  // Sockets of the host's network namespace: a listener and what it accepts, brokered sockets, and whatever a FileSocket can carry.
  const hostSockets = ep.trigger.kind === "FileSocket" || ep.args.some((a) => a.kind === "TcpListener" || a.kind === "Rpc" || a.kind === "FileSocket");
  const seccomp = planSeccomp(ep.environment, ctx.input.arch, hostSockets);
  const forwards = ep.environment.flatMap((g) => (g.kind === "Forward" ? [{ protocol: g.protocol, hostAddr: g.hostAddr, environmentPort: g.environmentPort }] : []));
  const connects = ep.environment.flatMap((g) => (g.kind === "Connect" ? [{ protocol: g.protocol, environmentPort: g.environmentPort, hostAddr: g.hostAddr }] : []));
  if ("error" in seccomp) errors.push(`${entrypointPath(ep.name)}: ${seccomp.error}`);
  return {
    entrypoint: ep.name,
    trigger: ep.trigger,
    binary: ctx.input.binary,
    exec: ctx.binaryAbs,
    namespaces: ALL_NAMESPACES.filter((n) => n !== "time" || ctx.input.timeNamespace),
    uidMap: [{ inside: uid, outside: own ?? uid, count: 1 }],
    // A root launcher's void is uid and gid 0 inside (the child becomes both: native/void_spawn.c), whatever the launcher's gid.
    gidMap: [{ inside: own !== undefined ? 0 : gid, outside: own ?? gid, count: 1 }],
    mapsByLauncher: own !== undefined,
    setgroups: own !== undefined ? "cleared" : "deny",
    hostname: hostname?.kind === "Hostname" ? hostname.name : "void",
    domainname: domainname?.kind === "DomainName" ? domainname.name : "(none)",
    procfs: has("Procfs"),
    loopback: forwards.length > 0 || connects.length > 0,
    forwards,
    connects,
    argv,
    environment: planEnvironment(ep, ctx.input.launcherEnv, ctx.programOrigin, ctx.runsPython || ep.environment.some((g) => g.kind === "Executable" && isPython(g.path))),
    cwd: planCwd(ep, mounts, ctx.host, errors),
    absentOptional: absent,
    fds,
    mounts,
    capabilities: [],
    noNewPrivs: true,
    seccomp: "error" in seccomp ? { mode: "unconfined" } : seccomp,
    limits: limitsOf(ep),
    userLimits: planUserLimits(limitsOf(ep), "error" in seccomp ? false : seccomp.mode === "filter", ctx.input.timeNamespace),
    isStatic: ctx.isStatic,
  };
}

/** Plans every entrypoint of `spec` for `input.binary`. */
export function planApplication(spec: Spec, input: PlanInput, host: HostView): PlanResult {
  const errors: string[] = [];
  const binaryAbs = posix.resolve(input.cwd, input.executable ?? input.binary);
  const st = host.stat(binaryAbs);
  if (st === null) return { ok: false, errors: [`${input.binary}: no such file or directory${input.binary.includes("/") ? "" : " (looked for in PATH and in the working directory)"}`] };
  if (st.type !== "file") return { ok: false, errors: [`${input.binary}: not a regular file`] };
  if (!host.isExecutable(binaryAbs)) return { ok: false, errors: [`${input.binary}: not executable (permission denied)`] };
  // The binary is resolved once per distinct set of loader grants (usually once: none).
  const loaderGrants = new Map(spec.entrypoints.map((ep) => [ep.name, loaderGrantsOf(host, ep, errors)]));
  const byGrants = new Map<string, BinaryResolution>();
  const binaryOf = new Map<string, BinaryResolution>();
  for (const ep of spec.entrypoints) {
    const grants = loaderGrants.get(ep.name) ?? { libraryPath: [], modules: [] };
    const key = JSON.stringify(grants);
    let b = byGrants.get(key);
    if (b === undefined) {
      const r = resolveLibraries(binaryAbs, host, grants);
      const errs = [...r.errors];
      b = { resolution: r, auto: automaticEntries(host, r.files, errs), errors: errs };
      byGrants.set(key, b);
    }
    binaryOf.set(ep.name, b);
  }
  errors.push(...resolutionErrors(spec, binaryOf));
  const resolution = [...byGrants.values()][0]?.resolution ?? resolveLibraries(binaryAbs, host);
  const allAuto = [...byGrants.values()].map((b) => b.auto);
  const ctx: Context = {
    spec,
    input,
    host,
    binaryAbs,
    isStatic: resolution.isStatic,
    binaryOf,
    loaderGrants,
    executableSearchDirs: new Map(),
    executableLinks: new Map(),
    executableFiles: new Map(),
    runsPython: resolution.files.some((f) => (f.reason === "binary" || f.reason === "shebang") && isPython(f.path)),
    ...(resolution.programOrigin !== undefined ? { programOrigin: resolution.programOrigin } : {}),
  };
  const plans = spec.entrypoints.map((ep) => planVoid(ctx, ep, errors));
  // What any void executes: the binary's files, and every entrypoint's Executable grants'.
  const executed = [
    ...new Map(
      [...allAuto.flatMap((a) => a.binds), ...plans.flatMap((p) => p.mounts.filter((m): m is BindEntry => m.type === "bind" && m.origin !== "spec" && m.origin !== "void"))].map((b) => [b.source, b]),
    ).values(),
  ];
  // The other names the mount table gives host paths (src/plan/mountinfo.ts): read only when some void may write.
  const mounted = hostMountTable(writableSpecBinds(plans).next().done === true ? null : host);
  const aliases = (path: string) => mounted.aliasesOf(path);
  const alias = (path: string) => aliases(path).map((a) => a.name);
  errors.push(...writableCoversExecutables(plans, [...executed, ...executed.flatMap((e) => aliases(e.source).map((a) => ({ source: a.name, origin: `${e.origin}: ${a.via} under another mount` })))]));
  const specs = withAliases(input.specFiles ?? [], aliases);
  errors.push(...writableCoversSpecs(plans, specs.paths, specs.aliasOf));
  const launcher = withAliases(input.launcherFiles ?? [], aliases);
  errors.push(...writableCoversLauncher(plans, launcher.paths, launcher.aliasOf));
  const searched = withAliases(input.launcherPath ?? [], aliases);
  errors.push(...writableCoversLauncherPath(plans, searched.paths, searched.aliasOf));
  const nodeLibs = launcherNodeLibraries(input.launcherNodes ?? [], host, input.launcherLibraryPath ?? [], input.launcherPreload ?? [], input.launcherLoaderNames ?? []);
  const loader = withAliases([...new Set([...(input.launcherLoader ?? []), ...nodeLibs.paths])], aliases);
  const loaderDirs = withAliases([...new Set([...(input.launcherLoaderDirs ?? []), ...nodeLibs.dirs])], aliases);
  const loaderNames = [...(input.launcherLoaderNames ?? []), ...nodeLibs.names];
  errors.push(...writableCoversLauncherLoader(plans, loader.paths, loader.aliasOf, loaderDirs.paths, loaderDirs.aliasOf, loaderNames));
  errors.push(...writableReachesLinkedLauncher(plans, linksWithMounts(input.launcherLinks ?? [], mounted.mounts), host));
  errors.push(...writableOnDeletedSource(plans, [...(input.launcherFiles ?? []), ...(input.specFiles ?? []), ...executed.map((e) => e.source)], mounted, host));
  errors.push(...mountsInsideWritable(plans, alias));
  errors.push(
    ...writableLoaderDirs(
      plans,
      (ep) => [...(binaryOf.get(ep)?.resolution.searchedDirs ?? []), ...(loaderGrants.get(ep)?.libraryPath ?? []), ...(ctx.executableSearchDirs.get(ep) ?? [])],
      ctx.host,
      alias,
    ),
  );
  errors.push(...libraryPathsInsideWritable(spec, plans, host, alias));
  errors.push(...symlinksInsideWritable(spec, plans, host, (ep) => [...(binaryOf.get(ep)?.auto.links ?? []), ...(ctx.executableLinks.get(ep) ?? [])], alias));
  if (errors.length > 0) return { ok: false, errors };
  // What the loader or a script will still miss, where the planner can see it.
  const advice = plans.flatMap((p) => {
    const a = {
      where: entrypointPath(p.entrypoint),
      mounts: p.mounts,
      files: [...(binaryOf.get(p.entrypoint)?.resolution.files ?? []), ...(ctx.executableFiles.get(p.entrypoint) ?? [])],
      libraryPath: loaderGrants.get(p.entrypoint)?.libraryPath ?? [],
      hostPath: hostSearchPath(input.launcherEnv),
    };
    return { warnings: scriptWarnings(host, a), advice: input.advise === true ? pythonModuleWarnings(host, a) : [] };
  });
  return { ok: true, plans, warnings: [...writableFeedsOthers(plans), ...writableKernelInterfaces(plans), ...advice.flatMap((a) => a.warnings)], advice: advice.flatMap((a) => a.advice) };
}

/**
 * The binary's resolution errors, once each: as they are when every
 * entrypoint's resolution has them (the binary cannot start anywhere),
 * else prefixed with the entrypoints whose LibraryPath or Library grants
 * lead to them.
 */
function resolutionErrors(spec: Spec, binaryOf: ReadonlyMap<string, BinaryResolution>): string[] {
  const who = new Map<string, string[]>();
  for (const ep of spec.entrypoints) {
    for (const e of binaryOf.get(ep.name)?.errors ?? []) who.set(e, [...(who.get(e) ?? []), ep.name]);
  }
  return [...who].map(([e, eps]) => (eps.length === spec.entrypoints.length ? e : `${eps.map(entrypointPath).join(", ")}: ${e}`));
}

/**
 * A LibraryPath directory is where the planner looks for libraries at each
 * `void run`, and ld.so in every void: if a void can write it on the host
 * (it lies in a writable bind's source), it could plant a library there
 * that the next plan binds and every void loads. Refused, as writable
 * loader directories are.
 */
export function libraryPathsInsideWritable(spec: Spec, plans: readonly VoidPlan[], host: HostView, alias: (path: string) => string[] = () => []): string[] {
  const errors: string[] = [];
  const writable = writableSources(plans, alias);
  if (writable.length === 0) return errors;
  for (const ep of spec.entrypoints) {
    ep.environment.forEach((g, i) => {
      if (g.kind !== "LibraryPath") return;
      let real: string;
      try {
        real = materialize(host, g.path).real;
      } catch {
        return; // a missing directory is reported by loaderGrantsOf
      }
      const w = writable.find((x) => isWithin(real, x.source));
      if (w === undefined) return;
      errors.push(
        `${entrypointPath(ep.name)}.environment[${i}]: LibraryPath ${g.path} lies inside what a void can write (${writableBind(w)}${w.entrypoint === ep.name ? "" : ` of entrypoint ${w.entrypoint}`}): a void could put a library there that the next void run binds and every void loads; search a directory no void writes`,
      );
    });
  }
  return errors;
}

/**
 * A mount nested in a bind — a bind, a Tmpfs or a symlink made inside a
 * directory another bind shows — stands on a directory entry of the host
 * filesystem. If any void of the spec can write the host directory that
 * holds that entry (a writable bind whose source contains it), it can
 * rename the entry's parent away, with the mount on it, and put a
 * directory of its own in its place: every void built after it — the next
 * message's, or another entrypoint's — then sees the attacker's files
 * where its Tmpfs or read-only bind should be (another void's "private"
 * scratch data lands on the host disk). No mount can pin a path in the
 * host's tree against a rename, so such a spec is refused.
 */
export function mountsInsideWritable(plans: readonly VoidPlan[], alias: (path: string) => string[] = () => []): string[] {
  const errors: string[] = [];
  const writable = writableSources(plans, alias);
  if (writable.length === 0) return errors;
  for (const p of plans) {
    const holders = p.mounts.filter((m): m is BindEntry => m.type === "bind" && m.origin === "spec" && m.directory);
    for (const m of p.mounts) {
      // Every mount the child makes: a spec bind, a Tmpfs, a symlink, and the void's own /dev/null, devices and /proc.
      if (m.type === "tmpfs") continue; // the root itself
      const holder = holders.filter((b) => b !== m && b.dest !== m.dest && isWithin(m.dest, b.dest)).sort((a, b) => b.dest.length - a.dest.length)[0];
      if (holder === undefined) continue; // in the void's own root tmpfs
      const onHost = posix.join(holder.source, posix.relative(holder.dest, m.dest));
      const w = writable.find((x) => onHost !== x.source && isWithin(onHost, x.source));
      if (w === undefined) continue;
      const what = m.type === "scratch" ? "the Tmpfs" : m.type === "symlink" ? "the symlink" : m.type === "bind" ? `the bind of ${m.source}` : m.type === "proc" ? "the void's /proc" : "the device";
      const who = w.entrypoint === p.entrypoint ? `${p.entrypoint}'s own voids` : `entrypoint ${w.entrypoint}`;
      errors.push(
        `${entrypointPath(p.entrypoint)}: ${what} at ${m.dest} would stand on ${onHost}, inside what ${who} can write (${writableBind(w)}): a void could move it aside and put its own files there for every void built after it; mount it outside that directory, or make the bind read-only`,
      );
    }
  }
  return errors;
}

/** The canonical sources of every writable spec bind of the application (the host paths its voids may write). */
function writableSources(plans: readonly VoidPlan[], alias: (path: string) => string[] = () => []): Writable[] {
  return plans.flatMap((q) =>
    q.mounts.flatMap((m) =>
      m.type === "bind" && !m.readOnly && m.origin === "spec"
        ? [{ entrypoint: q.entrypoint, source: m.source, bind: m.source }, ...alias(m.source).map((a) => ({ entrypoint: q.entrypoint, source: a, bind: m.source }))]
        : [],
    ),
  );
}

/**
 * A host directory the voids of `entrypoint` may write: the source of its
 * writable bind, or another name the mount table gives it or a part of it
 * (src/plan/mountinfo.ts), which is as writable.
 */
interface Writable {
  entrypoint: string;
  /** The directory, as a path on the host. */
  source: string;
  /** The source of the writable bind that makes it writable (source itself, or what it is another name of). */
  bind: string;
}

/** "the writable bind of X", and under which other name, when the mount table gave it. */
function writableBind(w: Writable): string {
  return w.source === w.bind ? `the writable bind of ${w.bind}` : `the writable bind of ${w.bind}, which the mount table shows at ${w.source} too`;
}

/** The host paths the voids of `plans` may write (writableSources without who). */
export function writablePaths(plans: readonly VoidPlan[]): string[] {
  return writableSources(plans).map((w) => w.bind);
}

/**
 * The mount table `host` shows (none for null), with overlays' layers
 * resolved through it and loop devices' files read from its sysfs.
 */
function hostMountTable(host: HostView | null): MountTable {
  if (host === null) return new MountTable([]);
  const read = (path: string): string | null => {
    try {
      const f = host.openFile(path);
      try {
        return Buffer.from(f.read(0, 4096)).toString("utf8");
      } finally {
        f.close();
      }
    } catch {
      return null;
    }
  };
  return new MountTable(parseMountinfo(host.mountTable?.() ?? ""), (p) => realpath(host, p), loopBacking(read));
}

/**
 * writablePaths, with every other name the mount table `host` shows gives
 * each (src/plan/mountinfo.ts): a bind mount made outside void
 * shows a writable directory under a second path, where a symlink a void
 * planted is just as much the void's (a File grant or --pid-file named
 * through that path must not follow it). The table is read only when some
 * void may write.
 */
export function writableNames(plans: readonly VoidPlan[], host: HostView): string[] {
  const paths = writablePaths(plans);
  if (paths.length === 0) return paths;
  const table = hostMountTable(host);
  return [...new Set([...paths, ...paths.flatMap((p) => table.aliasesOf(p).map((a) => a.name))])];
}

/**
 * ld.so looks for a library in the same directories in a void as on the
 * host (RPATH, RUNPATH, the defaults, their hwcaps subdirectories), also
 * where the planner found nothing: a library a void put in one of them —
 * through a writable bind shown there, or a bind of a directory some void
 * writes — is loaded by every void started after it. Refused.
 */
export function writableLoaderDirs(plans: readonly VoidPlan[], searchedDirs: (entrypoint: string) => readonly string[], host: HostView, alias: (path: string) => string[] = () => []): string[] {
  const errors: string[] = [];
  const writable = writableSources(plans, alias);
  if (writable.length === 0) return errors;
  for (const p of plans) {
    const dirs = [...new Set(searchedDirs(p.entrypoint).map((d) => posix.normalize(d)))];
    for (const b of p.mounts) {
      if (b.type !== "bind" || b.origin !== "spec") continue;
      for (const d of dirs) {
        if (!isWithin(d, b.dest)) continue;
        const onHost = posix.join(b.source, posix.relative(b.dest, d));
        // Where ld.so will really look: a symlink in a read-only bound
        // directory (a glibc-hwcaps entry, say) may lead into a writable one,
        // also for a subdirectory a void creates there later.
        const real = resolveExisting(host, onHost);
        const found = writable.find((x) => isWithin(onHost, x.source) || isWithin(real, x.source));
        const w = !b.readOnly ? `the writable bind of ${b.source}` : found !== undefined ? writableBind(found) : undefined;
        if (w === undefined) continue;
        errors.push(
          `${entrypointPath(p.entrypoint)}: ld.so looks for libraries in ${d}, which the bind of ${b.source} at ${b.dest} shows ${b.readOnly ? `from inside what a void can write (${w})` : "writable"}: a void could put a library there that every void started after it loads; bind that directory elsewhere, or read-only from a directory no void writes`,
        );
        break;
      }
    }
  }
  return errors;
}

/**
 * `path` with its longest existing prefix resolved (symlinks and all) and
 * the rest, which does not exist yet, appended: where `path` will be once
 * someone creates it.
 */
function resolveExisting(host: HostView, path: string): string {
  let prefix = path;
  const rest: string[] = [];
  for (;;) {
    try {
      return posix.join(materialize(host, prefix).real, ...rest);
    } catch {
      if (prefix === "/") return path;
      rest.unshift(posix.basename(prefix));
      prefix = posix.dirname(prefix);
    }
  }
}

/**
 * A host path is resolved when void plans, symlinks and all. A symlink on
 * the way that lies inside what a void can write could be pointed anywhere
 * on the host before the next `void run` — the host's / as a "bind", the
 * launcher's home as a writable one. Refused for Filesystem host paths and
 * for the paths to what voids execute (the binary, its loader chain,
 * Executable grants); `File` grants are checked the same way at start.
 */
export function symlinksInsideWritable(
  spec: Spec,
  plans: readonly VoidPlan[],
  host: HostView,
  executedLinks: (entrypoint: string) => readonly LinkEntry[],
  alias: (path: string) => string[] = () => [],
): string[] {
  const errors: string[] = [];
  const writable = writableSources(plans, alias);
  if (writable.length === 0) return errors;
  const inside = (path: string) => writable.find((w) => path !== w.source && isWithin(path, w.source));
  const say = (where: string, what: string, link: string, w: Writable, real?: string) =>
    errors.push(
      `${where}: ${what} goes through the symlink ${link}, inside what a void can write (${writableBind(w)}): a void could point it anywhere on the host before the next run${real !== undefined ? `; write the path without it (${real})` : ""}`,
    );
  for (const ep of spec.entrypoints) {
    ep.environment.forEach((g, i) => {
      if (g.kind !== "Filesystem") return;
      let m: ReturnType<typeof materialize>;
      try {
        m = materialize(host, g.hostPath);
      } catch {
        return; // a missing path is reported (or skipped, if optional) by planMounts
      }
      for (const s of m.symlinks) {
        const w = inside(s.dest);
        if (w !== undefined) say(`${entrypointPath(ep.name)}.environment[${i}]`, `host_path ${g.hostPath}`, s.dest, w, m.real);
      }
    });
  }
  // Every symlink on the way to what a void executes, also those a bind of the same path shows (and planMounts drops).
  for (const p of plans) {
    for (const l of executedLinks(p.entrypoint)) {
      const w = inside(l.dest);
      if (w !== undefined) say(entrypointPath(p.entrypoint), `the path to what it executes (${l.reason ?? l.origin})`, l.dest, w);
    }
  }
  return errors;
}

/**
 * A writable bind of one entrypoint that overlaps what another entrypoint
 * receives — a bind source (either may hold the other) or a File grant —
 * lets the first choose what the second's voids read. That is a channel
 * between entrypoints, like a pipe, and often the design (a writer and a
 * reader of one directory); the bind's object is pinned, so it never leads
 * out of the tree. But it is easy to grant by accident, so it is a warning
 * unless the writable bind says `"shared": true`.
 */
export function writableFeedsOthers(plans: readonly VoidPlan[]): string[] {
  const warnings: string[] = [];
  const overlap = (a: string, b: string) => isWithin(a, b) || isWithin(b, a);
  for (const writer of plans) {
    for (const w of writer.mounts) {
      if (w.type !== "bind" || w.readOnly || w.origin !== "spec" || w.shared === true) continue;
      const readers: string[] = [];
      for (const reader of plans) {
        if (reader.entrypoint === writer.entrypoint) continue;
        for (const m of reader.mounts) {
          if (m.type === "bind" && m.origin === "spec" && overlap(m.source, w.source)) readers.push(`${reader.entrypoint} (its bind of ${m.source} at ${m.dest})`);
        }
        for (const f of reader.fds) {
          if (f.source.kind === "file" && isWithin(f.source.path, w.source)) readers.push(`${reader.entrypoint} (its File ${f.source.path})`);
        }
      }
      if (readers.length === 0) continue;
      warnings.push(
        `${entrypointPath(writer.entrypoint)}: the writable bind of ${w.source} is read by ${readers.join(", ")}: a void of ${writer.entrypoint} chooses what they read there; if that is the design, say so with "shared": true on the writable bind`,
      );
    }
  }
  return warnings;
}

/** Each writable bind a spec grants, with its plan. */
function* writableSpecBinds(plans: readonly VoidPlan[]): Generator<[VoidPlan, BindEntry]> {
  for (const plan of plans) {
    for (const m of plan.mounts) if (m.type === "bind" && !m.readOnly && m.origin === "spec") yield [plan, m];
  }
}

/**
 * Each writable bind a spec grants that covers one of `paths` (is it or
 * holds it), with its plan and the paths it covers (each once, in order):
 * what the writableCovers* checks below refuse, each in its own words.
 */
function* writableCovering(plans: readonly VoidPlan[], paths: readonly string[]): Generator<{ plan: VoidPlan; bind: BindEntry; covered: string[] }> {
  for (const [plan, bind] of writableSpecBinds(plans)) {
    const covered = coveredBy(bind, paths);
    if (covered.length > 0) yield { plan, bind, covered };
  }
}

/** The paths a bind's source is or holds, each once, in order. */
function coveredBy(bind: BindEntry, paths: readonly string[]): string[] {
  return [...new Set(paths.filter((p) => isWithin(p, bind.source)))];
}

/** How a refusal lists what a bind covers: the first three, each named with what it shows (named), and how many more. */
function listed(paths: readonly string[], aliasOf: ReadonlyMap<string, string>): string {
  const first = paths.slice(0, 3).map((p) => named(p, aliasOf));
  return `${first.join(", ")}${paths.length > 3 ? ` and ${paths.length - 3} more` : ""}`;
}

/**
 * A writable bind of the host's /proc or /sys (or anything under them)
 * hands a void the kernel's own interfaces. Procfs gives a void its own
 * /proc with the kernel-wide parts read-only; a Filesystem grant of the
 * host's is explicit, and allowed, but worth a warning: sysctl files let
 * host uid 0 write whatever their owner bits allow without any capability
 * (kernel.core_pattern runs a program as real root), so under --host-root
 * such a void is root on the host, and any void can write what the
 * launcher's uid may there.
 */
export function writableKernelInterfaces(plans: readonly VoidPlan[]): string[] {
  const warnings: string[] = [];
  for (const [p, m] of writableSpecBinds(plans)) {
    if (!isWithin(m.source, "/proc") && !isWithin(m.source, "/sys")) continue;
    warnings.push(
      `${entrypointPath(p.entrypoint)}: the writable bind of ${m.source} gives its voids the host kernel's own interface: they can change what the launcher's uid may change there (with --host-root, kernel settings that run programs as root); grant it read-only unless that is the design ("Procfs" gives a void a /proc of its own)`,
    );
  }
  return warnings;
}

/**
 * A writable bind must not cover the spec (or runtime spec) that grants it:
 * a void that rewrites it — or replaces it, writing the directory that
 * holds it — grants whatever it likes to every void of the next run of
 * the same command (a bind of the host's /, "SeccompUnconfined").
 */
export function writableCoversSpecs(plans: readonly VoidPlan[], specFiles: readonly string[], aliasOf: ReadonlyMap<string, string> = new Map()): string[] {
  return [...writableCovering(plans, specFiles)].map(
    ({ plan, bind, covered }) =>
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${bind.source} covers ${listed(covered, aliasOf)}, the spec this run is planned from: a void of ${plan.entrypoint} could rewrite what the next run grants; keep specs outside what voids can write, or make the bind read-only`,
  );
}

/**
 * A writable bind must not cover void's own installation, nor lie inside
 * it: the launcher runs those files — the CLI, the addon, void-init (PID 1
 * of every void), the native front end, the packages they load, Node
 * itself — with the launcher's privileges, outside any void. A void that
 * could write one (or rename the directory holding it) would run its code
 * as the launcher on the next `void run` (as root, with every capability,
 * for a root launcher whose voids are host uid 0), or as PID 1 of every
 * later void of every entrypoint.
 */
export function writableCoversLauncher(plans: readonly VoidPlan[], launcherFiles: readonly string[], aliasOf: ReadonlyMap<string, string> = new Map()): string[] {
  const errors: string[] = [];
  for (const [plan, bind] of writableSpecBinds(plans)) {
    const covered = coveredBy(bind, launcherFiles);
    const inside = covered.length > 0 ? undefined : launcherFiles.find((f) => isWithin(bind.source, f));
    if (covered.length === 0 && inside === undefined) continue;
    const what = inside === undefined ? `covers ${listed(covered, aliasOf)}` : `lies inside ${named(inside, aliasOf)}`;
    errors.push(
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${bind.source} ${what}, of void's own installation, which the launcher runs: a void of ${plan.entrypoint} could change what the next void run executes, outside every void, as the launcher; make the bind read-only, or keep void (and the Node that runs it) outside what voids can write`,
    );
  }
  return errors;
}

/**
 * `paths` and every other name the mount table gives each of them or a
 * part of them (`aliases`, src/plan/mountinfo.ts: `/data/home/u/void`
 * where `/home` is a bind of `/data/home`; the source of a file bound over
 * one of them), so that a writable bind of one is refused as one of the
 * paths would be; `aliasOf` says what each new name shows (for the
 * refusal's words).
 */
function withAliases(paths: readonly string[], aliases: (path: string) => readonly Alias[]): { paths: readonly string[]; aliasOf: ReadonlyMap<string, string> } {
  const aliasOf = new Map<string, string>();
  for (const p of paths) for (const a of aliases(p)) if (!paths.includes(a.name) && !aliasOf.has(a.name)) aliasOf.set(a.name, a.via);
  return { paths: [...paths, ...aliasOf.keys()], aliasOf };
}

/** A filesystem where void's files have other names (launcherLinks) is reachable through every mount of it, wherever it shows. */
function linksWithMounts(links: readonly { dev: string; mount: string; file: string }[], mounted: readonly MountRecord[]): { dev: string; mount: string; file: string }[] {
  return [...links, ...links.flatMap((l) => mounted.filter((m) => m.dev === deviceName(l.dev) && m.mountPoint !== l.mount).map((m) => ({ ...l, mount: m.mountPoint })))];
}

/** How a refusal names a path: with the path it shows, when the mount table gave it (withAliases). */
function named(path: string, aliasOf: ReadonlyMap<string, string>): string {
  const of = aliasOf.get(path);
  return of === undefined ? path : `${path} (${of} under another mount)`;
}

/**
 * Without a recorded Node (src/cli/load.ts recordedNode), the `void`
 * command runs node by name, through the launcher's PATH: a writable bind
 * of a directory searched before the one where it is found (a `~/.cargo`
 * whose `bin/` is first on PATH, as rustup sets it), or of a symlink on the
 * way to it, would let a void put a program there that the next `void`
 * command runs as the launcher.
 */
export function writableCoversLauncherPath(plans: readonly VoidPlan[], searched: readonly string[], aliasOf: ReadonlyMap<string, string> = new Map()): string[] {
  return [...writableCovering(plans, searched)].map(
    ({ plan, bind, covered }) =>
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${bind.source} covers ${listed(covered, aliasOf)}, on the launcher's PATH where the void command looks for node before it finds it: a void of ${plan.entrypoint} could put a program there that the next void command runs as the launcher; make the bind read-only, or put that directory after Node's on PATH`,
  );
}

/**
 * What ld.so loads into the launcher's Node by itself, read from its ELF
 * file (resolveLibraries, as for a void's binary): its interpreter and
 * libraries with every symlink on the way to each (`paths`), each
 * directory it searches — RUNPATH or RPATH ($ORIGIN/../lib for conda's
 * Node, Homebrew's lib/ of links into its Cellar), the default ones, their
 * hwcaps subdirectories — as written and resolved (`dirs`, in `paths`
 * too), and the names it asks for (`names`). A void that could write one
 * would run its code in the next void command.
 */
function launcherNodeLibraries(
  nodes: readonly string[],
  host: HostView,
  libraryPath: readonly string[],
  preload: readonly string[],
  preloadNames: readonly string[],
): { paths: string[]; dirs: string[]; names: string[] } {
  const paths = new Set<string>();
  const dirs = new Set<string>();
  const names = new Set<string>();
  const follow = (path: string): string => {
    paths.add(path);
    try {
      // A missing part (a RUNPATH directory not made yet) ends the walk: the links until then, and where it leads.
      const m = materializeExisting(host, path);
      for (const s of m.symlinks) paths.add(s.dest);
      paths.add(m.real);
      return m.real;
    } catch {
      return path; // too many links: the kernel gives up too
    }
  };
  // ld.so reads /etc/ld.so.preload and /etc/ld.so.cache as it starts Node, present or not: a void that could make either
  // would choose what Node loads. The libraries ld.so.preload names are loaded as LD_PRELOAD's are.
  const system = nodes.length === 0 ? { modules: [], names: [] } : systemPreload(host, nodes);
  // Each path it names too, as an LD_PRELOAD path is (src/cli/load.ts): one not made yet is where a void could make it.
  if (nodes.length > 0) for (const file of [LD_SO_PRELOAD, DEFAULT_LD_CACHE, ...system.modules]) follow(file);
  for (const name of system.names) names.add(name);
  for (const node of nodes) {
    let r: Resolution;
    try {
      // As ld.so loads it under the launcher's environment: LD_LIBRARY_PATH first, the LD_PRELOAD and LD_AUDIT
      // libraries (and /etc/ld.so.preload's) mapped with what they need (their own RUNPATH), all of it protected alike.
      r = resolveLibraries(node, host, { libraryPath, modules: [...preload, ...system.modules], preloadNames: [...preloadNames, ...system.names] });
    } catch {
      continue; // unreadable: the launcher could not run it either
    }
    for (const f of r.files) {
      follow(f.path);
      if (f.name !== undefined) names.add(f.name);
    }
    for (const d of r.searchedDirs) {
      dirs.add(d);
      dirs.add(follow(d));
    }
  }
  return { paths: [...paths, ...dirs], dirs: [...dirs], names: [...names] };
}

/** The host's preload list, which ld.so reads as it starts every dynamically linked program. */
export const LD_SO_PRELOAD = "/etc/ld.so.preload";
/** ld.so reads at most this much of it here (a real one names a library or two). */
const MAX_LD_SO_PRELOAD = 64 << 10;

/**
 * The libraries /etc/ld.so.preload names, as ld.so reads it: entries
 * separated by blanks, newlines or colons, `#` to the end of a line a
 * comment; one with a slash is a path (`modules`), with $ORIGIN (Node's
 * directory), $LIB and $PLATFORM expanded, a bare name is looked up as a
 * DT_NEEDED one is (`names`). None when it is absent or unreadable.
 */
function systemPreload(host: HostView, nodes: readonly string[]): { modules: string[]; names: string[] } {
  let text = "";
  try {
    if (host.stat(LD_SO_PRELOAD)?.type === "file") {
      const f = host.openFile(LD_SO_PRELOAD);
      try {
        text = Buffer.from(f.read(0, Math.min(f.size, MAX_LD_SO_PRELOAD))).toString("latin1");
      } finally {
        f.close();
      }
    }
  } catch {
    return { modules: [], names: [] }; // unreadable: ld.so could not read it either
  }
  const entries = text
    .split("\n")
    .map((line) => line.replace(/#.*/, ""))
    .join("\n")
    .split(/[ \t\n:]+/)
    .filter((e) => e !== "");
  return { modules: entries.filter((e) => e.includes("/")).flatMap((e) => loaderExpansions(e, nodes)), names: entries.filter((e) => !e.includes("/")) };
}

/**
 * The launcher's LD_LIBRARY_PATH, LD_PRELOAD and LD_AUDIT make ld.so load
 * libraries from where they lead into the Node the `void` command runs: a
 * void with a writable bind of one (or of a symlink on the way to it, or
 * of where a library link inside a searched directory leads) could put a
 * library there that the next `void` command loads as the launcher. A
 * writable bind inside a searched directory (`dirs`) is refused where
 * ld.so looks: a file directly in it (a library's name), or anything in
 * one of its LOADER_SUBDIRS, which ld.so searches first; a directory of
 * another name in it is not searched (an empty LD_LIBRARY_PATH entry is
 * the working directory: `/` for a service, whose other directories stay
 * free to bind).
 */
export function writableCoversLauncherLoader(
  plans: readonly VoidPlan[],
  paths: readonly string[],
  aliasOf: ReadonlyMap<string, string> = new Map(),
  dirs: readonly string[] = [],
  dirAliasOf: ReadonlyMap<string, string> = new Map(),
  names: readonly string[] = [],
): string[] {
  const errors: string[] = [];
  // A file ld.so may open by name: a library's (NAME.so or NAME.so.N), or a name it is asked for (a bare LD_PRELOAD entry, a
  // DT_NEEDED of Node's). Another file directly in a searched directory (results.csv in the working directory, for an
  // empty LD_LIBRARY_PATH entry) is never loaded, and a bind of one file makes no new name.
  const loadable = (file: string) => /\.so(\.|$)/.test(posix.basename(file)) || names.includes(posix.basename(file));
  const searchedIn = (bind: BindEntry, dir: string) =>
    bind.source !== dir &&
    isWithin(bind.source, dir) &&
    ((!bind.directory && posix.dirname(bind.source) === dir && loadable(bind.source)) || LOADER_SUBDIRS.some((sub) => isWithin(bind.source, dir === "/" ? `/${sub}` : `${dir}/${sub}`)));
  for (const [plan, bind] of writableSpecBinds(plans)) {
    const covered = coveredBy(bind, paths);
    const inside = covered.length > 0 ? undefined : dirs.find((d) => searchedIn(bind, d));
    if (covered.length === 0 && inside === undefined) continue;
    const what =
      inside === undefined ? `covers ${listed(covered, aliasOf)}` : `lies where ld.so looks inside ${named(inside, dirAliasOf)} (a file in it, or its glibc-hwcaps/, tls/ and platform subdirectories)`;
    errors.push(
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${bind.source} ${what}, where ld.so finds what it loads into the Node the void command runs (through the launcher's LD_LIBRARY_PATH, LD_PRELOAD or LD_AUDIT, /etc/ld.so.preload or ld.so.cache, or Node's own libraries): a void of ${plan.entrypoint} could put a library there that the next void command loads as the launcher; make the bind read-only, or run void without the LD_* variable that names it where one does`,
    );
  }
  return errors;
}

/**
 * A mount of a file whose name was removed ("//deleted" in the mount
 * table) shows a file that may still have other names on its filesystem —
 * a hard link made before the removal — which no mount shows. Where such a
 * mount shows what voids must not write (void's installation, the spec,
 * what every void executes), no writable bind may stand on that
 * filesystem, as for void's hard-linked files (writableReachesLinkedLauncher).
 */
export function writableOnDeletedSource(plans: readonly VoidPlan[], protectedPaths: readonly string[], mounted: MountTable, host: HostView): string[] {
  const errors: string[] = [];
  const deleted = new Map<string, { path: string; mount: MountRecord }>();
  for (const p of new Set(protectedPaths)) for (const m of mounted.deletedUnder(p)) if (!deleted.has(m.dev)) deleted.set(m.dev, { path: p, mount: m });
  if (deleted.size === 0) return errors;
  for (const [plan, m] of writableSpecBinds(plans)) {
    const dev = m.dev ?? host.stat(m.source)?.dev;
    const hit = dev === undefined ? undefined : deleted.get(deviceName(dev));
    if (hit === undefined) continue;
    errors.push(
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${m.source} is on the filesystem of what the mount at ${hit.mount.mountPoint} shows (${hit.path}), a file or directory whose name there was removed: it may have other names on that filesystem, which a void could write; bind a directory of another filesystem, or mount it again from a file that has a name`,
    );
  }
  return errors;
}

/**
 * Paths say nothing of hard links: a file of void's installation with
 * other names (a pnpm or bun store links every package file from one
 * store) can be changed in place through any of them, by whoever may
 * write the file. So no writable bind may stand on a filesystem where such
 * a file of void's, one a void could write, has other names: they could be
 * anywhere on it.
 */
export function writableReachesLinkedLauncher(plans: readonly VoidPlan[], links: readonly { dev: string; mount: string; file: string }[], host: HostView): string[] {
  const errors: string[] = [];
  if (links.length === 0) return errors;
  for (const [plan, m] of writableSpecBinds(plans)) {
    const dev = m.dev ?? host.stat(m.source)?.dev;
    const link = links.find((l) => l.dev === dev || isWithin(l.mount, m.source));
    if (link === undefined) continue;
    errors.push(
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${m.source} is on the filesystem (${link.mount}) of ${link.file}, a file of void's own installation that has other names there (hard links, as pnpm and bun make): a void could change it through one of them, and the next void run would run its code as the launcher; install void with npm (files of its own), or bind a directory of another filesystem`,
    );
  }
  return errors;
}

/**
 * A writable bind must not cover what voids execute: the program, its ELF
 * interpreter, libraries, ld.so.cache and #! interpreters are the same
 * host files for every entrypoint, so a void that can write one of them
 * (or the directory holding it: rename replaces it) runs its code in
 * every void started after it — another entrypoint's, or the next
 * connection's of its own. Data (binds, File grants) under a writable
 * bind is shared by design and allowed; docs/security.md says so.
 */
export function writableCoversExecutables(plans: readonly VoidPlan[], executables: readonly { source: string; origin: string }[]): string[] {
  const errors: string[] = [];
  const under = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
  for (const [plan, m] of writableSpecBinds(plans)) {
    const covered = executables.filter((e) => under(e.source, m.source));
    if (covered.length === 0) continue;
    const list = covered.slice(0, 3).map((e) => `${e.source} (${e.origin})`);
    errors.push(
      `${entrypointPath(plan.entrypoint)}: the writable bind of ${m.source} covers ${list.join(", ")}${covered.length > 3 ? ` and ${covered.length - 3} more` : ""}, which every void of this program executes: a void of ${plan.entrypoint} could replace ${covered.length > 1 ? "them" : "it"} and run its code in every void started after it; make the bind read-only, or bind a directory that holds no program or library`,
    );
  }
  return errors;
}
