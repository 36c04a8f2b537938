/**
 * resolveLibraries: on this machine's real binaries (checked against ldd and
 * against what this very process has mapped), and on an in-memory host with
 * hand-built ELF files for every rule of the kernel's execve and glibc's
 * ld.so search that decides which files a void must contain.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { LOADER_LIB_VALUES, LOADER_PLATFORM_VALUES, LOADER_SUBDIRS, type NeededFile, type Resolution, envCommand, expandDst, parseShebang, resolveLibraries } from "../../src/plan/libraries.js";
import { realHost } from "../../src/plan/real-host.js";
import { DF_1_NODEFLIB, DF_1_PIE, EM_386, EM_AARCH64, ET_EXEC, type ElfSpec, FakeHost, buildElf, buildLdCache } from "../support/elf-fixtures.js";

// ---------------------------------------------------------------- helpers

const LD = "/lib64/ld-linux-x86-64.so.2";
const TRIPLET_DIRS = "/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib";
const X86_64_LIBC6 = 0x0303;
// biome-ignore lint/suspicious/noTemplateCurlyInString: ld.so's braced $ORIGIN spelling, deliberately not a JS template
const BRACED_ORIGIN = "${ORIGIN}";

const lib = (soname: string, needed: string[] = [], extra: ElfSpec = {}): Uint8Array => buildElf({ soname, needed, ...extra });
const prog = (needed: string[], extra: ElfSpec = {}): Uint8Array => buildElf({ interp: LD, needed, flags1: DF_1_PIE, ...extra });

/** A merged-/usr Debian-like x86_64 host: /lib -> usr/lib, /lib64 -> usr/lib64, /bin -> usr/bin. */
function debian(): FakeHost {
  return new FakeHost()
    .symlink("/lib", "usr/lib")
    .symlink("/lib64", "usr/lib64")
    .symlink("/bin", "usr/bin")
    .file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", lib("ld-linux-x86-64.so.2"))
    .symlink("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    .file("/usr/lib/x86_64-linux-gnu/libc.so.6", lib("libc.so.6", ["ld-linux-x86-64.so.2"], { interp: LD }))
    .file("/usr/lib/x86_64-linux-gnu/libm.so.6", lib("libm.so.6", ["libc.so.6"]))
    .file("/usr/bin/dash", prog(["libc.so.6"]))
    .symlink("/usr/bin/sh", "dash")
    .file(
      "/etc/ld.so.cache",
      buildLdCache([
        { name: "libc.so.6", path: "/lib/x86_64-linux-gnu/libc.so.6", flags: X86_64_LIBC6 },
        { name: "libm.so.6", path: "/lib/x86_64-linux-gnu/libm.so.6", flags: X86_64_LIBC6 },
      ]),
    );
}

/** "reason path" lines: the shape most assertions need. */
function lines(r: Resolution): string[] {
  return r.files.map((f) => `${f.reason} ${f.path}`);
}

function libraries(r: Resolution): string[] {
  return r.files.filter((f) => f.reason === "library").map((f) => f.path);
}

function ok(r: Resolution): Resolution {
  assert.deepEqual(r.errors, []);
  return r;
}

// ------------------------------------------------------- the real machine

/** Paths `ldd` says the loader opens (the interpreter and every "=> path"). */
function lddPaths(binary: string): string[] | undefined {
  const out = spawnSync("ldd", [binary], { encoding: "utf8" });
  if (out.status !== 0 || out.error !== undefined) return undefined;
  const paths: string[] = [];
  for (const line of out.stdout.split("\n")) {
    const arrow = /=>\s+(\/\S+)\s+\(/.exec(line);
    const bare = /^\s+(\/\S+)\s+\(/.exec(line);
    const path = arrow?.[1] ?? bare?.[1];
    if (path !== undefined) paths.push(path);
  }
  return paths.sort();
}

const hasLdd = spawnSync("ldd", ["--version"]).status === 0;

describe("real binaries on this machine", () => {
  const binaries = ["/bin/ls", "/usr/bin/python3", process.execPath].filter((p) => existsSync(p));

  for (const binary of binaries) {
    test(`${binary}: the same files as ldd reports`, { skip: !hasLdd }, () => {
      const r = ok(resolveLibraries(binary, realHost));
      const ours = r.files
        .filter((f) => f.reason === "library" || f.reason === "interpreter")
        .map((f) => f.path)
        .sort();
      assert.deepEqual(ours, lddPaths(binary));
    });

    test(`${binary}: the binary, its interpreter, libc and the cache`, () => {
      const r = ok(resolveLibraries(binary, realHost));
      assert.equal(r.isStatic, false);
      assert.deepEqual(r.files[0], { path: binary, reason: "binary" });
      assert.ok(r.files.some((f) => f.reason === "interpreter" && /ld-linux/.test(f.path)));
      assert.ok(r.files.some((f) => f.reason === "library" && f.name === "libc.so.6"));
      if (existsSync("/etc/ld.so.cache")) assert.ok(r.files.some((f) => f.reason === "ld.so.cache" && f.path === "/etc/ld.so.cache"));
      for (const f of r.files) assert.ok(existsSync(f.path), f.path);
    });
  }

  test("every library found for node is mapped in this node process", () => {
    const maps = readFileSync("/proc/self/maps", "utf8");
    const mapped = new Set(maps.split("\n").map((l) => l.split(/\s+/)[5] ?? ""));
    const r = ok(resolveLibraries(process.execPath, realHost));
    for (const f of r.files.filter((x) => x.reason === "library" || x.reason === "interpreter")) {
      assert.ok(mapped.has(realpathSync(f.path)), `${f.path} (${realpathSync(f.path)}) is mapped`);
    }
  });

  test("a #!/usr/bin/env python3 script", { skip: !["/bin/python3", "/usr/bin/python3"].some((p) => existsSync(p)) || !existsSync("/usr/bin/env") }, () => {
    const dir = mkdtempSync(join(tmpdir(), "void-elf-"));
    try {
      const script = join(dir, "tool.py");
      writeFileSync(script, "#!/usr/bin/env python3\nprint('hi')\n", { mode: 0o755 });
      const r = ok(resolveLibraries(script, realHost));
      const python = ["/bin/python3", "/usr/bin/python3"].find((p) => existsSync(p));
      assert.deepEqual(
        r.files.filter((f) => f.reason === "shebang").map((f) => `${f.path} ${f.name}`),
        ["/usr/bin/env /usr/bin/env", `${python} python3`],
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

// ------------------------------------------------------------ a fake host

describe("ELF programs", () => {
  test("a dynamic program: itself, PT_INTERP as written, the cache, libraries at their cache paths", () => {
    const host = debian().file("/usr/bin/hello", prog(["libm.so.6", "libc.so.6"]));
    const r = ok(resolveLibraries("/usr/bin/hello", host));
    const expected: NeededFile[] = [
      { path: "/usr/bin/hello", reason: "binary" },
      { path: LD, reason: "interpreter", requiredBy: "/usr/bin/hello", name: LD },
      { path: "/etc/ld.so.cache", reason: "ld.so.cache", requiredBy: "/usr/bin/hello" },
      { path: "/lib/x86_64-linux-gnu/libm.so.6", reason: "library", requiredBy: "/usr/bin/hello", name: "libm.so.6" },
      { path: "/lib/x86_64-linux-gnu/libc.so.6", reason: "library", requiredBy: "/usr/bin/hello", name: "libc.so.6" },
    ];
    assert.deepEqual(r.files, expected);
    assert.equal(r.isStatic, false);
  });

  test("a static program needs only itself", () => {
    const host = debian().file("/usr/bin/busybox", buildElf({ type: ET_EXEC }));
    assert.deepEqual(ok(resolveLibraries("/usr/bin/busybox", host)), {
      files: [{ path: "/usr/bin/busybox", reason: "binary" }],
      isStatic: true,
      errors: [],
      searchedDirs: [],
      unplacedModules: [],
      edges: [],
    });
  });

  test("missing, unreadable and non-executable programs", () => {
    const host = debian()
      .file("/opt/data", "hello world\n", 0o755)
      .file("/opt/noexec", prog(["libc.so.6"]), 0o644)
      .file("/opt/short", prog(["libc.so.6"]).subarray(0, 80));
    assert.deepEqual(resolveLibraries("/nope", host).errors, ["/nope: no such file or directory"]);
    assert.deepEqual(resolveLibraries("/usr", host).errors, ["/usr: not a regular file"]);
    assert.deepEqual(resolveLibraries("relative/x", host).errors, ["relative/x: not an absolute path (it would depend on the working directory)"]);
    assert.deepEqual(resolveLibraries("/opt/data", host).errors, ["/opt/data: not an ELF file and not a #! script (a text file)"]);
    assert.deepEqual(resolveLibraries("/opt/noexec", host).errors, ["/opt/noexec: not executable"]);
    assert.match(resolveLibraries("/opt/short", host).errors.join("\n"), /^\/opt\/short: truncated program header table/);
  });

  test("problems with the ELF interpreter", () => {
    const host = debian()
      .file("/opt/musl", prog(["libc.so"], { interp: "/lib/ld-musl-x86_64.so.1" }))
      .file("/opt/ld32", buildElf({ class: 32, machine: EM_386 }))
      .file("/opt/mixed", prog([], { interp: "/opt/ld32" }))
      .file("/opt/libonly", lib("libonly.so", ["libc.so.6"]));
    assert.deepEqual(resolveLibraries("/opt/musl", host).errors, ["/lib/ld-musl-x86_64.so.1 (ELF interpreter of /opt/musl): no such file or directory"]);
    assert.deepEqual(resolveLibraries("/opt/mixed", host).errors, ["/opt/ld32 (ELF interpreter of /opt/mixed): ELF32 little-endian i386 cannot load ELF64 little-endian x86-64"]);
    assert.match(resolveLibraries("/opt/libonly", host).errors[0] ?? "", /has DT_NEEDED libc.so.6 but no PT_INTERP/);
  });

  test("libc's DT_NEEDED ld-linux-x86-64.so.2 is the PT_INTERP loader, matched by soname", () => {
    const host = debian().file("/usr/bin/node", prog(["libc.so.6", "ld-linux-x86-64.so.2"]));
    const r = ok(resolveLibraries("/usr/bin/node", host));
    assert.deepEqual(libraries(r), ["/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  test("a library needed twice and a dependency cycle are mapped once, breadth first", () => {
    const host = debian()
      .file("/opt/app/lib/libA.so", lib("libA.so", ["libB.so", "libc.so.6"], { runpath: "$ORIGIN" }))
      .file("/opt/app/lib/libB.so", lib("libB.so", ["libA.so", "libm.so.6"]))
      .file("/opt/app/app", prog(["libA.so", "libm.so.6"], { runpath: "/opt/app/lib" }));
    const r = ok(resolveLibraries("/opt/app/app", host));
    assert.deepEqual(libraries(r), ["/opt/app/lib/libA.so", "/lib/x86_64-linux-gnu/libm.so.6", "/opt/app/lib/libB.so", "/lib/x86_64-linux-gnu/libc.so.6"]);
  });
});

describe("the library search order", () => {
  test("RUNPATH $ORIGIN is the directory of the program's real path; a library's is as opened", () => {
    const host = debian()
      .file("/opt/app/bin/app", prog(["libfoo.so.1", "libc.so.6"], { runpath: "$ORIGIN/../lib" }))
      .file("/opt/app/lib/libfoo.so.1", lib("libfoo.so.1", ["libbar.so.2"], { runpath: BRACED_ORIGIN }))
      .file("/opt/app/lib/libbar.so.2", lib("libbar.so.2"))
      .symlink("/usr/local/bin/app", "/opt/app/bin/app");
    const r = ok(resolveLibraries("/usr/local/bin/app", host));
    assert.deepEqual(lines(r), [
      "binary /usr/local/bin/app",
      `interpreter ${LD}`,
      "ld.so.cache /etc/ld.so.cache",
      "library /opt/app/bin/../lib/libfoo.so.1",
      "library /lib/x86_64-linux-gnu/libc.so.6",
      "library /opt/app/bin/../lib/libbar.so.2",
    ]);
    assert.equal(r.files.find((f) => f.name === "libbar.so.2")?.requiredBy, "/opt/app/bin/../lib/libfoo.so.1");
  });

  test("what the launcher's LD_* entries may make of $LIB and $PLATFORM covers every profile's layout", () => {
    for (const v of ["lib", "lib64", "lib32", "libx32", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "lib/i386-linux-gnu", "lib64/lp64d"]) assert.ok(LOADER_LIB_VALUES.includes(v), v);
    for (const v of ["x86_64", "haswell", "xeon_phi", "i686", "i386", "aarch64"]) assert.ok(LOADER_PLATFORM_VALUES.includes(v), v);
    for (const v of ["glibc-hwcaps", "x86-64-v3", "tls", "x86_64", "haswell"]) assert.ok(LOADER_SUBDIRS.includes(v), v);
  });

  test("$LIB and $PLATFORM follow the host layout; unknown $NAMEs stay literal", () => {
    const host = debian()
      .file("/opt/lib/x86_64-linux-gnu/x86_64/libz.so.1", lib("libz.so.1"))
      .file("/opt/$FOO/libq.so", lib("libq.so"))
      .file("/opt/p", prog(["libz.so.1", "libq.so"], { runpath: "/opt/$LIB/$PLATFORM:/opt/$FOO" }));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p", host))), ["/opt/lib/x86_64-linux-gnu/x86_64/libz.so.1", "/opt/$FOO/libq.so"]);
  });

  test("a directory spelled many ways in RUNPATH is searched once (a crafted list cannot multiply the lookups)", () => {
    const spellings = ["/opt/r", "//opt/r/", "/opt/./r", "/opt//r//", "/./opt/r/."];
    const host = debian()
      .file("/opt/r/libA.so", lib("libA.so"))
      .file("/opt/app", prog(["libA.so", "libmissing.so"], { runpath: spellings.join(":") }));
    const asked: string[] = [];
    const counting = new Proxy(host, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (typeof args[0] === "string") asked.push(args[0]);
          return value.apply(target, args);
        };
      },
    });
    resolveLibraries("/opt/app", counting);
    const spellingsTried = new Set(asked.filter((p) => p.endsWith("libmissing.so") && p.includes("opt")));
    assert.equal(spellingsTried.size, 1, [...spellingsTried].join("\n"));
  });

  test("DT_RPATH is inherited down the chain of loaders", () => {
    const host = debian()
      .file("/opt/r/libA.so", lib("libA.so", ["libB.so"]))
      .file("/opt/r/libB.so", lib("libB.so"))
      .file("/opt/app", prog(["libA.so"], { rpath: "/opt/r" }));
    const r = ok(resolveLibraries("/opt/app", host));
    assert.deepEqual(libraries(r), ["/opt/r/libA.so", "/opt/r/libB.so"]);
  });

  test("DT_RUNPATH is not inherited", () => {
    const host = debian()
      .file("/opt/r/libA.so", lib("libA.so", ["libB.so"]))
      .file("/opt/r/libB.so", lib("libB.so"))
      .file("/opt/app", prog(["libA.so"], { runpath: "/opt/r" }));
    assert.deepEqual(resolveLibraries("/opt/app", host).errors, [`libB.so (needed by /opt/r/libA.so): not found in /etc/ld.so.cache or ${TRIPLET_DIRS}`]);
  });

  test("a requester with DT_RUNPATH ignores every DT_RPATH up the chain", () => {
    const host = debian()
      .file("/opt/r/libA.so", lib("libA.so", ["libB.so"], { runpath: "/opt/a" }))
      .file("/opt/r/libB.so", lib("libB.so"))
      .file("/opt/app", prog(["libA.so"], { rpath: "/opt/r" }));
    assert.deepEqual(resolveLibraries("/opt/app", host).errors, [`libB.so (needed by /opt/r/libA.so): not found in RUNPATH /opt/a, /etc/ld.so.cache or ${TRIPLET_DIRS}`]);
  });

  test("DT_RPATH next to DT_RUNPATH in the same object is ignored", () => {
    const host = debian()
      .file("/opt/r/libA.so", lib("libA.so"))
      .file("/opt/app", prog(["libA.so"], { rpath: "/opt/r", runpath: "/opt/u" }));
    assert.deepEqual(resolveLibraries("/opt/app", host).errors, [`libA.so (needed by /opt/app): not found in RUNPATH /opt/u, /etc/ld.so.cache or ${TRIPLET_DIRS}`]);
  });

  test("RPATH of the requester and of its loaders come before RUNPATH-less defaults, and are named in errors", () => {
    const host = debian()
      .file("/opt/r1/libA.so", lib("libA.so", ["libmissing.so.3"], { rpath: "/opt/r2" }))
      .file("/opt/app", prog(["libA.so"], { rpath: "/opt/r1" }));
    assert.deepEqual(resolveLibraries("/opt/app", host).errors, [
      `libmissing.so.3 (needed by /opt/r1/libA.so): not found in RPATH /opt/r2, RPATH /opt/r1 (of /opt/app), /etc/ld.so.cache or ${TRIPLET_DIRS}`,
    ]);
  });

  test("a missing library is an error naming every place searched", () => {
    const host = debian()
      .dir("/opt/app/lib")
      .file("/opt/app/bin/x", prog(["libfoo.so.1", "libc.so.6"], { runpath: "/opt/app/lib" }));
    const r = resolveLibraries("/opt/app/bin/x", host);
    assert.deepEqual(r.errors, [`libfoo.so.1 (needed by /opt/app/bin/x): not found in RUNPATH /opt/app/lib, /etc/ld.so.cache or ${TRIPLET_DIRS}`]);
    assert.deepEqual(libraries(r), ["/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  test("RUNPATH is searched before the cache, the cache before the default directories", () => {
    const host = debian()
      .file("/opt/own/libm.so.6", lib("libm.so.6"))
      .file("/usr/lib/x86_64-linux-gnu/libextra.so", lib("libextra.so"))
      .file("/opt/p", prog(["libm.so.6", "libextra.so", "libc.so.6"], { runpath: "/opt/own" }));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p", host))), ["/opt/own/libm.so.6", "/lib/x86_64-linux-gnu/libextra.so", "/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  test("a library of another class or machine is skipped, as ld.so skips it", () => {
    const host = debian()
      .file("/opt/app/lib/libfoo.so.1", lib("libfoo.so.1", [], { class: 32, machine: EM_386 }))
      .file("/opt/app/lib2/libfoo.so.1", lib("libfoo.so.1", [], { machine: EM_AARCH64 }))
      .file("/usr/lib/x86_64-linux-gnu/libfoo.so.1", lib("libfoo.so.1"))
      .file("/opt/app/x", prog(["libfoo.so.1"], { runpath: "/opt/app/lib:/opt/app/lib2" }));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/app/x", host))), ["/lib/x86_64-linux-gnu/libfoo.so.1"]);
    host.file("/usr/lib/x86_64-linux-gnu/libfoo.so.1", lib("libfoo.so.1", [], { class: 32, machine: EM_386 }));
    assert.deepEqual(resolveLibraries("/opt/app/x", host).errors, [
      `libfoo.so.1 (needed by /opt/app/x): not found in RUNPATH /opt/app/lib, /opt/app/lib2, /etc/ld.so.cache or ${TRIPLET_DIRS}; skipped /opt/app/lib/libfoo.so.1 (ELF32 little-endian i386), /opt/app/lib2/libfoo.so.1 (ELF64 little-endian AArch64), /lib/x86_64-linux-gnu/libfoo.so.1 (ELF32 little-endian i386), /usr/lib/x86_64-linux-gnu/libfoo.so.1 (ELF32 little-endian i386)`,
    ]);
  });

  test("cache entries of another ABI are ignored; a 32-bit program gets its own", () => {
    const host = debian()
      .file("/usr/lib/i386-linux-gnu/libq.so.1", lib("libq.so.1", [], { class: 32, machine: EM_386 }))
      .file("/usr/lib/x86_64-linux-gnu/libq.so.1", lib("libq.so.1"))
      .file("/usr/lib/i386-linux-gnu/ld-linux.so.2", lib("ld-linux.so.2", [], { class: 32, machine: EM_386 }))
      .file("/etc/ld.so.cache", buildLdCache([{ name: "libq.so.1", path: "/lib/i386-linux-gnu/libq.so.1", flags: 0x0003 }]))
      .file("/opt/p64", prog(["libq.so.1"]))
      .file("/opt/p32", buildElf({ class: 32, machine: EM_386, interp: "/lib/i386-linux-gnu/ld-linux.so.2", needed: ["libq.so.1"] }));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p64", host))), ["/lib/x86_64-linux-gnu/libq.so.1"]);
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p32", host))), ["/lib/i386-linux-gnu/libq.so.1"]);
  });

  test("a file that is not ELF ends the search with an error (ld.so: invalid ELF header)", () => {
    const host = debian()
      .file("/opt/app/lib/libc.so.6", "/* GNU ld script */\nGROUP ( libc.so.6 )\n")
      .file("/opt/app/lib/libbad.so", lib("libbad.so", ["libc.so.6"]).subarray(0, 100))
      .file("/opt/a", prog(["libc.so.6"], { runpath: "/opt/app/lib" }))
      .file("/opt/b", prog(["libbad.so"], { runpath: "/opt/app/lib" }));
    assert.deepEqual(resolveLibraries("/opt/a", host).errors, ["libc.so.6 (needed by /opt/a): /opt/app/lib/libc.so.6: not an ELF file (a GNU ld script)"]);
    assert.match(resolveLibraries("/opt/b", host).errors[0] ?? "", /^libbad\.so \(needed by \/opt\/b\): \/opt\/app\/lib\/libbad\.so: truncated /);
  });

  test("executables cannot be loaded as libraries", () => {
    const host = debian()
      .file("/opt/l/libexec.so", lib("libexec.so", [], { type: ET_EXEC }))
      .file("/opt/l/libpie.so", lib("libpie.so", [], { flags1: DF_1_PIE }))
      .file("/opt/p", prog(["libexec.so", "libpie.so"], { runpath: "/opt/l" }));
    assert.deepEqual(resolveLibraries("/opt/p", host).errors, [
      "libexec.so (needed by /opt/p): /opt/l/libexec.so: cannot dynamically load executable",
      "libpie.so (needed by /opt/p): /opt/l/libpie.so: cannot dynamically load position-independent executable",
    ]);
  });

  test("DT_NEEDED with a slash is a path, after $ORIGIN expansion", () => {
    const host = debian()
      .file("/opt/app/libabs.so", lib("libabs.so"))
      .file("/opt/app/bin/libo.so", lib("libo.so"))
      .file("/opt/app/bin/p", prog(["/opt/app/libabs.so", "$ORIGIN/libo.so", "/opt/app/missing.so"]));
    const r = resolveLibraries("/opt/app/bin/p", host);
    assert.deepEqual(libraries(r), ["/opt/app/libabs.so", "/opt/app/bin/libo.so"]);
    assert.deepEqual(r.errors, ["/opt/app/missing.so (needed by /opt/app/bin/p): /opt/app/missing.so: no such file or directory"]);
  });

  test("one file reached by two paths: both are opened, so both are listed", () => {
    const host = debian().file("/opt/p", prog(["libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"]));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p", host))), ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  test("CPU-specific builds in glibc-hwcaps subdirectories are bound beside the baseline", () => {
    const host = debian()
      .file("/opt/l/glibc-hwcaps/x86-64-v3/libfoo.so.1", lib("libfoo.so.1", ["libvec.so"], { runpath: "$ORIGIN/../.." }))
      .file("/opt/l/libfoo.so.1", lib("libfoo.so.1"))
      .file("/opt/l/libvec.so", lib("libvec.so"))
      .file("/opt/p", prog(["libfoo.so.1"], { runpath: "/opt/l" }));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/p", host))), ["/opt/l/glibc-hwcaps/x86-64-v3/libfoo.so.1", "/opt/l/libfoo.so.1", "/opt/l/glibc-hwcaps/x86-64-v3/../../libvec.so"]);
  });

  test("DF_1_NODEFLIB keeps the search out of the default directories", () => {
    const host = debian()
      .file("/opt/only-cache/libq.so", lib("libq.so"))
      .file(
        "/etc/ld.so.cache",
        buildLdCache([
          { name: "libm.so.6", path: "/lib/x86_64-linux-gnu/libm.so.6", flags: X86_64_LIBC6 },
          { name: "libq.so", path: "/opt/only-cache/libq.so", flags: X86_64_LIBC6 },
        ]),
      )
      .file("/opt/p", prog(["libq.so", "libm.so.6"], { flags1: DF_1_PIE | DF_1_NODEFLIB }));
    const r = resolveLibraries("/opt/p", host);
    assert.deepEqual(libraries(r), ["/opt/only-cache/libq.so"]);
    assert.deepEqual(r.errors, ["libm.so.6 (needed by /opt/p): not found in /etc/ld.so.cache (outside the default directories: DF_1_NODEFLIB)"]);
  });

  test("without a cache the default directories are searched, and no cache is listed", () => {
    const host = debian().file("/opt/p", prog(["libm.so.6"]));
    host.file("/etc/ld.so.cache", "garbage that is not a cache");
    assert.deepEqual(lines(ok(resolveLibraries("/opt/p", host))), [
      "binary /opt/p",
      `interpreter ${LD}`,
      "ld.so.cache /etc/ld.so.cache", // ld.so still opens it
      "library /lib/x86_64-linux-gnu/libm.so.6",
      "library /lib/x86_64-linux-gnu/libc.so.6",
    ]);
    const r = resolveLibraries("/opt/p", host, { ldCachePath: "/etc/none.cache" });
    assert.ok(!r.files.some((f) => f.reason === "ld.so.cache"));
    assert.deepEqual(libraries(r), ["/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6"]);
  });

  test("a lib64 (Fedora-like) host: /lib64, /usr/lib64 and $LIB = lib64", () => {
    const host = new FakeHost()
      .symlink("/lib64", "usr/lib64")
      .file("/usr/lib64/ld-linux-x86-64.so.2", lib("ld-linux-x86-64.so.2"))
      .file("/usr/lib64/libc.so.6", lib("libc.so.6", ["ld-linux-x86-64.so.2"]))
      .file("/opt/lib64/libz.so", lib("libz.so"))
      .file("/opt/p", prog(["libc.so.6", "libz.so", "libnone.so"], { runpath: "/opt/$LIB" }));
    const r = resolveLibraries("/opt/p", host);
    assert.deepEqual(libraries(r), ["/lib64/libc.so.6", "/opt/lib64/libz.so"]);
    assert.deepEqual(r.errors, ["libnone.so (needed by /opt/p): not found in RUNPATH /opt/lib64 or /lib64, /usr/lib64"]);
  });

  test("options fix the default directories, $LIB and $PLATFORM", () => {
    const host = debian()
      .file("/custom/libz.so", lib("libz.so"))
      .file("/opt/L/P/liby.so", lib("liby.so"))
      .file("/opt/p", prog(["libz.so", "liby.so"], { runpath: "/opt/$LIB/$PLATFORM" }));
    const r = ok(resolveLibraries("/opt/p", host, { defaultDirs: ["/custom"], lib: "L", platform: "P" }));
    assert.deepEqual(libraries(r), ["/custom/libz.so", "/opt/L/P/liby.so"]);
  });
});

describe("LD_LIBRARY_PATH (LibraryPath grants) and dlopen'ed modules (Library grants)", () => {
  test("LD_LIBRARY_PATH comes after DT_RPATH and before DT_RUNPATH, ahead of the cache and the defaults", () => {
    const host = debian()
      .file("/opt/rpath/libr.so", lib("libr.so"))
      .file("/opt/llp/libr.so", lib("libr.so"))
      .file("/opt/llp/libq.so", lib("libq.so"))
      .file("/opt/runpath/libq.so", lib("libq.so"))
      .file("/opt/llp/libm.so.6", lib("libm.so.6"))
      .file("/opt/old", prog(["libr.so", "libm.so.6"], { rpath: "/opt/rpath" }))
      .file("/opt/new", prog(["libq.so"], { runpath: "/opt/runpath" }));
    const libraryPath = ["/opt/none", "/opt/llp"];
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/old", host, { libraryPath }))), ["/opt/rpath/libr.so", "/opt/llp/libm.so.6"], "RPATH first, then LD_LIBRARY_PATH before the cache");
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/new", host, { libraryPath }))), ["/opt/llp/libq.so"], "LD_LIBRARY_PATH before RUNPATH");
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/new", host))), ["/opt/runpath/libq.so"], "without it, RUNPATH");
    const r = resolveLibraries("/opt/new", host, { libraryPath });
    assert.ok(r.searchedDirs.includes("/opt/none") && r.searchedDirs.includes("/opt/llp"), "every LD_LIBRARY_PATH directory is a searched directory");
  });

  test("a library found only through LD_LIBRARY_PATH, and the error that names it when absent", () => {
    const host = debian()
      .file("/opt/app/lib/libapp.so", lib("libapp.so", ["libc.so.6"]))
      .file("/opt/app/bin/app", prog(["libapp.so", "libc.so.6"]));
    assert.deepEqual(libraries(ok(resolveLibraries("/opt/app/bin/app", host, { libraryPath: ["/opt/app/lib"] }))), ["/opt/app/lib/libapp.so", "/lib/x86_64-linux-gnu/libc.so.6"]);
    const missing = resolveLibraries("/opt/app/bin/app", host, { libraryPath: ["/opt/other"] });
    assert.match(missing.errors.join("\n"), /libapp\.so \(needed by \/opt\/app\/bin\/app\): not found in LD_LIBRARY_PATH \/opt\/other, \/etc\/ld\.so\.cache or /);
  });

  test("a module is mapped into the program's process with its DT_NEEDED closure", () => {
    const host = debian()
      .file("/usr/lib/x86_64-linux-gnu/libssl.so.3", lib("libssl.so.3", ["libcrypto.so.3", "libc.so.6"]))
      .file("/usr/lib/x86_64-linux-gnu/libcrypto.so.3", lib("libcrypto.so.3", ["libc.so.6"]))
      .file("/usr/lib/python3.11/lib-dynload/_ssl.so", lib("_ssl.so", ["libssl.so.3", "libcrypto.so.3", "libc.so.6"]), 0o644)
      .file("/usr/bin/python3.11", prog(["libm.so.6", "libc.so.6"]));
    const r = ok(resolveLibraries("/usr/bin/python3.11", host, { modules: ["/usr/lib/python3.11/lib-dynload/_ssl.so"] }));
    assert.deepEqual(lines(r).slice(-3), ["module /usr/lib/python3.11/lib-dynload/_ssl.so", "library /lib/x86_64-linux-gnu/libssl.so.3", "library /lib/x86_64-linux-gnu/libcrypto.so.3"]);
    assert.deepEqual(r.unplacedModules, []);
    assert.ok(
      r.edges.some((e) => e.from === "/usr/lib/python3.11/lib-dynload/_ssl.so" && e.name === "libcrypto.so.3"),
      "who needs what is recorded",
    );
  });

  test("a module that no loader can map: not a shared object, another ABI, a static program", () => {
    const host = debian()
      .file("/opt/m/text.so", "not an ELF file\n")
      .file("/opt/m/i386.so", lib("i386.so", [], { class: 32, machine: EM_386 }))
      .file("/opt/m/pie", prog(["libc.so.6"]))
      .file("/opt/app", prog(["libc.so.6"]))
      .file("/opt/static", buildElf({ type: ET_EXEC }));
    const r = resolveLibraries("/opt/app", host, { modules: ["/opt/m/text.so", "/opt/m/i386.so", "/opt/m/pie"] });
    assert.equal(r.errors.length, 3, r.errors.join("\n"));
    assert.match(r.errors[0]!, /^\/opt\/m\/text\.so \(a Library grant, loaded by \/opt\/app\): /);
    assert.match(r.errors[1]!, /cannot be loaded by \/opt\/app/);
    assert.match(r.errors[2]!, /cannot dynamically load position-independent executable/);
    const s = resolveLibraries("/opt/static", host, { modules: ["/opt/m/i386.so"] });
    assert.deepEqual(s.unplacedModules, ["/opt/m/i386.so"], "left to the caller");
  });
});

describe("#! scripts", () => {
  test("a chain of interpreters, each recorded with who needs it", () => {
    const host = debian().file("/opt/s1", "#!/opt/s2 -x\necho\n").file("/opt/s2", "#! /bin/sh\n");
    const r = ok(resolveLibraries("/opt/s1", host));
    assert.deepEqual(r.files.slice(0, 4), [
      { path: "/opt/s1", reason: "binary" },
      { path: "/opt/s2", reason: "shebang", requiredBy: "/opt/s1", name: "/opt/s2" },
      { path: "/bin/sh", reason: "shebang", requiredBy: "/opt/s2", name: "/bin/sh" },
      { path: LD, reason: "interpreter", requiredBy: "/bin/sh", name: LD },
    ]);
    assert.deepEqual(libraries(r), ["/lib/x86_64-linux-gnu/libc.so.6"]);
    assert.equal(r.isStatic, false);
  });

  test("the kernel follows at most four #! levels", () => {
    const host = debian();
    for (let i = 1; i <= 5; i++) host.file(`/opt/s${i}`, `#!/opt/s${i + 1}\n`);
    host.file("/opt/s6", "#!/bin/sh\n");
    assert.deepEqual(ok(resolveLibraries("/opt/s3", host)).errors, []);
    assert.deepEqual(resolveLibraries("/opt/s2", host).errors, ["/opt/s6: too many levels of #! interpreters (the kernel follows at most 4)"]);
  });

  test("bad #! lines", () => {
    const host = debian()
      .file("/opt/empty", "#!   \n")
      .file("/opt/rel", "#!bin/sh\n")
      .file("/opt/missing", "#!/usr/bin/perl -w\n")
      .file("/opt/long", `#!/${"x".repeat(300)}\n`);
    assert.deepEqual(resolveLibraries("/opt/empty", host).errors, ["/opt/empty: #! line has no interpreter"]);
    assert.deepEqual(resolveLibraries("/opt/rel", host).errors, ["bin/sh (#! interpreter of /opt/rel): not an absolute path (it would depend on the working directory)"]);
    assert.deepEqual(resolveLibraries("/opt/missing", host).errors, ["/usr/bin/perl (#! interpreter of /opt/missing): no such file or directory"]);
    assert.deepEqual(resolveLibraries("/opt/long", host).errors, ["/opt/long: #! line is longer than 255 bytes and cuts off the interpreter path"]);
  });

  test("#!/usr/bin/env python3 runs python3 from execvp's default PATH", () => {
    const host = debian()
      .file("/usr/bin/env", prog(["libc.so.6"]))
      .file("/usr/bin/python3", prog(["libm.so.6", "libc.so.6"]))
      .file("/opt/tool.py", "#!/usr/bin/env python3\nprint(1)\n");
    const r = ok(resolveLibraries("/opt/tool.py", host));
    assert.deepEqual(lines(r), [
      "binary /opt/tool.py",
      "shebang /usr/bin/env",
      `interpreter ${LD}`,
      "ld.so.cache /etc/ld.so.cache",
      "library /lib/x86_64-linux-gnu/libc.so.6",
      "shebang /bin/python3",
      "library /lib/x86_64-linux-gnu/libm.so.6",
    ]);
    assert.deepEqual(r.files[5], { path: "/bin/python3", reason: "shebang", requiredBy: "/opt/tool.py", name: "python3" });
  });

  test("env -S splits its argument; without -S the rest of the line is one name", () => {
    const host = debian()
      .file("/usr/bin/env", prog(["libc.so.6"]))
      .file("/usr/bin/python3", prog(["libc.so.6"]))
      .file("/opt/split", "#!/usr/bin/env -S python3 -u\n")
      .file("/opt/nosplit", "#!/usr/bin/env python3 -u\n")
      .file("/opt/nothing", "#!/usr/bin/env nosuch\n");
    assert.ok(ok(resolveLibraries("/opt/split", host)).files.some((f) => f.path === "/bin/python3"));
    assert.deepEqual(resolveLibraries("/opt/nosplit", host).errors, [
      "python3 -u (run by /usr/bin/env for /opt/nosplit): not found in PATH /bin:/usr/bin (Linux passes the rest of a #! line as one argument; use env -S to split it)",
    ]);
    assert.deepEqual(resolveLibraries("/opt/nothing", host).errors, ["nosuch (run by /usr/bin/env for /opt/nothing): not found in PATH /bin:/usr/bin"]);
  });

  test("the env search path is an option", () => {
    const host = debian()
      .file("/usr/bin/env", prog(["libc.so.6"]))
      .file("/usr/local/bin/tool", buildElf({ type: ET_EXEC }))
      .file("/opt/s", "#!/usr/bin/env tool\n");
    assert.equal(resolveLibraries("/opt/s", host).errors.length, 1);
    const r = ok(resolveLibraries("/opt/s", host, { envPath: ["/usr/local/bin", "/usr/bin", "/bin"] }));
    assert.ok(r.files.some((f) => f.path === "/usr/local/bin/tool" && f.reason === "shebang"));
  });

  test("env runs a file without #! through /bin/sh, as execvp does", () => {
    const host = debian()
      .file("/usr/bin/env", prog(["libc.so.6"]))
      .file("/usr/bin/legacy", "echo no shebang here\n", 0o755)
      .file("/opt/s", "#!/usr/bin/env legacy\n");
    const r = ok(resolveLibraries("/opt/s", host));
    assert.deepEqual(
      r.files.filter((f) => f.reason === "shebang").map((f) => f.path),
      ["/usr/bin/env", "/bin/legacy", "/bin/sh"],
    );
  });
});

describe("pieces", () => {
  test("parseShebang follows binfmt_script", () => {
    const p = (s: string) => parseShebang(new TextEncoder().encode(s));
    assert.deepEqual(p("#!/bin/sh\n"), { interpreter: "/bin/sh" });
    assert.deepEqual(p("#! \t/usr/bin/env  python3 -u \t\nrest"), { interpreter: "/usr/bin/env", arg: "python3 -u" });
    assert.deepEqual(p("#!/bin/sh"), { interpreter: "/bin/sh" }); // no newline, short file
    assert.deepEqual(p("#!/bin/sh\0ignored\n"), { interpreter: "/bin/sh" });
    // A long argument is cut at 255 bytes, but the interpreter path is whole.
    const long = p(`#!/bin/sh ${"a".repeat(400)}`);
    assert.ok("arg" in long && long.arg?.length === 255 - "#!/bin/sh ".length);
    assert.ok("error" in p(`#!/${"x".repeat(254)}`));
  });

  test("envCommand", () => {
    assert.deepEqual(envCommand("python3"), { command: "python3" });
    assert.deepEqual(envCommand("-S python3 -u"), { command: "python3" });
    assert.deepEqual(envCommand("-S -i A=1 -u HOME node --flag"), { command: "node" });
    assert.deepEqual(envCommand("--split-string=perl -w"), { command: "perl" });
    assert.deepEqual(envCommand("-i"), { none: true });
    assert.ok("error" in envCommand("-S 'quoted arg'"));
    assert.ok("error" in envCommand("--frobnicate"));
  });

  test("expandDst", () => {
    const v = { ORIGIN: "/o", LIB: "lib64" };
    assert.equal(expandDst("$ORIGIN/../lib", v), "/o/../lib");
    assert.equal(expandDst(`${BRACED_ORIGIN}/x:$LIB`, v), "/o/x:lib64");
    assert.equal(expandDst("$ORIGINAL/x", v), "$ORIGINAL/x");
    assert.equal(expandDst("/a/$PLATFORM", v), undefined);
    assert.equal(expandDst("/a/${LIB", v), "/a/${LIB");
    assert.equal(expandDst("cost$5", v), "cost$5");
  });
});
