/**
 * The ELF reader: real system binaries, hand-built files of every class and
 * byte order, and hostile input (truncations, corruptions, random bytes)
 * that must give an ElfError, never a RangeError or an unbounded read.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { DF_1_NODEFLIB, DF_1_PIE, ElfError, type ElfInfo, describeElf, MAX_NEEDED, MAX_SEARCH_PATH_ELEMENTS, readElf } from "../../src/plan/elf.js";
import { realHost } from "../../src/plan/real-host.js";
import { EM_386, EM_AARCH64, EM_PPC, EM_X86_64, ET_DYN, ET_EXEC, buildElf, memoryFile } from "../support/elf-fixtures.js";

const hostMachine = process.arch === "x64" ? EM_X86_64 : process.arch === "arm64" ? EM_AARCH64 : undefined;

function readReal(path: string): ElfInfo {
  const f = realHost.openFile(path);
  try {
    return readElf(f);
  } finally {
    f.close();
  }
}

function read(bytes: Uint8Array): ElfInfo {
  return readElf(memoryFile(bytes));
}

/** Files the running process has mapped, from /proc/self/maps. */
function mappedFiles(): string[] {
  const maps = readFileSync("/proc/self/maps", "utf8");
  const paths = new Set<string>();
  for (const line of maps.split("\n")) {
    const path = line.split(/\s+/)[5];
    if (path?.startsWith("/")) paths.add(path);
  }
  return [...paths];
}

describe("readElf on this machine's binaries", () => {
  test("/bin/ls is a dynamic executable with an interpreter and libc", () => {
    const info = readReal("/bin/ls");
    assert.equal(info.class, 64);
    if (hostMachine !== undefined) assert.equal(info.machine, hostMachine);
    assert.ok(info.type === ET_DYN || info.type === ET_EXEC);
    assert.match(info.interpreter ?? "", /^\/.*ld-linux.*\.so\.\d$/);
    assert.ok(info.needed.includes("libc.so.6"), `needed: ${info.needed.join(", ")}`);
    assert.equal(info.isStatic, false);
  });

  test("the running node binary", () => {
    const info = readReal(process.execPath);
    assert.ok(info.interpreter !== undefined);
    assert.ok(info.needed.includes("libc.so.6"));
    assert.equal(info.endian, "little");
  });

  test("the interpreter itself is static and has a soname", () => {
    const interp = readReal("/bin/ls").interpreter!;
    const ld = readReal(interp);
    assert.equal(ld.interpreter, undefined);
    assert.deepEqual(ld.needed, []);
    assert.equal(ld.isStatic, true);
    assert.equal(ld.soname, interp.split("/").pop());
  });

  test("the libc this process has mapped names itself libc.so.6", () => {
    const libc = mappedFiles().find((p) => /\/libc\.so\.6$|\/libc-[\d.]+\.so$/.test(p));
    assert.ok(libc !== undefined, "libc is mapped");
    const info = readReal(libc);
    assert.equal(info.soname, "libc.so.6");
    assert.equal(info.type, ET_DYN);
    assert.equal(info.isPie, false);
  });

  test("python3, where installed", { skip: !existsSync("/usr/bin/python3") }, () => {
    const info = readReal("/usr/bin/python3");
    assert.ok(info.needed.includes("libc.so.6") || info.needed.some((n) => n.startsWith("libpython")));
  });
});

describe("readElf on built files", () => {
  test("ELF64 little-endian with every dynamic entry", () => {
    const info = read(
      buildElf({
        interp: "/lib64/ld-linux-x86-64.so.2",
        needed: ["libfoo.so.1", "libc.so.6"],
        runpath: "$ORIGIN/../lib:/opt/x",
        rpath: "/opt/old",
        soname: "libself.so.2",
        flags1: DF_1_PIE | DF_1_NODEFLIB,
        osabi: 3,
      }),
    );
    assert.deepEqual(info, {
      class: 64,
      endian: "little",
      machine: EM_X86_64,
      osabi: 3,
      abiVersion: 0,
      type: ET_DYN,
      flags: 0,
      interpreter: "/lib64/ld-linux-x86-64.so.2",
      needed: ["libfoo.so.1", "libc.so.6"],
      runpath: ["$ORIGIN/../lib", "/opt/x"],
      rpath: ["/opt/old"],
      soname: "libself.so.2",
      flags1: DF_1_PIE | DF_1_NODEFLIB,
      isPie: true,
      isStatic: false,
    });
  });

  test("ELF32 big-endian (PowerPC)", () => {
    const info = read(buildElf({ class: 32, endian: "big", machine: EM_PPC, type: ET_EXEC, interp: "/lib/ld.so.1", needed: ["libc.so.6"], rpath: "/a:/b", flags: 0x8000 }));
    assert.equal(info.class, 32);
    assert.equal(info.endian, "big");
    assert.equal(info.machine, EM_PPC);
    assert.equal(info.type, ET_EXEC);
    assert.equal(info.flags, 0x8000);
    assert.equal(info.interpreter, "/lib/ld.so.1");
    assert.deepEqual(info.needed, ["libc.so.6"]);
    assert.deepEqual(info.rpath, ["/a", "/b"]);
    assert.deepEqual(info.runpath, []);
    assert.equal(describeElf(info), "ELF32 big-endian PowerPC");
  });

  test("ELF32 little-endian (i386) and ELF64 big-endian", () => {
    assert.equal(read(buildElf({ class: 32, machine: EM_386, needed: ["libm.so.6"] })).needed[0], "libm.so.6");
    const be64 = read(buildElf({ class: 64, endian: "big", machine: 43, soname: "libbe.so" }));
    assert.equal(be64.soname, "libbe.so");
    assert.equal(be64.endian, "big");
  });

  test("a static executable has no interpreter and no dynamic section", () => {
    const info = read(buildElf({ type: ET_EXEC }));
    assert.equal(info.interpreter, undefined);
    assert.deepEqual(info.needed, []);
    assert.equal(info.isStatic, true);
    assert.equal(info.flags1, 0);
  });

  test("an empty RUNPATH is present (it still voids RPATH for ld.so)", () => {
    const info = read(buildElf({ needed: ["a"], runpath: "", rpath: "/r" }));
    assert.deepEqual(info.runpath, [""]);
    assert.deepEqual(info.rpath, ["/r"]);
  });
});

describe("readElf rejects bad input with a clear ElfError", () => {
  const rejects = (bytes: Uint8Array, message: RegExp): void => {
    assert.throws(
      () => read(bytes),
      (e: unknown) => e instanceof ElfError && message.test(e.message),
    );
  };

  test("a script is not an ELF file", () => {
    rejects(new TextEncoder().encode("#!/bin/sh\necho hi\n"), /^not an ELF file \(a #! script\)$/);
  });

  test("binary garbage and empty files", () => {
    rejects(Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 1]), /^not an ELF file \(a binary file\)$/);
    rejects(new Uint8Array(40).fill(0x41), /^not an ELF file \(a text file\)$/);
    rejects(new Uint8Array(0), /not an ELF file \(an empty file\)/);
  });

  test("a file's bytes are never printed: a binary that names /etc/shadow must not show a line of it", () => {
    rejects(new TextEncoder().encode("root:*:20228:0:99999:7:::\n"), /^not an ELF file \(a text file\)$/);
    rejects(new TextEncoder().encode("/* GNU ld script\n"), /^not an ELF file \(a GNU ld script\)$/);
  });

  test("more DT_NEEDED entries or search directories than planning should pay for", () => {
    const many = Array.from({ length: MAX_NEEDED + 1 }, (_, i) => `lib${i}.so`);
    rejects(buildElf({ needed: many }), new RegExp(`^${MAX_NEEDED + 1} DT_NEEDED entries \\(more than ${MAX_NEEDED}\\)$`));
    const dirs = Array.from({ length: MAX_SEARCH_PATH_ELEMENTS + 1 }, (_, i) => `/d${i}`).join(":");
    rejects(buildElf({ needed: ["libc.so.6"], runpath: dirs }), /DT_RPATH\/DT_RUNPATH directories \(more than/);
    assert.equal(read(buildElf({ needed: many.slice(0, MAX_NEEDED) })).needed.length, MAX_NEEDED);
  });

  test("magic alone", () => {
    rejects(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]), /truncated ELF header/);
  });

  test("unknown class, data encoding or version", () => {
    const good = buildElf({ needed: ["x"] });
    const patched = (at: number, v: number): Uint8Array => {
      const b = good.slice();
      b[at] = v;
      return b;
    };
    rejects(patched(4, 3), /unknown ELF class 3/);
    rejects(patched(5, 0), /unknown ELF data encoding 0/);
    rejects(patched(6, 2), /unsupported ELF version 2/);
  });

  test("program header table cut short", () => {
    const good = buildElf({ interp: "/ld.so", needed: ["libc.so.6"] });
    rejects(good.subarray(0, 64 + 20), /truncated program header table/);
  });

  test("a wrong e_phentsize", () => {
    const b = buildElf({ needed: ["x"] });
    new DataView(b.buffer).setUint16(54, 40, true);
    rejects(b, /bad e_phentsize 40/);
  });

  test("an e_phoff beyond any safe integer", () => {
    const b = buildElf({ needed: ["x"] });
    new DataView(b.buffer).setBigUint64(32, 1n << 63n, true);
    rejects(b, /e_phoff out of range/);
  });

  test("DT_STRTAB outside every PT_LOAD", () => {
    const b = buildElf({ needed: ["libx.so"] });
    // The DT_STRTAB entry follows the one DT_NEEDED: patch its value.
    const dv = new DataView(b.buffer);
    for (let at = b.length - 16 * 4; at < b.length; at += 16) {
      if (dv.getBigInt64(at, true) === 5n) dv.setBigUint64(at + 8, 0x10n, true);
    }
    rejects(b, /DT_STRTAB address 0x10 is not in the file part of any PT_LOAD segment/);
  });

  test("PT_INTERP without its NUL", () => {
    const b = buildElf({ interp: "/lib/ld.so" });
    const at = b.indexOf(0, new TextDecoder("latin1").decode(b).indexOf("/lib/ld.so"));
    b[at] = 0x41;
    rejects(b, /PT_INTERP is not NUL-terminated/);
  });
});

describe("readElf on hostile input never fails any other way", () => {
  const samples = [
    buildElf({ interp: "/lib64/ld-linux-x86-64.so.2", needed: ["libfoo.so.1", "libc.so.6"], runpath: "$ORIGIN", soname: "s" }),
    buildElf({ class: 32, endian: "big", machine: EM_PPC, interp: "/lib/ld.so.1", needed: ["libc.so.6"], rpath: "/r" }),
    buildElf({ type: ET_EXEC }),
  ];

  /** Parses or throws ElfError; reads stay bounded whatever the headers claim. */
  function survives(bytes: Uint8Array): void {
    const stats = { maxRead: 0 };
    try {
      readElf(memoryFile(bytes, stats));
    } catch (e) {
      if (!(e instanceof ElfError)) throw e;
    }
    assert.ok(stats.maxRead <= 1 << 20, `a read of ${stats.maxRead} bytes`);
  }

  test("every truncation of every sample", () => {
    for (const s of samples) for (let n = 0; n < s.length; n++) survives(s.subarray(0, n));
  });

  test("random byte corruptions", () => {
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 12 }), (which, patches) => {
        const b = samples[which]!.slice();
        for (const [at, value] of patches) b[at % b.length] = value;
        survives(b);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  test("random bytes after a valid ELF identification", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.constantFrom(1, 2), fc.constantFrom(1, 2), (rest, cls, data) => {
        survives(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, cls, data, 1, 0, ...rest]));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  test("entirely random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        survives(bytes);
      }),
      { numRuns: 500, seed: 1 },
    );
  });
});
