/**
 * Pacing what a void makes the launcher do outside the void's cgroup.
 *
 * The launcher's CPU is nobody's cgroup but its own: a void held to
 * `cpu_max: 0.1` can still have the launcher answer requests it refuses,
 * read messages it drops, or accept and relay connections it opens and
 * closes in a loop, as fast as the launcher can (outside attacks 43, 46,
 * 47, 48). Each such source (one void's broker socket, one trigger, one
 * void's Connect grants) keeps a SecondBudget: what its work costs is
 * charged as it happens, and once a second's budget is spent the source
 * is read again only when that second is over. Whoever waits does so in
 * the kernel (a socket's buffer, a pipe, a listening socket's backlog), as
 * at any concurrency bound; nothing is dropped for it, and an honest
 * program stays under the budget.
 */

/**
 * Connections and UDP flows or sockets one void may open through the
 * launcher per second: a Connect grant's connections and flows (all its
 * grants together), and the broker's granted requests. Each costs the
 * launcher sockets, a connect and their closes (~0.8 ms for a relayed
 * Connect connection): a void opening and closing connections in a loop
 * under `cpu_max: 0.1` had the launcher spend 4.8 s of CPU in 10 s here
 * (5–7 s in outside attack 47), 1.1 s at 128 a second. A client that
 * opens more waits for the next second.
 */
export const OPENS_PER_SECOND = 128;

export class SecondBudget {
  private start = Number.NEGATIVE_INFINITY;
  private spent = 0;

  constructor(readonly perSecond: number) {}

  /**
   * `units` more spent at `now` (performance.now()): the time (the same
   * clock) until which the source waits, or 0 when it need not. The
   * second runs from the first charge after the last one ended.
   */
  charge(units: number, now: number = performance.now()): number {
    if (now - this.start >= 1000) {
      this.start = now;
      this.spent = 0;
    }
    this.spent += units;
    return this.spent >= this.perSecond ? this.start + 1000 : 0;
  }

  /** Until when (performance.now()) the source waits now: 0 when its budget is not spent. */
  pausedUntil(now: number = performance.now()): number {
    return now - this.start < 1000 && this.spent >= this.perSecond ? this.start + 1000 : 0;
  }
}

/**
 * Calls `then` once performance.now() has reached `until`, by timers
 * (re-armed while the event loop's timer clock, which may lag behind
 * performance.now() after a busy stretch, says it is early). `track`
 * gets each timer as it is set, so the caller can clear the pending one.
 */
export function whenPast(until: number, then: () => void, track: (timer: ReturnType<typeof setTimeout>) => void): void {
  const check = () => {
    const left = until - performance.now();
    if (left > 0) track(setTimeout(check, Math.ceil(left)));
    else then();
  };
  track(setTimeout(check, Math.max(0, Math.ceil(until - performance.now()))));
}
