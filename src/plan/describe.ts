/**
 * Human-readable descriptions of plan parts, shared by `void check` and the
 * orchestrator's -v logs (pure).
 */
import type { RpcOperation } from "../spec/types.js";
import type { FdGrant } from "./types.js";

export function describeRpcOperation(o: RpcOperation): string {
  return `${o.kind}(family ${o.family ?? "any"}, host ${o.host ?? "any"}, port ${o.port ?? "any"})`;
}

/** "fd 3: pipe "jobs", write end" and the like. */
export function describeFd(f: FdGrant): string {
  const s = f.source;
  switch (s.kind) {
    case "stdin":
    case "stdout":
    case "stderr":
      return `${f.fd}  the launcher's ${s.kind}`;
    case "devnull":
      return `${f.fd}  /dev/null`;
    case "file":
      return `${f.fd}  ${s.path} (opened read-only by the launcher)`;
    case "pipe":
      return `${f.fd}  pipe "${s.name}", ${s.direction === "Rx" ? "read" : "write"} end`;
    case "filesocket":
      return `${f.fd}  file socket "${s.name}", ${s.direction === "Rx" ? "receiving" : "sending"} end`;
    case "tcplistener":
      return `${f.fd}  TCP socket listening on ${s.addr}`;
    case "rpc":
      return `${f.fd}  RPC broker socket: ${s.operations.map(describeRpcOperation).join(", ")}`;
    case "received":
      return `${f.fd}  fd #${s.index + 1} received with the triggering packet`;
  }
}
