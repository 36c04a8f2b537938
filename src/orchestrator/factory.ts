/**
 * The launcher's end of a void's socket factory: a SOCK_SEQPACKET pair
 * made for every void with Forward or Connect grants, whose other end the
 * void's child and then void-init hold (never the entrypoint).
 *
 * What travels on it, in order:
 * 1. with Connect grants, first and once: "C" carrying one socket per
 *    Connect, in plan order, made by the void's child before anything of
 *    the void runs (native/void_spawn.c open_connects; src/orchestrator/
 *    connect.ts relays them);
 * 2. for Forward relays (src/orchestrator/forward.ts), requests "U <port>"
 *    or "T <port>" from the launcher, each answered by void-init
 *    (native/void_init.c) with "S" carrying a socket connected to
 *    127.0.0.1:<port> in the void, or "E <errno>".
 *
 * Every socket that arrives is checked (family, type) before use: it can
 * give the launcher nothing but a socket of the void's own network
 * namespace, which holds only its loopback.
 */
import type { NativeAddon } from "../native/addon.js";
import { closeReceived, watchFd } from "./launcher.js";
import { errnoName, strerror } from "../native/texts.js";

/** <sys/socket.h> values (x86_64 and every other Linux architecture). */
export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;

export class Factory {
  private readonly waiting: { protocol: "Udp" | "Tcp"; resolve: (fd: number) => void; reject: (e: Error) => void }[] = [];
  private readonly watch: { rearm: () => void; stop: () => void };
  private closed = false;
  /** Set until the Connect packet has come (or was found missing). */
  private connects: { count: number; deliver: (fds: number[]) => void; fail: (e: Error) => void } | undefined;

  /**
   * `fd` is the launcher's end (owned from now on). With `connects`, the
   * first packet must carry exactly `count` sockets; they go to `deliver`,
   * or `fail` says why not.
   */
  constructor(
    private readonly fd: number,
    private readonly addon: NativeAddon,
    connects?: { count: number; deliver: (fds: number[]) => void; fail: (e: Error) => void },
  ) {
    this.connects = connects !== undefined && connects.count > 0 ? connects : undefined;
    this.watch = watchFd(fd, () => this.readable());
  }

  /** A socket in the void connected (UDP) or connecting (TCP) to 127.0.0.1:port. */
  open(protocol: "Udp" | "Tcp", port: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error("the void's socket factory is closed (the void has exited)"));
    try {
      if (!this.addon.sendFds(this.fd, Buffer.from(`${protocol === "Udp" ? "U" : "T"} ${port}`), [])) {
        return Promise.reject(Object.assign(new Error("cannot ask the void for a socket: sendmsg: its socket factory is not reading (Resource temporarily unavailable)"), { code: "EAGAIN" }));
      }
    } catch (e) {
      return Promise.reject(Object.assign(new Error(`cannot ask the void for a socket: ${e instanceof Error ? e.message : String(e)}`), { code: (e as { code?: unknown }).code }));
    }
    return new Promise((resolve, reject) => this.waiting.push({ protocol, resolve, reject }));
  }

  private readable(): void {
    for (;;) {
      let packet: ReturnType<NativeAddon["recvFds"]>;
      try {
        packet = this.addon.recvFds(this.fd, 64);
      } catch (e) {
        this.close(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (packet === null) break;
      if (packet.eof) {
        this.close(new Error("the void's socket factory closed (the void has exited)"));
        return;
      }
      const text = packet.data.toString("latin1");
      const connects = this.connects;
      if (connects !== undefined) {
        this.connects = undefined;
        if (text !== "C" || packet.truncated || packet.fds.length !== connects.count) {
          closeReceived(packet.fds);
          connects.fail(new Error(`the void's Connect sockets did not come: got ${JSON.stringify(text.slice(0, 40))} with ${packet.fds.length} fds, not "C" with ${connects.count}`));
        } else connects.deliver(packet.fds);
        continue;
      }
      const next = this.waiting.shift();
      if (next === undefined || text !== "S" || packet.fds.length !== 1) {
        closeReceived(packet.fds);
        const errno = /^E (\d+)$/.exec(text)?.[1];
        next?.reject(errno === undefined ? new Error(`malformed answer from the void's socket factory: ${JSON.stringify(text.slice(0, 40))}`) : factoryError(Number(errno)));
        continue;
      }
      // What came is checked before anything uses it: an IPv4 socket of the type asked for (void-init makes them for 127.0.0.1).
      const fd = packet.fds[0]!;
      const kind = this.addon.socketKind(fd);
      const want = next.protocol === "Udp" ? SOCK_DGRAM : SOCK_STREAM;
      if (kind === null || kind.family !== AF_INET || kind.type !== want) {
        closeReceived([fd]);
        next.reject(
          new Error(
            `the void's socket factory sent ${kind === null ? "an fd that is not a socket" : `a socket of family ${kind.family}, type ${kind.type}`}, not the ${next.protocol} socket asked for`,
          ),
        );
        continue;
      }
      next.resolve(fd);
    }
    this.watch.rearm();
  }

  /** Closes the launcher's end; requests still waiting fail with `why`. */
  close(why = new Error("the void has exited")): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    closeReceived([this.fd]); // its queue may hold fds from the void: off the event loop
    for (const w of this.waiting.splice(0)) w.reject(why);
    const connects = this.connects;
    this.connects = undefined;
    connects?.fail(why);
  }
}

/**
 * void-init's "E <errno>" answer as the addon's errors look (code, errno,
 * syscall, words): the socket it could not make in the void.
 */
function factoryError(errno: number): Error {
  return Object.assign(new Error(`the void could not make the socket: socket/connect in the void: ${strerror(errno)}`), { code: errnoName(errno) ?? "EIO", errno: -errno, syscall: "connect" });
}
