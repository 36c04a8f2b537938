/**
 * An existing daemon under a spec: Debian's dnsmasq (examples/dnsmasq),
 * answering DNS on the host's loopback through two Forward grants, for a
 * root and an unprivileged launcher. The client is a small DNS client over
 * node:dgram and node:net, loopback only. Also: what a Forward grant gives
 * a void (its own loopback, nothing of the host's), and its failure modes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { chmodSync, cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, probeReport, repoRoot, runVoid, runVoidAsync, type Stage, startVoid, writeSpec } from "./harness.js";

const DNSMASQ = "/usr/sbin/dnsmasq";
const skip = existsSync(DNSMASQ) ? false : `${DNSMASQ} is not installed (Debian package dnsmasq-base; scripts/setup.sh installs it)`;

let stage: Stage;
let spec: string;
before(() => {
  stage = makeStage();
  const dir = join(stage.dir, "examples", "dnsmasq");
  cpSync(join(repoRoot, "examples", "dnsmasq"), dir, { recursive: true });
  spec = join(dir, "spec.json");
  // As examples/build.sh does, for the stage's copy.
  writeFileSync(spec, readFileSync(join(dir, "spec.json.in"), "utf8").replaceAll("@DIR@", dir));
  spawnSync("chmod", ["-R", "a+rX", join(stage.dir, "examples")]);
  chmodSync(spec, 0o644);
});
after(() => stage.cleanup());

// ---- a small DNS client (RFC 1035), enough for A queries ----

interface Answer {
  id: number;
  rcode: number;
  addresses: string[];
}

function query(id: number, name: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4); // one question
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, "ascii")]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]); // QTYPE A, QCLASS IN
}

/** Skips a possibly compressed name; returns the offset after it. */
function skipName(m: Buffer, at: number): number {
  while (m[at]! !== 0) {
    if ((m[at]! & 0xc0) === 0xc0) return at + 2;
    at += m[at]! + 1;
  }
  return at + 1;
}

function parse(m: Buffer): Answer {
  const id = m.readUInt16BE(0);
  const rcode = m[3]! & 0x0f;
  const qd = m.readUInt16BE(4);
  const an = m.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(m, at) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    at = skipName(m, at);
    const type = m.readUInt16BE(at);
    const length = m.readUInt16BE(at + 8);
    if (type === 1 && length === 4) addresses.push([...m.subarray(at + 10, at + 14)].join("."));
    at += 10 + length;
  }
  return { id, rcode, addresses };
}

/** One A query over UDP; retried (the daemon may still be starting), at most `tries` times. */
async function udpQuery(port: number, id: number, name: string, tries = 50): Promise<Answer> {
  const sock = createSocket("udp4");
  try {
    for (let i = 0; i < tries; i++) {
      sock.send(query(id, name), port, "127.0.0.1");
      const reply = await Promise.race([once(sock, "message").then(([m]) => m as Buffer), new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
      if (reply !== undefined) return parse(reply);
    }
    throw new Error(`no answer for ${name} on UDP port ${port}`);
  } finally {
    sock.close();
  }
}

/** One A query over TCP (two-byte length prefix), retried while the daemon starts. */
async function tcpQuery(port: number, id: number, name: string, tries = 50): Promise<Answer> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<Answer>((resolve, reject) => {
        const q = query(id, name);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(q.length);
        const s = connect(port, "127.0.0.1", () => s.write(Buffer.concat([len, q])));
        let got = Buffer.alloc(0);
        s.on("data", (d: Buffer) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
            s.end();
            resolve(parse(got.subarray(2)));
          }
        });
        s.on("error", reject);
        s.on("close", () => reject(new Error("closed without an answer")));
      });
    } catch (e) {
      if (i + 1 >= tries) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The host ports the launcher logged with -v ("forwarding UDP 127.0.0.1:N ..."). */
async function forwardedPorts(log: () => string): Promise<{ udp: number; tcp: number }> {
  for (let i = 0; i < 250; i++) {
    const udp = log().match(/forwarding UDP 127\.0\.0\.1:(\d+)/)?.[1];
    const tcp = log().match(/forwarding TCP 127\.0\.0\.1:(\d+)/)?.[1];
    if (udp !== undefined && tcp !== undefined) return { udp: Number(udp), tcp: Number(tcp) };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no forwarding lines in the log:\n${log()}`);
}

/** The example on ports chosen by the kernel (a runtime spec moves host_addr, as a deployment would). */
const anyPort = JSON.stringify({
  entrypoints: {
    dnsmasq: {
      environment: [
        "Stderr",
        "DevRandom",
        { Filesystem: { host_path: "@", environment_path: "/config" } },
        { Forward: { protocol: "Udp", host_addr: "127.0.0.1:0", environment_port: 5353 } },
        { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5353 } },
      ],
    },
  },
});

for (const launcher of launchers) {
  describe(`dnsmasq in a void (${launcher} launcher)`, { skip }, () => {
    it("answers over UDP and TCP on the host's loopback from its config, refuses other names, logs to stderr", async () => {
      const runtime = anyPort.replace('"@"', JSON.stringify(join(stage.dir, "examples", "dnsmasq", "config")));
      const child = startVoid(stage, launcher, ["run", "-v", "-s", spec, DNSMASQ, "--conf-file=/config/dnsmasq.conf"], { VOID_RUNTIME: runtime });
      let log = "";
      child.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
      });
      const exited = once(child, "exit");
      try {
        const { udp, tcp } = await forwardedPorts(() => log);
        assert.deepEqual(await udpQuery(udp, 0x1111, "nas.home.void"), { id: 0x1111, rcode: 0, addresses: ["192.0.2.7"] });
        assert.deepEqual(await tcpQuery(tcp, 0x2222, "www.example.void"), { id: 0x2222, rcode: 0, addresses: ["10.0.0.1"] });
        // No upstream servers: a name it does not know is refused (RCODE 5), not looked up.
        assert.deepEqual(await udpQuery(udp, 0x3333, "example.org"), { id: 0x3333, rcode: 5, addresses: [] });
        // 24 clients at once, each its own flow: each gets its own answer.
        const names = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? "printer.home.void" : `host${i}.example.void`));
        const answers = await Promise.all(names.map((n, i) => udpQuery(udp, 0x4000 + i, n)));
        assert.deepEqual(
          answers,
          names.map((_, i) => ({ id: 0x4000 + i, rcode: 0, addresses: [i % 2 === 0 ? "192.0.2.8" : "10.0.0.1"] })),
        );
      } finally {
        child.kill("SIGTERM");
        await exited;
      }
      assert.equal(child.exitCode, 0, log);
      assert.match(log, /dnsmasq\[2\]: query\[A\] nas\.home\.void from 127\.0\.0\.1/, "dnsmasq is PID 2 in its void and sees queries from its own loopback");
      assert.match(log, /read \/config\/hosts - 2 names/);
    });

    it("gets its own loopback and nothing of the host's network; DevRandom gives it the random devices", async () => {
      const server: Server = createServer((s) => s.end());
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as { port: number }).port;
      try {
        const probeSpec = writeSpec(stage, `forward-probe-${launcher}`, {
          entrypoints: {
            probe: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Procfs", "DevRandom", { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 7000 } }] },
          },
        });
        const r = await runVoidAsync(stage, launcher, ["run", "-s", probeSpec, stage.probe, "--connect-port", String(port)]);
        assert.equal(r.status, 0, r.stderr);
        const p = probeReport(r);
        assert.deepEqual(
          p.net_interfaces.map((i: { name: string; up: boolean }) => [i.name, i.up]),
          [["lo", true]],
        );
        // 127.0.0.1 is the void's own: the host's listener is not there.
        assert.equal(p.escape.socket_inet.connect_ok, false);
        assert.equal(p.escape.socket_inet.connect_errno, "ECONNREFUSED");
        const devices = p.mounts.filter((m: { mount_point: string }) => m.mount_point === "/dev/random" || m.mount_point === "/dev/urandom");
        assert.equal(devices.length, 2, JSON.stringify(p.mounts));
        for (const m of devices) assert.match(m.options, /nosuid/);
      } finally {
        server.close();
      }
    });

    it("a host address in use is an error before anything starts; the port is free again once the void has exited", async () => {
      const taken = createSocket("udp4");
      await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
      const port = taken.address().port;
      const s = writeSpec(stage, `forward-busy-${launcher}`, {
        entrypoints: { d: { args: ["BinaryName", "Trailing"], environment: [{ Forward: { protocol: "Udp", host_addr: `127.0.0.1:${port}`, environment_port: 5353 } }] } },
      });
      const r = runVoid(stage, launcher, ["run", "-v", "-s", s, "/bin/true"]);
      taken.close();
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`entrypoint d: cannot listen on 127\\.0\\.0\\.1:${port} \\(Udp Forward\\): the address is already in use`));
      assert.doesNotMatch(r.stderr, /host pid/, "no void was started");
      // Now free: a short-lived void forwards from it, then lets it go.
      const ok = runVoid(stage, launcher, ["run", "-s", s, "/bin/true"]);
      assert.equal(ok.status, 0, ok.stderr);
      const again = createSocket("udp4");
      await new Promise<void>((resolve, reject) => {
        again.once("error", reject);
        again.bind(port, "127.0.0.1", resolve);
      });
      again.close();
    });
  });
}
