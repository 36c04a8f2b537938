/**
 * Reader for /etc/ld.so.cache, the table ldconfig writes and glibc's dynamic
 * loader consults (after DT_RPATH and DT_RUNPATH, before the default
 * directories) to map a library name to a path.
 *
 * Why hand-written: the only other ways to read the cache are `ldconfig -p`
 * (a subprocess whose output format is not an interface) or running the
 * loader itself; no maintained npm package parses it. The format is small
 * and documented in glibc's sysdeps/generic/dl-cache.h:
 *
 *   - old ("ld.so-1.7.0", libc5 and glibc <= 2.1): a count and 12-byte
 *     entries {flags, key, value}; strings follow the entries;
 *   - new ("glibc-ld.so.cache1.1", glibc >= 2.2): a 48-byte header, 24-byte
 *     entries {flags, key, value, osversion, hwcap}, string offsets relative
 *     to the header, and (glibc >= 2.33) an extension directory naming the
 *     glibc-hwcaps subdirectories;
 *   - compat: an old table immediately followed by an aligned new one; the
 *     loader then uses only the new table. Modern ldconfig writes new only.
 *
 * Entries carry flags encoding the ELF class/ABI (FLAG_ELF_LIBC6 plus an
 * architecture bit such as FLAG_X8664_LIB64). The loader accepts only the
 * flags of its own ABI (_dl_cache_check_flags); cacheIdsFor() reproduces
 * that test per e_machine/class/e_flags, so a 32-bit binary on a 64-bit host
 * finds the i386 libraries and not the x86_64 ones.
 *
 * The input is untrusted: counts and offsets are bounds-checked, and
 * entries whose strings fall outside the table are skipped as the loader
 * skips them (_dl_cache_verify_ptr).
 */
import { EM_AARCH64, EM_ARM, EM_IA_64, EM_LOONGARCH, EM_MIPS, EM_PPC64, EM_RISCV, EM_S390, EM_SPARCV9, EM_X86_64, type ElfInfo } from "./elf.js";

export class LdCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LdCacheError";
  }
}

export const FLAG_ELF = 0x0001;
export const FLAG_ELF_LIBC6 = 0x0003;
export const FLAG_SPARC_LIB64 = 0x0100;
export const FLAG_IA64_LIB64 = 0x0200;
export const FLAG_X8664_LIB64 = 0x0300;
export const FLAG_S390_LIB64 = 0x0400;
export const FLAG_POWERPC_LIB64 = 0x0500;
export const FLAG_MIPS64_LIBN32 = 0x0600;
export const FLAG_MIPS64_LIBN64 = 0x0700;
export const FLAG_X8664_LIBX32 = 0x0800;
export const FLAG_ARM_LIBHF = 0x0900;
export const FLAG_AARCH64_LIB64 = 0x0a00;
export const FLAG_ARM_LIBSF = 0x0b00;
export const FLAG_MIPS_LIB32_NAN2008 = 0x0c00;
export const FLAG_MIPS64_LIBN32_NAN2008 = 0x0d00;
export const FLAG_MIPS64_LIBN64_NAN2008 = 0x0e00;
export const FLAG_RISCV_FLOAT_ABI_SOFT = 0x0f00;
export const FLAG_RISCV_FLOAT_ABI_DOUBLE = 0x1000;
export const FLAG_LARCH_FLOAT_ABI_SOFT = 0x1100;
export const FLAG_LARCH_FLOAT_ABI_DOUBLE = 0x1200;

/** hwcap bit marking an entry that lives in a glibc-hwcaps subdirectory. */
export const DL_CACHE_HWCAP_EXTENSION = 1n << 62n;

export const OLD_MAGIC = "ld.so-1.7.0";
export const NEW_MAGIC = "glibc-ld.so.cache1.1";

const OLD_HEADER_SIZE = 16; // magic[11], pad, nlibs
const OLD_ENTRY_SIZE = 12;
const NEW_HEADER_SIZE = 48;
const NEW_ENTRY_SIZE = 24;
const EXTENSION_MAGIC = 0xeaa42174; // (uint32_t) -358342284
const TAG_GENERATOR = 0;
const TAG_GLIBC_HWCAPS = 1;

export interface LdCacheEntry {
  /** The library name looked up (usually a soname, e.g. "libc.so.6"). */
  name: string;
  /** The path the loader opens. */
  path: string;
  /** FLAG_* bits: type in the low byte, ABI in the high byte. */
  flags: number;
  osVersion: number;
  /** 0 in the old format. */
  hwcap: bigint;
  /** For entries with DL_CACHE_HWCAP_EXTENSION: e.g. "x86-64-v3". */
  hwcapsSubdir?: string;
}

export interface LdCache {
  /** Which table the entries came from ("old+new": the new one of a compat file). */
  format: "old" | "new" | "old+new";
  /** In file order, which the loader's search also follows for equal names. */
  entries: LdCacheEntry[];
  /** The ldconfig that wrote the file, from the generator extension. */
  generator?: string;
}

const decoder = new TextDecoder();

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** A NUL-terminated string of the table, or undefined when out of bounds. */
function cString(bytes: Uint8Array, tableStart: number, offset: number): string | undefined {
  const at = tableStart + offset;
  if (offset < 0 || at >= bytes.length) return undefined;
  const end = bytes.indexOf(0, at);
  if (end < 0) return undefined;
  return decoder.decode(bytes.subarray(at, end));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether a table of `count` entries of `size` bytes at `start` fits the file. */
function fits(bytes: Uint8Array, start: number, count: number, size: number): boolean {
  return start <= bytes.length && count <= Math.floor((bytes.length - start) / size);
}

interface Extensions {
  generator?: string;
  hwcaps: string[];
}

/** The extension directory (glibc >= 2.33); a damaged one is ignored, as the loader does. */
function parseExtensions(bytes: Uint8Array, dv: DataView, newStart: number, little: boolean): Extensions {
  const none: Extensions = { hwcaps: [] };
  const offset = dv.getUint32(newStart + 32, little);
  if (offset === 0 || offset % 4 !== 0 || offset + 8 > bytes.length) return none;
  if (dv.getUint32(offset, little) !== EXTENSION_MAGIC) return none;
  const count = dv.getUint32(offset + 4, little);
  if (!fits(bytes, offset + 8, count, 16)) return none;
  const result: Extensions = { hwcaps: [] };
  for (let i = 0; i < count; i++) {
    const at = offset + 8 + i * 16;
    const tag = dv.getUint32(at, little);
    const start = dv.getUint32(at + 8, little);
    const size = dv.getUint32(at + 12, little);
    if (start + size > bytes.length) return none;
    if (tag === TAG_GENERATOR) {
      result.generator = decoder.decode(bytes.subarray(start, start + size));
    } else if (tag === TAG_GLIBC_HWCAPS && size > 0 && size % 4 === 0 && start % 4 === 0) {
      for (let k = 0; k < size / 4; k++) {
        result.hwcaps.push(cString(bytes, newStart, dv.getUint32(start + k * 4, little)) ?? "");
      }
    }
  }
  return result;
}

/** Byte order of a new-format table: from its flags, else the plausible one. */
function newTableEndian(bytes: Uint8Array, dv: DataView, start: number): boolean {
  const endian = (bytes[start + 28] ?? 0) & 3;
  if (endian === 1) throw new LdCacheError("cache is marked invalid (endianness flag 1)");
  if (endian === 2) return true;
  if (endian === 3) return false;
  return fits(bytes, start + NEW_HEADER_SIZE, dv.getUint32(start + 20, true), NEW_ENTRY_SIZE);
}

function parseNewTable(bytes: Uint8Array, start: number): { entries: LdCacheEntry[]; generator?: string } {
  const dv = view(bytes);
  const little = newTableEndian(bytes, dv, start);
  const nlibs = dv.getUint32(start + 20, little);
  if (!fits(bytes, start + NEW_HEADER_SIZE, nlibs, NEW_ENTRY_SIZE)) throw new LdCacheError(`truncated cache: ${nlibs} entries do not fit`);
  const ext = parseExtensions(bytes, dv, start, little);
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = start + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    const name = cString(bytes, start, dv.getUint32(at + 4, little));
    const path = cString(bytes, start, dv.getUint32(at + 8, little));
    if (name === undefined || path === undefined) continue;
    const hwcap = dv.getBigUint64(at + 16, little);
    const entry: LdCacheEntry = { name, path, flags: dv.getInt32(at, little), osVersion: dv.getUint32(at + 12, little), hwcap };
    if (isHwcapsExtension(hwcap)) {
      const subdir = ext.hwcaps[Number(hwcap & 0xffffffffn)];
      if (subdir !== undefined) entry.hwcapsSubdir = subdir;
    }
    entries.push(entry);
  }
  return { entries, ...(ext.generator !== undefined ? { generator: ext.generator } : {}) };
}

function parseOldTable(bytes: Uint8Array, little: boolean, nlibs: number): LdCacheEntry[] {
  const dv = view(bytes);
  const strings = OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE;
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE;
    const name = cString(bytes, strings, dv.getUint32(at + 4, little));
    const path = cString(bytes, strings, dv.getUint32(at + 8, little));
    if (name === undefined || path === undefined) continue;
    entries.push({ name, path, flags: dv.getInt32(at, little), osVersion: 0, hwcap: 0n });
  }
  return entries;
}

/** Where a compat file's new table starts: aligned to 8 (64-bit ldconfig) or 4. */
function compatNewTableStart(bytes: Uint8Array, oldEnd: number): number | undefined {
  for (const align of [8, 4]) {
    const start = Math.ceil(oldEnd / align) * align;
    if (start + NEW_HEADER_SIZE <= bytes.length && ascii(bytes, start, NEW_MAGIC.length) === NEW_MAGIC) return start;
  }
  return undefined;
}

/** Parses an ld.so.cache file in any of its formats. Throws LdCacheError. */
export function parseLdCache(bytes: Uint8Array): LdCache {
  if (bytes.length >= NEW_HEADER_SIZE && ascii(bytes, 0, NEW_MAGIC.length) === NEW_MAGIC) {
    return { format: "new", ...parseNewTable(bytes, 0) };
  }
  if (bytes.length < OLD_HEADER_SIZE || ascii(bytes, 0, OLD_MAGIC.length) !== OLD_MAGIC) {
    throw new LdCacheError(`not an ld.so.cache file (no "${NEW_MAGIC}" or "${OLD_MAGIC}" magic)`);
  }
  // The old header has no byte-order mark: take the order in which the table fits.
  const dv = view(bytes);
  const le = dv.getUint32(12, true);
  const little = fits(bytes, OLD_HEADER_SIZE, le, OLD_ENTRY_SIZE);
  const nlibs = little ? le : dv.getUint32(12, false);
  if (!fits(bytes, OLD_HEADER_SIZE, nlibs, OLD_ENTRY_SIZE)) throw new LdCacheError(`truncated cache: ${nlibs} entries do not fit`);
  const newStart = compatNewTableStart(bytes, OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE);
  if (newStart !== undefined) return { format: "old+new", ...parseNewTable(bytes, newStart) };
  return { format: "old", entries: parseOldTable(bytes, little, nlibs) };
}

export function isHwcapsExtension(hwcap: bigint): boolean {
  // Only the extension bit may be set in the upper half, apart from the ten
  // ISA-level bits (dl_cache_hwcap_extension).
  return ((hwcap >> 32n) & ~0x3ffn) === DL_CACHE_HWCAP_EXTENSION >> 32n;
}

/** What the loader compares cache flags with: the ABI of the object that needs the library. */
export type CacheTarget = Pick<ElfInfo, "class" | "machine" | "flags">;

/** The flags values the loader accepts (_dl_cache_check_flags). */
export interface CacheIds {
  accepted: readonly number[];
  /** _DL_CACHE_DEFAULT_ID: in an old-format cache, an entry with these flags ends the search. */
  preferred: number;
}

const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_RISCV_FLOAT_ABI = 0x6;
const EF_RISCV_FLOAT_ABI_SOFT = 0x0;
const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;
const EF_LARCH_ABI_MODIFIER_MASK = 0x7;
const EF_LARCH_ABI_SOFT_FLOAT = 0x1;
const EF_LARCH_ABI_DOUBLE_FLOAT = 0x3;
const EF_MIPS_ABI2 = 0x20;
const EF_MIPS_NAN2008 = 0x400;

const only = (id: number): CacheIds => ({ accepted: [id], preferred: id });
/** sysdeps/generic/dl-cache.h: any ELF library, libc6 preferred. */
const GENERIC: CacheIds = { accepted: [FLAG_ELF_LIBC6, FLAG_ELF], preferred: FLAG_ELF_LIBC6 };
const NONE: CacheIds = { accepted: [], preferred: -1 };

function mipsIds(target: CacheTarget): CacheIds {
  const nan2008 = (target.flags & EF_MIPS_NAN2008) !== 0;
  if (target.class === 64) return only((nan2008 ? FLAG_MIPS64_LIBN64_NAN2008 : FLAG_MIPS64_LIBN64) | FLAG_ELF_LIBC6);
  if ((target.flags & EF_MIPS_ABI2) !== 0) return only((nan2008 ? FLAG_MIPS64_LIBN32_NAN2008 : FLAG_MIPS64_LIBN32) | FLAG_ELF_LIBC6);
  return nan2008 ? only(FLAG_MIPS_LIB32_NAN2008 | FLAG_ELF_LIBC6) : GENERIC;
}

function riscvIds(target: CacheTarget): CacheIds {
  const abi = target.flags & EF_RISCV_FLOAT_ABI;
  if (abi === EF_RISCV_FLOAT_ABI_DOUBLE) return only(FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6);
  if (abi === EF_RISCV_FLOAT_ABI_SOFT) return only(FLAG_RISCV_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6);
  return NONE; // single/quad float: ldconfig never caches these
}

function loongarchIds(target: CacheTarget): CacheIds {
  const abi = target.flags & EF_LARCH_ABI_MODIFIER_MASK;
  if (abi === EF_LARCH_ABI_DOUBLE_FLOAT) return only(FLAG_LARCH_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6);
  if (abi === EF_LARCH_ABI_SOFT_FLOAT) return only(FLAG_LARCH_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6);
  return NONE;
}

/**
 * glibc's _dl_cache_check_flags for a loader of `target`'s ABI, from the
 * per-architecture sysdeps/unix/sysv/linux/<arch>/dl-cache.h.
 */
export function cacheIdsFor(target: CacheTarget): CacheIds {
  const is64 = target.class === 64;
  switch (target.machine) {
    case EM_X86_64:
      return only((is64 ? FLAG_X8664_LIB64 : FLAG_X8664_LIBX32) | FLAG_ELF_LIBC6);
    case EM_AARCH64:
      return is64 ? only(FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6) : GENERIC;
    case EM_ARM: {
      // Unmarked entries are accepted for either float ABI (arm/dl-cache.h),
      // and the default id stays the generic one.
      const abi = (target.flags & EF_ARM_ABI_FLOAT_HARD) !== 0 ? FLAG_ARM_LIBHF : FLAG_ARM_LIBSF;
      return { accepted: [abi | FLAG_ELF_LIBC6, FLAG_ELF_LIBC6], preferred: FLAG_ELF_LIBC6 };
    }
    case EM_PPC64:
      return is64 ? only(FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6) : GENERIC;
    case EM_S390:
      return is64 ? only(FLAG_S390_LIB64 | FLAG_ELF_LIBC6) : GENERIC;
    case EM_SPARCV9:
      return is64 ? only(FLAG_SPARC_LIB64 | FLAG_ELF_LIBC6) : GENERIC;
    case EM_IA_64:
      return only(FLAG_IA64_LIB64 | FLAG_ELF_LIBC6);
    case EM_MIPS:
      return mipsIds(target);
    case EM_RISCV:
      return riscvIds(target);
    case EM_LOONGARCH:
      return loongarchIds(target);
    default:
      return GENERIC; // i386, 32-bit PowerPC, S/390 and SPARC, and the rest
  }
}

export interface CacheLookup {
  /** The entry the loader settles on when no CPU-specific entry applies. */
  path?: string;
  /**
   * Entries the loader prefers over `path` when the CPU it runs on supports
   * them (glibc-hwcaps subdirectories such as x86-64-v3, or legacy hwcap
   * entries). Which one wins is only known at run time, so a void binds
   * them all.
   */
  variants: string[];
}

/**
 * Looks `name` up as the loader for `target` does (search_cache in
 * elf/dl-cache.c). In the new format CPU-specific entries come first and the
 * first plain accepted entry ends the search; in the old format (no hwcap
 * field) an entry with the default id wins, else the last accepted one.
 */
export function lookupLdCache(cache: LdCache, name: string, target: CacheTarget): CacheLookup {
  const ids = cacheIdsFor(target);
  const matches = cache.entries.filter((e) => e.name === name && ids.accepted.includes(e.flags));
  if (cache.format === "old") {
    const path = (matches.find((e) => e.flags === ids.preferred) ?? matches[matches.length - 1])?.path;
    return { ...(path !== undefined ? { path } : {}), variants: [] };
  }
  const variants: string[] = [];
  for (const e of matches) {
    if (e.hwcap === 0n) return { path: e.path, variants };
    if (!variants.includes(e.path)) variants.push(e.path);
  }
  return { variants };
}
