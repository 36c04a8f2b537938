/**
 * forktop's pure core (src/protocol.ts, model.ts): event-line
 * validation, the process table built from scripted event sequences
 * (namespaces, threads, exec, exits, pid reuse), tree and flat views, the
 * filter, ids inside user namespaces, and every "more than its parent" rule.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capMask, capNames, comparePrivileges, describeCaps, differencesOf, insideId, LOG_LIMIT, ProcessTable, type Row, type ViewOptions, visibleRows } from "../../src/model.js";
import { parseEventLine, type Snapshot, type TracerEvent } from "../../src/protocol.js";
import { create, FULL_CAPS, NO_CAPS, snap, story, voidSnap } from "../support/events.js";

function tableOf(events: TracerEvent[]): ProcessTable {
  const t = new ProcessTable();
  for (const e of events) t.apply(e);
  return t;
}

const TREE: ViewOptions = { mode: "tree", filter: "", expanded: new Set(), allThreads: false, hideExited: false };

function describeRows(t: ProcessTable, rows: Row[]): string[] {
  return rows.map((r) => (r.kind === "thread" ? `${r.prefix}t${r.tid}` : `${r.prefix}${t.get(r.key)!.pid}${r.match ? "" : "?"}`));
}

describe("forktop protocol lines", () => {
  it("accepts every event of the protocol and keeps unknown fields", () => {
    for (const e of story()) {
      const r = parseEventLine(JSON.stringify({ ...e, extra: 1 }));
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.event.event, e.event);
    }
    const lines = [
      { event: "shell", time: 1, pid: 5, shell: 6 },
      { event: "shell-exit", time: 1, shell: 6, code: 0 },
      { event: "detached", time: 1 },
      { event: "error", time: 1, message: "shell 5: seccomp forbids execveat (EPERM)", pid: 5 },
      { event: "exit", time: 1, pid: 5, signal: "SIGKILL", core: false, thread: true },
      { event: "exec", time: 1, pid: 5, former_pid: 7, snapshot: snap() },
    ];
    for (const l of lines) assert.ok(parseEventLine(JSON.stringify(l)).ok, JSON.stringify(l));
  });

  it("fills missing snapshot fields with null", () => {
    const r = parseEventLine(JSON.stringify({ event: "change", time: 2, pid: 9, snapshot: { comm: "x" } }));
    assert.ok(r.ok);
    const s = (r.event as { snapshot: Snapshot }).snapshot;
    assert.equal(s.comm, "x");
    assert.equal(s.uid, null);
    assert.equal(s.caps, null);
  });

  it("refuses malformed lines with a message naming what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["not json", /not JSON/],
      ["[1,2]", /not a JSON object/],
      ['{"time":1}', /no "event"/],
      ['{"event":"fork"}', /no numeric "time"/],
      ['{"event":"fork","time":1,"pid":"12","ppid":1,"snapshot":{}}', /fork: pid:/],
      ['{"event":"fork","time":1,"pid":12,"ppid":1,"snapshot":{"uid":"0"}}', /snapshot\.uid/],
      ['{"event":"hello","time":1,"version":1,"mode":"magic","tracer":3}', /hello: mode/],
      ['{"event":"attach","time":1,"pid":12,"ppid":1,"snapshot":{"caps":{"eff":"xyz"}}}', /snapshot\.caps\.eff/],
    ];
    for (const [line, re] of cases) {
      const r = parseEventLine(line);
      assert.equal(r.ok, false, line);
      if (!r.ok) assert.match(r.error, re, line);
    }
  });

  it("keeps an unknown event as unknown", () => {
    const r = parseEventLine('{"event":"teleport","time":3,"pid":1}');
    assert.ok(r.ok);
    assert.deepEqual(r.event, { event: "teleport", time: 3, unknown: true });
  });
});

describe("forktop process table", () => {
  it("builds the tree of a scripted story, creation order, with exits kept", () => {
    const t = tableOf(story());
    assert.equal(t.hello?.mode, "ptrace");
    assert.deepEqual(describeRows(t, visibleRows(t, TREE)), ["100", "├─ 101", "│  └─ 102", "└─ 103"]);
    const p103 = t.byPid(103)!;
    assert.equal(p103.alive, false);
    assert.deepEqual(p103.exit, { time: p103.exit!.time, code: 3, core: false });
    assert.equal(t.liveCount, 3);
    assert.equal(t.byPid(102)!.execs, 1);
    assert.deepEqual(t.byPid(102)!.snapshot.cmdline, ["/bin/helper"]);
  });

  it("lists threads under their process when expanded, and all with allThreads", () => {
    const t = tableOf(story());
    const k101 = t.byPid(101)!.key;
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, expanded: new Set([k101]) })), ["100", "├─ 101", "│  │ └┄ t105", "│  └─ 102", "└─ 103"]);
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, allThreads: true, mode: "flat" })), ["100", "101", "  t105", "102", "103"]);
    t.apply({ event: "exit", time: 9e12, pid: 105, thread: true, code: 0 });
    assert.equal(t.byPid(101)!.threads.get(105)!.alive, false);
    assert.equal(t.byPid(101)!.alive, true, "a thread's exit is not its process's");
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, allThreads: true, hideExited: true })), ["100", "└─ 101", "   └─ 102"]);
  });

  it("an exec by a non-leader thread ends the other threads", () => {
    const t = tableOf(story());
    t.apply({ event: "thread", time: 1, pid: 106, tgid: 101 });
    t.apply({ event: "exec", time: 2, pid: 101, former_pid: 106, snapshot: voidSnap(101, 1, { comm: "new" }) });
    const p = t.byPid(101)!;
    assert.ok([...p.threads.values()].every((th) => !th.alive));
    assert.match(t.log.at(-1)!.text, /by thread 106/);
  });

  it("hides exited processes on request but keeps their live descendants placed", () => {
    const t = tableOf(story());
    t.apply({ event: "exit", time: 1, pid: 101, code: 0 });
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, hideExited: true })), ["100", "└─ 101?", "   └─ 102"]);
  });

  it("a reused pid is a new process; the old one stays in the tree", () => {
    const t = tableOf(story());
    t.apply(create("fork", 103, 102, voidSnap(103, 3, { comm: "again" })));
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, mode: "flat" })), ["100", "101", "102", "103", "103"]);
    assert.equal(t.byPid(103)!.snapshot.comm, "again");
    assert.equal(t.byPid(103)!.alive, true);
  });

  it("filters: tree keeps ancestors (not matches), flat only matches", () => {
    const t = tableOf(story());
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, filter: "HELPER" })), ["100?", "└─ 101?", "   └─ 102"]);
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, filter: "helper", mode: "flat" })), ["102"]);
    assert.deepEqual(describeRows(t, visibleRows(t, { ...TREE, filter: "103" })), ["100?", "└─ 103"]);
    assert.deepEqual(visibleRows(t, { ...TREE, filter: "nothing-like-this" }), []);
  });

  it("logs fork, exec, exit with the tracer's times, and flags a MORE child", () => {
    const events = story();
    const t = tableOf(events);
    const kinds = t.log.map((e) => e.kind);
    assert.deepEqual(kinds, ["hello", "spawn", "clone", "thread", "fork", "exec", "fork", "exit"]);
    assert.equal(t.log[1]!.time, events[1]!.time);
    const exec = t.log.find((e) => e.kind === "exec")!;
    assert.equal(exec.level, "warn");
    assert.match(exec.text, /MORE than parent: cap prm \+net_raw, cap eff \+net_raw/);
    assert.match(t.log.at(-1)!.text, /103 worker: exit 3/);
  });

  it("records detach, shells, errors, bad lines and caps the log", () => {
    const t = new ProcessTable();
    t.apply({ event: "shell", time: 1, pid: 5, shell: 6 });
    assert.equal(t.shells.get(6), 5);
    t.apply({ event: "shell-exit", time: 2, shell: 6, code: 0 });
    assert.equal(t.shells.size, 0);
    t.apply({ event: "error", time: 3, message: "shell 5: no busybox", pid: 5 });
    assert.equal(t.log.at(-1)!.level, "error");
    t.apply({ event: "detached", time: 4 });
    assert.equal(t.detached, true);
    for (let i = 0; i < LOG_LIMIT + 10; i++) t.protocolError(i, "x");
    assert.equal(t.log.length, LOG_LIMIT);
    assert.equal(t.logDropped, 14);
  });
});

describe("forktop ids and capabilities", () => {
  it("maps host ids inside a user namespace", () => {
    assert.equal(insideId(1000, [[0, 1000, 1]]), 0);
    assert.equal(insideId(1005, [[0, 1000, 10]]), 5);
    assert.equal(insideId(1010, [[0, 1000, 10]]), null);
    assert.equal(insideId(0, [[0, 1000, 1]]), null);
    assert.equal(insideId(65534, [[0, 0, 4294967295]]), 65534);
    assert.equal(insideId(5, null), null);
  });

  it("names capabilities", () => {
    assert.deepEqual(capNames(capMask("0000000000200000")!), ["sys_admin"]);
    assert.equal(describeCaps(capMask(FULL_CAPS)), "all");
    assert.equal(describeCaps(capMask(NO_CAPS)), "none");
    assert.equal(describeCaps(capMask("0000000000002001")), "chown,net_raw");
    assert.equal(capMask("zz"), null);
  });
});

function verdicts(child: Snapshot, parent: Snapshot): string[] {
  return comparePrivileges(child, parent).map((d) => `${d.verdict} ${d.label}`);
}

describe("forktop: more than its parent", () => {
  const parent = snap();

  it("the same snapshot has no difference", () => {
    assert.deepEqual(comparePrivileges(parent, parent), []);
  });

  it("capabilities gained in eff/prm/bnd/amb are MORE, dropped are less, inh is changed", () => {
    const child = snap({ caps: { inh: "0000000000000001", prm: "0000000000200000", eff: "0000000000200000", bnd: "0000000000000001", amb: "0000000000200000" } });
    const p = snap({ caps: { inh: NO_CAPS, prm: NO_CAPS, eff: NO_CAPS, bnd: FULL_CAPS, amb: NO_CAPS } });
    assert.deepEqual(verdicts(child, p), [
      "changed cap inh +chown",
      "more cap prm +sys_admin",
      "more cap eff +sys_admin",
      `less cap bnd -${describeCaps(capMask(FULL_CAPS)! & ~1n)}`,
      "more cap amb +sys_admin",
    ]);
    const d = comparePrivileges(child, p).find((x) => x.field === "caps.eff")!;
    assert.equal(d.parent, "none");
    assert.equal(d.child, "sys_admin");
  });

  it("capabilities gained in a new user namespace are still MORE, and say so", () => {
    const child = voidSnap(5, 1, { caps: { inh: NO_CAPS, prm: FULL_CAPS, eff: FULL_CAPS, bnd: FULL_CAPS, amb: NO_CAPS } });
    const d = comparePrivileges(child, parent).find((x) => x.field === "caps.eff")!;
    assert.equal(d.verdict, "more");
    assert.match(d.why, /own user namespace/);
  });

  it("no_new_privs cleared is MORE, set is less", () => {
    assert.deepEqual(verdicts(snap({ no_new_privs: false }), snap({ no_new_privs: true })), ["more no_new_privs cleared"]);
    assert.deepEqual(verdicts(snap({ no_new_privs: true }), snap({ no_new_privs: false })), ["less no_new_privs set"]);
  });

  it("seccomp off or fewer filters is MORE; more filters or strict is less", () => {
    const f = (seccomp: number, seccomp_filters: number) => snap({ seccomp, seccomp_filters });
    assert.deepEqual(verdicts(f(0, 0), f(2, 1)), ["more seccomp weaker"]);
    assert.deepEqual(verdicts(f(2, 1), f(2, 3)), ["more seccomp weaker"]);
    assert.deepEqual(verdicts(f(2, 3), f(2, 1)), ["less seccomp"]);
    assert.deepEqual(verdicts(f(2, 1), f(0, 0)), ["less seccomp"]);
    assert.deepEqual(verdicts(f(1, 0), f(2, 2)), ["less seccomp"]);
    assert.deepEqual(verdicts(f(2, 2), f(1, 0)), ["more seccomp weaker"]);
  });

  it("host uid 0 the parent does not hold is MORE; another uid is changed", () => {
    assert.deepEqual(verdicts(snap({ uid: [1000, 0, 0, 0] }), snap()), ["more host uid 0"]);
    assert.deepEqual(verdicts(snap({ uid: [1001, 1001, 1001, 1001] }), snap()), ["changed uid 1001"]);
    assert.deepEqual(verdicts(snap({ gid: [0, 0, 0, 0] }), snap()), ["more host gid 0"]);
    // A root parent: a child that stays root gains nothing.
    const root = snap({ uid: [0, 0, 0, 0] });
    assert.deepEqual(verdicts(snap({ uid: [0, 0, 0, 0], cwd: "/x" }), root), []);
  });

  it("uid_map: mapping host 0 from a non-root parent, or ids outside the parent's map, is MORE; a subset is less", () => {
    const unpriv = snap({ uid: [1000, 1000, 1000, 1000] });
    assert.deepEqual(verdicts(snap({ uid_map: [[0, 0, 1]] }), unpriv), ["more uid_map maps host 0"]);
    assert.deepEqual(verdicts(snap({ uid_map: [[0, 1000, 1]] }), unpriv), ["less uid_map"]);
    const nested = snap({ uid_map: [[0, 1000, 1]] });
    assert.deepEqual(verdicts(snap({ uid_map: [[0, 1000, 2]] }), nested), ["more uid_map"]);
    assert.deepEqual(
      verdicts(
        snap({ uid_map: [[0, 1000, 1]] }),
        snap({
          uid_map: [
            [0, 1000, 1],
            [1, 2000, 5],
          ],
        }),
      ),
      ["less uid_map"],
    );
    // A map spanning two adjacent parent rows is covered.
    assert.deepEqual(
      verdicts(
        snap({ uid_map: [[0, 10, 20]] }),
        snap({
          uid_map: [
            [0, 10, 10],
            [10, 20, 10],
          ],
        }),
      ),
      ["less uid_map"],
    );
  });

  it("root outside the parent's is MORE, inside less", () => {
    assert.deepEqual(verdicts(snap({ root: "/" }), snap({ root: "/srv/jail" })), ["more root outside parent's"]);
    assert.deepEqual(verdicts(snap({ root: "/srv/jail2" }), snap({ root: "/srv/jail" })), ["more root outside parent's"]);
    assert.deepEqual(verdicts(snap({ root: "/srv/jail/x" }), snap({ root: "/srv/jail" })), ["less root narrower"]);
  });

  it("cgroup outside the parent's subtree is MORE, below it less", () => {
    assert.deepEqual(verdicts(snap({ cgroup: "0::/other" }), snap({ cgroup: "0::/app" })), ["more cgroup escaped"]);
    assert.deepEqual(verdicts(snap({ cgroup: "0::/app/void-1" }), snap({ cgroup: "0::/app" })), ["less cgroup"]);
    assert.deepEqual(verdicts(snap({ cgroup: "12:pids:/a" }), snap({ cgroup: "12:pids:/b" })), ["changed cgroup"]);
  });

  it("more mounts is MORE, fewer less", () => {
    assert.deepEqual(verdicts(snap({ mounts: 31 }), snap({ mounts: 30 })), ["more +1 mounts"]);
    assert.deepEqual(verdicts(snap({ mounts: 7 }), snap({ mounts: 30 })), ["less mounts"]);
  });

  it("an open directory outside its root is MORE; other new fds are changed", () => {
    const p = snap({ root: "/jail", fds: [{ fd: 0, type: "tty", target: "/dev/pts/1" }] });
    const c = snap({
      root: "/jail",
      fds: [
        { fd: 0, type: "tty", target: "/dev/pts/1" },
        { fd: 3, type: "dir", target: "/etc" },
        { fd: 4, type: "dir", target: "/jail/data" },
        { fd: 5, type: "socket", target: "socket:[9]" },
      ],
    });
    assert.deepEqual(verdicts(c, p), ["more dir fd outside root", "changed 2 new fds"]);
  });

  it("threads whose privileges differ from the main thread's are MORE: what they hold is not what is shown", () => {
    assert.ok(verdicts(snap({ threads_differ: [4244] }), snap({})).includes("more threads differ"));
    assert.ok(!verdicts(snap({}), snap({})).some((v) => v.includes("threads")));
  });

  it("a directory fd inherited from the parent is MORE once the child's root is narrower: it leads out (fchdir, chroot)", () => {
    const fds = [
      { fd: 0, type: "tty" as const, target: "/dev/pts/1" },
      { fd: 3, type: "dir" as const, target: "/tmp" },
    ];
    const p = snap({ root: "/", fds });
    const c = snap({ root: "/tmp/jail", fds });
    assert.ok(verdicts(c, p).includes("more dir fd outside root"), verdicts(c, p).join(", "));
    // The same fd under the same root as the parent's: nothing new.
    assert.ok(!verdicts(snap({ root: "/", fds }), p).includes("more dir fd outside root"));
  });

  it("each different namespace is a changed difference (a badge), not MORE", () => {
    const v = voidSnap(5, 1);
    const ds = comparePrivileges(v, parent);
    const ns = ds.filter((d) => d.field.startsWith("ns.")).map((d) => d.field);
    assert.deepEqual(ns, ["ns.user", "ns.mnt", "ns.pid", "ns.net", "ns.ipc", "ns.uts", "ns.cgroup", "ns.time"]);
    assert.ok(ds.filter((d) => d.field.startsWith("ns.")).every((d) => d.verdict === "changed"));
    // The void of the story has less of everything: nothing is MORE.
    assert.deepEqual(
      ds.filter((d) => d.verdict === "more"),
      [],
    );
  });

  it("unknown (null) fields are never compared", () => {
    const blank = snap({ caps: null, no_new_privs: null, seccomp: null, uid: null, uid_map: null, root: null, cgroup: null, mounts: null, fds: null, ns: null });
    assert.deepEqual(comparePrivileges(blank, snap({ no_new_privs: true, seccomp: 2, seccomp_filters: 1 })), []);
  });

  it("differencesOf compares with the creator and has nothing for a root", () => {
    const t = tableOf(story());
    assert.deepEqual(differencesOf(t, t.byPid(100)!), []);
    const more = differencesOf(t, t.byPid(102)!).filter((d) => d.verdict === "more");
    assert.deepEqual(
      more.map((d) => d.field),
      ["caps.prm", "caps.eff"],
    );
  });
});
