/**
 * The RPC client for Node programs running in a void (docs/rpc.md).
 *
 *   import { openTcpSocket } from "void-run/rpc";   // or dist/src/rpc/client.js
 *   const rpcFd = Number(process.argv.at(-1));       // the {"Rpc": [...]} argument
 *   const socket = await openTcpSocket(rpcFd, "example.org", 443);
 *
 * Node cannot pass fds over a socket by itself, so this uses void's addon
 * (build/void.node); a void running Node needs the package bound in (a
 * Filesystem grant of its directory). Requests on one RPC fd are answered
 * in order; this client sends one at a time.
 */
import { closeSync } from "node:fs";
import { Socket } from "node:net";
import { loadAddon } from "../native/addon.js";
import { encodeRequest, parseReply, type RpcFamily, type RpcOp } from "./protocol.js";

export interface Opened {
  /** The connected socket's fd (blocking, owned by the caller). */
  fd: number;
  family: RpcFamily;
  address: string;
  port: number;
}

/** An error the broker answered with; `code` is its error name (EACCES, EAI_NONAME, ...). */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one request and waits for its reply without blocking the event loop. */
export async function rpcOpen(rpcFd: number, op: RpcOp, host: string, port: number, family: RpcFamily | null = null): Promise<Opened> {
  const addon = loadAddon();
  let sent: boolean;
  try {
    sent = addon.sendFds(rpcFd, Buffer.from(encodeRequest({ op, host, port, family })), []);
  } catch (e) {
    throw new RpcError("EPIPE", `rpc: cannot send to the broker: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!sent) throw new RpcError("EPIPE", "rpc: cannot send to the broker: sendmsg: its socket is full (Resource temporarily unavailable)");
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    const packet = addon.recvFds(rpcFd, 2048);
    if (packet === null) {
      await sleep(wait);
      continue;
    }
    if (packet.eof) throw new RpcError("EPIPE", "rpc: the broker closed the connection");
    const parsed = parseReply(packet.data);
    const good = parsed.ok && parsed.reply.ok && packet.fds.length === 1 && !packet.truncated;
    if (!good) {
      for (const fd of packet.fds) closeSync(fd);
      if (parsed.ok && !parsed.reply.ok) throw new RpcError(parsed.reply.error, parsed.reply.message);
      throw new RpcError("EPROTO", `rpc: malformed reply from the broker${parsed.ok ? "" : `: ${parsed.message}`}`);
    }
    if (!(parsed.ok && parsed.reply.ok)) throw new RpcError("EPROTO", "rpc: unreachable");
    return { fd: packet.fds[0]!, family: parsed.reply.family, address: parsed.reply.address, port: parsed.reply.port };
  }
}

/** A connected TCP socket to host:port, opened by the launcher's broker. */
export async function openTcpSocket(rpcFd: number, host: string, port: number, family: RpcFamily | null = null): Promise<Socket> {
  const opened = await rpcOpen(rpcFd, "OpenTcpSocket", host, port, family);
  return new Socket({ fd: opened.fd, readable: true, writable: true });
}

/** The fd of a UDP socket connect()ed to host:port (Node's dgram cannot adopt an fd). */
export async function openUdpSocket(rpcFd: number, host: string, port: number, family: RpcFamily | null = null): Promise<Opened> {
  return rpcOpen(rpcFd, "OpenUdpSocket", host, port, family);
}
