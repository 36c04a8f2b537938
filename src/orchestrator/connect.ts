/**
 * Connect grants (docs/spec.md): the egress of one void, relayed by the
 * launcher to exactly the host addresses its spec lists.
 *
 * Why this shape (docs/architecture.md, "Connect"): a void's network
 * namespace holds only its loopback, so an unmodified client (curl, psql,
 * a resolver) can reach nothing. With a Connect grant the void's child
 * binds 127.0.0.1:environment_port in the void's namespace — a listening
 * TCP socket or a bound UDP socket — before the entrypoint runs, and sends
 * it to the launcher (native/void_spawn.c open_connects; it arrives first
 * on the void's socket factory, src/orchestrator/factory.ts). The program
 * connects there as to any local service; the launcher accepts (TCP) or
 * reads (UDP) and relays to `host_addr` from its own network namespace.
 *
 * What the void can do with it is exactly: open connections or send
 * datagrams to that one destination and read the answers. It never holds
 * a socket of the host's network namespace; the destination is the
 * launcher's choice, not a field of anything the void sends; the relay's
 * host sockets are connected sockets, so only the destination's answers
 * come back. Bounded, so that no void can exhaust the launcher that
 * serves every void of the application:
 * - per void, over all its grants: at most MAX_CONNECTIONS TCP connections
 *   at once (more are reset as they arrive) and MAX_FLOWS UDP flows (client
 *   ports; the grant's least recently used goes first), each flow dropped
 *   after FLOW_IDLE_MS without traffic;
 * - per void and second, over all its grants: at most OPENS_PER_SECOND
 *   connections accepted and flows opened (each costs the launcher two
 *   sockets, a connect and their closes, CPU the void's cgroup never
 *   counts); past it, the relay accepts or reads nothing more from that
 *   void until the second is over, and its clients wait in the kernel
 *   (the listening socket's backlog, the UDP socket's buffer);
 * - per launcher: the relays of all voids together hold at most half of
 *   its open-file limit (RelayBudget), so spawning voids and serving
 *   triggers always has fds left; past it, new connections are reset and
 *   new flows' datagrams dropped;
 * - memory: TCP is piped with back-pressure; a UDP datagram is dropped,
 *   as UDP may, when its flow's host socket already has MAX_QUEUED
 *   datagrams waiting to be sent (a destination slower than the void) or
 *   is not connected yet.
 * A flow whose host socket cannot connect (no route, a broadcast address)
 * is dropped with a warning; nothing of it outlives the error.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { closeSync, readFileSync } from "node:fs";
import { createConnection, Socket } from "node:net";
import type { NativeAddon } from "../native/addon.js";
import type { ConnectPlan, VoidPlan } from "../plan/types.js";
import { FLOW_IDLE_MS, MAX_FLOWS } from "./forward.js";
import { closeReceived, watchFd } from "./launcher.js";
import type { FloodLog, LineKind, Logger } from "./log.js";
import { OPENS_PER_SECOND, SecondBudget, whenPast } from "./pacing.js";
import { splitAddr } from "./wiring.js";

/** Most TCP connections relayed at once per void, over all its Connect grants. */
export const MAX_CONNECTIONS = 64;
/** Connections accepted per wake-up, so one void cannot hold the event loop. */
const ACCEPTS_PER_WAKE = 16;
/** How long a relay waits before accepting again after accept(2) failed (EMFILE, ENOBUFS). */
const ACCEPT_RETRY_MS = 100;
/** Datagrams that may wait in a flow's host socket (or for it to connect) before more are dropped. */
export const MAX_QUEUED = 64;
/** Datagrams read from a void's UDP socket per wake-up, so one void cannot hold the event loop. */
const DATAGRAMS_PER_WAKE = 64;
/** Largest datagram relayed (the UDP maximum). */
const MAX_DATAGRAM = 65_535;

interface Relay {
  close(): void;
}

/**
 * The fds all Connect relays of one launcher may hold at once: half of
 * its open-file limit (the rest is for voids' pipes, sockets and files).
 */
export class RelayBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Half of this process's soft RLIMIT_NOFILE (Node raises it to the hard limit at start), at least 64. */
  static forThisProcess(): RelayBudget {
    let soft = 1024;
    try {
      const line = readFileSync("/proc/self/limits", "utf8")
        .split("\n")
        .find((l) => l.startsWith("Max open files"));
      const value = line?.split(/\s+/)[3];
      if (value !== undefined && /^\d+$/.test(value)) soft = Number(value);
    } catch {
      // No /proc: the default stands.
    }
    return new RelayBudget(Math.max(64, Math.floor(soft / 2)));
  }

  take(fds: number): boolean {
    if (this.used + fds > this.limit) return false;
    this.used += fds;
    return true;
  }

  give(fds: number): void {
    this.used -= fds;
  }
}

/** What one void's relays share: its caps over all its grants, and the launcher's budget. */
interface Shares {
  budget: RelayBudget;
  connections: number;
  flows: number;
  /** Connections accepted and flows opened, against OPENS_PER_SECOND. */
  opens: SecondBudget;
}

const describe = (c: ConnectPlan): string => `${c.protocol.toUpperCase()} 127.0.0.1:${c.environmentPort} -> ${c.hostAddr}`;

/** A grant's failures after its first, with -v: limited per void and grant (FloodLog). */
const FAILURE: LineKind = { kind: "connect failure", level: "verbose", what: ["failure", "failures"] };

/**
 * Says the first failure of a grant as a warning, the rest with -v, at
 * most a few per void and grant in each window (FloodLog): a void may
 * retry in a loop, and a triggered entrypoint has a void per message.
 * `told` holds the grants already warned about, for the whole run.
 */
function reporter(entrypoint: string, pid: number, c: ConnectPlan, flood: FloodLog, told: Set<string>): (why: string) => void {
  const key = `${entrypoint} ${c.protocol} ${c.environmentPort}`;
  const source = connectSource(entrypoint, pid, c);
  const log = flood.log;
  return (why) => {
    const line = `${source}: ${why}`;
    if (told.has(key)) flood.line(source, FAILURE, line);
    else log.warn(`${line}${log.verbosity >= 1 ? "" : " (further failures: -v)"}`);
    told.add(key);
  };
}

const connectSource = (entrypoint: string, pid: number, c: ConnectPlan): string => `entrypoint ${entrypoint} (pid ${pid}): Connect ${describe(c)}`;

/** A relay's pause: `until(t)` calls `resume` once performance.now() reaches t (one pending at a time); `clear()` drops it. */
function pauser(resume: () => void): { until(t: number): void; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    until: (t) => {
      if (timer !== undefined) return;
      whenPast(
        t,
        () => {
          timer = undefined;
          resume();
        },
        (next) => {
          timer = next;
        },
      );
    },
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function tcpRelay(fd: number, c: ConnectPlan, addon: NativeAddon, shares: Shares, fail: (why: string) => void): Relay {
  const [ip, port] = splitAddr(c.hostAddr);
  const open = new Set<Socket>();
  let closed = false;
  const pause = pauser(() => {
    if (!closed) watch.rearm();
  });

  const relay = (inner: Socket) => {
    if (shares.connections >= MAX_CONNECTIONS) {
      inner.resetAndDestroy();
      return;
    }
    // Two fds: the accepted connection and the one to the destination.
    if (!shares.budget.take(2)) {
      fail(`the launcher's relays hold ${shares.budget.limit} fds, half its open-file limit: connection reset`);
      inner.resetAndDestroy();
      return;
    }
    shares.connections++;
    let ends = 2;
    const gone = () => {
      if (--ends > 0) return;
      shares.connections--;
      shares.budget.give(2);
    };
    const outer = createConnection({ host: ip, port, allowHalfOpen: true });
    open.add(inner);
    open.add(outer);
    inner.on("close", () => {
      open.delete(inner);
      outer.destroy();
      gone();
    });
    outer.on("close", () => {
      open.delete(outer);
      // The destination failed or reset: the client sees a reset, not a clean end.
      if (!inner.writableEnded) inner.resetAndDestroy();
      gone();
    });
    inner.on("error", () => outer.destroy());
    outer.on("error", (e) => {
      fail(e.message);
      inner.resetAndDestroy();
    });
    outer.once("connect", () => {
      // What the client sent meanwhile waited in inner's buffer (up to its high-water mark, then in the kernel).
      inner.pipe(outer);
      outer.pipe(inner);
    });
  };

  // Accepted here, not by a net.Server, which accepts whatever arrives: each connection is charged to the void's budget first.
  const watch = watchFd(fd, () => {
    if (closed) return;
    for (let i = 0; i < ACCEPTS_PER_WAKE; i++) {
      const until = shares.opens.pausedUntil();
      if (until !== 0) {
        pause.until(until);
        return;
      }
      let conn: number | null;
      try {
        conn = addon.accept(fd);
      } catch (e) {
        fail(`accept: ${e instanceof Error ? e.message : String(e)}`);
        pause.until(performance.now() + ACCEPT_RETRY_MS);
        return;
      }
      if (conn === null) break;
      shares.opens.charge(1);
      relay(new Socket({ fd: conn, allowHalfOpen: true, readable: true, writable: true }));
    }
    watch.rearm();
  });
  return {
    close: () => {
      if (closed) return;
      closed = true;
      pause.clear();
      watch.stop();
      closeSync(fd);
      for (const s of open) s.destroy();
    },
  };
}

interface Flow {
  key: string;
  ip: string;
  port: number;
  host: UdpSocket;
  /** Datagrams from the void before the host socket was connected (at most MAX_QUEUED). */
  queued: Buffer[] | undefined;
  lastUsed: number;
}

function udpRelay(fd: number, c: ConnectPlan, addon: NativeAddon, shares: Shares, fail: (why: string) => void): Relay {
  const [ip, port] = splitAddr(c.hostAddr);
  const flows = new Map<string, Flow>();
  let closed = false;

  const drop = (flow: Flow) => {
    if (flows.get(flow.key) !== flow) return;
    flows.delete(flow.key);
    flow.host.close();
    shares.flows--;
    shares.budget.give(1);
  };
  const flowFor = (from: { ip: string; port: number }): Flow | undefined => {
    const key = `${from.ip} ${from.port}`;
    const known = flows.get(key);
    if (known !== undefined) return known;
    // At the void's cap, this grant's least recently used flow goes; a grant without one gets no new flow.
    if (shares.flows >= MAX_FLOWS) {
      if (flows.size === 0) return undefined;
      drop([...flows.values()].reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b)));
    }
    if (!shares.budget.take(1)) {
      fail(`the launcher's relays hold ${shares.budget.limit} fds, half its open-file limit: datagram dropped`);
      return undefined;
    }
    shares.flows++;
    shares.opens.charge(1);
    const host = createSocket({ type: ip.includes(":") ? "udp6" : "udp4" });
    const flow: Flow = { key, ip: from.ip, port: from.port, host, queued: [], lastUsed: Date.now() };
    flows.set(key, flow);
    host.on("message", (data) => {
      flow.lastUsed = Date.now();
      // A full buffer in the void drops the datagram (sendTo is false), as UDP may.
      try {
        addon.sendTo(fd, data, flow.ip, flow.port);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e)); // dropped, and said
      }
    });
    host.on("error", (e) => {
      // ECONNREFUSED: an ICMP "port unreachable" for an earlier datagram; the void's client times out as it would.
      fail(`${c.hostAddr}: ${e.message}`);
      // Not connected yet (bind or connect failed): the flow has no way out; it goes.
      if (flow.queued !== undefined) drop(flow);
    });
    host.connect(port, ip, (err?: Error) => {
      if (err !== undefined && err !== null) {
        fail(`connect ${c.hostAddr}: ${err.message}`);
        drop(flow);
        return;
      }
      const queued = flow.queued ?? [];
      flow.queued = undefined;
      if (flows.get(key) === flow) for (const d of queued) host.send(d);
    });
    return flow;
  };
  const pause = pauser(() => {
    if (!closed) watch.rearm();
  });
  const watch = watchFd(fd, () => {
    if (closed) return;
    for (let i = 0; i < DATAGRAMS_PER_WAKE; i++) {
      // Past the second's new flows, nothing more is read from the void until the second is over (its datagrams wait in its socket's buffer).
      const until = shares.opens.pausedUntil();
      if (until !== 0) {
        pause.until(until);
        return;
      }
      let got: ReturnType<NativeAddon["recvFrom"]>;
      try {
        got = addon.recvFrom(fd, MAX_DATAGRAM);
      } catch {
        continue; // an error queued on the socket (ICMP for a reply): read on
      }
      if (got === null) break;
      const flow = flowFor(got);
      if (flow === undefined) continue;
      flow.lastUsed = Date.now();
      if (flow.queued !== undefined) {
        if (flow.queued.length < MAX_QUEUED) flow.queued.push(got.data);
      } else if (flow.host.getSendQueueCount() < MAX_QUEUED) flow.host.send(got.data);
    }
    watch.rearm();
  });
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const flow of [...flows.values()]) if (now - flow.lastUsed > FLOW_IDLE_MS) drop(flow);
  }, FLOW_IDLE_MS / 4);
  sweep.unref();
  return {
    close: () => {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      pause.clear();
      watch.stop();
      for (const flow of [...flows.values()]) drop(flow);
      closeSync(fd);
    },
  };
}

/** <sys/socket.h> values (x86_64 and every other Linux architecture). */
const SOCK_STREAM = 1;

/** Every Connect of one void, relaying while it lives. */
export class Connector {
  private readonly relays: Relay[] = [];
  private closed = false;
  private readonly shares: Shares;

  constructor(
    private readonly plan: VoidPlan,
    private readonly pid: number,
    private readonly addon: NativeAddon,
    private readonly log: Logger,
    budget: RelayBudget,
    /** Grants whose failures were warned about already (reporter). */
    private readonly told: Set<string>,
    private readonly flood: FloodLog,
  ) {
    this.shares = { budget, connections: 0, flows: 0, opens: new SecondBudget(OPENS_PER_SECOND) };
  }

  /**
   * The void's Connect sockets arrived (one per grant, in plan order).
   * Each is checked to be what the child made — IPv4, 127.0.0.1, the
   * grant's port and type, listening for TCP — before it is used.
   */
  start(fds: number[]): void {
    if (this.closed) {
      closeReceived(fds);
      return;
    }
    this.plan.connects.forEach((c, i) => {
      const fd = fds[i]!;
      const addr = this.addon.socketAddress(fd);
      const kind = this.addon.socketKind(fd);
      const tcp = c.protocol === "Tcp";
      if (addr === null || kind === null || addr.ip !== "127.0.0.1" || addr.port !== c.environmentPort || addr.stream !== tcp || (kind.type === SOCK_STREAM) !== tcp || (tcp && !addr.listening)) {
        closeReceived([fd]);
        this.log.error(`entrypoint ${this.plan.entrypoint} (pid ${this.pid}): Connect ${describe(c)}: the void's socket is not the one planned; not relayed`);
        return;
      }
      const fail = reporter(this.plan.entrypoint, this.pid, c, this.flood, this.told);
      this.relays.push(tcp ? tcpRelay(fd, c, this.addon, this.shares, fail) : udpRelay(fd, c, this.addon, this.shares, fail));
    });
  }

  /** The sockets never came: the void's programs find nothing at their ports. */
  failed(e: Error): void {
    if (!this.closed) this.log.error(`entrypoint ${this.plan.entrypoint} (pid ${this.pid}): Connect: ${e.message}`);
  }

  /** Stops every relay and closes the void's sockets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.relays) r.close();
    for (const c of this.plan.connects) this.flood.end(connectSource(this.plan.entrypoint, this.pid, c));
  }
}
