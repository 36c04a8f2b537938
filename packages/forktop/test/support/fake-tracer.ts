/**
 * A scripted stand-in for build/forktop-tracer, for tests of forktop's
 * tracer plumbing that must not depend on ptrace: it writes the lines of
 * the file named by FAKE_TRACER_EVENTS to its control socket (fd 3), then
 * answers commands: `detach` -> `detached` and exit 0; `shell PID R C` ->
 * `error` (it cannot inject); `rescan` -> a `change` of the first pid;
 * anything else -> `error`. EOF on the socket: exit 0. With
 * FAKE_TRACER_EXIT=1 it exits 0 right after the lines (as the real tracer
 * does once every traced process has exited).
 * Usage: node fake-tracer.js --control-fd 3 [...].
 */

import { readFileSync } from "node:fs";
import { Socket } from "node:net";

const file = process.env["FAKE_TRACER_EVENTS"];
if (!file) {
  process.stderr.write("fake-tracer: FAKE_TRACER_EVENTS is not set\n");
  process.exit(2);
}
const lines = readFileSync(file, "utf8")
  .split("\n")
  .filter((l) => l !== "");
const sock = new Socket({ fd: 3, readable: true, writable: true });
const send = (obj: object | string) => sock.write((typeof obj === "string" ? obj : JSON.stringify(obj)) + "\n");
for (const l of lines) send(l);
if (process.env["FAKE_TRACER_EXIT"] === "1") sock.end(() => process.exit(0));
let firstPid: number | null = null;
for (const l of lines) {
  try {
    const v = JSON.parse(l) as { pid?: number; snapshot?: object };
    if (typeof v.pid === "number" && v.snapshot) {
      firstPid = v.pid;
      break;
    }
  } catch {
    // a deliberately malformed line
  }
}
let buf = "";
sock.on("data", (chunk: Buffer) => {
  buf += chunk.toString("utf8");
  let nl = buf.indexOf("\n");
  while (nl >= 0) {
    const cmd = buf.slice(0, nl).split(" ");
    buf = buf.slice(nl + 1);
    nl = buf.indexOf("\n");
    if (cmd[0] === "detach") {
      send({ event: "detached", time: Date.now() });
      sock.end(() => process.exit(0));
    } else if (cmd[0] === "shell") {
      send({ event: "error", time: Date.now(), pid: Number(cmd[1]), message: `shell ${cmd[1]}: the fake tracer cannot inject` });
    } else if (cmd[0] === "rescan" && firstPid !== null) {
      send({ event: "change", time: Date.now(), pid: firstPid, snapshot: { comm: "rescanned" } });
    } else {
      send({ event: "error", time: Date.now(), message: `unknown command ${cmd.join(" ")}` });
    }
  }
});
sock.on("end", () => process.exit(0));
