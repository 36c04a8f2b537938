/**
 * End-to-end: `void pack` embeds examples/fib's spec in a copy of
 * examples/fib/fib; `void run` and `void check` without -s use it, for a
 * root and an unprivileged launcher; a packed binary that was changed
 * afterwards, or lost its section, starts nothing (exit 2); `strip` keeps
 * the section and the spec still verifies; the packed binary still runs
 * normally outside void. The example is built by examples/build.sh and
 * copied into the stage so the unprivileged uid can read it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PACK_HEADER_SIZE, SECTION_NAME } from "../../src/plan/pack.js";
import { launchers, makeStage, repoRoot, runVoid, type Stage, writeSpec } from "./harness.js";

const hasTool = (tool: string) => spawnSync(tool, ["--version"]).status === 0;
const haveStrip = hasTool("strip");
const haveReadelf = hasTool("readelf");

let stage: Stage;
let fib: string;
let spec: string;
let packed: string;
const files: Record<"codeTampered" | "specTampered" | "stripped" | "sectionRemoved", string> = { codeTampered: "", specTampered: "", stripped: "", sectionRemoved: "" };

/** Offset and size of a section, from readelf -S -W. */
function section(file: string, name: string): { offset: number; size: number } | undefined {
  const out = spawnSync("readelf", ["-S", "-W", file], { encoding: "utf8" }).stdout;
  for (const line of out.split("\n")) {
    const m = line.match(/\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/);
    if (m?.[1] === name) return { offset: parseInt(m[2]!, 16), size: parseInt(m[3]!, 16) };
  }
  return undefined;
}

function variant(name: string, edit: (bytes: Uint8Array) => void): string {
  const path = join(stage.dir, name);
  const bytes = new Uint8Array(readFileSync(packed));
  edit(bytes);
  writeFileSync(path, bytes);
  chmodSync(path, 0o755);
  return path;
}

function stripped(name: string, args: string[]): string {
  const path = join(stage.dir, name);
  copyFileSync(packed, path);
  const r = spawnSync("strip", [...args, path], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  chmodSync(path, 0o755);
  return path;
}

before(() => {
  stage = makeStage();
  fib = join(stage.dir, "fib");
  copyFileSync(join(repoRoot, "examples", "fib", "fib"), fib);
  chmodSync(fib, 0o755);
  spec = join(stage.dir, "fib.json");
  copyFileSync(join(repoRoot, "examples", "fib", "spec.json"), spec);
  chmodSync(spec, 0o644);
  packed = join(stage.dir, "fib.packed");
  // The launcher of this run (root, or this user) owns the stage and can write to it.
  const r = runVoid(stage, launchers[0]!, ["pack", fib, "-s", spec, "-o", packed]);
  assert.equal(r.status, 0, r.stderr);
  if (haveReadelf) {
    const text = section(packed, ".text")!;
    files.codeTampered = variant("fib.code-tampered", (b) => {
      b[text.offset + Math.floor(text.size / 2)]! ^= 0xff;
    });
    const own = section(packed, SECTION_NAME)!;
    files.specTampered = variant("fib.spec-tampered", (b) => {
      // "Stdout" -> "Stdouu": still a well-formed JSON string.
      const at = Buffer.from(b.subarray(own.offset)).indexOf("Stdout") + own.offset;
      assert.ok(at > own.offset + PACK_HEADER_SIZE);
      b[at + 5] = "u".charCodeAt(0);
    });
  }
  if (haveStrip) {
    files.stripped = stripped("fib.stripped", ["--strip-all"]);
    files.sectionRemoved = stripped("fib.section-removed", ["--remove-section", SECTION_NAME]);
  }
});
after(() => stage.cleanup());

const sha256 = (path: string) => spawnSync("sha256sum", [path], { encoding: "utf8" }).stdout.split(" ")[0];

describe("void pack", () => {
  it("writes a copy with a .void.spec section; the original is unchanged; the copy runs normally outside void", () => {
    assert.equal(statSync(packed).mode & 0o777, 0o755);
    assert.ok(statSync(packed).size > statSync(fib).size);
    assert.ok(readFileSync(fib).equals(readFileSync(join(repoRoot, "examples", "fib", "fib"))), "BINARY itself is not modified");
    const r = spawnSync(packed, ["30"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "fib(30) = 832040\n");
  });

  it("writes a new file of its own: an output that is a symlink is replaced, never written through; group and others never get write", () => {
    const victim = join(stage.dir, "pack-victim.txt");
    writeFileSync(victim, "victim\n");
    chmodSync(victim, 0o600);
    const out = join(stage.dir, "fib.symlinked");
    symlinkSync(victim, out);
    const loose = join(stage.dir, "fib.loose");
    copyFileSync(fib, loose);
    chmodSync(loose, 0o777);
    const r = runVoid(stage, launchers[0]!, ["pack", loose, "-s", spec, "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(victim, "utf8"), "victim\n");
    assert.equal(statSync(victim).mode & 0o777, 0o600);
    assert.ok(lstatSync(out).isFile(), "the symlink itself was replaced");
    assert.equal(statSync(out).mode & 0o777, 0o755, "a 0777 input gives a 0755 output");
    assert.deepEqual(
      readdirSync(stage.dir).filter((n) => n.includes(".void-pack-")),
      [],
      "no temporary file left",
    );
  });

  it("binutils see the section: readelf lists it, objcopy dumps the record", { skip: !haveReadelf || !hasTool("objcopy") }, () => {
    const s = section(packed, SECTION_NAME);
    assert.ok(s !== undefined && s.size === PACK_HEADER_SIZE + readFileSync(spec).length);
    const dump = join(stage.dir, "dump.bin");
    const r = spawnSync("objcopy", ["--dump-section", `${SECTION_NAME}=${dump}`, packed, join(stage.dir, "objcopy-out")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const record = readFileSync(dump);
    assert.equal(record.subarray(0, 8).toString(), "VOIDSPEC");
    assert.ok(record.subarray(PACK_HEADER_SIZE).equals(readFileSync(spec)));
  });

  it("refuses an invalid spec, a file that is not ELF, and a missing -o, with exit 2", () => {
    const bad = writeSpec(stage, "bad-pack", { entrypoints: { fib: { args: ["BinaryNme"] } } });
    const r1 = runVoid(stage, launchers[0]!, ["pack", fib, "-s", bad, "-o", join(stage.dir, "never")]);
    assert.equal(r1.status, 2);
    assert.match(r1.stderr, /bad-pack\.json: error: entrypoints\.fib\.args\[0\]: unknown variant "BinaryNme"/);
    const r2 = runVoid(stage, launchers[0]!, ["pack", spec, "-s", spec, "-o", join(stage.dir, "never")]);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /cannot embed a spec: not an ELF file/);
    const r3 = runVoid(stage, launchers[0]!, ["pack", fib, "-s", spec]);
    assert.equal(r3.status, 2);
    assert.match(r3.stderr, /required option '-o, --output <file>'/);
  });
});

for (const launcher of launchers) {
  describe(`a packed binary (${launcher} launcher)`, () => {
    it("void run without -s uses the embedded spec", () => {
      const r = runVoid(stage, launcher, ["run", packed, "30"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "fib(30) = 832040\n");
    });

    it("void check shows the embedded spec and its SHA-256", () => {
      const r = runVoid(stage, launcher, ["check", packed, "30"]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`${packed} (embedded spec, sha256 ${sha256(spec)}): valid; 1 entrypoint(s)`), r.stdout);
      const j = runVoid(stage, launcher, ["check", "--json", packed]);
      assert.equal(j.status, 0, j.stderr);
      const report = JSON.parse(j.stdout);
      assert.equal(report.spec, null);
      assert.equal(report.embeddedSpec.sha256, sha256(spec));
    });

    it("a runtime spec re-parameterises the embedded spec, never widens it; -s still wins", () => {
      const narrow = writeSpec(stage, `narrow-${launcher}`, { entrypoints: { fib: { args: ["BinaryName", "Trailing"], environment: [] } } });
      const r = runVoid(stage, launcher, ["run", "--runtime", narrow, packed, "30"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "", "Stdout dropped by the runtime spec");
      const wide = writeSpec(stage, `wide-${launcher}`, { entrypoints: { fib: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr"] } } });
      const w = runVoid(stage, launcher, ["run", "--runtime", wide, packed, "30"]);
      assert.equal(w.status, 2);
      assert.match(w.stderr, /widens the compile-time spec: a new grant "Stderr"/);
      const quiet = writeSpec(stage, `quiet-${launcher}`, { entrypoints: { fib: { args: ["BinaryName", "Trailing"] } } });
      const s = runVoid(stage, launcher, ["run", "-s", quiet, packed, "30"]);
      assert.equal(s.status, 0, s.stderr);
      assert.equal(s.stdout, "");
    });

    it("a binary without an embedded spec: a clear error, exit 2", () => {
      const r = runVoid(stage, launcher, ["run", fib, "30"]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `void: error: ${fib} has no embedded spec: pass -s SPEC, or embed one with void pack\n`);
      const c = runVoid(stage, launcher, ["check", fib]);
      assert.equal(c.status, 2);
      assert.match(c.stderr, /has no embedded spec/);
    });

    it("changed code or a changed spec after packing: named, exit 2, nothing started", { skip: !haveReadelf }, () => {
      const code = runVoid(stage, launcher, ["run", files.codeTampered, "30"]);
      assert.equal(code.status, 2);
      assert.equal(code.stdout, "");
      assert.match(code.stderr, /^void: error: .*fib\.code-tampered: the program was modified after packing: .*\(nothing was started; if the change is yours, pack the binary again\)\n$/);
      const spec = runVoid(stage, launcher, ["run", files.specTampered, "30"]);
      assert.equal(spec.status, 2);
      assert.equal(spec.stdout, "");
      assert.match(spec.stderr, /fib\.spec-tampered: the embedded spec was modified after packing: its SHA-256 no longer matches/);
      const check = runVoid(stage, launcher, ["check", files.specTampered]);
      assert.equal(check.status, 2);
      assert.match(check.stderr, /the embedded spec was modified after packing/);
    });

    it("strip --strip-all keeps .void.spec and it still verifies; removing the section leaves no embedded spec", { skip: !haveStrip }, () => {
      assert.ok(statSync(files.stripped).size < statSync(packed).size, "strip removed the symbols");
      const r = runVoid(stage, launcher, ["run", files.stripped, "20"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "fib(20) = 6765\n");
      const gone = runVoid(stage, launcher, ["run", files.sectionRemoved, "20"]);
      assert.equal(gone.status, 2);
      assert.match(gone.stderr, /fib\.section-removed has no embedded spec: pass -s SPEC, or embed one with void pack/);
    });
  });
}
