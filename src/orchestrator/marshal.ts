/**
 * Marshals a VoidPlan into the flat record format of native/plan.h, so the
 * native layer receives one contiguous buffer and the cloned child never
 * touches a JavaScript object. Keep the tags in sync with native/plan.h.
 */
import { SECCOMP_RULES, withDebugPtrace } from "../plan/seccomp.js";
import type { VoidPlan } from "../plan/types.js";

export enum Tag {
  Options = 1,
  UidMap = 2,
  GidMap = 3,
  Hostname = 4,
  DomainName = 5,
  Exec = 6,
  Arg = 7,
  Dir = 8,
  Symlink = 9,
  Bind = 10,
  Fd = 11,
  Seccomp = 12,
  Cgroup = 13,
  Factory = 14,
  Message = 15,
  UserLimit = 16,
  Tmpfs = 17,
  Env = 18,
  Cwd = 19,
  Connect = 20,
}

/** PLAN_CONNECT_* in native/plan.h. */
const CONNECT_PROTOCOL = { Tcp: 1, Udp: 2 } as const;

export enum PlanOption {
  NewTime = 1 << 0,
  Procfs = 1 << 1,
  Debug = 1 << 2,
  Loopback = 1 << 3,
  DevRandom = 1 << 4,
  MapsByLauncher = 1 << 5,
  RecordNamespaces = 1 << 6,
}

const BIND_READONLY = 1;
const BIND_DIRECTORY = 2;
const BIND_IDENTITY = 4;

/** A decimal 64-bit number as [low, high] 32-bit halves (0, 0 when absent). */
function u64(decimal: string | undefined): [number, number] {
  if (decimal === undefined) return [0, 0];
  const v = BigInt(decimal);
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/** A void ready to spawn: its plan with everything resolved to host values. */
export interface SpawnRequest {
  plan: VoidPlan;
  /** Final argv (trigger data already substituted). */
  argv: string[];
  /** Launcher fd for each plan fd, in plan.fds order; -1 = /dev/null. */
  hostFds: number[];
  /** Open cgroup.procs files the void joins before anything runs in it. */
  cgroupFds?: number[];
  /** void-init's end of the socket factory, for a plan with forwards or connects (src/orchestrator/factory.ts). */
  factoryFd?: number;
  /** void-init's end of a prepared void's message socket (src/orchestrator/prepared.ts): argv comes with the message. */
  messageFd?: number;
  /** `void run -d`: stop the entrypoint at its first instruction after execve (PLAN_OPT_DEBUG; the filter then allows the ptrace requests that takes). */
  debug: boolean;
  /** Have the child record its namespaces' inodes (for -v); off, nothing is read on the spawn path. */
  recordNamespaces?: boolean;
}

class Writer {
  private chunks: Buffer[] = [];

  record(tag: Tag, ...parts: (string | number)[]): void {
    const payload = Buffer.concat(
      parts.map((p) => {
        if (typeof p === "number") {
          const b = Buffer.alloc(4);
          b.writeInt32LE(p | 0);
          return b;
        }
        if (p.includes("\0")) throw new Error(`void: NUL byte in plan string ${JSON.stringify(p)}`);
        return Buffer.from(p + "\0", "utf8");
      }),
    );
    const header = Buffer.alloc(8);
    header.writeUInt32LE(tag, 0);
    header.writeUInt32LE(payload.length, 4);
    const pad = Buffer.alloc((4 - (payload.length % 4)) % 4);
    this.chunks.push(header, payload, pad);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const idMap = (m: VoidPlan["uidMap"]): string => m.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join("");

export function marshal(req: SpawnRequest): Buffer {
  const { plan } = req;
  if (req.hostFds.length !== plan.fds.length) throw new Error("void: marshal: one host fd per planned fd is required");
  const w = new Writer();
  let options = 0;
  if (plan.namespaces.includes("time")) options |= PlanOption.NewTime;
  if (plan.procfs) options |= PlanOption.Procfs;
  if (req.debug) options |= PlanOption.Debug;
  if (req.recordNamespaces === true) options |= PlanOption.RecordNamespaces;
  if (plan.loopback) options |= PlanOption.Loopback;
  if (plan.mounts.some((m) => m.type === "device")) options |= PlanOption.DevRandom;
  if (plan.mapsByLauncher) options |= PlanOption.MapsByLauncher;
  w.record(Tag.Options, options);
  w.record(Tag.UidMap, idMap(plan.uidMap));
  w.record(Tag.GidMap, idMap(plan.gidMap));
  w.record(Tag.Hostname, plan.hostname);
  w.record(Tag.DomainName, plan.domainname);
  w.record(Tag.Exec, plan.exec);
  for (const a of req.argv) w.record(Tag.Arg, a);
  for (const m of plan.mounts) {
    switch (m.type) {
      case "bind":
        w.record(Tag.Bind, (m.readOnly ? BIND_READONLY : 0) | (m.directory ? BIND_DIRECTORY : 0) | (m.dev !== undefined && m.ino !== undefined ? BIND_IDENTITY : 0), ...u64(m.dev), ...u64(m.ino), m.source, m.dest);
        break;
      case "symlink":
        w.record(Tag.Symlink, m.target, m.dest);
        break;
      case "scratch":
        w.record(Tag.Tmpfs, ...u64(String(m.size)), m.inodes, m.dest);
        break;
      // The root tmpfs, the devices and /proc are built by the native layer
      // itself (see native/void_spawn.c); /proc and the random devices are
      // requested by options.
      case "tmpfs":
      case "devnull":
      case "device":
      case "proc":
        break;
    }
  }
  plan.fds.forEach((f, i) => {
    w.record(Tag.Fd, req.hostFds[i]!, f.fd);
  });
  for (const fd of req.cgroupFds ?? []) w.record(Tag.Cgroup, fd);
  // -d: void-init stops the entrypoint after its execve with ptrace (native/void_init.c), which the filter allows for that only.
  const seccomp = req.debug ? withDebugPtrace(plan.seccomp) : plan.seccomp;
  if (seccomp.mode === "filter") {
    // Already ascending (planSeccomp, withDebugPtrace): the native side searches the ranges as a binary tree.
    const s = seccomp;
    const rules = s.rules.reduce((bits, r) => bits | SECCOMP_RULES[r], 0);
    w.record(Tag.Seccomp, rules, s.knownMax, s.ranges.length, s.enosys.length, ...s.ranges.flat(), ...s.enosys.map((e) => e.nr));
  }
  for (const l of plan.userLimits) w.record(Tag.UserLimit, l.value, l.name);
  for (const v of plan.environment) w.record(Tag.Env, `${v.name}=${v.value}`);
  if (plan.cwd !== "/") w.record(Tag.Cwd, plan.cwd);
  for (const c of plan.connects) w.record(Tag.Connect, CONNECT_PROTOCOL[c.protocol], c.environmentPort);
  if (req.factoryFd !== undefined) w.record(Tag.Factory, req.factoryFd);
  if (req.messageFd !== undefined) w.record(Tag.Message, req.messageFd);
  return w.finish();
}
