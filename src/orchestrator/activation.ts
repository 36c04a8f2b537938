/**
 * systemd socket activation (sd_listen_fds(3)): the service manager binds
 * the listening sockets of a socket unit and passes them to `void run` as
 * fds 3, 4, … with LISTEN_PID (this process), LISTEN_FDS (how many) and
 * LISTEN_FDNAMES (their FileDescriptorName=, colon-separated). A
 * TcpListener takes a passed socket instead of binding its address: the
 * one named like its entrypoint, else the one bound to its address. The
 * void gets that socket exactly as it would get one void bound itself.
 *
 * Only listening TCP sockets are taken; anything else passed is reported
 * and closed. The variables are removed from the environment, so no void
 * can be given them (PassEnv) and no child inherits them.
 */
import { closeSync } from "node:fs";
import type { NativeAddon } from "../native/addon.js";
import { canonicalAddr } from "../spec/validate.js";

/** The first fd the service manager passes (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

export interface Activated {
  fd: number;
  /** FileDescriptorName= ("unknown" when the manager gave none). */
  name: string;
  /** Where it is bound: "ip:port" or "[ipv6]:port". */
  addr: string;
}

export class Activation {
  private readonly free: Activated[];

  private constructor(
    sockets: Activated[],
    /** What was passed but is no listening TCP socket, for the log. */
    readonly refused: string[],
    private readonly close: (fd: number) => void,
  ) {
    this.free = sockets;
  }

  /** No sockets: what `void run` has without a service manager. */
  static none(): Activation {
    return new Activation([], [], closeSync);
  }

  /**
   * Reads and clears LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. Sockets
   * meant for another process (LISTEN_PID is not `pid`) are not touched.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv, pid: number, addon: Pick<NativeAddon, "socketAddress" | "setCloexec">, close: (fd: number) => void = closeSync): Activation {
    const forPid = env["LISTEN_PID"];
    const count = Number(env["LISTEN_FDS"] ?? "0");
    const names = (env["LISTEN_FDNAMES"] ?? "").split(":");
    delete env["LISTEN_PID"];
    delete env["LISTEN_FDS"];
    delete env["LISTEN_FDNAMES"];
    if (forPid === undefined || Number(forPid) !== pid || !Number.isInteger(count) || count <= 0) return Activation.none();
    const sockets: Activated[] = [];
    const refused: string[] = [];
    for (let i = 0; i < count; i++) {
      const fd = FIRST_FD + i;
      const name = names[i] ?? "unknown";
      const a = addon.socketAddress(fd);
      if (a === null || !a.listening || !a.stream) {
        refused.push(`fd ${fd} (${name}): not a listening TCP socket`);
        try {
          close(fd);
        } catch {
          // Not open at all: nothing to close.
        }
        continue;
      }
      addon.setCloexec(fd);
      sockets.push({ fd, name, addr: a.family === "inet6" ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}` });
    }
    return new Activation(sockets, refused, close);
  }

  /** The passed socket for `entrypoint`'s TcpListener at `addr`, if any (by name first, then by address). */
  take(entrypoint: string, addr: string): Activated | undefined {
    const want = canonicalAddr(addr);
    let i = this.free.findIndex((s) => s.name === entrypoint);
    if (i < 0) i = this.free.findIndex((s) => canonicalAddr(s.addr) === want);
    if (i < 0) return undefined;
    return this.free.splice(i, 1)[0];
  }

  /** Passed sockets no TcpListener took: closed, and returned for the log. */
  closeLeftovers(): Activated[] {
    const left = this.free.splice(0);
    for (const s of left) this.close(s.fd);
    return left;
  }
}
