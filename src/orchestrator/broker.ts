/**
 * The RPC broker (docs/rpc.md): inside the launcher, no process per void.
 * Each void with an {"Rpc": [...]} argument holds one end of its own
 * SOCK_SEQPACKET pair; the broker holds the other, reads one request per
 * packet, performs it only if the void's allow-list permits it, and answers
 * with the connected socket (SCM_RIGHTS) or an error. Host names are
 * resolved here, in the launcher, never in the void. Requests from one void
 * are answered in order.
 */
import { lookup } from "node:dns/promises";
import { closeSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import type { NativeAddon } from "../native/addon.js";
import type { FdGrant } from "../plan/types.js";
import { describeRequest, encodeReply, isAllowed, parseRequest, RPC_MAX_REQUEST_BYTES, type RpcErrorName, type RpcReply, type RpcRequest, rpcErrorName } from "../rpc/protocol.js";
import type { RpcOperation } from "../spec/types.js";
import { CLOSER_RETRY_MS, closeReceived, relayFd, watchFd } from "./launcher.js";
import { FloodLog, type LineKind, type Logger } from "./log.js";
import { OPENS_PER_SECOND, SecondBudget } from "./pacing.js";

/** How long one outgoing connect may take. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Read one byte more than a request may have, to tell "too long" apart. */
const MAX_READ = RPC_MAX_REQUEST_BYTES + 1;

interface Client {
  fd: number;
  entrypoint: string;
  pid: number;
  operations: RpcOperation[];
  stop: () => void;
  rearm: () => void;
  /** Relayed UDP sockets of this void still open (at most MAX_UDP_PER_VOID). */
  udp: number;
  /** Their relays, both ways: stopped when the void exits, wherever their ends went. */
  relays: Set<{ stop(): void }>;
  /** What this void's refused, malformed and failed requests, and the fds they carried, have cost so far, */
  spent: number;
  /** and against its budget of REFUSALS_PER_SECOND. */
  budget: SecondBudget;
  /** Its granted requests (sockets opened), against OPENS_PER_SECOND. */
  opens: SecondBudget;
}

/**
 * Name lookups and connects run on libuv's thread pool (4 threads), which
 * also builds every void: a void that asks for a peer that never answers
 * holds a thread for up to CONNECT_TIMEOUT_MS. At most this many run at
 * once, the rest wait in order, so voids are always built.
 */
export const MAX_CONCURRENT_CONNECTS = 2;

/**
 * What one void's requests that come to nothing may cost the launcher per
 * second: each refused, malformed or failed request counts one, and each
 * fd a request carried (which the launcher's closers must close) FD_COST
 * more. Past it, the void's next request is read only when the second is
 * over. All of it is launcher CPU that the void's cgroup never counts: a
 * void looping refused requests under `cpu_max: 0.1` had the launcher
 * spend several times its own CPU (outside attack 43), and one sending 253
 * fds with each, or asking for a port nobody listens on, most of a CPU
 * (outside attack 46). A program refused or failing that often is broken
 * or hostile; an honest one is never slowed.
 */
export const REFUSALS_PER_SECOND = 256;

/**
 * What an fd a void sent costs against such a budget: the launcher's
 * closers close it (~20 us, against ~100 us to answer a request).
 */
export const FD_COST = 0.25;

/** Relayed UDP sockets one void may hold at once (each costs the launcher two threads). */
export const MAX_UDP_PER_VOID = 16;

/** A counting semaphore: run(f) starts f when fewer than `n` run. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await f();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** What a void can make the broker log once per request: limited per void (FloodLog). */
const REFUSED: LineKind = { kind: "rpc refused", level: "error", what: ["refused request", "refused requests"] };
const MALFORMED: LineKind = { kind: "rpc malformed", level: "error", what: ["malformed request", "malformed requests"] };

/** With -v: allowed requests too, a void may loop them. */
const FAILED: LineKind = { kind: "rpc failed", level: "verbose", what: ["failed request", "failed requests"] };
const OPENED: LineKind = { kind: "rpc opened", level: "verbose", what: ["granted request", "granted requests"] };

const source = (c: Client): string => `rpc ${c.entrypoint} (pid ${c.pid})`;

export class Broker {
  private readonly clients = new Set<Client>();
  private readonly connects = new Limiter(MAX_CONCURRENT_CONNECTS);
  /** Requests handled, for logs and tests: allowed, refused, failed. */
  readonly counts = { allowed: 0, refused: 0, failed: 0 };

  constructor(
    private readonly addon: NativeAddon,
    private readonly log: Logger,
    /** A void looping refused requests would otherwise have the launcher write a line for each. */
    private readonly flood: FloodLog = new FloodLog(log),
    /** How names are resolved: the system's resolver (getaddrinfo); tests give answers of their own. */
    private readonly lookupName: NameLookup = lookup,
  ) {}

  /**
   * Serves the broker end `fd` of a void's RPC socket until the void
   * closes it, or until the returned function is called: when the void
   * exits. That also ends the UDP sockets it was given (their relays
   * stop; their ends, wherever the void passed them, read the end): what
   * the broker gives a void lives no longer than the void, so a void
   * cannot hand its sockets on and exit to be given more (MAX_UDP_PER_VOID
   * bounds each void while it lives).
   */
  attach(fd: number, grant: FdGrant, entrypoint: string, pid: number): () => void {
    if (grant.source.kind !== "rpc") throw new Error("void: broker attached to a non-RPC fd");
    const operations = grant.source.operations;
    const w = watchFd(fd, () => void this.serve(client));
    const client: Client = {
      fd,
      entrypoint,
      pid,
      operations,
      stop: w.stop,
      rearm: w.rearm,
      udp: 0,
      relays: new Set(),
      spent: 0,
      budget: new SecondBudget(REFUSALS_PER_SECOND),
      opens: new SecondBudget(OPENS_PER_SECOND),
    };
    this.clients.add(client);
    return () => {
      this.detach(client);
      for (const r of client.relays) r.stop();
    };
  }

  private async serve(c: Client): Promise<void> {
    // One request at a time per void, in order: read the next only after
    // answering this one.
    for (;;) {
      // A request may carry fds: none are taken while the closers are behind (native/addon/relay.c closer_behind).
      while (this.addon.closersBehind()) {
        await new Promise((resolve) => setTimeout(resolve, CLOSER_RETRY_MS));
        if (!this.clients.has(c)) return;
      }
      const spentBefore = c.spent;
      let packet: ReturnType<NativeAddon["recvFds"]>;
      try {
        packet = this.addon.recvFds(c.fd, MAX_READ);
      } catch (e) {
        // A void that exits with requests unanswered resets the socket:
        // that is the end of its conversation, not an error.
        const reset = (e as { code?: string }).code === "ECONNRESET";
        const message = `rpc ${c.entrypoint} (pid ${c.pid}): ${e instanceof Error ? e.message : String(e)}; closing its broker socket`;
        if (reset) this.log.verbose(message);
        else this.log.error(message);
        this.detach(c);
        return;
      }
      if (packet === null) break;
      if (packet.eof) {
        this.detach(c);
        return;
      }
      closeReceived(packet.fds); // a request never carries fds
      // Each fd it carried costs the closers a close: it counts against the void's budget too (REFUSALS_PER_SECOND).
      c.spent += packet.fds.length * FD_COST;
      const tooLong = packet.truncated || packet.data.length > RPC_MAX_REQUEST_BYTES || packet.fds.length > 0;
      const reply = tooLong ? refuse("EPROTO", `request longer than ${RPC_MAX_REQUEST_BYTES} bytes, or with fds`) : await this.handle(c, packet.data);
      if (tooLong) {
        this.countRefusal(c);
        this.flood.line(source(c), MALFORMED, `rpc ${c.entrypoint} (pid ${c.pid}): malformed request: longer than ${RPC_MAX_REQUEST_BYTES} bytes, or with fds`);
      }
      if (!this.clients.has(c)) {
        // Detached meanwhile (the void exited, or closed its socket): what was opened for it goes. For a UDP socket,
        // its end's close ends both relays, as the void's own close would.
        if (reply.fd !== undefined) closeReceived([reply.fd]);
        return;
      }
      const fds = reply.fd === undefined ? [] : [reply.fd];
      let why: string | undefined;
      try {
        if (!this.addon.sendFds(c.fd, Buffer.from(encodeReply(reply.reply)), fds)) why = "its socket is full";
      } catch (e) {
        why = e instanceof Error ? e.message : String(e);
      }
      if (reply.fd !== undefined) closeReceived([reply.fd]);
      if (why !== undefined) {
        this.log.verbose(`rpc ${c.entrypoint} (pid ${c.pid}): could not send the reply (${why}); closing its broker socket`);
        this.detach(c);
        return;
      }
      // (The loop's timer clock may lag behind performance.now() after a busy stretch: wait until the second is over by it.)
      const until = Math.max(c.spent > spentBefore ? c.budget.charge(c.spent - spentBefore) : 0, c.opens.pausedUntil());
      while (performance.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(until - performance.now())));
        if (!this.clients.has(c)) return;
      }
    }
    c.rearm();
  }

  /** Counts a refused or malformed request of `c`'s. */
  private countRefusal(c: Client): void {
    this.counts.refused++;
    c.spent++;
  }

  private async handle(c: Client, data: Buffer): Promise<{ reply: RpcReply; fd?: number }> {
    const parsed = parseRequest(data);
    if (!parsed.ok) {
      this.countRefusal(c);
      this.flood.line(source(c), MALFORMED, `rpc ${c.entrypoint} (pid ${c.pid}): malformed request: ${parsed.message}`);
      return refuse("EPROTO", parsed.message);
    }
    const req = parsed.request;
    const what = describeRequest(req);
    const verdict = isAllowed(req, c.operations);
    if (!verdict.allowed) {
      this.countRefusal(c);
      this.flood.line(source(c), REFUSED, `rpc ${c.entrypoint} (pid ${c.pid}): refused: ${verdict.message}`);
      return refuse("EACCES", `not allowed by the spec: ${verdict.message}`);
    }
    if (req.op === "OpenUdpSocket" && c.udp >= MAX_UDP_PER_VOID) {
      this.countRefusal(c);
      this.flood.line(source(c), REFUSED, `rpc ${c.entrypoint} (pid ${c.pid}): refused: ${what}: ${MAX_UDP_PER_VOID} UDP sockets already open`);
      return refuse("EMFILE", `at most ${MAX_UDP_PER_VOID} UDP sockets at once per void`);
    }
    try {
      return await this.connects.run(() => this.open(c, req, what));
    } catch (e) {
      this.counts.failed++;
      c.spent++; // a connect that failed (nobody listens) costs as much as a refusal: paced alike
      const message = e instanceof Error ? e.message : String(e);
      this.flood.line(source(c), FAILED, `rpc ${c.entrypoint} (pid ${c.pid}): ${what} failed: ${message}`);
      return refuse(rpcErrorName((e as { code?: string }).code), message);
    }
  }

  /** Resolves and connects an allowed request (on the thread pool: at most MAX_CONCURRENT_CONNECTS at once). */
  private async open(c: Client, req: RpcRequest, what: string): Promise<{ reply: RpcReply; fd?: number }> {
    const { address, family } = await resolve(req, this.lookupName);
    // Where no DNS answer may lead (outside attack 50): a listed name resolving to the launcher's own loopback, the
    // unspecified address (this host), a group or a link's address (a cloud's metadata service) — unless the
    // host's own /etc/hosts says so, or the name is localhost's. A literal address is the spec's own choice.
    const special = isIP(req.host) === 0 ? (specialAddress(address) ?? ownAddress(address)) : isUnspecified(address) ? "the unspecified address (this host)" : undefined;
    if (special !== undefined && (isIP(req.host) !== 0 || !nameMayLeadTo(req.host, address))) {
      this.countRefusal(c);
      const why =
        isIP(req.host) === 0
          ? `${req.host} resolved to ${address}, ${special}, which only the host's /etc/hosts (or a localhost name, for loopback) may choose`
          : `${address} is ${special}, not a destination`;
      this.flood.line(source(c), REFUSED, `rpc ${c.entrypoint} (pid ${c.pid}): refused: ${what}: ${why}`);
      return refuse("EACCES", `not allowed: ${why}; list the address itself to reach it`);
    }
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, literal or from DNS) is that IPv4 address: it must be listed as one.
    const v4 = mappedIPv4(address);
    if (v4 !== undefined) {
      const asV4 = isAllowed({ ...req, family: "Inet", host: v4 }, c.operations);
      if (!asV4.allowed) {
        this.countRefusal(c);
        this.flood.line(source(c), REFUSED, `rpc ${c.entrypoint} (pid ${c.pid}): refused: ${what}: ${address} is the IPv4 address ${v4}, which the spec does not list`);
        return refuse("EACCES", `not allowed by the spec: ${address} is the IPv4 address ${v4}`);
      }
    }
    const udp = req.op === "OpenUdpSocket";
    const sock = await this.addon.connect(address, req.port, udp, CONNECT_TIMEOUT_MS);
    const fd = udp ? this.relayDatagrams(sock, c) : sock;
    this.counts.allowed++;
    c.opens.charge(1);
    this.flood.line(source(c), OPENED, `rpc ${c.entrypoint} (pid ${c.pid}): ${what} -> ${address}`);
    return { reply: { ok: true, family, address, port: req.port }, fd };
  }

  /**
   * A brokered UDP socket never reaches the void: a UDP socket sends to
   * whatever address a sendto() or sendmsg() names, and a seccomp filter
   * cannot read sendmsg's. The void gets an AF_UNIX SOCK_SEQPACKET socket
   * instead (one packet, one datagram: send and recv work as on the
   * connected UDP socket), and two relay threads copy each way. TCP
   * sockets are handed over, under the host-sockets seccomp rule
   * (src/plan/seccomp.ts). Returns the void's end; closes `udp`.
   */
  private relayDatagrams(udp: number, c: Client): number {
    let pair: [number, number] | undefined;
    try {
      pair = this.addon.seqpacketPair();
      const [mine] = pair;
      const out = relayFd(mine, udp);
      let back: ReturnType<typeof relayFd>;
      try {
        back = relayFd(udp, mine);
      } catch (e) {
        out.stop();
        throw e;
      }
      // The void closing its end ends the way out; the way back (a UDP socket never reads EOF) is stopped then.
      c.udp++;
      c.relays.add(out).add(back);
      void out.ended.then(() => {
        c.relays.delete(out);
        back.stop();
      });
      void back.ended.then(() => {
        c.relays.delete(back);
        out.stop();
        c.udp--;
      });
      closeSync(mine);
      return pair[1];
    } catch (e) {
      if (pair !== undefined) for (const fd of pair) closeSync(fd);
      throw e;
    } finally {
      closeSync(udp);
    }
  }

  private detach(c: Client): void {
    if (!this.clients.delete(c)) return;
    c.stop();
    this.flood.end(source(c));
    // Its receive queue holds what the void sent and the broker has not read (fds too): their last close can block.
    closeReceived([c.fd]);
  }

  closeAll(): void {
    for (const c of [...this.clients]) this.detach(c);
  }
}

function refuse(error: RpcErrorName, message: string): { reply: RpcReply; fd?: number } {
  return { reply: { ok: false, error, message } };
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:0:0/96) stands for, else undefined. */
export function mappedIPv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const groups = expandIPv6(address);
  if (groups === undefined || groups.slice(0, 5).some((g) => g !== 0) || groups[5] !== 0xffff) return undefined;
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
}

/** The eight 16-bit groups of a valid IPv6 address (with a dotted-quad tail, without a zone). */
function expandIPv6(address: string): number[] | undefined {
  let text = address.split("%")[0]!.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** dns.promises.lookup's shape, as the broker calls it. */
export type NameLookup = (host: string, options: { family: 0 | 4 | 6; verbatim: true }) => Promise<{ address: string; family: number }>;

/**
 * An address of one of the launcher's own interfaces (its LAN or public
 * address, a container bridge's): what listens on every address is
 * reached through it as through loopback (outside attack 51).
 */
function ownAddress(address: string): string | undefined {
  const target = addressKey(address);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (target !== undefined && addressKey(i.address) === target) return "an address of the launcher's own host";
  return undefined;
}

/** One spelling per address, to compare them: IPv4 (IPv4-mapped ones too) dotted, IPv6 as its eight groups; undefined for no address. */
function addressKey(a: string): string | undefined {
  return isIP(a) === 4 ? a : (mappedIPv4(a) ?? (isIP(a) === 6 ? expandIPv6(a)?.join(":") : undefined));
}

/** 0.0.0.0/8, ::, ::ffff:0.0.0.0/104: connect() takes them for this host. */
function isUnspecified(address: string): boolean {
  const v4 = isIP(address) === 4 ? address : mappedIPv4(address);
  if (v4 !== undefined) return v4.startsWith("0.");
  return expandIPv6(address)?.every((g) => g === 0) ?? false;
}

/**
 * Why an address is one no DNS answer should choose for a listed name, or
 * undefined: the launcher's own (loopback, unspecified), a group
 * (multicast, broadcast), a link's (link-local: 169.254.169.254 is a
 * cloud's metadata service). IPv4-mapped addresses count as their IPv4.
 */
export function specialAddress(address: string): string | undefined {
  const v4 = isIP(address) === 4 ? address : mappedIPv4(address);
  if (v4 !== undefined) {
    const [a, b] = v4.split(".").map(Number) as [number, number];
    if (a === 0) return "the unspecified address (this host)";
    if (a === 127) return "a loopback address (the launcher's own)";
    if (a === 169 && b === 254) return "a link-local address";
    if (a >= 224) return "a multicast, broadcast or reserved address";
    return undefined;
  }
  const g = expandIPv6(address);
  if (g === undefined) return undefined;
  if (g.every((x) => x === 0)) return "the unspecified address (this host)";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "a loopback address (the launcher's own)";
  if ((g[0]! & 0xffc0) === 0xfe80) return "a link-local address";
  if (g[0]! >> 8 === 0xff) return "a multicast address";
  return undefined;
}

/**
 * Whether `name` may resolve to the special `address`: the host's
 * /etc/hosts maps it there (its administrator's choice, read now), or it
 * is localhost's (`localhost`, `*.localhost`: RFC 6761) and the address a
 * loopback one. Names compare as the resolver does, ASCII case aside.
 */
export function nameMayLeadTo(name: string, address: string, hostsText: string | undefined = readHosts()): boolean {
  const wanted = name.toLowerCase().replace(/\.$/, "");
  if ((wanted === "localhost" || wanted.endsWith(".localhost")) && specialAddress(address)?.startsWith("a loopback") === true) return true;
  if (hostsText === undefined) return false;
  const target = addressKey(address);
  const same = (a: string) => target !== undefined && addressKey(a) === target;
  for (const line of hostsText.split("\n")) {
    const [addr, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (addr !== undefined && same(addr) && names.some((n) => n.toLowerCase().replace(/\.$/, "") === wanted)) return true;
  }
  return false;
}

function readHosts(): string | undefined {
  try {
    return readFileSync("/etc/hosts", "utf8");
  } catch {
    return undefined;
  }
}

/** The request's host as an address of an allowed family, resolved here. */
async function resolve(req: RpcRequest, lookupName: NameLookup): Promise<{ address: string; family: "Inet" | "Inet6" }> {
  const literal = isIP(req.host);
  const wanted = req.family === "Inet" ? 4 : req.family === "Inet6" ? 6 : 0;
  if (literal !== 0) {
    if (wanted !== 0 && wanted !== literal) throw Object.assign(new Error(`${req.host} is not an ${req.family} address`), { code: "EAFNOSUPPORT" });
    return { address: req.host, family: literal === 4 ? "Inet" : "Inet6" };
  }
  const r = await lookupName(req.host, { family: wanted, verbatim: true });
  return { address: r.address, family: r.family === 6 ? "Inet6" : "Inet" };
}
