/**
 * The planner's only window on the host: a read-only view of the filesystem.
 *
 * Everything in src/plan is pure: it takes a HostView instead of touching
 * `node:fs`, so unit tests run on an in-memory fake and the orchestrator
 * passes `realHost` (src/plan/real-host.ts). Nothing here ever executes a
 * file: ELF dependencies are found by reading bytes.
 */

export type FileType = "file" | "dir" | "symlink" | "other";

export interface HostStat {
  type: FileType;
  /** permission bits and file type bits as st_mode */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Device and inode numbers (decimal), where the view knows them: a bind is checked against them when each void is built. */
  dev?: string;
  ino?: string;
}

/** A file opened for positional reads. */
export interface HostFile {
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; shorter at end of file. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** An error from the host view, carrying the errno code name. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    readonly syscall: string,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `${syscall} ${path}: ${code}`);
    this.name = "HostError";
  }
}

export interface HostView {
  /** Like lstat(2); null when the path does not exist (ENOENT, ENOTDIR). */
  lstat(path: string): HostStat | null;
  /** Like stat(2) (follows symlinks); null when the path does not exist. */
  stat(path: string): HostStat | null;
  /** Like readlink(2); throws HostError when not a symlink. */
  readlink(path: string): string;
  /** Opens a regular file for reading; throws HostError. */
  openFile(path: string): HostFile;
  /** Whether the launcher could execute the file (access(2) X_OK). */
  isExecutable(path: string): boolean;
  /** The names in a directory (symlinks followed), sorted; null when it is not a directory the launcher can read. */
  readdir(path: string): string[] | null;
  /**
   * The launcher's mount table, the text of /proc/self/mountinfo; null
   * when it cannot be read. Asked only when a void gets a writable bind
   * (src/plan/mountinfo.ts: the other names of void's installation).
   * A view without it (a unit test's) has no aliases.
   */
  mountTable?(): string | null;
}
