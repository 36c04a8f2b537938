/**
 * The seccomp filter of a void (pure). Every void gets a default filter
 * that makes the system calls no void needs fail with EPERM: the kernel's
 * own attack surface that namespaces do not close. A spec's
 * {"Seccomp": {"allow": [...], "deny": [...]}} adjusts the list;
 * "SeccompUnconfined" opts out. The native layer turns the plan into a BPF
 * program (native/seccomp_filter.h, installed by native/void_spawn.c).
 *
 * Why a small generator instead of libseccomp: the filter is a deny list
 * (searched as a binary tree, at most 3 instructions per call) plus one
 * argument check; generating it in the child needs no allocation and no
 * library inside or outside the void; it is checked for every system call
 * number by a BPF interpreter in the unit tests, and from inside a void
 * like every other property.
 */
import type { Grant } from "../spec/types.js";
import { X86_64_SYSCALLS } from "../spec/syscalls.js";

/**
 * Denied by default, with the reason for each group. A void keeps
 * everything an ordinary program uses: files it was given, sockets it
 * already holds or creates (it has no network), fork/exec, signals to its
 * own processes, time, memory.
 */
export const DEFAULT_DENY: readonly string[] = [
  // Mounts and namespaces: a void's view of the world is fixed.
  "mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
  "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
  // Kernel keyrings, BPF, perf, userfaultfd: large attack surfaces.
  "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
  // io_uring bypasses seccomp for the operations it performs.
  "io_uring_setup", "io_uring_enter", "io_uring_register",
  // Looking into other processes.
  "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
  // Kernel modules, kexec, reboot, swap, accounting, quotas, the kernel log.
  "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
  "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
  // The system clock and old I/O privileges.
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm",
  // File handles (open_by_handle_at escaped containers before), misc.
  "name_to_handle_at", "open_by_handle_at", "lookup_dcookie", "uselib", "vhangup",
  "sethostname", "setdomainname",
];

export type SeccompPlan =
  | { mode: "unconfined" }
  | {
      mode: "filter";
      arch: "x86_64";
      /** System calls that fail with EPERM, by name and number, ascending by number without repeats: native/seccomp_filter.h searches them as a binary tree. */
      deny: { name: string; nr: number }[];
      /** clone() with any CLONE_NEW* flag fails with EPERM, and clone3() with ENOSYS (its flags cannot be inspected; libc falls back to clone). Off when "unshare" is allowed. */
      denyNamespaceClone: boolean;
    };

/** The filter for an entrypoint's grants, or an error message. */
export function planSeccomp(environment: readonly Grant[], arch: string): SeccompPlan | { error: string } {
  if (environment.some((g) => g.kind === "SeccompUnconfined")) return { mode: "unconfined" };
  if (arch !== "x64") {
    return { error: `seccomp filters are implemented for x86_64 only, not ${arch}: add "SeccompUnconfined" to the environment to run without one` };
  }
  const adjust = environment.find((g) => g.kind === "Seccomp");
  const allow = adjust?.kind === "Seccomp" ? adjust.allow : [];
  const extra = adjust?.kind === "Seccomp" ? adjust.deny : [];
  const names = new Set([...DEFAULT_DENY.filter((n) => !allow.includes(n)), ...extra]);
  return {
    mode: "filter",
    arch: "x86_64",
    deny: [...names].map((name) => ({ name, nr: X86_64_SYSCALLS[name]! })).sort((a, b) => a.nr - b.nr),
    denyNamespaceClone: !allow.includes("unshare"),
  };
}
