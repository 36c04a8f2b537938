/**
 * The Forward and DevRandom grants, pure: parsing and validation, the JSON
 * Schema, runtime specs, planning and marshalling.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
// The named export: under NodeNext, TypeScript types the default import of this CommonJS module as the namespace.
import { Ajv2020 } from "ajv/dist/2020.js";
import { marshal, PlanOption, Tag } from "../../src/orchestrator/marshal.js";
import { planApplication } from "../../src/plan/plan.js";
import type { PlanInput, VoidPlan } from "../../src/plan/types.js";
import { formatDiagnostics } from "../../src/spec/format.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue, specToValue } from "../../src/spec/runtime.js";
import { specJsonSchema } from "../../src/spec/schema.js";
import type { Spec } from "../../src/spec/types.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

const udp = { Forward: { protocol: "Udp", host_addr: "127.0.0.1:5353", environment_port: 5353 } };
const tcp = { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:5353", environment_port: 5353 } };

const dnsmasq = {
  entrypoints: {
    dnsmasq: { args: ["BinaryName", "Trailing"], environment: ["Stderr", "DevRandom", udp, tcp] },
  },
};

function parsed(spec: unknown): Spec {
  const r = parseSpecValue(spec);
  assert.ok(r.ok, JSON.stringify(r));
  return r.spec;
}

/** Every error and warning, rendered as `void` prints them. */
function problems(spec: unknown): string {
  const r = parseSpecValue(spec);
  assert.ok(!r.ok, "expected the spec to be refused");
  return formatDiagnostics([...r.errors, ...r.warnings]);
}

const withEnv = (environment: unknown[], extra: Record<string, unknown> = {}) => ({
  entrypoints: { d: { args: ["BinaryName"], environment }, ...extra },
});

describe("Forward and DevRandom: parsing", () => {
  it("reads both grants into the model", () => {
    const env = parsed(dnsmasq).entrypoints[0]!.environment;
    assert.deepEqual(env, [
      { kind: "Stderr" },
      { kind: "DevRandom" },
      { kind: "Forward", protocol: "Udp", hostAddr: "127.0.0.1:5353", environmentPort: 5353 },
      { kind: "Forward", protocol: "Tcp", hostAddr: "127.0.0.1:5353", environmentPort: 5353 },
    ]);
  });

  it("accepts an IPv6 host address, port 0 on the host, and serde's long form of DevRandom", () => {
    const env = parsed(withEnv([{ DevRandom: null }, { Forward: { protocol: "Udp", host_addr: "[::1]:0", environment_port: 1024 } }])).entrypoints[0]!.environment;
    assert.deepEqual(env[1], { kind: "Forward", protocol: "Udp", hostAddr: "[::1]:0", environmentPort: 1024 });
  });

  it("refuses a port below 1024 inside the void, with the reason", () => {
    const text = problems(withEnv([{ Forward: { protocol: "Udp", host_addr: "127.0.0.1:53", environment_port: 53 } }]));
    assert.match(
      text,
      /^error: entrypoints\.d\.environment\[0\]\.Forward\.environment_port: port 53 is below 1024, which a void cannot bind \(it holds no capability, not even CAP_NET_BIND_SERVICE\)/,
    );
    assert.match(text, /host_addr may still use port 53/);
  });

  it("reports a misspelt protocol, a host name as address, a missing key and an unknown key at once", () => {
    const text = problems(
      withEnv([{ Forward: { protocol: "Udpp", host_addr: "localhost:53", environment_port: 5353 } }, { Forward: { protocol: "Tcp", environment_port: 70000, hots_addr: "127.0.0.1:1" } }]),
    );
    assert.match(text, /environment\[0\]\.Forward\.protocol: unknown variant "Udpp"; expected "Udp" \| "Tcp" \(did you mean "Udp"\?\)/);
    assert.match(text, /environment\[0\]\.Forward\.host_addr: "localhost" in "localhost:53" is not an IP address/);
    assert.match(text, /environment\[1\]\.Forward: unknown key "hots_addr" in a Forward grant; .*\(did you mean "host_addr"\?\)/);
    assert.match(text, /environment\[1\]\.Forward\.environment_port: got the number 70000; expected a port number 1024\.\.65535/);
    assert.doesNotMatch(text, /missing key "host_addr"/, "a misspelt key is not also reported missing");
  });

  it("refuses a Forward in a triggered entrypoint", () => {
    const text = problems({
      entrypoints: {
        main: { args: ["BinaryName", { Pipe: { Tx: "jobs" } }] },
        worker: { trigger: { Pipe: "jobs" }, args: ["BinaryName", "Trigger"], environment: [udp] },
      },
    });
    assert.match(text, /^error: entrypoints\.worker\.environment\[0\]: a Forward relays to one void, but entrypoints\.worker starts a void per message/m);
  });

  it("refuses two Forwards of one protocol on one host address, and a Tcp Forward on a TcpListener's address", () => {
    const text = problems({
      entrypoints: {
        a: { args: ["BinaryName", { TcpListener: { addr: "127.0.0.1:8053" } }], environment: [udp] },
        b: {
          environment: [{ Forward: { protocol: "Udp", host_addr: "127.0.0.1:5353", environment_port: 6000 } }, { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:8053", environment_port: 6000 } }],
        },
      },
    });
    assert.match(text, /entrypoints\.b\.environment\[0\]: a second Udp Forward on "127\.0\.0\.1:5353"; the first is at entrypoints\.a\.environment\[0\]/);
    assert.match(text, /entrypoints\.b\.environment\[1\]: a second Tcp Forward on "127\.0\.0\.1:8053"; the first is at entrypoints\.a\.args\[1\]/);
  });

  it("allows the same host address for UDP and TCP, and port 0 twice", () => {
    parsed(
      withEnv([udp, tcp, { Forward: { protocol: "Udp", host_addr: "127.0.0.1:0", environment_port: 1 + 5353 } }, { Forward: { protocol: "Udp", host_addr: "127.0.0.1:0", environment_port: 5353 } }]),
    );
  });

  it("refuses a Filesystem bind at /dev/urandom together with DevRandom, but not without it", () => {
    const bind = { Filesystem: { host_path: "/srv/seed", environment_path: "/dev/urandom" } };
    assert.match(problems(withEnv(["DevRandom", bind])), /environment\[1\]: environment_path "\/dev\/urandom" is where "DevRandom" \(at entrypoints\.d\.environment\[0\]\) puts the host's device/);
    parsed(withEnv([bind]));
  });

  it("the JSON Schema accepts the grants and refuses what the parser refuses structurally", () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(specJsonSchema());
    assert.ok(validate(dnsmasq), JSON.stringify(validate.errors));
    assert.ok(!validate(withEnv([{ Forward: { protocol: "Udp", host_addr: "127.0.0.1:53", environment_port: 53 } }])));
    assert.ok(!validate(withEnv([{ Forward: { protocol: "Sctp", host_addr: "127.0.0.1:53", environment_port: 5353 } }])));
    assert.ok(!validate(withEnv([{ Forward: { protocol: "Udp", environment_port: 5353 } }])));
  });
});

describe("Forward and DevRandom: runtime specs", () => {
  const compiled = parsed(dnsmasq);
  const runtime = (environment: unknown[]) => applyRuntimeValue(compiled, { entrypoints: { dnsmasq: { environment } } }, "prod.json");

  it("may move a Forward's host address and says so", () => {
    const r = runtime(["Stderr", "DevRandom", { Forward: { protocol: "Udp", host_addr: "127.0.0.2:53", environment_port: 5353 } }]);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(specToValue(r.spec), {
      entrypoints: {
        dnsmasq: { trigger: "Startup", args: ["BinaryName", "Trailing"], environment: ["Stderr", "DevRandom", { Forward: { protocol: "Udp", host_addr: "127.0.0.2:53", environment_port: 5353 } }] },
      },
    });
    assert.ok(r.changes.includes("prod.json: entrypoints.dnsmasq.environment[2]: Udp Forward to port 5353: host_addr 127.0.0.1:5353 -> 127.0.0.2:53"), r.changes.join("\n"));
    assert.ok(
      r.changes.some((c) => /drops \{"Forward": \{"protocol": "Tcp"/.test(c)),
      r.changes.join("\n"),
    );
  });

  it("refuses a new Forward, another port in the void, and DevRandom where the compile-time spec lacks it", () => {
    const r = runtime([{ Forward: { protocol: "Udp", host_addr: "127.0.0.1:5353", environment_port: 6000 } }]);
    assert.ok(!r.ok);
    assert.match(r.errors[0]!.message, /widens the compile-time spec: a new Udp Forward to port 6000 in the void/);
    assert.match(r.errors[0]!.hint ?? "", /forwards only Udp to port 5353, Tcp to port 5353/);
    const plain = parsed({ entrypoints: { dnsmasq: {} } });
    const r2 = applyRuntimeValue(plain, { entrypoints: { dnsmasq: { environment: ["DevRandom", tcp] } } }, "prod.json");
    assert.ok(!r2.ok);
    assert.deepEqual(
      r2.errors.map((e) => e.message),
      ['widens the compile-time spec: a new grant "DevRandom"', "widens the compile-time spec: a new Tcp Forward to port 5353 in the void"],
    );
  });
});

const input: PlanInput = { binary: "/usr/sbin/app", trailing: [], cwd: "/", uid: 1000, gid: 100, timeNamespace: true, arch: "x64", grantStdout: false, grantStderr: false };
const host = new FakeHost().file("/usr/sbin/app", buildElf({ type: 2 }));

function plans(spec: unknown): VoidPlan[] {
  const r = planApplication(parsed(spec), input, host);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plans;
}

/** The paths of a marshalled plan's DEVICE records, in order. */
function devices(buf: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < buf.length; ) {
    const tag = buf.readUInt32LE(at);
    const len = buf.readUInt32LE(at + 4);
    if (tag === Tag.Device) out.push(buf.toString("utf8", at + 8, at + 8 + len - 1));
    at += 8 + len + ((4 - (len % 4)) % 4);
  }
  return out;
}

describe("Forward and DevRandom: plans and marshalling", () => {
  it("a void without them has its loopback down, no forwards and no random devices", () => {
    const [p] = plans({ entrypoints: { app: {} } });
    assert.equal(p!.loopback, false);
    assert.deepEqual(p!.forwards, []);
    assert.ok(!p!.mounts.some((m) => m.type === "device"));
    const buf = marshal({ plan: p!, argv: ["/usr/sbin/app"], hostFds: [-1, -1, -1], debug: false });
    assert.equal(buf.readUInt32LE(8) & PlanOption.Loopback, 0);
    assert.deepEqual(devices(buf), ["/dev/null"]);
  });

  it("plans the loopback, the forwards in order and both devices; marshals the options and the factory fd", () => {
    const [p] = plans(dnsmasq);
    assert.equal(p!.loopback, true);
    assert.deepEqual(p!.forwards, [
      { protocol: "Udp", hostAddr: "127.0.0.1:5353", environmentPort: 5353 },
      { protocol: "Tcp", hostAddr: "127.0.0.1:5353", environmentPort: 5353 },
    ]);
    assert.deepEqual(
      p!.mounts.filter((m) => m.type === "device" || m.type === "devnull").map((m) => m.dest),
      ["/dev/null", "/dev/random", "/dev/urandom"],
    );
    const buf = marshal({ plan: p!, argv: ["/usr/sbin/app"], hostFds: [-1, -1, 2], factoryFd: 41, debug: false });
    assert.equal(buf.readUInt32LE(0), Tag.Options);
    const options = buf.readUInt32LE(8);
    assert.equal(options & PlanOption.Loopback, PlanOption.Loopback);
    assert.deepEqual(devices(buf), ["/dev/null", "/dev/random", "/dev/urandom"]);
    // The factory record: [tag][length 4][i32 fd], the last record here.
    assert.deepEqual([buf.readUInt32LE(buf.length - 12), buf.readUInt32LE(buf.length - 8), buf.readInt32LE(buf.length - 4)], [Tag.Factory, 4, 41]);
  });
});
