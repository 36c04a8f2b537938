/**
 * What void check warns about where the loader or a script will still
 * miss something: commands a #! shell script runs that the void lacks,
 * and Python extension modules whose libraries are not bound (pure, on an
 * in-memory host).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shellCommands } from "../../src/plan/advice.js";
import { planApplication } from "../../src/plan/plan.js";
import type { PlanInput } from "../../src/plan/types.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

const words = (text: string) => shellCommands(text).map((c) => `${c.word}:${c.line}`);

describe("shellCommands: the command words of a shell script", () => {
  it("finds commands at the start of a line and after | ; && || $( ` ( then do", () => {
    assert.deepEqual(words("#!/bin/sh\nls /data | sort -n; uniq && wc || tr a b\nx=$(date +%s) y=`hostname`\nif grep -q a f; then rm f; fi\nwhile read l; do sed p; done\n(cd /tmp && make)\n"), [
      "ls:2",
      "sort:2",
      "uniq:2",
      "wc:2",
      "tr:2",
      "date:3",
      "hostname:3",
      "grep:4",
      "rm:4",
      "sed:5",
      "make:6",
    ]);
  });
  it("skips builtins, keywords, assignments, arguments, comments, quoted text and here-documents", () => {
    assert.deepEqual(words("echo cat; printf \"%s; rm x\" a\n# cat in a comment\nLANG=C sort f\nFOO=1\ncat <<EOF\nrm -rf /\nEOF\ncat <<-'END'\n\tgrep\n\tEND\necho 'a | head'\nexport A=$(id -u)\n"), [
      "sort:3",
      "cat:5",
      "cat:8",
      "id:12",
    ]);
  });
  it("skips case patterns, the script's functions and words that are not plain", () => {
    assert.deepEqual(
      words('case "$1" in\n  start|stop) head -1 ;;\n  *) tail -1 ;;\nesac\nlog() { logger "$@"; }\nfunction other { true; }\nlog hi\nother\n$CMD arg\n"$HOME/bin/x"\n/usr/bin/env A=1 b\n'),
      ["head:2", "tail:3", "logger:5", "/usr/bin/env:11"],
    );
  });
});

const input: PlanInput = {
  binary: "/srv/run.sh",
  trailing: [],
  cwd: "/",
  uid: 1000,
  gid: 100,
  timeNamespace: true,
  arch: "x64",
  grantStdout: false,
  grantStderr: false,
  launcherEnv: { PATH: "/usr/local/bin:/usr/bin:relative" },
};
const LD = "/lib64/ld.so";
const prog = (needed: string[] = []) => buildElf({ type: 2, interp: LD, needed });
const lib = (soname: string, needed: string[] = []) => buildElf({ type: 3, soname, needed });

function host(): FakeHost {
  return new FakeHost()
    .file(LD, lib("ld.so"))
    .file("/usr/lib64/libc.so.6", lib("libc.so.6"))
    .file("/usr/bin/dash", prog(["libc.so.6"]))
    .symlink("/bin", "usr/bin")
    .symlink("/usr/bin/sh", "dash")
    .file("/usr/bin/ls", prog(["libc.so.6"]))
    .file("/usr/bin/cat", prog(["libc.so.6"]))
    .file("/usr/bin/python3.11", prog(["libc.so.6"]))
    .symlink("/usr/bin/python3", "python3.11")
    .file("/usr/lib64/libssl.so.3", lib("libssl.so.3", ["libcrypto.so.3"]))
    .file("/usr/lib64/libcrypto.so.3", lib("libcrypto.so.3"))
    .file("/usr/lib64/libsqlite3.so.0", lib("libsqlite3.so.0"))
    .file("/usr/lib/python3.11/os.py", "")
    .file("/usr/lib/python3.11/lib-dynload/_ssl.cpython-311.so", lib("_ssl", ["libssl.so.3", "libc.so.6"]), 0o644)
    .file("/usr/lib/python3.11/lib-dynload/_sqlite3.cpython-311.so", lib("_sqlite3", ["libsqlite3.so.0"]), 0o644)
    .file("/usr/lib/python3.11/lib-dynload/_json.cpython-311.so", lib("_json", ["libc.so.6"]), 0o644);
}

function planned(h: FakeHost, spec: unknown, over: Partial<PlanInput> = {}) {
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(parsed.spec, { ...input, ...over }, h);
  assert.ok(r.ok, JSON.stringify(r));
  return r;
}

describe("warnings: commands a #! shell script runs that the void lacks", () => {
  const h = host().file("/srv/run.sh", "#!/bin/sh\nls /data\ncat /data/x || echo none\nfrobnicate\n");
  it("name each command the host has in PATH but the void does not, with the grant to add", () => {
    const r = planned(h, { entrypoints: { main: { environment: [{ Executable: "/usr/bin/ls" }] } } });
    assert.deepEqual(r.warnings, [
      'entrypoints.main: /srv/run.sh runs cat (line 3), which is /usr/bin/cat on the host but not in the void: it would fail there ("not found"); if the script needs it, grant {"Executable": "/usr/bin/cat"}',
    ]);
  });
  it("say nothing once it is granted, or bound with a directory", () => {
    assert.deepEqual(planned(h, { entrypoints: { main: { environment: [{ Executable: "/usr/bin/ls" }, { Executable: "/usr/bin/cat" }] } } }).warnings, []);
    assert.deepEqual(planned(h, { entrypoints: { main: { environment: [{ Filesystem: { host_path: "/usr/bin", environment_path: "/usr/bin" } }] } } }).warnings, []);
  });
  it("read Executable scripts too, and never a script another interpreter runs", () => {
    const h2 = host()
      .file("/srv/app", prog(["libc.so.6"]))
      .file("/srv/helper", "#!/usr/bin/sh\ncat x\n")
      .file("/srv/tool.py", "#!/usr/bin/python3\nls = 1\ncat\n");
    const r = planned(h2, { entrypoints: { main: { environment: [{ Executable: "/srv/helper" }, { Executable: "/srv/tool.py" }] } } }, { binary: "/srv/app" });
    assert.equal(r.warnings.length, 1, r.warnings.join("\n"));
    assert.match(r.warnings[0]!, /\/srv\/helper runs cat \(line 2\)/);
  });
});

describe("advice: Python extension modules whose libraries the void lacks", () => {
  const h = host().file("/srv/app.py", "#!/usr/bin/python3\nimport json\n");
  const stdlib = { Filesystem: { host_path: "/usr/lib/python3.11", environment_path: "/usr/lib/python3.11" } };
  it("name each module with a library missing, and the Library grant to add (only when asked)", () => {
    const r = planned(h, { entrypoints: { main: { environment: [stdlib] } } }, { binary: "/srv/app.py", advise: true });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.advice, [
      'entrypoints.main: Python\'s extension module _sqlite3 (/usr/lib/python3.11/lib-dynload/_sqlite3.cpython-311.so) needs libsqlite3.so.0, not in the void: "import _sqlite3" fails there; if the program uses it, grant {"Library": "/usr/lib/python3.11/lib-dynload/_sqlite3.cpython-311.so"}',
      'entrypoints.main: Python\'s extension module _ssl (/usr/lib/python3.11/lib-dynload/_ssl.cpython-311.so) needs libssl.so.3, libcrypto.so.3, not in the void: "import _ssl" fails there; if the program uses it, grant {"Library": "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311.so"}',
    ]);
    assert.deepEqual(planned(h, { entrypoints: { main: { environment: [stdlib] } } }, { binary: "/srv/app.py" }).advice, [], "not computed unless asked");
  });
  it("say nothing of a module its Library grant brings in, nor without the standard library bound", () => {
    const r = planned(h, { entrypoints: { main: { environment: [stdlib, { Library: "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311.so" }] } } }, { binary: "/srv/app.py", advise: true });
    assert.equal(r.advice.length, 1);
    assert.match(r.advice[0]!, /module _sqlite3/);
    const mounts = r.plans[0]!.mounts.filter((m) => m.type === "bind").map((m) => m.dest);
    assert.ok(mounts.includes("/usr/lib64/libssl.so.3") && mounts.includes("/usr/lib64/libcrypto.so.3"), mounts.join(" "));
    assert.deepEqual(planned(h, { entrypoints: { main: {} } }, { binary: "/srv/app.py", advise: true }).advice, []);
  });
});
