/**
 * forktop's model: the process table built from tracer events, the tree and
 * flat views of it, threads, the filter, each process's privileges compared
 * with its parent's, and the event log.
 *
 * Pure: no I/O and no clock (times come from the events). The UI and the
 * tests drive it with `ProcessTable.apply(event)`.
 *
 * "Parent" here is the process that *created* this one (the `ppid` of its
 * fork/vfork/clone/attach line), not the kernel's current PPid, which
 * changes when a parent dies; a privilege comparison is about what a
 * process got from the one that made it. A process the tracer spawned or
 * attached to first has no parent in the table and is a root.
 *
 * The privilege rules (docs/forktop.md, "More than its parent") are in
 * `comparePrivileges`; each difference is "more" (the child can do
 * something its parent could not: highlighted), "less", or "changed"
 * (different, but not an increase by itself).
 */

import { CAP_SETS, type CreateEvent, type ExitEvent, type HelloEvent, isCreateEvent, NAMESPACES, type Namespace, type Snapshot, type TracerEvent, type UnknownEvent } from "./protocol.js";

// ---------------------------------------------------------------------------
// Capabilities and ids

/** Linux capability names by bit number (capability.h, up to Linux 6.x). */
export const CAP_NAMES = [
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
  "syslog",
  "wake_alarm",
  "block_suspend",
  "audit_read",
  "perfmon",
  "bpf",
  "checkpoint_restore",
] as const;

/** A hex mask as in /proc/PID/status, or null when unknown or malformed. */
export function capMask(hex: string | null | undefined): bigint | null {
  if (hex === null || hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return null;
  return BigInt("0x" + hex);
}

/** Names of the bits set in a mask: "sys_admin", or "cap_41" for bits without a name. */
export function capNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) out.push(CAP_NAMES[bit] ?? `cap_${bit}`);
  }
  return out;
}

/** Every capability this table knows, as a mask. */
export const ALL_KNOWN_CAPS = (1n << BigInt(CAP_NAMES.length)) - 1n;

/** "none", "all" (every known capability), or the names. */
export function describeCaps(mask: bigint | null): string {
  if (mask === null) return "?";
  if (mask === 0n) return "none";
  if ((mask & ALL_KNOWN_CAPS) === ALL_KNOWN_CAPS) {
    const extra = capNames(mask & ~ALL_KNOWN_CAPS);
    return extra.length === 0 ? "all" : `all + ${extra.join(",")}`;
  }
  return capNames(mask).join(",");
}

export type IdMap = [number, number, number][];

/**
 * The id inside a user namespace of a host id, through that namespace's
 * uid_map or gid_map as read from the host (rows: inside, outside, count).
 * null when the host id is not mapped (the process sees the overflow id,
 * 65534) or the map is unknown.
 */
export function insideId(hostId: number, map: IdMap | null): number | null {
  if (map === null) return null;
  for (const [inside, outside, count] of map) {
    if (hostId >= outside && hostId - outside < count) return inside + (hostId - outside);
  }
  return null;
}

/** True when every outside id of `child` is also an outside id of `parent`. */
function mapCovered(child: IdMap, parent: IdMap): boolean {
  for (const [, outside, count] of child) {
    // Walk the child's range, consuming parent rows that cover its start.
    let start = outside;
    const end = outside + count;
    while (start < end) {
      const row = parent.find(([, o, c]) => start >= o && start < o + c);
      if (row === undefined) return false;
      start = row[1] + row[2];
    }
  }
  return true;
}

function mapsHostId(map: IdMap, hostId: number): boolean {
  return insideId(hostId, map) !== null;
}

export function formatIdMap(map: IdMap | null): string {
  if (map === null) return "?";
  if (map.length === 0) return "(empty: nothing mapped)";
  return map.map(([i, o, c]) => (c === 1 ? `${i}=${o}` : `${i}-${i + c - 1}=${o}-${o + c - 1}`)).join(" ");
}

// ---------------------------------------------------------------------------
// The process table

export interface ThreadInfo {
  tid: number;
  alive: boolean;
  started: number;
  ended?: number;
}

export interface ExitInfo {
  time: number;
  code?: number;
  signal?: string;
  core?: boolean;
}

export interface Proc {
  /** Unique in this table (a pid can be reused after an exit). */
  key: number;
  pid: number;
  /** Key of the process that created this one, if it is in the table. */
  parent: number | null;
  /** The ppid of the creation line (the tracer's pid for `spawn`). */
  creator: number;
  how: CreateEvent["event"];
  started: number;
  snapshot: Snapshot;
  alive: boolean;
  exit: ExitInfo | null;
  children: number[];
  /** Threads other than the leader, by tid, in creation order. */
  threads: Map<number, ThreadInfo>;
  execs: number;
}

export type LogKind = TracerEvent["event"] | "protocol" | "unknown";

export interface LogEntry {
  time: number;
  kind: LogKind;
  pid?: number;
  text: string;
  level: "info" | "warn" | "error";
}

/** Longest event log kept; older entries are dropped (counted in `logDropped`). */
export const LOG_LIMIT = 5000;

export function processName(s: Snapshot): string {
  if (s.cmdline !== null && s.cmdline.length > 0) return s.cmdline.join(" ");
  if (s.comm !== null) return `[${s.comm}]`;
  return s.exe ?? "?";
}

export function shortName(s: Snapshot): string {
  return s.comm ?? (s.exe !== null ? s.exe.split("/").pop()! : "?");
}

export function formatExit(e: { code?: number; signal?: string; core?: boolean }): string {
  if (e.signal !== undefined) return `killed by ${e.signal}${e.core ? " (core dumped)" : ""}`;
  if (e.code !== undefined) return `exit ${e.code}`;
  return "exited";
}

export class ProcessTable {
  readonly procs = new Map<number, Proc>();
  /** Live processes by pid. */
  readonly live = new Map<number, number>();
  /** The latest process (live or not) by pid. */
  readonly latest = new Map<number, number>();
  readonly threadOwner = new Map<number, number>();
  readonly roots: number[] = [];
  readonly log: LogEntry[] = [];
  logDropped = 0;
  hello: HelloEvent | null = null;
  detached = false;
  /** Incremented by every apply() that changed something. */
  version = 0;
  /** Shells the hotkey opened: shell host pid -> target pid. */
  readonly shells = new Map<number, number>();
  private nextKey = 1;

  get(key: number): Proc | undefined {
    return this.procs.get(key);
  }

  byPid(pid: number): Proc | undefined {
    const k = this.live.get(pid) ?? this.latest.get(pid);
    return k === undefined ? undefined : this.procs.get(k);
  }

  parentOf(p: Proc): Proc | null {
    return p.parent === null ? null : (this.procs.get(p.parent) ?? null);
  }

  get liveCount(): number {
    return this.live.size;
  }

  addLog(entry: LogEntry): void {
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) {
      const drop = this.log.length - LOG_LIMIT;
      this.log.splice(0, drop);
      this.logDropped += drop;
    }
  }

  /** A line the tracer wrote that is not a valid event. */
  protocolError(time: number, message: string): void {
    this.addLog({ time, kind: "protocol", text: `bad tracer line: ${message}`, level: "error" });
    this.version++;
  }

  apply(ev: TracerEvent | UnknownEvent): void {
    this.version++;
    if ("unknown" in ev) {
      this.addLog({ time: ev.time, kind: "unknown", text: `unknown event "${ev.event}"`, level: "warn" });
      return;
    }
    if (isCreateEvent(ev)) {
      this.create(ev);
      return;
    }
    switch (ev.event) {
      case "hello":
        this.hello = ev;
        this.addLog({
          time: ev.time,
          kind: "hello",
          text: ev.mode === "poll" ? `tracer ${ev.tracer}: POLL mode (lossy)${ev.reason ? `: ${ev.reason}` : ""}` : `tracer ${ev.tracer}: ptrace mode`,
          level: ev.mode === "poll" ? "warn" : "info",
        });
        return;
      case "thread": {
        const owner = this.liveProc(ev.tgid);
        if (owner === undefined) {
          this.addLog({ time: ev.time, kind: "thread", pid: ev.pid, text: `thread ${ev.pid} of unknown process ${ev.tgid}`, level: "warn" });
          return;
        }
        owner.threads.set(ev.pid, { tid: ev.pid, alive: true, started: ev.time });
        this.threadOwner.set(ev.pid, owner.key);
        this.addLog({ time: ev.time, kind: "thread", pid: ev.pid, text: `thread ${ev.pid} in ${owner.pid} ${shortName(owner.snapshot)}`, level: "info" });
        return;
      }
      case "exec": {
        const p = this.liveProc(ev.pid);
        if (p === undefined) {
          this.addLog({ time: ev.time, kind: "exec", pid: ev.pid, text: `exec in unknown process ${ev.pid}`, level: "warn" });
          return;
        }
        p.snapshot = ev.snapshot;
        p.execs++;
        // execve ends every other thread; a non-leader that exec'd takes the leader's pid.
        for (const t of p.threads.values()) this.endThread(t, ev.time);
        const via = ev.former_pid !== undefined && ev.former_pid !== ev.pid ? ` (by thread ${ev.former_pid})` : "";
        const more = moreThanParent(this, p);
        this.addLog({
          time: ev.time,
          kind: "exec",
          pid: ev.pid,
          text: `exec ${ev.pid}${via}: ${processName(ev.snapshot)}${more.length > 0 ? ` — MORE than parent: ${more.map((d) => d.label).join(", ")}` : ""}`,
          level: more.length > 0 ? "warn" : "info",
        });
        return;
      }
      case "change": {
        const p = this.liveProc(ev.pid);
        if (p === undefined) return;
        const fields = changedFields(p.snapshot, ev.snapshot).filter((f) => f !== "state");
        p.snapshot = ev.snapshot;
        if (fields.length > 0) {
          this.addLog({ time: ev.time, kind: "change", pid: ev.pid, text: `change ${ev.pid} ${shortName(p.snapshot)}: ${fields.join(", ")}`, level: "info" });
        }
        return;
      }
      case "exit":
        this.exit(ev);
        return;
      case "shell":
        this.shells.set(ev.shell, ev.pid);
        this.addLog({ time: ev.time, kind: "shell", pid: ev.pid, text: `shell ${ev.shell} opened inside ${ev.pid}`, level: "info" });
        return;
      case "shell-exit":
        this.shells.delete(ev.shell);
        this.addLog({ time: ev.time, kind: "shell-exit", pid: ev.shell, text: `shell ${ev.shell} ended: ${formatExit(ev)}`, level: "info" });
        return;
      case "detached":
        this.detached = true;
        this.addLog({ time: ev.time, kind: "detached", text: "detached: every traced process runs on", level: "info" });
        return;
      case "error":
        this.addLog({ time: ev.time, kind: "error", ...(ev.pid !== undefined ? { pid: ev.pid } : {}), text: ev.message, level: "error" });
        return;
    }
  }

  private liveProc(pid: number): Proc | undefined {
    const k = this.live.get(pid);
    return k === undefined ? undefined : this.procs.get(k);
  }

  private create(ev: CreateEvent): void {
    const stale = this.liveProc(ev.pid);
    if (stale !== undefined) {
      // The tracer promises one creation line per process; a second one for a
      // live pid means we missed its exit (poll mode): close the old entry.
      this.markExited(stale, { time: ev.time });
      this.addLog({ time: ev.time, kind: "protocol", pid: ev.pid, text: `pid ${ev.pid} created again without an exit line`, level: "warn" });
    }
    const parent = this.liveProc(ev.ppid) ?? null;
    const key = this.nextKey++;
    const p: Proc = {
      key,
      pid: ev.pid,
      parent: parent === null ? null : parent.key,
      creator: ev.ppid,
      how: ev.event,
      started: ev.time,
      snapshot: ev.snapshot,
      alive: true,
      exit: null,
      children: [],
      threads: new Map(),
      execs: 0,
    };
    this.procs.set(key, p);
    this.live.set(ev.pid, key);
    this.latest.set(ev.pid, key);
    if (parent === null) this.roots.push(key);
    else parent.children.push(key);
    const by = ev.event === "spawn" ? "spawned" : ev.event === "attach" ? `attached (parent ${ev.ppid})` : `${ev.event} of ${ev.ppid}`;
    const more = moreThanParent(this, p);
    this.addLog({
      time: ev.time,
      kind: ev.event,
      pid: ev.pid,
      text: `${ev.pid} ${by}: ${processName(ev.snapshot)}${more.length > 0 ? ` — MORE than parent: ${more.map((d) => d.label).join(", ")}` : ""}`,
      level: more.length > 0 ? "warn" : "info",
    });
  }

  private endThread(t: ThreadInfo, time: number): void {
    if (!t.alive) return;
    t.alive = false;
    t.ended = time;
    this.threadOwner.delete(t.tid);
  }

  private markExited(p: Proc, exit: ExitInfo): void {
    p.alive = false;
    p.exit = exit;
    p.snapshot = { ...p.snapshot, state: "X" };
    for (const t of p.threads.values()) this.endThread(t, exit.time);
    if (this.live.get(p.pid) === p.key) this.live.delete(p.pid);
  }

  private exit(ev: ExitEvent): void {
    const ownerKey = this.threadOwner.get(ev.pid);
    if (ev.thread === true || (ownerKey !== undefined && !this.live.has(ev.pid))) {
      const owner = ownerKey === undefined ? undefined : this.procs.get(ownerKey);
      const t = owner?.threads.get(ev.pid);
      if (t !== undefined) this.endThread(t, ev.time);
      this.addLog({ time: ev.time, kind: "exit", pid: ev.pid, text: `thread ${ev.pid}${owner ? ` of ${owner.pid}` : ""} ended`, level: "info" });
      return;
    }
    const p = this.liveProc(ev.pid);
    if (p === undefined) {
      this.addLog({ time: ev.time, kind: "exit", pid: ev.pid, text: `exit of unknown process ${ev.pid}: ${formatExit(ev)}`, level: "warn" });
      return;
    }
    if (ev.snapshot) p.snapshot = ev.snapshot;
    const info: ExitInfo = { time: ev.time };
    if (ev.code !== undefined) info.code = ev.code;
    if (ev.signal !== undefined) info.signal = ev.signal;
    if (ev.core !== undefined) info.core = ev.core;
    this.markExited(p, info);
    const bad = ev.signal !== undefined || (ev.code !== undefined && ev.code !== 0);
    this.addLog({ time: ev.time, kind: "exit", pid: ev.pid, text: `${ev.pid} ${shortName(p.snapshot)}: ${formatExit(ev)}`, level: bad ? "warn" : "info" });
  }
}

function moreThanParent(table: ProcessTable, p: Proc): Difference[] {
  const parent = table.parentOf(p);
  return parent === null ? [] : comparePrivileges(p.snapshot, parent.snapshot).filter((d) => d.verdict === "more");
}

/** Names of the snapshot fields that differ. */
export function changedFields(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const k of Object.keys(b) as (keyof Snapshot)[]) {
    if (JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null)) out.push(k);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Privileges compared with the parent

export type Verdict = "more" | "less" | "changed";

export interface Difference {
  /** Snapshot field (caps.eff, no_new_privs, ns.user...). */
  field: string;
  /** Short label for lists: "cap eff +sys_admin", "no_new_privs cleared". */
  label: string;
  parent: string;
  child: string;
  verdict: Verdict;
  why: string;
}

function nsDifferences(child: Snapshot, parent: Snapshot): Difference[] {
  const out: Difference[] = [];
  if (child.ns === null || parent.ns === null) return out;
  for (const ns of NAMESPACES) {
    const c = child.ns[ns];
    const p = parent.ns[ns];
    if (c === undefined || p === undefined || c === null || p === null || c === p) continue;
    out.push({
      field: `ns.${ns}`,
      label: `new ${ns} ns`,
      parent: String(p),
      child: String(c),
      verdict: "changed",
      why: `in a different ${ns} namespace than its parent`,
    });
  }
  return out;
}

/** Which namespaces differ from the parent's (empty without a parent). */
export function differingNamespaces(child: Snapshot, parent: Snapshot | null): Set<Namespace> {
  const out = new Set<Namespace>();
  if (parent === null || child.ns === null || parent.ns === null) return out;
  for (const ns of NAMESPACES) {
    const c = child.ns[ns];
    const p = parent.ns[ns];
    if (typeof c === "number" && typeof p === "number" && c !== p) out.add(ns);
  }
  return out;
}

function capDifferences(child: Snapshot, parent: Snapshot): Difference[] {
  const out: Difference[] = [];
  const newUserNs = child.ns?.user != null && parent.ns?.user != null && child.ns.user !== parent.ns.user;
  for (const set of CAP_SETS) {
    const c = capMask(child.caps?.[set]);
    const p = capMask(parent.caps?.[set]);
    if (c === null || p === null || c === p) continue;
    const gained = c & ~p;
    const lost = p & ~c;
    if (gained !== 0n) {
      // Inheritable capabilities grant nothing by themselves (only with file
      // capabilities or ambient raising, both shown separately).
      const verdict: Verdict = set === "inh" ? "changed" : "more";
      out.push({
        field: `caps.${set}`,
        label: `cap ${set} +${capNames(gained).join(",")}`,
        parent: describeCaps(p),
        child: describeCaps(c),
        verdict,
        why:
          set === "inh"
            ? "inheritable capabilities gained (they grant nothing without file or ambient capabilities)"
            : `gained ${set} capabilities its parent lacks${newUserNs ? " (held in its own user namespace: they act on what that namespace owns)" : ""}`,
      });
    }
    if (lost !== 0n) {
      out.push({
        field: `caps.${set}`,
        label: `cap ${set} -${lost === p && (p & ALL_KNOWN_CAPS) === ALL_KNOWN_CAPS ? "all" : capNames(lost).join(",")}`,
        parent: describeCaps(p),
        child: describeCaps(c),
        verdict: "less",
        why: `dropped ${set} capabilities`,
      });
    }
  }
  return out;
}

function idDifferences(kind: "uid" | "gid", child: Snapshot, parent: Snapshot): Difference[] {
  const out: Difference[] = [];
  const c = child[kind];
  const p = parent[kind];
  if (c !== null && p !== null && JSON.stringify(c) !== JSON.stringify(p)) {
    // Real, effective, saved (not fs: it follows the effective id).
    const cRoot = c.slice(0, 3).includes(0);
    const pRoot = p.slice(0, 3).includes(0);
    out.push({
      field: kind,
      label: cRoot && !pRoot ? `host ${kind} 0` : `${kind} ${c[1]}`,
      parent: p.join(" "),
      child: c.join(" "),
      verdict: cRoot && !pRoot ? "more" : "changed",
      why: cRoot && !pRoot ? `holds host ${kind} 0, its parent does not (setuid?)` : `different host ${kind}s`,
    });
  }
  const mapKey = kind === "uid" ? "uid_map" : "gid_map";
  const cm = child[mapKey];
  const pm = parent[mapKey];
  if (cm !== null && pm !== null && JSON.stringify(cm) !== JSON.stringify(pm)) {
    const parentIds = p ?? [];
    let verdict: Verdict = "changed";
    let why = `different ${mapKey}`;
    if (!mapCovered(cm, pm)) {
      verdict = "more";
      why = `maps host ${kind}s that its parent's user namespace does not`;
    } else if (mapsHostId(cm, 0) && !parentIds.slice(0, 3).includes(0)) {
      verdict = "more";
      why = `maps host ${kind} 0, and its parent is not ${kind} 0: files owned by host root are its own root's`;
    } else {
      verdict = "less";
      why = `maps a subset of its parent's ${kind}s`;
    }
    out.push({ field: mapKey, label: verdict === "more" && mapsHostId(cm, 0) ? `${mapKey} maps host 0` : mapKey, parent: formatIdMap(pm), child: formatIdMap(cm), verdict, why });
  }
  return out;
}

function isUnder(path: string, dir: string): boolean {
  if (dir === "/") return path.startsWith("/");
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** The cgroup v2 path of a /proc/PID/cgroup text ("0::/a/b"), else null. */
export function cgroupV2Path(text: string | null): string | null {
  if (text === null) return null;
  for (const line of text.split("\n")) {
    if (line.startsWith("0::")) return line.slice(3);
  }
  return null;
}

/**
 * The differences between a child's snapshot and its parent's, each with
 * a verdict. The rules (docs/forktop.md):
 * - capabilities: a bit in eff, prm, bnd or amb the parent lacks is MORE
 *   (inh: changed); a bit dropped is less;
 * - no_new_privs cleared is MORE, set is less;
 * - seccomp: off while the parent has a filter, or fewer filters, is MORE;
 *   more filters (or strict) is less;
 * - uid/gid: holding host id 0 (real, effective or saved) when the parent
 *   holds none is MORE; other changes are changed;
 * - uid_map/gid_map: mapping an outside id the parent's map does not, or
 *   mapping host id 0 when the parent is not 0, is MORE; a subset is less;
 * - root: a root directory outside the parent's root is MORE, inside it less;
 * - cgroup (v2): outside the parent's cgroup subtree is MORE (its limits no
 *   longer apply), below it less, other differences changed;
 * - mounts: seeing more mounts than the parent is MORE, fewer less;
 * - fds: an open directory outside its own root is MORE (a way out of a
 *   chroot-like root); other new fds are changed (a process may open what its
 *   credentials allow);
 * - namespaces: each different namespace is changed (shown as a badge).
 */
export function comparePrivileges(child: Snapshot, parent: Snapshot): Difference[] {
  const out: Difference[] = [];
  out.push(...capDifferences(child, parent));

  // What is shown is the main thread's; a thread that changed its own credentials, capabilities, no_new_privs or seccomp
  // (raw setresuid, capset, a filter without TSYNC) may hold more than that: unknown, so MORE (outside attack 52).
  const differ = child.threads_differ ?? [];
  if (differ.length > 0) {
    out.push({
      field: "threads",
      label: "threads differ",
      parent: "",
      child: differ.join(" "),
      verdict: "more",
      why: "a thread holds other credentials, capabilities, no_new_privs or seccomp than the main thread shown",
    });
  }

  if (child.no_new_privs !== null && parent.no_new_privs !== null && child.no_new_privs !== parent.no_new_privs) {
    out.push(
      child.no_new_privs
        ? { field: "no_new_privs", label: "no_new_privs set", parent: "no", child: "yes", verdict: "less", why: "cannot gain privileges by execve" }
        : {
            field: "no_new_privs",
            label: "no_new_privs cleared",
            parent: "yes",
            child: "no",
            verdict: "more",
            why: "its parent had no_new_privs, it does not: setuid and file capabilities work again",
          },
    );
  }

  const cs = child.seccomp;
  const ps = parent.seccomp;
  const cf = child.seccomp_filters;
  const pf = parent.seccomp_filters;
  if (cs !== null && ps !== null && (cs !== ps || (cf !== null && pf !== null && cf !== pf))) {
    const desc = (mode: number, filters: number | null) => (mode === 0 ? "off" : mode === 1 ? "strict" : `filter (${filters ?? "?"} filters)`);
    let verdict: Verdict = "changed";
    let why = "different seccomp state";
    if (cs === 0 && ps !== 0) {
      verdict = "more";
      why = "seccomp is off, its parent was filtered";
    } else if (cs === 2 && ps === 2 && cf !== null && pf !== null && cf < pf) {
      verdict = "more";
      why = `fewer seccomp filters (${cf}) than its parent (${pf})`;
    } else if (ps === 1 && cs !== 1) {
      verdict = "more";
      why = "its parent was in strict mode, it is not";
    } else if ((cs === 2 && ps === 2 && cf !== null && pf !== null && cf > pf) || (cs !== 0 && ps === 0) || cs === 1) {
      verdict = "less";
      why = "more seccomp filtering than its parent";
    }
    out.push({ field: "seccomp", label: verdict === "more" ? "seccomp weaker" : "seccomp", parent: desc(ps, pf), child: desc(cs, cf), verdict, why });
  }

  out.push(...idDifferences("uid", child, parent));
  out.push(...idDifferences("gid", child, parent));

  if (child.root !== null && parent.root !== null && child.root !== parent.root) {
    const inside = isUnder(child.root, parent.root);
    out.push({
      field: "root",
      label: inside ? "root narrower" : "root outside parent's",
      parent: parent.root,
      child: child.root,
      verdict: inside ? "less" : "more",
      why: inside ? "its root directory is inside its parent's" : "its root directory is not inside its parent's root",
    });
  }

  if (child.cgroup !== null && parent.cgroup !== null && child.cgroup !== parent.cgroup) {
    const c = cgroupV2Path(child.cgroup);
    const p = cgroupV2Path(parent.cgroup);
    let verdict: Verdict = "changed";
    let why = "in a different cgroup";
    if (c !== null && p !== null) {
      if (isUnder(c, p)) {
        verdict = "less";
        why = "in a cgroup below its parent's: the parent's limits still apply";
      } else {
        verdict = "more";
        why = "in a cgroup outside its parent's subtree: the parent's limits no longer apply";
      }
    }
    out.push({ field: "cgroup", label: verdict === "more" ? "cgroup escaped" : "cgroup", parent: parent.cgroup, child: child.cgroup, verdict, why });
  }

  if (child.mounts !== null && parent.mounts !== null && child.mounts !== parent.mounts) {
    const more = child.mounts > parent.mounts;
    out.push({
      field: "mounts",
      label: more ? `+${child.mounts - parent.mounts} mounts` : "mounts",
      parent: String(parent.mounts),
      child: String(child.mounts),
      verdict: more ? "more" : "less",
      why: more ? "sees more mounts than its parent" : "sees fewer mounts than its parent",
    });
  }

  if (child.fds !== null && parent.fds !== null) {
    const parentTargets = new Set(parent.fds.map((f) => `${f.type}:${f.target}`));
    const added = child.fds.filter((f) => !parentTargets.has(`${f.type}:${f.target}`));
    // A directory outside the child's root is its way out of it (fchdir, then chroot(".")): one it opened, and one it
    // inherited where its root is not its parent's (a chroot with the parent's fd 3 still open: outside attack 52).
    const newRoot = child.root !== parent.root;
    const escapes = child.fds.filter((f) => f.type === "dir" && f.target !== null && child.root !== null && !isUnder(f.target, child.root) && (newRoot || !parentTargets.has(`${f.type}:${f.target}`)));
    if (escapes.length > 0) {
      out.push({
        field: "fds",
        label: "dir fd outside root",
        parent: "",
        child: escapes.map((f) => `${f.fd}=${f.target}`).join(" "),
        verdict: "more",
        why: "holds an open directory outside its own root directory",
      });
    }
    const others = added.filter((f) => !escapes.includes(f));
    if (others.length > 0) {
      out.push({
        field: "fds",
        label: `${others.length} new fds`,
        parent: `${parent.fds_total ?? parent.fds.length} fds`,
        child: others.map((f) => `${f.fd}=${f.target ?? f.type}`).join(" "),
        verdict: "changed",
        why: "open files its parent does not hold",
      });
    }
  }

  out.push(...nsDifferences(child, parent));
  return out;
}

/** The differences of a process with the one that created it (empty for a root). */
export function differencesOf(table: ProcessTable, p: Proc): Difference[] {
  const parent = table.parentOf(p);
  return parent === null ? [] : comparePrivileges(p.snapshot, parent.snapshot);
}

// ---------------------------------------------------------------------------
// Views: tree and flat rows, threads, filter

export type ViewMode = "tree" | "flat";

export interface ViewOptions {
  mode: ViewMode;
  /** Case-insensitive substring of pid, namespaced pid, comm, command line or exe; "" = all. */
  filter: string;
  /** Processes (by key) whose threads are listed under them. */
  expanded: ReadonlySet<number>;
  /** List the threads of every process. */
  allThreads: boolean;
  /** Leave out processes that have exited. */
  hideExited: boolean;
}

export interface Row {
  kind: "proc" | "thread";
  key: number;
  /** For thread rows. */
  tid?: number;
  depth: number;
  /** Tree drawing before the name ("├─ ", "│  └─ "), "" in flat mode. */
  prefix: string;
  /** False for an ancestor shown only to place a match in the tree. */
  match: boolean;
}

export function matchesFilter(p: Proc, filter: string): boolean {
  if (filter === "") return true;
  const f = filter.toLowerCase();
  const s = p.snapshot;
  const hay = [String(p.pid), ...(s.nspid ?? []).map(String), s.comm ?? "", (s.cmdline ?? []).join(" "), s.exe ?? ""].join("\u0000").toLowerCase();
  return hay.includes(f);
}

function threadRows(p: Proc, opts: ViewOptions, depth: number, prefix: string, out: Row[]): void {
  if (!(opts.allThreads || opts.expanded.has(p.key))) return;
  const threads = [...p.threads.values()].filter((t) => t.alive || !opts.hideExited);
  threads.forEach((t, i) => {
    const last = i === threads.length - 1;
    out.push({ kind: "thread", key: p.key, tid: t.tid, depth, prefix: opts.mode === "tree" ? prefix + (last ? "└┄ " : "├┄ ") : "  ", match: true });
  });
}

/** The rows to show, in order. */
export function visibleRows(table: ProcessTable, opts: ViewOptions): Row[] {
  const out: Row[] = [];
  const visible = (p: Proc) => !(opts.hideExited && !p.alive);
  if (opts.mode === "flat") {
    const procs = [...table.procs.values()].filter((p) => visible(p) && matchesFilter(p, opts.filter));
    procs.sort((a, b) => a.pid - b.pid || a.key - b.key);
    for (const p of procs) {
      out.push({ kind: "proc", key: p.key, depth: 0, prefix: "", match: true });
      threadRows(p, opts, 1, "", out);
    }
    return out;
  }
  // Tree: keep a process if it or a descendant matches.
  const keep = new Map<number, boolean>();
  const decide = (key: number): boolean => {
    const cached = keep.get(key);
    if (cached !== undefined) return cached;
    const p = table.procs.get(key)!;
    let k = false;
    for (const c of p.children) if (decide(c)) k = true;
    if (visible(p) && matchesFilter(p, opts.filter)) k = true;
    keep.set(key, k);
    return k;
  };
  const walk = (keys: number[], prefix: string, depth: number) => {
    const shown = keys.filter((k) => decide(k));
    shown.forEach((key, i) => {
      const p = table.procs.get(key)!;
      const last = i === shown.length - 1;
      const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
      const cont = depth === 0 ? "" : last ? "   " : "│  ";
      out.push({ kind: "proc", key, depth, prefix: prefix + branch, match: visible(p) && matchesFilter(p, opts.filter) });
      const kids = p.children.filter((c) => decide(c));
      threadRows(p, opts, depth + 1, prefix + cont + (kids.length > 0 ? "│ " : "  "), out);
      walk(p.children, prefix + cont, depth + 1);
    });
  };
  walk(table.roots, "", 0);
  return out;
}
