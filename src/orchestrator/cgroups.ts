/**
 * A cgroup per void, for resource limits ({"Limits": {...}} in a spec).
 *
 * Each void with a memory, pids or CPU limit gets its own leaf, made and
 * limited by the launcher before the void exists; the void's first
 * process joins it itself (native/void_spawn.c, join_cgroups) before
 * anything runs in the void, and the leaf is removed after the void has
 * exited. Leaves live under `void-<launcher pid>` inside the launcher's
 * own cgroup, so limits nest inside whatever limits the launcher has.
 *
 * cgroup v2 is used for a controller when the launcher's v2 cgroup can
 * hand it to children; otherwise the controller's cgroup v1 hierarchy is
 * used (hybrid machines such as this project's CI mount memory, pids and
 * cpu as v1). A launcher that cannot create cgroups there (an
 * unprivileged one without a delegated subtree) cannot enforce limits:
 * `void run` refuses such a spec unless --allow-unenforced-limits.
 */
import { accessSync, existsSync, constants as fsConstants, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceLimits } from "../spec/types.js";

export type Controller = "memory" | "pids" | "cpu";

interface Hierarchy {
  version: 1 | 2;
  /** The directory under which this launcher's void cgroups are made. */
  parent: string;
  controllers: Controller[];
}

export class CgroupError extends Error {}

/** Which controllers a set of limits needs. */
export function controllersFor(l: ResourceLimits): Controller[] {
  const c = new Set<Controller>();
  if (l.memory !== undefined || l.memorySwap !== undefined) c.add("memory");
  if (l.pids !== undefined) c.add("pids");
  if (l.cpuWeight !== undefined || l.cpuMax !== undefined) c.add("cpu");
  return [...c];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Mount points of cgroup hierarchies: v2's, and v1's per controller. */
function mounts(): { v2?: string; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of (read("/proc/self/mounts") ?? "").split("\n")) {
    const [, target, type, options] = line.split(" ");
    if (target === undefined || options === undefined) continue;
    if (type === "cgroup2") v2 ??= target;
    if (type === "cgroup") for (const o of options.split(",")) if (["memory", "pids", "cpu"].includes(o)) v1.set(o, target);
  }
  return { ...(v2 !== undefined ? { v2 } : {}), v1 };
}

/** This process's cgroup path per hierarchy ("0" = v2, else the v1 controller list). */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of (read("/proc/self/cgroup") ?? "").split("\n")) {
    const m = line.match(/^(\d+):([^:]*):(.*)$/);
    if (m === null) continue;
    if (m[1] === "0") own.set("v2", m[3]!);
    else for (const c of m[2]!.split(",")) own.set(c, m[3]!);
  }
  return own;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class Cgroups {
  private readonly made = new Set<string>();
  private counter = 0;

  private constructor(private readonly hierarchies: Hierarchy[]) {}

  /** Finds a place for every controller needed, or explains why there is none. */
  static open(needed: Controller[]): Cgroups {
    const m = mounts();
    const own = ownCgroups();
    const tag = `void-${process.pid}`;
    const hierarchies: Hierarchy[] = [];
    const missing: string[] = [];
    let rest = [...needed];
    if (m.v2 !== undefined) {
      const base = join(m.v2, own.get("v2") ?? "/");
      // v2 can give children a controller only if this cgroup has it
      // enabled for its subtree (which needs it to hold no processes, or
      // be the root): usable = listed in subtree_control.
      const enabled = (read(join(base, "cgroup.subtree_control")) ?? "").trim().split(/\s+/);
      const usable = rest.filter((c) => enabled.includes(c));
      if (usable.length > 0 && writable(base)) {
        hierarchies.push({ version: 2, parent: join(base, tag), controllers: usable });
        rest = rest.filter((c) => !usable.includes(c));
      }
    }
    for (const c of rest) {
      const mount = m.v1.get(c);
      const base = mount === undefined ? undefined : join(mount, own.get(c) ?? "/");
      if (base === undefined || !existsSync(base)) {
        missing.push(`${c}: no cgroup v2 delegation and no v1 hierarchy`);
        continue;
      }
      if (!writable(base)) {
        missing.push(`${c}: cannot create cgroups in ${base} (not delegated to uid ${process.getuid?.()})`);
        continue;
      }
      const same = hierarchies.find((h) => h.version === 1 && h.parent === join(base, tag));
      if (same) same.controllers.push(c);
      else hierarchies.push({ version: 1, parent: join(base, tag), controllers: [c] });
    }
    if (missing.length > 0) throw new CgroupError(`resource limits cannot be enforced here: ${missing.join("; ")}`);
    return new Cgroups(hierarchies);
  }

  /** Makes and limits the cgroups of one void. */
  create(limits: ResourceLimits): Leaf {
    const name = String(++this.counter);
    const dirs: { dir: string; h: Hierarchy }[] = [];
    try {
      for (const h of this.hierarchies) {
        const wanted = controllersFor(limits).filter((c) => h.controllers.includes(c));
        if (wanted.length === 0) continue;
        if (!this.made.has(h.parent)) {
          mkdirSync(h.parent, { recursive: true });
          this.made.add(h.parent);
          if (h.version === 2) writeFileSync(join(h.parent, "cgroup.subtree_control"), h.controllers.map((c) => `+${c}`).join(" "));
        }
        const dir = join(h.parent, name);
        mkdirSync(dir);
        dirs.push({ dir, h });
        applyLimits(dir, h.version, wanted, limits);
      }
    } catch (e) {
      for (const d of dirs) removeDir(d.dir);
      throw new CgroupError(`cannot set up the void's cgroup: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new Leaf(dirs);
  }

  /** Removes the per-launcher parents (after every leaf is gone). */
  close(): void {
    for (const dir of this.made) removeDir(dir);
    this.made.clear();
  }
}

function applyLimits(dir: string, version: 1 | 2, controllers: Controller[], l: ResourceLimits): void {
  const set = (file: string, value: string | number) => writeFileSync(join(dir, file), String(value));
  if (controllers.includes("memory") && l.memory !== undefined) {
    const swap = l.memorySwap ?? 0;
    if (version === 2) {
      set("memory.max", l.memory);
      if (existsSync(join(dir, "memory.swap.max"))) set("memory.swap.max", swap);
    } else {
      set("memory.limit_in_bytes", l.memory);
      if (existsSync(join(dir, "memory.memsw.limit_in_bytes"))) set("memory.memsw.limit_in_bytes", l.memory + swap);
      // v1 charges a cgroup's TCP buffers only once this is written (v2
      // always does, to memory.max); else they come from the host's one TCP
      // budget (net.ipv4.tcp_mem), where a void of 32M queued 600 MB in
      // loopback connections it never read.
      if (existsSync(join(dir, "memory.kmem.tcp.limit_in_bytes"))) set("memory.kmem.tcp.limit_in_bytes", l.memory);
    }
  }
  if (controllers.includes("pids") && l.pids !== undefined) set("pids.max", l.pids);
  if (controllers.includes("cpu")) {
    const period = 100_000;
    if (version === 2) {
      if (l.cpuWeight !== undefined) set("cpu.weight", l.cpuWeight);
      if (l.cpuMax !== undefined) set("cpu.max", `${Math.max(1000, Math.round(l.cpuMax * period))} ${period}`);
    } else {
      if (l.cpuWeight !== undefined) set("cpu.shares", Math.max(2, Math.round((l.cpuWeight * 1024) / 100)));
      if (l.cpuMax !== undefined) {
        set("cpu.cfs_period_us", period);
        set("cpu.cfs_quota_us", Math.max(1000, Math.round(l.cpuMax * period)));
      }
    }
  }
}

function removeDir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/** The cgroups of one void. */
export class Leaf {
  constructor(private readonly dirs: { dir: string; h: Hierarchy }[]) {}

  /** Open cgroup.procs files for the void to join (close after spawning). */
  openProcs(): number[] {
    return this.dirs.map((d) => openSync(join(d.dir, "cgroup.procs"), "w"));
  }

  /** Whether the kernel's OOM killer killed something in this void. */
  oomKilled(): boolean {
    for (const { dir, h } of this.dirs) {
      if (!h.controllers.includes("memory")) continue;
      const text = read(join(dir, h.version === 2 ? "memory.events" : "memory.oom_control")) ?? "";
      const m = text.match(/^oom_kill (\d+)$/m);
      if (m && Number(m[1]) > 0) return true;
    }
    return false;
  }

  /** Removes the leaves once the void's last process is gone (retries for ~2 s). */
  async remove(): Promise<void> {
    for (const { dir } of this.dirs) {
      for (let i = 0; i < 200 && !removeDir(dir); i++) await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** For tests and `void doctor`: can this launcher enforce memory, pids and cpu limits? */
export function limitsSupport(): { ok: boolean; detail: string } {
  try {
    Cgroups.open(["memory", "pids", "cpu"]);
    return { ok: true, detail: "memory, pids and cpu limits can be enforced" };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}
