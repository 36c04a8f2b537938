/**
 * The RPC broker under fire: malformed, oversized and disallowed requests,
 * requests carrying fds, a peer that vanishes. It must answer every
 * request, never crash, never leak an fd and never perform a call that the
 * allow-list does not list. Runs in-process against the real addon (no
 * root needed).
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { closeSync, openSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import "../support/fast-check-seed.js";
import { Broker, MAX_UDP_PER_VOID } from "../../src/orchestrator/broker.js";
import { nativeAddon } from "../../src/orchestrator/launcher.js";
import type { Logger } from "../../src/orchestrator/log.js";
import type { FdGrant } from "../../src/plan/types.js";
import { parseReply } from "../../src/rpc/protocol.js";
import { openFds, settled, settledFds, threadCount } from "../support/fds.js";

const addon = nativeAddon();
// As the launcher does before any void: the first closer, its timer and the placeholder fd it keeps exist before any
// fd is counted (native/addon/relay.c).
addon.closeLater([]);
const quiet: Logger = { verbosity: 0, error() {}, warn() {}, info() {}, verbose() {}, debug() {} };
/** Sends one packet and waits (polling) for the broker's reply. */
async function ask(fd: number, data: Buffer, fds: number[] = []): Promise<{ data: Buffer; fds: number[] } | "eof"> {
  try {
    if (!addon.sendFds(fd, data, fds)) return "eof";
  } catch {
    return "eof";
  }
  for (let i = 0; i < 1000; i++) {
    const r = addon.recvFds(fd, 4096);
    if (r !== null) return r.eof ? "eof" : { data: r.data, fds: r.fds };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error("no reply from the broker within 2 s");
}

let server: Server;
let port = 0;
let connections = 0;
before(async () => {
  server = createServer((s) => {
    connections++;
    s.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

function grant(): FdGrant {
  return { fd: 3, source: { kind: "rpc", operations: [{ kind: "OpenTcpSocket", family: "Inet", port, host: "127.0.0.1" }] } };
}

describe("the RPC broker", () => {
  it("answers a well-formed allowed request with exactly one connected fd", async () => {
    const broker = new Broker(addon, quiet);
    const [mine, theirs] = addon.seqpacketPair();
    broker.attach(mine, grant(), "t", 0);
    try {
      const reply = await ask(theirs, Buffer.from(JSON.stringify({ op: "OpenTcpSocket", host: "127.0.0.1", port, family: "Inet" })));
      assert.notEqual(reply, "eof");
      if (reply === "eof") return;
      for (const fd of reply.fds) closeSync(fd);
      const parsed = parseReply(reply.data);
      assert.ok(parsed.ok && parsed.reply.ok, reply.data.toString());
      assert.equal(reply.fds.length, 1);
    } finally {
      closeSync(theirs);
      broker.closeAll();
    }
    for (let i = 0; i < 200 && connections === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(connections, 1, "the test server saw the connection");
  });

  it("survives random garbage, disallowed calls and stray fds without leaking or connecting", async () => {
    const before = await settledFds();
    const connectionsBefore = connections;
    const broker = new Broker(addon, quiet);
    const [mine, theirs] = addon.seqpacketPair();
    broker.attach(mine, grant(), "fuzz", 0);
    after(() => broker.closeAll());
    const requests = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? "null")),
      fc
        .record({
          op: fc.constantFrom("OpenTcpSocket", "OpenUdpSocket", "Open", ""),
          host: fc.constantFrom("127.0.0.1", "127.0.0.2", "::1", "", "x".repeat(300)),
          port: fc.oneof(fc.constant(port), fc.integer({ min: -5, max: 70000 })),
          family: fc.constantFrom("Inet", "Inet6", null, "Unix"),
        })
        .filter((r) => !(r.op === "OpenTcpSocket" && r.host === "127.0.0.1" && r.port === port && r.family !== "Inet6" && r.family !== "Unix"))
        .map((r) => Buffer.from(JSON.stringify(r))),
    );
    await fc.assert(
      fc.asyncProperty(requests, fc.boolean(), async (data, withFd) => {
        const stray = withFd ? [openSync("/dev/null", "r")] : [];
        const reply = await ask(theirs, data.length === 0 ? Buffer.from(" ") : data, stray);
        for (const fd of stray) closeSync(fd);
        assert.notEqual(reply, "eof", "the broker keeps serving");
        if (reply === "eof") return;
        assert.equal(reply.fds.length, 0, "no fd for a refused request");
        const parsed = parseReply(reply.data);
        assert.ok(parsed.ok && !parsed.reply.ok, `refused: ${reply.data.toString()}`);
      }),
      { numRuns: 400 },
    );
    assert.equal(broker.counts.allowed, 0, "no call outside the allow-list was performed");
    assert.equal(connections, connectionsBefore, "nothing connected to the test server");
    closeSync(theirs);
    // The broker notices the hang-up and closes its end.
    for (let i = 0; i < 200 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(openFds(), before, "no fd leaked");
    broker.closeAll();
  });

  it("ends what a void was given when it exits: its UDP sockets' relays stop wherever their ends went, and the next void gets its own", async () => {
    const settledThreads = () => settled(threadCount);
    const udp = createSocket("udp4");
    const got: string[] = [];
    udp.on("message", (m) => got.push(m.toString()));
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    const udpPort = udp.address().port;
    const open = Buffer.from(JSON.stringify({ op: "OpenUdpSocket", host: "127.0.0.1", port: udpPort, family: "Inet" }));
    const udpGrant: FdGrant = { fd: 3, source: { kind: "rpc", operations: [{ kind: "OpenUdpSocket", family: "Inet", port: udpPort, host: "127.0.0.1" }] } };
    const broker = new Broker(addon, quiet);
    const baseline = await settledThreads();
    try {
      for (const round of [1, 2]) {
        // A void asks for all it may have and hands the ends on (here: the test keeps them), then exits.
        const [mine, theirs] = addon.seqpacketPair();
        const exited = broker.attach(mine, udpGrant, `round${round}`, 0);
        const ends: number[] = [];
        for (let i = 0; i < MAX_UDP_PER_VOID; i++) {
          const reply = await ask(theirs, open);
          assert.ok(reply !== "eof" && reply.fds.length === 1, `round ${round}, socket ${i}: ${reply === "eof" ? "eof" : reply.data.toString()}`);
          ends.push(...reply.fds);
        }
        const more = await ask(theirs, open);
        assert.ok(more !== "eof" && more.fds.length === 0 && /EMFILE/.test(more.data.toString()), "the void's own bound holds while it lives");
        assert.equal(await settledThreads(), baseline + 2 * MAX_UDP_PER_VOID, "two relay threads per socket");
        addon.sendFds(ends[0]!, Buffer.from(`hello ${round}`), []);
        for (let i = 0; i < 400 && !got.includes(`hello ${round}`); i++) await new Promise((r) => setTimeout(r, 5));
        assert.ok(got.includes(`hello ${round}`), "relayed while the void lives");
        exited();
        assert.equal(await settledThreads(), baseline, "every relay ended with the void");
        for (const end of ends) {
          let r: ReturnType<typeof addon.recvFds> = null;
          for (let i = 0; i < 400 && r === null; i++) {
            r = addon.recvFds(end, 4096);
            if (r === null) await new Promise((resolve) => setTimeout(resolve, 5));
          }
          assert.ok(r?.eof, "the end, wherever it went, reads the end");
          closeSync(end);
        }
        assert.equal(await ask(theirs, open), "eof", "its broker socket, passed on, is served no more");
        closeSync(theirs);
      }
    } finally {
      broker.closeAll();
      udp.close();
    }
  });

  it("a void that exits while its request is served leaves nothing behind: the socket opened for it is closed, a UDP socket's relays end", async () => {
    const threads = threadCount;
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    const udpPort = udp.address().port;
    // The addon's connect, held until the void has exited (a connect slot busy, a slow peer).
    let release = () => {};
    let called = () => {};
    const connect = async (...args: Parameters<typeof addon.connect>) => {
      called();
      await new Promise<void>((resolve) => (release = resolve));
      return addon.connect(...args);
    };
    // The addon's own properties are read-only: the stand-in inherits them and defines its connect.
    const slow: typeof addon = Object.defineProperty(Object.create(addon), "connect", { value: connect });
    const ops: FdGrant["source"] = {
      kind: "rpc",
      operations: [
        { kind: "OpenUdpSocket", family: "Inet", port: udpPort, host: "127.0.0.1" },
        { kind: "OpenTcpSocket", family: "Inet", port, host: "127.0.0.1" },
      ],
    };
    const before = await settledFds();
    const threadsBefore = threads();
    try {
      for (const op of ["OpenUdpSocket", "OpenTcpSocket"]) {
        const broker = new Broker(slow, quiet);
        const [mine, theirs] = addon.seqpacketPair();
        const exited = broker.attach(mine, { fd: 3, source: ops }, "gone", 0);
        const connecting = new Promise<void>((resolve) => (called = resolve));
        addon.sendFds(theirs, Buffer.from(JSON.stringify({ op, host: "127.0.0.1", port: op === "OpenUdpSocket" ? udpPort : port, family: "Inet" })), []);
        await connecting;
        exited();
        closeSync(theirs);
        release();
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(await settledFds(), before, `${op}: no fd left behind`);
        for (let i = 0; i < 400 && threads() > threadsBefore; i++) await new Promise((r) => setTimeout(r, 5));
        assert.equal(threads(), threadsBefore, `${op}: no relay left behind`);
        broker.closeAll();
      }
    } finally {
      udp.close();
    }
  });

  it("a listed name that resolves to the launcher's loopback, this host, a group or a link is refused, unless /etc/hosts or a localhost name says so", async () => {
    // The answers a DNS server of the attacker's (or a rebinding one) would give for a name the spec lists.
    const answers: Record<string, string> = {
      "api.partner.example": "127.0.0.1",
      "zero.partner.example": "0.0.0.0",
      "v6.partner.example": "::1",
      "meta.partner.example": "169.254.169.254",
      "group.partner.example": "239.1.2.3",
      "db.localhost": "127.0.0.1",
    };
    // An address of this host's own interfaces, other than loopback (its LAN address): what listens everywhere is there too.
    const own = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && !i.internal && i.family === "IPv4")?.address;
    if (own !== undefined) answers["lan.partner.example"] = own;
    const resolver = async (host: string) => ({ address: answers[host] ?? "192.0.2.1", family: (answers[host] ?? "").includes(":") ? 6 : 4 });
    const broker = new Broker(addon, quiet, undefined, resolver);
    const names = Object.keys(answers);
    const g: FdGrant = {
      fd: 3,
      source: { kind: "rpc", operations: [...names.map((host) => ({ kind: "OpenTcpSocket" as const, family: null, port, host })), { kind: "OpenTcpSocket", family: null, port, host: "0.0.0.0" }] },
    };
    const [mine, theirs] = addon.seqpacketPair();
    broker.attach(mine, g, "t", 0);
    const seen = connections;
    const outcome = async (host: string) => {
      const reply = await ask(theirs, Buffer.from(JSON.stringify({ op: "OpenTcpSocket", host, port, family: null })));
      if (reply === "eof") return "eof";
      for (const fd of reply.fds) closeSync(fd);
      const parsed = parseReply(reply.data);
      return parsed.ok && parsed.reply.ok ? "ok" : parsed.ok && !parsed.reply.ok ? parsed.reply.error : "bad reply";
    };
    try {
      for (const host of [
        "api.partner.example",
        "zero.partner.example",
        "v6.partner.example",
        "meta.partner.example",
        "group.partner.example",
        "0.0.0.0",
        ...(own === undefined ? [] : ["lan.partner.example"]),
      ]) {
        assert.equal(await outcome(host), "EACCES", host);
      }
      assert.equal(connections, seen, "nothing reached the launcher's loopback");
      assert.equal(await outcome("db.localhost"), "ok", "a localhost name may lead to loopback");
    } finally {
      closeSync(theirs);
      broker.closeAll();
    }
  });

  it("a peer that closes mid-conversation is dropped cleanly", async () => {
    const before = await settledFds();
    const broker = new Broker(addon, quiet);
    const [mine, theirs] = addon.seqpacketPair();
    broker.attach(mine, grant(), "gone", 0);
    after(() => broker.closeAll());
    addon.sendFds(theirs, Buffer.from(JSON.stringify({ op: "OpenTcpSocket", host: "127.0.0.1", port, family: null })), []);
    closeSync(theirs);
    for (let i = 0; i < 400 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(openFds(), before);
    broker.closeAll();
  });
});
