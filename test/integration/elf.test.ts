/**
 * Libraries found by reading ELF files: real dynamic programs run voided
 * with no library in their spec, for root and unprivileged launchers.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, runVoid, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
before(() => {
  stage = makeStage();
});
after(() => stage.cleanup());

const python = "/usr/bin/python3";
const pythonLib = (): string | undefined => {
  const r = spawnSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8", env: {} });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

for (const launcher of launchers) {
  describe(`dynamic programs with no library in the spec (${launcher} launcher)`, () => {
    const stdout = { entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr"] } } };

    it("/bin/ls / lists only what the void holds", () => {
      const r = runVoid(stage, launcher, ["run", "-s", writeSpec(stage, `ls-${launcher}`, stdout), "/bin/ls", "/"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), ["bin", "dev", "etc", "lib", "lib64", "usr"]);
    });

    it("node -e runs", () => {
      const r = runVoid(stage, launcher, ["run", "-s", writeSpec(stage, `node-${launcher}`, stdout), process.execPath, "-e", "console.log(require('os').hostname(), 6 * 7)"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "void 42\n");
    });

    it("python3 -c runs (its standard library bound as a directory)", { skip: !existsSync(python) && "no /usr/bin/python3" }, () => {
      const lib = pythonLib();
      assert.ok(lib, "python3 reports its stdlib");
      const spec = { entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", { Filesystem: { host_path: lib, environment_path: lib } }] } } };
      const r = runVoid(stage, launcher, ["run", "-s", writeSpec(stage, `py-${launcher}`, spec), python, "-c", "import socket; print(socket.gethostname(), 6 * 7)"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "void 42\n");
    });

    it("a #! script runs with its interpreter found for it", () => {
      const script = join(stage.dir, `script-${launcher}.sh`);
      writeFileSync(script, '#!/bin/sh\necho from a script: $0 "$@"\n');
      chmodSync(script, 0o755);
      const r = runVoid(stage, launcher, ["run", "-s", writeSpec(stage, `sh-${launcher}`, stdout), script, "a"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `from a script: ${script} a\n`);
    });

    it("the original's specs that hard-code libc binds still run: the binds merge", () => {
      const spec = {
        entrypoints: {
          main: {
            args: ["BinaryName", "Trailing"],
            environment: [
              "Stdout",
              { Filesystem: { host_path: "/lib/x86_64-linux-gnu/libc.so.6", environment_path: "/lib/x86_64-linux-gnu/libc.so.6" } },
              { Filesystem: { host_path: "/lib64/ld-linux-x86-64.so.2", environment_path: "/lib64/ld-linux-x86-64.so.2" } },
            ],
          },
        },
      };
      const r = runVoid(stage, launcher, ["run", "-s", writeSpec(stage, `libc-${launcher}`, spec), "/bin/ls", "/"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usr$/m);
    });
  });
}

describe("a missing library is an error before anything starts", () => {
  it("names the library, who needs it and where it was looked for", () => {
    const dir = join(stage.dir, "missing-lib");
    spawnSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "gone.c"), "int gone(void) { return 1; }\n");
    writeFileSync(join(dir, "main.c"), "int gone(void);\nint main(void) { return gone(); }\n");
    let r = spawnSync("gcc", ["-shared", "-fPIC", "-o", join(dir, "libgone.so"), join(dir, "gone.c")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    r = spawnSync("gcc", ["-o", join(dir, "main"), join(dir, "main.c"), `-L${dir}`, "-lgone", `-Wl,-rpath,${dir}`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    rmSync(join(dir, "libgone.so"));
    spawnSync("chmod", ["-R", "a+rX", dir]);
    const v = runVoid(stage, launchers[0]!, ["run", "-s", writeSpec(stage, "missing-lib", { entrypoints: { main: {} } }), join(dir, "main")]);
    assert.equal(v.status, 2);
    assert.match(v.stderr, /libgone\.so/);
    assert.match(v.stderr, new RegExp(`needed by ${join(dir, "main")}`));
  });
});
