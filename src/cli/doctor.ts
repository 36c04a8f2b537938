/**
 * `void doctor`: can this machine build voids? Each check names the kernel
 * feature, whether it is here, and what void does without it; then a real
 * void is started to prove the whole recipe works for this launcher.
 */
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { loadAddon } from "../native/addon.js";
import { limitsSupport } from "../orchestrator/cgroups.js";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Required checks make `void doctor` fail. */
  required: boolean;
}

/**
 * When each feature reached mainline Linux. Verified against namespaces(7),
 * user_namespaces(7), clone(2), pidfd_open(2), close_range(2),
 * mount_setattr(2) and the kernel release dates (kernelnewbies.org).
 */
export const HISTORY: { feature: string; version: string; year: number; note?: string }[] = [
  { feature: "mount namespace (CLONE_NEWNS)", version: "2.4.19", year: 2002 },
  { feature: "UTS namespace (CLONE_NEWUTS)", version: "2.6.19", year: 2006 },
  { feature: "IPC namespace (CLONE_NEWIPC)", version: "2.6.19", year: 2006 },
  { feature: "user namespace (CLONE_NEWUSER)", version: "2.6.23", year: 2007, note: "usable unprivileged from 3.8 (2013)" },
  { feature: "PID namespace (CLONE_NEWPID)", version: "2.6.24", year: 2008 },
  { feature: "network namespace (CLONE_NEWNET)", version: "2.6.24", year: 2008, note: "complete around 2.6.29 (2009)" },
  { feature: "cgroup namespace (CLONE_NEWCGROUP)", version: "4.6", year: 2016 },
  { feature: "time namespace (CLONE_NEWTIME)", version: "5.6", year: 2020 },
  { feature: "clone3(2)", version: "5.3", year: 2019 },
  { feature: "pidfd_open(2)", version: "5.3", year: 2019 },
  { feature: "close_range(2)", version: "5.9", year: 2020 },
  { feature: "mount_setattr(2)", version: "5.12", year: 2021 },
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
  let features: ReturnType<ReturnType<typeof loadAddon>["hostFeatures"]> | undefined;
  try {
    features = loadAddon().hostFeatures();
  } catch (e) {
    checks.push({ name: "native addon", ok: false, required: true, detail: e instanceof Error ? e.message : String(e) });
  }
  if (features) {
    checks.push({ name: "clone3", ok: features.clone3, required: false, detail: features.clone3 ? "present (void uses clone(2) with CLONE_PIDFD, which needs 5.2)" : "absent" });
    checks.push({ name: "pidfds", ok: features.pidfd, required: true, detail: features.pidfd ? "present: exits are watched with pidfds" : "absent: void needs Linux >= 5.3" });
    checks.push({ name: "close_range", ok: features.closeRange, required: false, detail: features.closeRange ? "present" : "absent: fds are closed one by one (slower)" });
    checks.push({ name: "mount_setattr", ok: features.mountSetattr, required: false, detail: features.mountSetattr ? "present: binds are made read-only recursively" : "absent: falls back to MS_REMOUNT (submounts of a bind stay as they are)" });
  }
  const timeNs = existsSync("/proc/self/ns/time");
  checks.push({ name: "time namespaces", ok: timeNs, required: false, detail: timeNs ? "present: every void gets one" : "absent (Linux < 5.6): voids share the host's clocks" });
  const limits = limitsSupport();
  checks.push({ name: "resource limits", ok: limits.ok, required: false, detail: limits.ok ? limits.detail : `${limits.detail} (specs with Limits need --allow-unenforced-limits)` });
  const cg = cgroup2Mount();
  checks.push({ name: "cgroup v2", ok: cg !== undefined, required: false, detail: cg ? `mounted at ${cg}` : "not mounted: resource limits will not be available" });
  return checks;
}

export function kernelRelease(): string {
  return release();
}
