/**
 * The other names a host path has through the mount table: a bind mount
 * made outside void (`/home` bound from `/data/home`, a container
 * runtime's volume, a file bound over one of void's) shows the same files
 * under a second path, which a comparison of paths as text does not see.
 * The planner checks what voids must not write (void's own installation,
 * what every void executes, the spec) under these names too, and counts
 * every name of a writable bind's directory as writable (plan.ts).
 *
 * Pure: it reads the text of /proc/self/mountinfo that the HostView gave
 * (HostView.mountTable) and computes; nothing here touches the host.
 */
import { posix } from "node:path";
import { isWithin } from "./paths.js";

/** One line of /proc/self/mountinfo (proc(5)): what the alias computation needs. */
export interface MountRecord {
  /** The mount's ID, and the ID of the mount it is mounted on (a stacked mount's is the one below it). */
  id: number;
  parent: number;
  /** The filesystem's device ("major:minor"): mounts of one filesystem share it. */
  dev: string;
  /** The directory (or file) of that filesystem the mount shows (its root field), unescaped. */
  root: string;
  /** Where it is mounted, in the reader's mount namespace, unescaped. */
  mountPoint: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ and three octal digits. */
function unoctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** The mounts of a /proc/self/mountinfo text, in its order; lines it cannot read are skipped. */
export function parseMountinfo(text: string): MountRecord[] {
  const mounts: MountRecord[] = [];
  for (const line of text.split("\n")) {
    // mount ID, parent ID, major:minor, root, mount point, options, optional fields..., "-", type, source, super options
    const f = line.split(" ");
    if (f.length < 5 || f[2] === undefined || f[3] === undefined || f[4] === undefined || !/^\d+:\d+$/.test(f[2])) continue;
    const id = Number(f[0]);
    const parent = Number(f[1]);
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(parent)) continue;
    const root = unoctal(f[3]);
    const mountPoint = unoctal(f[4]);
    if (!root.startsWith("/") || !mountPoint.startsWith("/")) continue;
    mounts.push({ id, parent, dev: f[2], root, mountPoint });
  }
  return mounts;
}

/**
 * The mounts that show `path` (absolute, symlinks resolved), found as the
 * kernel resolves it: from the namespace's root mount (the one at "/"
 * whose parent is not in the table), one component at a time, into a
 * mount whose parent is the mount reached so far and whose point is that
 * prefix, and up each stack of mounts on one point to its top. A mount
 * hidden by a later mount over one of its parents is never reached. A
 * table without a root (not one the kernel wrote) falls back to every
 * mount on the deepest mount point above `path`: more names, never fewer.
 */
function holdersOf(path: string, mounts: readonly MountRecord[]): MountRecord[] {
  const ids = new Set(mounts.map((m) => m.id));
  const top = (m: MountRecord, point: string): MountRecord => {
    let at = m;
    for (let i = 0; i < mounts.length; i++) {
      const over = mounts.findLast((x) => x.parent === at.id && x.id !== at.id && x.mountPoint === point);
      if (over === undefined) break;
      at = over;
    }
    return at;
  };
  const root = mounts.find((m) => m.mountPoint === "/" && !ids.has(m.parent));
  if (root !== undefined) {
    let at = top(root, "/");
    let prefix = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      prefix += `/${part}`;
      const child = mounts.findLast((m) => m.parent === at.id && m.id !== at.id && m.mountPoint === prefix);
      if (child !== undefined) at = top(child, prefix);
    }
    return [at];
  }
  let deepest = -1;
  for (const m of mounts) if (isWithin(path, m.mountPoint)) deepest = Math.max(deepest, m.mountPoint.length);
  return mounts.filter((m) => m.mountPoint.length === deepest && isWithin(path, m.mountPoint));
}

/** Another name of a path: `name` shows the files `via` shows (the path itself, or a mount inside it). */
export interface Alias {
  name: string;
  via: string;
}

/**
 * Every other path under which the mount table shows the files of `path`
 * (absolute, symlinks resolved), or of a part of it:
 * - for the mount that shows `path` (holdersOf), each mount of the same
 *   filesystem whose root holds the directory `path` is in that
 *   filesystem (the same directory under that mount), or lies inside it
 *   (that mount's point shows a part of it);
 * - the same for every mount on a point inside `path` (a file or
 *   directory bound over a part of it: that part's files come from
 *   elsewhere, and have names there).
 * Names inside `path` itself are left out (`path` covers them); a name may
 * be hidden under another mount, and is kept all the same.
 */
export function aliasesOf(path: string, mounts: readonly MountRecord[]): Alias[] {
  const names = new Map<string, string>();
  const namesOf = (p: string) => {
    for (const holder of holdersOf(p, mounts)) {
      const inside = posix.join(holder.root, posix.relative(holder.mountPoint, p));
      for (const m of mounts) {
        if (m.dev !== holder.dev) continue;
        // The same directory under m, or, where m shows only a part of it, that part at m's point.
        const [name, via] = isWithin(inside, m.root)
          ? [posix.join(m.mountPoint, posix.relative(m.root, inside)), p]
          : isWithin(m.root, inside)
            ? [m.mountPoint, posix.join(p, posix.relative(inside, m.root))]
            : [undefined, p];
        if (name !== undefined && !isWithin(name, path) && !names.has(name)) names.set(name, via);
      }
    }
  };
  namesOf(path);
  for (const m of mounts) if (m.mountPoint !== path && isWithin(m.mountPoint, path)) namesOf(m.mountPoint);
  return [...names].map(([name, via]) => ({ name, via }));
}

/** A device number as HostStat.dev gives it (st_dev, decimal) the way mountinfo writes it: "major:minor" (glibc's major() and minor()). */
export function deviceName(dev: string): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
