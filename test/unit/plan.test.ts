/**
 * The planner, pure: spec + binary + an in-memory host -> VoidPlans.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { untrustedLink } from "../../src/plan/paths.js";
import { planApplication, writableNames } from "../../src/plan/plan.js";
import type { HostView } from "../../src/plan/host.js";
import type { MountEntry, PlanInput, VoidPlan } from "../../src/plan/types.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

const input: PlanInput = { binary: "./app", trailing: ["--port", "80"], cwd: "/srv", uid: 1000, gid: 100, timeNamespace: true, arch: "x64", grantStdout: false, grantStderr: false };

const host = new FakeHost()
  .file("/srv/app", buildElf({ type: 2 }))
  .file("/srv/cert.pem", "cert")
  .file("/srv/www/index.html", "<html>")
  .file("/etc/app.conf", "x=1")
  .dir("/proc/sys/kernel")
  .dir("/sys/fs")
  .file("/usr/lib/lib.so", "lib")
  .symlink("/lib", "usr/lib")
  .file("/srv/notexec", buildElf({ type: 2 }), 0o644);

function plan(spec: unknown, over: Partial<PlanInput> = {}): VoidPlan[] {
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(parsed.spec, { ...input, ...over }, host);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plans;
}

function planErrors(spec: unknown, over: Partial<PlanInput> = {}): string[] {
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(parsed.spec, { ...input, ...over }, host);
  assert.ok(!r.ok, "expected the plan to fail");
  return r.errors;
}

/** A HostView of `fake` whose mount table (/proc/self/mountinfo's text) is what `table` returns. */
function mountedHost(fake: FakeHost, table: () => string): HostView {
  return {
    lstat: (p) => fake.lstat(p),
    stat: (p) => fake.stat(p),
    readlink: (p) => fake.readlink(p),
    openFile: (p) => fake.openFile(p),
    isExecutable: (p) => fake.isExecutable(p),
    readdir: (p) => fake.readdir(p),
    mountTable: table,
  };
}

const binds = (p: VoidPlan) => p.mounts.filter((m): m is Extract<MountEntry, { type: "bind" }> => m.type === "bind");

describe("planApplication", () => {
  it("defaults: every namespace, own ids, void/(none), /dev/null streams, empty environment", () => {
    const [p] = plan({ entrypoints: { main: {} } });
    assert.ok(p);
    assert.deepEqual(p.namespaces, ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"]);
    assert.deepEqual(p.uidMap, [{ inside: 1000, outside: 1000, count: 1 }]);
    assert.deepEqual(p.gidMap, [{ inside: 100, outside: 100, count: 1 }]);
    assert.equal(p.setgroups, "deny");
    assert.equal(p.hostname, "void");
    assert.equal(p.domainname, "(none)");
    assert.deepEqual(p.environment, []);
    assert.deepEqual(
      p.fds.map((f) => f.source.kind),
      ["devnull", "devnull", "devnull"],
    );
    assert.deepEqual(p.argv, [{ kind: "literal", value: "./app" }]);
    assert.equal(p.exec, "/srv/app");
    assert.equal(p.procfs, false);
  });

  it("a root launcher's void: a host id of its own, mapped by the launcher, its supplementary groups cleared; --host-root maps its own", () => {
    const [p] = plan({ entrypoints: { main: {} } }, { uid: 0, gid: 0 });
    assert.equal(p!.mapsByLauncher, true);
    // Root with another gid (User=root with Group=app, sudo -g, sg): still gid 0 inside.
    const [g] = plan({ entrypoints: { main: {} } }, { uid: 0, gid: 50 });
    assert.deepEqual(g!.gidMap, [{ inside: 0, outside: g!.uidMap[0]!.outside, count: 1 }]);
    assert.equal(p!.uidMap[0]!.inside, 0);
    assert.notEqual(p!.uidMap[0]!.outside, 0);
    assert.equal(p!.setgroups, "cleared");
    const [h] = plan({ entrypoints: { main: {} } }, { uid: 0, gid: 0, hostRoot: true });
    assert.deepEqual([h!.mapsByLauncher, h!.uidMap[0]!.outside, h!.setgroups], [false, 0, "deny"]);
  });

  it("leaves out the time namespace where the kernel has none", () => {
    const [p] = plan({ entrypoints: { main: {} } }, { timeNamespace: false });
    assert.ok(!p!.namespaces.includes("time"));
  });

  it("numbers granted fds from 3 in argument order and passes them as decimal argv", () => {
    const [p] = plan({ entrypoints: { main: { args: ["BinaryName", "Entrypoint", { File: "/srv/cert.pem" }, "Trailing", { File: "/etc/app.conf" }] } } });
    assert.deepEqual(
      p!.argv.map((a) => (a.kind === "literal" ? a.value : "?")),
      ["./app", "main", "3", "--port", "80", "4"],
    );
    assert.deepEqual(p!.fds.slice(3), [
      { fd: 3, source: { kind: "file", path: "/srv/cert.pem" } },
      { fd: 4, source: { kind: "file", path: "/etc/app.conf" } },
    ]);
  });

  it("grants standard streams from the spec or from --stdout/--stderr", () => {
    const [p] = plan({ entrypoints: { main: { environment: ["Stdin"] } } }, { grantStdout: true, grantStderr: true });
    assert.deepEqual(
      p!.fds.map((f) => f.source.kind),
      ["stdin", "stdout", "stderr"],
    );
  });

  it("binds read-only by default, writable with read_only false, and marks directories", () => {
    const [p] = plan({
      entrypoints: {
        main: {
          environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/www" } }, { Filesystem: { host_path: "/etc/app.conf", environment_path: "/config", read_only: false } }],
        },
      },
    });
    const spec = binds(p!).filter((b) => b.origin === "spec");
    assert.deepEqual(spec, [
      { type: "bind", source: "/etc/app.conf", dest: "/config", readOnly: false, directory: false, origin: "spec" },
      { type: "bind", source: "/srv/www", dest: "/www", readOnly: true, directory: true, origin: "spec" },
    ]);
  });

  it("binds the binary itself, at its absolute path, for a static binary nothing else", () => {
    const [p] = plan({ entrypoints: { main: {} } });
    assert.deepEqual(
      binds(p!).map((b) => [b.dest, b.origin]),
      [["/srv/app", "binary"]],
    );
    assert.equal(p!.mounts[0]!.type, "tmpfs");
    assert.equal(p!.mounts.at(-1)!.type, "devnull");
    assert.equal(p!.isStatic, true);
  });

  it("resolves a host symlink in host_path and places environment_path through the plan's own symlinks", () => {
    const [p] = plan({ entrypoints: { main: { environment: [{ Filesystem: { host_path: "/lib/lib.so", environment_path: "/opt/lib.so" } }] } } });
    assert.ok(binds(p!).some((b) => b.source === "/usr/lib/lib.so" && b.dest === "/opt/lib.so"));
  });

  it("orders mounts so that a directory comes before what is inside it", () => {
    const [p] = plan({
      entrypoints: {
        main: {
          environment: [{ Filesystem: { host_path: "/srv/www/index.html", environment_path: "/www/index.html" } }, { Filesystem: { host_path: "/srv/www", environment_path: "/www" } }],
        },
      },
    });
    const dests = binds(p!).map((b) => b.dest);
    assert.ok(dests.indexOf("/www") < dests.indexOf("/www/index.html"));
  });

  it("refuses a nested bind whose mount point would have to be created in a host directory", () => {
    const errors = planErrors({
      entrypoints: {
        main: {
          environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/www" } }, { Filesystem: { host_path: "/etc/app.conf", environment_path: "/www/app.conf" } }],
        },
      },
    });
    assert.match(errors[0]!, /cannot bind \/etc\/app\.conf at \/www\/app\.conf: it lies inside the bind of \/srv\/www at \/www, where \/srv\/www\/app\.conf is not an existing file/);
  });

  it("skips automatic binds a spec bind already shows, and refuses ones it would hide", () => {
    const [p] = plan({ entrypoints: { main: { environment: [{ Filesystem: { host_path: "/srv", environment_path: "/srv" } }] } } });
    assert.ok(!binds(p!).some((b) => b.origin === "binary"), "the binary is visible through /srv");
    const errors = planErrors({ entrypoints: { main: { environment: [{ Filesystem: { host_path: "/etc", environment_path: "/srv" } }] } } });
    assert.match(errors[0]!, /\/srv\/app \(binary\) would be hidden by the Filesystem bind of \/etc at \/srv/);
  });

  it("plans pipes, sockets, listeners and RPC as numbered fds, and Trigger as a runtime argument", () => {
    const [sender, receiver] = plan({
      entrypoints: {
        sender: { args: ["BinaryName", { Pipe: { Tx: "jobs" } }, { TcpListener: { addr: "[::1]:8080" } }, { Rpc: [{ OpenTcpSocket: { family: null, port: 443, host: null } }] }] },
        receiver: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Trigger"] },
      },
    });
    assert.deepEqual(sender!.fds.slice(3), [
      { fd: 3, source: { kind: "pipe", name: "jobs", direction: "Tx" } },
      { fd: 4, source: { kind: "tcplistener", addr: "[::1]:8080" } },
      { fd: 5, source: { kind: "rpc", operations: [{ kind: "OpenTcpSocket", family: null, port: 443, host: null }] } },
    ]);
    assert.deepEqual(receiver!.trigger, { kind: "Pipe", name: "jobs" });
    assert.deepEqual(receiver!.argv[1], { kind: "trigger" });
  });

  it("reports every problem: missing File and Filesystem host paths", () => {
    const errors = planErrors({
      entrypoints: { main: { args: ["BinaryName", { File: "/nope" }], environment: [{ Filesystem: { host_path: "/gone", environment_path: "/x" } }] } },
    });
    assert.deepEqual(errors, ["entrypoints.main.args[1]: File /nope: no such file or directory", "entrypoints.main.environment[0]: Filesystem host_path /gone: no such file or directory"]);
  });

  it("refuses a missing or non-executable binary", () => {
    assert.deepEqual(planErrors({ entrypoints: { main: {} } }, { binary: "/srv/missing" }), ["/srv/missing: no such file or directory"]);
    assert.deepEqual(planErrors({ entrypoints: { main: {} } }, { binary: "notexec" }), ["notexec: not executable (permission denied)"]);
  });
});

describe("untrustedLink: which symlinks the launcher follows in host paths it resolves itself", () => {
  it("in a sticky directory others may write, only the follower's links and the directory owner's", () => {
    for (const mode of [0o41777, 0o41770, 0o41730]) {
      const tmp = { mode, uid: 0 };
      assert.match(untrustedLink(tmp, 1000, 0) ?? "", /a symbolic link of uid 1000 in a sticky directory others may write: not followed/, mode.toString(8));
      assert.match(untrustedLink(tmp, 1000, 2000) ?? "", /uid 1000/);
      assert.equal(untrustedLink(tmp, 1000, 1000), undefined, "the follower's own");
      assert.equal(untrustedLink(tmp, 0, 1000), undefined, "the directory owner's");
    }
  });

  it("never in another user's directory, nor in one anyone may write", () => {
    assert.match(untrustedLink({ mode: 0o40755, uid: 1000 }, 1000, 0) ?? "", /a symbolic link in a directory of uid 1000, who could point it anywhere/);
    assert.match(untrustedLink({ mode: 0o41777, uid: 1000 }, 1000, 2000) ?? "", /directory of uid 1000/);
    assert.match(untrustedLink({ mode: 0o40777, uid: 0 }, 0, 0) ?? "", /a symbolic link in a directory anyone may write/);
  });

  it("follows links in the follower's and root's own directories", () => {
    for (const mode of [0o40755, 0o40775, 0o41755]) {
      assert.equal(untrustedLink({ mode, uid: 0 }, 1000, 0), undefined, mode.toString(8));
      assert.equal(untrustedLink({ mode, uid: 1000 }, 1000, 1000), undefined, mode.toString(8));
      assert.equal(untrustedLink({ mode, uid: 0 }, 0, 1000), undefined, mode.toString(8));
    }
  });
});

describe("planUserLimits: a void's own user-namespace budgets", () => {
  const names = (p: VoidPlan) => Object.fromEntries(p.userLimits.map((l) => [l.name, l.value]));
  it("defaults: a small inotify share, no fanotify, no new namespaces but the time namespace the child makes", () => {
    const [p] = plan({ entrypoints: { main: {} } });
    const l = names(p!);
    assert.equal(l["max_inotify_instances"], 16);
    assert.equal(l["max_inotify_watches"], 8192);
    assert.equal(l["max_fanotify_groups"], 0);
    for (const ns of ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"]) assert.equal(l[`max_${ns}_namespaces`], 0, ns);
    assert.equal(l["max_time_namespaces"], 1);
    assert.equal(names(plan({ entrypoints: { main: {} } }, { timeNamespace: false })[0]!)["max_time_namespaces"], 0);
  });
  it("Limits set the inotify budget; SeccompUnconfined keeps namespaces possible but bounded, never fanotify", () => {
    const [p] = plan({ entrypoints: { main: { environment: ["SeccompUnconfined", { Limits: { inotify_instances: 2, inotify_watches: 10 } }] } } });
    const l = names(p!);
    assert.deepEqual([l["max_inotify_instances"], l["max_inotify_watches"], l["max_fanotify_groups"], l["max_user_namespaces"], l["max_time_namespaces"]], [2, 10, 0, 64, 65]);
  });
});

/** The planner's warnings for a spec that must plan. */
function warnings(spec: unknown): string[] {
  const parsed = parseSpecValue(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const r = planApplication(parsed.spec, input, host);
  assert.ok(r.ok, JSON.stringify(r));
  return r.warnings;
}

describe("writableFeedsOthers: a writable bind read by another entrypoint is a warning, unless shared", () => {
  const writer = (extra: object = {}) => ({ environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/out", read_only: false, ...extra } }] });
  it("names the writer, the reader and what it reads: a bind inside, a bind around, a File", () => {
    for (const reader of [
      { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/in" } }] },
      { environment: [{ Filesystem: { host_path: "/srv", environment_path: "/in" } }] },
      { args: [{ File: "/srv/www/index.html" }] },
    ]) {
      const w = warnings({ entrypoints: { writer: writer(), reader } });
      assert.equal(w.length, 1, JSON.stringify(reader));
      assert.match(w[0]!, /^entrypoints\.writer: the writable bind of \/srv\/www is read by reader \(its (bind|File) /);
      assert.match(w[0]!, /"shared": true/);
    }
  });
  it("says nothing when acknowledged, when nobody else reads there, or for the writer's own reads", () => {
    assert.deepEqual(warnings({ entrypoints: { writer: writer({ shared: true }), reader: { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/in" } }] } } }), []);
    assert.deepEqual(warnings({ entrypoints: { writer: writer(), other: { environment: [{ Filesystem: { host_path: "/etc/app.conf", environment_path: "/c" } }] } } }), []);
    assert.deepEqual(warnings({ entrypoints: { writer: { args: [{ File: "/srv/www/index.html" }], ...writer() } } }), []);
  });
  it('"shared" is only for a writable bind', () => {
    const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: "/srv", environment_path: "/s", shared: true } }] } } });
    assert.ok(!parsed.ok);
    assert.match(JSON.stringify(parsed.errors), /this bind is read-only/);
  });
});

describe("writableKernelInterfaces: a writable bind of the host's /proc or /sys is a warning", () => {
  const bind = (hostPath: string, readOnly: boolean) => ({ entrypoints: { main: { environment: [{ Filesystem: { host_path: hostPath, environment_path: "/k", read_only: readOnly } }] } } });
  it("names the bind, what it risks and the alternative, for /proc/sys and /sys", () => {
    for (const path of ["/proc/sys", "/proc/sys/kernel", "/sys/fs"]) {
      const w = warnings(bind(path, false));
      assert.equal(w.length, 1, path);
      assert.match(w[0]!, new RegExp(`^entrypoints\\.main: the writable bind of ${path.replaceAll("/", "\\/")} gives its voids the host kernel's own interface`));
      assert.match(w[0]!, /--host-root/);
      assert.match(w[0]!, /"Procfs"/);
    }
  });
  it("says nothing for a read-only bind of them or a writable bind elsewhere", () => {
    assert.deepEqual(warnings(bind("/proc/sys", true)), []);
    assert.deepEqual(warnings(bind("/srv/www", false)), []);
  });
});

describe("writableCoversLauncher: no writable bind over void's own installation", () => {
  const bind = (hostPath: string, readOnly = false) => ({ entrypoints: { main: { environment: [{ Filesystem: { host_path: hostPath, environment_path: "/k", read_only: readOnly } }] } } });
  // An install in a project's node_modules (/srv/www/node_modules/void-run), and the Node running it.
  const launcherFiles = ["/srv/www/node_modules/void-run/bin", "/srv/www/node_modules/void-run/build", "/srv/www/node_modules/commander", "/usr/lib/node"];
  const fake = new FakeHost()
    .file("/srv/app", buildElf({ type: 2 }))
    .dir("/srv/www/node_modules/void-run/build/sub")
    .file("/usr/lib/node", "node");
  const errorsFor = (path: string) => {
    const parsed = parseSpecValue(bind(path));
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, launcherFiles }, fake);
    assert.ok(!r.ok, path);
    return r.errors.filter((x) => x.includes("void's own installation"));
  };
  it("refuses a bind covering any of it, or inside a part of it, and says what and why", () => {
    for (const [path, what] of [
      ["/srv/www", /covers \/srv\/www\/node_modules\/void-run\/bin, \/srv\/www\/node_modules\/void-run\/build, \/srv\/www\/node_modules\/commander,/],
      ["/usr/lib", /covers \/usr\/lib\/node,/],
      ["/srv/www/node_modules/void-run/build", /covers \/srv\/www\/node_modules\/void-run\/build,/],
      ["/srv/www/node_modules/void-run/build/sub", /lies inside \/srv\/www\/node_modules\/void-run\/build,/],
    ] as const) {
      const e = errorsFor(path);
      assert.equal(e.length, 1, `${path}: ${JSON.stringify(e)}`);
      assert.match(e[0]!, new RegExp(`^entrypoints\\.main: the writable bind of ${path.replaceAll("/", "\\/")} `));
      assert.match(e[0]!, what);
      assert.match(
        e[0]!,
        /of void's own installation, which the launcher runs: a void of main could change what the next void run executes, outside every void, as the launcher; make the bind read-only/,
      );
    }
  });
  it("allows a read-only bind of it, and a writable bind beside it", () => {
    plan(bind("/srv/www", true), { launcherFiles });
    plan(bind("/srv/www", false), { launcherFiles: ["/opt/void/bin", "/opt/void/build"] });
  });
  it("refuses a writable bind of another name the mount table gives it, and reads the table only for a writable bind", () => {
    // /srv is a bind of /data/srv (one filesystem): /data/srv/www/node_modules/void-run/bin is void's bin too.
    let asked = 0;
    const mounted = mountedHost(fake, () => {
      asked++;
      return "1 0 8:3 / / rw - ext4 a rw\n30 1 8:1 / /data rw - ext4 b rw\n31 1 8:1 /srv /srv rw - ext4 b rw\n";
    });
    fake.dir("/data/srv");
    const parsed = parseSpecValue(bind("/data"));
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, launcherFiles }, mounted);
    assert.ok(!r.ok);
    assert.match(
      r.errors.join("\n"),
      /the writable bind of \/data covers \/data\/srv\/www\/node_modules\/void-run\/bin \(\/srv\/www\/node_modules\/void-run\/bin under another mount\), \/data\/srv\/www\/node_modules\/void-run\/build \(\/srv\/www\/node_modules\/void-run\/build under another mount\), \/data\/srv\/www\/node_modules\/commander \(\/srv\/www\/node_modules\/commander under another mount\), of void's own installation/,
    );
    assert.equal(asked, 1);
    const readOnly = parseSpecValue(bind("/data", true));
    assert.ok(readOnly.ok);
    assert.ok(planApplication(readOnly.spec, { ...input, launcherFiles }, mounted).ok);
    assert.equal(asked, 1, "no writable bind: the mount table is not read");
  });
});

describe("writableReachesLinkedLauncher: no writable bind on a filesystem where void's own files have other names", () => {
  const bind = (hostPath: string, readOnly = false) => ({ entrypoints: { main: { environment: [{ Filesystem: { host_path: hostPath, environment_path: "/k", read_only: readOnly } }] } } });
  // /srv is one filesystem (device 7, mounted at /srv), the rest another (device 9); void's files are linked on /srv.
  const fake = new FakeHost()
    .file("/srv/app", buildElf({ type: 2 }))
    .dir("/srv/data")
    .dir("/opt/data")
    .dir("/opt/srv-alias");
  const host: HostView = {
    lstat: (p) => fake.lstat(p),
    stat: (p) => {
      const st = fake.stat(p);
      return st === null ? null : { ...st, dev: p === "/srv" || p.startsWith("/srv/") ? "7" : "9" };
    },
    readlink: (p) => fake.readlink(p),
    openFile: (p) => fake.openFile(p),
    isExecutable: (p) => fake.isExecutable(p),
    readdir: (p) => fake.readdir(p),
  };
  const launcherLinks = [{ dev: "7", mount: "/srv", file: "/srv/store/void-run/package.json" }];
  const errorsFor = (spec: unknown) => {
    const parsed = parseSpecValue(spec);
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, launcherLinks }, host);
    return r.ok ? [] : r.errors.filter((x) => x.includes("other names"));
  };
  it("refuses a writable bind on that filesystem, or covering its top, and says why", () => {
    for (const path of ["/srv/data", "/"]) {
      const e = errorsFor(bind(path));
      assert.equal(e.length, 1, `${path}: ${JSON.stringify(e)}`);
      assert.match(
        e[0]!,
        new RegExp(
          `^entrypoints\\.main: the writable bind of ${path.replaceAll("/", "\\/")} is on the filesystem \\(\\/srv\\) of \\/srv\\/store\\/void-run\\/package\\.json, a file of void's own installation that has other names there`,
        ),
      );
      assert.match(e[0]!, /install void with npm \(files of its own\), or bind a directory of another filesystem/);
    }
  });
  it("refuses a writable bind that covers another mount of that filesystem", () => {
    // /opt/srv-alias shows /srv's filesystem (device 7: "0:7" in the mount table) on /opt's (device 9).
    const mounted: HostView = { ...host, mountTable: () => "1 0 0:9 / / rw - ext4 a rw\n30 1 0:7 / /srv rw - ext4 b rw\n31 1 0:7 /data /opt/srv-alias rw - ext4 b rw\n" };
    const parsed = parseSpecValue(bind("/opt"));
    assert.ok(parsed.ok);
    assert.ok(planApplication(parsed.spec, { ...input, launcherLinks }, host).ok, "without the table: another filesystem");
    const r = planApplication(parsed.spec, { ...input, launcherLinks }, mounted);
    assert.ok(!r.ok);
    assert.match(
      r.errors.join("\n"),
      /the writable bind of \/opt is on the filesystem \(\/opt\/srv-alias\) of \/srv\/store\/void-run\/package\.json, a file of void's own installation that has other names there/,
    );
  });
  it("allows a read-only bind there, a writable bind on another filesystem, and anything when nothing is linked", () => {
    assert.deepEqual(errorsFor(bind("/srv/data", true)), []);
    assert.deepEqual(errorsFor(bind("/opt/data")), []);
    const parsed = parseSpecValue(bind("/srv/data"));
    assert.ok(parsed.ok);
    assert.ok(planApplication(parsed.spec, { ...input, launcherLinks: [] }, host).ok);
  });
});

describe("planning Tmpfs, WorkingDirectory, Env, PassEnv", () => {
  it("plans scratch space, the environment (launcher values only for names passed on) and the directory", () => {
    const [p] = plan(
      {
        entrypoints: {
          main: {
            environment: [
              { Tmpfs: { path: "/tmp", size: "1M" } },
              { Filesystem: { host_path: "/srv/www", environment_path: "/www" } },
              { WorkingDirectory: "/www" },
              { Env: { LANG: "C.UTF-8" } },
              { PassEnv: ["TERM", "MISSING"] },
            ],
          },
        },
      },
      { launcherEnv: { TERM: "xterm", SECRET: "s" } },
    );
    assert.deepEqual(
      p!.mounts.find((m) => m.type === "scratch"),
      { type: "scratch", dest: "/tmp", size: 1024 * 1024, inodes: 1024, origin: "spec" },
    );
    assert.deepEqual(p!.environment, [
      { name: "LANG", value: "C.UTF-8", from: "spec" },
      { name: "TERM", value: "xterm", from: "launcher" },
    ]);
    assert.equal(p!.cwd, "/www");
    assert.equal(plan({ entrypoints: { main: {} } })[0]!.cwd, "/");
  });
  it("a working directory must be a directory of the void: a bind, a Tmpfs, a mount point's parent, or one inside a directory bind", () => {
    const ok = (env: unknown[], cwd: string) => assert.equal(plan({ entrypoints: { main: { environment: [...env, { WorkingDirectory: cwd }] } } })[0]!.cwd, cwd);
    ok([{ Tmpfs: { path: "/tmp" } }], "/tmp");
    ok([{ Filesystem: { host_path: "/srv", environment_path: "/srv" } }], "/srv/www");
    ok([{ Filesystem: { host_path: "/srv/www", environment_path: "/a/b/www" } }], "/a/b");
    for (const [env, cwd] of [
      [[], "/nowhere"],
      [[{ Tmpfs: { path: "/tmp" } }], "/tmp/work"],
      [[{ Filesystem: { host_path: "/srv", environment_path: "/srv" } }], "/srv/missing"],
      [[{ Filesystem: { host_path: "/srv/cert.pem", environment_path: "/cert.pem" } }], "/cert.pem"],
    ] as const) {
      const errs = planErrors({ entrypoints: { main: { environment: [...env, { WorkingDirectory: cwd }] } } });
      assert.match(errs.join("\n"), /WorkingDirectory .* is not a directory of the void/, cwd);
    }
  });
  it("a Tmpfs may not hide what the binary needs, nor stand where no mount point can be made", () => {
    const lib = new FakeHost().file("/srv/dyn", buildElf({ type: 2, interp: "/lib64/ld.so", needed: [] })).file("/lib64/ld.so", buildElf({ type: 3 }));
    const parsed = parseSpecValue({ entrypoints: { main: { environment: [{ Tmpfs: { path: "/lib64/ld.so" } }] } } });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, binary: "./dyn" }, lib);
    assert.ok(!r.ok && /would be hidden by the Tmpfs/.test(r.errors.join("\n")), JSON.stringify(r));
    const inside = planErrors({ entrypoints: { main: { environment: [{ Filesystem: { host_path: "/srv", environment_path: "/srv" } }, { Tmpfs: { path: "/srv/scratch" } }] } } });
    assert.match(inside.join("\n"), /cannot mount the Tmpfs at \/srv\/scratch: it lies inside the bind of \/srv/);
  });
});

describe("optional binds", () => {
  it("bind the host path when it exists, and nothing (said by void check) when it does not", () => {
    const [p] = plan({
      entrypoints: {
        main: {
          environment: [
            { Filesystem: { host_path: "/srv/www", environment_path: "/www", optional: true } },
            { Filesystem: { host_path: "/srv/missing", environment_path: "/missing", optional: true } },
          ],
        },
      },
    });
    assert.ok(binds(p!).some((b) => b.dest === "/www"));
    assert.ok(!binds(p!).some((b) => b.dest === "/missing"));
    assert.deepEqual(p!.absentOptional, ["/missing (optional: /srv/missing does not exist)"]);
    assert.match(planErrors({ entrypoints: { main: { environment: [{ Filesystem: { host_path: "/srv/missing", environment_path: "/missing" } }] } } }).join("\n"), /no such file or directory|ENOENT/);
  });
});

describe("mountsInsideWritable: no mount may stand where a void can write", () => {
  const w = { host_path: "/srv/www", environment_path: "/www", read_only: false };
  it("refuses a Tmpfs or bind nested in a writable bind, or in a bind of what another entrypoint writes", () => {
    for (const spec of [
      { entrypoints: { a: { environment: [{ Filesystem: w }, { Tmpfs: { path: "/www/tmp" } }] } } },
      {
        entrypoints: {
          a: { environment: [{ Filesystem: w }] },
          b: { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/data" } }, { Filesystem: { host_path: "/etc/app.conf", environment_path: "/data/index.html" } }] },
        },
      },
    ]) {
      assert.match(planErrors(spec).join("\n"), /would stand on \/srv\/www\/.*inside what .* can write \(the writable bind of \/srv\/www\)/, JSON.stringify(spec));
    }
  });
  it("refuses a writable bind at /dev, where the child makes /dev/null and the random devices' mount points", () => {
    const spec = {
      entrypoints: {
        a: { environment: ["DevRandom", { Filesystem: { host_path: "/srv/www", environment_path: "/dev", read_only: false, shared: true } }] },
      },
    };
    const errors = planErrors(spec).join("\n");
    assert.match(errors, /the device at \/dev\/null would stand on \/srv\/www\/null, inside what a's own voids can write/);
    assert.match(errors, /the device at \/dev\/random would stand on \/srv\/www\/random/);
  });
  it("allows nesting where nobody writes, and a writable bind's own mount point", () => {
    plan({
      entrypoints: { a: { environment: [{ Filesystem: { host_path: "/srv", environment_path: "/srv" } }, { Filesystem: { host_path: "/etc/app.conf", environment_path: "/srv/www/index.html" } }] } },
    });
    plan({
      entrypoints: {
        a: { environment: [{ Filesystem: { ...w, shared: true } }, { Tmpfs: { path: "/tmp" } }] },
        b: { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/www2" } }] },
      },
    });
  });
});

describe("other names the mount table gives what voids must not write (src/plan/mountinfo.ts)", () => {
  // /mnt/srv shows /srv (one filesystem), /mnt/www its www directory, /mnt/etc the root filesystem's /etc.
  const table = "1 0 8:3 / / rw - ext4 a rw\n30 1 8:1 / /srv rw - ext4 b rw\n31 1 8:1 / /mnt/srv rw - ext4 b rw\n32 1 8:1 /www /mnt/www rw - ext4 b rw\n33 1 8:3 /etc /mnt/etc rw - ext4 a rw\n";
  const fake = new FakeHost()
    .file("/srv/app", buildElf({ type: 2 }))
    .dir("/srv/www")
    .file("/etc/void/spec.json", "{}")
    .dir("/mnt/srv")
    .dir("/mnt/www")
    .dir("/mnt/etc");
  const mounted = mountedHost(fake, () => table);
  const errorsOf = (spec: unknown, over: Partial<PlanInput> = {}) => {
    const parsed = parseSpecValue(spec);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const r = planApplication(parsed.spec, { ...input, ...over }, mounted);
    return r.ok ? [] : r.errors;
  };
  const writable = (hostPath: string, at = "/w") => ({ Filesystem: { host_path: hostPath, environment_path: at, read_only: false } });
  it("names each writable bind under every name the table gives it (writableNames: where the launcher follows no symlink)", () => {
    const parsed = parseSpecValue({ entrypoints: { a: { environment: [writable("/srv/www")] } } });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, input, mounted);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(writableNames(r.plans, mounted).sort(), ["/mnt/srv/www", "/mnt/www", "/srv/www"]);
    let read = false;
    const readOnly = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/w" } }] } } });
    assert.ok(readOnly.ok);
    const plain = planApplication(readOnly.spec, input, mounted);
    assert.ok(plain.ok);
    assert.deepEqual(
      writableNames(
        plain.plans,
        mountedHost(fake, () => {
          read = true;
          return table;
        }),
      ),
      [],
    );
    assert.equal(read, false, "the table is read only when some void may write");
  });
  it("refuses a writable bind of another mount of the program", () => {
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/mnt/srv")] } } }).join("\n"),
      /the writable bind of \/mnt\/srv covers \/mnt\/srv\/app \(binary: \/srv\/app under another mount\), which every void of this program executes/,
    );
  });
  it("refuses a writable bind of another mount of the spec", () => {
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/mnt/etc")] } } }, { specFiles: ["/etc/void/spec.json"] }).join("\n"),
      /the writable bind of \/mnt\/etc covers \/mnt\/etc\/void\/spec\.json \(\/etc\/void\/spec\.json under another mount\), the spec this run is planned from/,
    );
  });
  it("refuses a mount nested in a bind whose directory another entrypoint writes under another name", () => {
    const spec = {
      entrypoints: {
        a: { environment: [writable("/mnt/www")] },
        b: { environment: [{ Filesystem: { host_path: "/srv/www", environment_path: "/data" } }, { Tmpfs: { path: "/data/tmp" } }] },
      },
    };
    assert.match(
      errorsOf(spec).join("\n"),
      /the Tmpfs at \/data\/tmp would stand on \/srv\/www\/tmp, inside what entrypoint a can write \(the writable bind of \/mnt\/www, which the mount table shows at \/srv\/www too\)/,
    );
  });
  it("refuses a LibraryPath, or a host path through a symlink, inside another name of what a void writes", () => {
    fake.dir("/srv/www/libs").dir("/srv/data").symlink("/srv/www/data", "/srv/data");
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/mnt/www"), { LibraryPath: "/srv/www/libs" }] } } }).join("\n"),
      /LibraryPath \/srv\/www\/libs lies inside what a void can write \(the writable bind of \/mnt\/www, which the mount table shows at \/srv\/www too\)/,
    );
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/mnt/www"), { Filesystem: { host_path: "/srv/www/data", environment_path: "/d" } }] } } }).join("\n"),
      /host_path \/srv\/www\/data goes through the symlink \/srv\/www\/data, inside what a void can write \(the writable bind of \/mnt\/www, which the mount table shows at \/srv\/www too\)/,
    );
  });
  it("refuses a writable bind on the filesystem of a file of void's mounted from a file whose name was removed", () => {
    // /srv/www/node_modules/void-run/build shows a directory of /srv's filesystem (8:1; device 2049 is 8:1) whose
    // name was removed: it may have a hard link anywhere on 8:1, such as under /mnt/srv.
    const gone: HostView = {
      ...mounted,
      stat: (p) => {
        const st = fake.stat(p);
        return st === null ? null : { ...st, dev: p.startsWith("/mnt/srv") ? "2049" : "2051" };
      },
      mountTable: () => `${table}40 30 8:1 /old//deleted /srv/www/node_modules/void-run/build rw - ext4 b rw\n`,
    };
    fake.dir("/srv/www/node_modules/void-run/build").dir("/mnt/srv/data");
    const parsed = parseSpecValue({ entrypoints: { a: { environment: [writable("/mnt/srv/data")] } } });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, launcherFiles: ["/srv/www/node_modules/void-run/build"] }, gone);
    assert.ok(!r.ok);
    assert.match(
      r.errors.join("\n"),
      /the writable bind of \/mnt\/srv\/data is on the filesystem of what the mount at \/srv\/www\/node_modules\/void-run\/build shows \(\/srv\/www\/node_modules\/void-run\/build\), a file or directory whose name there was removed/,
    );
  });
  it("refuses a writable bind where ld.so looks inside a directory of the launcher's LD_LIBRARY_PATH: a file in it, its glibc-hwcaps/, tls/ and platform subdirectories; not another directory in it", () => {
    const fake = new FakeHost()
      .file("/srv/app", buildElf({ type: 2 }))
      .file("/opt/lib/libfoo.so.1", "lib")
      .dir("/opt/lib/glibc-hwcaps/x86-64-v3")
      .dir("/opt/lib/x86_64")
      .dir("/opt/lib/data")
      .dir("/data");
    const errorsOf = (source: string, dirs: string[]) => {
      const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: source, environment_path: "/w", read_only: false } }] } } });
      assert.ok(parsed.ok);
      const r = planApplication(parsed.spec, { ...input, launcherLoader: dirs, launcherLoaderDirs: dirs }, fake);
      return r.ok ? [] : r.errors;
    };
    for (const source of ["/opt/lib/libfoo.so.1", "/opt/lib/glibc-hwcaps/x86-64-v3", "/opt/lib/x86_64"]) {
      assert.match(
        errorsOf(source, ["/opt/lib"]).join("\n"),
        /lies where ld\.so looks inside \/opt\/lib \(a file in it, or its glibc-hwcaps\/, tls\/ and platform subdirectories\), where ld\.so finds what it loads into the Node/,
        source,
      );
    }
    assert.deepEqual(errorsOf("/opt/lib/data", ["/opt/lib"]), [], "a directory ld.so does not search");
    // An empty LD_LIBRARY_PATH entry is the working directory: / for a service. Its directories stay free to bind.
    assert.deepEqual(errorsOf("/data", ["/"]), []);
    assert.match(errorsOf("/opt", ["/opt/lib"]).join("\n"), /the writable bind of \/opt covers \/opt\/lib, where ld\.so finds what it loads into the Node/);
  });
  it("refuses a writable bind of what ld.so loads into the launcher's Node by itself: its RUNPATH directory, a library and the links to it", () => {
    // conda's Node: RUNPATH $ORIGIN/../lib; Homebrew's lib/ holds links into its Cellar.
    const fake = new FakeHost()
      .file("/srv/app", buildElf({ type: 2 }))
      .file("/opt/conda/bin/node", buildElf({ type: 2, interp: "/lib64/ld.so", needed: ["libuv.so.1", "libz.so.1"], runpath: "$ORIGIN/../lib" }))
      .file("/lib64/ld.so", buildElf({ type: 3 }))
      .file("/opt/cellar/libuv/lib/libuv.so.1", buildElf({ type: 3, soname: "libuv.so.1" }))
      .symlink("/opt/conda/lib/libuv.so.1", "/opt/cellar/libuv/lib/libuv.so.1")
      .file("/opt/conda/lib/libz.so.1", buildElf({ type: 3, soname: "libz.so.1" }))
      .file("/opt/conda/lib/results.csv", "x")
      .file("/opt/conda/lib/contract.sol", "x")
      .dir("/opt/conda/lib/data");
    const errorsOf = (source: string) => {
      const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: source, environment_path: "/w", read_only: false } }] } } });
      assert.ok(parsed.ok);
      const r = planApplication(parsed.spec, { ...input, launcherNodes: ["/opt/conda/bin/node"] }, fake);
      return r.ok ? [] : r.errors;
    };
    assert.match(
      errorsOf("/opt/conda/lib").join("\n"),
      /the writable bind of \/opt\/conda\/lib covers .*\/opt\/conda\/lib.*, where ld\.so finds what it loads into the Node the void command runs \(through the launcher's LD_LIBRARY_PATH, LD_PRELOAD or LD_AUDIT, \/etc\/ld\.so\.preload or ld\.so\.cache, or Node's own libraries\)/,
    );
    assert.match(errorsOf("/opt/cellar/libuv").join("\n"), /the writable bind of \/opt\/cellar\/libuv covers \/opt\/cellar\/libuv\/lib\/libuv\.so\.1/);
    assert.match(errorsOf("/opt/conda/lib/libz.so.1").join("\n"), /the writable bind of \/opt\/conda\/lib\/libz\.so\.1 covers/);
    assert.deepEqual(errorsOf("/opt/conda/lib/results.csv"), [], "a file ld.so never opens by name");
    assert.deepEqual(errorsOf("/opt/conda/lib/contract.sol"), [], "nor .so inside a name");
    assert.deepEqual(errorsOf("/opt/conda/lib/data"), [], "a directory ld.so does not search");
  });
  it("refuses a writable bind of a RUNPATH directory of Node's not made yet, through a link; and of what an LD_PRELOAD library needs in turn", () => {
    const fake = new FakeHost()
      .file("/srv/app", buildElf({ type: 2 }))
      .file("/opt/n/bin/node", buildElf({ type: 2, interp: "/lib64/ld.so", needed: ["libstdc++.so.6"], runpath: "$ORIGIN/../lib" }))
      .file("/lib64/ld.so", buildElf({ type: 3 }))
      .symlink("/opt/n/lib", "/opt/shared/nodelibs")
      .dir("/opt/shared")
      .file("/opt/pre/libhook.so", buildElf({ type: 3, soname: "libhook.so", needed: ["libhookdep.so"], runpath: "/opt/deps" }))
      .file("/opt/deps/libhookdep.so", buildElf({ type: 3, soname: "libhookdep.so" }));
    const errorsOf = (source: string, over: Partial<PlanInput> = {}) => {
      const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: source, environment_path: "/w", read_only: false } }] } } });
      assert.ok(parsed.ok);
      const r = planApplication(parsed.spec, { ...input, launcherNodes: ["/opt/n/bin/node"], ...over }, fake);
      return r.ok ? [] : r.errors;
    };
    // opt/shared/nodelibs does not exist: a void writing /opt/shared could make it, with a libstdc++.so.6 in it.
    assert.match(errorsOf("/opt/shared").join("\n"), /the writable bind of \/opt\/shared covers \/opt\/shared\/nodelibs/);
    assert.deepEqual(errorsOf("/opt/deps"), [], "without the preload, nothing of Node's is there");
    assert.match(errorsOf("/opt/deps", { launcherPreload: ["/opt/pre/libhook.so"] }).join("\n"), /the writable bind of \/opt\/deps covers \/opt\/deps/);
    // A bare LD_PRELOAD name, found as Node's own DT_NEEDED would be (here through LD_LIBRARY_PATH; the cache and the
    // default directories alike), with what it needs in turn.
    assert.deepEqual(errorsOf("/opt/deps", { launcherLibraryPath: ["/opt/pre"] }), []);
    assert.match(errorsOf("/opt/deps", { launcherLibraryPath: ["/opt/pre"], launcherLoaderNames: ["libhook.so"] }).join("\n"), /the writable bind of \/opt\/deps covers \/opt\/deps/);
  });
  it("refuses a writable bind of /etc/ld.so.preload and ld.so.cache, present or not, and of what ld.so.preload names", () => {
    const fake = new FakeHost()
      .file("/srv/app", buildElf({ type: 2 }))
      .file("/usr/bin/node", buildElf({ type: 2, interp: "/lib64/ld.so", needed: [] }))
      .file("/lib64/ld.so", buildElf({ type: 3 }))
      .dir("/etc")
      .file("/opt/hook/libhook.so", buildElf({ type: 3, soname: "libhook.so", needed: ["libdep.so"], runpath: "/opt/deps" }))
      .file("/opt/deps/libdep.so", buildElf({ type: 3, soname: "libdep.so" }))
      .dir("/opt/other")
      .dir("/opt/lib64")
      .dir("/usr/hooks");
    const errorsOf = (source: string) => {
      const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: source, environment_path: "/w", read_only: false } }] } } });
      assert.ok(parsed.ok);
      const r = planApplication(parsed.spec, { ...input, launcherNodes: ["/usr/bin/node"] }, fake);
      return r.ok ? [] : r.errors;
    };
    // Absent: a void that could create either file would choose what Node loads.
    assert.match(errorsOf("/etc").join("\n"), /the writable bind of \/etc covers \/etc\/ld\.so\.preload, \/etc\/ld\.so\.cache, where ld\.so finds what it loads/);
    assert.deepEqual(errorsOf("/opt/deps"), [], "nothing preloaded yet");
    // Entries separated by blanks, newlines and colons; a comment to the end of its line; a path and what it needs.
    fake.file("/etc/ld.so.preload", "# hooks\n/opt/hook/libhook.so # the tracer\n\n#/opt/other/libnot.so\n/opt/$LIB/libx.so:$ORIGIN/../hooks/liby.so");
    assert.match(errorsOf("/opt/deps").join("\n"), /the writable bind of \/opt\/deps covers \/opt\/deps/);
    assert.match(errorsOf("/opt/hook").join("\n"), /the writable bind of \/opt\/hook covers \/opt\/hook\/libhook\.so/);
    assert.deepEqual(errorsOf("/opt/other"), [], "a commented-out entry");
    // ld.so expands $LIB, $PLATFORM and $ORIGIN (Node's directory) in a path there; neither file exists yet (ld.so skips
    // it), but a void writing its directory could make it.
    assert.match(errorsOf("/opt/lib64").join("\n"), /covers \/opt\/lib64\/libx\.so/);
    assert.match(errorsOf("/usr/hooks").join("\n"), /covers \/usr\/hooks\/liby\.so/);
  });
  it("refuses a writable bind of a directory on the launcher's PATH where void looks for node, under any name", () => {
    fake.dir("/srv/home/.cargo/bin").dir("/mnt/srv/home");
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/srv/home/.cargo")] } } }, { launcherPath: ["/srv/home/.cargo/bin", "/usr/bin"] }).join("\n"),
      /the writable bind of \/srv\/home\/\.cargo covers \/srv\/home\/\.cargo\/bin, on the launcher's PATH where the void command looks for node before it finds it: a void of a could put a program there that the next void command runs as the launcher/,
    );
    assert.match(
      errorsOf({ entrypoints: { a: { environment: [writable("/mnt/srv/home")] } } }, { launcherPath: ["/srv/home/.cargo/bin", "/usr/bin"] }).join("\n"),
      /the writable bind of \/mnt\/srv\/home covers \/mnt\/srv\/home\/\.cargo\/bin \(\/srv\/home\/\.cargo\/bin under another mount\), on the launcher's PATH/,
    );
  });
  it("allows the same binds read-only, and a writable bind the table shows nothing of theirs under", () => {
    assert.deepEqual(errorsOf({ entrypoints: { a: { environment: [{ Filesystem: { host_path: "/mnt/srv", environment_path: "/w" } }] } } }, { specFiles: ["/etc/void/spec.json"] }), []);
    assert.deepEqual(errorsOf({ entrypoints: { a: { environment: [writable("/mnt/www")] } } }, { specFiles: ["/etc/void/spec.json"] }), []);
  });
});

describe("a binary whose RUNPATH uses $ORIGIN", () => {
  it("gets LD_ORIGIN_PATH, its $ORIGIN, for ld.so (which has no /proc/self/exe without Procfs)", () => {
    const h = new FakeHost()
      .file("/opt/app/bin/app", buildElf({ type: 2, interp: "/lib64/ld.so", needed: ["libx.so"], runpath: "$ORIGIN/../lib" }))
      .file("/opt/app/lib/libx.so", buildElf({ type: 3 }))
      .file("/lib64/ld.so", buildElf({ type: 3 }));
    const run = (environment: unknown[]) => {
      const parsed = parseSpecValue({ entrypoints: { main: { environment } } });
      assert.ok(parsed.ok);
      const r = planApplication(parsed.spec, { ...input, binary: "/opt/app/bin/app" }, h);
      assert.ok(r.ok, JSON.stringify(r));
      return r.plans[0]!.environment;
    };
    assert.deepEqual(run([]), [{ name: "LD_ORIGIN_PATH", value: "/opt/app/bin", from: "void" }]);
    assert.deepEqual(run([{ Env: { LANG: "C" } }]), [
      { name: "LANG", value: "C", from: "spec" },
      { name: "LD_ORIGIN_PATH", value: "/opt/app/bin", from: "void" },
    ]);
    assert.deepEqual(plan({ entrypoints: { main: {} } })[0]!.environment, [], "a binary without $ORIGIN gets nothing");
  });
});

describe("Executable grants", () => {
  const h = new FakeHost()
    .file("/srv/app", buildElf({ type: 2 }))
    .file("/opt/tools/tool", buildElf({ type: 2, interp: "/lib64/ld.so", needed: ["libt.so"], runpath: "/opt/tools/lib" }))
    .file("/opt/tools/lib/libt.so", buildElf({ type: 3 }))
    .file("/lib64/ld.so", buildElf({ type: 3 }));
  const run = (spec: unknown) => {
    const parsed = parseSpecValue(spec);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    return planApplication(parsed.spec, input, h);
  };
  it("bind the program, its interpreter and libraries in that entrypoint's void only", () => {
    const r = run({ entrypoints: { a: { environment: [{ Executable: "/opt/tools/tool" }] }, b: {} } });
    assert.ok(r.ok, JSON.stringify(r));
    const a = r.plans[0]!.mounts.filter((m) => m.type === "bind").map((m) => [m.dest, m.origin]);
    assert.deepEqual(
      a.filter(([d]) => String(d).startsWith("/opt") || d === "/lib64/ld.so"),
      [
        ["/lib64/ld.so", "interpreter"],
        ["/opt/tools/lib/libt.so", "library"],
        ["/opt/tools/tool", "executable"],
      ],
    );
    assert.ok(!r.plans[1]!.mounts.some((m) => m.type === "bind" && m.source.startsWith("/opt")), "not in another entrypoint's void");
  });
  it("are refused when missing, and covered by the writable-bind rule", () => {
    const missing = run({ entrypoints: { a: { environment: [{ Executable: "/opt/none" }] } } });
    assert.ok(!missing.ok && /Executable \/opt\/none: no such file or directory/.test(missing.errors.join("\n")));
    const covered = run({
      entrypoints: { a: { environment: [{ Executable: "/opt/tools/tool" }] }, b: { environment: [{ Filesystem: { host_path: "/opt/tools/lib", environment_path: "/w", read_only: false } }] } },
    });
    assert.ok(!covered.ok && /writable bind of \/opt\/tools\/lib covers \/opt\/tools\/lib\/libt\.so \(library\)/.test(covered.errors.join("\n")), JSON.stringify(covered));
  });
});

describe("what a void can write may not steer a later plan: symlinks on host paths, the loader's search directories", () => {
  it("refuses a Filesystem host_path through a symlink inside a writable bind", () => {
    const h = new FakeHost()
      .file("/srv/app", buildElf({ type: 2 }))
      .file("/srv/w/x", "x")
      .symlink("/srv/w/sub", "/etc")
      .file("/etc/hostname", "h");
    const parsed = parseSpecValue({
      entrypoints: { a: { environment: [{ Filesystem: { host_path: "/srv/w", environment_path: "/w", read_only: false } }, { Filesystem: { host_path: "/srv/w/sub", environment_path: "/sub" } }] } },
    });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, binary: "/srv/app" }, h);
    assert.ok(!r.ok && /host_path \/srv\/w\/sub goes through the symlink \/srv\/w\/sub, inside what a void can write \(the writable bind of \/srv\/w\)/.test(r.errors.join("\n")), JSON.stringify(r));
  });
  it("refuses a bind that shows a directory ld.so searches, writable or from a directory a void writes", () => {
    const h = new FakeHost()
      .file("/opt/app/bin/app", buildElf({ type: 2, interp: "/lib64/ld.so", needed: ["libh.so"], runpath: "$ORIGIN/../lib:/opt/app/good" }))
      .file("/opt/app/good/libh.so", buildElf({ type: 3 }))
      .file("/lib64/ld.so", buildElf({ type: 3 }))
      .file("/data/x", "x");
    const run = (environment: unknown[], more: Record<string, unknown> = {}) => {
      const parsed = parseSpecValue({ entrypoints: { a: { environment }, ...more } });
      assert.ok(parsed.ok, JSON.stringify(parsed));
      return planApplication(parsed.spec, { ...input, binary: "/opt/app/bin/app" }, h);
    };
    const writable = run([{ Filesystem: { host_path: "/data", environment_path: "/opt/app/lib", read_only: false } }]);
    assert.ok(!writable.ok && /ld\.so looks for libraries in \/opt\/app\/lib, which the bind of \/data at \/opt\/app\/lib shows writable/.test(writable.errors.join("\n")), JSON.stringify(writable));
    const shared = run([{ Filesystem: { host_path: "/data", environment_path: "/opt/app/lib" } }], {
      b: { environment: [{ Filesystem: { host_path: "/data", environment_path: "/d", read_only: false, shared: true } }] },
    });
    assert.ok(!shared.ok && /from inside what a void can write \(the writable bind of \/data\)/.test(shared.errors.join("\n")), JSON.stringify(shared));
    assert.ok(run([{ Filesystem: { host_path: "/data", environment_path: "/opt/app/lib" } }]).ok, "read-only, and nobody writes /data");
  });
});

describe("symlinks on the path to what voids execute, under a bind of the same path", () => {
  it("are checked although the bind shows them (and the planner binds nothing of its own there)", () => {
    const h = new FakeHost()
      .file("/opt/real/app", buildElf({ type: 2 }))
      .symlink("/opt/app/run", "../real/app")
      .file("/opt/app/data", "x");
    const parsed = parseSpecValue({ entrypoints: { a: { environment: [{ Filesystem: { host_path: "/opt/app", environment_path: "/opt/app", read_only: false } }] } } });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, binary: "/opt/app/run" }, h);
    assert.ok(!r.ok && /the path to what it executes .* goes through the symlink \/opt\/app\/run, inside what a void can write/.test(r.errors.join("\n")), JSON.stringify(r));
  });
});

describe("a Python program", () => {
  it("gets PYTHONNOUSERSITE=1: no .pth file in a user site directory a void could write runs as code", () => {
    const h = new FakeHost().file("/usr/bin/python3.11", buildElf({ type: 2 })).file("/srv/tool.py", "#!/usr/bin/python3.11\nprint(1)\n");
    const parsed = parseSpecValue({ entrypoints: { main: {} } });
    assert.ok(parsed.ok);
    const r = planApplication(parsed.spec, { ...input, binary: "/srv/tool.py" }, h);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.plans[0]!.environment, [{ name: "PYTHONNOUSERSITE", value: "1", from: "void" }]);
  });
});

describe("an empty argv", () => {
  it("is refused when planned, not left to fail at spawn", () => {
    assert.match(planErrors({ entrypoints: { a: { args: ["Trailing"] } } }, { trailing: [] }).join("\n"), /its argv would be empty \(only Trailing, and no trailing arguments were given\)/);
    assert.match(planErrors({ entrypoints: { a: { args: [] } } }).join("\n"), /its argv would be empty \("args": \[\]\)/);
    assert.equal(plan({ entrypoints: { a: { args: ["Trailing"] } } })[0]!.argv.length, 2, "with trailing arguments it is fine");
  });
});

describe("LibraryPath and Library grants", () => {
  const ld = "/lib64/ld.so";
  const h = new FakeHost()
    .file(ld, buildElf({ type: 3 }))
    .file("/opt/app/bin/app", buildElf({ type: 2, interp: ld, needed: ["libapp.so"] }))
    .file("/opt/app/lib/libapp.so", buildElf({ type: 3, soname: "libapp.so" }))
    .dir("/opt/empty")
    .file("/opt/mods/plugin.so", buildElf({ type: 3, needed: ["libdep.so"], runpath: "/opt/deps" }), 0o644)
    .file("/opt/deps/libdep.so", buildElf({ type: 3, soname: "libdep.so" }))
    .file("/opt/static", buildElf({ type: 2 }))
    .dir("/srv/state");
  const run = (spec: unknown, binary = "/opt/app/bin/app") => {
    const parsed = parseSpecValue(spec);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    return planApplication(parsed.spec, { ...input, binary }, h);
  };
  const lib = { LibraryPath: "/opt/app/lib" };
  it("find the binary's libraries in LibraryPath directories, bind them and set LD_LIBRARY_PATH to exactly those directories", () => {
    const r = run({ entrypoints: { a: { environment: [{ LibraryPath: "/opt/empty" }, lib] } } });
    assert.ok(r.ok, JSON.stringify(r));
    const p = r.plans[0]!;
    assert.deepEqual(p.environment, [{ name: "LD_LIBRARY_PATH", value: "/opt/empty:/opt/app/lib", from: "void" }]);
    assert.ok(
      binds(p).some((b) => b.dest === "/opt/app/lib/libapp.so" && b.readOnly && b.origin === "library"),
      JSON.stringify(p.mounts),
    );
    assert.ok(!binds(p).some((b) => b.dest === "/opt/empty" || b.dest === "/opt/app/lib"), "the libraries found, not the directories");
  });
  it("refuse a LibraryPath whose glibc-hwcaps entry is a symlink into what a void can write, even before anything is there", () => {
    const hw = new FakeHost()
      .file(ld, buildElf({ type: 3 }))
      .file("/opt/app/bin/app", buildElf({ type: 2, interp: ld, needed: ["libapp.so"] }))
      .file("/opt/lib2/libapp.so", buildElf({ type: 3, soname: "libapp.so" }))
      .symlink("/opt/lib2/glibc-hwcaps", "../w2")
      .dir("/opt/w2");
    const parsed = parseSpecValue({
      entrypoints: {
        planter: { environment: [{ Filesystem: { host_path: "/opt/w2", environment_path: "/data", read_only: false, shared: true } }] },
        main: {
          environment: [{ LibraryPath: "/opt/lib2" }, { Filesystem: { host_path: "/opt/lib2", environment_path: "/opt/lib2" } }, { Filesystem: { host_path: "/opt/w2", environment_path: "/opt/w2" } }],
        },
      },
    });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const r = planApplication(parsed.spec, { ...input, binary: "/opt/app/bin/app" }, hw);
    assert.ok(!r.ok, "planned");
    assert.match(
      r.errors.join("\n"),
      /entrypoints\.main: ld\.so looks for libraries in \/opt\/lib2\/glibc-hwcaps\/x86-64-v\d, which the bind of \/opt\/lib2 at \/opt\/lib2 shows from inside what a void can write \(the writable bind of \/opt\/w2\)/,
    );
  });
  it("per entrypoint: one without the grant fails to resolve, by name", () => {
    const r = run({ entrypoints: { a: { environment: [lib] }, b: {} } });
    assert.ok(!r.ok);
    assert.match(r.errors.join("\n"), /^entrypoints\.b: libapp\.so \(needed by \/opt\/app\/bin\/app\): not found/m);
    assert.doesNotMatch(r.errors.join("\n"), /entrypoints\.a/);
  });
  it("refuse a LibraryPath that is missing or a file, and one a void can write", () => {
    const none = run({ entrypoints: { a: { environment: [lib, { LibraryPath: "/opt/none" }] } } });
    assert.ok(!none.ok && /environment\[1\]: LibraryPath \/opt\/none: no such directory/.test(none.errors.join("\n")));
    const f = run({ entrypoints: { a: { environment: [lib, { LibraryPath: "/opt/static" }] } } });
    assert.ok(!f.ok && /LibraryPath \/opt\/static: not a directory/.test(f.errors.join("\n")));
    const w = run({
      entrypoints: { a: { environment: [lib, { LibraryPath: "/srv/state" }] }, b: { environment: [lib, { Filesystem: { host_path: "/srv", environment_path: "/data", read_only: false } }] } },
    });
    assert.ok(
      !w.ok && /entrypoints\.a\.environment\[1\]: LibraryPath \/srv\/state lies inside what a void can write \(the writable bind of \/srv of entrypoint b\)/.test(w.errors.join("\n")),
      JSON.stringify(w),
    );
    const shown = run({ entrypoints: { a: { environment: [lib, { LibraryPath: "/srv/state" }, { Filesystem: { host_path: "/opt/empty", environment_path: "/srv", read_only: false } }] } } });
    assert.ok(!shown.ok && /ld\.so looks for libraries in \/srv\/state, which the bind of \/opt\/empty at \/srv shows writable/.test(shown.errors.join("\n")), JSON.stringify(shown));
  });
  it("bind a Library grant and the libraries it needs, read-only, for that entrypoint only", () => {
    const r = run({ entrypoints: { a: { environment: [lib, { Library: "/opt/mods/plugin.so" }] }, b: { environment: [lib] } } });
    assert.ok(r.ok, JSON.stringify(r));
    const a = binds(r.plans[0]!).filter((b) => b.dest.startsWith("/opt/mods") || b.dest.startsWith("/opt/deps"));
    assert.deepEqual(
      a.map((b) => [b.dest, b.origin, b.readOnly]),
      [
        ["/opt/deps/libdep.so", "library", true],
        ["/opt/mods/plugin.so", "module", true],
      ],
    );
    assert.ok(!binds(r.plans[1]!).some((b) => b.dest.startsWith("/opt/mods")));
    const covered = run({
      entrypoints: { a: { environment: [lib, { Library: "/opt/mods/plugin.so" }] }, b: { environment: [lib, { Filesystem: { host_path: "/opt/deps", environment_path: "/w", read_only: false } }] } },
    });
    assert.ok(!covered.ok && /writable bind of \/opt\/deps covers \/opt\/deps\/libdep\.so \(library\)/.test(covered.errors.join("\n")), JSON.stringify(covered));
  });
  it("refuse a missing Library, and one no program of the entrypoint can load", () => {
    const missing = run({ entrypoints: { a: { environment: [lib, { Library: "/opt/mods/none.so" }] } } });
    assert.ok(!missing.ok && /environment\[1\]: Library \/opt\/mods\/none\.so: no such file or directory/.test(missing.errors.join("\n")));
    const unplaced = run({ entrypoints: { a: { environment: [{ Library: "/opt/mods/plugin.so" }] } } }, "/opt/static");
    assert.ok(!unplaced.ok && /Library \/opt\/mods\/plugin\.so: no program of this entrypoint can load it/.test(unplaced.errors.join("\n")), JSON.stringify(unplaced));
    const viaExecutable = run({ entrypoints: { a: { environment: [lib, { Executable: "/opt/app/bin/app" }, { Library: "/opt/mods/plugin.so" }] } } }, "/opt/static");
    assert.ok(viaExecutable.ok, JSON.stringify(viaExecutable));
    assert.ok(
      binds(viaExecutable.plans[0]!).some((b) => b.dest === "/opt/deps/libdep.so"),
      "loaded by the Executable's process",
    );
  });
});
