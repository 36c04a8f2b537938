/**
 * `void doctor`: can this machine build voids? Each check names the kernel
 * feature, whether it is here, and what void does without it; then a real
 * void is started to prove the whole recipe works for this launcher.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { release } from "node:os";
import { join, relative } from "node:path";
import { cacheStatus } from "./plan-cache.js";
import { loadAddon, nativeBinaries, packageRoot } from "../native/addon.js";
import { buildAdvice, GLIBC_BASELINE, glibcProblem, type NativeBinaries, runtimeGlibc } from "../native/binaries.js";
import { limitsSupport } from "../orchestrator/cgroups.js";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Required checks make `void doctor` fail. */
  required: boolean;
}

/**
 * The oldest Linux void runs on: every void is reaped with waitid(P_PIDFD)
 * (5.4), which has no fallback. Everything newer that void uses has one
 * (see HISTORY's notes). README.md's requirements say the same; a unit test
 * (test/unit/doctor.test.ts) keeps them in step.
 */
export const MINIMUM_LINUX = "5.4";

/**
 * When each feature reached mainline Linux, oldest first (by year, then
 * version). Verified against namespaces(7), user_namespaces(7), clone(2),
 * waitid(2), pidfd_open(2), openat2(2), close_range(2), mount_setattr(2)
 * and the kernel release dates (kernelnewbies.org).
 */
export const HISTORY: { feature: string; version: string; year: number; note?: string }[] = [
  { feature: "mount namespace (CLONE_NEWNS)", version: "2.4.19", year: 2002 },
  { feature: "UTS namespace (CLONE_NEWUTS)", version: "2.6.19", year: 2006 },
  { feature: "IPC namespace (CLONE_NEWIPC)", version: "2.6.19", year: 2006 },
  { feature: "user namespace (CLONE_NEWUSER)", version: "2.6.23", year: 2007, note: "usable unprivileged from 3.8 (2013)" },
  { feature: "PID namespace (CLONE_NEWPID)", version: "2.6.24", year: 2008 },
  { feature: "network namespace (CLONE_NEWNET)", version: "2.6.24", year: 2008, note: "complete around 2.6.29 (2009)" },
  { feature: "cgroup namespace (CLONE_NEWCGROUP)", version: "4.6", year: 2016 },
  { feature: "pidfd_send_signal(2)", version: "5.1", year: 2019, note: "how void signals a void" },
  { feature: "clone(2) with CLONE_PIDFD", version: "5.2", year: 2019, note: "how void creates a void" },
  { feature: "open_tree(2), move_mount(2)", version: "5.2", year: 2019, note: "without them a bind goes through /proc/self/fd" },
  { feature: "pidfd_open(2), poll(2) on a pidfd", version: "5.3", year: 2019, note: "exits are watched with pidfds" },
  { feature: "clone3(2)", version: "5.3", year: 2019, note: "only the namespace-cost benchmark (cloneExit) uses it" },
  { feature: "waitid(2) P_PIDFD", version: "5.4", year: 2019, note: `how every void is reaped, no fallback: void needs Linux >= ${MINIMUM_LINUX}` },
  { feature: "time namespace (CLONE_NEWTIME)", version: "5.6", year: 2020, note: "without it voids share the host's clocks" },
  { feature: "openat2(2)", version: "5.6", year: 2020, note: "without it only the last component of a bind source or File is checked for a symlink" },
  { feature: "close_range(2)", version: "5.9", year: 2020, note: "without it fds are closed one by one" },
  { feature: "mount_setattr(2)", version: "5.12", year: 2021, note: "without it binds are made read-only by MS_REMOUNT, not recursively" },
];

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

function cgroup2Mount(): string | undefined {
  const mounts = readTrim("/proc/self/mounts") ?? "";
  for (const line of mounts.split("\n")) {
    const [, target, type] = line.split(" ");
    if (type === "cgroup2" && target !== undefined) return target;
  }
  return undefined;
}

/** Which native binaries void uses (src/native/binaries.ts), and the glibc the prebuilt ones need. */
export function binariesCheck(): Check {
  const glibc = runtimeGlibc();
  const libc = glibc !== undefined ? `this system's glibc is ${glibc}` : "this system has no glibc";
  let binaries: NativeBinaries;
  try {
    binaries = nativeBinaries();
  } catch (e) {
    return { name: "native binaries", ok: false, required: true, detail: `${e instanceof Error ? e.message : String(e)} (${libc})` };
  }
  const where = relative(packageRoot(), binaries.dir);
  if (binaries.source === "built") {
    return { name: "native binaries", ok: true, required: true, detail: `built on this machine (${where}/); prebuilt ones need glibc >= ${GLIBC_BASELINE}, ${libc}` };
  }
  const problem = glibcProblem(glibc, `${process.platform}-${process.arch}`);
  return {
    name: "native binaries",
    ok: problem === undefined,
    required: true,
    detail: `prebuilt (${where}/, for glibc >= ${GLIBC_BASELINE}); ${problem ?? libc}${problem !== undefined ? `; ${buildAdvice(packageRoot())}` : ""}`,
  };
}

/**
 * What the `void` command is (docs/architecture.md, "The native front
 * end"): a link to the native front end itself (an npm install whose
 * postinstall ran, scripts/postinstall.cjs), or bin/void's script, whose
 * shell part runs the front end first; either way, whether there is a
 * front end for this machine at all.
 */
export function commandCheck(binaries: NativeBinaries | undefined): Check {
  const root = packageRoot();
  const bin = join(root, "bin", "void");
  const link = lstatSync(bin, { throwIfNoEntry: false })?.isSymbolicLink() ? readlinkSync(bin) : undefined;
  if (link !== undefined) return { name: "void command", ok: true, required: false, detail: `bin/void is the native front end (a link to ${link}): a cached void run starts neither a shell nor Node` };
  const built = join(root, "build", "void-run-fast");
  const front = existsSync(built) ? built : binaries !== undefined && existsSync(binaries.front) ? binaries.front : undefined;
  if (front === undefined) return { name: "void command", ok: false, required: false, detail: "bin/void is a script and there is no native front end for this machine: every command runs Node" };
  return {
    name: "void command",
    ok: true,
    required: false,
    detail: `bin/void is a script whose shell part runs the native front end (${relative(root, front)}); a link named void to the front end skips the shell (~0.7 ms)${existsSync(join(root, "build", "void")) ? ": build/void is one" : ""}`,
  };
}

export function hostChecks(): Check[] {
  const uid = process.getuid?.() ?? 0;
  const checks: Check[] = [];
  const maxUserNs = Number.parseInt(readTrim("/proc/sys/user/max_user_namespaces") ?? "-1", 10);
  const debianKnob = readTrim("/proc/sys/kernel/unprivileged_userns_clone");
  const apparmorKnob = readTrim("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  const unprivOk = maxUserNs !== 0 && debianKnob !== "0" && apparmorKnob !== "1";
  checks.push({
    name: "unprivileged user namespaces",
    ok: unprivOk,
    required: uid !== 0,
    detail: `user.max_user_namespaces=${maxUserNs}${debianKnob !== undefined ? `, kernel.unprivileged_userns_clone=${debianKnob}` : ""}${apparmorKnob !== undefined ? `, kernel.apparmor_restrict_unprivileged_userns=${apparmorKnob}` : ""}${unprivOk ? "" : " — non-root launchers cannot create voids"}`,
  });
  const binaries = binariesCheck();
  checks.push(binaries);
  let features: ReturnType<ReturnType<typeof loadAddon>["hostFeatures"]> | undefined;
  try {
    // Without binaries the check above has said why: once is enough.
    if (binaries.ok) features = loadAddon().hostFeatures();
  } catch (e) {
    checks.push({ name: "native addon", ok: false, required: true, detail: e instanceof Error ? e.message : String(e) });
  }
  if (features) {
    checks.push({
      name: "clone3",
      ok: features.clone3,
      required: false,
      detail: features.clone3 ? "present (void creates voids with clone(2) and CLONE_PIDFD, Linux 5.2)" : "absent (void does not need it)",
    });
    const pidfds = features.pidfd && features.waitidPidfd;
    checks.push({
      name: "pidfds",
      ok: pidfds,
      required: true,
      detail: pidfds ? "present: exits are watched with pidfds and reaped with waitid(P_PIDFD)" : `absent (${features.pidfd ? "waitid(P_PIDFD)" : "pidfd_open"}): void needs Linux >= ${MINIMUM_LINUX}`,
    });
    checks.push({
      name: "openat2",
      ok: features.openat2,
      required: false,
      detail: features.openat2
        ? "present: bind sources and File grants are opened refusing a symlink in any component"
        : "absent (Linux < 5.6): only their last component is checked for a symlink (a bind source's device and inode are still checked)",
    });
    checks.push({ name: "close_range", ok: features.closeRange, required: false, detail: features.closeRange ? "present" : "absent: fds are closed one by one (slower)" });
    checks.push({
      name: "mount_setattr",
      ok: features.mountSetattr,
      required: false,
      detail: features.mountSetattr ? "present: binds are made read-only recursively" : "absent: falls back to MS_REMOUNT (submounts of a bind stay as they are)",
    });
  }
  const timeNs = existsSync("/proc/self/ns/time");
  checks.push({ name: "time namespaces", ok: timeNs, required: false, detail: timeNs ? "present: every void gets one" : "absent (Linux < 5.6): voids share the host's clocks" });
  const limits = limitsSupport();
  checks.push({ name: "resource limits", ok: limits.ok, required: false, detail: limits.ok ? limits.detail : `${limits.detail} (specs with Limits need --allow-unenforced-limits)` });
  const cg = cgroup2Mount();
  checks.push({ name: "cgroup v2", ok: cg !== undefined, required: false, detail: cg ? `mounted at ${cg}` : "not mounted: resource limits will not be available" });
  if (features) {
    // The plan cache (docs/architecture.md, "The native front end"): without it every void run plans in Node.
    const cache = cacheStatus();
    checks.push({ name: "plan cache", ok: cache.ok, required: false, detail: cache.ok ? cache.detail : `${cache.detail} — every void run plans in Node` });
  }
  let selected: NativeBinaries | undefined;
  try {
    selected = nativeBinaries();
  } catch {
    // said by the native binaries check
  }
  checks.push(commandCheck(selected));
  return checks;
}

export function kernelRelease(): string {
  return release();
}
