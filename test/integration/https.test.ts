/**
 * End-to-end: examples/https, the three-stage TLS server (listener -> a tls
 * void per connection -> an http void per request), for a root and an
 * unprivileged launcher. The example is built by examples/build.sh and
 * copied into the stage so the unprivileged uid can read it; the test makes
 * its own throwaway certificate there and writes the spec from
 * spec.json.in with the stage's paths. Every client is a child
 * process or socket of this process, on loopback only, and every wait is
 * bounded.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { launchers, makeStage, repoRoot, type Stage, startVoid, waitFor } from "./harness.js";

let stage: Stage;
/** The example's directory inside the stage. */
let dir: string;
let cert: string;
let spec: string;
let binary: string;
let index: string;

before(() => {
  const built = join(repoRoot, "examples", "https", "https");
  assert.ok(existsSync(built), `${built} is missing: run sh examples/build.sh`);
  stage = makeStage();
  mkdirSync(join(stage.dir, "examples"), { recursive: true, mode: 0o755 });
  dir = join(stage.dir, "examples", "https");
  cpSync(join(repoRoot, "examples", "https"), dir, { recursive: true });
  // Never the checkout's key: a fresh self-signed certificate for this run.
  rmSync(join(dir, "tls"), { recursive: true, force: true });
  mkdirSync(join(dir, "tls"), { mode: 0o755 });
  cert = join(dir, "tls", "cert.pem");
  const key = join(dir, "tls", "key.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", cert],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(r.status, 0, `openssl req: ${r.stderr}`);
  // The unprivileged launcher (uid 65534) opens the key itself; this key
  // exists only for the test, in the stage, and is removed with it.
  chmodSync(key, 0o644);
  spec = join(dir, "spec.json");
  writeFileSync(spec, readFileSync(join(dir, "spec.json.in"), "utf8").replaceAll("@DIR@", dir));
  binary = join(dir, "https");
  index = readFileSync(join(dir, "www", "index.html"), "utf8");
  spawnSync("chmod", ["-R", "a+rX", stage.dir]);
});
after(() => stage?.cleanup());

interface Done {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a host command (curl, openssl) without blocking the event loop; killed after timeoutMs. */
function run(cmd: string, args: string[], input = "", timeoutMs = 20_000): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("latin1");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

interface Response {
  status: number;
  head: string;
  body: string;
}

/** Splits a raw HTTP/1.1 response. */
function parseResponse(raw: string): Response {
  const cut = raw.indexOf("\r\n\r\n");
  assert.ok(cut >= 0, `not an HTTP response: ${JSON.stringify(raw.slice(0, 200))}`);
  const head = raw.slice(0, cut + 2); // each header line with its CRLF
  const m = head.match(/^HTTP\/1\.1 (\d{3}) /);
  assert.ok(m, `no status line: ${JSON.stringify(head)}`);
  return { status: Number(m[1]), head, body: raw.slice(cut + 4) };
}

/** curl https://localhost:PORT/PATH, verified against the test's certificate. */
async function curl(port: number, path: string, extra: string[] = []): Promise<Response> {
  const r = await run("curl", ["-sS", "-i", "--noproxy", "*", "--max-time", "15", "--cacert", cert, "--resolve", `localhost:${port}:127.0.0.1`, ...extra, `https://localhost:${port}${path}`]);
  assert.equal(r.status, 0, `curl ${path}: ${r.stderr}`);
  return parseResponse(r.stdout);
}

/** Sends raw bytes inside a verified TLS session; resolves with all the server sent until it closed. */
function rawTls(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(cert), servername: "localhost" }, () => s.write(request));
    const chunks: Buffer[] = [];
    s.setTimeout(15_000, () => s.destroy(new Error("timed out")));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => s.end());
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.on("error", reject);
  });
}

/** Sends random bytes over plain TCP where a TLS ClientHello belongs; resolves when the server closes. */
function garbageHandshake(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.write(randomBytes(512)));
    s.setTimeout(15_000, () => s.destroy(new Error("the server did not close a connection that sent garbage")));
    s.on("data", () => {});
    s.on("end", () => s.end());
    // A reset (unread garbage at close) is as good an end as a FIN.
    s.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? undefined : reject(e)));
    s.on("close", () => resolve());
  });
}

const count = (log: string, re: RegExp) => [...log.matchAll(re)].length;

for (const launcher of launchers) {
  describe(`https example (${launcher} launcher)`, { timeout: 180_000 }, () => {
    let server: ReturnType<typeof startVoid>;
    let log = "";
    let port = 0;
    let exited = false;

    before(async () => {
      // The spec listens on 127.0.0.1:8443; the environment moves it to a
      // free port, as a deployment would. --stderr only so that the voids'
      // own messages land in this log when something fails.
      server = startVoid(stage, launcher, ["run", "-v", "--stderr", "-s", spec, binary], { VOID_LISTEN_LISTENER: "127.0.0.1:0" });
      server.stdout!.resume();
      server.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
      });
      server.on("exit", () => {
        exited = true;
      });
      assert.ok(await waitFor(() => /listening on 127\.0\.0\.1:\d+/.test(log) || exited, 15_000), `no listening line:\n${log}`);
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
      assert.ok(m && !exited, `void run did not start:\n${log}`);
      port = Number(m[1]);
    });

    after(async () => {
      if (!exited) {
        server.kill("SIGKILL");
        await once(server, "exit");
      }
    });

    it("curl gets index.html through a tls void and an http void", async () => {
      const r = await curl(port, "/");
      assert.equal(r.status, 200, r.head);
      assert.match(r.head, /\r\nContent-Type: text\/html; charset=utf-8\r\n/);
      assert.match(r.head, /\r\nConnection: close\r\n/);
      assert.equal(r.body, index);
      const txt = await curl(port, "/hello.txt");
      assert.equal(txt.status, 200);
      assert.match(txt.head, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
      assert.equal(txt.body, "hello from the http void\n");
    });

    it("20 concurrent curl requests all succeed, each with its own tls and http void", async () => {
      const tlsBefore = count(log, /entrypoint tls: host pid \d+;/g);
      const httpBefore = count(log, /entrypoint http: host pid \d+;/g);
      const servedBefore = count(log, /entrypoint http \(pid \d+\) exited with status 0/g);
      const all = await Promise.all(Array.from({ length: 20 }, () => curl(port, "/")));
      for (const r of all) {
        assert.equal(r.status, 200, r.head);
        assert.equal(r.body, index);
      }
      assert.ok(await waitFor(() => count(log, /entrypoint http \(pid \d+\) exited with status 0/g) >= servedBefore + 20, 10_000), log);
      assert.equal(count(log, /entrypoint tls: host pid \d+;/g) - tlsBefore, 20, "one tls void per connection");
      assert.equal(count(log, /entrypoint http: host pid \d+;/g) - httpBefore, 20, "one http void per request");
    });

    it("openssl s_client with a hand-written request", async () => {
      const r = await run(
        "openssl",
        ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", cert, "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost", "-quiet"],
        "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
      );
      assert.equal(r.status, 0, r.stderr);
      const res = parseResponse(r.stdout);
      assert.equal(res.status, 200, res.head);
      assert.equal(res.body, "hello from the http void\n");
    });

    it("a malformed TLS handshake ends only its own tls void; the server keeps serving", async () => {
      const failedBefore = count(log, /entrypoint tls \(pid \d+\) exited with status 1/g);
      await garbageHandshake(port);
      assert.ok(await waitFor(() => count(log, /entrypoint tls \(pid \d+\) exited with status 1/g) === failedBefore + 1, 10_000), log);
      assert.match(log, /https tls: handshake failed/);
      assert.ok(!exited, "void run is still running");
      assert.doesNotMatch(log, /entrypoint listener \(pid \d+\)/, "the listener has not exited");
      const r = await curl(port, "/");
      assert.equal(r.status, 200);
      assert.equal(r.body, index);
    });

    it("a malformed HTTP request gets 400; the server keeps serving", async () => {
      for (const bad of ["GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", "GET /  HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"]) {
        const r = parseResponse(await rawTls(port, bad));
        assert.equal(r.status, 400, `${JSON.stringify(bad)} -> ${r.head}`);
      }
      const r = await curl(port, "/");
      assert.equal(r.status, 200);
    });

    it("GET /../../etc/passwd and its disguises do not leak", async () => {
      const attempts: [string, number][] = [
        ["/../../etc/passwd", 400],
        ["/%2e%2e/%2e%2e/etc/passwd", 400],
        ["/..%2f..%2fetc%2fpasswd", 400],
        ["/www/../etc/passwd", 400],
        ["http://localhost/../../etc/passwd", 400],
        ["//etc/passwd", 404],
        ["/etc/passwd", 404],
        ["/%00index.html", 400],
      ];
      for (const [target, status] of attempts) {
        const raw = await rawTls(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        const r = parseResponse(raw);
        assert.equal(r.status, status, `${target} -> ${r.head}`);
        assert.doesNotMatch(raw, /root:/);
      }
      const viaCurl = await curl(port, "/../../etc/passwd", ["--path-as-is"]);
      assert.equal(viaCurl.status, 400);
      assert.doesNotMatch(viaCurl.body, /root:/);
    });

    it("HEAD, 404, 405 and an oversized head get the right answers", async () => {
      const head = parseResponse(await rawTls(port, "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      assert.equal(head.status, 200);
      assert.match(head.head, new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength(index)}\\r\\n`));
      assert.equal(head.body, "");
      assert.equal((await curl(port, "/missing.html")).status, 404);
      const post = await curl(port, "/", ["-X", "POST"]);
      assert.equal(post.status, 405);
      assert.match(post.head, /\r\nAllow: GET, HEAD\r\n/);
      const big = parseResponse(await rawTls(port, `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      assert.equal(big.status, 431);
    });

    it("stops on SIGTERM", async () => {
      server.kill("SIGTERM");
      assert.ok(await waitFor(() => exited, 15_000), `void run did not exit:\n${log}`);
      // void run ends by itself (it is not killed) after stopping the
      // listener with the signal; no void was left to fail.
      assert.equal(server.signalCode, null, log);
      assert.notEqual(server.exitCode, 125, log);
      assert.match(log, /entrypoint listener \(pid \d+\) killed by SIGTERM/);
    });
  });
}
