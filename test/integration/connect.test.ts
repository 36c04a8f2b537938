/**
 * Connect grants: an unmodified client in a void reaches exactly the host
 * address its spec lists — TCP (curl, and a C client), UDP on a resolver's
 * port 53 — through 127.0.0.1 in its own network namespace, relayed by the
 * launcher; and nothing else, however the void uses its sockets: its own
 * bind of the port, other ports, other addresses, a flood of connections.
 * For a root and an unprivileged launcher. The servers are in this test
 * process, on the host's loopback.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { launchers, makeStage, runVoidAsync, type Stage, writeSpec } from "./harness.js";

let stage: Stage;
let http: HttpServer;
let httpPort = 0;
let echo: Server;
let echoPort = 0;
/** Connections the TCP echo server has seen, and the most open at once. */
const echoSeen = { total: 0, open: 0, most: 0 };
const echoSockets = new Set<Socket>();
let udp: UdpSocket;
let udpPort = 0;
/** Which client ports the UDP server has heard from. */
const udpClients = new Set<number>();
const hasCurl = spawnSync("curl", ["--version"]).status === 0;

before(async () => {
  stage = makeStage();
  http = createHttpServer((req, res) => {
    res.end(`hello from the host: ${req.method} ${req.url}\n`);
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  httpPort = (http.address() as AddressInfo).port;
  echo = createServer({ allowHalfOpen: true }, (s) => {
    echoSeen.total++;
    echoSeen.open++;
    echoSeen.most = Math.max(echoSeen.most, echoSeen.open);
    echoSockets.add(s);
    s.on("close", () => {
      echoSeen.open--;
      echoSockets.delete(s);
    });
    s.on("error", () => s.destroy());
    s.pipe(s);
  });
  echo.listen(0, "127.0.0.1");
  await once(echo, "listening");
  echoPort = (echo.address() as AddressInfo).port;
  udp = createSocket("udp4");
  udp.on("message", (data, from) => {
    udpClients.add(from.port);
    udp.send(Buffer.concat([Buffer.from("answer:"), data]), from.port, from.address);
  });
  udp.bind(0, "127.0.0.1");
  await once(udp, "listening");
  udpPort = udp.address().port;
});

after(() => {
  http.close();
  http.closeAllConnections();
  for (const s of echoSockets) s.destroy();
  echo.close();
  udp.close();
  stage.cleanup();
});

const connect = (protocol: "Tcp" | "Udp", environmentPort: number, hostPort: number) => ({ Connect: { protocol, environment_port: environmentPort, host_addr: `127.0.0.1:${hostPort}` } });

/** A free TCP port on the host's loopback, closed again: nothing listens there. */
async function closedPort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as AddressInfo).port;
  s.close();
  await once(s, "close");
  return port;
}

for (const launcher of launchers) {
  describe(`Connect grants (${launcher} launcher)`, () => {
    it("curl fetches a page from the one host address its spec lists, through 127.0.0.1:80 in its void", { skip: hasCurl ? false : "curl is not installed" }, async () => {
      const spec = writeSpec(stage, `connect-curl-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Tcp", 80, httpPort)] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, "curl", "-sS", "--max-time", "10", "http://127.0.0.1/page"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "hello from the host: GET /page\n");
      const other = await runVoidAsync(stage, launcher, ["run", "-s", spec, "curl", "-sS", "--max-time", "5", `http://127.0.0.1:${httpPort}/`]);
      assert.equal(other.status, 7, "the host's port itself is not reachable from the void (curl: could not connect)");
    });

    it("a UDP client reaches the listed address from port 53, each client port a flow of its own; TCP alongside", async () => {
      udpClients.clear();
      const spec = writeSpec(stage, `connect-udp-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Udp", 53, udpPort), connect("Tcp", 7000, echoPort)] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "udp-ask", "53", "first", "udp-ask", "53", "second", "tcp-ask", "7000", "round trip"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "reply answer:first\nreply answer:second\nreply round trip\n");
      assert.equal(udpClients.size, 2, "two client sockets in the void, two flows from two host sockets");
    });

    it("reaches nothing else: not its own bind of the port, not another port, not another address", async () => {
      const before = echoSeen.total;
      const spec = writeSpec(stage, `connect-egress-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Tcp", 7000, echoPort)] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "egress", "7000"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        r.stdout,
        [
          "egress-bind-tcp EADDRINUSE", // the launcher holds the port: the void cannot intercept its own connections
          "egress-bind-udp ok", // a UDP port of its own, which nothing relays
          "egress-tcp-other ECONNREFUSED",
          "egress-tcp-private ENETUNREACH",
          "egress-tcp-public ENETUNREACH",
          "egress-udp-public ENETUNREACH",
          "",
        ].join("\n"),
      );
      assert.equal(echoSeen.total, before, "the destination saw no connection");
    });

    it("a flood of connections is relayed at most 64 at a time", async () => {
      echoSeen.most = 0;
      const spec = writeSpec(stage, `connect-flood-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Tcp", 7000, echoPort)] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "tcp-hold", "7000", "200"]);
      assert.equal(r.status, 0, r.stderr);
      const held = Number(/^held (\d+)$/m.exec(r.stdout)?.[1]);
      assert.ok(held >= 1 && held <= 64, r.stdout);
      assert.ok(echoSeen.most <= 64, `the destination saw ${echoSeen.most} connections at once`);
    });

    it("a void opening connections or flows in a loop is paced to OPENS_PER_SECOND (128) a second, and every one is still relayed", async () => {
      // 300 connections, then 300 flows (a new client port each): at 128 a second that is two pauses, 2 s or more for each;
      // unpaced, 600 connections took 0.7 s here, the launcher's CPU outside the void's cgroup.
      const spec = writeSpec(stage, `connect-churn-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Tcp", 7000, echoPort), connect("Udp", 53, udpPort)] } },
      });
      const before = echoSeen.total;
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "churn", "tcp", "7000", "300", "churn", "udp", "53", "300"]);
      assert.equal(r.status, 0, r.stderr);
      const runs = [...r.stdout.matchAll(/^churned (\d+) (\d+)$/gm)].map((m) => ({ echoed: Number(m[1]), ms: Number(m[2]) }));
      assert.equal(runs.length, 2, r.stdout);
      assert.equal(runs[0]!.echoed, 300, r.stdout);
      assert.equal(echoSeen.total - before, 300);
      assert.equal(runs[1]!.echoed, 300, r.stdout);
      for (const run of runs) assert.ok(run.ms >= 1800, `300 opens took ${run.ms} ms: not paced (${r.stdout})`);
    });

    it("a destination that refuses is a reset for the client and one warning from the launcher", async () => {
      const port = await closedPort();
      const spec = writeSpec(stage, `connect-down-${launcher}`, {
        entrypoints: { main: { args: ["BinaryName", "Trailing"], environment: ["Stdout", "Stderr", connect("Tcp", 7000, port)] } },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "tcp-ask", "7000", "a", "tcp-ask", "7000", "b"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "reply-error ECONNRESET\nreply-error ECONNRESET\n");
      const warnings = r.stderr.split("\n").filter((l) => l.includes("Connect TCP 127.0.0.1:7000 ->"));
      assert.equal(warnings.length, 1, r.stderr);
      assert.match(warnings[0]!, new RegExp(`warning: entrypoint main \\(pid \\d+\\): Connect TCP 127\\.0\\.0\\.1:7000 -> 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\(further failures: -v\\)`));
    });

    it("a destination the launcher cannot connect to drops the flow, warns once, and harms no other void", async () => {
      // 127.255.255.255 is lo's broadcast address: the launcher's connect() fails (EACCES) and nothing is sent anywhere.
      const spec = writeSpec(stage, `connect-unreachable-${launcher}`, {
        entrypoints: {
          main: {
            args: ["BinaryName", "Trailing"],
            environment: ["Stdout", "Stderr", { Connect: { protocol: "Udp", environment_port: 5353, host_addr: "127.255.255.255:53" } }, connect("Tcp", 7000, echoPort)],
          },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "udp-ask", "5353", "one", "udp-ask", "5353", "two", "tcp-ask", "7000", "still here"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "reply-error ETIMEDOUT\nreply-error ETIMEDOUT\nreply still here\n");
      const warnings = r.stderr.split("\n").filter((l) => l.includes("Connect UDP 127.0.0.1:5353 ->"));
      assert.equal(warnings.length, 1, r.stderr);
      assert.match(warnings[0]!, /connect 127\.255\.255\.255:53: .*EACCES/);
    });

    it("each void of a trigger, prepared ahead or made on arrival, has its own relay", async () => {
      const before = echoSeen.total;
      const spec = writeSpec(stage, `connect-trigger-${launcher}`, {
        entrypoints: {
          "sender-5": { args: ["BinaryName", "Entrypoint", { Pipe: { Tx: "jobs" } }] },
          handler: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Trailing", "Trigger"], environment: ["Stdout", "Stderr", connect("Tcp", 7000, echoPort)] },
        },
      });
      const r = await runVoidAsync(stage, launcher, ["run", "-s", spec, stage.hostile, "tcp-ask", "7000"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.split("\n").filter(Boolean).sort(), ["reply msg-0", "reply msg-1", "reply msg-2", "reply msg-3", "reply msg-4"]);
      assert.equal(echoSeen.total - before, 5);
    });
  });
}
