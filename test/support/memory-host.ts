/**
 * An in-memory HostView for unit tests of the pure planner: files,
 * directories and symlinks described by a plain object.
 */
import { HostError, type HostFile, type HostStat, type HostView } from "../../src/plan/host.js";

export type Node = { file: Uint8Array | string; mode?: number } | { dir: true } | { link: string };

/** A minimal static x86_64 ELF executable: a header and nothing else. */
export function staticElf(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELF64, little-endian, SysV
  const v = new DataView(b.buffer);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 62, true); // EM_X86_64
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(54, 56, true); // e_phentsize
  return b;
}

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";

export class MemoryHost implements HostView {
  private readonly nodes = new Map<string, Node>();

  constructor(tree: Record<string, Node>) {
    this.nodes.set("/", { dir: true });
    for (const [path, node] of Object.entries(tree)) {
      for (let dir = parentOf(path); dir !== "/"; dir = parentOf(dir)) {
        if (!this.nodes.has(dir)) this.nodes.set(dir, { dir: true });
      }
      this.nodes.set(path, node);
    }
  }

  private resolve(path: string, depth = 0): string | null {
    if (depth > 40) return null;
    const parts = path.split("/").filter(Boolean);
    let cur = "";
    for (let i = 0; i < parts.length; i++) {
      const next = `${cur}/${parts[i]}`;
      const node = this.nodes.get(next);
      if (node === undefined) return null;
      if ("link" in node) {
        const target = node.link.startsWith("/") ? node.link : `${cur}/${node.link}`;
        const rest = parts.slice(i + 1).join("/");
        return this.resolve(rest ? `${target}/${rest}` : target, depth + 1);
      }
      cur = next;
    }
    return cur || "/";
  }

  private statOf(node: Node): HostStat {
    if ("file" in node) return { type: "file", mode: node.mode ?? 0o755, size: node.file.length, uid: 0, gid: 0 };
    if ("dir" in node) return { type: "dir", mode: 0o755, size: 0, uid: 0, gid: 0 };
    return { type: "symlink", mode: 0o777, size: node.link.length, uid: 0, gid: 0 };
  }

  lstat(path: string): HostStat | null {
    const parent = path.slice(0, path.lastIndexOf("/")) || "/";
    const real = this.resolve(parent);
    if (real === null) return null;
    const node = this.nodes.get(`${real === "/" ? "" : real}/${path.slice(path.lastIndexOf("/") + 1)}`.replace(/^\/\//, "/"));
    return node === undefined ? (path === "/" ? this.statOf({ dir: true }) : null) : this.statOf(node);
  }

  stat(path: string): HostStat | null {
    const real = this.resolve(path);
    return real === null ? null : this.statOf(this.nodes.get(real)!);
  }

  readlink(path: string): string {
    const parent = this.resolve(path.slice(0, path.lastIndexOf("/")) || "/");
    const node = this.nodes.get(`${parent === "/" ? "" : parent}/${path.slice(path.lastIndexOf("/") + 1)}`);
    if (node === undefined || !("link" in node)) throw new HostError("EINVAL", "readlink", path);
    return node.link;
  }

  openFile(path: string): HostFile {
    const real = this.resolve(path);
    const node = real === null ? undefined : this.nodes.get(real);
    if (node === undefined || !("file" in node)) throw new HostError("ENOENT", "open", path);
    const data = typeof node.file === "string" ? new TextEncoder().encode(node.file) : node.file;
    return { size: data.length, read: (offset, length) => data.slice(offset, offset + length), close() {} };
  }

  isExecutable(path: string): boolean {
    const st = this.stat(path);
    return st !== null && (st.mode & 0o111) !== 0;
  }
}
