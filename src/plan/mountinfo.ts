/**
 * The other names a host directory has through the mount table: a bind
 * mount made outside void (`/home` bound from `/data/home`, a container
 * runtime's volume) shows the same files under a second path, which a
 * comparison of paths as text does not see. The planner asks for these
 * names of void's own installation (plan.ts writableCoversLauncher), so
 * that no writable bind reaches it under another name.
 *
 * Pure: it reads the text of /proc/self/mountinfo that the HostView gave
 * (HostView.mountTable) and computes; nothing here touches the host.
 */
import { posix } from "node:path";
import { isWithin } from "./paths.js";

/** One line of /proc/self/mountinfo (proc(5)): what the alias computation needs. */
export interface MountRecord {
  /** The filesystem's device ("major:minor"): mounts of one filesystem share it. */
  dev: string;
  /** The directory of that filesystem the mount shows (its root field), unescaped. */
  root: string;
  /** Where it is mounted, in the reader's mount namespace, unescaped. */
  mountPoint: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ and three octal digits. */
function unoctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** The mounts of a /proc/self/mountinfo text, in its order (a later mount on the same point is on top); lines it cannot read are skipped. */
export function parseMountinfo(text: string): MountRecord[] {
  const mounts: MountRecord[] = [];
  for (const line of text.split("\n")) {
    // mount ID, parent ID, major:minor, root, mount point, options, optional fields..., "-", type, source, super options
    const f = line.split(" ");
    if (f.length < 5 || f[2] === undefined || f[3] === undefined || f[4] === undefined || !/^\d+:\d+$/.test(f[2])) continue;
    const root = unoctal(f[3]);
    const mountPoint = unoctal(f[4]);
    if (!root.startsWith("/") || !mountPoint.startsWith("/")) continue;
    mounts.push({ dev: f[2], root, mountPoint });
  }
  return mounts;
}

/**
 * Every other path under which the mount table shows `path` (absolute,
 * symlinks resolved) or a part of it:
 * - for each mount of the same filesystem whose root holds the directory
 *   `path` is in that filesystem, the same directory under that mount;
 * - for each mount of the same filesystem whose root lies inside it, that
 *   mount's point (it shows a part of `path` under another name).
 * The mount that holds `path` is the one on the deepest mount point above
 * it; where mounts are stacked there, each is taken (a superset: more
 * names, never fewer). A name found may be hidden under another mount;
 * it is kept all the same.
 */
export function aliasesOf(path: string, mounts: readonly MountRecord[]): string[] {
  let deepest = -1;
  for (const m of mounts) if (isWithin(path, m.mountPoint)) deepest = Math.max(deepest, m.mountPoint.length);
  const holders = mounts.filter((m) => m.mountPoint.length === deepest && isWithin(path, m.mountPoint));
  const names = new Set<string>();
  for (const holder of holders) {
    const inside = posix.join(holder.root, posix.relative(holder.mountPoint, path));
    for (const m of mounts) {
      if (m.dev !== holder.dev) continue;
      if (isWithin(inside, m.root)) names.add(posix.join(m.mountPoint, posix.relative(m.root, inside)));
      else if (isWithin(m.root, inside)) names.add(m.mountPoint);
    }
  }
  names.delete(path);
  return [...names];
}

/** A device number as HostStat.dev gives it (st_dev, decimal) the way mountinfo writes it: "major:minor" (glibc's major() and minor()). */
export function deviceName(dev: string): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
