/**
 * A small, defensive ELF reader: just what a void needs to know about an
 * executable or shared object to bind its dependencies — the ELF class,
 * byte order and machine, PT_INTERP, and the dynamic section's DT_NEEDED,
 * DT_RUNPATH, DT_RPATH, DT_SONAME and DT_FLAGS_1.
 *
 * Why hand-written: the point is to find a binary's dependencies without
 * executing anything (`ldd` runs the binary's own loader, which an untrusted
 * binary controls), and no maintained npm package reads the dynamic section
 * this way over an arbitrary positional-read interface. The format is small
 * and stable (System V gABI, unchanged for decades).
 *
 * The input is untrusted. Every offset, size and count read from the file is
 * checked before use, 64-bit values beyond Number.MAX_SAFE_INTEGER are
 * rejected, and reads are bounded, so hostile or truncated files produce an
 * ElfError, never a RangeError or a huge allocation.
 */
import type { HostFile } from "./host.js";

/** Thrown for anything that is not a well-formed ELF file we can read. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

/** e_type values. */
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

/** e_machine values of the architectures glibc's loader tables know. */
export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_PPC = 20;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_SPARCV9 = 43;
export const EM_IA_64 = 50;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

/** DT_FLAGS_1 bits. */
export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

const MACHINE_NAMES: ReadonlyMap<number, string> = new Map([
  [EM_386, "i386"],
  [EM_MIPS, "MIPS"],
  [EM_PPC, "PowerPC"],
  [EM_PPC64, "PowerPC64"],
  [EM_S390, "S/390"],
  [EM_ARM, "ARM"],
  [EM_SPARCV9, "SPARC V9"],
  [EM_IA_64, "IA-64"],
  [EM_X86_64, "x86-64"],
  [EM_AARCH64, "AArch64"],
  [EM_RISCV, "RISC-V"],
  [EM_LOONGARCH, "LoongArch"],
]);

const TYPE_NAMES: readonly string[] = ["NONE", "REL", "EXEC", "DYN", "CORE"];

export interface ElfInfo {
  class: 32 | 64;
  endian: "little" | "big";
  /** e_machine */
  machine: number;
  /** e_ident[EI_OSABI] */
  osabi: number;
  /** e_ident[EI_ABIVERSION] */
  abiVersion: number;
  /** e_type (ET_EXEC, ET_DYN, ...) */
  type: number;
  /** e_flags (carries the float ABI on ARM, RISC-V, MIPS, LoongArch) */
  flags: number;
  /** PT_INTERP exactly as written, without the trailing NUL. */
  interpreter?: string;
  /** DT_NEEDED names in file order. */
  needed: string[];
  /**
   * DT_RUNPATH split at ':' (elements as written, DSTs unexpanded); empty
   * when absent. A present DT_RUNPATH makes ld.so ignore DT_RPATH.
   */
  runpath: string[];
  /** DT_RPATH split at ':'; empty when absent. */
  rpath: string[];
  soname?: string;
  /** DT_FLAGS_1, 0 when absent. */
  flags1: number;
  /** A position-independent executable (DF_1_PIE). */
  isPie: boolean;
  /**
   * Runs without any dynamic loader: no PT_INTERP and no DT_NEEDED (a
   * static or static-pie executable, or a self-contained loader like ld.so).
   */
  isStatic: boolean;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const DT_FLAGS_1 = 0x6ffffffbn;

/** The kernel refuses program header tables larger than this (load_elf_phdrs). */
const MAX_PHDR_TABLE = 65536;
/** The kernel refuses a PT_INTERP longer than PATH_MAX. */
const PATH_MAX = 4096;
/** No real dynamic section comes near this; bounds what a hostile one costs. */
const MAX_DYNAMIC_BYTES = 1 << 20;
/** Most DT_NEEDED entries an object may have (the largest real ones have a few hundred). */
export const MAX_NEEDED = 1024;
/** Most DT_RPATH plus DT_RUNPATH directories an object may list. */
export const MAX_SEARCH_PATH_ELEMENTS = 256;
/** Longest DT_NEEDED/RPATH/RUNPATH/SONAME string we accept. */
const MAX_DYN_STRING = 65536;

/** Layout of the class-dependent structures. */
interface Layout {
  ehsize: number;
  phentsize: number;
  dynentsize: number;
}

const LAYOUT_32: Layout = { ehsize: 52, phentsize: 32, dynentsize: 8 };
const LAYOUT_64: Layout = { ehsize: 64, phentsize: 56, dynentsize: 16 };

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

interface Header {
  class: 32 | 64;
  little: boolean;
  layout: Layout;
  osabi: number;
  abiVersion: number;
  type: number;
  machine: number;
  flags: number;
  phoff: number;
  phnum: number;
}

const utf8 = new TextDecoder();

/** Whether `bytes` starts with the ELF magic number. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * What a file that is not ELF is, for a message: its kind, never its
 * bytes. The planner reads every file a binary names (DT_NEEDED, #!) as
 * the launcher, root included, and its messages may reach logs that
 * others read: a binary naming /etc/shadow must not have a line of it
 * printed.
 */
export function describeStart(bytes: Uint8Array): string {
  if (bytes.length === 0) return "an empty file";
  const head = bytes.subarray(0, 16);
  const text = String.fromCharCode(...head);
  if (text.startsWith("#!")) return "a #! script";
  if (text.startsWith("/* GNU ld script") || /^(GROUP|INPUT) ?\(/.test(text)) return "a GNU ld script";
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  return printable ? "a text file" : "a binary file";
}

/** "x86-64", "AArch64", or "machine 1234" for the ones not in our table. */
export function machineName(machine: number): string {
  return MACHINE_NAMES.get(machine) ?? `machine ${machine}`;
}

/** "ELF64 little-endian x86-64", for messages. */
export function describeElf(info: Pick<ElfInfo, "class" | "endian" | "machine">): string {
  return `ELF${info.class} ${info.endian}-endian ${machineName(info.machine)}`;
}

/** Reads exactly `length` bytes at `offset` or throws "truncated <what>". */
function readExact(file: HostFile, offset: number, length: number, what: string): DataView {
  if (offset < 0 || length < 0 || offset > file.size || length > file.size - offset) {
    throw new ElfError(`truncated ${what} (needs bytes ${offset}..${offset + length}, file has ${file.size})`);
  }
  const bytes = file.read(offset, length);
  if (bytes.length < length) throw new ElfError(`truncated ${what} (file shorter than its size)`);
  return new DataView(bytes.buffer, bytes.byteOffset, length);
}

/** A 64-bit field as a Number, rejecting values a file offset cannot have. */
function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} out of range (0x${value.toString(16)})`);
  return Number(value);
}

/** An address or size field: 4 bytes in ELF32, 8 in ELF64. */
function readWord(view: DataView, offset: number, hdr: Pick<Header, "class" | "little">, what: string): number {
  if (hdr.class === 32) return view.getUint32(offset, hdr.little);
  return safeNumber(view.getBigUint64(offset, hdr.little), what);
}

function parseHeader(file: HostFile): Header {
  const ident = file.read(0, 16);
  if (!hasElfMagic(ident)) throw new ElfError(`not an ELF file (${describeStart(ident)})`);
  if (ident.length < 16) throw new ElfError("truncated ELF header");
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ElfError(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfError(`unknown ELF data encoding ${data}`);
  if (ident[6] !== 1) throw new ElfError(`unsupported ELF version ${ident[6]}`);
  const klass = cls === 1 ? 32 : 64;
  const little = data === 1;
  const layout = klass === 32 ? LAYOUT_32 : LAYOUT_64;
  const view = readExact(file, 0, layout.ehsize, "ELF header");
  const base = { class: klass, little } as const;
  // e_phoff, e_flags, e_phentsize and e_phnum sit after the class-sized e_entry.
  const phoff = readWord(view, klass === 32 ? 28 : 32, base, "e_phoff");
  const flags = view.getUint32(klass === 32 ? 36 : 48, little);
  const phentsize = view.getUint16(klass === 32 ? 42 : 54, little);
  const phnum = view.getUint16(klass === 32 ? 44 : 56, little);
  if (phnum > 0 && phentsize !== layout.phentsize) {
    throw new ElfError(`bad e_phentsize ${phentsize} (ELF${klass} program headers are ${layout.phentsize} bytes)`);
  }
  if (phnum * layout.phentsize > MAX_PHDR_TABLE) throw new ElfError(`program header table too large (${phnum} entries)`);
  return {
    ...base,
    layout,
    osabi: ident[7] ?? 0,
    abiVersion: ident[8] ?? 0,
    type: view.getUint16(16, little),
    machine: view.getUint16(18, little),
    flags,
    phoff,
    phnum,
  };
}

function parseSegments(file: HostFile, hdr: Header): Segment[] {
  if (hdr.phnum === 0) return [];
  const size = hdr.phnum * hdr.layout.phentsize;
  const view = readExact(file, hdr.phoff, size, "program header table");
  const segments: Segment[] = [];
  for (let i = 0; i < hdr.phnum; i++) {
    const at = i * hdr.layout.phentsize;
    const type = view.getUint32(at, hdr.little);
    if (hdr.class === 32) {
      segments.push({
        type,
        offset: view.getUint32(at + 4, hdr.little),
        vaddr: view.getUint32(at + 8, hdr.little),
        filesz: view.getUint32(at + 16, hdr.little),
      });
    } else {
      segments.push({
        type,
        offset: readWord(view, at + 8, hdr, "p_offset"),
        vaddr: readWord(view, at + 16, hdr, "p_vaddr"),
        filesz: readWord(view, at + 32, hdr, "p_filesz"),
      });
    }
  }
  return segments;
}

/** PT_INTERP, validated as the kernel does (2..PATH_MAX bytes, NUL-terminated). */
function readInterpreter(file: HostFile, seg: Segment): string {
  if (seg.filesz < 2 || seg.filesz > PATH_MAX) throw new ElfError(`bad PT_INTERP size ${seg.filesz}`);
  const view = readExact(file, seg.offset, seg.filesz, "PT_INTERP");
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bytes[bytes.length - 1] !== 0) throw new ElfError("PT_INTERP is not NUL-terminated");
  const end = bytes.indexOf(0);
  return utf8.decode(bytes.subarray(0, end));
}

interface DynEntry {
  tag: bigint;
  value: bigint;
}

function readDynamic(file: HostFile, seg: Segment, hdr: Header): DynEntry[] {
  if (seg.filesz > MAX_DYNAMIC_BYTES) throw new ElfError(`PT_DYNAMIC too large (${seg.filesz} bytes)`);
  const view = readExact(file, seg.offset, seg.filesz, "dynamic section");
  const entsize = hdr.layout.dynentsize;
  const entries: DynEntry[] = [];
  for (let at = 0; at + entsize <= view.byteLength; at += entsize) {
    const tag = hdr.class === 32 ? BigInt(view.getInt32(at, hdr.little)) : view.getBigInt64(at, hdr.little);
    if (tag === DT_NULL) break;
    const value = hdr.class === 32 ? BigInt(view.getUint32(at + 4, hdr.little)) : view.getBigUint64(at + 8, hdr.little);
    entries.push({ tag, value });
  }
  return entries;
}

/** Maps a virtual address to its file offset through the PT_LOAD segments. */
function addressToOffset(segments: Segment[], addr: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) return s.offset + (addr - s.vaddr);
  }
  return undefined;
}

/** The dynamic string table: where it starts in the file and how long it may be. */
interface StringTable {
  offset: number;
  size: number;
}

function locateStringTable(file: HostFile, entries: DynEntry[], segments: Segment[]): StringTable {
  const strtab = entries.findLast((e) => e.tag === DT_STRTAB);
  if (strtab === undefined) throw new ElfError("dynamic section has no DT_STRTAB");
  const addr = safeNumber(strtab.value, "DT_STRTAB");
  const offset = addressToOffset(segments, addr);
  if (offset === undefined || offset >= file.size) {
    throw new ElfError(`DT_STRTAB address 0x${addr.toString(16)} is not in the file part of any PT_LOAD segment`);
  }
  const strsz = entries.findLast((e) => e.tag === DT_STRSZ);
  const available = file.size - offset;
  const size = strsz === undefined ? available : Math.min(available, safeNumber(strsz.value, "DT_STRSZ"));
  return { offset, size };
}

function readDynString(file: HostFile, table: StringTable, index: bigint, what: string): string {
  const at = safeNumber(index, what);
  if (at >= table.size) throw new ElfError(`${what} string offset ${at} is outside the string table (${table.size} bytes)`);
  const window = Math.min(table.size - at, MAX_DYN_STRING);
  const bytes = file.read(table.offset + at, window);
  const end = bytes.indexOf(0);
  if (end < 0) throw new ElfError(`${what} string at offset ${at} is not NUL-terminated`);
  return utf8.decode(bytes.subarray(0, end));
}

interface DynamicInfo {
  needed: string[];
  runpath: string[];
  rpath: string[];
  soname?: string;
  flags1: number;
}

function splitPath(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(":");
}

function noDynamic(flags1: number): DynamicInfo {
  return { needed: [], runpath: [], rpath: [], flags1 };
}

function parseDynamicInfo(file: HostFile, entries: DynEntry[], segments: Segment[]): DynamicInfo {
  const flags1Entry = entries.findLast((e) => e.tag === DT_FLAGS_1);
  const flags1 = flags1Entry === undefined ? 0 : Number(flags1Entry.value & 0xffffffffn);
  const stringTags = [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH];
  if (!entries.some((e) => stringTags.includes(e.tag))) return noDynamic(flags1);
  const table = locateStringTable(file, entries, segments);
  // For single-valued tags glibc keeps the last entry; do the same.
  const last = (tag: bigint, what: string): string | undefined => {
    const entry = entries.findLast((e) => e.tag === tag);
    return entry === undefined ? undefined : readDynString(file, table, entry.value, what);
  };
  const soname = last(DT_SONAME, "DT_SONAME");
  // Planning costs needed names × search directories: bounded, far above what a real object has.
  const neededEntries = entries.filter((e) => e.tag === DT_NEEDED);
  if (neededEntries.length > MAX_NEEDED) throw new ElfError(`${neededEntries.length} DT_NEEDED entries (more than ${MAX_NEEDED})`);
  const runpath = splitPath(last(DT_RUNPATH, "DT_RUNPATH"));
  const rpath = splitPath(last(DT_RPATH, "DT_RPATH"));
  if (runpath.length + rpath.length > MAX_SEARCH_PATH_ELEMENTS) throw new ElfError(`${runpath.length + rpath.length} DT_RPATH/DT_RUNPATH directories (more than ${MAX_SEARCH_PATH_ELEMENTS})`);
  return {
    needed: neededEntries.map((e) => readDynString(file, table, e.value, "DT_NEEDED")),
    runpath,
    rpath,
    ...(soname !== undefined ? { soname } : {}),
    flags1,
  };
}

/** The ELF type as a word, for messages: "EXEC", "DYN", "REL", ... */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/**
 * Reads what dependency resolution needs from an ELF file. Throws ElfError
 * for anything that is not a readable ELF file (HostError from the file
 * itself passes through).
 */
export function readElf(file: HostFile): ElfInfo {
  const hdr = parseHeader(file);
  const segments = parseSegments(file, hdr);
  const interpSeg = segments.find((s) => s.type === PT_INTERP);
  const interpreter = interpSeg === undefined ? undefined : readInterpreter(file, interpSeg);
  const dynSeg = segments.find((s) => s.type === PT_DYNAMIC);
  const dyn = dynSeg === undefined ? noDynamic(0) : parseDynamicInfo(file, readDynamic(file, dynSeg, hdr), segments);
  return {
    class: hdr.class,
    endian: hdr.little ? "little" : "big",
    machine: hdr.machine,
    osabi: hdr.osabi,
    abiVersion: hdr.abiVersion,
    type: hdr.type,
    flags: hdr.flags,
    ...(interpreter !== undefined ? { interpreter } : {}),
    needed: dyn.needed,
    runpath: dyn.runpath,
    rpath: dyn.rpath,
    ...(dyn.soname !== undefined ? { soname: dyn.soname } : {}),
    flags1: dyn.flags1,
    isPie: (dyn.flags1 & DF_1_PIE) !== 0,
    isStatic: interpreter === undefined && dyn.needed.length === 0,
  };
}
