/**
 * The host ends of everything that connects voids: pipes, file sockets and
 * TCP listeners, created before any void starts (so a port in use is an
 * error with nothing running), and who still needs each end.
 *
 * Ownership rule: the launcher keeps no copy of an end it has handed out.
 * After the Startup voids are spawned, an end is kept only while
 *   - a trigger loop reads from it (its source), or
 *   - a triggered entrypoint will need it for future voids (a template).
 * A template is released when its entrypoint's trigger loop ends; when the
 * last holder of a writing end lets go, its reader sees EOF.
 */
import type { NativeAddon } from "../native/addon.js";
import { Activation } from "./activation.js";
import type { FdGrant, VoidPlan } from "../plan/types.js";

export class WiringError extends Error {}

/** "[::1]:80" -> ["::1", 80]; "0.0.0.0:80" -> ["0.0.0.0", 80]. */
export function splitAddr(addr: string): [string, number] {
  const m = addr.match(/^\[(.*)\]:(\d+)$/) ?? addr.match(/^([^:]*):(\d+)$/);
  if (m === null) throw new WiringError(`bad address ${addr}`);
  return [m[1]!, Number(m[2])];
}

/**
 * The triggered entrypoints whose voids can, through other triggered
 * entrypoints, write to their own trigger's source — a cycle of triggers —
 * in the order of one such cycle; [] when there is none.
 *
 * Without a cycle, every end a trigger loop waits on is released by the
 * wiring alone: a loop's source reaches end-of-file once the Startup voids
 * that write it have exited and the triggered entrypoints that write it
 * have finished (their templates released when their own loop ends), so
 * the loops end one after the other. With a cycle, each loop of it waits
 * for the others: only "no void runs and no loop has a message" shows that
 * nothing can ever write again (src/orchestrator/run.ts checkDone).
 */
export function triggerCycle(plans: readonly VoidPlan[]): string[] {
  const source = (p: VoidPlan): string | undefined => (p.trigger.kind === "Pipe" ? `pipe:${p.trigger.name}` : p.trigger.kind === "FileSocket" ? `filesocket:${p.trigger.name}` : undefined);
  const triggered = plans.filter((p) => source(p) !== undefined);
  const writes = (p: VoidPlan): Set<string> =>
    new Set(p.fds.flatMap((f) => ((f.source.kind === "pipe" || f.source.kind === "filesocket") && f.source.direction === "Tx" ? [`${f.source.kind}:${f.source.name}`] : [])));
  const next = new Map(triggered.map((p) => [p.entrypoint, triggered.filter((q) => writes(p).has(source(q)!)).map((q) => q.entrypoint)]));
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "open") return path.slice(path.indexOf(name));
    state.set(name, "open");
    path.push(name);
    for (const n of next.get(name) ?? []) {
      const found = visit(n);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const p of triggered) {
    const found = visit(p.entrypoint);
    if (found !== undefined) return found;
  }
  return [];
}

export class Wiring {
  private readonly pipes = new Map<string, [number, number]>();
  /** Pipes read by a trigger: made in packet mode (one write, one read) where the kernel has it. */
  private readonly triggerPipes = new Set<string>();
  /** The entrypoint each trigger pipe triggers. */
  private readonly triggerReaders = new Map<string, string>();
  /** Trigger pipes that did get packet mode. */
  private readonly packetPipes = new Set<string>();
  /**
   * Pipes more than one void may write to: the Tx of a triggered
   * entrypoint (a void per message; a pipe has one writing entrypoint,
   * src/spec/validate.ts). No void holds such a pipe's write end, nor a
   * Pipe trigger's: each writer gets a pipe of its own, which the launcher
   * relays into it (relayedTx). A void holding a shared end could reopen
   * it through /proc/self/fd in the other direction where its uid owns the
   * pipe (an unprivileged launcher, --host-root) and read what the other
   * voids write before the pipe's reader does. A void holding a trigger's
   * end could hold the pipe's lock (a splice() into it that waits), and
   * the trigger loop's read, on the event loop, would wait for it with the
   * whole launcher; and the relay frames each writer's messages, so that
   * none joins another's (Streams.relayInto).
   */
  private readonly sharedWriters = new Set<string>();
  private readonly sockets = new Map<string, [number, number]>();
  /** Listener fd per "entrypoint\0fd number". */
  private readonly listeners = new Map<string, number>();
  /** Who holds each launcher fd: entrypoint names (templates) and "source:NAME". */
  private readonly holders = new Map<number, Set<string>>();
  /** Actual bound addresses, for logs ("0.0.0.0:0" -> "0.0.0.0:41234"); `activated`: passed by the service manager, not bound here. */
  readonly bound: { key: string; entrypoint: string; addr: string; actual: string; activated?: string }[] = [];

  private constructor(
    private readonly addon: NativeAddon,
    private readonly activation: Activation,
  ) {}

  /** Creates every end the plans refer to; on any failure closes them all and throws. */
  static create(plans: VoidPlan[], addon: NativeAddon, activation: Activation = Activation.none()): Wiring {
    const w = new Wiring(addon, activation);
    for (const plan of plans) {
      if (plan.trigger.kind !== "Pipe") continue;
      w.triggerPipes.add(plan.trigger.name);
      w.triggerReaders.set(plan.trigger.name, plan.entrypoint);
    }
    const writers = new Map<string, number>();
    for (const plan of plans)
      for (const f of plan.fds)
        if (f.source.kind === "pipe" && f.source.direction === "Tx") {
          const n = (writers.get(f.source.name) ?? 0) + (plan.trigger.kind === "Startup" ? 1 : 2);
          writers.set(f.source.name, n);
          if (n > 1) w.sharedWriters.add(f.source.name);
        }
    try {
      for (const plan of plans) {
        for (const f of plan.fds) w.createFor(plan, f);
        const t = plan.trigger;
        if (t.kind === "Pipe") w.pipe(t.name);
        if (t.kind === "FileSocket") w.socket(t.name);
      }
    } catch (e) {
      w.closeAll();
      throw e;
    }
    return w;
  }

  private pipe(name: string): [number, number] {
    let p = this.pipes.get(name);
    if (p === undefined) {
      // Only a trigger's pipe is a packet pipe: packet mode drops what a small read does not take, which a
      // program reading an ordinary Pipe may do.
      const [r, w, packets] = this.addon.pipe(this.triggerPipes.has(name));
      p = [r, w];
      if (packets) this.packetPipes.add(name);
      this.pipes.set(name, p);
    }
    return p;
  }

  private socket(name: string): [number, number] {
    let s = this.sockets.get(name);
    if (s === undefined) {
      s = this.addon.seqpacketPair();
      this.sockets.set(name, s);
    }
    return s;
  }

  private createFor(plan: VoidPlan, f: FdGrant): void {
    const s = f.source;
    if (s.kind === "pipe") this.pipe(s.name);
    else if (s.kind === "filesocket") this.socket(s.name);
    else if (s.kind === "tcplistener") {
      const [ip, port] = splitAddr(s.addr);
      const passed = this.activation.take(plan.entrypoint, s.addr);
      if (passed !== undefined) {
        this.listeners.set(`${plan.entrypoint}\0${f.fd}`, passed.fd);
        this.bound.push({ key: `${plan.entrypoint}\0${f.fd}`, entrypoint: plan.entrypoint, addr: s.addr, actual: passed.addr, activated: passed.name });
        return;
      }
      let bound: { fd: number; port: number };
      try {
        bound = this.addon.tcpListen(ip, port);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const why = code === "EADDRINUSE" ? "the address is already in use" : code === "EACCES" ? "permission denied (ports below 1024 need privilege)" : (e as Error).message;
        throw new WiringError(`entrypoint ${plan.entrypoint}: cannot listen on ${s.addr}: ${why}`);
      }
      this.listeners.set(`${plan.entrypoint}\0${f.fd}`, bound.fd);
      const actual = ip.includes(":") ? `[${ip}]:${bound.port}` : `${ip}:${bound.port}`;
      this.bound.push({ key: `${plan.entrypoint}\0${f.fd}`, entrypoint: plan.entrypoint, addr: s.addr, actual });
    }
  }

  /** Where `entrypoint`'s listener at fd `fd` listens, as bound (or passed by the service manager). */
  listeningOn(entrypoint: string, fd: number): string | undefined {
    const key = `${entrypoint}\0${fd}`;
    return this.bound.find((b) => b.key === key)?.actual;
  }

  /** The launcher fd to hand over for a plan's fd grant (pipes, sockets, listeners). */
  fdFor(plan: VoidPlan, f: FdGrant): number {
    const s = f.source;
    switch (s.kind) {
      case "pipe":
        return this.pipes.get(s.name)![s.direction === "Rx" ? 0 : 1];
      case "filesocket":
        return this.sockets.get(s.name)![s.direction === "Rx" ? 0 : 1];
      case "tcplistener":
        return this.listeners.get(`${plan.entrypoint}\0${f.fd}`)!;
      default:
        throw new Error(`void: wiring has no fd for ${s.kind}`);
    }
  }

  /** Whether the grant is the write end of a pipe more than one void writes to, or of a Pipe trigger's: the void then gets a pipe of its own, relayed into it (sharedWriters). */
  relayedTx(f: FdGrant): boolean {
    return f.source.kind === "pipe" && f.source.direction === "Tx" && (this.sharedWriters.has(f.source.name) || this.triggerPipes.has(f.source.name));
  }

  /** The entrypoint a Pipe trigger's packet pipe `name` triggers (its relays frame whole messages), if it is one. */
  triggerReaderOf(name: string): string | undefined {
    return this.packetPipes.has(name) ? this.triggerReaders.get(name) : undefined;
  }

  /** Does `plan`'s Pipe trigger read a packet pipe (one message per write)? */
  packetsOf(plan: VoidPlan): boolean {
    return plan.trigger.kind === "Pipe" && this.packetPipes.has(plan.trigger.name);
  }

  /** The fd a trigger loop reads for a triggered plan. */
  sourceOf(plan: VoidPlan): number {
    const t = plan.trigger;
    if (t.kind === "Pipe") return this.pipes.get(t.name)![0];
    if (t.kind === "FileSocket") return this.sockets.get(t.name)![0];
    throw new Error(`void: entrypoint ${plan.entrypoint} has no trigger`);
  }

  private hold(fd: number, who: string): void {
    const set = this.holders.get(fd) ?? new Set<string>();
    set.add(who);
    this.holders.set(fd, set);
  }

  /** Marks what triggered plans keep; closes every other end (call after Startup voids are spawned). */
  keepOnlyHeld(triggered: VoidPlan[]): void {
    for (const plan of triggered) {
      this.hold(this.sourceOf(plan), `source:${plan.entrypoint}`);
      for (const f of plan.fds) {
        if (f.source.kind === "pipe" || f.source.kind === "filesocket" || f.source.kind === "tcplistener") this.hold(this.fdFor(plan, f), plan.entrypoint);
      }
    }
    for (const fd of this.allFds()) if (!this.holders.has(fd)) this.close(fd);
  }

  /** `who` no longer needs its ends; ends nobody holds are closed. */
  release(who: string): void {
    for (const [fd, set] of this.holders) {
      if (set.delete(who) && set.size === 0) {
        this.holders.delete(fd);
        this.close(fd);
      }
    }
  }

  /** Releases every template (not the sources): used when no void can write any more. */
  releaseTemplates(): void {
    for (const [fd, set] of [...this.holders]) {
      for (const who of [...set]) if (!who.startsWith("source:")) set.delete(who);
      if (set.size === 0) {
        this.holders.delete(fd);
        this.close(fd);
      }
    }
  }

  private allFds(): number[] {
    return [...[...this.pipes.values()].flat(), ...[...this.sockets.values()].flat(), ...this.listeners.values()];
  }

  private readonly closed = new Set<number>();

  private close(fd: number): void {
    if (this.closed.has(fd)) return;
    this.closed.add(fd);
    // Off the event loop: a socket's queue may hold fds voids sent, whose last close can block.
    this.addon.closeLater([fd]);
  }

  closeAll(): void {
    for (const fd of this.allFds()) this.close(fd);
    this.holders.clear();
  }
}
