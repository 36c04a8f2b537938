/**
 * Prepared voids: a trigger's next void, made before its message arrives.
 *
 * A void per message costs its namespaces, mounts and seccomp filter
 * (docs/performance.md); none of that depends on the message. So for each
 * trigger the launcher keeps `--prepare N` voids (default 1) fully built
 * and waiting: their void-init blocks on a message socket before the
 * entrypoint exists. When a message arrives, one waiting void gets it —
 * the entrypoint's whole argv (where the message text or the received fds'
 * numbers are substituted) and the fds — as one SOCK_SEQPACKET packet;
 * void-init puts the fds in place, closes the socket and starts the
 * entrypoint (native/void_init.c). A void still serves exactly one
 * message and is never reused or shared; only its construction moved
 * ahead. What cannot be known ahead — the message — is the only thing
 * sent afterwards, and it is what a void made on arrival would get too.
 *
 * A prepared void nobody needs (the trigger reached end of file, the
 * application ends) is discarded by closing the socket: void-init exits
 * at once with 0, having started nothing.
 */
import { FdLayout, Limit } from "../native/contract.js";
import type { VoidPlan } from "../plan/types.js";
import { type ArgvWord, argBytes } from "./marshal.js";
import type { Message } from "./trigger.js";

/** Default number of voids made ahead per trigger (`void run --prepare N`). */
export const DEFAULT_PREPARED = 1;

/** Largest message packet (the entrypoint's whole argv): the contract's VOID_MESSAGE_MAX_BYTES. A longer argv is spawned the ordinary way. */
export const MESSAGE_MAX_BYTES = Limit.MessageMaxBytes;

/**
 * Where a message's fds go in the void (the contract's fd layout,
 * src/native/contract.ts FD_LAYOUT): from where void-init's status pipe
 * sits until the message comes, right above the plan's fds (never below
 * the first granted fd: the standard streams always exist).
 */
export function firstMessageFd(plan: VoidPlan): number {
  const status = Math.max(FdLayout.FirstGranted - 1, ...plan.fds.map((f) => f.fd)) + FdLayout.StatusAboveGrants;
  return status + FdLayout.MessageFdsAboveStatus;
}

/** The packet for a prepared void: argv strings, each NUL-terminated; null when too long or too many for void-init. */
export function encodeMessage(argv: readonly ArgvWord[]): Buffer | null {
  if (argv.length === 0 || argv.length > Limit.MessageMaxArgs) return null;
  const packet = Buffer.concat(argv.map((a) => (typeof a === "string" ? Buffer.from(`${a}\0`, "utf8") : argBytes(a))));
  return packet.length <= MESSAGE_MAX_BYTES ? packet : null;
}

/** The argv for one message, with the fds it passes in (FileSocket) numbered from `firstFd`. */
export function messageArgv(plan: VoidPlan, message: Message, firstFd: number): { argv: ArgvWord[]; fds: number[] } {
  if (message.kind === "text") return { argv: plan.argv.map((a) => (a.kind === "literal" ? a.value : message.bytes)), fds: [] };
  const granted = plan.argv.some((a) => a.kind !== "literal");
  const numbers = message.fds.map((_, i) => String(firstFd + i));
  return {
    argv: plan.argv.flatMap((a) => (a.kind === "literal" ? [a.value] : numbers)),
    fds: granted ? message.fds : [],
  };
}
