/**
 * Counting this process's open fds and threads, for tests that check the
 * launcher's code leaves none behind.
 */
import { readdirSync, readFileSync } from "node:fs";

export const openFds = (): number => readdirSync("/proc/self/fd").length;

export const threadCount = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);

/**
 * `count()` once it has stopped moving (unchanged for 50 ms, 2 s at most):
 * the addon closes some ends and ends relay threads off the event loop.
 */
export async function settled(count: () => number): Promise<number> {
  let last = count();
  for (let stable = 0, i = 0; stable < 10 && i < 400; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const now = count();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

/** The fd count once the closer threads have closed what earlier work gave them. */
export const settledFds = (): Promise<number> => settled(openFds);
