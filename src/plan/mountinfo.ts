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
  /** The directory (or file) of that filesystem the mount shows (its root field), unescaped and normalised. */
  root: string;
  /** Where it is mounted, in the reader's mount namespace, unescaped. */
  mountPoint: string;
  /**
   * The root's name was removed after the mount was made (the kernel adds
   * "//deleted"): the file or directory it shows may still have other names
   * on its filesystem (a hard link), which no mount shows.
   */
  deleted: boolean;
  /** For an overlay, its layers (upperdir, lowerdir, datadir: host paths as mounted); what it shows is theirs. */
  layers: string[];
  /** The mount source ("/dev/loop0", "overlay", "tmpfs"), unescaped: a loop device's file is another name of what it shows. */
  source: string;
}

/**
 * The directories of an overlay's super options ("lowerdir=/a:/b,upperdir=/u,workdir=/w"), unescaped; none for another
 * filesystem. A value lists directories separated by colons; overlayfs takes a backslash as escaping the character
 * after it (a colon in a name is written "\:"), and mountinfo shows that backslash as \134 (older kernels) or the
 * colon itself as \072 (newer ones): only a raw colon after no backslash separates. A relative layer (resolved from
 * where whoever mounted it stood, as Docker's short "l/..." links are) names nothing here and is left out.
 */
function overlayLayers(type: string | undefined, options: string | undefined): string[] {
  if (type !== "overlay" || options === undefined) return [];
  const layers: string[] = [];
  for (const option of options.split(",")) {
    const eq = option.indexOf("=");
    const key = option.slice(0, eq);
    if (eq < 0 || !["upperdir", "lowerdir", "lowerdir+", "datadir+"].includes(key)) continue;
    for (const dir of overlayDirs(option.slice(eq + 1))) if (dir.startsWith("/")) layers.push(posix.normalize(dir));
  }
  return layers;
}

/** The directories of one overlay option's value, as mountinfo shows it (see overlayLayers). */
function overlayDirs(value: string): string[] {
  const dirs: string[] = [];
  let dir = "";
  let escaped = false;
  for (let i = 0; i < value.length; ) {
    const octal = /^\\([0-7]{3})/.exec(value.slice(i, i + 4));
    const c = octal !== null ? String.fromCharCode(Number.parseInt(octal[1]!, 8)) : value[i]!;
    const raw = octal === null;
    i += octal !== null ? 4 : 1;
    if (escaped) {
      dir += c;
      escaped = false;
    } else if (c === "\\") escaped = true;
    else if (c === ":" && raw) {
      dirs.push(dir);
      dir = "";
    } else dir += c;
  }
  dirs.push(dir);
  return dirs.filter((d) => d !== "");
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
    const raw = unoctal(f[3]);
    const mountPoint = unoctal(f[4]);
    if (!raw.startsWith("/") || !mountPoint.startsWith("/")) continue;
    const dash = f.indexOf("-", 6);
    const layers = dash < 0 ? [] : overlayLayers(f[dash + 1], f[dash + 3]);
    // Normalised, as every path it is compared with is ("/x//deleted" stays one name: "/x/deleted").
    const source = dash < 0 ? "" : unoctal(f[dash + 2] ?? "");
    mounts.push({ id, parent, dev: f[2], root: posix.normalize(raw), mountPoint: posix.normalize(mountPoint), deleted: raw.endsWith("//deleted"), layers, source });
  }
  return mounts;
}

/** A loop device (or a partition of one), as a mount's source names it. */
const LOOP_DEVICE = /^\/dev\/(loop\d+)(?:p\d+)?$/;

/**
 * Where a loop device's data lives: the file its sysfs entry names
 * (/sys/block/loopN/loop/backing_file, read through `read`), or null for
 * another source or when it cannot be read. A disk image, a snap's
 * squashfs, an AppImage: whoever writes the file changes every file the
 * mount shows.
 */
export function loopBacking(read: (path: string) => string | null): (source: string) => string | null {
  return (source) => {
    const m = LOOP_DEVICE.exec(source);
    if (m === null) return null;
    const text = read(`/sys/block/${m[1]}/loop/backing_file`)?.replace(/\n$/, "");
    if (text === undefined || !text.startsWith("/")) return null;
    return posix.normalize(text.replace(/ \(deleted\)$/, ""));
  };
}

/** Another name of a path: `name` shows the files `via` shows (the path itself, or a mount inside it). */
export interface Alias {
  name: string;
  via: string;
}

/**
 * A mount table indexed for the planner: by filesystem and by parent, with
 * each path's names kept once computed (the planner asks for the same
 * paths in several checks; a container host has thousands of mounts).
 */
export class MountTable {
  private readonly byDev = new Map<string, MountRecord[]>();
  /** "parent ID\0mount point" -> the mount there (the later one of a stack on one parent). */
  private readonly children = new Map<string, MountRecord>();
  /** The overlays, whose layers are names of what they show. */
  private readonly overlays: MountRecord[] = [];
  /** The mounts of loop devices, whose files hold what they show; and each one's file, read once. */
  private readonly loops: MountRecord[] = [];
  private readonly backings = new Map<MountRecord, string | null>();
  private readonly root: MountRecord | undefined;
  private readonly known = new Map<string, Alias[]>();
  private readonly resolvedLayers = new Map<MountRecord, string[]>();

  /**
   * `resolve`: where a path leads, its symlinks followed (the planner's
   * HostView): an overlay's layer named through a symlink is the
   * directory it leads to. Without it, layers are taken as written.
   */
  constructor(
    readonly mounts: readonly MountRecord[],
    private readonly resolve: (path: string) => string = (p) => p,
    /** A loop device's file (loopBacking); without it, loop mounts are taken as any other filesystem. */
    private readonly backingFile: (source: string) => string | null = () => null,
  ) {
    const ids = new Set<number>();
    for (const m of mounts) {
      ids.add(m.id);
      const same = this.byDev.get(m.dev);
      if (same === undefined) this.byDev.set(m.dev, [m]);
      else same.push(m);
      // The later of two mounts on one point with one parent wins (the table's order), as the kernel's stack does.
      if (m.parent !== m.id) this.children.set(`${m.parent}\0${m.mountPoint}`, m);
      if (m.layers.length > 0) this.overlays.push(m);
      if (LOOP_DEVICE.test(m.source)) this.loops.push(m);
    }
    this.root = mounts.find((m) => m.mountPoint === "/" && !ids.has(m.parent));
  }

  /** The last mount (in the table's order: the later one) on `point` whose parent is `parent`. */
  private child(parent: MountRecord, point: string): MountRecord | undefined {
    return this.children.get(`${parent.id}\0${point}`);
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
  holdersOf(path: string): MountRecord[] {
    if (this.root !== undefined) {
      const top = (m: MountRecord, point: string): MountRecord => {
        let at = m;
        for (let i = 0, over = this.child(at, point); over !== undefined && i < this.mounts.length; i++, over = this.child(at, point)) at = over;
        return at;
      };
      let at = top(this.root, "/");
      let prefix = "";
      for (const part of path.split("/")) {
        if (part === "") continue;
        prefix += `/${part}`;
        const next = this.child(at, prefix);
        if (next !== undefined) at = top(next, prefix);
      }
      return [at];
    }
    let deepest = -1;
    for (const m of this.mounts) if (isWithin(path, m.mountPoint)) deepest = Math.max(deepest, m.mountPoint.length);
    return this.mounts.filter((m) => m.mountPoint.length === deepest && isWithin(path, m.mountPoint));
  }

  /**
   * Every other path under which the table shows the files of `path`
   * (absolute, symlinks resolved), or of a part of it:
   * - for the mount that shows `path` (holdersOf), each mount of the same
   *   filesystem whose root holds the directory `path` is in that
   *   filesystem (the same directory under that mount), or lies inside it
   *   (that mount's point shows a part of it);
   * - for an overlay, the same path in each of its layers (a write to
   *   the upper one changes what it shows);
   * - the same for every mount on a point inside `path` (a file or
   *   directory bound over a part of it: that part's files come from
   *   elsewhere, and have names there).
   * Names inside `path` itself are left out (`path` covers them); a name
   * may be hidden under another mount, and is kept all the same.
   */
  aliasesOf(path: string): Alias[] {
    const known = this.known.get(path);
    if (known !== undefined) return known;
    const names = new Map<string, string>();
    /**
     * Names found and not yet looked at in turn: a name's own names are the path's too (an overlay of a bind of it).
     * `whole`: the name holds what it shows of `path` as its own (a bind, a layer, a loop device's file), so an
     * overlay's layers there are names of it too; not so a name that shows `path` among others (an overlay `path` is a
     * layer of, a loop mount of an image in it: their other layers and files are not `path`'s).
     */
    const next: [string, string, boolean][] = [];
    const add = (name: string, via: string, whole: boolean) => {
      // (A name inside one found already is covered by it: each of its parents is looked up.)
      if (isWithin(name, path)) return;
      for (let at = name; ; at = posix.dirname(at)) {
        if (names.has(at)) return;
        if (at === "/") break;
      }
      names.set(name, via);
      next.push([name, via, whole]);
    };
    /** Loop devices' files found as names of what they show. */
    const images = new Set<string>();
    /** Directories of a filesystem whose mounts were looked through already ("dev\0inside\0whole"): each once. */
    const shown = new Set<string>();
    // Every mount of filesystem `dev` showing its directory `inside` (p's name there), or a part of it.
    const shownBy = (dev: string, inside: string, p: string, via: (shown: string) => string, whole: boolean) => {
      const key = `${dev}\0${inside}\0${whole}`;
      if (shown.has(key)) return;
      shown.add(key);
      for (const m of this.byDev.get(dev) ?? []) {
        // The same directory under m, or, where m shows only a part of it, that part at m's point.
        if (isWithin(inside, m.root)) add(posix.join(m.mountPoint, posix.relative(m.root, inside)), via(p), whole);
        else if (isWithin(m.root, inside)) add(m.mountPoint, via(posix.join(p, posix.relative(inside, m.root))), whole);
      }
    };
    const namesOf = (p: string, via: (shown: string) => string, whole: boolean) => {
      for (const holder of this.holdersOf(p)) {
        const inside = posix.join(holder.root, posix.relative(holder.mountPoint, p));
        if (whole) for (const layer of this.layersOf(holder)) add(inside === "/" ? layer : posix.join(layer, inside), via(p), true);
        // On a loop device: its file holds p (whoever writes the image rewrites p).
        const image = whole ? this.backingOf(holder) : null;
        if (image !== null) {
          images.add(image);
          add(image, via(p), true);
        }
        shownBy(holder.dev, inside, p, via, whole);
      }
      // The other way: a loop device's file in p (or p itself): every mount of its filesystem shows what p holds.
      // (Not for an image reached from a path it shows: all of it is not that path.)
      for (const l of this.loops) {
        const image = this.backingOf(l);
        if (image !== null && isWithin(image, p) && !images.has(image)) shownBy(l.dev, "/", image, via, false);
      }
      // The other way: p in a layer of an overlay (its upper or a lower directory), or a layer inside p: the
      // overlay shows it at the same place below its root, and every mount of the overlay there (outside attack 45).
      for (const o of this.overlays) {
        for (const layer of this.layersOf(o)) {
          if (isWithin(p, layer)) shownBy(o.dev, `/${posix.relative(layer, p)}`, p, via, false);
          else if (isWithin(layer, p)) shownBy(o.dev, "/", layer, via, false);
        }
      }
    };
    namesOf(path, (shown) => shown, true);
    for (const m of this.mounts) if (m.mountPoint !== path && isWithin(m.mountPoint, path)) namesOf(m.mountPoint, (shown) => shown, true);
    // And the names of those names, until no new one comes (nested overlays, an overlay over a bind of the path:
    // outside attacks 46, 48); each keeps the part of `path` it shows. It ends: each name is taken once, each
    // directory of a filesystem looked through once (twice: whole or not), and a table has finitely many mounts.
    for (let i = 0; i < next.length; i++) {
      const [name, via, whole] = next[i]!;
      namesOf(name, () => via, whole);
    }
    const aliases = [...names].map(([name, via]) => ({ name, via }));
    this.known.set(path, aliases);
    return aliases;
  }

  /** The file a loop device's mount comes from (backingFile), read once; null for another mount. */
  private backingOf(m: MountRecord): string | null {
    if (!LOOP_DEVICE.test(m.source)) return null;
    let image = this.backings.get(m);
    if (image === undefined) {
      try {
        image = this.backingFile(m.source);
      } catch {
        image = null;
      }
      this.backings.set(m, image);
    }
    return image;
  }

  /** An overlay's layers, each where its symlinks lead (resolve), resolved once. */
  private layersOf(m: MountRecord): string[] {
    if (m.layers.length === 0) return m.layers;
    let layers = this.resolvedLayers.get(m);
    if (layers === undefined) {
      layers = m.layers.map((l) => {
        try {
          return this.resolve(l);
        } catch {
          return l; // missing here (another namespace's path): as written
        }
      });
      this.resolvedLayers.set(m, layers);
    }
    return layers;
  }

  /**
   * The mounts showing `path` or a part of it whose root's name was removed
   * (MountRecord.deleted): what they show may have other names on their
   * filesystem that no mount shows, so the planner treats all of that
   * filesystem as another name (plan.ts writableOnDeletedSource).
   */
  deletedUnder(path: string): MountRecord[] {
    const found = this.holdersOf(path).filter((m) => m.deleted);
    for (const m of this.mounts) if (m.deleted && m.mountPoint !== path && isWithin(m.mountPoint, path)) found.push(...this.holdersOf(m.mountPoint).filter((h) => h.deleted));
    return [...new Set(found)];
  }
}

/** MountTable.aliasesOf for a table given as its records. */
export function aliasesOf(path: string, mounts: readonly MountRecord[] | MountTable): Alias[] {
  return (mounts instanceof MountTable ? mounts : new MountTable(mounts)).aliasesOf(path);
}

/** A device number as HostStat.dev gives it (st_dev, decimal) the way mountinfo writes it: "major:minor" (glibc's major() and minor()). */
export function deviceName(dev: string): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
