/**
 * `void pack`: a spec embedded in the binary it is for, in an ELF section
 * named `.void.spec` (docs/spec.md, "Specs embedded in the binary").
 *
 * packSpec keeps the input file as the prefix of its output and appends,
 * at the end: the section's contents, a copy of the section-name string
 * table with ".void.spec" added, and a new section header table (the old
 * entries, the moved name table, one new entry). Only the ELF header's
 * e_shoff, e_shentsize, e_shnum and e_shstrndx change in the prefix. The
 * section is not SHF_ALLOC and no program header mentions it, so the
 * kernel and ld.so load the program exactly as before.
 *
 * The section holds a small record (all integers little-endian, whatever
 * the file's byte order):
 *
 *   offset  size  field
 *        0     8  magic "VOIDSPEC"
 *        8     4  version (1)
 *       12     4  header size (88); the spec starts here
 *       16     4  spec length in bytes
 *       20     4  reserved, 0
 *       24    32  SHA-256 of the spec bytes
 *       56    32  SHA-256 of the program image (imageDigest)
 *       88     n  the spec, UTF-8 JSON exactly as packed
 *
 * The image digest covers what runs: the ELF header with its four section
 * header fields read as zero, the program header table, and the file bytes
 * of every segment in program header order (the same zeroing applies where
 * a segment covers the ELF header, as the first PT_LOAD usually does).
 * Section headers, symbols and debug information are not part of it, so
 * `strip` — which rewrites those but not the segments — keeps a packed
 * binary valid, while a changed byte of code, data, interpreter or dynamic
 * section is detected. This is integrity against accidental or casual
 * change, not a signature: anyone can re-pack.
 *
 * Pure: bytes in, bytes out (readPackedSpec also reads through a HostFile,
 * never the whole file at once). The input is untrusted: every offset and
 * count is checked, as in elf.ts.
 */
import { createHash, type Hash } from "node:crypto";
import { describeStart, ElfError, ET_DYN, ET_EXEC, hasElfMagic, readElf, typeName } from "./elf.js";
import type { HostFile } from "./host.js";

export const SECTION_NAME = ".void.spec";
export const PACK_MAGIC = "VOIDSPEC";
export const PACK_VERSION = 1;
/** Size of the record before the spec bytes (version 1). */
export const PACK_HEADER_SIZE = 88;
/** No spec comes near this; bounds what a hostile section costs to read. */
export const MAX_SPEC_BYTES = 16 << 20;

/** What a file says about its embedded spec. */
export type PackedSpec =
  /** A spec whose record matches both the spec and the program image. */
  | { kind: "ok"; text: string; specSha256: string; imageSha256: string }
  /** No `.void.spec` section (never packed, or the section was removed). */
  | { kind: "absent"; reason?: string }
  /** The record does not match: the spec bytes, the program image, or both changed after packing. */
  | { kind: "tampered"; specModified: boolean; binaryModified: boolean; message: string }
  /** A `.void.spec` section this reader cannot use (bad magic, unknown version, truncated). */
  | { kind: "malformed"; message: string };

const SHT_PROGBITS = 1;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
/** Bounds a hostile section count (extended numbering allows 2^32). */
const MAX_SECTIONS = 1 << 20;
const MAX_PHDR_TABLE = 65536;
/** What the segments may cover beyond twice the file (imageDigest): small files' headers overlap more. */
const MAX_SEGMENT_SLACK = 1 << 16;
/** Segment bytes are hashed in pieces of this size. */
const CHUNK = 1 << 20;

const utf8 = new TextEncoder();
/** Section names and the magic are compared byte for byte. */
const latin = new TextDecoder("latin1");

/** Where the class-dependent fields are. */
interface Layout {
  ehsize: number;
  phentsize: number;
  shentsize: number;
  /** e_phoff, e_shoff: offset in the ELF header (a word: 4 or 8 bytes). */
  phoff: number;
  shoff: number;
  phnum: number;
  shentsizeField: number;
  shnum: number;
  shstrndx: number;
}

const LAYOUT_32: Layout = { ehsize: 52, phentsize: 32, shentsize: 40, phoff: 28, shoff: 32, phnum: 44, shentsizeField: 46, shnum: 48, shstrndx: 50 };
const LAYOUT_64: Layout = { ehsize: 64, phentsize: 56, shentsize: 64, phoff: 32, shoff: 40, phnum: 56, shentsizeField: 58, shnum: 60, shstrndx: 62 };

interface Header {
  is64: boolean;
  little: boolean;
  layout: Layout;
  type: number;
  phoff: number;
  phnum: number;
  shoff: number;
  /** e_shnum and e_shstrndx as written (extended numbering unresolved). */
  rawShnum: number;
  rawShstrndx: number;
}

interface Section {
  /** The section header entry as written. */
  raw: Uint8Array;
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
}

interface SectionTable {
  sections: Section[];
  /** Index of the section-name string table, SHN_UNDEF when there is none. */
  shstrndx: number;
}

/** A Uint8Array as a HostFile. */
function bytesFile(bytes: Uint8Array): HostFile {
  return {
    size: bytes.length,
    read: (offset, length) => (offset < 0 || length <= 0 || offset >= bytes.length ? new Uint8Array(0) : bytes.subarray(offset, Math.min(bytes.length, offset + length))),
    close: () => {},
  };
}

function readExact(file: HostFile, offset: number, length: number, what: string): DataView {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > file.size || length > file.size - offset) {
    throw new ElfError(`truncated ${what} (needs bytes ${offset}..${offset + length}, file has ${file.size})`);
  }
  const bytes = length === 0 ? new Uint8Array(0) : file.read(offset, length);
  if (bytes.length < length) throw new ElfError(`truncated ${what} (file shorter than its size)`);
  return new DataView(bytes.buffer, bytes.byteOffset, length);
}

/** A copy of `length` bytes at `offset`, or ElfError "truncated <what>". */
function readBytes(file: HostFile, offset: number, length: number, what: string): Uint8Array {
  const v = readExact(file, offset, length, what);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
}

function word(view: DataView, at: number, hdr: Pick<Header, "is64" | "little">, what: string): number {
  if (!hdr.is64) return view.getUint32(at, hdr.little);
  const v = view.getBigUint64(at, hdr.little);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} out of range (0x${v.toString(16)})`);
  return Number(v);
}

function setWord(view: DataView, at: number, hdr: Pick<Header, "is64" | "little">, value: number): void {
  if (hdr.is64) view.setBigUint64(at, BigInt(value), hdr.little);
  else view.setUint32(at, value, hdr.little);
}

function parseHeader(file: HostFile): Header {
  const ident = file.read(0, 16);
  if (!hasElfMagic(ident)) throw new ElfError(`not an ELF file (${describeStart(ident)})`);
  if (ident.length < 16) throw new ElfError("truncated ELF header");
  if (ident[4] !== 1 && ident[4] !== 2) throw new ElfError(`unknown ELF class ${ident[4]}`);
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError(`unknown ELF data encoding ${ident[5]}`);
  const is64 = ident[4] === 2;
  const little = ident[5] === 1;
  const layout = is64 ? LAYOUT_64 : LAYOUT_32;
  const view = readExact(file, 0, layout.ehsize, "ELF header");
  const hdr = { is64, little };
  const phnum = view.getUint16(layout.phnum, little);
  if (phnum * layout.phentsize > MAX_PHDR_TABLE) throw new ElfError(`program header table too large (${phnum} entries)`);
  return {
    ...hdr,
    layout,
    type: view.getUint16(16, little),
    phoff: word(view, layout.phoff, hdr, "e_phoff"),
    phnum,
    shoff: word(view, layout.shoff, hdr, "e_shoff"),
    rawShnum: view.getUint16(layout.shnum, little),
    rawShstrndx: view.getUint16(layout.shstrndx, little),
  };
}

function parseSection(raw: Uint8Array, hdr: Header, index: number): Section {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const what = `section ${index}`;
  return hdr.is64
    ? {
        raw,
        name: v.getUint32(0, hdr.little),
        type: v.getUint32(4, hdr.little),
        offset: word(v, 24, hdr, `${what} sh_offset`),
        size: word(v, 32, hdr, `${what} sh_size`),
        link: v.getUint32(40, hdr.little),
      }
    : { raw, name: v.getUint32(0, hdr.little), type: v.getUint32(4, hdr.little), offset: v.getUint32(16, hdr.little), size: v.getUint32(20, hdr.little), link: v.getUint32(24, hdr.little) };
}

/** The section header table, with extended numbering (e_shnum 0, SHN_XINDEX) resolved. */
function readSections(file: HostFile, hdr: Header): SectionTable {
  if (hdr.shoff === 0) return { sections: [], shstrndx: SHN_UNDEF };
  const entsize = hdr.layout.shentsize;
  const view = readExact(file, hdr.layout.shentsizeField, 2, "ELF header");
  const written = view.getUint16(0, hdr.little);
  if (written !== entsize) throw new ElfError(`bad e_shentsize ${written} (ELF${hdr.is64 ? 64 : 32} section headers are ${entsize} bytes)`);
  const first = parseSection(readBytes(file, hdr.shoff, entsize, "section header table"), hdr, 0);
  const count = hdr.rawShnum === 0 ? first.size : hdr.rawShnum;
  if (count === 0) return { sections: [], shstrndx: SHN_UNDEF };
  if (count > MAX_SECTIONS) throw new ElfError(`section header table too large (${count} entries)`);
  const bytes = readBytes(file, hdr.shoff, count * entsize, "section header table");
  const sections: Section[] = [];
  for (let i = 0; i < count; i++) sections.push(parseSection(bytes.slice(i * entsize, (i + 1) * entsize), hdr, i));
  const shstrndx = hdr.rawShstrndx === SHN_XINDEX ? first.link : hdr.rawShstrndx;
  if (shstrndx >= count) throw new ElfError(`e_shstrndx ${shstrndx} is not a section (${count} sections)`);
  return { sections, shstrndx };
}

/** A section's contents (bounded by the file). */
function sectionBytes(file: HostFile, s: Section, what: string): Uint8Array {
  if (s.type === SHT_NOBITS) throw new ElfError(`${what} has no contents in the file (SHT_NOBITS)`);
  return readBytes(file, s.offset, s.size, what);
}

function nameAt(strtab: Uint8Array, offset: number): string | undefined {
  if (offset >= strtab.length) return undefined;
  const end = strtab.indexOf(0, offset);
  return latin.decode(strtab.subarray(offset, end < 0 ? strtab.length : end));
}

/** Indices of the sections named `.void.spec`. */
function findPackSections(file: HostFile, table: SectionTable): number[] {
  if (table.shstrndx === SHN_UNDEF) return [];
  const strtab = sectionBytes(file, table.sections[table.shstrndx]!, "section name table");
  const found: number[] = [];
  table.sections.forEach((s, i) => {
    if (i !== SHN_UNDEF && nameAt(strtab, s.name) === SECTION_NAME) found.push(i);
  });
  return found;
}

/** The byte ranges of the ELF header that packing changes (e_shoff, e_shentsize, e_shnum, e_shstrndx). */
function sectionFieldRanges(hdr: Header): [number, number][] {
  const l = hdr.layout;
  return [
    [l.shoff, l.shoff + (hdr.is64 ? 8 : 4)],
    [l.shentsizeField, l.shentsizeField + 2],
    [l.shnum, l.shnum + 2],
    [l.shstrndx, l.shstrndx + 2],
  ];
}

/** Feeds file bytes [offset, offset+length) to `hash`, with the section fields of the ELF header read as 0. */
function hashRange(hash: Hash, file: HostFile, offset: number, length: number, zeroed: [number, number][], what: string): void {
  for (let at = offset; at < offset + length; at += CHUNK) {
    const n = Math.min(CHUNK, offset + length - at);
    const v = readExact(file, at, n, what);
    let bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (zeroed.some(([s, e]) => s < at + n && e > at)) {
      bytes = bytes.slice();
      for (const [s, e] of zeroed) for (let i = Math.max(s, at); i < Math.min(e, at + n); i++) bytes[i - at] = 0;
    }
    hash.update(bytes);
  }
}

/** Each program header's file range, in table order. */
function segments(file: HostFile, hdr: Header): { offset: number; filesz: number }[] {
  const ph = readExact(file, hdr.phoff, hdr.phnum * hdr.layout.phentsize, "program header table");
  const out: { offset: number; filesz: number }[] = [];
  for (let i = 0; i < hdr.phnum; i++) {
    const at = i * hdr.layout.phentsize;
    out.push(
      hdr.is64 ? { offset: word(ph, at + 8, hdr, "p_offset"), filesz: word(ph, at + 32, hdr, "p_filesz") } : { offset: ph.getUint32(at + 4, hdr.little), filesz: ph.getUint32(at + 16, hdr.little) },
    );
  }
  return out;
}

/**
 * SHA-256 of the program image: the ELF header (section fields zeroed),
 * the program header table, then each segment's file bytes in program
 * header order. Hex.
 */
export function imageDigest(file: HostFile): string {
  const hdr = parseHeader(file);
  const zeroed = sectionFieldRanges(hdr);
  const hash = createHash("sha256");
  hashRange(hash, file, 0, hdr.layout.ehsize, zeroed, "ELF header");
  hashRange(hash, file, hdr.phoff, hdr.phnum * hdr.layout.phentsize, zeroed, "program header table");
  const segs = segments(file, hdr);
  // A program's segments cover its file about once (PT_LOADs apart, the others lie inside them): a thousand headers
  // each covering a huge sparse file would keep void check hashing for hours.
  const covered = segs.reduce((sum, s) => sum + s.filesz, 0);
  if (covered > 2 * file.size + MAX_SEGMENT_SLACK)
    throw new ElfError(`the program headers cover ${covered} bytes, more than twice the file's ${file.size}: not the layout of a program (refused rather than hashed)`);
  segs.forEach((seg, i) => {
    hashRange(hash, file, seg.offset, seg.filesz, zeroed, `segment ${i}`);
  });
  return hash.digest("hex");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The `.void.spec` record for `spec` and an image digest. */
function packRecord(spec: Uint8Array, imageSha256: string): Uint8Array {
  const out = new Uint8Array(PACK_HEADER_SIZE + spec.length);
  const v = new DataView(out.buffer);
  out.set(utf8.encode(PACK_MAGIC), 0);
  v.setUint32(8, PACK_VERSION, true);
  v.setUint32(12, PACK_HEADER_SIZE, true);
  v.setUint32(16, spec.length, true);
  out.set(Buffer.from(sha256(spec), "hex"), 24);
  out.set(Buffer.from(imageSha256, "hex"), 56);
  out.set(spec, PACK_HEADER_SIZE);
  return out;
}

/** A section header entry. */
function sectionEntry(hdr: Header, f: { name: number; type: number; offset: number; size: number; align: number }): Uint8Array {
  const raw = new Uint8Array(hdr.layout.shentsize);
  const v = new DataView(raw.buffer);
  v.setUint32(0, f.name, hdr.little);
  v.setUint32(4, f.type, hdr.little);
  if (hdr.is64) {
    v.setBigUint64(24, BigInt(f.offset), hdr.little);
    v.setBigUint64(32, BigInt(f.size), hdr.little);
    v.setBigUint64(48, BigInt(f.align), hdr.little);
  } else {
    v.setUint32(16, f.offset, hdr.little);
    v.setUint32(20, f.size, hdr.little);
    v.setUint32(32, f.align, hdr.little);
  }
  return raw;
}

/** Changes sh_offset and sh_size of a copied entry (sh_name too, when given). */
function moveEntry(hdr: Header, raw: Uint8Array, offset: number, size: number, name?: number): Uint8Array {
  const out = raw.slice();
  const v = new DataView(out.buffer);
  if (name !== undefined) v.setUint32(0, name, hdr.little);
  setWord(v, hdr.is64 ? 24 : 16, hdr, offset);
  setWord(v, hdr.is64 ? 32 : 20, hdr, size);
  return out;
}

/**
 * A copy of `binary` with `specText` in a `.void.spec` section (see the
 * top of this file). A binary that already has one gets the new spec in
 * place of the old. Throws ElfError for anything that is not a readable
 * executable ELF file. The caller validates the spec.
 */
export function packSpec(binary: Uint8Array, specText: string): Uint8Array {
  const file = bytesFile(binary);
  const info = readElf(file); // the planner's reader: refuses what void run would refuse to read
  const hdr = parseHeader(file);
  if (hdr.type !== ET_EXEC && hdr.type !== ET_DYN) throw new ElfError(`not an executable (ELF type ${typeName(info.type)})`);
  // The digest must not depend on what packing appends.
  segments(file, hdr).forEach((seg, i) => {
    if (seg.offset + seg.filesz > binary.length) throw new ElfError(`segment ${i} ends at byte ${seg.offset + seg.filesz}, past the end of the file (${binary.length})`);
  });
  const table = readSections(file, hdr);
  const existing = findPackSections(file, table);
  if (existing.length > 1) throw new ElfError(`${existing.length} ${SECTION_NAME} sections`);

  const spec = utf8.encode(specText);
  if (spec.length > MAX_SPEC_BYTES) throw new ElfError(`the spec is too large to embed (${spec.length} bytes, at most ${MAX_SPEC_BYTES})`);
  const record = packRecord(spec, imageDigest(file));

  // The section-name table: the old one plus ".void.spec" (old names keep their offsets).
  const entries = table.sections.map((s) => s.raw);
  let shstrndx = table.shstrndx;
  let strtab: Uint8Array;
  let nameOffset: number;
  if (shstrndx !== SHN_UNDEF) {
    const old = sectionBytes(file, table.sections[shstrndx]!, "section name table");
    const base = old.length > 0 && old[old.length - 1] === 0 ? old : Uint8Array.from([...old, 0]);
    nameOffset = base.length;
    strtab = Uint8Array.from([...base, ...utf8.encode(SECTION_NAME), 0]);
  } else {
    // No names yet: a fresh table. Existing sections (if any) were nameless; keep them so.
    strtab = Uint8Array.from([0, ...utf8.encode(SECTION_NAME), 0, ...utf8.encode(".shstrtab"), 0]);
    nameOffset = 1;
    for (let i = 0; i < entries.length; i++) entries[i] = moveEntry(hdr, entries[i]!, table.sections[i]!.offset, table.sections[i]!.size, 0);
    if (entries.length === 0) entries.push(new Uint8Array(hdr.layout.shentsize)); // SHN_UNDEF
    shstrndx = entries.length;
    entries.push(new Uint8Array(hdr.layout.shentsize)); // filled in below
  }

  // Layout after the original bytes: record, names, section header table.
  const recordAt = align(binary.length, 8);
  const strtabAt = recordAt + record.length;
  const shoff = align(strtabAt + strtab.length, 8);
  entries[shstrndx] =
    table.shstrndx !== SHN_UNDEF
      ? moveEntry(hdr, entries[shstrndx]!, strtabAt, strtab.length)
      : sectionEntry(hdr, { name: 1 + SECTION_NAME.length + 1, type: SHT_STRTAB, offset: strtabAt, size: strtab.length, align: 1 });
  const specEntry = sectionEntry(hdr, { name: nameOffset, type: SHT_PROGBITS, offset: recordAt, size: record.length, align: 8 });
  if (existing.length === 1) entries[existing[0]!] = specEntry;
  else entries.push(specEntry);
  if (entries.length > MAX_SECTIONS) throw new ElfError(`too many sections (${entries.length})`);

  // Extended numbering when the count or the name table's index does not fit e_shnum/e_shstrndx.
  const shnum = entries.length;
  if (shnum >= SHN_LORESERVE || shstrndx >= SHN_LORESERVE) {
    const zero = entries[0]!.slice();
    const zv = new DataView(zero.buffer);
    if (shnum >= SHN_LORESERVE) setWord(zv, hdr.is64 ? 32 : 20, hdr, shnum);
    if (shstrndx >= SHN_LORESERVE) zv.setUint32(hdr.is64 ? 40 : 24, shstrndx, hdr.little);
    entries[0] = zero;
  }
  const limit = hdr.is64 ? Number.MAX_SAFE_INTEGER : 0xffffffff;
  const total = shoff + shnum * hdr.layout.shentsize;
  if (total > limit) throw new ElfError("the packed file would be too large for ELF32 offsets");

  const out = new Uint8Array(total);
  out.set(binary, 0);
  out.set(record, recordAt);
  out.set(strtab, strtabAt);
  entries.forEach((e, i) => {
    out.set(e, shoff + i * hdr.layout.shentsize);
  });
  const v = new DataView(out.buffer);
  setWord(v, hdr.layout.shoff, hdr, shoff);
  v.setUint16(hdr.layout.shentsizeField, hdr.layout.shentsize, hdr.little);
  v.setUint16(hdr.layout.shnum, shnum >= SHN_LORESERVE ? 0 : shnum, hdr.little);
  v.setUint16(hdr.layout.shstrndx, shstrndx >= SHN_LORESERVE ? SHN_XINDEX : shstrndx, hdr.little);
  return out;
}

/** The `.void.spec` of a file, checked against its record. Never throws for file contents (HostError from reading passes through). */
export function readPackedSpec(input: Uint8Array | HostFile): PackedSpec {
  const file = input instanceof Uint8Array ? bytesFile(input) : input;
  if (!hasElfMagic(file.read(0, 4))) return { kind: "absent", reason: "not an ELF file" };
  let hdr: Header;
  let table: SectionTable;
  let found: number[];
  try {
    hdr = parseHeader(file);
    table = readSections(file, hdr);
    found = findPackSections(file, table);
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    return { kind: "absent", reason: `its section headers cannot be read: ${e.message}` };
  }
  if (found.length === 0) return { kind: "absent" };
  if (found.length > 1) return { kind: "malformed", message: `${found.length} ${SECTION_NAME} sections` };
  let data: Uint8Array;
  try {
    const s = table.sections[found[0]!]!;
    if (s.size > PACK_HEADER_SIZE + MAX_SPEC_BYTES) return { kind: "malformed", message: `${SECTION_NAME} is too large (${s.size} bytes)` };
    data = sectionBytes(file, s, SECTION_NAME);
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    return { kind: "malformed", message: e.message };
  }
  if (data.length < 16 || latin.decode(data.subarray(0, 8)) !== PACK_MAGIC) return { kind: "malformed", message: `${SECTION_NAME} does not start with "${PACK_MAGIC}"` };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = v.getUint32(8, true);
  if (version !== PACK_VERSION) return { kind: "malformed", message: `${SECTION_NAME} has format version ${version}; this void reads version ${PACK_VERSION}` };
  const headerSize = v.getUint32(12, true);
  if (data.length < PACK_HEADER_SIZE || headerSize < PACK_HEADER_SIZE) return { kind: "malformed", message: `${SECTION_NAME} is truncated (${data.length} bytes)` };
  const specLength = v.getUint32(16, true);
  if (specLength > data.length - headerSize || headerSize > data.length) {
    return { kind: "malformed", message: `${SECTION_NAME} says its spec is ${specLength} bytes, but the section holds ${Math.max(0, data.length - headerSize)}` };
  }
  const hex = (at: number) => Buffer.from(data.subarray(at, at + 32)).toString("hex");
  const wantSpec = hex(24);
  const wantImage = hex(56);
  const spec = data.subarray(headerSize, headerSize + specLength);
  const specModified = sha256(spec) !== wantSpec;
  let binaryModified: boolean;
  try {
    binaryModified = imageDigest(file) !== wantImage;
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    binaryModified = true;
  }
  if (specModified || binaryModified) {
    const what = specModified && binaryModified ? "the embedded spec and the program were" : specModified ? "the embedded spec was" : "the program was";
    const detail = specModified && !binaryModified ? "its SHA-256 no longer matches the one void pack recorded" : "its code, data or headers no longer match the SHA-256 void pack recorded";
    return { kind: "tampered", specModified, binaryModified, message: `${what} modified after packing: ${detail}` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(spec);
  } catch {
    return { kind: "malformed", message: `the spec in ${SECTION_NAME} is not UTF-8` };
  }
  return { kind: "ok", text, specSha256: wantSpec, imageSha256: wantImage };
}
