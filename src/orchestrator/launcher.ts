/**
 * The launcher: spawns voids through the native addon and turns its events
 * into one promise per void. Any number of Launchers may exist in a
 * process; they share the addon's single watcher.
 */
import { loadAddon, nativePaths, type NativeAddon, type VoidEventKind, type WaitStatus } from "../native/addon.js";
import type { VoidPlan } from "../plan/types.js";
import { marshal, type SpawnRequest } from "./marshal.js";
import { type Outcome, outcomeOf, parseRecords, type StatusRecord } from "./status.js";

export interface VoidEvents {
  /** The entrypoint is stopped at its first instruction after execve (-d); nsPid is its pid inside the void. */
  onStopped?(v: VoidProcess, nsPid: number): void;
}

/**
 * A void as the orchestrator (src/orchestrator/run.ts) sees it, whoever
 * made it: a RunningVoid of the Launcher, or a test's stand-in.
 */
export interface VoidProcess {
  readonly id: number;
  /** Host pid of the void's init (PID 1 inside). */
  readonly pid: number;
  readonly plan: VoidPlan;
  /** Inode of each namespace, in ALL_NAMESPACES order (0: unknown). */
  readonly namespaces: readonly number[];
  /** How it ended, once it has. */
  readonly exited: Promise<Outcome>;
  readonly alive: boolean;
  /** Sends `sig` to the void's init, which forwards it to the entrypoint. */
  signal(sig: number): void;
}

/**
 * The orchestrator's port to the kernel for making voids: the Launcher
 * builds them with namespaces through the addon; a test may pass a
 * stand-in (test/support/unvoided.ts runs void-init without namespaces,
 * so the orchestration is tested without root). Given a SpawnRequest, it
 * must leave the void its own copies of every fd the request names before
 * spawn() resolves: the caller closes its own then.
 */
export interface VoidSpawner {
  spawn(req: SpawnRequest): Promise<VoidProcess>;
  /** The voids that have not exited yet. */
  readonly live: VoidProcess[];
}

export class RunningVoid implements VoidProcess {
  readonly records: StatusRecord[] = [];
  /** A record not yet complete (a read of the status pipe can end inside one). */
  private partial = "";
  readonly exited: Promise<Outcome>;
  private resolveExit!: (o: Outcome) => void;
  private done = false;

  constructor(
    private readonly addon: NativeAddon,
    readonly id: number,
    /** Host pid of the void's init (PID 1 inside). */
    readonly pid: number,
    readonly plan: VoidPlan,
    /** Inode of each namespace, in ALL_NAMESPACES order (0: unknown). */
    readonly namespaces: readonly number[] = [],
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get alive(): boolean {
    return !this.done;
  }

  /** Sends `sig` to the void's init, which forwards it to the entrypoint. */
  signal(sig: number): void {
    if (this.alive) this.addon.signal(this.id, sig);
  }

  /** @internal adds what the status pipe carried; returns the complete records. */
  take(text: string, final: boolean): StatusRecord[] {
    const all = this.partial + text;
    const cut = final ? all.length : all.lastIndexOf("\n") + 1;
    this.partial = all.slice(cut);
    // Bounded: the addon stops reading a status pipe after 64 KiB.
    const records = parseRecords(all.slice(0, cut) + (final && !all.endsWith("\n") && all !== "" ? "\n" : ""));
    this.records.push(...records);
    return records;
  }

  /** @internal */
  finish(wait: WaitStatus): void {
    this.done = true;
    this.resolveExit(outcomeOf(wait, this.records));
  }
}

type PendingEvent = [VoidEventKind, string, WaitStatus];

/**
 * The addon has one watcher and one event callback per process, so event
 * routing is process-wide: each void id belongs to the Launcher that
 * spawned it. Events can arrive before spawn() has resolved for their id
 * (a void that fails at once); they wait in `early`.
 */
const owners = new Map<number, Launcher>();
const early = new Map<number, PendingEvent[]>();
let addonReady: NativeAddon | undefined;

function addon(): NativeAddon {
  if (addonReady === undefined) {
    const a = loadAddon();
    a.init(nativePaths().init, (id, kind, text, status) => {
      if (kind === "readable") {
        watchers.get(id)?.();
        return;
      }
      if (kind === "dropped") {
        relayDrops.get(id)?.();
        return;
      }
      if (kind === "ended") {
        const ended = relays.get(id);
        relays.delete(id);
        relayDrops.delete(id);
        a.relayStop(id, true);
        ended?.();
        return;
      }
      const owner = owners.get(id);
      if (owner === undefined) {
        const list = early.get(id) ?? [];
        list.push([kind, text, status]);
        early.set(id, list);
      } else {
        owner.dispatch(id, kind, text, status);
      }
    });
    addonReady = a;
  }
  return addonReady;
}

/** Handlers for watched fds (trigger sources, broker sockets), by watch id. */
const watchers = new Map<number, () => void>();

/**
 * Watches `fd`: `onReadable` runs (on the event loop) once it has data or
 * EOF; call the returned `rearm` to be told again, `stop` when done.
 */
export function watchFd(fd: number, onReadable: () => void): { rearm: () => void; stop: () => void } {
  const a = addon();
  const id = a.watch(fd);
  watchers.set(id, onReadable);
  return {
    rearm: () => a.rearm(id),
    stop: () => {
      watchers.delete(id);
      a.unwatch(id);
    },
  };
}

/** What to do when each relay ends, by relay id. */
const relays = new Map<number, () => void>();
/** What to do when a framed relay drops a message too long, by relay id. */
const relayDrops = new Map<number, () => void>();

/**
 * Copies `from` to `to` on a thread of the addon's own until EOF on `from`
 * (on copies of both fds: the caller's stay the caller's). `ended`
 * resolves when it has finished; `stop()` ends it at once. `pipeTx`: a
 * void's own packet pipe into a Pipe other voids write to (one atomic
 * write per packet; a reader gone ends it, and the writer gets EPIPE).
 * `framed`: into a Pipe trigger's pipe, whole messages only; `onDropped`
 * is called for each one the relay drops as too long.
 */
export function relayFd(from: number, to: number, pipeTx = false, framed = false, onDropped?: () => void): { ended: Promise<void>; stop: () => void } {
  const a = addon();
  const id = a.relay(from, to, pipeTx, framed);
  if (onDropped !== undefined) relayDrops.set(id, onDropped);
  const ended = new Promise<void>((resolve) => relays.set(id, resolve));
  return { ended, stop: () => a.relayStop(id) };
}

/**
 * Closes fds that came from a void (or may be the last copy of one), and
 * sockets a void can write into (their queues may hold its fds), off the
 * event loop: a void can make close(2) block (a TCP socket with SO_LINGER
 * and unsent data, hidden in a unix socket's queue too; a pipe whose lock
 * it holds). native/addon/relay.c says how the closer threads keep going.
 */
export function closeReceived(fds: readonly number[]): void {
  if (fds.length > 0) addon().closeLater([...fds]);
}

/** How soon a reader of what voids send, paused while the closers are behind, looks again (ms). */
export const CLOSER_RETRY_MS = 20;

export function nativeAddon(): NativeAddon {
  return addon();
}

export class Launcher implements VoidSpawner {
  private readonly addon: NativeAddon;
  private readonly voids = new Map<number, RunningVoid>();

  constructor(private readonly events: VoidEvents = {}) {
    this.addon = addon();
  }

  async spawn(req: SpawnRequest): Promise<RunningVoid> {
    const { id, pid, namespaces } = await this.addon.spawn(marshal(req));
    const v = new RunningVoid(this.addon, id, pid, req.plan, namespaces);
    this.voids.set(id, v);
    owners.set(id, this);
    for (const [kind, text, status] of early.get(id) ?? []) this.dispatch(id, kind, text, status);
    early.delete(id);
    return v;
  }

  /** The voids of this launcher that have not exited yet. */
  get live(): RunningVoid[] {
    return [...this.voids.values()];
  }

  /** @internal routes one addon event to its void. */
  dispatch(id: number, kind: VoidEventKind, text: string, status: WaitStatus): void {
    const v = this.voids.get(id);
    if (v === undefined) return;
    const records = v.take(text, kind === "exit");
    for (const r of records) if (r.kind === "stopped") this.events.onStopped?.(v, r.nsPid);
    if (kind === "exit") {
      this.voids.delete(id);
      owners.delete(id);
      v.finish(status);
    }
  }
}
