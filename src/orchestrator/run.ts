/**
 * A running application (DESIGN §2): every Startup entrypoint as a void,
 * started concurrently; pipes, file sockets and listeners wired between
 * them; a fresh void per message on every trigger; an RPC broker for the
 * voids that may ask for outgoing sockets; signals forwarded; every void
 * reaped. `void run` ends once no void is running and nothing can produce
 * more work. Its status is the last non-zero status of any void, else 0.
 */
import { closeSync, openSync, readFileSync, readlinkSync } from "node:fs";
import { constants } from "node:os";
import { describeFd } from "../plan/describe.js";
import type { FdGrant, VoidPlan } from "../plan/types.js";
import { Broker } from "./broker.js";
import { CgroupError, Cgroups, controllersFor, type Leaf } from "./cgroups.js";
import { Forwarder } from "./forward.js";
import { Launcher, nativeAddon, type RunningVoid } from "./launcher.js";
import type { Logger } from "./log.js";
import type { SpawnRequest } from "./marshal.js";
import { signalName } from "./status.js";
import { type LoopHost, type Message, TriggerLoop } from "./trigger.js";
import { Wiring } from "./wiring.js";

/** Exit status when void itself fails (like podman/docker's 125). */
export const EXIT_LAUNCHER_FAILURE = 125;

/** Default bound on concurrently running voids per trigger. */
export const DEFAULT_CONCURRENCY = 64;

export interface RunOptions {
  debug: boolean;
  log: Logger;
  /** At most this many voids of one trigger at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Run even where cgroup limits cannot be enforced (with a warning). */
  allowUnenforcedLimits?: boolean;
}

function namespaceIds(pid: number, plan: VoidPlan): string {
  return plan.namespaces
    .map((ns) => {
      try {
        return `${ns}:${readlinkSync(`/proc/${pid}/ns/${ns}`).replace(/^.*\[(\d+)\]$/, "$1")}`;
      } catch {
        return `${ns}:?`;
      }
    })
    .join(" ");
}

/** Host pid of the entrypoint stopped inside a void (its init's only child). */
function hostPidOfChild(initPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, "utf8").trim().split(/\s+/);
    const pid = Number.parseInt(children[0] ?? "", 10);
    return Number.isNaN(pid) ? undefined : pid;
  } catch {
    return undefined;
  }
}

/** What one spawn needs from the launcher, and what to close afterwards. */
interface Prepared {
  request: SpawnRequest;
  /** Launcher fds to close once the void has its copies. */
  close: number[];
  /** RPC broker ends to attach once the void is running. */
  rpc: { fd: number; grant: FdGrant }[];
  /** The void's cgroups, when it has limits. */
  leaf?: Leaf;
  /** The launcher's end of void-init's socket factory, for a void with Forward grants. */
  factory?: number;
}

class Application implements LoopHost {
  readonly addon = nativeAddon();
  readonly log: Logger;
  private readonly launcher: Launcher;
  private readonly wiring: Wiring;
  private readonly broker: Broker;
  private readonly cgroups: Cgroups | undefined;
  private readonly loops: TriggerLoop[] = [];
  /** Forward relays by entrypoint (Startup entrypoints only). */
  private readonly forwarders = new Map<string, Forwarder>();
  private status = 0;
  private live = 0;
  private pending = 0;
  private shuttingDown = false;
  /** The signal passed on at shutdown: voids dying of it are expected, not errors. */
  private shutdownSignal = 0;
  private finish!: () => void;
  private readonly finished = new Promise<void>((resolve) => {
    this.finish = resolve;
  });

  constructor(
    private readonly plans: VoidPlan[],
    private readonly opts: RunOptions,
  ) {
    this.log = opts.log;
    this.launcher = new Launcher({
      onStopped: (v, nsPid) => {
        const host = hostPidOfChild(v.pid);
        this.log.info(
          `entrypoint ${v.plan.entrypoint} stopped before execve: host pid ${host ?? "?"} (pid ${nsPid} in the void; void-init is host pid ${v.pid}). Attach a debugger, then resume it with: kill -CONT ${host ?? "<pid>"}`,
        );
      },
    });
    // Every pipe, socket and listener exists before any void starts.
    this.wiring = Wiring.create(plans, this.addon);
    for (const b of this.wiring.bound) this.log.verbose(`entrypoint ${b.entrypoint}: listening on ${b.actual}${b.actual !== b.addr ? ` (spec: ${b.addr})` : ""}`);
    this.broker = new Broker(this.addon, this.log);
    const needed = [...new Set(plans.flatMap((p) => controllersFor(p.limits)))];
    let cgroups: Cgroups | undefined;
    if (needed.length > 0) {
      try {
        cgroups = Cgroups.open(needed);
      } catch (e) {
        if (!(e instanceof CgroupError) || !opts.allowUnenforcedLimits) {
          this.wiring.closeAll();
          throw e;
        }
        this.log.warn(`${e.message}; running WITHOUT them (--allow-unenforced-limits)`);
      }
    }
    this.cgroups = cgroups;
  }

  /** Opens or creates the launcher side of each fd of one void. */
  private prepare(plan: VoidPlan, argv: string[], extraFds: number[]): Prepared {
    const close: number[] = [];
    const rpc: Prepared["rpc"] = [];
    let factory: number | undefined;
    try {
      const hostFds = plan.fds.map((f) => {
        switch (f.source.kind) {
          case "stdin":
            return 0;
          case "stdout":
            return 1;
          case "stderr":
            return 2;
          case "devnull":
            return -1;
          case "file": {
            const fd = openSync(f.source.path, "r");
            close.push(fd);
            return fd;
          }
          case "rpc": {
            const [mine, theirs] = this.addon.seqpacketPair();
            rpc.push({ fd: mine, grant: f });
            close.push(theirs);
            return theirs;
          }
          case "received":
            return extraFds[f.source.index]!;
          default:
            return this.wiring.fdFor(plan, f);
        }
      });
      let factoryFd: number | undefined;
      if (plan.forwards.length > 0) {
        [factory, factoryFd] = this.addon.seqpacketPair();
        close.push(factoryFd);
      }
      const leaf = this.cgroups !== undefined && controllersFor(plan.limits).length > 0 ? this.cgroups.create(plan.limits) : undefined;
      const cgroupFds = leaf?.openProcs() ?? [];
      close.push(...cgroupFds);
      return {
        request: { plan, argv, hostFds, cgroupFds, debug: this.opts.debug, ...(factoryFd !== undefined ? { factoryFd } : {}) },
        close,
        rpc,
        ...(leaf ? { leaf } : {}),
        ...(factory !== undefined ? { factory } : {}),
      };
    } catch (e) {
      for (const fd of [...close, ...rpc.map((r) => r.fd), ...(factory !== undefined ? [factory] : [])]) closeSync(fd);
      throw e;
    }
  }

  private async spawn(p: Prepared, onExit?: () => void): Promise<RunningVoid | undefined> {
    this.pending++;
    try {
      const v = await this.launcher.spawn(p.request);
      this.live++;
      for (const r of p.rpc) this.broker.attach(r.fd, r.grant, v.plan.entrypoint, v.pid);
      const forwarder = p.factory !== undefined ? this.forwarders.get(v.plan.entrypoint) : undefined;
      if (p.factory !== undefined) {
        if (forwarder === undefined) closeSync(p.factory);
        else forwarder.start(p.factory);
      }
      this.logSpawn(v);
      const timeout = v.plan.limits.timeoutMs;
      let timedOut = false;
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              v.signal(constants.signals.SIGKILL);
            }, timeout);
      void v.exited.then(async (o) => {
        if (timer !== undefined) clearTimeout(timer);
        forwarder?.close();
        const who = `entrypoint ${v.plan.entrypoint} (pid ${v.pid})`;
        const oom = p.leaf?.oomKilled() ?? false;
        if (o.failure !== undefined) this.log.error(`entrypoint ${v.plan.entrypoint}: ${o.failure}`);
        else if (timedOut) this.log.error(`${who} killed at its timeout (${timeout} ms)`);
        else if (oom) this.log.error(`${who} ${o.summary}: the kernel's OOM killer ended it at its memory limit (${v.plan.limits.memory} bytes)`);
        else if (o.signal !== undefined && !(this.shuttingDown && o.signal === this.shutdownSignal)) this.log.error(`${who} ${o.summary}`);
        else this.log.verbose(`${who} ${o.summary}`);
        if (o.status !== 0) this.status = o.status;
        await p.leaf?.remove();
        this.live--;
        onExit?.();
        this.checkDone();
      });
      return v;
    } catch (e) {
      for (const r of p.rpc) closeSync(r.fd);
      if (p.factory !== undefined) closeSync(p.factory);
      this.forwarders.get(p.request.plan.entrypoint)?.close();
      void p.leaf?.remove();
      this.log.error(`entrypoint ${p.request.plan.entrypoint}: could not create a void: ${e instanceof Error ? e.message : String(e)}`);
      this.status = EXIT_LAUNCHER_FAILURE;
      onExit?.();
      return undefined;
    } finally {
      for (const fd of p.close) closeSync(fd);
      this.pending--;
      this.checkDone();
    }
  }

  private logSpawn(v: RunningVoid): void {
    if (this.log.verbosity < 1) return;
    const name = v.plan.entrypoint;
    this.log.verbose(`entrypoint ${name}: host pid ${v.pid}; namespaces ${namespaceIds(v.pid, v.plan)}`);
    this.log.verbose(`entrypoint ${name}: fds ${v.plan.fds.map((f) => describeFd(f).replace(/ {2}/, ": ")).join("; ")}`);
  }

  async spawnTriggered(plan: VoidPlan, message: Message, onExit: () => void): Promise<void> {
    let fds = plan.fds;
    let argv: string[];
    let extra: number[] = [];
    if (message.kind === "text") {
      argv = plan.argv.map((a) => (a.kind === "literal" ? a.value : message.text));
    } else if (!plan.argv.some((a) => a.kind !== "literal")) {
      // The spec has no "Trigger" argument: it does not grant the message,
      // so its fds stay out of the void (which still runs once per packet).
      for (const fd of message.fds) closeSync(fd);
      argv = plan.argv.flatMap((a) => (a.kind === "literal" ? [a.value] : []));
    } else {
      extra = message.fds;
      const first = Math.max(...plan.fds.map((f) => f.fd)) + 1;
      const received: FdGrant[] = extra.map((_, index) => ({ fd: first + index, source: { kind: "received", index } }));
      fds = [...plan.fds, ...received];
      argv = plan.argv.flatMap((a) => (a.kind === "literal" ? [a.value] : received.map((r) => String(r.fd))));
    }
    let prepared: Prepared;
    try {
      prepared = this.prepare({ ...plan, fds }, argv, extra);
    } catch (e) {
      for (const fd of extra) closeSync(fd);
      this.log.error(`entrypoint ${plan.entrypoint}: ${e instanceof Error ? e.message : String(e)}; message dropped`);
      this.status = EXIT_LAUNCHER_FAILURE;
      onExit();
      return;
    }
    // The received fds are the void's now: close ours once it has them.
    prepared.close.push(...extra);
    await this.spawn(prepared, onExit);
  }

  loopFinished(loop: TriggerLoop): void {
    this.wiring.release(`source:${loop.name}`);
    this.wiring.release(loop.name);
    this.checkDone();
  }

  /**
   * Done when no void runs, none is being spawned and every trigger loop
   * has ended. If no void runs and every loop is idle, nothing can write
   * to any loop ever again (only voids write; the launcher holds only
   * templates for triggered voids), so the templates are released and the
   * loops end at EOF.
   */
  private checkDone(): void {
    if (this.live > 0 || this.pending > 0) return;
    const active = this.loops.filter((l) => !l.isFinished);
    if (active.length === 0) {
      this.finish();
      return;
    }
    const readable = this.addon.pollReadable(active.map((l) => l.fd));
    if (readable.every((r) => !r)) {
      this.log.debug("no void is running and no trigger has a message: releasing the ends held for triggered voids");
      this.wiring.releaseTemplates();
    }
  }

  /** Passes a signal on to every running void (SIGUSR1, SIGUSR2). */
  forward(sig: number): void {
    for (const v of this.launcher.live) v.signal(sig);
  }

  shutdown(sig: number, escalate: boolean): void {
    const send = escalate ? constants.signals.SIGKILL : sig;
    this.shutdownSignal = send;
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const loop of this.loops) loop.stop();
    }
    this.log.verbose(`received ${signalName(sig)}: sending ${signalName(send)} to ${this.launcher.live.length} void(s)`);
    for (const v of this.launcher.live) v.signal(send);
  }

  async run(): Promise<number> {
    const startup = this.plans.filter((p) => p.trigger.kind === "Startup");
    const triggered = this.plans.filter((p) => p.trigger.kind !== "Startup");
    // Bind every Forward's host end and open every file before spawning
    // anything: a port in use or a missing file is an error with nothing
    // started.
    const prepared: Prepared[] = [];
    try {
      for (const plan of startup) {
        if (plan.forwards.length === 0) continue;
        const forwarder = await Forwarder.bind(plan, this.addon, this.log);
        this.forwarders.set(plan.entrypoint, forwarder);
        for (const line of forwarder.describe()) this.log.verbose(`entrypoint ${plan.entrypoint}: forwarding ${line}`);
      }
      for (const plan of startup) {
        prepared.push(this.prepare(plan, plan.argv.map((a) => (a.kind === "literal" ? a.value : "")), []));
      }
    } catch (e) {
      for (const p of prepared) for (const fd of [...p.close, ...p.rpc.map((r) => r.fd), ...(p.factory !== undefined ? [p.factory] : [])]) closeSync(fd);
      for (const f of this.forwarders.values()) f.close();
      this.wiring.closeAll();
      throw e;
    }
    this.pending++; // hold "done" until the loops exist
    const spawned = await Promise.all(prepared.map((p) => this.spawn(p)));
    if (spawned.some((v) => v === undefined)) {
      // A Startup void could not be created: stop the others.
      for (const v of spawned) v?.signal(constants.signals.SIGKILL);
      this.shuttingDown = true;
    }
    this.wiring.keepOnlyHeld(this.shuttingDown ? [] : triggered);
    if (!this.shuttingDown) {
      const bound = this.opts.concurrency ?? DEFAULT_CONCURRENCY;
      for (const plan of triggered) this.loops.push(new TriggerLoop(this, plan, this.wiring.sourceOf(plan), plan.limits.concurrency ?? bound));
    }
    this.pending--;
    this.checkDone();
    await this.finished;
    for (const f of this.forwarders.values()) f.close();
    this.broker.closeAll();
    this.wiring.closeAll();
    this.cgroups?.close();
    return this.status;
  }
}

export async function runApplication(plans: VoidPlan[], opts: RunOptions): Promise<number> {
  const app = new Application(plans, opts);
  let interrupted = 0;
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const).map((name) => {
    const h = () => {
      if (name === "SIGUSR1" || name === "SIGUSR2") {
        app.forward(constants.signals[name]);
        return;
      }
      interrupted++;
      // Stop taking messages and pass the signal on; a second interrupt
      // means "now": kill every void outright.
      app.shutdown(constants.signals[name], interrupted > 1);
    };
    process.on(name, h);
    return [name, h] as const;
  });
  try {
    return await app.run();
  } finally {
    for (const [name, h] of handlers) process.off(name, h);
  }
}
