/**
 * A stand-in for the Launcher (src/orchestrator/launcher.ts VoidSpawner)
 * that runs each "void" as an ordinary process: the real void-init
 * (build/void-init) with the same arguments and fd layout the child of
 * native/void_spawn.c gives it — granted fds at their numbers, the status
 * pipe right above them, a prepared void's message socket after it — but
 * without namespaces, mounts, seccomp or a change of uid. So the whole
 * orchestration (wiring, triggers, prepared voids, the broker, exits and
 * signals) runs without root or user namespaces, and a test asserts on
 * the spawns it records. Without a network namespace of its own, a
 * "void"'s loopback is the host's: void-init's socket factory (Forward)
 * connects to the host's 127.0.0.1, so a test of Forward uses free ports;
 * Connect, whose sockets the child binds in the void's namespace, is
 * refused.
 */
import { type ChildProcess, spawn as spawnProcess } from "node:child_process";
import { closeSync, readSync } from "node:fs";
import { constants as os } from "node:os";
import type { WaitStatus } from "../../src/native/addon.js";
import { nativePaths } from "../../src/native/addon.js";
import { FdLayout } from "../../src/native/contract.js";
import { nativeAddon, type VoidEvents, type VoidProcess, type VoidSpawner } from "../../src/orchestrator/launcher.js";
import { PlanOption, type SpawnRequest } from "../../src/orchestrator/marshal.js";
import { type Outcome, outcomeOf, parseRecords, type StatusRecord } from "../../src/orchestrator/status.js";
import type { VoidPlan } from "../../src/plan/types.js";

/** What the stand-in saw: one entry per spawn, in order. */
export interface SpawnEvent {
  entrypoint: string;
  /** The argv asked for (a prepared void's real argv comes with its message). */
  argv: string[];
  prepared: boolean;
  pid: number;
}

class UnvoidedProcess implements VoidProcess {
  readonly namespaces: readonly number[] = [];
  readonly exited: Promise<Outcome>;
  private done = false;

  constructor(
    readonly id: number,
    private readonly child: ChildProcess,
    readonly plan: VoidPlan,
    statusFd: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.done = true;
        // As the kernel ends a PID namespace with its init: whatever void-init left (its own session and group) goes too.
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // Nothing was left.
        }
        // Every writer of the status pipe is gone with void-init (its child got it close-on-exec): read to the end.
        let text = "";
        const buf = Buffer.alloc(4096);
        for (;;) {
          let n = 0;
          try {
            n = readSync(statusFd, buf, 0, buf.length, null);
          } catch {
            break;
          }
          if (n === 0) break;
          text += buf.toString("utf8", 0, n);
        }
        closeSync(statusFd);
        const records: StatusRecord[] = parseRecords(text.endsWith("\n") || text === "" ? text : `${text}\n`);
        const wait: WaitStatus = signal !== null ? { signal: os.signals[signal] } : { code: code ?? 0 };
        resolve(outcomeOf(wait, records));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.done;
  }

  signal(sig: number): void {
    if (this.alive) this.child.kill(sig);
  }
}

export class UnvoidedSpawner implements VoidSpawner {
  readonly events: SpawnEvent[] = [];
  private readonly voids = new Set<UnvoidedProcess>();
  private nextId = 1_000_000;

  /**
   * `cwd`: where every "void" runs (it has the host's whole filesystem).
   * `late`: spawn() resolves only once the void has exited, as the addon's
   * may for a void that is gone at once (its exit event can come first).
   */
  constructor(
    private readonly cwd: string,
    private readonly late = false,
  ) {}

  /** For RunOptions.spawner. */
  static factory(cwd: string, late = false): { spawner: UnvoidedSpawner; make: (events: VoidEvents) => VoidSpawner } {
    const spawner = new UnvoidedSpawner(cwd, late);
    return { spawner, make: () => spawner };
  }

  get live(): VoidProcess[] {
    return [...this.voids];
  }

  async spawn(req: SpawnRequest): Promise<VoidProcess> {
    const { plan } = req;
    if (plan.connects.length > 0) throw new Error("the unvoided stand-in has no network namespace of its own: no Connect");
    // The child's layout (src/native/contract.ts FD_LAYOUT): grants at their
    // numbers, the status pipe above the highest, void-init's own fd next
    // (unused here), then the message socket where the factory would be.
    const top = Math.max(FdLayout.FirstGranted - 1, ...plan.fds.map((f) => f.fd));
    const status = top + FdLayout.StatusAboveGrants;
    const stdio: ("ignore" | number)[] = Array.from({ length: status + 3 }, () => "ignore");
    plan.fds.forEach((f, i) => {
      const host = req.hostFds[i]!;
      stdio[f.fd] = host < 0 ? "ignore" : host;
    });
    const [statusRead, statusWrite] = nativeAddon().pipe();
    stdio[status] = statusWrite;
    const factory = req.factoryFd !== undefined ? status + FdLayout.FactoryAboveStatus : -1;
    if (req.factoryFd !== undefined) stdio[factory] = req.factoryFd;
    const message = req.messageFd !== undefined ? (factory >= 0 ? factory + 1 : status + FdLayout.FactoryAboveStatus) : -1;
    if (req.messageFd !== undefined) stdio[message] = req.messageFd;
    stdio.length = Math.max(status, factory, message) + 1;
    const options = req.debug ? PlanOption.Debug : 0;
    // Node passes argv as text: a message's bytes go as UTF-8 here (the real launcher passes them as they are).
    const words = req.argv.map((a) => (typeof a === "string" ? a : a.toString("utf8")));
    const child = spawnProcess(nativePaths().init, [String(status), String(options), String(factory), String(message), plan.exec, ...words], {
      argv0: "void-init",
      cwd: this.cwd,
      // A session of its own, as the child of void_spawn.c makes (and a group to end with it).
      detached: true,
      env: Object.fromEntries(plan.environment.map((v) => [v.name, v.value])),
      stdio,
    });
    closeSync(statusWrite);
    if (child.pid === undefined) {
      closeSync(statusRead);
      const err = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw err;
    }
    const v = new UnvoidedProcess(this.nextId++, child, plan, statusRead);
    this.voids.add(v);
    void v.exited.then(() => this.voids.delete(v));
    this.events.push({ entrypoint: plan.entrypoint, argv: words, prepared: req.messageFd !== undefined, pid: v.pid });
    if (this.late && req.messageFd === undefined) await v.exited;
    return v;
  }
}
