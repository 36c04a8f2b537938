/**
 * Counting this process's open fds, for tests that check the launcher's
 * code leaves none behind.
 */
import { readdirSync } from "node:fs";

export const openFds = (): number => readdirSync("/proc/self/fd").length;

/**
 * The fd count once the closer threads have closed what earlier work gave
 * them (the addon closes some ends off the event loop): unchanged for 50 ms.
 */
export async function settledFds(): Promise<number> {
  let last = openFds();
  for (let stable = 0, i = 0; stable < 10 && i < 400; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const now = openFds();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}
