/**
 * Human-readable rendering of plans for `void check`.
 */
import { describeFd } from "../plan/describe.js";
import type { MountEntry, VoidPlan } from "../plan/types.js";

function mountLine(m: MountEntry): string {
  switch (m.type) {
    case "tmpfs":
      return `/  tmpfs (empty, read-only once built)`;
    case "devnull":
      return `/dev/null  bind of /dev/null (nosuid, noexec)`;
    case "device":
      return `${m.dest}  bind of the host's ${m.dest} (nosuid, noexec) [spec: DevRandom]`;
    case "proc":
      return `/proc  proc of the void's PID namespace (nosuid, nodev, noexec)`;
    case "symlink":
      return `${m.dest} -> ${m.target}  symlink [auto: ${m.origin}]`;
    case "bind": {
      const flags = [m.readOnly ? "ro" : "rw", "nosuid", "nodev"].join(",");
      const tag = m.origin === "spec" ? "[spec]" : `[auto: ${m.origin}${m.reason ? `: ${m.reason}` : ""}]`;
      const src = m.source === m.dest ? "" : `  from ${m.source}`;
      return `${m.dest}${src}  bind ${m.directory ? "dir" : "file"} (${flags}) ${tag}`;
    }
  }
}

export function describePlan(plan: VoidPlan): string {
  const t = plan.trigger;
  const lines = [
    `entrypoint ${plan.entrypoint}${t.kind === "Startup" ? " (started at startup)" : ` (a fresh void per message on ${t.kind} "${t.name}")`}`,
    `  exec         ${plan.exec}${plan.isStatic ? " (static)" : ""}`,
    `  argv         ${JSON.stringify(plan.argv.map((a) => (a.kind === "literal" ? a.value : "<trigger data>")))}`,
    `  environment  ${plan.environment.length === 0 ? "(empty)" : plan.environment.join(" ")}`,
    `  namespaces   ${plan.namespaces.join(" ")} (all new)`,
    `  uid map      ${plan.uidMap.map((m) => `${m.inside} -> host ${m.outside} (${m.count})`).join(", ")}; setgroups ${plan.setgroups}`,
    `  gid map      ${plan.gidMap.map((m) => `${m.inside} -> host ${m.outside} (${m.count})`).join(", ")}`,
    `  hostname     ${plan.hostname}, domain ${plan.domainname}`,
    `  privileges   no capabilities (all five sets empty), no_new_privs, dies with the launcher`,
    `  seccomp      ${plan.seccomp.mode === "unconfined" ? "none (SeccompUnconfined)" : `EPERM for ${plan.seccomp.deny.map((d) => d.name).sort().join(" ")}${plan.seccomp.denyNamespaceClone ? "; clone with namespace flags" : ""}`}`,
    ...(plan.loopback
      ? [
          `  network      its own loopback only (lo up: 127.0.0.1, ::1); no other interface`,
          ...plan.forwards.map((f) => `    forward    ${f.protocol.toUpperCase()} ${f.hostAddr} on the host -> 127.0.0.1:${f.environmentPort} in the void (relayed by the launcher)`),
        ]
      : []),
    `  fds`,
    ...plan.fds.map((f) => `    ${describeFd(f)}`),
    `  mounts`,
    ...plan.mounts.map((m) => `    ${mountLine(m)}`),
  ];
  return lines.join("\n");
}
