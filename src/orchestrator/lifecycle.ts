/**
 * The life of one void, as the launcher sees it, and everything the
 * launcher holds for it.
 *
 *   preparing ──spawned──────────────────────────▶ running ──exit──▶ exited
 *       │                                             ▲
 *       ├──spawned, prepared──▶ ready ──message───────┘
 *       │                         │
 *       │                         └──discard──▶ discarded ──exit──▶ exited
 *       └──could not be made──────────────────────────────────────▶ exited
 *
 * - preparing: the launcher's ends of its fds exist (opened or created by
 *   src/orchestrator/run.ts prepare()), and its spawn is in flight;
 * - ready: a prepared void (src/orchestrator/prepared.ts): built, its
 *   void-init waiting on the message socket for one trigger message;
 * - running: its entrypoint runs (or is about to): it counts for the end
 *   of the run, gets forwarded signals, its timeout runs;
 * - discarded: a ready void no longer needed: its message socket is
 *   closed, so its void-init exits having started nothing;
 * - exited: its void-init is gone, or it never existed; nothing is held.
 *
 * A VoidLife owns what the launcher opened for its void — the ends whose
 * copies the void gets, RPC broker ends not yet handed to the broker, the
 * socket factory, a prepared void's message socket, its cgroup leaf — and
 * release() gives back exactly what is still held, in any state.
 */
import type { FdGrant, VoidPlan } from "../plan/types.js";
import type { Leaf } from "./cgroups.js";
import type { Factory } from "./factory.js";
import { closeReceived, type VoidProcess } from "./launcher.js";
import type { SpawnRequest } from "./marshal.js";
import type { Outcome } from "./status.js";

export type VoidState = "preparing" | "ready" | "running" | "discarded" | "exited";

/** What prepare() made for one void. */
export interface VoidResources {
  request: SpawnRequest;
  /** Launcher fds the void gets copies of: closed once it has them (or will never get them). */
  close: number[];
  /** Its output relays' ends: its exit is logged after them (src/orchestrator/streams.ts). */
  outputs: Promise<void>[];
  /**
   * Its relays into Pipes (src/orchestrator/streams.ts relayInto): a
   * triggered void holds its place under `-j` until they have written
   * what it wrote, as it would have blocked writing into the Pipe itself.
   */
  pipes: Promise<void>[];
  /** RPC broker ends, handed to the broker once the void is spawned. */
  rpc: { fd: number; grant: FdGrant }[];
  /** Its cgroups, when it has limits. */
  leaf?: Leaf;
  /** The launcher's end of its socket factory (Forward or Connect grants), until a Factory owns it. */
  factory?: number;
}

export class VoidLife {
  private current: VoidState = "preparing";
  /** Set once spawned. */
  process: VoidProcess | undefined;
  /** The socket factory's owner, from the spawn until the void exits. */
  sockets: Factory | undefined;
  /** A prepared void's end of its message socket, until the message is sent or the void discarded. */
  messageSocket = -1;
  /** When it became ready (the oldest ready void takes the next message). */
  readyAt = 0;
  /** What to do when it exits, once it runs. */
  onExit: ((o: Outcome) => Promise<void>) | undefined;
  private static clock = 0;

  constructor(
    readonly plan: VoidPlan,
    readonly resources: VoidResources,
    /** Made ahead of its message (a prepared void). */
    readonly prepared: boolean,
  ) {}

  get state(): VoidState {
    return this.current;
  }

  get entrypoint(): string {
    return this.plan.entrypoint;
  }

  /**
   * Spawned: its copies of the launcher's ends exist now, so ours are
   * closed (off the event loop: some came from voids). Returns its RPC
   * broker ends, which the caller hands to the broker.
   */
  spawned(process: VoidProcess): { fd: number; grant: FdGrant }[] {
    this.expect("preparing");
    this.process = process;
    closeReceived(this.resources.close.splice(0));
    const rpc = this.resources.rpc.splice(0);
    if (this.prepared) {
      this.current = "ready";
      this.readyAt = ++VoidLife.clock;
    } else this.current = "running";
    return rpc;
  }

  /** A prepared void got its message: it runs now. */
  started(): void {
    this.expect("ready");
    this.closeMessageSocket();
    this.current = "running";
  }

  /** A ready void no longer needed: closing its message socket makes its void-init exit. */
  discard(): void {
    if (this.current !== "ready") return;
    this.closeMessageSocket();
    this.current = "discarded";
  }

  /** Its void-init is gone (or it never existed): everything still held is released, then it is exited. */
  async ended(): Promise<void> {
    await this.release();
    this.current = "exited";
  }

  /**
   * Gives back what is still held, whatever the state: the ends the void
   * never got copies of, broker ends never handed over, the factory, the
   * message socket, the cgroup leaf (resolves once it is removed).
   * Idempotent.
   */
  async release(): Promise<void> {
    const r = this.resources;
    // Off the event loop: some may be the last copy of an fd from a void, whose close can block.
    closeReceived(r.close.splice(0));
    // So are sockets a void can write into: their queues may hold its fds.
    closeReceived(r.rpc.splice(0).map((e) => e.fd));
    if (this.sockets !== undefined) this.sockets.close();
    else if (r.factory !== undefined) closeReceived([r.factory]);
    r.factory = undefined;
    this.closeMessageSocket();
    const leaf = r.leaf;
    r.leaf = undefined;
    await leaf?.remove();
  }

  private closeMessageSocket(): void {
    if (this.messageSocket < 0) return;
    closeReceived([this.messageSocket]);
    this.messageSocket = -1;
  }

  private expect(state: VoidState): void {
    if (this.current !== state) throw new Error(`void of ${this.plan.entrypoint}: ${state} expected, it is ${this.current}`);
  }
}
