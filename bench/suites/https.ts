/**
 * The HTTPS example (examples/https: a listener void, a tls void per
 * connection, an http void per request) against the same binary unvoided,
 * one process per connection and one per request (bench/c/https_plain.c:
 * fork + execve, the argv and fds void gives each part). Both servers run
 * side by side on 127.0.0.1 for the whole suite; wrk (TLS, `Connection:
 * close`, so every request is a new TCP connection and TLS handshake, i.e.
 * a new tls and http process or void) loads one, then the other, round by
 * round, the order alternating. The ratio of requests/s is taken per round.
 * Also per round: the whole machine's CPU per request (cpuidle), and the
 * orchestrator's own (its /proc/PID/stat utime+stime).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { awaitQuiet, busyNs, cpuMark, type Ctx, type Row, type Suite, type SuiteResult } from "../context.js";
import { pooled, type Rounds, ratio, rotate, scale, summarize } from "../stats.js";
import { barChart } from "../svg.js";

const VOIDED = "void run (a void per connection and per request)";
const PLAIN = "unvoided (fork + exec per connection and per request)";
export const HTTPS_TARGET = "triggered HTTPS server ≥ 50% of the unvoided server's requests/s";

interface Wrk {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

export function parseWrk(out: string): Wrk {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? Number.NaN);
  const lat = (pct: string): number => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: lat("50"),
    p99ms: lat("99"),
    requests: num(/(\d+) requests in/),
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(out) ? num(/Non-2xx or 3xx responses: (\d+)/) : 0,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once something accepts on 127.0.0.1:port (at most 15 s). */
async function waitForPort(port: number, what: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${what}: nothing listens on 127.0.0.1:${port} after 15 s`);
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(t);
}

export const httpsSuite: Suite = {
  name: "https",
  title: "HTTPS example: a void per connection vs the same server unvoided",
  async run(ctx: Ctx): Promise<SuiteResult> {
    const { repo, build, code, node } = ctx.paths;
    const example = join(repo, "examples", "https");
    const skip = (why: string): SuiteResult => ({
      name: "https",
      title: this.title,
      rows: [{ suite: "https", measure: "HTTPS example: void per connection vs unvoided", note: `not measured: ${why}`, target: HTTPS_TARGET, met: null }],
      figures: [],
      notes: [],
      raw: {},
    });
    if (!existsSync(join(example, "https"))) return skip(`${join(example, "https")} is not built (sh examples/build.sh)`);
    if (spawnSync("wrk", ["-v"]).error) return skip("wrk is not installed (Debian: wrk)");
    const rounds = ctx.budget.quick ? 2 : 6;
    const seconds = ctx.budget.quick ? 3 : 8;
    const connections = 16;
    // A copy of the example with a certificate made for this run.
    const dir = join(build, "https");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "tls"), { recursive: true });
    for (const f of ["https", "www", "spec.json.in"]) cpSync(join(example, f), join(dir, f), { recursive: true });
    const cert = join(dir, "tls", "cert.pem");
    const key = join(dir, "tls", "key.pem");
    const ssl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", key, "-out", cert], { encoding: "utf8", timeout: 30_000 });
    if (ssl.status !== 0) throw new Error(`openssl req: ${ssl.stderr}`);
    const spec = join(dir, "spec.json");
    writeFileSync(spec, readFileSync(join(dir, "spec.json.in"), "utf8").replaceAll("@DIR@", dir));
    const portVoid = 18000 + (process.pid % 1000) * 2;
    const portPlain = portVoid + 1;
    const voided = spawn(node, [join(code, "bin", "void"), "run", "-s", spec, join(dir, "https")], {
      env: { ...process.env, VOID_LISTEN_LISTENER: `127.0.0.1:${portVoid}` },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let voidErr = "";
    voided.stderr?.on("data", (d: Buffer) => {
      if (voidErr.length < 4000) voidErr += d.toString();
    });
    const plain = spawn(join(build, "https_plain"), [join(dir, "https"), String(portPlain), cert, key, join(dir, "www")], { stdio: ["ignore", "pipe", "ignore"] });
    let plainOut = "";
    plain.stdout?.on("data", (d: Buffer) => {
      plainOut += d.toString();
    });
    const wall: Rounds = [];
    const p50: Rounds = [];
    const p99: Rounds = [];
    const cpuPerReq: Rounds = [];
    let orchestratorMsPerReq: number[] = [];
    const problems: string[] = [];
    try {
      await waitForPort(portVoid, "void run", voided);
      await waitForPort(portPlain, "https_plain", plain);
      const url = (port: number) => `https://127.0.0.1:${port}/`;
      const load = (port: number, s: number) =>
        spawnSync("wrk", ["-t2", `-c${connections}`, `-d${s}s`, "--timeout", "10s", "-H", "Connection: close", "--latency", url(port)], { encoding: "utf8", timeout: (s + 30) * 1000 });
      // Warm-up: both servers, page cache, the orchestrator's JIT.
      load(portVoid, 1);
      load(portPlain, 1);
      const ticksPerSec = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
      const cores = Number(spawnSync("nproc", [], { encoding: "utf8" }).stdout.trim()) || 1;
      orchestratorMsPerReq = [];
      for (let r = 0; r < rounds; r++) {
        await awaitQuiet(ctx);
        const w: Record<string, number[]> = {};
        const a: Record<string, number[]> = {};
        const b: Record<string, number[]> = {};
        const c: Record<string, number[]> = {};
        for (const [name, port] of rotate<[string, number]>(
          [
            [VOIDED, portVoid],
            [PLAIN, portPlain],
          ],
          r,
        )) {
          const t0 = name === VOIDED ? cpuTicks(voided.pid!) : 0;
          const m0 = cpuMark();
          const out = load(port, seconds);
          const m1 = cpuMark();
          if (out.status !== 0) throw new Error(`wrk against ${name}: ${out.stderr}`);
          const res = parseWrk(out.stdout);
          if (!(res.requests > 0)) throw new Error(`wrk against ${name}: no requests:\n${out.stdout}`);
          if (res.errors > 0 || res.non2xx > 0) problems.push(`round ${r}, ${name}: ${res.errors} socket errors, ${res.non2xx} non-2xx of ${res.requests}`);
          w[name] = [res.rps];
          a[name] = [res.p50ms];
          b[name] = [res.p99ms];
          c[name] = [busyNs(m0, m1, cores) / res.requests];
          if (name === VOIDED) orchestratorMsPerReq.push((((cpuTicks(voided.pid!) - t0) / ticksPerSec) * 1000) / res.requests);
        }
        wall.push(w);
        p50.push(a);
        p99.push(b);
        cpuPerReq.push(c);
        ctx.log(`https round ${r}: void ${w[VOIDED]![0]!.toFixed(0)} req/s, unvoided ${w[PLAIN]![0]!.toFixed(0)} req/s`);
      }
    } finally {
      await stop(voided, "SIGTERM");
      await stop(plain, "SIGKILL");
      const root = /^ROOT (.*)$/m.exec(plainOut)?.[1];
      // Its tmpfs lived in the driver's own mount namespace: on the host it is an empty directory.
      if (root?.startsWith("/tmp/https-plain-")) rmSync(root, { recursive: true, force: true });
      rmSync(join(dir, "tls"), { recursive: true, force: true });
    }
    const r = ratio(wall, VOIDED, PLAIN);
    const rows: Row[] = [
      {
        suite: "https",
        measure: "requests/s (= connections/s): void ÷ unvoided",
        ratio: r,
        ratioTo: PLAIN,
        ratioUnit: "×",
        target: HTTPS_TARGET,
        met: r.median >= 0.5,
      },
    ];
    for (const name of [VOIDED, PLAIN]) {
      rows.push({ suite: "https", measure: `${name}: requests/s`, value: summarize(pooled(wall, name)), unit: "/s" });
      rows.push({
        suite: "https",
        measure: `${name}: latency p50`,
        value: summarize(pooled(p50, name)),
        unit: "ms",
        note: "wrk: from writing the request to the response; connect and handshake not included",
      });
      rows.push({ suite: "https", measure: `${name}: latency p99`, value: summarize(pooled(p99, name)), unit: "ms" });
      rows.push({ suite: "https", measure: `${name}: machine CPU per request`, value: scale(summarize(pooled(cpuPerReq, name)), 1e-6), unit: "ms", note: "both cores, wrk's TLS client included" });
    }
    rows.push({ suite: "https", measure: "p50 latency: void ÷ unvoided", ratio: ratio(p50, VOIDED, PLAIN), ratioTo: PLAIN, ratioUnit: "×" });
    rows.push({ suite: "https", measure: "machine CPU per request: void ÷ unvoided", ratio: ratio(cpuPerReq, VOIDED, PLAIN), ratioTo: PLAIN, ratioUnit: "×" });
    rows.push({ suite: "https", measure: "void run's own CPU (the orchestrator) per request", value: summarize(orchestratorMsPerReq), unit: "ms" });
    const bars = [VOIDED, PLAIN].map((name) => {
      const s = summarize(pooled(wall, name));
      return { label: name, value: s.median, lo: s.p10, hi: s.p90, group: name === VOIDED ? "void" : "unvoided" };
    });
    const svg = barChart({
      title: "HTTPS example: requests per second (one connection per request)",
      subtitle: `wrk -t2 -c${connections} -d${seconds}s -H "Connection: close", ${rounds} interleaved rounds; RSA 2048 certificate`,
      axis: "requests/s (median of rounds, p10–p90 whiskers)",
      bars,
      digits: 0,
    });
    return {
      name: "https",
      title: this.title,
      rows,
      figures: [{ file: "https.svg", svg, caption: "Requests per second of the HTTPS example, voided and unvoided, same rounds." }],
      notes: [
        `Both servers ran the same binary (examples/https/https) with a fresh RSA 2048 certificate; void run with its default -j 64, the unvoided driver (bench/c/https_plain.c) unbounded; wrk -t2 -c${connections}, ${seconds} s per run, over 127.0.0.1.`,
        "Every request is a new TCP connection and TLS handshake (Connection: close): requests/s is also connections/s, and each request costs a tls and an http process (or void).",
        ...(problems.length > 0 ? [`wrk reported: ${problems.join("; ")}`] : ["wrk reported no socket errors and no non-2xx responses."]),
        ...(voidErr.trim() !== "" ? [`void run's stderr: ${voidErr.trim().slice(0, 500)}`] : []),
      ],
      raw: { rounds, seconds, connections, wall, p50, p99, cpuPerReq, orchestratorMsPerReq, problems },
    };
  },
};
