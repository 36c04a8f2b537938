/**
 * Scripted tracer events for forktop's tests: snapshots that look like the
 * ones build/forktop-tracer reads, and a small multi-process story (a
 * launcher, a void in new namespaces, a thread, a child that gains a
 * capability, exits).
 */

import { type CreateEvent, PROTOCOL_VERSION, type Snapshot, type TracerEvent } from "../../src/protocol.js";

export const HOST_NS = { user: 4026531837, mnt: 4026531841, pid: 4026531836, net: 4026531840, ipc: 4026531839, uts: 4026531838, cgroup: 4026531835, time: 4026531834 };
export const FULL_CAPS = "000001ffffffffff";
export const NO_CAPS = "0000000000000000";

export function snap(over: Partial<Snapshot> = {}): Snapshot {
  return {
    nspid: [100],
    tgid: 100,
    ppid: 1,
    comm: "launcher",
    cmdline: ["/usr/bin/launcher", "--serve"],
    exe: "/usr/bin/launcher",
    state: "S",
    uid: [1000, 1000, 1000, 1000],
    gid: [1000, 1000, 1000, 1000],
    uid_map: [[0, 0, 4294967295]],
    gid_map: [[0, 0, 4294967295]],
    ns: { ...HOST_NS },
    caps: { inh: NO_CAPS, prm: NO_CAPS, eff: NO_CAPS, bnd: FULL_CAPS, amb: NO_CAPS },
    no_new_privs: false,
    seccomp: 0,
    seccomp_filters: 0,
    root: "/",
    cwd: "/home/u",
    cgroup: "0::/user.slice/app",
    mounts: 30,
    fds: [
      { fd: 0, type: "tty", target: "/dev/pts/3" },
      { fd: 1, type: "tty", target: "/dev/pts/3" },
      { fd: 2, type: "tty", target: "/dev/pts/3" },
    ],
    fds_total: 3,
    ...over,
  };
}

let clock = 1763900000000;
export function resetClock(t = 1763900000000): void {
  clock = t;
}
function tick(): number {
  clock += 1.5;
  return clock;
}

export function create(event: CreateEvent["event"], pid: number, ppid: number, snapshot: Snapshot): TracerEvent {
  return { event, time: tick(), pid, ppid, snapshot };
}

/** The void a launcher makes: new namespaces, caps dropped, no_new_privs, seccomp, own root. */
export function voidSnap(pid: number, inner: number, over: Partial<Snapshot> = {}): Snapshot {
  return snap({
    nspid: [pid, inner],
    tgid: pid,
    comm: "fib",
    cmdline: ["/fib", "30"],
    exe: "/tmp/void-root/fib",
    uid: [1000, 1000, 1000, 1000],
    uid_map: [[0, 1000, 1]],
    gid_map: [[0, 1000, 1]],
    ns: { user: 4026532001, mnt: 4026532002, pid: 4026532003, net: 4026532004, ipc: 4026532005, uts: 4026532006, cgroup: 4026532007, time: 4026532008 },
    caps: { inh: NO_CAPS, prm: NO_CAPS, eff: NO_CAPS, bnd: NO_CAPS, amb: NO_CAPS },
    no_new_privs: true,
    seccomp: 2,
    seccomp_filters: 1,
    root: "/tmp/void-root",
    cwd: "/tmp/void-root",
    cgroup: "0::/user.slice/app/void-1",
    mounts: 7,
    fds: [{ fd: 1, type: "pipe", target: "pipe:[555]" }],
    fds_total: 1,
    ...over,
  });
}

/**
 * launcher 100 (spawned) ─┬─ void 101 (clone, new namespaces) with thread 105
 *                         │     └─ 102 fork: exec /bin/helper, gains cap_net_raw in eff/prm
 *                         └─ 103 fork: exits 3
 */
export function story(): TracerEvent[] {
  resetClock();
  const launcher = snap();
  const voidp = voidSnap(101, 1);
  const helper = voidSnap(102, 2, {
    comm: "helper",
    cmdline: ["/bin/helper"],
    caps: { inh: NO_CAPS, prm: "0000000000002000", eff: "0000000000002000", bnd: NO_CAPS, amb: NO_CAPS },
  });
  return [
    { event: "hello", time: tick(), version: PROTOCOL_VERSION, mode: "ptrace", tracer: 99 },
    create("spawn", 100, 99, launcher),
    create("clone", 101, 100, voidp),
    { event: "thread", time: tick(), pid: 105, tgid: 101 },
    create("fork", 102, 101, voidSnap(102, 2)),
    { event: "exec", time: tick(), pid: 102, snapshot: helper },
    create("fork", 103, 100, snap({ nspid: [103], tgid: 103, comm: "worker", cmdline: ["worker", "-n", "1"] })),
    { event: "exit", time: tick(), pid: 103, code: 3, core: false },
  ];
}
