/**
 * The directory of a file the launcher writes for the user (--pid-file,
 * --log-file), held so that no symlink can send the write elsewhere.
 *
 * O_NOFOLLOW guards only a path's last component. A root `void run` whose
 * --log-file lies under a writable bind would otherwise follow a symlink a
 * void put in place of a directory on the way (state/log -> /etc/cron.d)
 * and append the void's output to a root-owned file there; a --pid-file
 * would be renamed over, then removed, wherever that points. So:
 *
 *   1. the directory's path is resolved one component at a time, and a
 *      symlink on the way is followed only if the directory holding it can
 *      be changed by nobody but this user and root (and, in a sticky
 *      directory others may write, such as /tmp, only a symlink of this
 *      user's or the directory owner's: what fs.protected_symlinks allows)
 *      and it lies in no writable bind of the spec (a void of an
 *      unprivileged launcher writes as the launcher's user, one of a
 *      --host-root launcher as root: ownership proves nothing there);
 *   2. the result is opened refusing every symlink (openat2
 *      RESOLVE_NO_SYMLINKS, native/addon/fds.c openNoSymlinks), so a
 *      directory swapped for one after the walk fails the open instead;
 *   3. files are then reached through that fd, as /proc/self/fd/N/NAME;
 *   4. a directory that is, or lies inside, a writable bind of the run
 *      (under any name the mount table gives it) is refused: a void there
 *      could rename its own file over the pid file, naming any process
 *      for whoever signals the service by it, or remove or rewrite the
 *      log (outside attack 53).
 */
import { closeSync, fstatSync, lstatSync, readlinkSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { loadAddon } from "../native/addon.js";
import { isWithin, untrustedLink } from "../plan/paths.js";

/** The kernel's limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

/** A directory held open (O_PATH) and the name of the file in it. */
export interface AnchoredPath {
  /** The O_PATH fd of the directory. */
  dirFd: number;
  /** The file's name in it. */
  name: string;
  /** The file's path through the fd: /proc/self/fd/N/NAME. */
  path: string;
  /** The path as the user gave it, for messages. */
  given: string;
}

/** Why a symlink in `holder` may not be followed, or undefined when it may. */
function untrustedHolder(holder: string, link: string, uid: number): string | undefined {
  const dir = lstatSync(holder);
  const sticky = (dir.mode & 0o1000) !== 0;
  const othersWrite = (dir.mode & 0o022) !== 0;
  if (dir.uid !== uid && dir.uid !== 0) return `${holder} belongs to uid ${dir.uid}`;
  if (othersWrite && !(sticky && dir.uid === 0)) return `${holder} is writable by others`;
  return untrustedLink(dir, lstatSync(link).uid, uid);
}

/**
 * The real path of directory `dir` (absolute), following only symlinks
 * that nobody but `uid` and root can have put there; throws an Error that
 * says which one it refused.
 */
export function resolveTrusted(dir: string, uid: number, writable: readonly string[] = []): string {
  let pending = dir.split("/").filter((p) => p !== "" && p !== ".");
  let current = "/";
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === "..") {
      current = dirname(current);
      continue;
    }
    const next = current === "/" ? `/${name}` : `${current}/${name}`;
    if (!lstatSync(next).isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many symbolic links on the way to ${dir}`);
    const bind = writable.find((w) => isWithin(next, w));
    if (bind !== undefined) throw new Error(`${next} is a symbolic link inside ${bind}, which a void of this run may write: refused, it could point anywhere`);
    const why = untrustedHolder(current, next, uid);
    if (why !== undefined) throw new Error(`${next} is a symbolic link where others can put one (${why}): refused, it could point anywhere`);
    const target = readlinkSync(next);
    if (target.startsWith("/")) current = "/";
    pending = [...target.split("/").filter((p) => p !== "" && p !== "."), ...pending];
  }
  return current;
}

/**
 * Holds the directory of `file` (relative to the working directory) as
 * described above; `writable`: the host paths of the spec's writable
 * binds. Throws an Error naming the problem (a refused symlink, a missing
 * directory).
 */
export function anchorParent(file: string, writable: readonly string[]): AnchoredPath {
  const absolute = resolve(file);
  const name = basename(absolute);
  if (name === "" || name === "." || name === "..") throw new Error(`${file} names no file`);
  const uid = process.geteuid?.() ?? 0;
  const dir = resolveTrusted(dirname(absolute), uid, writable);
  // In a directory a void may write, the void could rename its own file over the pid file (naming any process for
  // whoever signals the service by it, kept after the run), or remove or rewrite the log (outside attack 53).
  // The directory, or the file itself (a writable bind of the very file: the void would rewrite or truncate it).
  const bind = writable.find((w) => isWithin(dir, w)) ?? writable.find((w) => isWithin(`${dir === "/" ? "" : dir}/${name}`, w));
  if (bind !== undefined) throw new Error(`${dir}/${name} is inside ${bind}, which a void of this run may write (it could replace, remove or rewrite the file): give a directory no void may write`);
  const dirFd = loadAddon().openNoSymlinks(dir);
  try {
    if (!fstatSync(dirFd).isDirectory()) throw new Error(`${dir} is not a directory`);
  } catch (e) {
    closeSync(dirFd);
    throw e;
  }
  return { dirFd, name, path: `/proc/self/fd/${dirFd}/${name}`, given: file };
}
