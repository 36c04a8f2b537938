/**
 * Passing file descriptors on a FileSocket, for Node programs that run in
 * a void (docs/rpc.md) — the TypeScript twin of lib/c's void_send_fds and
 * void_recv_fds.
 *
 *   import { VoidArgs } from "void-run/args";
 *   import { recvFds, sendFds } from "void-run/filesocket";
 *   const out = new VoidArgs(process.argv.slice(2)).fd("connections");  // {"FileSocket": {"Tx": ...}}
 *   await sendFds(out, [connectionFd]);
 *
 * A FileSocket is AF_UNIX SOCK_SEQPACKET with SCM_RIGHTS, which Node cannot
 * speak by itself (its net module knows stream sockets only), so this uses
 * void's addon (build/void.node), as the RPC client does: a void running it
 * needs the package's directory bound in (a Filesystem grant). Loading the
 * addon in a void grants nothing: it is a library of system call wrappers
 * running with the void's credentials, under its seccomp filter and without
 * capabilities; its spawn functions would fail there (mount, unshare and
 * setns are denied), and it opens nothing when loaded.
 */
import { closeSync } from "node:fs";
import { loadAddon } from "../native/addon.js";
import { Limit } from "../native/contract.js";

/** Most fds in one packet (a FileSocket trigger accepts 1..16). */
export const FILESOCKET_MAX_FDS = Limit.MessageMaxFds;
/** Largest packet read by recvFds unless told otherwise. */
const DEFAULT_MAX_BYTES = Limit.FileSocketMaxBytes;

/** A packet that cannot be used, or a failed send; `code` is an errno name. */
export class FileSocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "FileSocketError";
  }
}

export interface Packet {
  /** The data bytes (a conforming sender sends at least one). */
  data: Buffer;
  /** The fds that came with it, close-on-exec, owned by the caller. */
  fds: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one packet: `data` (one 0 byte when empty: an empty packet would
 * read as end-of-file) and 0..16 fds. The caller keeps its fds; the
 * receiver gets duplicates. Waits, without blocking the event loop, while
 * the socket's buffer is full; a gone receiver is FileSocketError EPIPE.
 */
export async function sendFds(sock: number, fds: readonly number[], data: Buffer = Buffer.alloc(1)): Promise<void> {
  if (fds.length > FILESOCKET_MAX_FDS) throw new FileSocketError("EINVAL", `at most ${FILESOCKET_MAX_FDS} fds in one packet, not ${fds.length}`);
  const payload = data.length === 0 ? Buffer.alloc(1) : data;
  const addon = loadAddon();
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    let sent: boolean;
    try {
      sent = addon.sendFds(sock, payload, [...fds]);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new FileSocketError(typeof code === "string" ? code : "EIO", `file socket fd ${sock}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (sent) return;
    await sleep(wait); // EAGAIN: the receiver has not caught up
  }
}

/**
 * Receives one packet, waiting for it without blocking the event loop;
 * null at end-of-file (no sender left). A packet with more than `maxFds`
 * fds or more than `maxBytes` bytes is unusable: every fd that arrived is
 * closed and FileSocketError EMSGSIZE thrown.
 */
export async function recvFds(sock: number, opts: { maxFds?: number; maxBytes?: number } = {}): Promise<Packet | null> {
  const maxFds = opts.maxFds ?? FILESOCKET_MAX_FDS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const addon = loadAddon();
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    const packet = addon.recvFds(sock, maxBytes);
    if (packet === null) {
      await sleep(wait);
      continue;
    }
    if (packet.eof) return null;
    if (packet.truncated || packet.fds.length > maxFds) {
      for (const fd of packet.fds) closeSync(fd);
      throw new FileSocketError("EMSGSIZE", `a packet on file socket fd ${sock} had more than ${maxFds} fds or ${maxBytes} bytes; its fds were closed`);
    }
    return { data: packet.data, fds: packet.fds };
  }
}
