/**
 * End-to-end: the gzip examples (examples/gzip, examples/gzip-void), for a
 * root and an unprivileged launcher. An unmodified /bin/gzip in a void
 * with only stdin and stdout writes exactly what it writes outside one;
 * vgzip, handed its input as an fd and nothing else, writes a gzip stream
 * that decompresses to that input. The examples are built by
 * examples/build.sh and copied into the stage so the unprivileged uid can
 * read them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { launchers, makeStage, repoRoot, runVoidBinary, type Stage, scratch } from "./harness.js";

/** ~400 KiB of text, deterministic, compressible but not trivially so. */
function sampleData(): Buffer {
  const words = ["void", "spec", "entrypoint", "namespace", "pipe", "socket", "trigger", "grant", "mount", "seccomp", "launcher", "gzip"];
  let x = 0x2545f491;
  const next = (): number => {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 400 * 1024; i++) {
    const n = 3 + (next() % 10);
    const line = `${i} ${Array.from({ length: n }, () => words[next() % words.length]).join(" ")} ${next().toString(16)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

/** Runs a host command normally (outside any void) on bytes. */
function host(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

let stage: Stage;
let examples: string;
const data = sampleData();
let dataFile: string;

before(() => {
  stage = makeStage();
  examples = join(stage.dir, "examples");
  cpSync(join(repoRoot, "examples"), examples, { recursive: true });
  chmodSync(examples, 0o755);
  dataFile = join(scratch(stage, "gzip"), "input.txt");
  writeFileSync(dataFile, data);
  chmodSync(dataFile, 0o644);
});
after(() => stage.cleanup());

const ex = (name: string, file: string) => join(examples, name, file);

for (const launcher of launchers) {
  describe(`gzip examples (${launcher} launcher)`, () => {
    it("unmodified /bin/gzip -c -n in a void writes exactly what it writes outside one", () => {
      const r = runVoidBinary(stage, launcher, ["run", "-s", ex("gzip", "spec.json"), "/bin/gzip", "-c", "-n"], { input: data });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.length > 0 && r.stdout.length < data.length, `compressed ${data.length} bytes to ${r.stdout.length}`);
      assert.ok(r.stdout.equals(host("/bin/gzip", ["-c", "-n"], data)), "byte-identical to gzip -c -n run normally");
      assert.ok(host("gunzip", ["-c"], r.stdout).equals(data), "gunzip round trip");
    });

    it("/bin/gzip -dc in a void decompresses; a file argument cannot be opened", () => {
      const packed = host("/bin/gzip", ["-c", "-n"], data);
      const d = runVoidBinary(stage, launcher, ["run", "-s", ex("gzip", "spec.json"), "/bin/gzip", "-dc"], { input: packed });
      assert.equal(d.status, 0, d.stderr);
      assert.ok(d.stdout.equals(data));
      // The file exists on the host, but not in the void: gzip fails as for a missing file.
      const f = runVoidBinary(stage, launcher, ["run", "-s", ex("gzip", "spec.json"), "/bin/gzip", "-c", dataFile]);
      assert.equal(f.status, 1, f.stderr);
      assert.equal(f.stdout.length, 0);
    });

    it("vgzip: input as a File fd (moved by a runtime spec), output on stdout, decompresses to the input", () => {
      const runtime = JSON.stringify({ entrypoints: { vgzip: { args: ["BinaryName", { File: dataFile }] } } });
      const r = runVoidBinary(stage, launcher, ["run", "-s", ex("gzip-void", "spec.json"), ex("gzip-void", "vgzip")], { env: { VOID_RUNTIME: runtime } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.subarray(0, 2).toString("hex"), "1f8b", "a gzip header");
      assert.ok(r.stdout.length < data.length);
      assert.ok(gunzipSync(r.stdout).equals(data), "node:zlib gunzip");
      assert.ok(host("gunzip", ["-c"], r.stdout).equals(data), "gunzip -c");
    });

    it("vgzip with the example spec as shipped compresses /etc/os-release", () => {
      const r = runVoidBinary(stage, launcher, ["run", "-s", ex("gzip-void", "spec.json"), ex("gzip-void", "vgzip")]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(gunzipSync(r.stdout).toString(), readFileSync("/etc/os-release", "utf8"));
    });
  });
}
