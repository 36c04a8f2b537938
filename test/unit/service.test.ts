/**
 * Socket activation and sd_notify, without a service manager: the
 * environment a manager would set, and a fake of the two native calls.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Activation } from "../../src/orchestrator/activation.js";
import { type Logger, paintLabels } from "../../src/orchestrator/log.js";
import { ServiceManager } from "../../src/orchestrator/service-manager.js";
import { canonicalAddr } from "../../src/spec/validate.js";

const quiet: Logger = { verbosity: 0, error: () => {}, warn: () => {}, info: () => {}, verbose: () => {}, debug: () => {} };

/** fds 3.. as a manager would pass them: each a listening TCP socket at the given address, or not a socket. */
function fakeAddon(sockets: ({ ip: string; port: number; family?: "inet" | "inet6" } | null)[]) {
  const cloexec: number[] = [];
  return {
    cloexec,
    socketAddress: (fd: number) => {
      const s = sockets[fd - 3];
      return s == null ? null : { family: s.family ?? "inet", ip: s.ip, port: s.port, stream: true, listening: true };
    },
    setCloexec: (fd: number) => {
      cloexec.push(fd);
    },
  };
}

describe("Activation (sd_listen_fds)", () => {
  it("takes the passed sockets meant for this pid, by entrypoint name first, then by address, and clears the variables", () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: "42", LISTEN_FDS: "2", LISTEN_FDNAMES: "web:other" };
    const addon = fakeAddon([
      { ip: "0.0.0.0", port: 80 },
      { ip: "::1", port: 8443, family: "inet6" },
    ]);
    const a = Activation.fromEnvironment(env, 42, addon);
    assert.deepEqual(env, {}, "no void can be given them");
    assert.deepEqual(addon.cloexec, [3, 4]);
    assert.deepEqual(a.take("web", "127.0.0.1:9999"), { fd: 3, name: "web", addr: "0.0.0.0:80" });
    assert.equal(a.take("api", "127.0.0.1:8443"), undefined, "no name and no address match");
    assert.deepEqual(a.take("api", "[0:0::1]:08443"), { fd: 4, name: "other", addr: "[::1]:8443" });
    assert.deepEqual(a.refused, []);
  });
  it("ignores sockets meant for another process, and refuses what is not a listening TCP socket", () => {
    const other = Activation.fromEnvironment({ LISTEN_PID: "7", LISTEN_FDS: "1" }, 42, fakeAddon([{ ip: "0.0.0.0", port: 80 }]));
    assert.equal(other.take("web", "0.0.0.0:80"), undefined);
    const closed: number[] = [];
    const junk = Activation.fromEnvironment({ LISTEN_PID: "42", LISTEN_FDS: "1", LISTEN_FDNAMES: "odd" }, 42, fakeAddon([null]), (fd) => closed.push(fd));
    assert.equal(junk.refused.length, 1);
    assert.deepEqual(closed, [3], "closed, not kept");
    assert.match(junk.refused[0]!, /fd 3 \(odd\): not a listening TCP socket/);
  });
  it("canonicalAddr (shared with the spec's listener checks) writes addresses as the kernel reports them", () => {
    assert.equal(canonicalAddr("127.0.0.1:080"), "127.0.0.1:80");
    assert.equal(canonicalAddr("[0:0::1]:80"), "[::1]:80");
  });
});

describe("ServiceManager (sd_notify)", () => {
  it("sends READY=1 and STOPPING=1 to NOTIFY_SOCKET, and removes it from the environment", () => {
    const sent: [string, string][] = [];
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: "@/org/freedesktop/systemd1/notify" };
    const notify = (p: string, msg: string): void => {
      sent.push([p, msg]);
    };
    const m = new ServiceManager({ notify }, quiet, env);
    m.ready();
    m.stopping();
    assert.deepEqual(env, {});
    assert.equal(sent.length, 2);
    assert.match(sent[0]![1], /^READY=1\nSTATUS=.*\nMAINPID=\d+$/);
    assert.match(sent[1]![1], /^STOPPING=1\n/);
    assert.equal(sent[0]![0], "@/org/freedesktop/systemd1/notify");
  });
  it("sends nothing without NOTIFY_SOCKET, or with one that is not a socket path, and says when sending fails", () => {
    let calls = 0;
    const count = (): void => {
      calls++;
    };
    new ServiceManager({ notify: count }, quiet, {}).ready();
    new ServiceManager({ notify: count }, quiet, { NOTIFY_SOCKET: "relative" }).ready();
    assert.equal(calls, 0);
    const warnings: string[] = [];
    // What the addon throws (native/addon/sockets.c): code, errno, syscall, path, and words.
    const refused = (): void => {
      throw Object.assign(new Error("sendto /run/x: Connection refused"), { code: "ECONNREFUSED", errno: -111, syscall: "sendto", path: "/run/x" });
    };
    new ServiceManager({ notify: refused }, { ...quiet, warn: (m) => warnings.push(m) }, { NOTIFY_SOCKET: "/run/x" }).ready();
    assert.equal(warnings[0], "cannot notify the service manager: sendto /run/x: Connection refused");
  });
});

describe("paintLabels (colour on terminals, NO_COLOR honoured)", () => {
  it("colours error and warning labels on a terminal only, and never with NO_COLOR or TERM=dumb", () => {
    const text = "void: error: x\nspec.json: warning: y\nvoid: entrypoint a exited\n";
    assert.equal(paintLabels(text, true, {}), "void: \x1b[1;31merror:\x1b[0m x\nspec.json: \x1b[1;33mwarning:\x1b[0m y\nvoid: entrypoint a exited\n");
    assert.equal(paintLabels(text, false, {}), text);
    assert.equal(paintLabels(text, true, { NO_COLOR: "1" }), text);
    assert.equal(paintLabels(text, true, { TERM: "dumb" }), text);
  });
});
