/**
 * The addon's relays (native/addon/relay.c): many voids' pipes copied into
 * one destination, a thread each; a Pipe Tx's relays (pipeTx) write one
 * packet at a time and pass a gone reader's EPIPE on. Runs in-process
 * against the real addon (no root needed).
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nativeAddon, relayFd } from "../../src/orchestrator/launcher.js";
import { settledFds } from "../support/fds.js";

const addon = nativeAddon();
// As the launcher does before any void: the first closer, its timer and the placeholder fd it keeps exist before any
// fd is counted (native/addon/relay.c).
addon.closeLater([]);
const dir = mkdtempSync(join(tmpdir(), "void-relay-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves with how long `p` took, or rejects after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  clearTimeout(timer);
  return Date.now() - started;
}

describe("relays: many pipes into one destination", () => {
  it("copies every pipe whole, in order per pipe, ends each at its EOF, and leaves no fd behind", async () => {
    const file = join(dir, "out");
    const out = openSync(file, "w");
    const before = await settledFds();
    const relays: Promise<unknown>[] = [];
    const writers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [r, w] = addon.pipe();
      relays.push(relayFd(r, out).ended);
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
    // A non-blocking destination that nobody reads: the relay waits for room.
    const [dr, dw] = addon.pipe();
    addon.setBlocking(dw, false);
    const [r1, w1] = addon.pipe();
    const stuck = relayFd(r1, dw);
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
    const next = relayFd(r2, dw);
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

  it("pipeTx: a destination whose reader is gone ends the relay and its writer gets EPIPE (a Pipe Tx); without, what comes is dropped (output)", async () => {
    for (const passEpipe of [true, false]) {
      const [dr, dw] = addon.pipe();
      closeSync(dr); // the Pipe's reader is gone
      const [r, w] = addon.pipe();
      const relay = relayFd(r, dw, passEpipe);
      closeSync(r);
      writeSync(w, "into a pipe nobody reads\n");
      if (passEpipe) {
        await within(relay.ended, 5000, "the relay's end");
        // The relay's copy of the read end is closed by a closer thread, soon after "ended".
        let error: unknown;
        for (const deadline = Date.now() + 5000; error === undefined && Date.now() < deadline; await new Promise((r) => setTimeout(r, 5))) {
          try {
            writeSync(w, "again\n");
          } catch (e) {
            error = e;
          }
        }
        assert.match(String(error), /EPIPE/);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(writeSync(w, "again\n"), 6, "read and dropped");
        relay.stop();
        await within(relay.ended, 5000, "the stopped relay's end");
      }
      closeSync(w);
      closeSync(dw);
    }
  });

  it("pipeTx: each packet a void writes reaches the Pipe whole, never interleaved with another relay's", async () => {
    const [dr, dw] = addon.pipe();
    const writers: number[] = [];
    const ended: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const [r, w] = addon.pipe(true);
      ended.push(relayFd(r, dw, true).ended);
      closeSync(r);
      writers.push(w);
    }
    // Lines of 3000 bytes (under PIPE_BUF), 10 from each writer, written in turns (all fit in the pipes: writes here block the reader below).
    const line = (i: number, k: number) => `${`w${i} l${k} `.padEnd(2999, String(i))}\n`;
    const reader = (async () => {
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(65536);
      addon.setBlocking(dr, false);
      for (;;) {
        try {
          const n = readSync(dr, buf);
          if (n === 0) break;
          chunks.push(Buffer.from(buf.subarray(0, n)));
        } catch {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      return Buffer.concat(chunks).toString("latin1");
    })();
    for (let k = 0; k < 10; k++) for (const [i, w] of writers.entries()) writeSync(w, line(i, k));
    for (const w of writers) closeSync(w);
    await within(Promise.all(ended), 10_000, "every relay's end");
    closeSync(dw);
    const text = await reader;
    closeSync(dr);
    const lines = text.split("\n").filter(Boolean);
    assert.equal(lines.length, 40);
    for (const l of lines) assert.match(l, /^w(\d) l\d+ \1*$/, "a line cut by another relay's bytes");
  });

  it("framed (a Pipe trigger's): a void's unfinished line never joins the next void's message; whole messages only", async () => {
    const [dr, dw, packets] = addon.pipe(true);
    assert.ok(packets, "this kernel has packet pipes");
    const [ra, wa] = addon.pipe(true);
    const [rb, wb] = addon.pipe(true);
    const drops = { a: 0, b: 0 };
    const a = relayFd(ra, dw, true, true, () => drops.a++);
    const b = relayFd(rb, dw, true, true, () => drops.b++);
    closeSync(ra);
    closeSync(rb);
    // A full packet that ends inside a line: the trigger loop would take the next packet in the pipe, another void's, as its rest.
    const lines = `${"a".repeat(4083)}\n`;
    writeSync(wa, Buffer.from(`${lines}--evil-flag=`));
    await new Promise((r) => setTimeout(r, 50));
    writeSync(wb, "result-of-alice\n");
    // A message longer than 4095 bytes is dropped (and counted), never cut.
    writeSync(wb, `${"x".repeat(5000)}\nafter\n`);
    closeSync(wb);
    await within(b.ended, 5000, "b's end");
    assert.equal(drops.b, 1, "one message dropped as too long, said as it went");
    closeSync(wa); // a's unfinished line is a message of its own at its end
    await within(a.ended, 5000, "a's end");
    assert.equal(drops.a, 0);
    closeSync(dw);
    const got: string[] = [];
    const buf = Buffer.alloc(65536);
    for (let n = readSync(dr, buf); n > 0; n = readSync(dr, buf)) got.push(buf.toString("latin1", 0, n));
    closeSync(dr);
    for (const p of got) assert.ok(p.length < 4096 || p.endsWith("\n"), "no full packet ends inside a line");
    assert.deepEqual(got.join("").split("\n").sort(), ["--evil-flag=", "a".repeat(4083), "after", "result-of-alice"].sort());
  });
});
