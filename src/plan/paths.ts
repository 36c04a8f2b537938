/**
 * Reproducing host paths inside a void.
 *
 * The dynamic loader and the kernel open files by the paths written in ELF
 * headers, #! lines and ld.so.cache — paths that often go through symlinks
 * (`/lib64` -> `usr/lib64` on a merged-/usr system). For each such path we
 * recreate every symlink on the way as a symlink in the void's root and
 * bind only the final real file, so the path works inside the void exactly
 * as on the host and nothing else of the host becomes visible.
 *
 * All functions are pure: the host is read through a HostView.
 */
import { posix } from "node:path";
import { HostError, type HostView } from "./host.js";

const MAX_SYMLINKS = 40; // as the kernel's MAXSYMLINKS

export interface Materialized {
  /** Symlinks to create, each at a path whose parent is already canonical. */
  symlinks: { dest: string; target: string }[];
  /** The canonical (symlink-free) host path the original path leads to. */
  real: string;
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * Walks an absolute path component by component. `linkAt(candidate)`
 * returns the target when `candidate` is a symlink, undefined when it is
 * not, null when it does not exist (the walk ends there: the rest is
 * appended as written, where the path leads once someone creates it), or
 * throws; every link followed is recorded, and ".." is taken against the
 * directory reached so far, as the kernel does. Like the kernel, gives up
 * with ELOOP after MAX_SYMLINKS links.
 */
export function walkPath(path: string, linkAt: (candidate: string) => string | undefined | null): Materialized {
  const symlinks: { dest: string; target: string }[] = [];
  let resolved = "/";
  let pending = components(path);
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === "..") {
      resolved = posix.dirname(resolved);
      continue;
    }
    const candidate = posix.join(resolved, name);
    const target = linkAt(candidate);
    if (target === null) return { symlinks, real: posix.join(candidate, ...pending) };
    if (target === undefined) {
      resolved = candidate;
      continue;
    }
    if (symlinks.length >= MAX_SYMLINKS) throw new HostError("ELOOP", "readlink", path, `${path}: too many levels of symbolic links`);
    symlinks.push({ dest: candidate, target });
    if (target.startsWith("/")) resolved = "/";
    pending = [...components(target), ...pending];
  }
  return { symlinks, real: resolved };
}

/**
 * Follows `path` on the host, recording every symlink met. Throws
 * HostError(ENOENT) when a component is missing and ELOOP after too many
 * links.
 */
export function materialize(host: HostView, path: string): Materialized {
  if (!path.startsWith("/")) throw new HostError("EINVAL", "materialize", path, `${path}: not an absolute path`);
  return walkPath(path, (candidate) => {
    const st = host.lstat(candidate);
    if (st === null) throw new HostError("ENOENT", "lstat", candidate, `${candidate}: no such file or directory`);
    return st.type === "symlink" ? host.readlink(candidate) : undefined;
  });
}

/**
 * materialize, where a missing component ends the walk instead of failing
 * it: the symlinks met until then, and where the path will lead once
 * someone creates what is missing (a RUNPATH directory reached through a
 * link, not made yet, is a place a void could make it).
 */
export function materializeExisting(host: HostView, path: string): Materialized {
  if (!path.startsWith("/")) throw new HostError("EINVAL", "materialize", path, `${path}: not an absolute path`);
  return walkPath(path, (candidate) => {
    const st = host.lstat(candidate);
    if (st === null) return null;
    return st.type === "symlink" ? host.readlink(candidate) : undefined;
  });
}

/**
 * Why a symlink owned by `linkUid`, in a directory of `dir`'s mode and
 * owner, may not be followed by the launcher (uid `follower`) — or
 * undefined when it may. Another local user must not choose where a path
 * of the launcher's leads (a File grant at its private key, a writable
 * bind at its home), so a symlink is followed only where nobody else can
 * have put it: in a directory of the follower's or root's that others
 * cannot write — or, in a sticky directory others may write (/tmp,
 * /var/tmp, /dev/shm), only a link of the follower's or of the
 * directory's owner (the kernel's fs.protected_symlinks, extended to
 * group-writable sticky directories). void resolves paths itself (lstat,
 * readlink), where the kernel never sees a link, so it applies this rule
 * itself: src/plan/real-host.ts readlink (planning), File grants at start
 * (src/orchestrator/run.ts), the --pid-file and --log-file directories
 * (src/cli/anchored-dir.ts). Symlinks a void could have put in a writable
 * bind are refused separately (the planner's symlinksInsideWritable).
 */
export function untrustedLink(dir: { mode: number; uid: number }, linkUid: number, follower: number): string | undefined {
  if (dir.uid !== follower && dir.uid !== 0) return `a symbolic link in a directory of uid ${dir.uid}, who could point it anywhere: not followed`;
  const sticky = (dir.mode & 0o1000) !== 0;
  if (!sticky && (dir.mode & 0o002) !== 0) return "a symbolic link in a directory anyone may write: not followed";
  if (sticky && (dir.mode & 0o022) !== 0 && linkUid !== follower && linkUid !== dir.uid)
    return `a symbolic link of uid ${linkUid} in a sticky directory others may write: not followed (the kernel's fs.protected_symlinks would not follow it either)`;
  return undefined;
}

/** The canonical host path (realpath(3) through the HostView). */
export function realpath(host: HostView, path: string): string {
  return materialize(host, path).real;
}

/**
 * Resolves a path inside the void's own tree, following only the symlinks
 * the plan itself creates (`links`: dest -> target). Used to place a spec's
 * environment_path when a planned symlink (e.g. /lib -> usr/lib) is on its
 * way, so the native layer never has to follow a link while building.
 */
export function resolveInVoid(path: string, links: ReadonlyMap<string, string>): string {
  return walkPath(path, (candidate) => links.get(candidate)).real;
}

/** Whether `path` is `dir` or inside it (both canonical, absolute). */
export function isWithin(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir + "/");
}

/** Sort key that puts every directory before anything inside it. */
export function compareByComponents(a: string, b: string): number {
  const ca = components(a);
  const cb = components(b);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}
