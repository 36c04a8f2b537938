/**
 * Typed loader for the native addon (native/addon/, one C file per
 * concern: native/addon/addon.h lists them).
 *
 * The addon makes no policy: it spawns a marshalled plan (see
 * src/orchestrator/marshal.ts) and reports what happens to each void.
 *
 * Errors cross one way: every failure is a thrown NativeError (or a
 * rejected promise of one), never a returned errno. Only "nothing to do
 * now" is a return value: null from recvFds, recvFrom and accept when nothing is
 * waiting, false from sendFds and sendTo when the socket's buffer is full,
 * false from signal when the void has already exited.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAdvice, glibcProblem, type NativeBinaries, runtimeGlibc, selectBinaries } from "./binaries.js";

export type VoidEventKind = "record" | "exit" | "readable" | "ended" | "dropped";

/** How void-init (the void's PID 1) ended: an exit code or a signal. */
export type WaitStatus = { code: number; signal?: undefined } | { signal: number; code?: undefined };

export type VoidEventHandler = (id: number, kind: VoidEventKind, text: string, status: WaitStatus) => void;

export interface HostFeatures {
  clone3: boolean;
  /** pidfd_open(2), Linux 5.3. */
  pidfd: boolean;
  /** waitid(P_PIDFD), Linux 5.4: how every void is reaped; required. */
  waitidPidfd: boolean;
  /** openat2(2), Linux 5.6: opening bind sources and File grants refusing symlinks in every component. */
  openat2: boolean;
  closeRange: boolean;
  mountSetattr: boolean;
}

/** One packet from recvFds. */
export interface Received {
  data: Buffer;
  /** Received fds (close-on-exec in the launcher): the caller owns them. */
  fds: number[];
  /** Every peer closed (or the socket was shut down for reading) and nothing was waiting; an empty packet is not the end. */
  eof: boolean;
  /** Data did not fit, or the packet carried more than 16 fds: every fd it carried is in `fds`, for the caller to close (closeReceived: never on this thread) and drop the packet. */
  truncated: boolean;
}

/**
 * What the addon throws, shaped as Node's own system errors: the message
 * is "<syscall> <what>: <description>" ("connect 127.0.0.1:80: Connection
 * refused"), never a bare number.
 */
export interface NativeError extends Error {
  /** The errno name: "ECONNREFUSED". */
  code: string;
  /** The errno, negated as Node's are: -111. */
  errno: number;
  /** The call that failed: "connect". */
  syscall: string;
  /** The file or socket path it failed on, where there is one. */
  path?: string;
  /** The IP address (and port) it failed on, where there is one. */
  address?: string;
  port?: number;
}

/** Whether `e` is an error thrown by the addon (or shaped as one). */
export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).code === "string" && typeof (e as Partial<NativeError>).syscall === "string";
}

export interface NativeAddon {
  init(initPath: string, onEvent: VoidEventHandler): void;
  /** `namespaces`: the inode of each of the void's namespaces, in ALL_NAMESPACES order (0: unknown), read by the child before the void could exit. */
  spawn(plan: Buffer): Promise<{ id: number; pid: number; namespaces: number[] }>;
  /** pidfd_send_signal: true, or false once the void has exited. */
  signal(id: number, sig: number): boolean;
  hostFeatures(): HostFeatures;
  /** Reports "readable" for `fd` once; rearm(id) for the next report. Keeps Node alive until unwatch. */
  watch(fd: number): number;
  rearm(id: number): void;
  /** Stops watching; closing the fd stays the caller's job. */
  unwatch(id: number): void;
  /**
   * [read end, write end, packets], close-on-exec. With packets true, a
   * pipe in packet mode (O_DIRECT) where the kernel has it: one write(2)
   * of up to PIPE_BUF bytes, one read(2); `packets` says whether it is.
   */
  pipe(packets?: boolean): [number, number, boolean];
  /** [read end, write end]: an AF_UNIX SOCK_STREAM pair carrying bytes one way only (the read end cannot send: no fd can be parked in the launcher), close-on-exec (cannot be reopened through /proc, unlike a pipe). */
  streamPair(): [number, number];
  /** AF_UNIX SOCK_SEQPACKET pair, close-on-exec. */
  seqpacketPair(): [number, number];
  /** A socket bound to ip:port and listening (backlog 511); port is the bound one (for port 0). */
  tcpListen(ip: string, port: number): { fd: number; port: number };
  /** Never blocks: null when nothing is waiting. */
  recvFds(fd: number, maxBytes: number): Received | null;
  /** One connection waiting on a listening socket, as a close-on-exec, non-blocking fd; never blocks: null when none is waiting. */
  accept(fd: number): number | null;
  /** One datagram from an IPv4 UDP socket and its sender; never blocks: null when nothing is waiting. */
  recvFrom(fd: number, maxBytes: number): { data: Buffer; ip: string; port: number } | null;
  /** One datagram to an IPv4 address, never blocking: true, or false when the buffer is full (the datagram is dropped). */
  sendTo(fd: number, data: Buffer, ip: string, port: number): boolean;
  /** One packet with SCM_RIGHTS, never blocking: true, or false when the socket's buffer is full (nothing was sent). EPIPE and the rest throw. */
  sendFds(fd: number, data: Buffer, fds: number[]): boolean;
  /** For each fd: is data or EOF waiting? */
  pollReadable(fds: number[]): boolean[];
  setBlocking(fd: number, blocking: boolean): void;
  /**
   * An O_PATH fd of `path` (with `read`, one opened O_RDONLY|O_NONBLOCK|O_NOCTTY),
   * refusing a symlink in any component (ELOOP); throws a NativeError.
   */
  openNoSymlinks(path: string, read?: boolean): number;
  /**
   * An O_PATH fd of the file `fd` (opened at `path`) reached through a
   * read-only, nosuid, nodev, noexec mount of its own that belongs to no
   * mount namespace (native/addon/readonly.c): what is opened through it
   * cannot change the file, its mode, times or attributes (EROFS), and
   * nobody can change the mount. `legacy` takes the way of
   * Linux < 5.12 (tests). Throws a NativeError naming the syscall.
   */
  pinReadOnly(fd: number, path: string, legacy?: boolean): number;
  /** A socket's family and type (AF_*, SOCK_*), or null when fd is not a socket. */
  socketKind(fd: number): { family: number; type: number } | null;
  /** An IPv4 or IPv6 socket's local address (getsockname), whether it is a stream socket and listening; null for anything else. */
  socketAddress(fd: number): { family: "inet" | "inet6"; ip: string; port: number; stream: boolean; listening: boolean } | null;
  /** Sets FD_CLOEXEC on fd. */
  setCloexec(fd: number): void;
  /**
   * One datagram `message` to the AF_UNIX socket at `path` (an abstract
   * address when it starts with "@"): sd_notify(3)'s protocol. Never
   * blocks; a failure throws (with `path`).
   */
  notify(path: string, message: string): void;
  /** A connected TCP or UDP socket (blocking) to ip:port; rejects with `address` and `port` set. */
  connect(ip: string, port: number, udp: boolean, timeoutMs: number): Promise<number>;
  /**
   * Copies `from` to `to` on a thread of its own until EOF on `from` or
   * relayStop(id), working on its own copies of both fds (closed when it
   * ends); "ended" is posted for the returned id. A write that blocks blocks only
   * that thread; once `to` fails for good the rest is read and dropped.
   * With `pipeTx`, `from` is a void's own packet pipe and `to` a Pipe other
   * voids' relays write into too: one packet (at most PIPE_BUF bytes) per
   * write, each atomic, and a reader gone from `to` ends the relay, so the
   * void's next write fails with EPIPE (native/addon/relay.c). With
   * `framed` (a Pipe trigger's pipe), only whole messages are written,
   * framed per writer as the trigger loop reads them, and each one dropped
   * as too long is posted ("dropped").
   */
  relay(from: number, to: number, pipeTx?: boolean, framed?: boolean): number;
  /** Closes each fd on a closer thread of the addon's own (a close can block: lingering sockets, a pipe whose lock a void holds); never blocks. */
  closeLater(fds: number[]): void;
  /** Whether more fds given to closeLater wait than readers of what voids send should add to (native/addon/relay.c CLOSER_BACKLOG_MAX): they then pause. */
  closersBehind(): boolean;
  /** Ends a relay now; with release (only after its "ended"), frees it. */
  relayStop(id: number, release?: boolean): void;
  /** The authenticator of a plan cache entry's body: HMAC-SHA256 under the user's cache key (native/cache_key.h: in the persistent keyring, made if there is none; never seen by JavaScript). Throws when keyrings are unavailable. */
  cacheSeal(body: Buffer): Buffer;
}

/** The repository (or installed package) root: dist/src/native -> ../../.. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("void: cannot find the package root from " + fileURLToPath(import.meta.url));
}

let selected: NativeBinaries | undefined;

/** The native binaries in use: build/ when built here, else the tarball's prebuilt/linux-ARCH/ (src/native/binaries.ts). Throws an Error saying how to build them when there are none for this platform. */
export function nativeBinaries(): NativeBinaries {
  if (selected) return selected;
  const root = packageRoot();
  const found = selectBinaries(root, { platform: process.platform, arch: process.arch, exists: existsSync });
  if ("error" in found) throw new Error(found.error);
  selected = found;
  return found;
}

export function nativePaths(): { addon: string; init: string } {
  const { addon, init } = nativeBinaries();
  return { addon, init };
}

let loaded: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  const binaries = nativeBinaries();
  const require = createRequire(import.meta.url);
  try {
    loaded = require(binaries.addon) as NativeAddon;
  } catch (e) {
    // The prebuilt addon needs glibc >= GLIBC_BASELINE: asked only now, as
    // the report that tells costs a few ms.
    const platform = `${process.platform}-${process.arch}`;
    const problem = binaries.source === "prebuilt" ? glibcProblem(runtimeGlibc(), platform) : undefined;
    const why = e instanceof Error ? e.message : String(e);
    if (problem !== undefined) throw new Error(`cannot load the prebuilt addon ${binaries.addon}: ${problem}; ${buildAdvice(packageRoot())} (${why})`);
    throw new Error(`cannot load the native addon ${binaries.addon}: ${why}`);
  }
  return loaded;
}
