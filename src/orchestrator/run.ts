/**
 * A running application: every Startup entrypoint as a void, started
 * concurrently; signals forwarded; every void reaped; the exit status is the
 * last non-zero status of any void, else 0 (DESIGN §2).
 */
import { closeSync, openSync, readFileSync, readlinkSync } from "node:fs";
import { constants } from "node:os";
import type { FdGrant, VoidPlan } from "../plan/types.js";
import { Launcher, type RunningVoid } from "./launcher.js";
import type { Logger } from "./log.js";
import type { SpawnRequest } from "./marshal.js";
import { signalName } from "./status.js";

/** Exit status when void itself fails (like podman/docker's 125). */
export const EXIT_LAUNCHER_FAILURE = 125;

export interface RunOptions {
  debug: boolean;
  log: Logger;
}

export class UnsupportedError extends Error {}

/** Refuses a plan that uses features `void run` cannot provide yet. */
export function assertSupported(plans: VoidPlan[]): void {
  const missing = plans.flatMap((p) => p.unsupported);
  if (missing.length > 0) {
    throw new UnsupportedError(
      `this version of void cannot run this spec yet: pipes, file sockets, triggers, TCP listeners and RPC are planned and validated but not wired up:\n  ${missing.join("\n  ")}\n(nothing was started; 'void check' shows the full plan)`,
    );
  }
}

function describeFd(f: FdGrant): string {
  const s = f.source;
  switch (s.kind) {
    case "stdin":
    case "stdout":
    case "stderr":
      return `fd ${f.fd}: launcher's ${s.kind}`;
    case "devnull":
      return `fd ${f.fd}: /dev/null`;
    case "file":
      return `fd ${f.fd}: ${s.path} (read-only)`;
    case "pipe":
    case "filesocket":
      return `fd ${f.fd}: ${s.kind} ${s.direction} "${s.name}"`;
    case "tcplistener":
      return `fd ${f.fd}: TCP listener ${s.addr}`;
    case "rpc":
      return `fd ${f.fd}: RPC broker (${s.operations.join(", ")})`;
  }
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

/** Opens the launcher-side fds of one void; the caller closes them after spawning. */
function openFds(plan: VoidPlan): number[] {
  const opened: number[] = [];
  try {
    return plan.fds.map((f) => {
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
          opened.push(fd);
          return fd;
        }
        default:
          throw new UnsupportedError(`entrypoint ${plan.entrypoint}: fd ${f.fd} (${f.source.kind}) is not supported yet`);
      }
    });
  } catch (e) {
    for (const fd of opened) closeSync(fd);
    throw e;
  }
}

function literalArgv(plan: VoidPlan): string[] {
  return plan.argv.map((a) => {
    if (a.kind === "trigger") throw new UnsupportedError(`entrypoint ${plan.entrypoint}: Trigger arguments are not supported yet`);
    return a.value;
  });
}

export async function runApplication(plans: VoidPlan[], opts: RunOptions): Promise<number> {
  const { log } = opts;
  assertSupported(plans);
  const startup = plans.filter((p) => p.trigger.kind === "Startup");

  // Open everything before spawning anything: a missing file is an error
  // with nothing started.
  const requests: SpawnRequest[] = [];
  const toClose: number[] = [];
  try {
    for (const plan of startup) {
      const hostFds = openFds(plan);
      toClose.push(...hostFds.filter((fd) => fd > 2));
      requests.push({ plan, argv: literalArgv(plan), hostFds, debug: opts.debug });
    }
  } catch (e) {
    for (const fd of toClose) closeSync(fd);
    throw e;
  }

  const launcher = new Launcher({
    onStopped(v, nsPid) {
      const host = hostPidOfChild(v.pid);
      log.info(
        `entrypoint ${v.plan.entrypoint} stopped before execve: host pid ${host ?? "?"} (pid ${nsPid} in the void; void-init is host pid ${v.pid}). Attach a debugger, then resume it with: kill -CONT ${host ?? "<pid>"}`,
      );
    },
  });

  let status = 0;
  let interrupted = 0;
  const forward = (name: NodeJS.Signals) => {
    const sig = constants.signals[name];
    interrupted++;
    // A second interrupt means "now": kill every void outright.
    const send = interrupted > 1 && name !== "SIGHUP" ? constants.signals.SIGKILL : sig;
    log.verbose(`received ${name}: sending ${signalName(send)} to ${launcher.live.length} void(s)`);
    for (const v of launcher.live) v.signal(send);
  };
  const handlers: [NodeJS.Signals, () => void][] = (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const).map((s) => [s, () => forward(s)]);
  for (const [s, h] of handlers) process.on(s, h);

  const watch = (v: RunningVoid) =>
    v.exited.then((o) => {
      const who = `entrypoint ${v.plan.entrypoint} (pid ${v.pid})`;
      if (o.failure !== undefined) log.error(`entrypoint ${v.plan.entrypoint}: ${o.failure}`);
      else if (o.signal !== undefined) log.error(`${who} ${o.summary}`);
      else log.verbose(`${who} ${o.summary}`);
      if (o.status !== 0) status = o.status;
    });

  const spawned: RunningVoid[] = [];
  try {
    const results = await Promise.allSettled(requests.map((r) => launcher.spawn(r)));
    for (const r of results) if (r.status === "fulfilled") spawned.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) {
      log.error(`could not create a void: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
      for (const v of spawned) v.signal(constants.signals.SIGKILL);
      status = EXIT_LAUNCHER_FAILURE;
    }
  } finally {
    for (const fd of toClose) closeSync(fd);
  }
  for (const v of spawned) {
    log.verbose(`entrypoint ${v.plan.entrypoint}: host pid ${v.pid}; namespaces ${namespaceIds(v.pid, v.plan)}`);
    log.verbose(`entrypoint ${v.plan.entrypoint}: grants ${v.plan.fds.map(describeFd).join("; ")}`);
    const binds = v.plan.mounts.filter((m) => m.type === "bind" && m.origin === "spec");
    if (binds.length > 0) log.verbose(`entrypoint ${v.plan.entrypoint}: binds ${binds.map((m) => (m.type === "bind" ? `${m.source} -> ${m.dest} (${m.readOnly ? "ro" : "rw"})` : "")).join("; ")}`);
  }
  const failedToSpawn = status;
  await Promise.all(spawned.map(watch));
  for (const [s, h] of handlers) process.off(s, h);
  return failedToSpawn !== 0 ? failedToSpawn : status;
}
