/**
 * Ordinary programs, not written for void, run from a spec alone: scratch
 * space (Tmpfs), a working directory, environment variables set by the
 * spec or passed on from the launcher, and BINARY found in PATH — for a
 * root and an unprivileged launcher, with the host's own sort, env and cp.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { voidUid } from "../../src/plan/plan.js";
import { isRoot, type Launcher, launchers, makeStage, runVoid, type Stage, scratch, UNPRIV_GID, UNPRIV_UID, writeSpec } from "./harness.js";

let stage: Stage;

before(() => {
  stage = makeStage();
});

after(() => {
  stage.cleanup();
});

/** A directory the void of `entrypoint` running `binary` may write: the test uid's, or a root launcher's void uid's. */
function writableFor(launcher: Launcher, dir: string, binary: string, entrypoint: string): void {
  if (launcher === "unprivileged" && isRoot) chownSync(dir, UNPRIV_UID, UNPRIV_GID);
  if (launcher === "root") {
    const id = voidUid(binary, entrypoint);
    chownSync(dir, id, id);
  }
}

for (const launcher of launchers) {
  describe(`ordinary programs (${launcher} launcher)`, () => {
    it("get exactly the environment the spec sets and passes on, nothing of the launcher's else", () => {
      const spec = writeSpec(stage, `env-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName"], environment: ["Stdout", { Env: { LANG: "C.UTF-8", GREETING: "a b=c" } }, { PassEnv: ["TERM", "ABSENT_IN_THE_LAUNCHER"] }] } },
      });
      const r = runVoid(stage, launcher, ["run", "-s", spec, "env"], { env: { TERM: "xterm-test", SECRET: "not-for-the-void" } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "LANG=C.UTF-8\nGREETING=a b=c\nTERM=xterm-test\n");
      const check = runVoid(stage, launcher, ["check", "-s", spec, "env"], { env: { TERM: "xterm-test" } });
      assert.match(check.stdout, /environment +LANG="C.UTF-8" GREETING="a b=c" TERM \(from the launcher\)/);
      assert.match(check.stdout, /exec +(\/usr)?\/bin\/env\n/, "BINARY was found in PATH");
      assert.doesNotMatch(check.stdout, /xterm-test/, "values passed on are not printed");
    });

    it("sort spills to a Tmpfs /tmp and writes its output in its working directory", () => {
      const dir = scratch(stage, `sort-${launcher}`);
      const lines = Array.from({ length: 100_000 }, (_, i) => `${(i * 7919) % 100_000}`);
      writeFileSync(join(dir, "in.txt"), `${lines.join("\n")}\n`);
      writableFor(launcher, dir, "/usr/bin/sort", "main");
      const spec = writeSpec(stage, `sort-${launcher}`, {
        entrypoints: {
          main: {
            args: ["BinaryName", "Trailing"],
            environment: ["Stderr", { Tmpfs: { path: "/tmp", size: "16M" } }, { Filesystem: { host_path: dir, environment_path: "/work", read_only: false } }, { WorkingDirectory: "/work" }],
          },
        },
      });
      // -S 100K: a small buffer, so sort must write temporary files (to /tmp, its default).
      const r = runVoid(stage, launcher, ["run", "-s", spec, "/usr/bin/sort", "-S", "100K", "-n", "-o", "out.txt", "in.txt"]);
      assert.equal(r.status, 0, r.stderr);
      const sorted = [...lines].map(Number).sort((a, b) => a - b);
      assert.equal(readFileSync(join(dir, "out.txt"), "utf8"), `${sorted.join("\n")}\n`);
    });

    it("a Tmpfs holds at most its size, and the root stays read-only", () => {
      const dir = scratch(stage, `full-${launcher}`);
      writeFileSync(join(dir, "big"), Buffer.alloc(256 * 1024, 1));
      const spec = writeSpec(stage, `full-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stderr", { Tmpfs: { path: "/tmp", size: "64K" } }, { Filesystem: { host_path: dir, environment_path: "/in" } }] } },
      });
      const full = runVoid(stage, launcher, ["run", "-s", spec, "/usr/bin/cp", "/in/big", "/tmp/big"]);
      assert.notEqual(full.status, 0);
      assert.match(full.stderr, /No space left on device/);
      const root = runVoid(stage, launcher, ["run", "-s", spec, "/usr/bin/cp", "/in/big", "/big"]);
      assert.match(root.stderr, /Read-only file system/);
    });

    it("an argv of 100,000 arguments reaches the entrypoint whole", () => {
      const spec = writeSpec(stage, `argv-${launcher}`, { entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout"] } } });
      const args = Array.from({ length: 100_000 }, (_, i) => String(i));
      const r = runVoid(stage, launcher, ["run", "-s", spec, "/usr/bin/echo", ...args]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${args.join(" ")}\n`);
    });

    it("-v names every namespace of a void that exits at once, and its mounts", () => {
      const spec = writeSpec(stage, `verbose-${launcher}`, { entrypoints: { main: { args: ["BinaryName"], environment: [{ Tmpfs: { path: "/tmp", size: "1M" } }] } } });
      for (let i = 0; i < 5; i++) {
        const r = runVoid(stage, launcher, ["run", "-v", "-s", spec, "/usr/bin/true"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /namespaces user:\d+ mnt:\d+ pid:\d+ net:\d+ ipc:\d+ uts:\d+ cgroup:\d+( time:\d+)?\n/, r.stderr);
        assert.match(r.stderr, /entrypoint main: mounts \/ \(tmpfs, ro\), .*\/tmp \(tmpfs, rw, 1048576 bytes\)/);
      }
    });

    it("a binary whose RUNPATH uses $ORIGIN finds its library without Procfs", () => {
      const dir = scratch(stage, `origin-${launcher}`);
      mkdirSync(join(dir, "lib"), { recursive: true });
      writeFileSync(join(dir, "lib.c"), "int answer(void) { return 42; }\n");
      writeFileSync(join(dir, "main.c"), '#include <stdio.h>\nint answer(void);\nint main(void) { printf("answer %d\\n", answer()); return 0; }\n');
      const cc = (args: string[]) => assert.equal(spawnSync("gcc", args, { cwd: dir, encoding: "utf8" }).status, 0, args.join(" "));
      cc(["-shared", "-fPIC", "-o", "lib/libanswer.so", "lib.c"]);
      cc(["-o", "main", "main.c", "-Llib", "-lanswer", "-Wl,-rpath,$ORIGIN/lib", "-Wl,--enable-new-dtags"]);
      spawnSync("chmod", ["-R", "a+rX", dir]);
      const spec = writeSpec(stage, `origin-${launcher}`, { entrypoints: { main: { environment: ["Stdout", "Stderr"] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, join(dir, "main")]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "answer 42\n");
    });

    it("a #! script runs the commands its Executable grants name, with their libraries, and no others", () => {
      const dir = scratch(stage, `script-${launcher}`);
      writeFileSync(join(dir, "list.sh"), "#!/bin/sh\nls /data\ncat /data/list.sh >/dev/null || echo no-cat\n");
      writeFileSync(join(dir, "a.txt"), "a\n");
      spawnSync("chmod", ["-R", "a+rX", dir]);
      spawnSync("chmod", ["755", join(dir, "list.sh")]);
      const ls = spawnSync("sh", ["-c", "command -v ls"], { encoding: "utf8" }).stdout.trim();
      const spec = writeSpec(stage, `script-${launcher}`, { entrypoints: { main: { environment: ["Stdout", { Filesystem: { host_path: dir, environment_path: "/data" } }, { Executable: ls }] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, join(dir, "list.sh")]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "a.txt\nlist.sh\nno-cat\n", "ls ran; cat, not granted, is absent");
      const check = runVoid(stage, launcher, ["check", "-s", spec, join(dir, "list.sh")]);
      assert.equal(check.status, 0, check.stderr);
      assert.match(check.stderr, /warning: entrypoints\.main: \S+list\.sh runs cat \(line 3\), which is \S+ on the host but not in the void/);
      assert.doesNotMatch(check.stderr, /runs ls/, "ls is granted");
    });

    it("a program finds a library only through a LibraryPath grant, which sets LD_LIBRARY_PATH to it", () => {
      const dir = scratch(stage, `llp-${launcher}`);
      mkdirSync(join(dir, "lib"), { recursive: true });
      writeFileSync(join(dir, "lib.c"), "int answer(void) { return 42; }\n");
      writeFileSync(join(dir, "main.c"), '#include <stdio.h>\n#include <stdlib.h>\nint answer(void);\nint main(void) { printf("answer %d %s\\n", answer(), getenv("LD_LIBRARY_PATH")); return 0; }\n');
      const cc = (args: string[]) => assert.equal(spawnSync("gcc", args, { cwd: dir, encoding: "utf8" }).status, 0, args.join(" "));
      cc(["-shared", "-fPIC", "-o", "lib/libanswer.so", "lib.c"]);
      cc(["-o", "main", "main.c", "-Llib", "-lanswer"]); // no RUNPATH: only LD_LIBRARY_PATH finds it
      spawnSync("chmod", ["-R", "a+rX", dir]);
      const lib = join(dir, "lib");
      const spec = writeSpec(stage, `llp-${launcher}`, { entrypoints: { main: { environment: ["Stdout", "Stderr", { LibraryPath: lib }] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, join(dir, "main")]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `answer 42 ${lib}\n`);
      const without = writeSpec(stage, `nollp-${launcher}`, { entrypoints: { main: { environment: ["Stdout", "Stderr"] } } });
      const refused = runVoid(stage, launcher, ["run", "-s", without, join(dir, "main")]);
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /libanswer\.so \(needed by \S+main\): not found/);
    });

    it("python3's ssl and sqlite3 work with the standard library bound and Library grants for their modules, without /usr", (t) => {
      const python = "/usr/bin/python3";
      const probe = existsSync(python)
        ? spawnSync(python, ["-c", "import sysconfig, _ssl, _sqlite3; print(sysconfig.get_paths()['stdlib']); print(_ssl.__file__); print(_sqlite3.__file__)"], { encoding: "utf8" })
        : undefined;
      if (probe?.status !== 0) {
        t.skip(`${python} with _ssl and _sqlite3 is not installed`);
        return;
      }
      const [stdlib, ssl, sqlite] = probe.stdout.trim().split("\n") as [string, string, string];
      const bindStdlib = { Filesystem: { host_path: stdlib, environment_path: stdlib } };
      const spec = writeSpec(stage, `python-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", bindStdlib, { Library: ssl }, { Library: sqlite }] } },
      });
      const code = "import ssl, sqlite3; print(ssl.OPENSSL_VERSION.split()[0], sqlite3.connect(':memory:').execute('select 1').fetchone()[0])";
      const r = runVoid(stage, launcher, ["run", "-s", spec, python, "-c", code]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "OpenSSL 1\n");
      const check = runVoid(stage, launcher, ["check", "-s", spec, python]);
      assert.doesNotMatch(check.stdout, /^ +\/usr +bind/m, "not /usr whole");
      assert.doesNotMatch(check.stderr, /module _ssl|module _sqlite3/, "their libraries are bound");
      const bare = writeSpec(stage, `python-bare-${launcher}`, { entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", bindStdlib] } } });
      const advice = runVoid(stage, launcher, ["check", "-s", bare, python]);
      assert.equal(advice.status, 0, advice.stderr);
      assert.ok(advice.stderr.includes(`warning: entrypoints.main: Python's extension module _ssl (${ssl}) needs libssl`), advice.stderr);
      assert.ok(advice.stderr.includes(`grant {"Library": ${JSON.stringify(ssl)}}`), advice.stderr);
      const failing = runVoid(stage, launcher, ["run", "-s", bare, python, "-c", "import sqlite3"]);
      assert.notEqual(failing.status, 0);
      assert.match(failing.stderr, /libsqlite3\.so\.0: cannot open shared object file/);
    });

    it("a working directory that is not in the void's tree is refused before anything starts", () => {
      const spec = writeSpec(stage, `nocwd-${launcher}`, { entrypoints: { main: { environment: [{ WorkingDirectory: "/nowhere" }] } } });
      const r = runVoid(stage, launcher, ["run", "-s", spec, "/usr/bin/env"]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /WorkingDirectory \/nowhere is not a directory of the void/);
    });
  });
}
