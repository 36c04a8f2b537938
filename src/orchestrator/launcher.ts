/**
 * The launcher: spawns voids through the native addon and turns its events
 * into one promise per void. One Launcher per process (the addon has one
 * watcher thread and one void-init fd).
 */
import { loadAddon, nativePaths, type NativeAddon, type VoidEventKind, type WaitStatus } from "../native/addon.js";
import type { VoidPlan } from "../plan/types.js";
import { marshal, type SpawnRequest } from "./marshal.js";
import { type Outcome, outcomeOf, parseRecords, type StatusRecord } from "./status.js";

export interface VoidEvents {
  /** The entrypoint stopped itself before execve (-d); nsPid is its pid inside the void. */
  onStopped?(v: RunningVoid, nsPid: number): void;
}

export class RunningVoid {
  readonly records: StatusRecord[] = [];
  readonly exited: Promise<Outcome>;
  private resolveExit!: (o: Outcome) => void;
  private done = false;

  constructor(
    private readonly addon: NativeAddon,
    readonly id: number,
    /** Host pid of the void's init (PID 1 inside). */
    readonly pid: number,
    readonly plan: VoidPlan,
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

  /** @internal */
  finish(wait: WaitStatus): void {
    this.done = true;
    this.resolveExit(outcomeOf(wait, this.records));
  }
}

type PendingEvent = [VoidEventKind, string, WaitStatus];

export class Launcher {
  private readonly addon: NativeAddon;
  private readonly voids = new Map<number, RunningVoid>();
  /** Events that arrived before spawn() resolved for their id. */
  private readonly early = new Map<number, PendingEvent[]>();

  constructor(private readonly events: VoidEvents = {}) {
    this.addon = loadAddon();
    this.addon.init(nativePaths().init, (id, kind, text, status) => this.dispatch(id, kind, text, status));
  }

  async spawn(req: SpawnRequest): Promise<RunningVoid> {
    const { id, pid } = await this.addon.spawn(marshal(req));
    const v = new RunningVoid(this.addon, id, pid, req.plan);
    this.voids.set(id, v);
    for (const [kind, text, status] of this.early.get(id) ?? []) this.dispatch(id, kind, text, status);
    this.early.delete(id);
    return v;
  }

  get live(): RunningVoid[] {
    return [...this.voids.values()];
  }

  private dispatch(id: number, kind: VoidEventKind, text: string, status: WaitStatus): void {
    const v = this.voids.get(id);
    if (v === undefined) {
      const list = this.early.get(id) ?? [];
      list.push([kind, text, status]);
      this.early.set(id, list);
      return;
    }
    const records = parseRecords(text);
    v.records.push(...records);
    for (const r of records) if (r.kind === "stopped") this.events.onStopped?.(v, r.nsPid);
    if (kind === "exit") {
      this.voids.delete(id);
      v.finish(status);
    }
  }
}
