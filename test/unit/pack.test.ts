/**
 * void pack's ELF writer and reader (src/plan/pack.ts), pure: a real
 * binary (this machine's /bin/true, read into memory) and hand-built ELF
 * files of both classes and byte orders are packed, read back, re-packed,
 * tampered with and corrupted. Running packed binaries, strip and the CLI
 * are in test/integration/pack.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { ElfError, readElf } from "../../src/plan/elf.js";
import { imageDigest, PACK_HEADER_SIZE, type PackedSpec, packSpec, readPackedSpec, SECTION_NAME } from "../../src/plan/pack.js";
import { buildElf, memoryFile } from "../support/elf-fixtures.js";

const SPEC = '{ "entrypoints": { "main": { "args": ["BinaryName", "Trailing"], "environment": ["Stdout"] } } }\n';
const OTHER = '{ "entrypoints": { "other": {} } }';

interface Headers {
  is64: boolean;
  little: boolean;
  shoff: number;
  shnum: number;
  shstrndx: number;
  phoff: number;
  phnum: number;
}

/** The ELF header fields these tests look at. */
function headers(bytes: Uint8Array): Headers {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  return is64
    ? {
        is64,
        little,
        shoff: Number(v.getBigUint64(40, little)),
        shnum: v.getUint16(60, little),
        shstrndx: v.getUint16(62, little),
        phoff: Number(v.getBigUint64(32, little)),
        phnum: v.getUint16(56, little),
      }
    : { is64, little, shoff: v.getUint32(32, little), shnum: v.getUint16(48, little), shstrndx: v.getUint16(50, little), phoff: v.getUint32(28, little), phnum: v.getUint16(44, little) };
}

/** Section names and [offset, size], by reading the section header table directly. */
function sections(bytes: Uint8Array): { name: string; offset: number; size: number }[] {
  const h = headers(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ent = h.is64 ? 64 : 40;
  const raw = (i: number) => {
    const at = h.shoff + i * ent;
    return h.is64
      ? { name: v.getUint32(at, h.little), offset: Number(v.getBigUint64(at + 24, h.little)), size: Number(v.getBigUint64(at + 32, h.little)) }
      : { name: v.getUint32(at, h.little), offset: v.getUint32(at + 16, h.little), size: v.getUint32(at + 20, h.little) };
  };
  const strtab = raw(h.shstrndx);
  return Array.from({ length: h.shnum }, (_, i) => {
    const s = raw(i);
    const start = strtab.offset + s.name;
    const end = bytes.indexOf(0, start);
    return { name: Buffer.from(bytes.subarray(start, end)).toString("latin1"), offset: s.offset, size: s.size };
  });
}

/** The file offset of a byte of an executable PT_LOAD segment, past the headers. */
function codeOffset(bytes: Uint8Array): number {
  const h = headers(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < h.phnum; i++) {
    const at = h.phoff + i * (h.is64 ? 56 : 32);
    const type = v.getUint32(at, h.little);
    const flags = v.getUint32(at + (h.is64 ? 4 : 24), h.little);
    const offset = h.is64 ? Number(v.getBigUint64(at + 8, h.little)) : v.getUint32(at + 4, h.little);
    const filesz = h.is64 ? Number(v.getBigUint64(at + 32, h.little)) : v.getUint32(at + 16, h.little);
    if (type === 1 && (flags & 1) !== 0 && filesz > 0x100) return offset + Math.floor(filesz / 2);
  }
  throw new Error("no executable PT_LOAD");
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0x5a;
  return out;
}

function ok(r: PackedSpec): Extract<PackedSpec, { kind: "ok" }> {
  assert.equal(r.kind, "ok", JSON.stringify(r));
  return r as Extract<PackedSpec, { kind: "ok" }>;
}

/** Offset of the packed spec text in a packed file. */
function specOffset(packed: Uint8Array): number {
  const s = sections(packed).find((x) => x.name === SECTION_NAME)!;
  return s.offset + PACK_HEADER_SIZE;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("pack a real binary (/bin/true)", { skip: !existsSync("/bin/true") }, () => {
  const original = new Uint8Array(readFileSync("/bin/true"));
  const packed = packSpec(original, SPEC);

  test("the spec reads back, with its SHA-256; the original has none", () => {
    const r = ok(readPackedSpec(packed));
    assert.equal(r.text, SPEC);
    assert.equal(r.specSha256, sha256(SPEC));
    assert.equal(r.imageSha256, imageDigest(memoryFile(original)));
    assert.deepEqual(readPackedSpec(original), { kind: "absent" });
    // Through a HostFile too (what void run uses).
    assert.equal(ok(readPackedSpec(memoryFile(packed))).text, SPEC);
  });

  test("the original bytes are the prefix; only e_shoff, e_shentsize, e_shnum, e_shstrndx differ", () => {
    assert.ok(packed.length > original.length);
    const differ: number[] = [];
    for (let i = 0; i < original.length; i++) if (original[i] !== packed[i]) differ.push(i);
    const allowed = new Set([40, 41, 42, 43, 44, 45, 46, 47, 58, 59, 60, 61, 62, 63]);
    assert.ok(
      differ.every((i) => allowed.has(i)),
      `changed bytes ${differ.join(",")}`,
    );
  });

  test("loading is unchanged: same program headers, interpreter and libraries; the old sections are all still there", () => {
    assert.deepEqual(readElf(memoryFile(packed)), readElf(memoryFile(original)));
    const before = sections(original);
    const after = sections(packed);
    assert.equal(after.length, before.length + 1);
    assert.deepEqual(
      after.slice(0, -1).map((s) => s.name),
      before.map((s) => s.name),
    );
    assert.equal(after.at(-1)!.name, SECTION_NAME);
    // Every section other than the moved name table keeps its place.
    const names = headers(original).shstrndx;
    after.slice(0, -1).forEach((s, i) => {
      if (i !== names) assert.deepEqual(s, before[i]);
    });
  });

  test("a changed byte of code is detected, and so is a changed byte of the spec", () => {
    const code = readPackedSpec(flip(packed, codeOffset(packed)));
    assert.equal(code.kind, "tampered");
    assert.ok(code.kind === "tampered" && code.binaryModified && !code.specModified);
    assert.match(code.kind === "tampered" ? code.message : "", /the program was modified after packing/);
    const spec = readPackedSpec(flip(packed, specOffset(packed) + 5));
    assert.ok(spec.kind === "tampered" && spec.specModified && !spec.binaryModified);
    assert.match(spec.kind === "tampered" ? spec.message : "", /the embedded spec was modified after packing/);
    const both = readPackedSpec(flip(flip(packed, specOffset(packed) + 5), codeOffset(packed)));
    assert.ok(both.kind === "tampered" && both.specModified && both.binaryModified);
  });

  test("the ELF header and program headers are covered; section headers are not", () => {
    assert.equal(readPackedSpec(flip(packed, 24)).kind, "tampered"); // e_entry
    assert.equal(readPackedSpec(flip(packed, headers(packed).phoff + 8)).kind, "tampered"); // a p_offset
    // A section header other than ours (what strip rewrites) is not part of the image.
    const h = headers(packed);
    assert.equal(readPackedSpec(flip(packed, h.shoff + 64 + 8)).kind, "ok");
  });

  test("re-packing replaces the spec in place", () => {
    const again = packSpec(packed, OTHER);
    assert.equal(ok(readPackedSpec(again)).text, OTHER);
    assert.equal(sections(again).filter((s) => s.name === SECTION_NAME).length, 1);
    assert.equal(sections(again).length, sections(packed).length);
    assert.equal(ok(readPackedSpec(again)).imageSha256, ok(readPackedSpec(packed)).imageSha256);
  });
});

describe("pack hand-built ELF files", () => {
  const kinds = [
    { class: 64, endian: "little" },
    { class: 64, endian: "big" },
    { class: 32, endian: "little" },
    { class: 32, endian: "big" },
  ] as const;
  for (const k of kinds) {
    test(`ELF${k.class} ${k.endian}-endian: no section headers before, three after; round trip, re-pack, tamper`, () => {
      const elf = buildElf({ ...k, interp: "/lib/ld-test.so.1", needed: ["libc.so.6"] });
      assert.equal(headers(elf).shoff, 0);
      assert.deepEqual(readPackedSpec(elf), { kind: "absent" });
      const packed = packSpec(elf, SPEC);
      assert.deepEqual(readElf(memoryFile(packed)), readElf(memoryFile(elf)));
      assert.deepEqual(
        sections(packed).map((s) => s.name),
        ["", ".shstrtab", SECTION_NAME],
      );
      assert.equal(ok(readPackedSpec(packed)).text, SPEC);
      const again = packSpec(packed, OTHER);
      assert.equal(ok(readPackedSpec(again)).text, OTHER);
      assert.equal(sections(again).length, 3);
      // The interpreter path lies in the only PT_LOAD: a changed byte is a changed program.
      const interpAt = Buffer.from(packed).indexOf("/lib/ld-test");
      const r = readPackedSpec(flip(packed, interpAt + 1));
      assert.ok(r.kind === "tampered" && r.binaryModified && !r.specModified);
      const s = readPackedSpec(flip(packed, specOffset(packed)));
      assert.ok(s.kind === "tampered" && s.specModified && !s.binaryModified);
    });
  }

  test("a static file (no PT_INTERP, no dynamic section)", () => {
    const packed = packSpec(buildElf({}), SPEC);
    assert.equal(ok(readPackedSpec(packed)).text, SPEC);
  });

  test("extended section numbering (e_shnum 0, e_shstrndx SHN_XINDEX) is read and kept", () => {
    const packed = packSpec(buildElf({ needed: ["libc.so.6"] }), SPEC);
    const h = headers(packed);
    const ext = packed.slice();
    const v = new DataView(ext.buffer);
    v.setUint16(60, 0, true);
    v.setUint16(62, 0xffff, true);
    v.setBigUint64(h.shoff + 32, BigInt(h.shnum), true); // sh[0].sh_size = count
    v.setUint32(h.shoff + 40, h.shstrndx, true); // sh[0].sh_link = name table
    assert.equal(ok(readPackedSpec(ext)).text, SPEC);
    assert.equal(ok(readPackedSpec(packSpec(ext, OTHER))).text, OTHER);
  });

  test("UTF-8 specs round trip byte for byte", () => {
    const text = '{ "entrypoints": { "grüße": { "environment": [{ "Hostname": "ünïcødé" }] } } }';
    assert.equal(ok(readPackedSpec(packSpec(buildElf({}), text))).text, text);
  });
});

describe("what packSpec refuses and readPackedSpec reports", () => {
  test("not ELF, or not an executable", () => {
    assert.throws(
      () => packSpec(new TextEncoder().encode("#!/bin/sh\necho hi\n"), SPEC),
      (e: unknown) => e instanceof ElfError && /not an ELF file/.test(e.message),
    );
    assert.throws(
      () => packSpec(buildElf({ type: 1 }), SPEC),
      (e: unknown) => e instanceof ElfError && /not an executable \(ELF type REL\)/.test(e.message),
    );
    assert.deepEqual(readPackedSpec(new TextEncoder().encode("#!/bin/sh\n")), { kind: "absent", reason: "not an ELF file" });
    assert.deepEqual(readPackedSpec(new Uint8Array(0)), { kind: "absent", reason: "not an ELF file" });
  });

  test("a .void.spec that is not a version-1 record is malformed", () => {
    const packed = packSpec(buildElf({}), SPEC);
    const at = specOffset(packed) - PACK_HEADER_SIZE;
    const magic = packed.slice();
    magic[at] = 0x58;
    assert.deepEqual(readPackedSpec(magic), { kind: "malformed", message: '.void.spec does not start with "VOIDSPEC"' });
    const version = packed.slice();
    new DataView(version.buffer).setUint32(at + 8, 2, true);
    assert.match((readPackedSpec(version) as { message: string }).message, /format version 2; this void reads version 1/);
    const length = packed.slice();
    new DataView(length.buffer).setUint32(at + 16, 1 << 20, true);
    assert.equal(readPackedSpec(length).kind, "malformed");
  });

  test("program headers that cover the file many times over are refused, not hashed (a sparse file would take hours)", () => {
    // A real layout, then room, then every program header pointed at the whole file.
    const elf = buildElf({ interp: "/lib/ld.so", needed: ["libc.so.6"] });
    const padded = new Uint8Array(elf.length + 200_000);
    padded.set(elf);
    const packed = packSpec(padded, SPEC);
    assert.equal(readPackedSpec(packed).kind, "ok", "the padded program itself is fine");
    const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    const phoff = Number(view.getBigUint64(32, true));
    const phnum = view.getUint16(56, true);
    assert.equal(phnum, 3);
    for (let i = 0; i < phnum; i++) {
      view.setBigUint64(phoff + i * 56 + 8, 0n, true);
      view.setBigUint64(phoff + i * 56 + 32, BigInt(packed.length), true);
    }
    assert.throws(
      () => imageDigest(memoryFile(packed)),
      (e: unknown) => e instanceof ElfError && /the program headers cover \d+ bytes, more than twice the file's \d+/.test(e.message),
    );
    const r = readPackedSpec(packed);
    assert.equal(r.kind, "tampered");
    assert.equal((r as { binaryModified: boolean }).binaryModified, true);
  });

  test("the section header table cut off: no spec can be found", () => {
    const packed = packSpec(buildElf({}), SPEC);
    const r = readPackedSpec(packed.subarray(0, packed.length - 10));
    assert.equal(r.kind, "absent");
    assert.match((r as { reason: string }).reason, /section headers cannot be read: truncated section header table/);
  });

  test("any corruption of a packed file gives an answer, never an exception", () => {
    const packed = packSpec(buildElf({ interp: "/lib/ld.so", needed: ["libc.so.6"] }), SPEC);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(packed.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(packed.length), (edits, cut) => {
        const bad = packed.slice(0, Math.max(cut, 1));
        for (const [at, x] of edits) if (at < bad.length) bad[at]! ^= x;
        const r = readPackedSpec(bad);
        assert.ok(["ok", "absent", "tampered", "malformed"].includes(r.kind));
        if (r.kind === "ok") assert.equal(r.text, SPEC);
      }),
      { numRuns: 500 },
    );
  });
});
