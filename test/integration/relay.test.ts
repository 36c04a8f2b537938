/**
 * The addon's output hubs (native/addon/relay.c, relay(from, to, true)):
 * many pipes relayed into one destination by one thread. Runs in-process
 * against the real addon (no root needed).
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nativeAddon, relayFd } from "../../src/orchestrator/launcher.js";

const addon = nativeAddon();
const dir = mkdtempSync(join(tmpdir(), "void-relay-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const openFds = () => readdirSync("/proc/self/fd").length;

/** The fd count once the closer threads have closed what the relays gave them: unchanged for 50 ms. */
async function settledFds(): Promise<number> {
  let last = openFds();
  for (let stable = 0, i = 0; stable < 10 && i < 400; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const now = openFds();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

/** Resolves with how long `p` took, or rejects after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  clearTimeout(timer);
  return Date.now() - started;
}

describe("output hubs: many pipes relayed into one destination by one thread", () => {
  it("copies every pipe whole, in order per pipe, ends each at its EOF, and leaves no fd behind", async () => {
    const file = join(dir, "out");
    const out = openSync(file, "w");
    // The hub for `out` is made by the first relay into it and stays (its epoll and wake pipe).
    const [r0, w0] = addon.pipe();
    const first = relayFd(r0, out, true).ended;
    closeSync(r0);
    closeSync(w0);
    await first;
    const before = await settledFds();
    const relays: Promise<void>[] = [];
    const writers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [r, w] = addon.pipe();
      relays.push(relayFd(r, out, true).ended);
      closeSync(r);
      writers.push(w);
    }
    // Interleaved lines from every pipe; a pipe's own lines keep their order.
    for (let k = 0; k < 50; k++) for (const [i, w] of writers.entries()) writeSync(w, `pipe ${i} line ${k}\n`);
    for (const w of writers) closeSync(w);
    await within(Promise.all(relays), 10_000, "every relay's end");
    assert.equal(await settledFds(), before, "the relays' copies are closed");
    closeSync(out);
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 20 * 50);
    for (let i = 0; i < 20; i++) {
      const own = lines.filter((l) => l.startsWith(`pipe ${i} `));
      assert.deepEqual(
        own,
        Array.from({ length: 50 }, (_, k) => `pipe ${i} line ${k}`),
      );
    }
  });

  it("a stop ends one relay at once, its unread bytes dropped, also while the destination is full; the others go on", async () => {
    // A non-blocking destination that nobody reads: the hub waits for room.
    const [dr, dw] = addon.pipe();
    addon.setBlocking(dw, false);
    const [r1, w1] = addon.pipe();
    const stuck = relayFd(r1, dw, true);
    closeSync(r1);
    addon.setBlocking(w1, false);
    let sent = 0;
    try {
      for (;;) sent += writeSync(w1, Buffer.alloc(65536, 0x61));
    } catch {
      // EAGAIN: both pipes are full
    }
    assert.ok(sent > 0);
    await new Promise((r) => setTimeout(r, 50));
    stuck.stop();
    await within(stuck.ended, 2000, "the stopped relay's end");
    // Another relay into the same destination still works once there is room.
    const [r2, w2] = addon.pipe();
    const next = relayFd(r2, dw, true);
    closeSync(r2);
    writeSync(w2, "after\n");
    closeSync(w2);
    // Reading the destination makes room: what the stopped relay had not written is gone, the next relay's line comes.
    addon.setBlocking(dr, false);
    const buf = Buffer.alloc(65536);
    let tail = "";
    for (const deadline = Date.now() + 5000; !tail.endsWith("after\n") && Date.now() < deadline; ) {
      try {
        const n = readSync(dr, buf);
        tail = (tail + buf.toString("latin1", 0, n)).slice(-16);
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    assert.ok(tail.endsWith("aaaaafter\n") || tail === "after\n", JSON.stringify(tail));
    await within(next.ended, 5000, "the next relay's end");
    closeSync(w1);
    closeSync(dr);
    closeSync(dw);
  });

  it("more destinations at once than hubs: each relay still copies and ends (a thread of its own past the hubs)", async () => {
    for (let round = 0; round < 2; round++) {
      // Destinations that are pipes too, read here once every relay has ended; 24 > the 16 hubs.
      const dests = Array.from({ length: 24 }, () => addon.pipe());
      // Every relay made before any ends: the 17th and later find every hub busy. In round 1 the hubs are idle and taken again.
      const relays = dests.map(([, dw]) => {
        const [r, w] = addon.pipe();
        const relay = relayFd(r, dw, true);
        closeSync(r);
        return { w, ended: relay.ended };
      });
      relays.forEach(({ w }, i) => {
        writeSync(w, `to ${i} round ${round}\n`);
        closeSync(w);
      });
      await within(Promise.all(relays.map((r) => r.ended)), 10_000, "every relay's end");
      const buf = Buffer.alloc(256);
      dests.forEach(([dr, dw], i) => {
        closeSync(dw);
        assert.equal(buf.toString("utf8", 0, readSync(dr, buf)), `to ${i} round ${round}\n`);
        closeSync(dr);
      });
    }
  });

  it("relays only pipes", () => {
    const out = openSync(join(dir, "not-a-pipe"), "w");
    try {
      assert.throws(() => relayFd(out, out, true), /EINVAL|Invalid argument/);
    } finally {
      closeSync(out);
    }
  });
});
