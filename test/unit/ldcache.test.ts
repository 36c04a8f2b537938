/**
 * The ld.so.cache reader: this machine's cache checked against `ldconfig -p`
 * (when present), every on-disk format, the per-ABI flags test the loader
 * applies (_dl_cache_check_flags), hwcaps entries, and damaged files.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { readElf } from "../../src/plan/elf.js";
import {
  DL_CACHE_HWCAP_EXTENSION,
  FLAG_AARCH64_LIB64,
  FLAG_ARM_LIBHF,
  FLAG_ARM_LIBSF,
  FLAG_ELF,
  FLAG_ELF_LIBC6,
  FLAG_RISCV_FLOAT_ABI_DOUBLE,
  FLAG_X8664_LIB64,
  FLAG_X8664_LIBX32,
  LdCacheError,
  cacheIdsFor,
  lookupLdCache,
  parseLdCache,
} from "../../src/plan/ldcache.js";
import { realHost } from "../../src/plan/real-host.js";
import { EM_386, EM_AARCH64, EM_X86_64, buildLdCache } from "../support/elf-fixtures.js";

const EM_ARM = 40;
const EM_RISCV = 243;
const X86_64 = { class: 64, machine: EM_X86_64, flags: 0 } as const;
const I386 = { class: 32, machine: EM_386, flags: 0 } as const;
const X32 = { class: 32, machine: EM_X86_64, flags: 0 } as const;
const AARCH64 = { class: 64, machine: EM_AARCH64, flags: 0 } as const;
const ARMHF = { class: 32, machine: EM_ARM, flags: 0x400 } as const;
const ARMEL = { class: 32, machine: EM_ARM, flags: 0 } as const;

const X86_64_ID = FLAG_ELF_LIBC6 | FLAG_X8664_LIB64;

/** The same library for several ABIs, in ldconfig's order (name, then flags descending). */
const MULTI_ABI = [
  { name: "libc.so.6", path: "/lib/aarch64-linux-gnu/libc.so.6", flags: FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64 },
  { name: "libc.so.6", path: "/lib/arm-linux-gnueabihf/libc.so.6", flags: FLAG_ELF_LIBC6 | FLAG_ARM_LIBHF },
  { name: "libc.so.6", path: "/libx32/libc.so.6", flags: FLAG_ELF_LIBC6 | FLAG_X8664_LIBX32 },
  { name: "libc.so.6", path: "/lib/x86_64-linux-gnu/libc.so.6", flags: X86_64_ID },
  { name: "libc.so.6", path: "/lib/i386-linux-gnu/libc.so.6", flags: FLAG_ELF_LIBC6 },
  { name: "libm.so.6", path: "/lib/x86_64-linux-gnu/libm.so.6", flags: X86_64_ID },
];

describe("this machine's /etc/ld.so.cache", { skip: !existsSync("/etc/ld.so.cache") }, () => {
  const cache = parseLdCache(readFileSync("/etc/ld.so.cache"));

  test("parses, with entries", () => {
    assert.ok(cache.entries.length > 10);
    assert.ok(cache.format === "new" || cache.format === "old+new" || cache.format === "old");
  });

  test("libc.so.6 for this machine's ABI is an ELF file of that ABI", { skip: process.arch !== "x64" && process.arch !== "arm64" }, () => {
    const target = process.arch === "x64" ? X86_64 : AARCH64;
    const hit = lookupLdCache(cache, "libc.so.6", target);
    assert.ok(hit.path !== undefined, "libc.so.6 is in the cache");
    const f = realHost.openFile(hit.path);
    try {
      const info = readElf(f);
      assert.equal(info.machine, target.machine);
      assert.equal(info.soname, "libc.so.6");
    } finally {
      f.close();
    }
  });

  const ldconfig = ["/sbin/ldconfig", "/usr/sbin/ldconfig"].find((p) => existsSync(p));
  test("agrees with ldconfig -p entry for entry", { skip: ldconfig === undefined }, () => {
    // ldconfig -p only prints the cache: "\tname (libc6,x86-64, hwcap: ...) => path"
    const out = spawnSync(ldconfig!, ["-p"], { encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    const theirs = out.stdout
      .split("\n")
      .slice(1)
      .map((l) => /^\t(\S+) \(.*\) => (.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]} => ${m[2]}`);
    const ours = cache.entries.map((e) => `${e.name} => ${e.path}`);
    assert.deepEqual(ours, theirs);
  });
});

describe("parseLdCache formats", () => {
  test("new format (glibc >= 2.2) with the generator extension", () => {
    const cache = parseLdCache(buildLdCache(MULTI_ABI, { generator: "ldconfig (GNU libc) 2.36" }));
    assert.equal(cache.format, "new");
    assert.equal(cache.generator, "ldconfig (GNU libc) 2.36");
    assert.deepEqual(
      cache.entries.map((e) => [e.name, e.path, e.flags]),
      MULTI_ABI.map((e) => [e.name, e.path, e.flags]),
    );
  });

  test("old format (libc5, glibc <= 2.1)", () => {
    const cache = parseLdCache(buildLdCache(MULTI_ABI, { format: "old" }));
    assert.equal(cache.format, "old");
    assert.equal(cache.entries.length, MULTI_ABI.length);
    assert.equal(lookupLdCache(cache, "libm.so.6", X86_64).path, "/lib/x86_64-linux-gnu/libm.so.6");
  });

  test("compat: the new table after the old one is used, at either alignment", () => {
    for (const entries of [MULTI_ABI, MULTI_ABI.slice(0, 5)]) {
      for (const compatAlign of [4, 8] as const) {
        const cache = parseLdCache(buildLdCache(entries, { format: "compat", compatAlign }));
        assert.equal(cache.format, "old+new");
        assert.deepEqual(
          cache.entries.map((e) => e.path),
          entries.map((e) => e.path),
        );
      }
    }
  });

  test("big-endian caches, with and without the endianness flag", () => {
    for (const endianFlag of [true, false]) {
      const cache = parseLdCache(buildLdCache(MULTI_ABI, { endian: "big", endianFlag }));
      assert.equal(lookupLdCache(cache, "libc.so.6", AARCH64).path, "/lib/aarch64-linux-gnu/libc.so.6");
    }
    const old = parseLdCache(buildLdCache(MULTI_ABI, { format: "old", endian: "big" }));
    assert.equal(old.entries[0]?.path, MULTI_ABI[0]?.path);
  });
});

describe("lookupLdCache picks entries of the requester's ABI", () => {
  const cache = parseLdCache(buildLdCache(MULTI_ABI));

  test("x86_64 (0x0303), i386 (1 or 3), x32 (0x0803), aarch64 (0x0a03), armhf", () => {
    assert.equal(lookupLdCache(cache, "libc.so.6", X86_64).path, "/lib/x86_64-linux-gnu/libc.so.6");
    assert.equal(lookupLdCache(cache, "libc.so.6", I386).path, "/lib/i386-linux-gnu/libc.so.6");
    assert.equal(lookupLdCache(cache, "libc.so.6", X32).path, "/libx32/libc.so.6");
    assert.equal(lookupLdCache(cache, "libc.so.6", AARCH64).path, "/lib/aarch64-linux-gnu/libc.so.6");
    assert.equal(lookupLdCache(cache, "libc.so.6", ARMHF).path, "/lib/arm-linux-gnueabihf/libc.so.6");
  });

  test("a name only present for another ABI is not found", () => {
    assert.deepEqual(lookupLdCache(cache, "libm.so.6", I386), { variants: [] });
    assert.deepEqual(lookupLdCache(cache, "libnope.so", X86_64), { variants: [] });
  });

  test("the first accepted entry wins in the new format; the default id in the old one", () => {
    const entries = [
      { name: "libold.so.1", path: "/a/libold.so.1", flags: FLAG_ELF },
      { name: "libold.so.1", path: "/b/libold.so.1", flags: FLAG_ELF_LIBC6 },
      { name: "libold.so.1", path: "/c/libold.so.1", flags: FLAG_ELF },
    ];
    const fresh = parseLdCache(buildLdCache(entries));
    const old = parseLdCache(buildLdCache(entries, { format: "old" }));
    assert.equal(lookupLdCache(fresh, "libold.so.1", I386).path, "/a/libold.so.1");
    assert.equal(lookupLdCache(old, "libold.so.1", I386).path, "/b/libold.so.1");
    const noDefault = parseLdCache(buildLdCache([entries[0]!, entries[2]!], { format: "old" }));
    assert.equal(lookupLdCache(noDefault, "libold.so.1", I386).path, "/c/libold.so.1");
    // x86_64 accepts only its own id.
    assert.equal(lookupLdCache(fresh, "libold.so.1", X86_64).path, undefined);
  });

  test("ARM accepts unmarked libc6 entries for either float ABI", () => {
    const c = parseLdCache(
      buildLdCache([
        { name: "libx.so", path: "/sf/libx.so", flags: FLAG_ELF_LIBC6 | FLAG_ARM_LIBSF },
        { name: "libx.so", path: "/unmarked/libx.so", flags: FLAG_ELF_LIBC6 },
      ]),
    );
    assert.equal(lookupLdCache(c, "libx.so", ARMEL).path, "/sf/libx.so");
    assert.equal(lookupLdCache(c, "libx.so", ARMHF).path, "/unmarked/libx.so");
  });

  test("cacheIdsFor follows the float ABI in e_flags", () => {
    assert.deepEqual(cacheIdsFor({ class: 64, machine: EM_RISCV, flags: 0x5 }).accepted, [FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6]);
    assert.deepEqual(cacheIdsFor({ class: 64, machine: EM_RISCV, flags: 0x2 }).accepted, []);
    assert.deepEqual(cacheIdsFor(X86_64).accepted, [0x0303]);
    assert.deepEqual(cacheIdsFor(AARCH64).accepted, [0x0a03]);
    assert.deepEqual(cacheIdsFor(I386).accepted, [0x0003, 0x0001]);
  });

  test("glibc-hwcaps entries before the plain one are variants; later ones are unreachable", () => {
    const c = parseLdCache(
      buildLdCache(
        [
          { name: "libfast.so.1", path: "/usr/lib/glibc-hwcaps/x86-64-v3/libfast.so.1", flags: X86_64_ID, hwcap: DL_CACHE_HWCAP_EXTENSION | 1n },
          { name: "libfast.so.1", path: "/usr/lib/glibc-hwcaps/x86-64-v2/libfast.so.1", flags: X86_64_ID, hwcap: DL_CACHE_HWCAP_EXTENSION | 0n },
          { name: "libfast.so.1", path: "/usr/lib/libfast.so.1", flags: X86_64_ID },
          { name: "libfast.so.1", path: "/usr/lib/glibc-hwcaps/x86-64-v4/libfast.so.1", flags: X86_64_ID, hwcap: DL_CACHE_HWCAP_EXTENSION | 2n },
        ],
        { hwcaps: ["x86-64-v2", "x86-64-v3", "x86-64-v4"] },
      ),
    );
    assert.equal(c.entries[0]?.hwcapsSubdir, "x86-64-v3");
    assert.equal(c.entries[1]?.hwcapsSubdir, "x86-64-v2");
    assert.deepEqual(lookupLdCache(c, "libfast.so.1", X86_64), {
      path: "/usr/lib/libfast.so.1",
      variants: ["/usr/lib/glibc-hwcaps/x86-64-v3/libfast.so.1", "/usr/lib/glibc-hwcaps/x86-64-v2/libfast.so.1"],
    });
  });
});

describe("parseLdCache on damaged files", () => {
  test("not a cache at all", () => {
    assert.throws(() => parseLdCache(new TextEncoder().encode("hello world, this is not a cache file at all........")), LdCacheError);
    assert.throws(() => parseLdCache(new Uint8Array(0)), /not an ld.so.cache file/);
  });

  test("an entry count larger than the file", () => {
    const b = buildLdCache(MULTI_ABI);
    new DataView(b.buffer).setUint32(20, 1_000_000, true);
    assert.throws(() => parseLdCache(b), /truncated cache: 1000000 entries do not fit/);
  });

  test("a cache marked invalid", () => {
    const b = buildLdCache(MULTI_ABI);
    b[28] = 1;
    assert.throws(() => parseLdCache(b), /marked invalid/);
  });

  test("entries whose strings are out of bounds are skipped, like the loader does", () => {
    const b = buildLdCache(MULTI_ABI);
    const x86 = MULTI_ABI.findIndex((e) => e.flags === X86_64_ID);
    new DataView(b.buffer).setUint32(48 + x86 * 24 + 8, 0xfffffff0, true); // that entry's path
    const cache = parseLdCache(b);
    assert.equal(cache.entries.length, MULTI_ABI.length - 1);
    assert.equal(lookupLdCache(cache, "libc.so.6", X86_64).path, undefined);
  });

  test("truncations and corruptions give LdCacheError or a result, nothing else", () => {
    const samples = [buildLdCache(MULTI_ABI, { hwcaps: ["x86-64-v3"], generator: "g" }), buildLdCache(MULTI_ABI, { format: "compat" }), buildLdCache(MULTI_ABI, { format: "old" })];
    const survives = (bytes: Uint8Array): void => {
      try {
        parseLdCache(bytes);
      } catch (e) {
        if (!(e instanceof LdCacheError)) throw e;
      }
    };
    for (const s of samples) for (let n = 0; n <= s.length; n++) survives(s.subarray(0, n));
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 10 }), (which, patches) => {
        const b = samples[which]!.slice();
        for (const [at, value] of patches) b[at % b.length] = value;
        survives(b);
      }),
      { numRuns: 3000, seed: 3 },
    );
  });
});
