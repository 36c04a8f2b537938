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
 * come back. Bounded: at most MAX_CONNECTIONS TCP connections per grant
 * and void at once (more are closed as they arrive), MAX_FLOWS UDP flows
 * (client ports; the least recently used goes first), each dropped after
 * FLOW_IDLE_MS without traffic.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { closeSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { NativeAddon } from "../native/addon.js";
import type { ConnectPlan, VoidPlan } from "../plan/types.js";
import { FLOW_IDLE_MS, MAX_FLOWS } from "./forward.js";
import { closeReceived, watchFd } from "./launcher.js";
import type { Logger } from "./log.js";
import { splitAddr } from "./wiring.js";

/** Most TCP connections relayed at once per Connect grant and void. */
export const MAX_CONNECTIONS = 64;
/** Datagrams read from a void's UDP socket per wake-up, so one void cannot hold the event loop. */
const DATAGRAMS_PER_WAKE = 64;
/** Largest datagram relayed (the UDP maximum). */
const MAX_DATAGRAM = 65_535;

interface Relay {
  close(): void;
}

const describe = (c: ConnectPlan): string => `${c.protocol.toUpperCase()} 127.0.0.1:${c.environmentPort} -> ${c.hostAddr}`;

/** Says the first failure of a relay as a warning, the rest with -v (a void may retry in a loop). */
function reporter(entrypoint: string, pid: number, c: ConnectPlan, log: Logger): (why: string) => void {
  let told = false;
  return (why) => {
    const line = `entrypoint ${entrypoint} (pid ${pid}): Connect ${describe(c)}: ${why}`;
    if (told) log.verbose(line);
    else log.warn(`${line}${log.verbosity >= 1 ? "" : " (further failures: -v)"}`);
    told = true;
  };
}

function tcpRelay(fd: number, c: ConnectPlan, fail: (why: string) => void): Relay {
  const [ip, port] = splitAddr(c.hostAddr);
  const open = new Set<Socket>();
  let closed = false;
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (inner) => {
    if (closed) {
      inner.destroy();
      return;
    }
    const outer = createConnection({ host: ip, port, allowHalfOpen: true });
    open.add(inner);
    open.add(outer);
    inner.on("close", () => {
      open.delete(inner);
      outer.destroy();
    });
    outer.on("close", () => {
      open.delete(outer);
      // The destination failed or reset: the client sees a reset, not a clean end.
      if (!inner.writableEnded) inner.resetAndDestroy();
    });
    inner.on("error", () => outer.destroy());
    outer.on("error", (e) => {
      fail(e.message);
      inner.resetAndDestroy();
    });
    outer.once("connect", () => {
      inner.pipe(outer);
      outer.pipe(inner);
      inner.resume();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on("error", (e) => fail(e.message));
  server.listen({ fd });
  return {
    close: () => {
      if (closed) return;
      closed = true;
      server.close();
      for (const s of open) s.destroy();
    },
  };
}

interface Flow {
  key: string;
  ip: string;
  port: number;
  host: UdpSocket;
  /** Datagrams from the void before the host socket was connected. */
  queued: Buffer[] | undefined;
  lastUsed: number;
}

function udpRelay(fd: number, c: ConnectPlan, addon: NativeAddon, fail: (why: string) => void): Relay {
  const [ip, port] = splitAddr(c.hostAddr);
  const flows = new Map<string, Flow>();
  let closed = false;

  const drop = (flow: Flow) => {
    flows.delete(flow.key);
    flow.host.close();
  };
  const flowFor = (from: { ip: string; port: number }): Flow => {
    const key = `${from.ip} ${from.port}`;
    const known = flows.get(key);
    if (known !== undefined) return known;
    if (flows.size >= MAX_FLOWS) drop([...flows.values()].reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b)));
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
    });
    host.connect(port, ip, () => {
      for (const d of flow.queued ?? []) host.send(d);
      flow.queued = undefined;
    });
    return flow;
  };
  const watch = watchFd(fd, () => {
    if (closed) return;
    for (let i = 0; i < DATAGRAMS_PER_WAKE; i++) {
      let got: ReturnType<NativeAddon["recvFrom"]>;
      try {
        got = addon.recvFrom(fd, MAX_DATAGRAM);
      } catch {
        continue; // an error queued on the socket (ICMP for a reply): read on
      }
      if (got === null) break;
      const flow = flowFor(got);
      flow.lastUsed = Date.now();
      if (flow.queued !== undefined) flow.queued.push(got.data);
      else flow.host.send(got.data);
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

  constructor(
    private readonly plan: VoidPlan,
    private readonly pid: number,
    private readonly addon: NativeAddon,
    private readonly log: Logger,
  ) {}

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
      const fail = reporter(this.plan.entrypoint, this.pid, c, this.log);
      this.relays.push(tcp ? tcpRelay(fd, c, fail) : udpRelay(fd, c, this.addon, fail));
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
  }
}
