/**
 * The plan cache and the native front end (src/cli/plan-cache.ts,
 * native/front.c): a cached plan is used only while every input is
 * unchanged, a damaged or foreign cache file is ignored and rewritten,
 * and the front end prints and exits as the Node orchestrator does.
 * bin/void is executed as a command here (its shell part runs the front
 * end), as each launcher, with a cache directory of the launcher's own.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cacheFiles as cacheFilesIn, ownCacheDir, writeEntry } from "../../src/cli/plan-cache.js";
import { asLauncher, isRoot, type Launcher, launchers, makeStage, type Stage, scratch, UNPRIV_GID, UNPRIV_UID, waitFor } from "./harness.js";

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

let stage: Stage;
let dir: string;

function gcc(args: string[]): void {
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Werror", ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

function cacheDirOf(launcher: Launcher): string {
  return join(stage.dir, `pc-cache-${launcher}`);
}

/** Runs bin/void as a command (the front end first), traced: stderr says whether the cache was used. */
function run(launcher: Launcher, args: string[], env: Record<string, string> = {}): Result {
  const [cmd, ...rest] = asLauncher(launcher, [stage.voidBin, ...args]);
  const r = spawnSync(cmd!, rest, {
    cwd: dir,
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, XDG_CACHE_HOME: cacheDirOf(launcher), VOID_FAST_PATH_TRACE: "1", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const used = (r: Result) => r.stderr.includes("void: plan cache: used");
/** What a run printed, without the trace lines and with pids and namespace inodes made equal. */
const normal = (text: string) =>
  text
    .split("\n")
    .filter((l) => !l.startsWith("void: plan cache:"))
    .join("\n")
    .replace(/pid \d+/g, "pid N")
    .replace(/:\d{6,}/g, ":INO");

function cacheFiles(launcher: Launcher): string[] {
  return readdirSync(join(cacheDirOf(launcher), "void"))
    .filter((n) => n.endsWith(".plan"))
    .map((n) => join(cacheDirOf(launcher), "void", n));
}

/** The file's owner, if the test can make it another user's. */
function chownTo(path: string, uid: number): void {
  spawnSync("chown", [`${uid}:${uid}`, path]);
}

before(() => {
  stage = makeStage();
  dir = scratch(stage, "plan-cache");
  for (const l of launchers) {
    mkdirSync(cacheDirOf(l), { mode: 0o700 });
    if (l === "unprivileged" && isRoot) spawnSync("chown", [`${UNPRIV_UID}:${UNPRIV_GID}`, cacheDirOf(l)]);
  }
  // A program and a library of its own, found through RUNPATH: the library is upgraded in place below.
  writeFileSync(join(dir, "lib.c"), 'const char *word(void) { return "first"; }\n');
  writeFileSync(join(dir, "lib2.c"), 'const char *word(void) { return "again"; }\n');
  writeFileSync(join(dir, "app.c"), '#include <stdio.h>\nconst char *word(void);\nint main(void) { printf("%s\\n", word()); return 0; }\n');
  gcc(["-shared", "-fPIC", "-o", join(dir, "libword.so"), join(dir, "lib.c")]);
  gcc(["-shared", "-fPIC", "-o", join(dir, "libword2.so"), join(dir, "lib2.c")]);
  gcc(["-o", join(dir, "app"), join(dir, "app.c"), `-L${dir}`, "-lword", `-Wl,-rpath,${dir}`]);
  // Two static programs of the same size: one replaces the other below.
  writeFileSync(join(dir, "say.c"), '#include <unistd.h>\nint main(void) { write(1, "AAAA\\n", 5); return 0; }\n');
  writeFileSync(join(dir, "say2.c"), '#include <unistd.h>\nint main(void) { write(1, "BBBB\\n", 5); return 0; }\n');
  gcc(["-static", "-o", join(dir, "say"), join(dir, "say.c")]);
  gcc(["-static", "-o", join(dir, "say2"), join(dir, "say2.c")]);
  writeFileSync(join(dir, "spec.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr"] } } }));
  writeFileSync(join(dir, "env.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { PassEnv: ["GREETING"] }] } } }));
  writeFileSync(join(dir, "certs.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { PassEnv: ["NODE_EXTRA_CA_CERTS"] }] } } }));
  writeFileSync(join(dir, "icu.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", { PassEnv: ["NODE_ICU_DATA"] }] } } }));
  // The plan cache's key in the persistent keyring: its serial, read outside any void, and what a void can do with it.
  writeFileSync(
    join(dir, "keyserial.c"),
    `#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "exec") == 0) {
    /* What keyctl(1) documents: a new session keyring with the persistent keyring linked into it, then the command. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) return 3;
    if (syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION_KEYRING) < 0) return 4;
    execv(argv[2], argv + 2);
    return 5;
  }
  long ring = syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING);
  long id = syscall(SYS_keyctl, KEYCTL_SEARCH, ring, "user", "void:plan-cache:v1", 0);
  printf("%ld\\n", id);
  return id < 0;
}
`,
  );
  writeFileSync(
    join(dir, "keythief.c"),
    `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
int main(int argc, char **argv) {
  char buf[64];
  long serial = argc > 1 ? atol(argv[1]) : 0;
  long byserial = syscall(SYS_keyctl, KEYCTL_READ, serial, buf, sizeof buf);
  long ring = syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING);
  long found = ring < 0 ? -1 : syscall(SYS_keyctl, KEYCTL_SEARCH, ring, "user", "void:plan-cache:v1", 0);
  long user = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", "void:plan-cache:v1", 0);
  long session = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", "void:plan-cache:v1", 0);
  printf("read-by-serial %ld persistent %ld user %ld session %ld\\n", byserial, found, user, session);
  return byserial >= 0 || found >= 0 || user >= 0 || session >= 0;
}
`,
  );
  gcc(["-o", join(dir, "keyserial"), join(dir, "keyserial.c")]);
  gcc(["-static", "-o", join(dir, "keythief"), join(dir, "keythief.c")]);
  writeFileSync(join(dir, "unconfined.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "SeccompUnconfined"] } } }));
  writeFileSync(join(dir, "quiet.json"), JSON.stringify({ entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: [] } } }));
  spawnSync("chmod", ["-R", "a+rwX", dir]);
  // Both launchers write here, as in /tmp (sticky: neither replaces the other's files); the specs are the test's
  // own, which nobody else may change (void refuses a spec others can write).
  chmodSync(dir, 0o1777);
  for (const f of readdirSync(dir)) if (f.endsWith(".json")) chmodSync(join(dir, f), 0o644);
});

after(() => stage?.cleanup());

describe("the plan cache's directory", () => {
  it("is used through an fd: swapped for a symlink after its checks, nothing is written or removed where the link points", () => {
    const home = scratch(stage, "swap-cache");
    const xdg = join(home, "xdg");
    mkdirSync(xdg, { mode: 0o700 });
    const found = ownCacheDir({ XDG_CACHE_HOME: xdg });
    assert.ok(found !== undefined);
    assert.equal(found.shown, join(realpathSync(xdg), "void"));
    const elsewhere = join(home, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "run-0000000000000001.plan"), "the user's file");
    // What a void with a writable bind over ~/.cache does between the checks and the writes.
    renameSync(join(xdg, "void"), join(xdg, "moved"));
    symlinkSync(elsewhere, join(xdg, "void"));
    writeEntry(found.dir, "run-0000000000000002.plan", Buffer.from("an entry"));
    assert.deepEqual(readdirSync(elsewhere), ["run-0000000000000001.plan"]);
    assert.deepEqual(readdirSync(join(xdg, "moved")), ["run-0000000000000002.plan"]);
    for (const f of cacheFilesIn(found.dir)) unlinkSync(f); // as void cache clear removes them
    assert.deepEqual(readdirSync(elsewhere), ["run-0000000000000001.plan"]);
    assert.deepEqual(readdirSync(join(xdg, "moved")), []);
  });
});

for (const launcher of launchers) {
  describe(`plan cache (${launcher} launcher)`, () => {
    it("the first run plans in Node and caches; the next runs the cached plan, printing the same", () => {
      const first = run(launcher, ["run", "-v", "-s", "spec.json", "./app"]);
      assert.equal(first.status, 0, first.stderr);
      assert.ok(!used(first), first.stderr);
      assert.equal(first.stdout, "first\n");
      const files = cacheFiles(launcher);
      assert.ok(files.length >= 1);
      for (const f of files) {
        const st = statSync(f);
        assert.equal(st.mode & 0o777, 0o600);
        assert.equal(st.uid, launcher === "root" ? 0 : UNPRIV_UID);
      }
      const second = run(launcher, ["run", "-v", "-s", "spec.json", "./app"]);
      assert.equal(second.status, 0, second.stderr);
      assert.ok(used(second), second.stderr);
      assert.equal(second.stdout, "first\n");
      assert.deepEqual(normal(second.stderr).split("\n").sort(), normal(first.stderr).split("\n").sort());
    });

    it("--no-cache and VOID_FAST_PATH=0 go to Node", () => {
      run(launcher, ["run", "-s", "spec.json", "./app"]);
      assert.ok(used(run(launcher, ["run", "-s", "spec.json", "./app"])));
      assert.ok(!used(run(launcher, ["run", "--no-cache", "-s", "spec.json", "./app"])));
      const off = run(launcher, ["run", "-s", "spec.json", "./app"], { VOID_FAST_PATH: "0" });
      assert.ok(!used(off));
      assert.equal(off.stdout, "first\n");
    });

    it("Node starts without NODE_EXTRA_CA_CERTS (Node 20 reads the file as it starts), and the plans see it as the user set it", () => {
      // A file that does not exist: Node 20 warns as it starts when it is given one.
      const certs = "/nonexistent/void-test-certs.pem";
      for (const env of [{}, { VOID_FAST_PATH: "0" }] as Record<string, string>[]) {
        const r = run(launcher, ["run", "--no-cache", "-s", "certs.json", "/usr/bin/printenv", "NODE_EXTRA_CA_CERTS"], { ...env, NODE_EXTRA_CA_CERTS: certs });
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /extra certs/i);
        assert.equal(r.stdout, `${certs}\n`);
      }
      // The name it is renamed to is void's: a user's variable of that name is not taken for it.
      const stray = run(launcher, ["run", "--no-cache", "-s", "certs.json", "/usr/bin/printenv", "NODE_EXTRA_CA_CERTS"], { VOID_NODE_EXTRA_CA_CERTS: certs });
      assert.equal(stray.stdout, "");
    });

    it("Node starts without NODE_ICU_DATA (a file a void planted there crashed every later command), and the plans see it as the user set it", () => {
      // ICU data whose offsets point far outside the file: a Node that reads it as it starts dies of SIGBUS.
      const icu = join(dir, `icu-${launcher}`, `icudt${process.versions.icu!.split(".")[0]}l`);
      mkdirSync(icu, { recursive: true });
      const info = Buffer.alloc(20);
      info.writeUInt16LE(20, 0);
      info.writeUInt8(2, 6);
      info.write("CvAl", 8, "latin1");
      Buffer.from([3, 0, 1, 0, 1, 0, 0, 0]).copy(info, 12);
      const head = Buffer.concat([Buffer.from([32, 0, 0xda, 0x27]), info]);
      const body = Buffer.alloc(4 + 64 * 4, 0xff);
      body.writeUInt32LE(0x20000001, 0);
      for (let i = 1; i <= 64; i++) body.writeUInt32LE(0x7fffffff, i * 4);
      writeFileSync(join(icu, "cnvalias.icu"), Buffer.concat([head, Buffer.alloc(32 - head.length), body]));
      chmodSync(join(icu, "cnvalias.icu"), 0o644);
      for (const env of [{}, { VOID_FAST_PATH: "0" }] as Record<string, string>[]) {
        const version = run(launcher, ["--version"], { ...env, NODE_ICU_DATA: dirname(icu) });
        assert.equal(version.status, 0, version.stderr);
        // Nor a Node void starts again from its own (void cache prime's child; void run -D's background copy alike).
        const prime = run(launcher, ["cache", "prime", "run", "-s", "icu.json", "/usr/bin/printenv", "NODE_ICU_DATA"], { ...env, NODE_ICU_DATA: dirname(icu) });
        assert.equal(prime.status, 0, prime.stderr);
        const r = run(launcher, ["run", "--no-cache", "-s", "icu.json", "/usr/bin/printenv", "NODE_ICU_DATA"], { ...env, NODE_ICU_DATA: dirname(icu) });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `${dirname(icu)}\n`);
      }
    });

    it("Node starts with void's own, empty OpenSSL configuration, never the system's (a void with a writable /etc/ssl could name a module there)", () => {
      // A configuration that loads a module: Node aborts as it starts if it reads it (the module does not exist).
      const conf = join(dir, `openssl-${launcher}.cnf`);
      writeFileSync(conf, "nodejs_conf = init\nopenssl_conf = init\n[init]\nproviders = prov\n[prov]\nevil = evil\n[evil]\nmodule = /nonexistent/void-test-module.so\nactivate = 1\n");
      chmodSync(conf, 0o644);
      for (const env of [{}, { VOID_FAST_PATH: "0" }] as Record<string, string>[]) {
        for (const args of [["--version"], ["run", "--no-cache", "-s", "spec.json", "./say"], ["cache", "prime", "run", "-s", "spec.json", "./say"]]) {
          const r = run(launcher, args, { ...env, OPENSSL_CONF: conf });
          assert.equal(r.status, 0, `${args.join(" ")} ${JSON.stringify(env)}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /Assertion failed|CSPRNG/);
        }
      }
    });

    it("a library upgraded in place is noticed: Node plans again, and the new library runs", () => {
      const lib = join(dir, `libword-${launcher}.so`);
      copyFileSync(join(dir, "libword.so"), join(dir, "libword.so.orig"));
      run(launcher, ["run", "-s", "spec.json", "./app"]);
      assert.ok(used(run(launcher, ["run", "-s", "spec.json", "./app"])));
      // In place: the same inode, new bytes.
      writeFileSync(join(dir, "libword.so"), readFileSync(join(dir, "libword2.so")));
      const r = run(launcher, ["run", "-s", "spec.json", "./app"]);
      assert.ok(!used(r), r.stderr);
      assert.equal(r.stdout, "again\n");
      assert.ok(used(run(launcher, ["run", "-s", "spec.json", "./app"])));
      writeFileSync(join(dir, "libword.so"), readFileSync(join(dir, "libword.so.orig")));
      rmSync(lib, { force: true });
    });

    it("a binary replaced by another of the same size and mtime is noticed (its ctime)", () => {
      const target = join(dir, `say-${launcher}`);
      copyFileSync(join(dir, "say"), target);
      chmodSync(target, 0o755);
      const before = statSync(target, { bigint: true });
      assert.equal(statSync(join(dir, "say2")).size, Number(before.size), "the two programs should have the same size");
      const ref = `${target}.ref`;
      spawnSync("cp", ["-p", target, ref]);
      assert.equal(run(launcher, ["run", "-s", "spec.json", `./say-${launcher}`]).stdout, "AAAA\n");
      assert.ok(used(run(launcher, ["run", "-s", "spec.json", `./say-${launcher}`])));
      writeFileSync(target, readFileSync(join(dir, "say2")));
      spawnSync("touch", ["-m", "-r", ref, target]);
      const now = statSync(target, { bigint: true });
      assert.equal(now.mtimeNs, before.mtimeNs);
      assert.equal(now.size, before.size);
      const r = run(launcher, ["run", "-s", "spec.json", `./say-${launcher}`]);
      assert.ok(!used(r), r.stderr);
      assert.equal(r.stdout, "BBBB\n");
    });

    it("a file written into the working directory keeps the plan; a packed binary's spec is cached with the binary", () => {
      run(launcher, ["run", "-s", "spec.json", "./app"]);
      // The working directory is only stat'ed by the planner: its entries changing is not a reason to plan again.
      writeFileSync(join(dir, `output-${launcher}.txt`), "x");
      const kept = run(launcher, ["run", "-s", "spec.json", "./app"]);
      assert.ok(used(kept), kept.stderr);
      // void pack: the spec is in the binary, whose identity the cache holds.
      const packed = `say-packed-${launcher}`;
      const pack = run(launcher, ["pack", "-s", "spec.json", "./say", "-o", packed]);
      assert.equal(pack.status, 0, pack.stderr);
      const first = run(launcher, ["run", `./${packed}`]);
      assert.equal(first.stdout, "AAAA\n", first.stderr);
      assert.ok(!used(first));
      const second = run(launcher, ["run", `./${packed}`]);
      assert.equal(second.stdout, "AAAA\n", second.stderr);
      assert.ok(used(second), second.stderr);
      // Packed again with another spec (stdout not granted): the binary changed, so the new spec is read.
      const repack = run(launcher, ["pack", "-s", "quiet.json", "./say", "-o", packed]);
      assert.equal(repack.status, 0, repack.stderr);
      const third = run(launcher, ["run", `./${packed}`]);
      assert.ok(!used(third), third.stderr);
      assert.equal(third.stdout, "");
    });

    it("a changed spec, PassEnv value or PATH lookup is noticed", () => {
      writeFileSync(join(dir, `spec-${launcher}.json`), readFileSync(join(dir, "spec.json")));
      chmodSync(join(dir, `spec-${launcher}.json`), 0o644);
      run(launcher, ["run", "-s", `spec-${launcher}.json`, "./app"]);
      assert.ok(used(run(launcher, ["run", "-s", `spec-${launcher}.json`, "./app"])));
      writeFileSync(join(dir, `spec-${launcher}.json`), `${readFileSync(join(dir, "spec.json"), "utf8")} `);
      assert.ok(!used(run(launcher, ["run", "-s", `spec-${launcher}.json`, "./app"])));

      run(launcher, ["run", "-s", "env.json", "/usr/bin/printenv", "GREETING"], { GREETING: "hello" });
      const same = run(launcher, ["run", "-s", "env.json", "/usr/bin/printenv", "GREETING"], { GREETING: "hello" });
      assert.ok(used(same));
      assert.equal(same.stdout, "hello\n");
      const changed = run(launcher, ["run", "-s", "env.json", "/usr/bin/printenv", "GREETING"], { GREETING: "bye" });
      assert.ok(!used(changed));
      assert.equal(changed.stdout, "bye\n");

      run(launcher, ["run", "-s", "spec.json", "true"]);
      assert.ok(used(run(launcher, ["run", "-s", "spec.json", "true"])));
      // Another PATH: another lookup of `true`.
      assert.ok(!used(run(launcher, ["run", "-s", "spec.json", "true"], { PATH: `/bin:${dirname(process.execPath)}:/usr/bin` })));
    });

    for (const [what, damage] of [
      ["group- and world-writable", (f: string) => chmodSync(f, 0o666)],
      ["truncated", (f: string) => truncateSync(f, Math.floor(statSync(f).size / 2))],
      [
        "tampered with",
        (f: string) => {
          const b = readFileSync(f);
          b[b.length - 8] = (b[b.length - 8] ?? 0) ^ 0xff;
          writeFileSync(f, b);
        },
      ],
      ...(isRoot ? [["not the user's", (f: string) => chownTo(f, launcher === "root" ? UNPRIV_UID : 0)] as const] : []),
    ] as const) {
      it(`a cache file ${what} is ignored and rewritten`, () => {
        const args = ["run", "-s", "quiet.json", `./say`];
        run(launcher, args);
        assert.ok(used(run(launcher, args)));
        const before = new Set(cacheFiles(launcher));
        const file = cacheFiles(launcher).find((f) => readFileSync(f).includes(Buffer.from("quiet.json\0")));
        assert.ok(file !== undefined && before.has(file));
        damage(file);
        const r = run(launcher, args);
        assert.ok(!used(r), r.stderr);
        assert.equal(r.status, 0);
        const st = statSync(file);
        assert.equal(st.mode & 0o777, 0o600);
        assert.equal(st.uid, launcher === "root" ? 0 : UNPRIV_UID);
        assert.ok(used(run(launcher, args)));
      });
    }

    it("statuses, failures and the silent-failure hint are those of Node", () => {
      for (const [spec, args] of [
        ["quiet.json", ["/bin/sh", "-c", "exit 3"]],
        ["spec.json", ["/bin/sh", "-c", "kill -SEGV $$"]],
        ["spec.json", ["./no-such-program"]],
        ["spec.json", ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"]],
      ] as const) {
        const node = run(launcher, ["run", "--no-cache", "-s", spec, ...args]);
        run(launcher, ["run", "-s", spec, ...args]);
        const fast = run(launcher, ["run", "-s", spec, ...args]);
        if (node.status === 2) continue; // invalid input: never cached
        assert.ok(used(fast), fast.stderr);
        assert.equal(fast.status, node.status, `${args.join(" ")}: ${fast.stderr}`);
        assert.equal(normal(fast.stderr), normal(node.stderr));
        assert.equal(fast.stdout, node.stdout);
      }
    });

    it("SIGTERM is passed on and an orderly stop exits 0", async () => {
      const args = ["run", "-s", "spec.json", "/bin/sleep", "30"];
      const [cmd, ...rest] = asLauncher(launcher, [stage.voidBin, ...args]);
      const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, XDG_CACHE_HOME: cacheDirOf(launcher), VOID_PLAN_CACHE_PRIME: "1" };
      spawnSync(cmd!, rest, { cwd: dir, env, stdio: "ignore" });
      const child = spawn(cmd!, rest, { cwd: dir, env: { ...env, VOID_PLAN_CACHE_PRIME: "", VOID_FAST_PATH_TRACE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      assert.ok(await waitFor(() => stderr.includes("plan cache: used")), stderr);
      await new Promise((r) => setTimeout(r, 300));
      const pid = launcher === "root" ? child.pid! : Number(spawnSync("pgrep", ["-P", String(child.pid), "-f", "void-run-fast"], { encoding: "utf8" }).stdout.trim() || child.pid);
      process.kill(pid, "SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, stderr);
      assert.match(stderr, /void: received SIGTERM: sending SIGTERM to 1 void\(s\) and waiting for them to end/);
    });

    it("the key that authenticates entries is out of every void's reach (the kernel keyring of another user namespace)", () => {
      run(launcher, ["run", "-s", "spec.json", "./app"]);
      const [cmd, ...rest] = asLauncher(launcher, [join(dir, "keyserial")]);
      const serial = spawnSync(cmd!, rest, { encoding: "utf8" });
      assert.equal(serial.status, 0, `the launcher's user has no cache key: ${serial.stdout}${serial.stderr}`);
      // No seccomp filter: only the kernel stands between the void and the key.
      const r = run(launcher, ["run", "--no-cache", "-s", "unconfined.json", "./keythief", serial.stdout.trim()]);
      assert.equal(r.status, 0, `a void reached the key: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /read-by-serial -1 persistent -1 user -1 session -1/);
      // A launcher whose session keyring holds the persistent keyring (keyctl get_persistent @s): the void has a session keyring of its own.
      const [wcmd, ...wrest] = asLauncher(launcher, [join(dir, "keyserial"), "exec", stage.voidBin, "run", "--no-cache", "-s", "unconfined.json", "./keythief", serial.stdout.trim()]);
      const linked = spawnSync(wcmd!, wrest, { cwd: dir, encoding: "utf8", env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
      assert.equal(linked.status, 0, `a void reached the key through the launcher's session keyring: ${linked.stdout}${linked.stderr}`);
      assert.match(linked.stdout, /read-by-serial -1 persistent -1 user -1 session -1/);
    });

    it("an entry a void could have written (its authenticator not made with the key) is never run", () => {
      const args = ["run", "-s", "quiet.json", "./say"];
      for (const f of cacheFiles(launcher)) rmSync(f);
      run(launcher, args);
      assert.ok(used(run(launcher, args)));
      const [file, ...others] = cacheFiles(launcher);
      assert.ok(file !== undefined && others.length === 0);
      // What a forger can do without the key: change the body, keep or recompute everything else it can compute.
      const b = readFileSync(file);
      const at = b.indexOf(Buffer.from("quiet.json\0"));
      b.write("QUIET", at, "latin1");
      writeFileSync(file, b);
      const r = run(launcher, args);
      assert.ok(!used(r), r.stderr);
      assert.match(r.stderr, /not authenticated/);
    });

    if (launcher === "root" && isRoot) {
      it("root writes no cache into a directory another user could change (a HOME of theirs)", () => {
        const home = join(stage.dir, "pc-other-home");
        mkdirSync(home, { mode: 0o755 });
        spawnSync("chown", [`${UNPRIV_UID}:${UNPRIV_GID}`, home]);
        const env = { XDG_CACHE_HOME: "", HOME: home };
        const r = run(launcher, ["run", "-s", "quiet.json", "./say"], env);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!readdirSync(home).includes(".cache"), "root made a directory in another user's HOME");
        // Nor in a .cache of theirs (a symlink planted there would send root's writes anywhere).
        mkdirSync(join(home, ".cache"));
        spawnSync("chown", [`${UNPRIV_UID}:${UNPRIV_GID}`, join(home, ".cache")]);
        const again = run(launcher, ["run", "-s", "quiet.json", "./say"], env);
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(readdirSync(join(home, ".cache")), []);
        assert.ok(!used(run(launcher, ["run", "-s", "quiet.json", "./say"], env)));
      });
    }

    it("the front end as the command runs only from its package's build/ or prebuilt/linux-<arch>/ (a copy elsewhere runs no bin/void.cjs above it)", () => {
      rmSync(join(dir, `void-${launcher}`), { force: true });
      symlinkSync(join(stage.dir, "build", "void-run-fast"), join(dir, `void-${launcher}`));
      const [cmd, ...rest] = asLauncher(launcher, [join(dir, `void-${launcher}`), "--version"]);
      const viaLink = spawnSync(cmd!, rest, { encoding: "utf8", env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
      assert.equal(viaLink.status, 0, viaLink.stderr);
      // A copy under a directory whose bin/void.cjs anyone could have put there.
      const planted = join(dir, `planted-${launcher}`);
      mkdirSync(join(planted, "bin"), { recursive: true });
      mkdirSync(join(planted, "tools"), { recursive: true });
      writeFileSync(join(planted, "bin", "void.cjs"), 'console.log("PLANTED");\n');
      writeFileSync(join(planted, "package.json"), "{}\n");
      copyFileSync(join(stage.dir, "build", "void-run-fast"), join(planted, "tools", "void"));
      chmodSync(join(planted, "tools", "void"), 0o755);
      spawnSync("chmod", ["-R", "a+rX", planted]);
      const [cmd2, ...rest2] = asLauncher(launcher, [join(planted, "tools", "void"), "--version"]);
      const copy = spawnSync(cmd2!, rest2, { encoding: "utf8", env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
      assert.equal(copy.status, 125);
      assert.doesNotMatch(copy.stdout, /PLANTED/);
      assert.match(copy.stderr, /is not in a void package's build\/ or prebuilt\/linux-<arch>\//);
      rmSync(join(dir, `void-${launcher}`), { force: true });
      rmSync(planted, { recursive: true, force: true });
    });

    it("void cache prime plans and caches a void run without running it; the first real run uses it", () => {
      run(launcher, ["cache", "clear"]);
      const prime = run(launcher, ["cache", "prime", "run", "-s", "spec.json", "./app", "primed"]);
      assert.equal(prime.status, 0, prime.stderr);
      assert.match(prime.stderr, /void: plan cache: wrote /);
      assert.equal(prime.stdout, "", "nothing ran");
      const first = run(launcher, ["run", "-s", "spec.json", "./app", "primed"]);
      assert.equal(first.status, 0, first.stderr);
      assert.ok(used(first), first.stderr);
      const refused = run(launcher, ["cache", "prime", "run", "--no-cache", "-s", "spec.json", "./app"]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /not cached \(--no-cache\)/);
      // The front end writes no pid file: a --pid-file run is never cached, primed or not.
      const pid = run(launcher, ["cache", "prime", "run", "--pid-file", "void.pid", "-s", "spec.json", "./app"]);
      assert.equal(pid.status, 1);
      assert.match(pid.stderr, /not cached \(--pid-file\)/);
      const notRun = run(launcher, ["cache", "prime", "check", "-s", "spec.json", "./app"]);
      assert.equal(notRun.status, 2);
      assert.match(notRun.stderr, /caches a void run/);
    });

    it("void cache list and clear", () => {
      run(launcher, ["run", "-s", "spec.json", "./app"]);
      const list = run(launcher, ["cache", "list"]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /cached plan\(s\)/);
      assert.match(list.stdout, /void "run" "-s" "spec.json"/);
      // Directories under an entry's name, first in the list (a void with a
      // writable bind over the cache directory can make them): clear still
      // removes every entry after them and the empty one; it never walks
      // into one (a void could swap it for a symlink while it does), so the
      // other stays, said so, with status 1.
      const dir = join(cacheDirOf(launcher), "void");
      const full = join(dir, "run-0000000000000000.plan");
      mkdirSync(join(full, "inside"), { recursive: true });
      mkdirSync(join(dir, "run-0000000000000001.plan"));
      if (launcher === "unprivileged") spawnSync("chown", ["-R", `${UNPRIV_UID}:${UNPRIV_GID}`, full, join(dir, "run-0000000000000001.plan")]);
      const names = cacheFiles(launcher).length; // the two directories and the entries of this file's tests
      const clear = run(launcher, ["cache", "clear"]);
      assert.equal(clear.status, 1, clear.stderr);
      assert.match(clear.stdout, new RegExp(`removed ${names - 1} cached plan\\(s\\)`));
      assert.match(clear.stderr, /cannot remove .*run-0000000000000000\.plan/);
      assert.deepEqual(readdirSync(dir), ["run-0000000000000000.plan"]);
      rmSync(full, { recursive: true });
      assert.ok(!used(run(launcher, ["run", "-s", "spec.json", "./app"])));
    });
  });
}
