/**
 * Forward grants (docs/spec.md): the launcher listens on a host address and
 * relays each UDP flow or TCP connection into the loopback of one void.
 *
 * Why this shape (docs/architecture.md, "Forward"): a void has a network
 * namespace of its own with nothing in it, and an unmodified daemon
 * (dnsmasq) binds its own sockets; it cannot take a listener as an fd. So
 * the void's `lo` is brought up (void_spawn.c) and the daemon binds
 * 127.0.0.1:PORT there, where nothing but the void itself can reach it.
 * The host end stays here, in the launcher: the void never holds a socket
 * of the host's network namespace (a bound UDP socket could send anywhere).
 *
 * The other end of each relayed flow must be a socket in the *void's*
 * namespace. Only a process inside that namespace can make one without
 * setns (which an unprivileged launcher may not do, and a thread of Node
 * should not), so void-init, the void's PID 1, makes them on request over
 * a SOCK_SEQPACKET "socket factory" (native/void_init.c): "U <port>" or
 * "T <port>" in, one socket connected to 127.0.0.1:<port> back. Whatever
 * comes back is used only as a byte stream or datagram socket to relay
 * into: it can give the void nothing it could not do with its own sockets.
 *
 * - UDP: one host socket; each client address is a flow with its own
 *   connected socket in the void (so replies go back to the right client),
 *   dropped after FLOW_IDLE_MS without traffic; at most MAX_FLOWS at once
 *   (the least recently used goes first). Datagrams are relayed whole;
 *   when a buffer is full, one is dropped, as UDP may.
 * - TCP: one connection in the void per client connection, bytes piped
 *   both ways with half-close; at most MAX_CONNECTIONS at once.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { readSync, writeSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import type { NativeAddon } from "../native/addon.js";
import type { ForwardPlan, VoidPlan } from "../plan/types.js";
import type { Factory } from "./factory.js";
import { closeReceived, watchFd } from "./launcher.js";
import { FloodLog, type LineKind, type Logger } from "./log.js";
import { splitAddr, WiringError } from "./wiring.js";

/** A UDP flow without a datagram either way for this long is closed. */
export const FLOW_IDLE_MS = 60_000;
/** Most UDP flows (client addresses) per Forward at once. */
export const MAX_FLOWS = 256;
/** Most TCP connections per Forward at once; more wait in the listen backlog. */
export const MAX_CONNECTIONS = 256;
/** Largest datagram relayed (the UDP maximum). */
const MAX_DATAGRAM = 65_535;
/** Datagrams read from a void's flow socket per wake-up (as connect.ts reads its voids' UDP sockets). */
const DATAGRAMS_PER_WAKE = 64;
/** Replies that may wait in the host socket's send queue before more are dropped. */
const MAX_QUEUED = 64;

interface Flow {
  key: string;
  client: RemoteInfo;
  /** The flow's socket in the void, once the factory has answered. */
  fd?: number;
  stop?: () => void;
  /** Datagrams from the client that arrived before fd. */
  queued: Buffer[];
  lastUsed: number;
}

/** One Forward's host end and its relay. */
interface Relay {
  forward: ForwardPlan;
  /** The bound address, "127.0.0.1:5353" (the actual port for port 0). */
  actual: string;
  start(factory: Factory): void;
  close(): void;
}

function errnoName(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

function bindError(entrypoint: string, f: ForwardPlan, e: unknown): WiringError {
  const code = errnoName(e);
  const why = code === "EADDRINUSE" ? "the address is already in use" : code === "EACCES" ? "permission denied (ports below 1024 need privilege)" : e instanceof Error ? e.message : String(e);
  return new WiringError(`entrypoint ${entrypoint}: cannot listen on ${f.hostAddr} (${f.protocol} Forward): ${why}`);
}

/** The factory, once the void runs: flows that arrive before wait for it. */
function whenStarted(): { ready: Promise<Factory>; start: (f: Factory) => void } {
  let start!: (f: Factory) => void;
  const ready = new Promise<Factory>((resolve) => {
    start = resolve;
  });
  return { ready, start };
}

/**
 * A flow or connection the void's end could not be opened for (nothing
 * listens there in the void): once per client connection or flow, so
 * limited per Forward (FloodLog).
 */
const NOT_RELAYED: LineKind = { kind: "forward not relayed", level: "error", what: ["connection or flow not relayed", "connections or flows not relayed"] };

const forwardSource = (entrypoint: string, f: ForwardPlan, actual: string): string => `entrypoint ${entrypoint}: ${f.protocol} Forward ${actual}`;

const show = (ip: string, port: number): string => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

async function udpRelay(entrypoint: string, f: ForwardPlan, log: Logger, flood: FloodLog): Promise<Relay> {
  const [ip, port] = splitAddr(f.hostAddr);
  const host: UdpSocket = createSocket({ type: ip.includes(":") ? "udp6" : "udp4", ipv6Only: ip.includes(":") });
  try {
    await new Promise<void>((resolve, reject) => {
      host.once("error", reject);
      host.bind({ address: ip, port, exclusive: true }, () => {
        host.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    host.close();
    throw bindError(entrypoint, f, e);
  }
  const actual = show(ip, host.address().port);
  const flows = new Map<string, Flow>();
  const started = whenStarted();
  let closed = false;
  const buffer = Buffer.alloc(MAX_DATAGRAM);

  const drop = (flow: Flow) => {
    flows.delete(flow.key);
    flow.stop?.();
    if (flow.fd !== undefined) closeReceived([flow.fd]);
    flow.fd = undefined;
  };
  const sendIn = (flow: Flow, data: Buffer) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeSync(flow.fd!, data);
        return;
      } catch (e) {
        // A refused earlier datagram (nothing listening yet) is reported
        // on the next write; that one is worth one retry.
        if (errnoName(e) !== "ECONNREFUSED") return;
      }
    }
  };
  // At most DATAGRAMS_PER_WAKE per wake-up, so a void sending as fast as it can does not hold the event loop (the
  // other voids' relays, the launcher's own work); past MAX_QUEUED waiting in the host socket, its replies are dropped,
  // as UDP may, instead of growing the launcher's memory.
  const fromVoid = (flow: Flow, rearm: () => void) => {
    for (let i = 0; i < DATAGRAMS_PER_WAKE; i++) {
      let n: number;
      try {
        n = readSync(flow.fd!, buffer, 0, buffer.length, null);
      } catch (e) {
        if (errnoName(e) === "ECONNREFUSED") continue; // nothing listened in the void when a datagram arrived
        if (errnoName(e) !== "EAGAIN") log.debug(`forward ${f.protocol} ${actual}: ${e instanceof Error ? e.message : String(e)}`);
        break;
      }
      flow.lastUsed = Date.now();
      if (host.getSendQueueCount() < MAX_QUEUED) host.send(Buffer.from(buffer.subarray(0, n)), flow.client.port, flow.client.address);
    }
    if (flows.get(flow.key) === flow) rearm();
  };
  const open = (flow: Flow) => {
    started.ready
      .then((factory) => factory.open("Udp", f.environmentPort))
      .then(
        (fd) => {
          if (closed || flows.get(flow.key) !== flow) {
            closeReceived([fd]);
            return;
          }
          flow.fd = fd;
          const w = watchFd(fd, () => fromVoid(flow, w.rearm));
          flow.stop = w.stop;
          for (const data of flow.queued.splice(0)) sendIn(flow, data);
        },
        (e: Error) => {
          flood.line(forwardSource(entrypoint, f, actual), NOT_RELAYED, `${forwardSource(entrypoint, f, actual)}: ${e.message}`);
          if (flows.get(flow.key) === flow) drop(flow);
        },
      );
  };
  host.on("message", (data: Buffer, client: RemoteInfo) => {
    if (closed) return;
    const key = `${client.address} ${client.port}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      if (flows.size >= MAX_FLOWS) {
        const oldest = [...flows.values()].reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b));
        drop(oldest);
      }
      flow = { key, client, queued: [], lastUsed: Date.now() };
      flows.set(key, flow);
      flow.queued.push(data);
      open(flow);
      return;
    }
    flow.lastUsed = Date.now();
    if (flow.fd === undefined) flow.queued.push(data);
    else sendIn(flow, data);
  });
  host.on("error", (e) => log.error(`entrypoint ${entrypoint}: ${f.protocol} Forward ${actual}: ${e.message}`));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const flow of [...flows.values()]) if (now - flow.lastUsed > FLOW_IDLE_MS) drop(flow);
  }, FLOW_IDLE_MS / 4);
  sweep.unref();
  return {
    forward: f,
    actual,
    start: started.start,
    close: () => {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      for (const flow of [...flows.values()]) drop(flow);
      host.close();
    },
  };
}

function tcpRelay(entrypoint: string, f: ForwardPlan, addon: NativeAddon, log: Logger, flood: FloodLog): Promise<Relay> {
  const [ip, port] = splitAddr(f.hostAddr);
  let bound: { fd: number; port: number };
  try {
    bound = addon.tcpListen(ip, port);
  } catch (e) {
    return Promise.reject(bindError(entrypoint, f, e));
  }
  const actual = show(ip, bound.port);
  const open = new Set<Socket>();
  const started = whenStarted();
  let closed = false;
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    open.add(client);
    client.on("error", () => client.destroy());
    client.on("close", () => open.delete(client));
    started.ready
      .then((factory) => factory.open("Tcp", f.environmentPort))
      .then(
        (fd) => {
          if (client.destroyed) {
            closeReceived([fd]);
            return;
          }
          const inner = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
          open.add(inner);
          inner.on("close", () => {
            open.delete(inner);
            // Reset the client if the void's side failed; otherwise the pipe ended it.
            if (!client.writableEnded) client.destroy();
          });
          inner.on("error", (e) => {
            log.debug(`forward ${f.protocol} ${actual}: ${e.message}`);
            inner.destroy();
            client.destroy();
          });
          client.on("close", () => inner.destroy());
          client.pipe(inner);
          inner.pipe(client);
          client.resume();
        },
        (e: Error) => {
          flood.line(forwardSource(entrypoint, f, actual), NOT_RELAYED, `${forwardSource(entrypoint, f, actual)}: ${e.message}`);
          client.destroy();
        },
      );
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on("error", (e) => log.error(`entrypoint ${entrypoint}: ${f.protocol} Forward ${actual}: ${e.message}`));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd: bound.fd }, () => {
      server.off("error", reject);
      resolve({
        forward: f,
        actual,
        start: started.start,
        close: () => {
          if (closed) return;
          closed = true;
          server.close();
          for (const s of open) s.destroy();
        },
      });
    });
  });
}

/** Every Forward of one void: host ends bound before it starts, relays running while it lives. */
export class Forwarder {
  private constructor(
    readonly entrypoint: string,
    private readonly relays: Relay[],
    private readonly flood: FloodLog,
  ) {}

  /** Binds the host end of every Forward of `plan`; on any failure closes those bound and throws a WiringError. */
  static async bind(plan: VoidPlan, addon: NativeAddon, log: Logger, flood: FloodLog = new FloodLog(log)): Promise<Forwarder> {
    const relays: Relay[] = [];
    try {
      for (const f of plan.forwards) relays.push(f.protocol === "Udp" ? await udpRelay(plan.entrypoint, f, log, flood) : await tcpRelay(plan.entrypoint, f, addon, log, flood));
    } catch (e) {
      for (const r of relays) r.close();
      throw e;
    }
    return new Forwarder(plan.entrypoint, relays, flood);
  }

  /** "UDP 127.0.0.1:5353 -> 127.0.0.1:5353 in the void", one per Forward, with actual ports. */
  describe(): string[] {
    return this.relays.map(
      (r) => `${r.forward.protocol.toUpperCase()} ${r.actual}${r.actual !== r.forward.hostAddr ? ` (spec: ${r.forward.hostAddr})` : ""} -> 127.0.0.1:${r.forward.environmentPort} in its void`,
    );
  }

  /** Relays through the void whose socket factory is `factory` (closed with the void, not here). */
  start(factory: Factory): void {
    for (const r of this.relays) r.start(factory);
  }

  /** Stops listening and closes every relayed flow. */
  close(): void {
    for (const r of this.relays) {
      r.close();
      this.flood.end(forwardSource(this.entrypoint, r.forward, r.actual));
    }
  }
}
