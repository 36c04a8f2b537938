/**
 * Connect grants without root: what the parser accepts and refuses (with
 * what it says), what a runtime spec may change, and the plan and records
 * the launcher's child gets (src/plan, src/orchestrator/marshal.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describePlan } from "../../src/cli/describe.js";
import { marshal, PlanOption, Tag } from "../../src/orchestrator/marshal.js";
import { planApplication } from "../../src/plan/plan.js";
import type { PlanInput, VoidPlan } from "../../src/plan/types.js";
import { formatDiagnostics } from "../../src/spec/format.js";
import { parseSpecValue } from "../../src/spec/parse.js";
import { applyRuntimeValue } from "../../src/spec/runtime.js";
import { specJsonSchema } from "../../src/spec/schema.js";
import type { Spec } from "../../src/spec/types.js";
import { buildElf, FakeHost } from "../support/elf-fixtures.js";

const db = { Connect: { protocol: "Tcp", environment_port: 5432, host_addr: "192.0.2.10:5432" } };
const dns = { Connect: { protocol: "Udp", environment_port: 53, host_addr: "[2001:db8::53]:53" } };
const withEnv = (environment: unknown[], args: unknown[] = ["BinaryName"], trigger?: unknown) => ({
  entrypoints: { app: { args, environment, ...(trigger !== undefined ? { trigger } : {}) }, ...(trigger !== undefined ? { feeder: { args: ["BinaryName", { Pipe: { Tx: "jobs" } }] } } : {}) },
});

function parsed(spec: unknown): Spec {
  const r = parseSpecValue(spec);
  assert.ok(r.ok, JSON.stringify(r));
  return r.spec;
}

function problems(spec: unknown): string {
  const r = parseSpecValue(spec);
  assert.ok(!r.ok, "expected the spec to be refused");
  return formatDiagnostics([...r.errors, ...r.warnings]);
}

describe("Connect: parsing", () => {
  it("reads TCP and UDP grants, an IPv6 destination, a port below 1024 in the void, and a triggered entrypoint", () => {
    const env = parsed(withEnv([db, dns], ["BinaryName", "Trigger"], { Pipe: "jobs" })).entrypoints.find((e) => e.name === "app")!.environment;
    assert.deepEqual(env, [
      { kind: "Connect", protocol: "Tcp", environmentPort: 5432, hostAddr: "192.0.2.10:5432" },
      { kind: "Connect", protocol: "Udp", environmentPort: 53, hostAddr: "[2001:db8::53]:53" },
    ]);
  });

  it("refuses a host name, a wildcard, port 0, a port out of range and an unknown key, saying why", () => {
    const text = problems(
      withEnv([
        { Connect: { protocol: "Tcp", environment_port: 80, host_addr: "db.example:5432" } },
        { Connect: { protocol: "Tcp", environment_port: 81, host_addr: "0.0.0.0:5432" } },
        { Connect: { protocol: "Udp", environment_port: 82, host_addr: "[::]:53" } },
        { Connect: { protocol: "Tcp", environment_port: 83, host_addr: "192.0.2.1:0" } },
        { Connect: { protocol: "Tcp", environment_port: 0, host_addr: "192.0.2.1:1" } },
        { Connect: { protocol: "Tcp", environment_port: 84, host_adr: "192.0.2.1:1" } },
      ]),
    );
    assert.match(text, /environment\[0\]\.Connect\.host_addr: "db\.example" in "db\.example:5432" is not an IP address \(a Connect names an IP address, not a host name/);
    assert.match(text, /environment\[1\]\.Connect\.host_addr: "0\.0\.0\.0:5432" is a wildcard address, not a destination/);
    assert.match(text, /environment\[2\]\.Connect\.host_addr: "\[::\]:53" is a wildcard address/);
    assert.match(text, /environment\[3\]\.Connect\.host_addr: "192\.0\.2\.1:0": port 0 is not a destination/);
    assert.match(text, /environment\[4\]\.Connect\.environment_port: got the number 0; expected a port number 1\.\.65535/);
    assert.match(text, /environment\[5\]\.Connect: unknown key "host_adr" in a Connect grant; .*\(did you mean "host_addr"\?\)/);
  });

  it("refuses every spelling of the any-address, broadcast and multicast groups, and zone-less IPv6 link-local addresses", () => {
    const bad = ["[::0.0.0.0]:53", "[::ffff:0.0.0.0]:53", "[::ffff:0:0]:53", "255.255.255.255:53", "224.0.0.251:5353", "[ff02::fb]:5353", "[::ffff:239.1.1.1]:5", "[fe80::1]:53"];
    const text = problems(withEnv(bad.map((host_addr, i) => ({ Connect: { protocol: "Udp", environment_port: 1000 + i, host_addr } }))));
    for (const [i, addr] of bad.entries()) {
      assert.match(text, new RegExp(`environment\\[${i}\\]\\.Connect\\.host_addr: "${addr.replace(/[[\].]/g, "\\$&")}" is (a wildcard|a broadcast or multicast|an IPv6 link-local) address`));
    }
    parsed(withEnv(["169.254.169.254:80", "[::ffff:127.0.0.1]:80", "[2001:db8::1]:53"].map((host_addr, i) => ({ Connect: { protocol: "Tcp", environment_port: 2000 + i, host_addr } }))));
  });

  it("refuses a Connect where the void holds sockets of the host's network: its connect() is refused there", () => {
    for (const args of [
      ["BinaryName", { TcpListener: { addr: "127.0.0.1:8080" } }],
      ["BinaryName", { Rpc: [{ OpenTcpSocket: { family: null, port: 5432, host: null } }] }],
    ]) {
      const text = problems(withEnv([db], args));
      assert.match(
        text,
        /entrypoints\.app\.environment\[0\]: a Connect cannot serve entrypoints\.app: it has a (TcpListener|Rpc) argument \(entrypoints\.app\.args\[1\]\), which gives it sockets of the host's network/,
      );
      assert.match(text, /\(give the outgoing connection to another entrypoint/);
    }
  });

  it("refuses two grants on one protocol and port in the void (Connect or Forward), and a seventeenth Connect", () => {
    const text = problems(
      withEnv([db, { Connect: { protocol: "Tcp", environment_port: 5432, host_addr: "192.0.2.11:5432" } }, { Forward: { protocol: "Tcp", host_addr: "127.0.0.1:0", environment_port: 5432 } }]),
    );
    assert.match(text, /environment\[1\]: Tcp port 5432 in the void is already taken by the grant at entrypoints\.app\.environment\[0\]/);
    assert.match(text, /environment\[2\]: Tcp port 5432 in the void is already taken/);
    parsed(withEnv([db, { Connect: { protocol: "Udp", environment_port: 5432, host_addr: "192.0.2.10:5432" } }]));
    const many = Array.from({ length: 17 }, (_, i) => ({ Connect: { protocol: "Tcp", environment_port: 1000 + i, host_addr: "192.0.2.10:80" } }));
    assert.match(problems(withEnv(many)), /environment\[16\]: more than 16 Connect grants in entrypoints\.app/);
  });

  it("the JSON Schema accepts the grant and refuses what the parser refuses structurally", () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(specJsonSchema());
    assert.ok(validate(withEnv([db, dns])), JSON.stringify(validate.errors));
    assert.ok(!validate(withEnv([{ Connect: { protocol: "Tcp", environment_port: 0, host_addr: "192.0.2.1:1" } }])));
    assert.ok(!validate(withEnv([{ Connect: { protocol: "Tcp", environment_port: 80 } }])));
  });
});

describe("Connect: runtime specs", () => {
  const compiled = parsed(withEnv([db]));

  it("may re-aim a Connect, printed as a change", () => {
    const r = applyRuntimeValue(compiled, { entrypoints: { app: { environment: [{ Connect: { protocol: "Tcp", environment_port: 5432, host_addr: "198.51.100.7:6432" } }] } } }, "prod.json");
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.spec.entrypoints[0]!.environment, [{ kind: "Connect", protocol: "Tcp", environmentPort: 5432, hostAddr: "198.51.100.7:6432" }]);
    assert.ok(r.changes.includes("prod.json: entrypoints.app.environment[0]: Tcp Connect from port 5432: host_addr 192.0.2.10:5432 -> 198.51.100.7:6432"), r.changes.join("\n"));
  });

  it("refuses a new Connect, or one from another port in the void", () => {
    const r = applyRuntimeValue(compiled, { entrypoints: { app: { environment: [db, { Connect: { protocol: "Udp", environment_port: 53, host_addr: "192.0.2.53:53" } }] } } }, "prod.json");
    assert.ok(!r.ok);
    assert.match(r.errors[0]!.message, /widens the compile-time spec: a new Udp Connect from port 53 in the void/);
    assert.match(r.errors[0]!.hint ?? "", /connects only Tcp from port 5432 for entrypoints\.app; a runtime spec may change only host_addr/);
  });
});

const input: PlanInput = { binary: "/usr/sbin/app", trailing: [], cwd: "/", uid: 1000, gid: 100, timeNamespace: true, arch: "x64", grantStdout: false, grantStderr: false };
const host = new FakeHost().file("/usr/sbin/app", buildElf({ type: 2 }));

function plans(spec: unknown): VoidPlan[] {
  const r = planApplication(parsed(spec), input, host);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plans;
}

describe("Connect: plans and marshalling", () => {
  it("brings the loopback up, lists the connects in order, and void check shows each", () => {
    const [p] = plans(withEnv([db, dns]));
    assert.equal(p!.loopback, true);
    assert.deepEqual(p!.connects, [
      { protocol: "Tcp", environmentPort: 5432, hostAddr: "192.0.2.10:5432" },
      { protocol: "Udp", environmentPort: 53, hostAddr: "[2001:db8::53]:53" },
    ]);
    const text = describePlan(p!);
    assert.match(text, /connect {4}TCP 127\.0\.0\.1:5432 in the void -> 192\.0\.2\.10:5432 on the host \(relayed by the launcher; nothing else is reachable\)/);
    assert.match(text, /connect {4}UDP 127\.0\.0\.1:53 in the void -> \[2001:db8::53\]:53 on the host/);
  });

  it("marshals one record per Connect (protocol 1 TCP, 2 UDP) with the loopback option", () => {
    const [p] = plans(withEnv([db, dns]));
    const buf = marshal({ plan: p!, argv: ["/usr/sbin/app"], hostFds: [-1, -1, -1], factoryFd: 41, debug: false });
    assert.equal(buf.readUInt32LE(8) & PlanOption.Loopback, PlanOption.Loopback);
    const records: number[][] = [];
    for (let at = 0; at < buf.length; ) {
      const tag = buf.readUInt32LE(at);
      const len = buf.readUInt32LE(at + 4);
      if (tag === Tag.Connect) records.push([buf.readUInt32LE(at + 8), buf.readUInt32LE(at + 12)]);
      at += 8 + len + ((4 - (len % 4)) % 4);
    }
    assert.deepEqual(records, [
      [1, 5432],
      [2, 53],
    ]);
  });
});

// (Here for its plan helpers: the writes line follows from the seccomp rules, as the Connect lines from the plan.)
describe("void check: where a void may write", () => {
  it("void check says where the void may open files for writing: Landlock's rule, or the kernel's checks alone where the void may make namespaces", () => {
    const [confined] = plans(withEnv([db]));
    assert.match(describePlan(confined!), /^ {2}writes {7}opens files for writing only beneath its writable binds, scratch tmpfs, devices and \/proc, and its writable File grants \(Landlock/m);
    const [nesting] = plans(withEnv([db, { Seccomp: { allow: ["unshare"] } }]));
    assert.match(describePlan(nesting!), /^ {2}writes {7}the kernel's read-only checks only \(it may make namespaces, or runs unconfined\)/m);
  });
});
