/**
 * The HostView of the machine void runs on, backed by synchronous node:fs
 * calls.
 *
 * This is the only file in src/plan that touches the real filesystem; the
 * planner and the ELF dependency resolver read everything through the
 * HostView interface so that unit tests can hand them an in-memory fake.
 * Nothing here ever executes a file.
 *
 * Error mapping: a path that does not exist (ENOENT, or ENOTDIR when a
 * component is not a directory) is `null` for stat/lstat, like
 * `throwIfNoEntry: false`; every other failure becomes a HostError carrying
 * the errno name, the syscall and the path, so messages can name all three.
 */
import { type BigIntStats, type Stats, accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, readlinkSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { HostError, type FileType, type HostFile, type HostStat, type HostView } from "./host.js";
import { untrustedLink } from "./paths.js";

/** The errno name of a Node system error, or "EIO" for anything else. */
function errnoCode(e: unknown): string {
  if (e instanceof Error && "code" in e && typeof e.code === "string") return e.code;
  return "EIO";
}

function hostError(e: unknown, syscall: string, path: string): HostError {
  const code = errnoCode(e);
  const detail = e instanceof Error ? e.message : String(e);
  return new HostError(code, syscall, path, `${syscall} ${path}: ${code} (${detail})`);
}

function isMissing(e: unknown): boolean {
  const code = errnoCode(e);
  return code === "ENOENT" || code === "ENOTDIR";
}

function fileType(st: Stats | BigIntStats): FileType {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  return "other";
}

function toHostStat(st: Stats | BigIntStats): HostStat {
  return { type: fileType(st), mode: Number(st.mode), size: Number(st.size), uid: Number(st.uid), gid: Number(st.gid), dev: String(st.dev), ino: String(st.ino) };
}

/** stat or lstat, with "does not exist" as null. */
function statOrNull(syscall: "stat" | "lstat", path: string): HostStat | null {
  try {
    // bigint: inode numbers may not fit a double.
    const st = syscall === "stat" ? statSync(path, { throwIfNoEntry: false, bigint: true }) : lstatSync(path, { throwIfNoEntry: false, bigint: true });
    return st === undefined ? null : toHostStat(st);
  } catch (e) {
    if (isMissing(e)) return null;
    throw hostError(e, syscall, path);
  }
}

/** Positional reads on an open descriptor; `size` is fixed at open time. */
class RealFile implements HostFile {
  private fd: number | null;

  constructor(
    fd: number,
    readonly size: number,
    private readonly path: string,
    /** false: the fd is the caller's, close() only stops reading it. */
    private readonly owned = true,
  ) {
    this.fd = fd;
  }

  read(offset: number, length: number): Uint8Array {
    if (this.fd === null) throw new HostError("EBADF", "read", this.path, `read ${this.path}: file already closed`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset >= this.size) {
      return new Uint8Array(0);
    }
    // Never allocate more than the file can give back, whatever a header claims.
    const want = Math.min(length, this.size - offset);
    const buf = new Uint8Array(want);
    let done = 0;
    while (done < want) {
      let n: number;
      try {
        n = readSync(this.fd, buf, done, want - done, offset + done);
      } catch (e) {
        throw hostError(e, "read", this.path);
      }
      if (n === 0) break; // the file shrank since open: a short read
      done += n;
    }
    return done === want ? buf : buf.subarray(0, done);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    if (!this.owned) return;
    try {
      closeSync(fd);
    } catch (e) {
      throw hostError(e, "close", this.path);
    }
  }
}

/**
 * Opens `path` read-only. O_NONBLOCK keeps a FIFO planted where a binary or
 * library is expected from blocking the planner forever; anything but a
 * regular file is then refused.
 */
function openRegularFile(path: string): HostFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw hostError(e, "open", path);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const code = st.isDirectory() ? "EISDIR" : "EINVAL";
      throw new HostError(code, "open", path, `open ${path}: not a regular file`);
    }
    return new RealFile(fd, st.size, path);
  } catch (e) {
    closeSync(fd);
    throw e instanceof HostError ? e : hostError(e, "fstat", path);
  }
}

/**
 * Positional reads on `fd`, a regular file the caller opened (and checked)
 * and will close itself: what is read is that very file, whatever its path
 * has become since.
 */
export function borrowedFile(fd: number, path: string): HostFile {
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (e) {
    throw hostError(e, "fstat", path);
  }
  return new RealFile(fd, size, path, false);
}

export const realHost: HostView = {
  lstat(path: string): HostStat | null {
    return statOrNull("lstat", path);
  },

  stat(path: string): HostStat | null {
    return statOrNull("stat", path);
  },

  readlink(path: string): string {
    let why: string | undefined;
    try {
      why = untrustedLink(lstatSync(dirname(path)), lstatSync(path).uid, process.geteuid?.() ?? 0);
      if (why === undefined) return readlinkSync(path, "utf8");
    } catch (e) {
      throw hostError(e, "readlink", path);
    }
    throw new HostError("EACCES", "readlink", path, `${path}: ${why}`);
  },

  openFile(path: string): HostFile {
    return openRegularFile(path);
  },

  isExecutable(path: string): boolean {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },

  readdir(path: string): string[] | null {
    try {
      return readdirSync(path).sort();
    } catch {
      return null;
    }
  },

  mountTable(): string | null {
    try {
      return readFileSync("/proc/self/mountinfo", "utf8");
    } catch {
      return null;
    }
  },
};
