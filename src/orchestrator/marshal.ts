/**
 * Marshals a VoidPlan into the flat record format of native/plan.h, so the
 * native layer receives one contiguous buffer and the cloned child never
 * touches a JavaScript object. The tags, bits and protocols are the
 * contract's (src/native/contract.ts, which native/contract.h is
 * generated from). Every mount of the plan is a record: the child makes
 * exactly the mounts `void check` lists, in that order.
 */
import { BindFlag, ConnectProtocol, PlanOption, RootFlag, SECCOMP_RULES, SeccompArchId, Tag } from "../native/contract.js";
import { RecordWriter } from "../native/records.js";
import { withDebugPtrace } from "../plan/seccomp.js";
import type { VoidPlan } from "../plan/types.js";

export { PlanOption, Tag };

/** A decimal 64-bit number as [low, high] 32-bit halves (0, 0 when absent). */
function u64(decimal: string | undefined): [number, number] {
  if (decimal === undefined) return [0, 0];
  const v = BigInt(decimal);
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/** One argv word: text, or bytes as a Pipe message came (any but NUL, not necessarily UTF-8). */
export type ArgvWord = string | Buffer;

/** An argv word of bytes, NUL-terminated as a record's string is. */
export function argBytes(word: Buffer): Buffer {
  if (word.includes(0)) throw new Error("void: NUL byte in an argv word");
  return Buffer.concat([word, Buffer.alloc(1)]);
}

/** A void ready to spawn: its plan with everything resolved to host values. */
export interface SpawnRequest {
  plan: VoidPlan;
  /** Final argv (trigger data already substituted: a Pipe message as its bytes). */
  argv: ArgvWord[];
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

const idMap = (m: VoidPlan["uidMap"]): string => m.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join("");

/**
 * The records of a plan that are the same for every void of it, made once
 * per plan (and per -d): a triggered entrypoint's plan is marshalled for
 * every message, and its seccomp ranges alone are hundreds of numbers. A
 * plan is not changed once planned (src/plan/plan.ts makes a new one).
 */
interface PlanRecords {
  /** The id maps, names and the executable. */
  head: Buffer;
  /** Every mount, in the plan's order. */
  mounts: Buffer;
  /** The filter (without -d, with -d), the namespace's limits, the environment, the working directory, the Connect sockets. */
  tail: [Buffer | undefined, Buffer | undefined];
}

const planRecords = new WeakMap<VoidPlan, PlanRecords>();

function recordsOf(plan: VoidPlan): PlanRecords {
  let r = planRecords.get(plan);
  if (r === undefined) {
    const head = new RecordWriter("plan string");
    head.add(Tag.UidMap, idMap(plan.uidMap));
    head.add(Tag.GidMap, idMap(plan.gidMap));
    head.add(Tag.Hostname, plan.hostname);
    head.add(Tag.DomainName, plan.domainname);
    head.add(Tag.Exec, plan.exec);
    r = { head: head.bytes(), mounts: mountRecords(plan), tail: [undefined, undefined] };
    planRecords.set(plan, r);
  }
  return r;
}

function mountRecords(plan: VoidPlan): Buffer {
  const w = new RecordWriter("plan string");
  for (const m of plan.mounts) {
    switch (m.type) {
      case "tmpfs":
        w.add(Tag.Root, ...u64(String(m.size)), m.inodes, m.mode, m.readOnly ? RootFlag.ReadOnly : 0, m.dest);
        break;
      case "bind":
        w.add(
          Tag.Bind,
          (m.readOnly ? BindFlag.ReadOnly : 0) | (m.directory ? BindFlag.Directory : 0) | (m.dev !== undefined && m.ino !== undefined ? BindFlag.Identity : 0),
          ...u64(m.dev),
          ...u64(m.ino),
          m.source,
          m.dest,
        );
        break;
      case "symlink":
        w.add(Tag.Symlink, m.target, m.dest);
        break;
      case "scratch":
        w.add(Tag.Tmpfs, ...u64(String(m.size)), m.inodes, m.dest);
        break;
      case "devnull":
      case "device":
        w.add(Tag.Device, m.dest);
        break;
      case "proc":
        w.add(Tag.Proc, m.dest, ...m.readOnly);
        break;
    }
  }
  return w.bytes();
}

function tailRecords(plan: VoidPlan, debug: boolean): Buffer {
  const w = new RecordWriter("plan string");
  // -d: void-init stops the entrypoint after its execve with ptrace (native/void_init.c), which the filter allows for that only.
  const seccomp = debug ? withDebugPtrace(plan.seccomp) : plan.seccomp;
  if (seccomp.mode === "filter") {
    // Already ascending (planSeccomp, withDebugPtrace): the native side searches the ranges as a binary tree.
    const s = seccomp;
    const rules = s.rules.reduce((bits, r) => bits | SECCOMP_RULES[r], 0);
    w.add(Tag.Seccomp, SeccompArchId[s.arch], rules, s.knownMax, s.ranges.length, s.enosys.length, ...s.ranges.flat(), ...s.enosys.map((e) => e.nr));
  }
  for (const l of plan.userLimits) w.add(Tag.UserLimit, l.value, l.name);
  for (const v of plan.environment) w.add(Tag.Env, `${v.name}=${v.value}`);
  if (plan.cwd !== "/") w.add(Tag.Cwd, plan.cwd);
  for (const c of plan.connects) w.add(Tag.Connect, ConnectProtocol[c.protocol], c.environmentPort);
  return w.bytes();
}

export function marshal(req: SpawnRequest): Buffer {
  const { plan } = req;
  if (req.hostFds.length !== plan.fds.length) throw new Error("void: marshal: one host fd per planned fd is required");
  const records = recordsOf(plan);
  const t = req.debug ? 1 : 0;
  let tail = records.tail[t];
  if (tail === undefined) {
    tail = tailRecords(plan, req.debug);
    records.tail[t] = tail;
  }
  const w = new RecordWriter("plan string");
  let options = 0;
  if (plan.namespaces.includes("time")) options |= PlanOption.NewTime;
  if (req.debug) options |= PlanOption.Debug;
  if (req.recordNamespaces === true) options |= PlanOption.RecordNamespaces;
  if (plan.loopback) options |= PlanOption.Loopback;
  if (plan.mapsByLauncher) options |= PlanOption.MapsByLauncher;
  w.add(Tag.Options, options);
  w.raw(records.head);
  for (const a of req.argv) w.add(Tag.Arg, typeof a === "string" ? a : argBytes(a));
  w.raw(records.mounts);
  plan.fds.forEach((f, i) => {
    w.add(Tag.Fd, req.hostFds[i]!, f.fd);
  });
  for (const fd of req.cgroupFds ?? []) w.add(Tag.Cgroup, fd);
  w.raw(tail);
  if (req.factoryFd !== undefined) w.add(Tag.Factory, req.factoryFd);
  if (req.messageFd !== undefined) w.add(Tag.Message, req.messageFd);
  return w.bytes();
}
