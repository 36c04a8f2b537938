/**
 * Rules that look at more than one value: how entrypoints connect through
 * pipes and file sockets, where "Trigger" may appear, that something runs at
 * startup, and the set rules of one entrypoint's environment.
 *
 * It works on a LocatedSpec: the parsed model plus the JSON path of every
 * trigger, argument and grant, so each problem points at the place to fix.
 * parse.ts builds one while walking the JSON; `locateSpec` builds one from a
 * Spec made in code (paths then follow the spec's own order).
 *
 * Rules:
 * - A pipe has exactly one reader ({"Pipe": {"Rx": n}} or "trigger":
 *   {"Pipe": n}) and exactly one writer ({"Pipe": {"Tx": n}}).
 * - A file socket has exactly one reader ({"FileSocket": {"Rx": n}} or
 *   "trigger": {"FileSocket": n}) and at least one writer.
 *   A name without its other end gets a did-you-mean from the names that lack
 *   the opposite end, and a note when the name exists as the other kind.
 * - "Trigger" only in an entrypoint whose trigger is Pipe or FileSocket;
 *   with a FileSocket trigger, no fd argument (nor a second "Trigger") after
 *   it, and a warning for any other argument there (added rule: a packet's
 *   fd count moves them).
 * - At least one entrypoint has the "Startup" trigger; otherwise nothing runs.
 * - Added rule: two TcpListeners may not bind the same "ip:port" (port 0
 *   excepted): the second bind would fail with EADDRINUSE at launch. A Tcp
 *   Forward's host_addr counts as a TCP listener too; two Udp Forwards may
 *   not share a host_addr either.
 * - Added rule: a Forward only in a Startup entrypoint (it relays to one
 *   void; a triggered entrypoint has none or many), and not with a
 *   Filesystem grant at /dev/random or /dev/urandom together with
 *   DevRandom (both would mount there).
 * - Per entrypoint, environment is a set (exact repeats are fine), but it may
 *   not hold two different Hostnames, two different DomainNames, or two
 *   Filesystem grants for one environment_path that differ (host path or
 *   read_only).
 * - Added warning: a triggered entrypoint whose trigger is written only by
 *   entrypoints that never run can never run itself.
 *
 * Names inside parts of the spec that could not be read (their errors are
 * already reported) are "uncertain": no pipe or socket errors are reported for
 * them, so one typo does not cascade into several errors.
 */

import { Limit } from "../native/contract.js";
import { Diagnostics, indexPath, keyPath, quote } from "./diagnostics.js";
import { closestMatch } from "./suggest.js";
import type { Arg, Diagnostic, Grant, Spec, Trigger } from "./types.js";

export interface Located<T> {
  value: T;
  path: string;
}

export interface LocatedEntrypoint {
  name: string;
  path: string;
  /** undefined when the trigger could not be read (its error is already reported). */
  trigger: Located<Trigger> | undefined;
  args: Located<Arg>[];
  environment: Located<Grant>[];
}

export interface LocatedSpec {
  entrypoints: LocatedEntrypoint[];
  /** false when an entrypoint or trigger could not be read: whole-spec rules are skipped. */
  complete: boolean;
  /** Strings inside unreadable parts: possibly pipe or socket names. */
  uncertainNames: Set<string>;
}

export interface Validation {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** A LocatedSpec for a Spec built in code: paths follow the spec's order. */
export function locateSpec(spec: Spec): LocatedSpec {
  const entrypoints = spec.entrypoints.map((ep): LocatedEntrypoint => {
    const path = keyPath("entrypoints", ep.name);
    return {
      name: ep.name,
      path,
      trigger: { value: ep.trigger, path: keyPath(path, "trigger") },
      args: ep.args.map((value, i) => ({ value, path: indexPath(keyPath(path, "args"), i) })),
      environment: ep.environment.map((value, i) => ({ value, path: indexPath(keyPath(path, "environment"), i) })),
    };
  });
  return { entrypoints, complete: true, uncertainNames: new Set() };
}

/** Check the cross-entrypoint and set rules. */
export function validateSpec(spec: LocatedSpec): Validation {
  const out = new Diagnostics();
  const pipes = collectChannels(spec, "Pipe");
  const sockets = collectChannels(spec, "FileSocket");
  checkChannels(out, spec, pipes, sockets, PIPE_RULES);
  checkChannels(out, spec, sockets, pipes, SOCKET_RULES);
  for (const ep of spec.entrypoints) {
    checkTriggerArgs(out, ep);
    checkEnvironment(out, ep);
  }
  checkListeners(out, spec);
  checkStartup(out, spec);
  checkReachable(out, spec, pipes, sockets);
  return { errors: out.errors, warnings: out.warnings };
}

/** A key identifying a grant, for set semantics: equal keys = equal grants. */
export function grantKey(grant: Grant): string {
  switch (grant.kind) {
    case "Filesystem":
      return JSON.stringify([grant.kind, grant.hostPath, grant.environmentPath, grant.readOnly, grant.shared, grant.optional]);
    case "Hostname":
    case "DomainName":
      return JSON.stringify([grant.kind, grant.name]);
    case "Seccomp":
      return JSON.stringify([grant.kind, grant.allow, grant.deny]);
    case "Limits":
      return JSON.stringify(grant);
    case "Forward":
    case "Connect":
      return JSON.stringify([grant.kind, grant.protocol, grant.hostAddr, grant.environmentPort]);
    case "Tmpfs":
      return JSON.stringify([grant.kind, grant.path, grant.size]);
    case "WorkingDirectory":
    case "Executable":
    case "LibraryPath":
    case "Library":
      return JSON.stringify([grant.kind, grant.path]);
    case "Env":
      return JSON.stringify([grant.kind, grant.vars]);
    case "PassEnv":
      return JSON.stringify([grant.kind, grant.names]);
    default:
      return grant.kind;
  }
}

/** Environment grants without repeats, in order of first appearance. */
export function dedupeGrants(grants: readonly Grant[]): Grant[] {
  const seen = new Set<string>();
  return grants.filter((g) => {
    const key = grantKey(g);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type ChannelKind = "Pipe" | "FileSocket";

interface End {
  path: string;
  entrypoint: LocatedEntrypoint;
  viaTrigger: boolean;
}

interface Channel {
  name: string;
  readers: End[];
  writers: End[];
}

/** Every pipe (or file socket) name with its readers and writers, in order of first appearance. */
function collectChannels(spec: LocatedSpec, kind: ChannelKind): Map<string, Channel> {
  const channels = new Map<string, Channel>();
  const channel = (name: string): Channel => {
    let found = channels.get(name);
    if (found === undefined) {
      found = { name, readers: [], writers: [] };
      channels.set(name, found);
    }
    return found;
  };
  for (const ep of spec.entrypoints) {
    const trigger = ep.trigger;
    if (trigger !== undefined && trigger.value.kind === kind) {
      channel(trigger.value.name).readers.push({ path: trigger.path, entrypoint: ep, viaTrigger: true });
    }
    for (const { value: arg, path } of ep.args) {
      if (arg.kind !== kind) continue;
      const end: End = { path, entrypoint: ep, viaTrigger: false };
      (arg.direction === "Rx" ? channel(arg.name).readers : channel(arg.name).writers).push(end);
    }
  }
  return channels;
}

interface ChannelRules {
  noun: string;
  kind: ChannelKind;
  otherNoun: string;
  maxWriters: number;
}

const PIPE_RULES: ChannelRules = { noun: "pipe", kind: "Pipe", otherNoun: "file socket", maxWriters: 1 };
const SOCKET_RULES: ChannelRules = {
  noun: "file socket",
  kind: "FileSocket",
  otherNoun: "pipe",
  maxWriters: Number.POSITIVE_INFINITY,
};

function readerForms(rules: ChannelRules, name: string): string {
  const quoted = JSON.stringify(name);
  return `{"${rules.kind}": {"Rx": ${quoted}}} in some entrypoint's args, or "trigger": {"${rules.kind}": ${quoted}}`;
}

function writerForm(rules: ChannelRules, name: string): string {
  return `{"${rules.kind}": {"Tx": ${JSON.stringify(name)}}} in some entrypoint's args`;
}

/** did-you-mean from the names missing the opposite end, else a note if the name is the other kind. */
function channelHint(name: string, candidates: Iterable<string>, others: Map<string, Channel>, rules: ChannelRules): string | undefined {
  const match = closestMatch(name, candidates);
  if (match !== undefined) return `did you mean ${quote(match)}?`;
  if (others.has(name)) {
    return `${quote(name)} is used as a ${rules.otherNoun} elsewhere; pipes and file sockets are separate`;
  }
  return undefined;
}

function checkChannels(out: Diagnostics, spec: LocatedSpec, channels: Map<string, Channel>, others: Map<string, Channel>, rules: ChannelRules): void {
  const all = [...channels.values()];
  const unread = all.filter((c) => c.readers.length === 0).map((c) => c.name);
  const unwritten = all.filter((c) => c.writers.length === 0).map((c) => c.name);
  for (const channel of all) {
    if (spec.uncertainNames.has(channel.name)) continue;
    const name = quote(channel.name);
    if (channel.readers.length === 0) {
      for (const writer of channel.writers) {
        out.error(writer.path, `${rules.noun} ${name} has no reader`, {
          expected: readerForms(rules, channel.name),
          hint: channelHint(channel.name, unwritten, others, rules),
        });
      }
    }
    if (channel.writers.length === 0) {
      for (const reader of channel.readers) {
        out.error(reader.path, `${rules.noun} ${name} has no writer`, {
          expected: writerForm(rules, channel.name),
          hint: channelHint(channel.name, unread, others, rules),
        });
      }
    }
    const first = channel.readers[0];
    for (const extra of channel.readers.slice(1)) {
      out.error(extra.path, `${rules.noun} ${name} already has a reader at ${first?.path}`, {
        hint: `a ${rules.noun} has exactly one reader; give each reader its own ${rules.noun}`,
      });
    }
    const firstWriter = channel.writers[0];
    for (const extra of channel.writers.slice(rules.maxWriters)) {
      out.error(extra.path, `${rules.noun} ${name} already has a writer at ${firstWriter?.path}`, {
        hint: `a ${rules.noun} has exactly one writer; give each writer its own ${rules.noun}`,
      });
    }
  }
}

/** Arguments that are fd numbers in argv: their place in argv is how the program tells which grant each fd is. */
const FD_ARGS: ReadonlySet<Arg["kind"]> = new Set(["File", "Pipe", "FileSocket", "TcpListener", "Rpc", "Trigger"]);

function checkTriggerArgs(out: Diagnostics, ep: LocatedEntrypoint): void {
  if (ep.trigger?.value.kind === "FileSocket") {
    // A FileSocket "Trigger" is one argv entry per fd of the packet, 0 to 16 of them, as many as the writer chose: every
    // argument after it moves with that count. An fd argument there could be made to name the writer's fd (a memfd in
    // place of a File grant: outside attack 50), or its own to be taken for the connection.
    const at = ep.args.findIndex((a) => a.value.kind === "Trigger");
    if (at < 0) return;
    for (const { value, path } of ep.args.slice(at + 1)) {
      if (FD_ARGS.has(value.kind)) {
        out.error(
          path,
          `${value.kind === "Trigger" ? 'a second "Trigger"' : `a ${value.kind} argument`} after "Trigger" in ${ep.path}, whose FileSocket trigger makes "Trigger" as many arguments as the packet carries fds: where this one lands is the writer's choice`,
          {
            hint: `put the fd arguments before "Trigger", and "Trigger" once, last: ${ep.path}'s program then takes its grants by position and every argument after them as the packet's fds`,
          },
        );
      } else {
        out.warning(
          path,
          `this argument follows "Trigger" in ${ep.path}, whose FileSocket trigger makes "Trigger" as many arguments as the packet carries fds: its place in argv is the writer's choice`,
          {
            hint: `put it before "Trigger"`,
          },
        );
      }
    }
    return;
  }
  if (ep.trigger === undefined || ep.trigger.value.kind !== "Startup") return;
  for (const { value, path } of ep.args) {
    if (value.kind !== "Trigger") continue;
    const message = `"Trigger" is only valid in an entrypoint with a Pipe or FileSocket trigger, and ${ep.path} runs at "Startup"`;
    out.error(path, message, {
      hint: `give ${ep.path} a "trigger": {"Pipe": name} or {"FileSocket": name}, or remove this argument`,
    });
  }
}

/** Most Connect grants per entrypoint: their sockets reach the launcher in one SCM_RIGHTS message (native/void_spawn.c). */
export const MAX_CONNECTS = Limit.MaxConnects;

/**
 * Connect grants: one socket per protocol and port in the void (a Forward
 * relays to a port the program binds there), at most MAX_CONNECTS, and
 * none in a void that holds sockets of the host's network namespace: such
 * a void's connect() is refused (src/plan/seccomp.ts, the host-sockets
 * rule), so that it cannot re-aim them; its program could not use the
 * Connect.
 */
function checkConnects(out: Diagnostics, ep: LocatedEntrypoint): void {
  const connects = ep.environment.filter((g) => g.value.kind === "Connect");
  if (connects.length === 0) return;
  const hostSocketArg = ep.args.find((a) => a.value.kind === "TcpListener" || a.value.kind === "Rpc" || a.value.kind === "FileSocket");
  const fileSocketTrigger = ep.trigger?.value.kind === "FileSocket" ? ep.trigger : undefined;
  const holder = hostSocketArg ?? fileSocketTrigger;
  if (holder !== undefined) {
    const what = hostSocketArg !== undefined ? `a ${hostSocketArg.value.kind} argument (${hostSocketArg.path})` : `a FileSocket trigger (${fileSocketTrigger!.path})`;
    for (const c of connects) {
      out.error(
        c.path,
        `a Connect cannot serve ${ep.path}: it has ${what}, which gives it sockets of the host's network, and such a void's connect() is refused so that it cannot point them elsewhere`,
        {
          hint: "give the outgoing connection to another entrypoint and pass the work to it over a Pipe or FileSocket",
        },
      );
    }
  }
  if (connects.length > MAX_CONNECTS) out.error(connects[MAX_CONNECTS]!.path, `more than ${MAX_CONNECTS} Connect grants in ${ep.path}`, { hint: "relay through fewer destinations" });
  const ports = new Map<string, string>();
  for (const { value, path } of ep.environment) {
    if (value.kind !== "Connect" && value.kind !== "Forward") continue;
    const key = `${value.protocol} ${value.environmentPort}`;
    const first = ports.get(key);
    if (first === undefined) ports.set(key, path);
    else if (value.kind === "Connect" || ep.environment.some((g) => g.path === first && g.value.kind === "Connect")) {
      out.error(path, `${value.protocol} port ${value.environmentPort} in the void is already taken by the grant at ${first}`, { hint: "one Connect or Forward per protocol and port" });
    }
  }
}

function checkEnvironment(out: Diagnostics, ep: LocatedEntrypoint): void {
  const triggered = ep.trigger !== undefined && ep.trigger.value.kind !== "Startup";
  const devRandom = ep.environment.find((g) => g.value.kind === "DevRandom");
  for (const { value, path } of ep.environment) {
    if (value.kind === "Forward" && triggered) {
      out.error(path, `a Forward relays to one void, but ${ep.path} starts a void per message`, {
        hint: "forward to a Startup entrypoint; it may pass work on to triggered ones",
      });
    }
    if (value.kind === "Filesystem" && devRandom !== undefined && (value.environmentPath === "/dev/random" || value.environmentPath === "/dev/urandom")) {
      out.error(path, `environment_path ${quote(value.environmentPath)} is where "DevRandom" (at ${devRandom.path}) puts the host's device`, { hint: "keep one of the two" });
    }
  }
  checkConnects(out, ep);
  const limits = ep.environment.filter((g) => g.value.kind === "Limits");
  for (const extra of limits.slice(1)) {
    if (grantKey(extra.value) !== grantKey(limits[0]!.value)) out.error(extra.path, `a second Limits grant; the first is at ${limits[0]!.path}`, { hint: "put every limit in one Limits grant" });
  }
  for (const kind of ["WorkingDirectory", "Env", "PassEnv"] as const) {
    const all = ep.environment.filter((g) => g.value.kind === kind);
    for (const extra of all.slice(1)) {
      if (grantKey(extra.value) !== grantKey(all[0]!.value)) out.error(extra.path, `a second, different ${kind} grant; the first is at ${all[0]!.path}`, { hint: `keep one ${kind}` });
    }
  }
  const set = ep.environment.find((g) => g.value.kind === "Env");
  const passed = ep.environment.find((g) => g.value.kind === "PassEnv");
  if (set?.value.kind === "Env" && passed?.value.kind === "PassEnv") {
    const names = passed.value.names;
    const both = set.value.vars.map(([n]) => n).filter((n) => names.includes(n));
    if (both.length > 0)
      out.error(passed.path, `${both.map(quote).join(", ")} ${both.length > 1 ? "are" : "is"} also set by the Env grant at ${set.path}`, {
        hint: "a variable is either set by the spec or passed on from the launcher",
      });
  }
  const mountedAt = new Map<string, Located<Grant>>();
  for (const located of ep.environment) {
    const g = located.value;
    const where = g.kind === "Tmpfs" ? g.path : g.kind === "Filesystem" ? g.environmentPath : undefined;
    if (where === undefined) continue;
    const first = mountedAt.get(where);
    if (first === undefined) {
      mountedAt.set(where, located);
      continue;
    }
    // Two Filesystem grants at one path are reported below, in their own words.
    if (g.kind === "Filesystem" && first.value.kind === "Filesystem") continue;
    if (grantKey(first.value) !== grantKey(g))
      out.error(located.path, `${quote(where)} is mounted already by the grant at ${first.path}`, { hint: "one mount per path: a Tmpfs or a Filesystem bind" });
  }
  const filters = ep.environment.filter((g) => g.value.kind === "Seccomp" || g.value.kind === "SeccompUnconfined");
  for (const extra of filters.slice(1)) {
    if (grantKey(extra.value) === grantKey(filters[0]!.value)) continue;
    out.error(extra.path, `a second seccomp setting; the first is at ${filters[0]!.path}`, {
      hint: 'a void has one filter: one "Seccomp" grant, or "SeccompUnconfined"',
    });
  }
  const firstUts = new Map<string, Located<Grant>>();
  const firstBind = new Map<string, Located<Grant & { kind: "Filesystem" }>>();
  for (const located of ep.environment) {
    const grant = located.value;
    if (grant.kind === "Hostname" || grant.kind === "DomainName") {
      const first = firstUts.get(grant.kind);
      if (first === undefined) firstUts.set(grant.kind, located);
      else if (grantKey(first.value) !== grantKey(grant)) {
        out.error(located.path, `a second, different ${grant.kind}; the first is at ${first.path}`, {
          hint: `a void has one ${grant.kind === "Hostname" ? "host name" : "domain name"}; keep one`,
        });
      }
    } else if (grant.kind === "Filesystem") {
      const first = firstBind.get(grant.environmentPath);
      if (first === undefined) firstBind.set(grant.environmentPath, { value: grant, path: located.path });
      else if (grantKey(first.value) !== grantKey(grant)) {
        const what = first.value.hostPath === grant.hostPath ? "a different read_only" : "a different host_path";
        out.error(located.path, `environment_path ${quote(grant.environmentPath)} is granted again with ${what}`, {
          hint: `the first grant for it is at ${first.path}`,
        });
      }
    }
  }
}

/** "127.0.0.1:080" and "[0:0::1]:80" as the kernel sees them: "127.0.0.1:80", "[::1]:80". */
export function canonicalAddr(addr: string): string {
  const m = addr.match(/^(\[.*\]|[^:]*):(\d+)$/);
  if (m === null) return addr;
  try {
    return `${new URL(`http://${m[1]}/`).hostname}:${Number(m[2])}`;
  } catch {
    return addr;
  }
}

function checkListeners(out: Diagnostics, spec: LocatedSpec): void {
  const first = new Map<string, string>();
  const claim = (protocol: "tcp" | "udp", addr: string, path: string, what: string) => {
    const key = `${protocol} ${canonicalAddr(addr)}`;
    if (key.endsWith(":0")) return;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, path);
    else out.error(path, `a second ${what} on ${quote(addr)}; the first is at ${earlier}`);
  };
  for (const ep of spec.entrypoints) {
    for (const { value, path } of ep.args) if (value.kind === "TcpListener") claim("tcp", value.addr, path, "TcpListener");
    for (const { value, path } of ep.environment) {
      if (value.kind === "Forward") claim(value.protocol === "Tcp" ? "tcp" : "udp", value.hostAddr, path, `${value.protocol} Forward`);
    }
  }
}

function checkStartup(out: Diagnostics, spec: LocatedSpec): void {
  if (!spec.complete || spec.entrypoints.length === 0) return;
  if (spec.entrypoints.some((ep) => ep.trigger?.value.kind === "Startup")) return;
  out.error("entrypoints", `no entrypoint has the "Startup" trigger, so nothing would ever run`, {
    expected: `at least one entrypoint without "trigger" or with "trigger": "Startup"`,
  });
}

/** Warn about triggered entrypoints that nothing running can ever trigger. */
function checkReachable(out: Diagnostics, spec: LocatedSpec, pipes: Map<string, Channel>, sockets: Map<string, Channel>): void {
  const running = new Set(spec.entrypoints.filter((ep) => ep.trigger?.value.kind === "Startup"));
  if (!spec.complete || running.size === 0) return; // nothing running is already an error
  const writers = (trigger: Trigger): End[] => {
    if (trigger.kind === "Startup") return [];
    return (trigger.kind === "Pipe" ? pipes : sockets).get(trigger.name)?.writers ?? [];
  };
  let grew = true;
  while (grew) {
    grew = false;
    for (const ep of spec.entrypoints) {
      if (running.has(ep) || ep.trigger === undefined) continue;
      if (writers(ep.trigger.value).some((w) => running.has(w.entrypoint))) {
        running.add(ep);
        grew = true;
      }
    }
  }
  for (const ep of spec.entrypoints) {
    const trigger = ep.trigger;
    if (running.has(ep) || trigger === undefined || trigger.value.kind === "Startup") continue;
    if (writers(trigger.value).length === 0) continue; // already an error: no writer
    const noun = trigger.value.kind === "Pipe" ? "pipe" : "file socket";
    const writtenBy = `${noun} ${quote(trigger.value.name)} is written only by entrypoints that never run`;
    out.warning(trigger.path, `${ep.path} can never run: ${writtenBy}`);
  }
}
