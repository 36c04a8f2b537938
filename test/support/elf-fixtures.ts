/**
 * Test helpers for the ELF dependency resolver (no tests in here):
 *
 *   - buildElf: writes a tiny but well-formed ELF file (any class and byte
 *     order) with the PT_INTERP and dynamic entries a test asks for;
 *   - buildLdCache: writes an ld.so.cache in the new, old or compat format;
 *   - FakeHost: an in-memory HostView with files, directories and symlinks,
 *     resolving paths like the kernel (symlinks in any component, "..").
 */
import { HostError, type HostFile, type HostStat, type HostView } from "../../src/plan/host.js";

export const EM_386 = 3;
export const EM_PPC = 20;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

export interface ElfSpec {
  class?: 32 | 64;
  endian?: "little" | "big";
  machine?: number;
  type?: number;
  flags?: number;
  osabi?: number;
  interp?: string;
  needed?: string[];
  runpath?: string;
  rpath?: string;
  soname?: string;
  flags1?: number;
}

/** Virtual address of the single PT_LOAD segment; not 0, so vaddr->offset mapping is exercised. */
const BASE = 0x400000;

/** A growable byte buffer with typed little/big-endian writes. */
class Writer {
  private bytes = new Uint8Array(4096);
  length = 0;

  constructor(private readonly little: boolean) {}

  private ensure(end: number): void {
    if (end <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  private view(at: number, size: number): DataView {
    this.ensure(at + size);
    this.length = Math.max(this.length, at + size);
    return new DataView(this.bytes.buffer, at, size);
  }

  u8(at: number, v: number): void {
    this.view(at, 1).setUint8(0, v);
  }
  u16(at: number, v: number): void {
    this.view(at, 2).setUint16(0, v, this.little);
  }
  u32(at: number, v: number): void {
    this.view(at, 4).setUint32(0, v >>> 0, this.little);
  }
  u64(at: number, v: bigint | number): void {
    this.view(at, 8).setBigUint64(0, BigInt(v), this.little);
  }
  raw(at: number, data: Uint8Array): void {
    this.ensure(at + data.length);
    this.bytes.set(data, at);
    this.length = Math.max(this.length, at + data.length);
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** A string table starting with "\0", returning each string's offset. */
function stringTable(strings: string[]): { bytes: Uint8Array; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  const parts: number[] = [0];
  for (const s of strings) {
    if (offsets.has(s)) continue;
    offsets.set(s, parts.length);
    parts.push(...utf8.encode(s), 0);
  }
  return { bytes: Uint8Array.from(parts), offsets };
}

/** Writes an ELF file; a PT_DYNAMIC is present when anything dynamic is asked for. */
export function buildElf(spec: ElfSpec = {}): Uint8Array {
  const is64 = (spec.class ?? 64) === 64;
  const w = new Writer((spec.endian ?? "little") === "little");
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynentsize = is64 ? 16 : 8;
  const needed = spec.needed ?? [];
  const dynamic = spec.interp !== undefined || needed.length > 0 || spec.runpath !== undefined || spec.rpath !== undefined || spec.soname !== undefined || spec.flags1 !== undefined;

  const strings = stringTable([...needed, ...[spec.soname, spec.rpath, spec.runpath].filter((s): s is string => s !== undefined)]);
  const dyn: [number, number][] = needed.map((n) => [1, strings.offsets.get(n)!]);
  if (spec.soname !== undefined) dyn.push([14, strings.offsets.get(spec.soname)!]);
  if (spec.rpath !== undefined) dyn.push([15, strings.offsets.get(spec.rpath)!]);
  if (spec.runpath !== undefined) dyn.push([29, strings.offsets.get(spec.runpath)!]);
  if (spec.flags1 !== undefined) dyn.push([0x6ffffffb, spec.flags1]);

  const phnum = 1 + (spec.interp !== undefined ? 1 : 0) + (dynamic ? 1 : 0);
  let at = ehsize + phnum * phentsize;
  const interpBytes = spec.interp !== undefined ? Uint8Array.from([...utf8.encode(spec.interp), 0]) : undefined;
  const interpAt = at;
  at += interpBytes?.length ?? 0;
  const strAt = at;
  at = align(at + strings.bytes.length, 8);
  const dynAt = at;
  const dynCount = dyn.length + 3; // + DT_STRTAB, DT_STRSZ, DT_NULL
  const total = dynamic ? dynAt + dynCount * dynentsize : strAt;

  // ELF header
  w.raw(0, Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, spec.endian === "big" ? 2 : 1, 1, spec.osabi ?? 0]));
  w.u16(16, spec.type ?? ET_DYN);
  w.u16(18, spec.machine ?? EM_X86_64);
  w.u32(20, 1);
  if (is64) {
    w.u64(24, BASE + 0x1000);
    w.u64(32, ehsize);
    w.u64(40, 0);
    w.u32(48, spec.flags ?? 0);
    w.u16(52, ehsize);
    w.u16(54, phentsize);
    w.u16(56, phnum);
  } else {
    w.u32(24, BASE + 0x1000);
    w.u32(28, ehsize);
    w.u32(32, 0);
    w.u32(36, spec.flags ?? 0);
    w.u16(40, ehsize);
    w.u16(42, phentsize);
    w.u16(44, phnum);
  }

  let ph = ehsize;
  const phdr = (type: number, offset: number, size: number): void => {
    if (is64) {
      w.u32(ph, type);
      w.u32(ph + 4, 4);
      w.u64(ph + 8, offset);
      w.u64(ph + 16, BASE + offset);
      w.u64(ph + 24, BASE + offset);
      w.u64(ph + 32, size);
      w.u64(ph + 40, size);
      w.u64(ph + 48, type === 1 ? 0x1000 : 8);
    } else {
      w.u32(ph, type);
      w.u32(ph + 4, offset);
      w.u32(ph + 8, BASE + offset);
      w.u32(ph + 12, BASE + offset);
      w.u32(ph + 16, size);
      w.u32(ph + 20, size);
      w.u32(ph + 24, 4);
      w.u32(ph + 28, type === 1 ? 0x1000 : 4);
    }
    ph += phentsize;
  };
  phdr(1, 0, total); // PT_LOAD: the whole file
  if (interpBytes !== undefined) phdr(3, interpAt, interpBytes.length);
  if (dynamic) phdr(2, dynAt, dynCount * dynentsize);

  if (interpBytes !== undefined) w.raw(interpAt, interpBytes);
  if (dynamic) {
    w.raw(strAt, strings.bytes);
    const entries: [number, number][] = [...dyn, [5, BASE + strAt], [10, strings.bytes.length], [0, 0]];
    entries.forEach(([tag, value], i) => {
      const e = dynAt + i * dynentsize;
      if (is64) {
        w.u64(e, tag);
        w.u64(e + 8, value);
      } else {
        w.u32(e, tag);
        w.u32(e + 4, value);
      }
    });
  }
  w.u8(Math.max(total, w.length) - 1, 0); // make the length cover everything
  return w.result();
}

export interface CacheEntrySpec {
  name: string;
  path: string;
  flags: number;
  hwcap?: bigint;
}

export interface CacheSpec {
  format?: "new" | "old" | "compat";
  endian?: "little" | "big";
  /** Write the endianness flag (glibc >= 2.33); without it the reader must guess. */
  endianFlag?: boolean;
  /** glibc-hwcaps subdirectory names for the extension section. */
  hwcaps?: string[];
  generator?: string;
  /** Where a compat file's new table starts: the next 8-byte (64-bit ldconfig) or 4-byte boundary. */
  compatAlign?: 4 | 8;
}

/** The new-format table (header, entries, strings, extensions) as if it started at file offset `base`. */
function newCacheTable(entries: CacheEntrySpec[], spec: CacheSpec, base: number): Uint8Array {
  const little = (spec.endian ?? "little") === "little";
  const w = new Writer(little);
  const hwcaps = spec.hwcaps ?? [];
  const stringsAt = 48 + entries.length * 24;
  const strings = stringTable([...entries.flatMap((e) => [e.name, e.path]), ...hwcaps]);
  w.raw(0, utf8.encode("glibc-ld.so.cache1.1"));
  w.u32(20, entries.length);
  w.u32(24, strings.bytes.length);
  if (spec.endianFlag ?? true) w.u8(28, little ? 2 : 3);
  entries.forEach((e, i) => {
    const at = 48 + i * 24;
    w.u32(at, e.flags);
    w.u32(at + 4, stringsAt + strings.offsets.get(e.name)!);
    w.u32(at + 8, stringsAt + strings.offsets.get(e.path)!);
    w.u32(at + 12, 0);
    w.u64(at + 16, e.hwcap ?? 0n);
  });
  w.raw(stringsAt, strings.bytes);
  const sections: { tag: number; data: Uint8Array }[] = [];
  if (spec.generator !== undefined) sections.push({ tag: 0, data: utf8.encode(spec.generator) });
  if (hwcaps.length > 0) {
    const arr = new Writer(little);
    hwcaps.forEach((h, i) => {
      arr.u32(i * 4, stringsAt + strings.offsets.get(h)!);
    });
    sections.push({ tag: 1, data: arr.result() });
  }
  if (sections.length > 0) {
    const extAt = align(stringsAt + strings.bytes.length, 4);
    w.u32(32, base + extAt);
    w.u32(extAt, 0xeaa42174);
    w.u32(extAt + 4, sections.length);
    let dataAt = extAt + 8 + sections.length * 16;
    sections.forEach((s, i) => {
      const at = extAt + 8 + i * 16;
      w.u32(at, s.tag);
      w.u32(at + 4, 0);
      w.u32(at + 8, base + dataAt);
      w.u32(at + 12, s.data.length);
      w.raw(dataAt, s.data);
      dataAt = align(dataAt + s.data.length, 4);
    });
  }
  return w.result();
}

/** The old-format table; its strings follow its entries. */
function oldCacheTable(entries: CacheEntrySpec[], little: boolean, trailing?: (stringsAt: number) => Uint8Array): Uint8Array {
  const w = new Writer(little);
  w.raw(0, utf8.encode("ld.so-1.7.0"));
  w.u32(12, entries.length);
  const stringsAt = 16 + entries.length * 12;
  const strings = stringTable(entries.flatMap((e) => [e.name, e.path]));
  entries.forEach((e, i) => {
    const at = 16 + i * 12;
    w.u32(at, e.flags);
    w.u32(at + 4, strings.offsets.get(e.name)!);
    w.u32(at + 8, strings.offsets.get(e.path)!);
  });
  if (trailing !== undefined) w.raw(stringsAt, trailing(stringsAt));
  else w.raw(stringsAt, strings.bytes);
  return w.result();
}

/**
 * An ld.so.cache. "compat" is an old table followed by the new one at the
 * next 8-byte boundary; the old table's entries then have no strings of
 * their own (readers must use the new table, as glibc does).
 */
export function buildLdCache(entries: CacheEntrySpec[], spec: CacheSpec = {}): Uint8Array {
  const little = (spec.endian ?? "little") === "little";
  const format = spec.format ?? "new";
  if (format === "new") return newCacheTable(entries, spec, 0);
  if (format === "old") return oldCacheTable(entries, little);
  return oldCacheTable(entries, little, (stringsAt) => {
    const start = align(stringsAt, spec.compatAlign ?? 8);
    const table = newCacheTable(entries, spec, start);
    const out = new Uint8Array(start - stringsAt + table.length);
    out.set(table, start - stringsAt);
    return out;
  });
}

type FakeNode = { kind: "file"; data: Uint8Array; mode: number } | { kind: "dir" } | { kind: "symlink"; target: string };

const MAX_LINKS = 40;

/** An in-memory filesystem behind the HostView interface. */
export class FakeHost implements HostView {
  private readonly nodes = new Map<string, FakeNode>([["/", { kind: "dir" }]]);
  /** Every path openFile was called with, in order. */
  readonly opened: string[] = [];

  /** Adds a file (parents created); mode defaults to 0755 for ELF or #! content, else 0644. */
  file(path: string, data: Uint8Array | string, mode?: number): this {
    const bytes = typeof data === "string" ? utf8.encode(data) : data;
    const runnable = (bytes[0] === 0x7f && bytes[1] === 0x45) || (bytes[0] === 0x23 && bytes[1] === 0x21);
    this.mkdirs(parent(path));
    this.nodes.set(path, { kind: "file", data: bytes, mode: mode ?? (runnable ? 0o755 : 0o644) });
    return this;
  }

  symlink(path: string, target: string): this {
    this.mkdirs(parent(path));
    this.nodes.set(path, { kind: "symlink", target });
    return this;
  }

  dir(path: string): this {
    this.mkdirs(path);
    return this;
  }

  private mkdirs(path: string): void {
    if (path === "/") return;
    this.mkdirs(parent(path));
    if (!this.nodes.has(path)) this.nodes.set(path, { kind: "dir" });
  }

  /** Walks `path` like the kernel; null for ENOENT/ENOTDIR. */
  private resolve(path: string, followLast: boolean): { path: string; node: FakeNode } | null {
    let current = "/";
    let pending = path.split("/").filter((c) => c !== "" && c !== ".");
    let links = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === "..") {
        current = parent(current);
        continue;
      }
      const next = current === "/" ? `/${name}` : `${current}/${name}`;
      const node = this.nodes.get(next);
      if (node === undefined) return null;
      const isLast = pending.length === 0;
      if (node.kind === "symlink" && (!isLast || followLast)) {
        if (++links > MAX_LINKS) throw new HostError("ELOOP", "stat", path);
        if (node.target.startsWith("/")) current = "/";
        pending = [...node.target.split("/").filter((c) => c !== "" && c !== "."), ...pending];
        continue;
      }
      if (!isLast && node.kind !== "dir") return null;
      current = next;
    }
    const node = this.nodes.get(current);
    return node === undefined ? null : { path: current, node };
  }

  private statOf(node: FakeNode): HostStat {
    if (node.kind === "file") return { type: "file", mode: 0o100000 | node.mode, size: node.data.length, uid: 0, gid: 0 };
    if (node.kind === "dir") return { type: "dir", mode: 0o40755, size: 4096, uid: 0, gid: 0 };
    return { type: "symlink", mode: 0o120777, size: node.target.length, uid: 0, gid: 0 };
  }

  lstat(path: string): HostStat | null {
    const r = this.resolve(path, false);
    return r === null ? null : this.statOf(r.node);
  }

  stat(path: string): HostStat | null {
    const r = this.resolve(path, true);
    return r === null ? null : this.statOf(r.node);
  }

  readlink(path: string): string {
    const r = this.resolve(path, false);
    if (r === null) throw new HostError("ENOENT", "readlink", path);
    if (r.node.kind !== "symlink") throw new HostError("EINVAL", "readlink", path);
    return r.node.target;
  }

  openFile(path: string): HostFile {
    this.opened.push(path);
    const r = this.resolve(path, true);
    if (r === null) throw new HostError("ENOENT", "open", path);
    if (r.node.kind !== "file") throw new HostError("EISDIR", "open", path);
    return memoryFile(r.node.data);
  }

  isExecutable(path: string): boolean {
    const r = this.resolve(path, true);
    return r !== null && r.node.kind === "file" && (r.node.mode & 0o111) !== 0;
  }

  readdir(path: string): string[] | null {
    const r = this.resolve(path, true);
    if (r === null || r.node.kind !== "dir") return null;
    const prefix = r.path === "/" ? "/" : `${r.path}/`;
    return [...this.nodes.keys()]
      .filter((k) => k !== "/" && k.startsWith(prefix) && !k.slice(prefix.length).includes("/"))
      .map((k) => k.slice(prefix.length))
      .sort();
  }
}

/** A HostFile over bytes; records the largest read requested. */
export function memoryFile(data: Uint8Array, stats?: { maxRead: number }): HostFile {
  return {
    size: data.length,
    read(offset: number, length: number): Uint8Array {
      if (stats !== undefined) stats.maxRead = Math.max(stats.maxRead, length);
      if (offset < 0 || offset >= data.length || length <= 0) return new Uint8Array(0);
      return data.slice(offset, Math.min(data.length, offset + length));
    },
    close(): void {},
  };
}

function parent(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
