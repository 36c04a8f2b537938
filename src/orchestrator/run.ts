/**
 * A running application (docs/spec.md): every Startup entrypoint as a void,
 * started concurrently; pipes, file sockets and listeners wired between
 * them; a fresh void per message on every trigger; an RPC broker for the
 * voids that may ask for outgoing sockets; signals forwarded; every void
 * reaped. `void run` ends once no void is running and nothing can produce
 * more work. Its status is the last non-zero status of any void, else 0.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statfsSync } from "node:fs";
import { constants as os } from "node:os";
import { posix } from "node:path";
import type { NativeAddon } from "../native/addon.js";
import { Activation } from "./activation.js";
import { describeFd } from "../plan/describe.js";
import { untrustedLink } from "../plan/paths.js";
import { writableNames } from "../plan/plan.js";
import { realHost } from "../plan/real-host.js";
import { ALL_NAMESPACES, type FdGrant, type VoidPlan } from "../plan/types.js";
import { DEFAULT_CONCURRENCY } from "../spec/types.js";
import { Broker } from "./broker.js";
import { CgroupError, Cgroups, controllersFor } from "./cgroups.js";
import { Connector, RelayBudget } from "./connect.js";
import { Factory } from "./factory.js";
import { type VoidResources, VoidLife, type VoidState } from "./lifecycle.js";
import { Forwarder } from "./forward.js";
import { closeReceived, Launcher, nativeAddon, type VoidEvents, type VoidProcess, type VoidSpawner } from "./launcher.js";
import { FloodLog, type LineKind, type Logger } from "./log.js";
import type { ArgvWord } from "./marshal.js";
import { DEFAULT_PREPARED, encodeMessage, firstMessageFd, messageArgv } from "./prepared.js";
import { signalName } from "../native/texts.js";
import type { Outcome } from "./status.js";
import { EXIT_DRAIN_MS, Streams } from "./streams.js";
import { type LoopHost, type Message, TriggerLoop } from "./trigger.js";
import { triggerCycle, Wiring } from "./wiring.js";

/** Exit status when void itself fails (like podman/docker's 125). */
export const EXIT_LAUNCHER_FAILURE = 125;

/** Default bound on concurrently running voids per trigger. */
export { DEFAULT_CONCURRENCY };

export interface RunOptions {
  debug: boolean;
  log: Logger;
  /** At most this many voids of one trigger at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Run even where cgroup limits cannot be enforced (with a warning). */
  allowUnenforcedLimits?: boolean;
  /** Voids made ahead per trigger, waiting for their message (default DEFAULT_PREPARED; 0 = none). */
  prepare?: number;
  /** Listening sockets passed by a service manager (src/orchestrator/activation.ts). */
  activation?: Activation;
  /**
   * Called once the spawn of every Startup void has begun: the addon makes
   * them on its own threads meanwhile, so work done here overlaps theirs.
   */
  whileSpawning?: () => void;
  /** Called once every Startup void is running and every trigger takes messages (not if a Startup void failed). */
  onReady?: () => void;
  /** Called once when an orderly stop begins (the first SIGTERM, SIGINT...). */
  onStopping?: () => void;
  /** The port that makes voids (default: the Launcher, namespaces through the addon); tests pass a stand-in. */
  spawner?: (events: VoidEvents) => VoidSpawner;
}

/** "user:4026532174 mnt:…": the inodes the child recorded before the void could exit (launcher.ts). */
function namespaceIds(v: VoidProcess): string {
  return v.plan.namespaces.map((ns) => `${ns}:${v.namespaces[ALL_NAMESPACES.indexOf(ns)] || "?"}`).join(" ");
}

/** A void's mounts in one line, for -v: what it sees, where from, how (the native front end prints it from its cached plan). */
export function mountsLine(plan: VoidPlan): string {
  return plan.mounts
    .map((m): string => {
      switch (m.type) {
        case "tmpfs":
          return "/ (tmpfs, ro)";
        case "scratch":
          return `${m.dest} (tmpfs, rw, ${m.size} bytes)`;
        case "bind":
          return `${m.dest}${m.source !== m.dest ? ` <- ${m.source}` : ""} (${m.readOnly ? "ro" : "rw, noexec"})`;
        case "symlink":
          return `${m.dest} -> ${m.target}`;
        case "devnull":
        case "device":
          return `${m.dest} (device)`;
        default:
          return `${m.dest} (proc${m.readOnly.length > 0 ? `, ro: ${m.readOnly.join(" ")}` : ""})`;
      }
    })
    .join(", ");
}

/** A void's fds in one line, for -v. */
export function fdsLine(fds: readonly FdGrant[]): string {
  return fds.map((f) => describeFd(f).replace(/ {2}/, ": ")).join("; ");
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

/** setTimeout takes at most 2^31 - 1 ms (about 24.8 days); a spec's timeout may be longer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `fire` after `ms` milliseconds, however long that is (chained timers). */
export function longTimeout(fire: () => void, ms: number): { cancel: () => void } {
  let timer: NodeJS.Timeout;
  const start = (left: number) => {
    timer = setTimeout(() => (left > MAX_TIMER_MS ? start(left - MAX_TIMER_MS) : fire()), Math.min(left, MAX_TIMER_MS));
  };
  start(ms);
  return { cancel: () => clearTimeout(timer) };
}

/** Filesystems whose files are views of the kernel or of processes (statfs f_type): never a File grant. */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "procfs"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x63677270, "cgroup2"],
  [0x27e0eb, "cgroup"],
  [0xcafe4a11, "bpf"],
  [0x62656570, "configfs"],
  [0x1cd1, "devpts"],
  [0x6e736673, "nsfs"],
]);

/** Is `path` (canonical) `dir` or inside it? */
function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/**
 * `path` with every symlink resolved, refusing a symlink that lies inside
 * a writable bind of any entrypoint: a void could have put it there (in
 * this run or an earlier one), and following it would hand the next void
 * whatever it names, resolved with the launcher's rights.
 */
function resolveOutsideWritable(path: string, writable: readonly string[]): string {
  let done = "/";
  let rest = path.split("/").filter((p) => p !== "" && p !== ".");
  for (let links = 0; rest.length > 0; ) {
    const part = rest.shift()!;
    if (part === "..") {
      done = posix.dirname(done);
      continue;
    }
    const next = posix.join(done, part);
    if (!lstatSync(next).isSymbolicLink()) {
      done = next;
      continue;
    }
    const inside = writable.find((w) => isUnder(next, w));
    if (inside !== undefined) throw new Error(`File ${path}: ${next} is a symlink inside ${inside}, which a void may write; a File grant is never reached through one`);
    const shared = untrustedLink(lstatSync(done), lstatSync(next).uid, process.geteuid?.() ?? 0);
    if (shared !== undefined) throw new Error(`File ${path}: ${next} is ${shared}`);
    if (++links > 40) throw new Error(`File ${path}: too many levels of symbolic links`);
    const target = readlinkSync(next);
    rest = [...target.split("/").filter((p) => p !== "" && p !== "."), ...rest];
    if (target.startsWith("/")) done = "/";
  }
  return done;
}

/**
 * Opens a File grant's host file once, before any void runs. Symlinks on
 * the path are followed now (unless one lies inside a writable bind:
 * resolveOutsideWritable) and never again. The fd kept reaches the file
 * through a read-only mount of its own (native/addon/readonly.c). Every
 * void gets its own open file description of this very file, through that
 * mount (reopened through /proc/self/fd), so a void that can write the
 * file's directory and swaps the file for a symlink, a FIFO or another
 * file changes nothing for the voids after it, and none can change the
 * file itself, though its uid may own it.
 * Only a regular file of a real filesystem is granted: a FIFO would block
 * the launcher in open(2), a directory fd would give the void a whole host
 * tree, and a file of procfs or sysfs is read with the opener's (the
 * launcher's) rights.
 */
function pinFile(path: string, writable: readonly string[], addon: NativeAddon): number {
  // The resolved path has no symlink left: opened refusing any, so a component a void swaps for one meanwhile fails instead of being followed.
  const resolved = resolveOutsideWritable(path, writable);
  let fd: number;
  try {
    fd = addon.openNoSymlinks(resolved);
  } catch (e) {
    throw new Error(`File ${path}: ${resolved} changed while it was opened (${e instanceof Error ? e.message : String(e)}); a File grant is never reached through a symlink`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "not a regular file";
      throw new Error(`File ${path}: ${what}; a File grant is a regular file`);
    }
    const fs = PSEUDO_FILESYSTEMS.get(statfsSync(`/proc/self/fd/${fd}`).type);
    if (fs !== undefined) throw new Error(`File ${path}: a file of ${fs}; a File grant is a file of a real filesystem`);
    // Reached through a read-only mount of its own: a void that owns the file (its uid is the launcher's, or host uid 0
    // with --host-root) could otherwise fchmod it, change its times, or reopen it through /proc/self/fd for writing.
    try {
      return addon.pinReadOnly(fd, resolved);
    } catch (e) {
      throw new Error(`File ${path}: cannot reach it through a read-only mount (${e instanceof Error ? e.message : String(e)})`);
    }
  } finally {
    closeSync(fd);
  }
}

/** How a void ended, per entrypoint: one line each, within FloodLog's budget (a triggered entrypoint has a void per message). */
const EXIT_LINES = {
  failed: { kind: "exit failed", level: "error", what: ["void that could not start", "voids that could not start"] },
  timeout: { kind: "exit timeout", level: "error", what: ["void killed at its timeout", "voids killed at their timeout"] },
  oom: { kind: "exit oom", level: "error", what: ["void ended by the OOM killer", "voids ended by the OOM killer"] },
  signal: { kind: "exit signal", level: "error", what: ["void ended by a signal", "voids ended by a signal"] },
  notMade: { kind: "not made", level: "error", what: ["void that could not be made", "voids that could not be made"] },
  dropped: { kind: "message dropped", level: "error", what: ["message dropped", "messages dropped"] },
  preparedEnded: { kind: "prepared ended", level: "warn", what: ["prepared void that ended before its message", "prepared voids that ended before their message"] },
} as const satisfies Record<string, LineKind>;

class Application implements LoopHost {
  readonly addon = nativeAddon();
  readonly log: Logger;
  /** The lines voids can cause again and again, limited (src/orchestrator/log.ts FloodLog); told in full at the end of the run. */
  readonly flood: FloodLog;
  private readonly launcher: VoidSpawner;
  private readonly wiring: Wiring;
  private readonly broker: Broker;
  private readonly cgroups: Cgroups | undefined;
  private readonly streams: Streams;
  /** Each File grant's host file, opened once before any void runs (pinFile): path -> O_PATH fd. */
  private readonly files = new Map<string, number>();
  private readonly loops: TriggerLoop[] = [];
  /** What every void's Connect relays may hold together (src/orchestrator/connect.ts). */
  private readonly relayBudget = RelayBudget.forThisProcess();
  /** Connect grants whose relay failures were warned about (once per grant, not per void). */
  private readonly connectWarned = new Set<string>();
  /** Forward relays by entrypoint (Startup entrypoints only). */
  private readonly forwarders = new Map<string, Forwarder>();
  private status = 0;
  /** Every void that has not exited, in any state (src/orchestrator/lifecycle.ts): what "is anything still going on" is asked of. */
  private readonly voids = new Set<VoidLife>();
  /** The Startup voids are being made and the trigger loops do not exist yet: the run cannot be over. */
  private starting = false;
  /** Set once no trigger can take a message any more: prepared voids are discarded, none made. */
  private noMorePreparing = false;
  private shuttingDown = false;
  /** Entrypoints whose mounts -v has listed. */
  private readonly mountsLogged = new Set<string>();
  /** Entrypoints told about already (explainSilentFailure). */
  private readonly explained = new Set<string>();
  /** A cycle of triggers in the wiring, [] for none (checkDone). */
  private readonly cycle: string[];
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
    this.flood = new FloodLog(opts.log);
    const events: VoidEvents = {
      onStopped: (v, nsPid) => {
        const host = hostPidOfChild(v.pid);
        const pid = host === undefined ? "<pid>" : String(host);
        // Who may attach (docs/architecture.md, "void run -d"): a root launcher's voids run as a host uid of their own, so root;
        // an unprivileged launcher's run as its user, in a user namespace it owns. gdb reads the program and its libraries
        // through /proc/PID/root after entering the void's mount namespace, which only root may: a user has it read them
        // from the host, where the planner found them (they are bound at the same paths).
        const attach = process.getuid?.() === 0 ? `as root: gdb -p ${pid}` : `as this user: gdb -iex 'set sysroot /' -p ${pid}`;
        this.log.info(
          `entrypoint ${v.plan.entrypoint} stopped at its first instruction after execve (${v.plan.exec}): host pid ${host ?? "?"} ` +
            `(pid ${nsPid} in the void; void-init is host pid ${v.pid}). Attach a debugger ${attach} (in gdb: handle SIGSTOP nopass, ` +
            `then continue), or resume it without one: kill -CONT ${pid}`,
        );
      },
    };
    this.launcher = opts.spawner?.(events) ?? new Launcher(events);
    // The first closer thread (its timer, the placeholder fd it takes fds out of the table with) exists before any void
    // starts (native/addon/relay.c).
    this.addon.closeLater([]);
    // Every pipe, socket and listener exists before any void starts.
    const activation = opts.activation ?? Activation.none();
    for (const r of activation.refused) this.log.warn(`socket activation: ${r}; closed`);
    this.wiring = Wiring.create(plans, this.addon, activation);
    this.cycle = triggerCycle(plans);
    for (const s of activation.closeLeftovers()) this.log.warn(`socket activation: fd ${s.fd} (${s.name}, ${s.addr}) matches no TcpListener by entrypoint name or address; closed`);
    for (const b of this.wiring.bound) {
      const from = b.activated !== undefined ? ` (from socket activation: ${b.activated})` : b.actual !== b.addr ? ` (spec: ${b.addr})` : "";
      this.log.verbose(`entrypoint ${b.entrypoint}: listening on ${b.actual}${from}`);
    }
    this.broker = new Broker(this.addon, this.log, this.flood);
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
    try {
      // Under every name the mount table gives them: a symlink a void planted is followed under none (writableNames).
      const writable = writableNames(plans, realHost);
      for (const plan of plans) for (const f of plan.fds) if (f.source.kind === "file" && !this.files.has(f.source.path)) this.files.set(f.source.path, pinFile(f.source.path, writable, this.addon));
      this.streams = Streams.open(plans, this.addon, this.log, this.flood);
    } catch (e) {
      for (const fd of this.files.values()) closeSync(fd);
      this.wiring.closeAll();
      this.cgroups?.close();
      throw e;
    }
  }

  /** Opens or creates the launcher side of each fd of one void: a void in state preparing, tracked from now on. */
  private prepare(plan: VoidPlan, argv: ArgvWord[], extraFds: number[], prepared = false): VoidLife {
    const r: VoidResources = { request: { plan, argv, hostFds: [], debug: this.opts.debug }, close: [], outputs: [], pipes: [], rpc: [] };
    const life = new VoidLife(plan, r, prepared);
    try {
      const hostFds = plan.fds.map((f) => {
        switch (f.source.kind) {
          case "stdin":
          case "stdout":
          case "stderr": {
            const s = this.streams.forVoid(f.source.kind);
            if (s.close !== undefined) r.close.push(s.close);
            if (s.ended !== undefined) r.outputs.push(s.ended);
            return s.fd;
          }
          case "devnull":
            return -1;
          case "file": {
            // A new open file description of the pinned file (its own offset), whatever is at the path now.
            // O_NONBLOCK: a lease a void holds on it makes this fail (EWOULDBLOCK) instead of blocking the launcher.
            const fd = openSync(`/proc/self/fd/${this.files.get(f.source.path)!}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
            r.close.push(fd);
            return fd;
          }
          case "rpc": {
            const [mine, theirs] = this.addon.seqpacketPair();
            r.rpc.push({ fd: mine, grant: f });
            r.close.push(theirs);
            return theirs;
          }
          case "received":
            return extraFds[f.source.index]!;
          case "pipe": {
            if (f.source.direction !== "Tx" || !this.wiring.relayedTx(f)) return this.wiring.fdFor(plan, f);
            // A pipe other voids write to as well, or a trigger's: the void writes into one of its own, relayed into it.
            const reader = this.wiring.triggerReaderOf(f.source.name);
            const s = this.streams.relayInto(this.wiring.fdFor(plan, f), reader === undefined ? undefined : { writer: plan.entrypoint, reader });
            r.pipes.push(s.ended);
            r.close.push(s.fd);
            return s.fd;
          }
          default:
            return this.wiring.fdFor(plan, f);
        }
      });
      let factoryFd: number | undefined;
      if (plan.forwards.length > 0 || plan.connects.length > 0) {
        [r.factory, factoryFd] = this.addon.seqpacketPair();
        r.close.push(factoryFd);
      }
      let messageFd: number | undefined;
      if (prepared) {
        [life.messageSocket, messageFd] = this.addon.seqpacketPair();
        r.close.push(messageFd);
      }
      const leaf = this.cgroups !== undefined && controllersFor(plan.limits).length > 0 ? this.cgroups.create(plan.limits) : undefined;
      if (leaf !== undefined) r.leaf = leaf;
      const cgroupFds = leaf?.openProcs() ?? [];
      r.close.push(...cgroupFds);
      r.request = {
        plan,
        argv,
        hostFds,
        cgroupFds,
        debug: this.opts.debug,
        recordNamespaces: this.log.verbosity >= 1,
        ...(factoryFd !== undefined ? { factoryFd } : {}),
        ...(messageFd !== undefined ? { messageFd } : {}),
      };
    } catch (e) {
      void life.release();
      throw e;
    }
    this.voids.add(life);
    return life;
  }

  /**
   * Spawns a void in state preparing. Resolves true once it is ready (a
   * prepared void) or running, false if it could not be made (logged when
   * `quiet` is false; it is then exited and released). A void that runs at
   * once gets its exit handler (running(), which ends with `onExit`)
   * before anything can see it exit: a void may be gone before its spawn
   * has resolved.
   */
  private async launch(life: VoidLife, quiet = false, onExit?: () => void): Promise<boolean> {
    let made: VoidProcess | undefined;
    try {
      const v = await this.launcher.spawn(life.resources.request);
      made = v;
      for (const r of life.spawned(v)) void v.exited.then(this.broker.attach(r.fd, r.grant, life.entrypoint, v.pid));
      this.startSockets(v, life);
      if (life.state === "running") life.onExit = this.running(life, onExit);
      void v.exited.then(async (o) => {
        if (life.onExit !== undefined) await life.onExit(o);
        else await this.notStarted(life, o);
      });
      // A stop that came while it was being made (shutdown() signals the voids that exist) reaches it too (outside attack 53).
      if (this.shuttingDown && (life.state === "running" || this.shutdownSignal === os.signals.SIGKILL)) v.signal(this.shutdownSignal);
      return true;
    } catch (e) {
      if (made !== undefined) {
        // Made, but what the launcher must watch of it could not be set up (watching its broker or factory socket fails
        // with ENOSPC where a void holds the uid's epoll budget): ended, and waited for, never left running unwatched.
        made.signal(os.signals.SIGKILL);
        await made.exited;
      }
      this.forwarders.get(life.entrypoint)?.close();
      await life.ended();
      this.voids.delete(life);
      if (!quiet) {
        this.flood.line(`entrypoint ${life.entrypoint}`, EXIT_LINES.notMade, `entrypoint ${life.entrypoint}: could not create a void: ${e instanceof Error ? e.message : String(e)}`);
        this.status = EXIT_LAUNCHER_FAILURE;
      } else this.log.verbose(`entrypoint ${life.entrypoint}: could not prepare a void ahead (${e instanceof Error ? e.message : String(e)}); its next message gets one made on arrival`);
      return false;
    }
  }

  /** Spawns a void that runs at once (a Startup void, or one made on a message's arrival). */
  private async spawnNow(life: VoidLife, onExit?: () => void): Promise<VoidProcess | undefined> {
    const ok = await this.launch(life, false, onExit);
    if (!ok) onExit?.();
    this.checkDone();
    return ok ? life.process : undefined;
  }

  /**
   * A spawned void's socket factory, from now until it exits: its Connect
   * sockets (the first thing on it) start relaying at once, so a prepared
   * void's programs find them too; Forward relays use it once the void
   * runs (running()).
   */
  private startSockets(v: VoidProcess, life: VoidLife): void {
    const fd = life.resources.factory;
    if (fd === undefined) return;
    const connector = v.plan.connects.length > 0 ? new Connector(v.plan, v.pid, this.addon, this.log, this.relayBudget, this.connectWarned, this.flood) : undefined;
    const sockets = new Factory(fd, this.addon, connector === undefined ? undefined : { count: v.plan.connects.length, deliver: (fds) => connector.start(fds), fail: (e) => connector.failed(e) });
    life.sockets = sockets;
    life.resources.factory = undefined;
    void v.exited.then(() => {
      connector?.close();
      sockets.close();
    });
  }

  /**
   * A void starts its work (at spawn, or when a prepared void gets its
   * message): it counts as live, its relay and its timeout start, it is
   * logged. Returns what to do when it exits.
   */
  private running(life: VoidLife, onExit?: () => void, received: FdGrant[] = []): (o: Outcome) => Promise<void> {
    const v = life.process!;
    const p = life.resources;
    const forwarder = life.sockets !== undefined ? this.forwarders.get(v.plan.entrypoint) : undefined;
    if (forwarder !== undefined && life.sockets !== undefined) forwarder.start(life.sockets);
    this.logSpawn(v, received);
    const timeout = v.plan.limits.timeoutMs;
    let timedOut = false;
    const timer =
      timeout === undefined
        ? undefined
        : longTimeout(() => {
            timedOut = true;
            v.signal(os.signals.SIGKILL);
          }, timeout);
    return async (o) => {
      timer?.cancel();
      // What the void wrote last reaches the stream before the launcher says it exited.
      if (p.outputs.length > 0) {
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(p.outputs), new Promise((resolve) => (wait = setTimeout(resolve, EXIT_DRAIN_MS)))]);
        clearTimeout(wait);
      }
      forwarder?.close();
      const who = `entrypoint ${v.plan.entrypoint} (pid ${v.pid})`;
      const oom = p.leaf?.oomKilled() ?? false;
      // Per entrypoint, within FloodLog's budget: a trigger's writer can have a void made, and ended, per message.
      const source = `entrypoint ${v.plan.entrypoint}`;
      if (o.failure !== undefined) this.flood.line(source, EXIT_LINES.failed, `entrypoint ${v.plan.entrypoint}: ${o.failure}${madeUnderMemoryLimit(o, v.plan)}`);
      else if (timedOut) this.flood.line(source, EXIT_LINES.timeout, `${who} killed at its timeout (${timeout} ms)`);
      else if (oom) this.flood.line(source, EXIT_LINES.oom, `${who} ${o.summary}: the kernel's OOM killer ended it at its memory limit (${v.plan.limits.memory} bytes)`);
      else if (o.signal !== undefined && !this.stoppedByUs(o)) this.flood.line(source, EXIT_LINES.signal, `${who} ${o.summary}`);
      else this.log.verbose(`${who} ${o.summary}`); // an ordinary exit, with -v: each is asked for
      // An orderly stop (SIGTERM or SIGINT to void run, passed on) is a success: systemd counts anything else as a failure.
      if (o.status !== 0 && !this.stoppedByUs(o)) {
        this.status = o.status;
        this.explainSilentFailure(v.plan, o);
      }
      // Its relays into Pipes first: a void that wrote into a full Pipe and exited keeps its place under -j until its relay
      // has written it, as it would have had to wait in write() itself; else exited voids' relays (threads, pipe buffers)
      // would pile up behind a reader that does not read.
      if (p.pipes.length > 0) await Promise.all(p.pipes);
      await life.ended();
      this.voids.delete(life);
      onExit?.();
      this.checkDone();
    };
  }

  /**
   * Whether a void ended because void run passed on the signal that stops
   * it (by that signal, or exiting with 128 + it, as a shell does), not
   * escalated to SIGKILL by a second signal.
   */
  private stoppedByUs(o: Outcome): boolean {
    const sig = this.shutdownSignal;
    return this.shuttingDown && sig !== 0 && sig !== os.signals.SIGKILL && (o.signal === sig || (o.signal === undefined && o.failure === undefined && o.status === 128 + sig));
  }

  /**
   * A void that failed with its stderr on /dev/null said why to nobody:
   * say once per entrypoint how to see it.
   */
  private explainSilentFailure(plan: VoidPlan, o: Outcome): void {
    if (o.failure !== undefined || this.explained.has(plan.entrypoint)) return;
    if (plan.fds.find((f) => f.fd === 2)?.source.kind !== "devnull") return;
    this.explained.add(plan.entrypoint);
    this.log.info(`entrypoint ${plan.entrypoint} ${o.summary} and its stderr is not granted, so what it said is lost: add "Stderr" to its environment, or run void run --stderr`);
  }

  /** Can `entrypoint`'s trigger still take a message (so a void prepared for it may be used)? */
  private takesMessages(entrypoint: string): boolean {
    return !this.shuttingDown && !this.noMorePreparing && !this.loops.some((l) => l.name === entrypoint && l.isFinished);
  }

  /** Voids of `entrypoint` in `state`, oldest first. */
  private inState(state: VoidState, entrypoint?: string): VoidLife[] {
    return [...this.voids].filter((l) => l.state === state && (entrypoint === undefined || l.entrypoint === entrypoint));
  }

  /** Makes voids ahead for `plan`'s trigger until `--prepare` of them exist or are being made. */
  private refill(plan: VoidPlan): void {
    if (!this.takesMessages(plan.entrypoint)) return;
    const have = this.inState("ready", plan.entrypoint).length + this.inState("preparing", plan.entrypoint).filter((l) => l.prepared).length;
    for (let i = have; i < (this.opts.prepare ?? DEFAULT_PREPARED); i++) void this.prepareAhead(plan);
  }

  /** Builds one void for `plan`'s next message: everything but the entrypoint, which waits for it. */
  private async prepareAhead(plan: VoidPlan): Promise<void> {
    let life: VoidLife;
    try {
      // The argv comes with the message; void-init ignores this one.
      life = this.prepare(
        plan,
        plan.argv.flatMap((a) => (a.kind === "literal" ? [a.value] : [])),
        [],
        true,
      );
    } catch (e) {
      this.log.verbose(`entrypoint ${plan.entrypoint}: could not prepare a void ahead (${e instanceof Error ? e.message : String(e)}); its next message gets one made on arrival`);
      return;
    }
    if (await this.launch(life, true)) {
      this.log.debug(`entrypoint ${plan.entrypoint}: prepared a void ahead of its next message (void-init host pid ${life.process!.pid})`);
      if (!this.takesMessages(plan.entrypoint)) life.discard();
    }
    this.checkDone();
  }

  /** Discards every waiting prepared void, and makes no more. */
  private stopPreparing(): void {
    this.noMorePreparing = true;
    for (const life of this.inState("ready")) life.discard();
  }

  /** A prepared void exited without a message: discarded, or ended from outside (logged). */
  private async notStarted(life: VoidLife, o: Outcome): Promise<void> {
    if (life.state === "ready" && !this.shuttingDown)
      this.flood.line(
        `entrypoint ${life.entrypoint}`,
        EXIT_LINES.preparedEnded,
        `entrypoint ${life.entrypoint}: a void prepared for its next message (pid ${life.process!.pid}) ended before one came: ${o.failure ?? o.summary}`,
      );
    await life.ended();
    this.voids.delete(life);
    this.checkDone();
  }

  /** Gives `message` to a prepared void; false (the message untouched, the void discarded) if it cannot take it. */
  private activate(life: VoidLife, plan: VoidPlan, message: Message, onExit: () => void): boolean {
    const first = firstMessageFd(plan);
    const { argv, fds } = messageArgv(plan, message, first);
    const packet = encodeMessage(argv);
    if (packet === null) {
      life.discard();
      return false;
    }
    let why: string | undefined;
    try {
      if (!this.addon.sendFds(life.messageSocket, packet, fds)) why = "its message socket is full";
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (why !== undefined) {
      this.log.verbose(`entrypoint ${plan.entrypoint}: the void prepared for it (pid ${life.process!.pid}) could not take a message (${why}); making one`);
      life.discard();
      return false;
    }
    life.started();
    // The void has its copies now (or, without a "Trigger" argument, was not granted them).
    if (message.kind === "fds") closeReceived(message.fds);
    life.onExit = this.running(
      life,
      onExit,
      fds.map((_, index) => ({ fd: first + index, source: { kind: "received", index } })),
    );
    return true;
  }

  /** Logs a void that starts its work; `received` are a prepared void's message fds (a void made on arrival has them in its plan). */
  private logSpawn(v: VoidProcess, received: FdGrant[] = []): void {
    if (this.log.verbosity < 1) return;
    const name = v.plan.entrypoint;
    this.log.verbose(`entrypoint ${name}: host pid ${v.pid}; namespaces ${namespaceIds(v)}`);
    if (!this.mountsLogged.has(name)) {
      // The same for every void of an entrypoint: once.
      this.mountsLogged.add(name);
      this.log.verbose(`entrypoint ${name}: mounts ${mountsLine(v.plan)}`);
    }
    // A listener's address as it is (port 0 bound, a runtime or socket-activated address), not as planned.
    const actual = (f: FdGrant): FdGrant => (f.source.kind === "tcplistener" ? { ...f, source: { ...f.source, addr: this.wiring.listeningOn(name, f.fd) ?? f.source.addr } } : f);
    this.log.verbose(`entrypoint ${name}: fds ${fdsLine([...v.plan.fds, ...received].map(actual))}`);
  }

  async spawnTriggered(plan: VoidPlan, message: Message, onExit: () => void): Promise<void> {
    const ready = this.inState("ready", plan.entrypoint).sort((a, b) => a.readyAt - b.readyAt)[0];
    if (ready !== undefined && this.activate(ready, plan, message, onExit)) {
      this.refill(plan); // the next message's void is made while this one runs
      return;
    }
    this.refill(plan);
    // No prepared void: make one now, the same as a prepared one would be.
    const first = firstMessageFd(plan);
    const { argv, fds: extra } = messageArgv(plan, message, first);
    // A spec without a "Trigger" argument does not grant the message: its
    // fds stay out of the void (which still runs once per packet).
    if (message.kind === "fds" && extra.length === 0) closeReceived(message.fds);
    const received: FdGrant[] = extra.map((_, index) => ({ fd: first + index, source: { kind: "received", index } }));
    let life: VoidLife;
    try {
      // The trigger's own plan when the message brings no fds: its records are marshalled once (marshal.ts).
      life = this.prepare(received.length === 0 ? plan : { ...plan, fds: [...plan.fds, ...received] }, argv, extra);
    } catch (e) {
      closeReceived(extra);
      this.flood.line(`entrypoint ${plan.entrypoint}`, EXIT_LINES.dropped, `entrypoint ${plan.entrypoint}: ${e instanceof Error ? e.message : String(e)}; message dropped`);
      this.status = EXIT_LAUNCHER_FAILURE;
      onExit();
      return;
    }
    // The received fds are the void's now: close ours once it has them.
    life.resources.close.push(...extra);
    await this.spawnNow(life, onExit);
  }

  loopFinished(loop: TriggerLoop): void {
    for (const life of this.inState("ready", loop.name)) life.discard();
    this.wiring.release(`source:${loop.name}`);
    this.wiring.release(loop.name);
    this.checkDone();
  }

  /**
   * Asked of the voids' states whenever one changes. The run is over when
   * no void is being made or running, every trigger loop has ended, and
   * every prepared void has exited.
   *
   * The loops end by themselves, from the wiring: a loop ends at its
   * source's end-of-file, once every writer is gone — Startup voids that
   * exited, and triggered entrypoints whose own loop ended (their
   * templates are released then, their prepared voids discarded:
   * loopFinished). Only a cycle of triggers (src/orchestrator/wiring.ts
   * triggerCycle) keeps its ends open for ever that way; for a spec with
   * one, when no void is being made or running and no loop of it has a
   * message waiting, nothing can write to any loop again, so the templates
   * are released, the prepared voids discarded, and the loops end.
   */
  private checkDone(): void {
    if (this.starting || (this.voids.size > 0 && [...this.voids].some((l) => l.state === "preparing" || l.state === "running"))) return;
    const active = this.loops.filter((l) => !l.isFinished);
    if (active.length === 0) {
      this.stopPreparing();
      if (this.voids.size === 0) this.finish();
      return;
    }
    if (this.cycle.length === 0) return;
    const readable = this.addon.pollReadable(active.map((l) => l.fd));
    if (readable.every((r) => !r)) {
      this.log.debug(`no void is running and no trigger has a message: releasing the ends held for triggered voids (a cycle of triggers: ${this.cycle.join(" -> ")})`);
      this.wiring.releaseTemplates();
      // Prepared voids hold copies of those ends too.
      this.stopPreparing();
    }
  }

  /** Passes a signal on to every running void (SIGUSR1, SIGUSR2). */
  forward(sig: number): void {
    // Not to a prepared void: its void-init would hold the signal and pass it to an entrypoint started later.
    for (const life of this.inState("running")) life.process?.signal(sig);
  }

  shutdown(sig: number, escalate: boolean): void {
    const send = escalate ? os.signals.SIGKILL : sig;
    this.shutdownSignal = send;
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.opts.onStopping?.();
      this.stopPreparing();
      for (const loop of this.loops) loop.stop();
    }
    // Prepared voids were discarded above (they end by themselves), unless this is the second signal.
    const targets = [...this.voids].filter((l) => l.state === "running" || (escalate && (l.state === "ready" || l.state === "discarded"))).flatMap((l) => (l.process !== undefined ? [l.process] : []));
    const what = `received ${signalName(sig)}: sending ${signalName(send)} to ${targets.length} void(s)`;
    if (escalate || sig === os.signals.SIGTERM || sig === os.signals.SIGINT) this.log.info(escalate ? `${what}, now` : `${what} and waiting for them to end`);
    else this.log.verbose(what);
    for (const v of targets) v.signal(send);
  }

  async run(): Promise<number> {
    const startup = this.plans.filter((p) => p.trigger.kind === "Startup");
    const triggered = this.plans.filter((p) => p.trigger.kind !== "Startup");
    // Bind every Forward's host end and open every file before spawning
    // anything: a port in use or a missing file is an error with nothing
    // started.
    const lives: VoidLife[] = [];
    try {
      for (const plan of startup) {
        if (plan.forwards.length === 0) continue;
        const forwarder = await Forwarder.bind(plan, this.addon, this.log, this.flood);
        this.forwarders.set(plan.entrypoint, forwarder);
        for (const line of forwarder.describe()) this.log.verbose(`entrypoint ${plan.entrypoint}: forwarding ${line}`);
      }
      for (const plan of startup) {
        lives.push(
          this.prepare(
            plan,
            plan.argv.map((a) => (a.kind === "literal" ? a.value : "")),
            [],
          ),
        );
      }
    } catch (e) {
      for (const life of lives) {
        await life.release();
        this.voids.delete(life);
      }
      for (const f of this.forwarders.values()) f.close();
      this.wiring.closeAll();
      await this.streams.close();
      throw e;
    }
    this.starting = true; // not done until the loops exist
    const spawning = lives.map((life) => this.spawnNow(life));
    this.opts.whileSpawning?.();
    const spawned = await Promise.all(spawning);
    if (spawned.some((v) => v === undefined)) {
      // A Startup void could not be created: stop the others.
      for (const v of spawned) v?.signal(os.signals.SIGKILL);
      this.shuttingDown = true;
    }
    this.wiring.keepOnlyHeld(this.shuttingDown ? [] : triggered);
    if (!this.shuttingDown) {
      const bound = this.opts.concurrency ?? DEFAULT_CONCURRENCY;
      for (const plan of triggered) this.loops.push(new TriggerLoop(this, plan, this.wiring.sourceOf(plan), plan.limits.concurrency ?? bound, this.wiring.packetsOf(plan)));
      for (const plan of triggered) this.refill(plan);
      this.opts.onReady?.();
    }
    this.starting = false;
    this.checkDone();
    await this.finished;
    for (const f of this.forwarders.values()) f.close();
    this.broker.closeAll();
    this.wiring.closeAll();
    this.cgroups?.close();
    for (const fd of this.files.values()) closeSync(fd);
    await this.streams.close();
    // Last: the relays into trigger pipes may still have told of dropped messages.
    this.flood.endAll();
    return this.status;
  }
}

export async function runApplication(plans: VoidPlan[], opts: RunOptions): Promise<number> {
  const app = new Application(plans, opts);
  let interrupted = 0;
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const).map((name) => {
    const h = () => {
      if (name === "SIGUSR1" || name === "SIGUSR2") {
        app.forward(os.signals[name]);
        return;
      }
      interrupted++;
      // Stop taking messages and pass the signal on; a second interrupt
      // means "now": kill every void outright.
      app.shutdown(os.signals[name], interrupted > 1);
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

/**
 * What to add to a failure to make a void that ran out of memory or room
 * while it had a memory limit: a void is made inside its cgroup (its mounts
 * and the tmpfs under its root are charged to it), so its own limit is the
 * likely cause, and the error alone ("Not enough memory", or "No space
 * left on device" from the tmpfs) would not say so. The launcher, whose
 * memory the void's making shares until void-init runs, is never the
 * kernel's choice for that cgroup's OOM killer (a vfork child is not one).
 */
function madeUnderMemoryLimit(o: Outcome, plan: VoidPlan): string {
  const memory = plan.limits.memory;
  if (memory === undefined || (o.failureErrno !== os.errno.ENOMEM && o.failureErrno !== os.errno.ENOSPC)) return "";
  return ` (a void is made inside its memory limit, ${memory} bytes here: its mounts count against it)`;
}
