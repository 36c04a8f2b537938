/**
 * The RPC broker's wire protocol, version 1 (docs/rpc.md), and the check of
 * a request against an entrypoint's `{"Rpc": [...]}` allow-list.
 *
 * A void has no network of its own. When its spec lists Rpc operations, it
 * is handed one end of an AF_UNIX SOCK_SEQPACKET socketpair; the other end
 * is the broker inside the orchestrator. The void sends one small JSON
 * request per packet, e.g.
 *
 *     {"op": "OpenTcpSocket", "host": "example.org", "port": 443, "family": null}
 *
 * and the broker answers each request, in order, with one JSON reply per
 * packet: on success `{"ok": true, ...}` carrying exactly one file
 * descriptor (SCM_RIGHTS), a socket connected by the launcher; on failure
 * `{"ok": false, "error": "EACCES", "message": "..."}` and no descriptor.
 *
 * Why it looks like this:
 * - SEQPACKET keeps message boundaries (no length prefix to get wrong),
 *   is reliable and ordered, and shows EOF when the void closes its end.
 * - JSON, because the request is tiny, the void may be written in anything,
 *   and a person reading a log can read it. The schema is closed: every
 *   key is required, unknown keys and duplicate keys are refused, so there
 *   is exactly one way to write each request and nothing is ignored.
 * - Both directions are capped at 1024 bytes, so the broker reads with a
 *   fixed buffer and a void cannot make it allocate.
 * - The check is an exact, field-by-field match against the spec's list:
 *   a listed field that is null allows any value; otherwise the request's
 *   value must be equal. Host names are compared ignoring ASCII case only
 *   (DNS's rule), never Unicode case folding, so the string that matched is
 *   the string the resolver sees. An IP literal matches only the same
 *   literal: no address arithmetic, no resolution before the check.
 *   Host names are resolved by the launcher, after the check.
 *
 * This module is pure: no I/O, no clock, nothing thrown for bad input.
 * `parseRequest` never throws; `encodeReply` throws only for a programming
 * error (a success reply whose address is not an address-sized string).
 * The broker's I/O (recvmsg/sendmsg, resolving, connecting) lives in
 * src/orchestrator.
 */

import { Limit } from "../native/contract.js";
import { readJsonText } from "../spec/json-text.js";
import type { RpcOperation } from "../spec/types.js";

/** Largest request packet, in bytes. A longer packet is refused (EPROTO). */
export const RPC_MAX_REQUEST_BYTES = 1024;
/** Largest reply packet, in bytes. `encodeReply` never exceeds it. */
export const RPC_MAX_REPLY_BYTES = 1024;
/** Longest host, in UTF-8 bytes (a DNS name's limit, without the trailing dot). */
export const RPC_MAX_HOST_BYTES = 253;

/**
 * FileSocket convention (docs/rpc.md): one SOCK_SEQPACKET packet carries at
 * least one data byte and 1 to 16 file descriptors (the contract's
 * VOID_MESSAGE_MAX_FDS).
 */
export const FILE_SOCKET_MAX_FDS = Limit.MessageMaxFds;
/**
 * Pipe-trigger convention (docs/rpc.md): a message is one line, at most
 * PIPE_BUF (4096) bytes including its terminating newline, so one write(2)
 * of a whole line is atomic; the message itself is at most 4095 bytes.
 */
export const PIPE_LINE_MAX_BYTES = 4096;
export const PIPE_MESSAGE_MAX_BYTES = PIPE_LINE_MAX_BYTES - 1;

export const RPC_OPS = ["OpenTcpSocket", "OpenUdpSocket"] as const;
export type RpcOp = (typeof RPC_OPS)[number];

export const RPC_FAMILIES = ["Inet", "Inet6"] as const;
export type RpcFamily = (typeof RPC_FAMILIES)[number];

/** A well-formed request, as `parseRequest` returns it. */
export interface RpcRequest {
  op: RpcOp;
  /** A host name or an IP literal: 1..253 UTF-8 bytes, no whitespace or control characters. */
  host: string;
  /** 1..65535. */
  port: number;
  /** null: either family. */
  family: RpcFamily | null;
}

/**
 * Every error name a v1 broker may send, and what it means. The C client
 * maps each to an errno (lib/c/void.c); anything else the broker hits is
 * sent as EIO.
 */
export const RPC_ERRORS = {
  EACCES: "the operation is not in this void's Rpc list",
  EPROTO: "the request is malformed",
  EAI_NONAME: "the host name does not resolve (to an address of the requested family)",
  EAI_AGAIN: "temporary failure in name resolution",
  ETIMEDOUT: "connecting took longer than the broker's deadline",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  ENETUNREACH: "network is unreachable",
  EHOSTUNREACH: "no route to host",
  ENETDOWN: "network is down",
  EHOSTDOWN: "host is down",
  EADDRNOTAVAIL: "cannot assign the requested address",
  EAFNOSUPPORT: "the host is an IP literal of another family than requested, or the launcher lacks the family",
  EPERM: "the launcher's system refused the connection (e.g. a firewall rule)",
  EMFILE: "the launcher has too many open files",
  ENFILE: "the system has too many open files",
  ENOBUFS: "no buffer space available",
  ENOMEM: "out of memory",
  EIO: "any other failure",
} as const;
export type RpcErrorName = keyof typeof RPC_ERRORS;
export const RPC_ERROR_NAMES = Object.keys(RPC_ERRORS) as RpcErrorName[];

export type RpcReply = { ok: true; family: RpcFamily; address: string; port: number } | { ok: false; error: RpcErrorName; message: string };

export type ParseRequestResult = { ok: true; request: RpcRequest } | { ok: false; error: "EPROTO"; message: string };

export type AllowResult = { allowed: true } | { allowed: false; message: string };

const REQUEST_KEYS = ["op", "host", "port", "family"] as const;

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** At most `max` characters of a value, JSON-quoted, for error messages. */
function show(value: unknown, max = 40): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${show(value)}`;
  return `the ${typeof value} ${show(value)}`;
}

function fail(message: string): ParseRequestResult {
  return { ok: false, error: "EPROTO", message };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const BAD_HOST_CHAR = /[\s\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `host` is not an acceptable request host, or undefined. The rule is
 * the spec's rule for Rpc hosts (src/spec/values.ts checkRpcHost: no
 * whitespace, no control characters, so in particular no NUL) plus a
 * length limit and well-formed Unicode (a lone surrogate has no UTF-8 form,
 * so the resolver would see a different string).
 */
export function checkRequestHost(host: string): string | undefined {
  if (host === "") return 'the "host" is empty';
  if (LONE_SURROGATE.test(host)) return 'the "host" contains a lone UTF-16 surrogate (not Unicode text)';
  if (BAD_HOST_CHAR.test(host)) return `the "host" ${show(host)} contains whitespace or a control character`;
  const bytes = encoder.encode(host).length;
  if (bytes > RPC_MAX_HOST_BYTES) return `the "host" is ${bytes} bytes long; at most ${RPC_MAX_HOST_BYTES}`;
  return undefined;
}

/**
 * Read one request packet. Never throws. Everything that is not exactly a
 * v1 request is `{ok: false, error: "EPROTO"}` with a message saying what
 * is wrong: more than 1024 bytes, not UTF-8 (a byte order mark is not
 * skipped), not JSON, not an object, a duplicate, unknown or missing key,
 * a wrong type, a port outside 1..65535, an unknown op or family, a bad host.
 */
export function parseRequest(bytes: Uint8Array): ParseRequestResult {
  if (bytes.length > RPC_MAX_REQUEST_BYTES) {
    return fail(`the request is ${bytes.length} bytes long; at most ${RPC_MAX_REQUEST_BYTES}`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return fail("the request is not valid UTF-8");
  }
  if (text.startsWith("\uFEFF")) return fail("the request starts with a byte order mark");
  if (text.trim() === "") return fail("the request is empty; expected a JSON object");
  const json = readJsonText(text);
  if (!json.ok) return fail(`the request is not JSON: ${json.message} at column ${json.location.column}`);
  const value = json.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(`the request is ${describeType(value)}; expected a JSON object {"op": ..., "host": ..., "port": ..., "family": ...}`);
  }
  const duplicate = json.duplicates[0];
  if (duplicate !== undefined) return fail(`the key ${show(duplicate.key)} appears twice`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(REQUEST_KEYS as readonly string[]).includes(key)) {
      return fail(`unknown key ${show(key)}; expected only "op", "host", "port", "family"`);
    }
  }
  for (const key of REQUEST_KEYS) {
    if (!Object.hasOwn(record, key)) return fail(`the key "${key}" is missing`);
  }
  const { op, host, port, family } = record;
  if (typeof op !== "string" || !(RPC_OPS as readonly string[]).includes(op)) {
    return fail(`"op" is ${describeType(op)}; expected "OpenTcpSocket" or "OpenUdpSocket"`);
  }
  if (typeof host !== "string") return fail(`"host" is ${describeType(host)}; expected a string`);
  const hostProblem = checkRequestHost(host);
  if (hostProblem !== undefined) return fail(hostProblem);
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return fail(`"port" is ${describeType(port)}; expected an integer 1..65535`);
  }
  if (family !== null && (typeof family !== "string" || !(RPC_FAMILIES as readonly string[]).includes(family))) {
    return fail(`"family" is ${describeType(family)}; expected "Inet", "Inet6" or null`);
  }
  return { ok: true, request: { op: op as RpcOp, host, port, family: family as RpcFamily | null } };
}

/** Lower-case ASCII letters only: DNS compares names ignoring ASCII case, nothing more. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Does `operation` (from the spec) allow `request`? Field by field; null = any. */
export function operationMatches(request: RpcRequest, operation: RpcOperation): boolean {
  return (
    operation.kind === request.op &&
    (operation.family === null || operation.family === request.family) &&
    (operation.port === null || operation.port === request.port) &&
    (operation.host === null || asciiLower(operation.host) === asciiLower(request.host))
  );
}

/** The request in the spec's own notation, for messages and logs. */
export function describeRequest(request: RpcRequest): string {
  return describeOperation({ kind: request.op, family: request.family, port: request.port, host: request.host });
}

/** `{"OpenTcpSocket": {"family": "Inet", "port": 443, "host": "example.org"}}`. */
export function describeOperation(operation: RpcOperation): string {
  return JSON.stringify({
    [operation.kind]: { family: operation.family, port: operation.port, host: operation.host },
  });
}

function mismatches(request: RpcRequest, operation: RpcOperation): string[] {
  const out: string[] = [];
  if (operation.host !== null && asciiLower(operation.host) !== asciiLower(request.host)) {
    out.push(`host ${show(operation.host)}`);
  }
  if (operation.port !== null && operation.port !== request.port) out.push(`port ${operation.port}`);
  if (operation.family !== null && operation.family !== request.family) {
    out.push(request.family === null ? `family "${operation.family}" (send "family": "${operation.family}", not null)` : `family "${operation.family}"`);
  }
  return out;
}

/**
 * Check a parsed request against an entrypoint's Rpc list. Allowed when
 * some listed operation has the same op and each of its family, port and
 * host is null or equal to the request's (host: ASCII case-insensitive,
 * otherwise exact — an IP literal matches only the identical literal).
 * A request with family null (either) matches only operations whose
 * family is null: it is not narrowed. The denial message names the closest
 * listed operation and what it requires, so a developer can fix the spec
 * or the call.
 */
export function isAllowed(request: RpcRequest, operations: readonly RpcOperation[]): AllowResult {
  for (const operation of operations) {
    if (operationMatches(request, operation)) return { allowed: true };
  }
  const asked = describeRequest(request);
  if (operations.length === 0) return { allowed: false, message: `${asked} is not allowed: this void's Rpc list is empty` };
  const sameOp = operations.filter((o) => o.kind === request.op);
  if (sameOp.length === 0) {
    const kinds = [...new Set(operations.map((o) => o.kind))].join(", ");
    return { allowed: false, message: `${asked} is not allowed: this void's Rpc list allows only ${kinds}` };
  }
  let best = sameOp[0]!;
  let bestMiss = mismatches(request, best);
  for (const operation of sameOp.slice(1)) {
    const miss = mismatches(request, operation);
    if (miss.length < bestMiss.length) {
      best = operation;
      bestMiss = miss;
    }
  }
  return {
    allowed: false,
    message: `${asked} is not in this void's Rpc list; the closest entry, ${describeOperation(best)}, requires ${bestMiss.join(", ")}`,
  };
}

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The bytes of one reply packet, at most 1024. A failure message that does
 * not fit is cut at a code point boundary and ends in "…". Throws a
 * RangeError only if a success reply does not fit (its address is not an
 * IP address) or the error name is not one of RPC_ERROR_NAMES: both are
 * bugs in the caller, never the void's doing.
 */
export function encodeReply(reply: RpcReply): Uint8Array {
  if (reply.ok) {
    const bytes = encoder.encode(JSON.stringify({ ok: true, family: reply.family, address: reply.address, port: reply.port }));
    if (bytes.length > RPC_MAX_REPLY_BYTES) throw new RangeError("encodeReply: a success reply longer than 1024 bytes");
    return bytes;
  }
  if (!Object.hasOwn(RPC_ERRORS, reply.error)) throw new RangeError(`encodeReply: unknown error name ${show(reply.error)}`);
  const render = (message: string): string => JSON.stringify({ ok: false, error: reply.error, message });
  const whole = render(reply.message);
  if (utf8Length(whole) <= RPC_MAX_REPLY_BYTES) return encoder.encode(whole);
  // Keep the longest prefix (in code points) that fits with the ellipsis.
  const chars = Array.from(reply.message);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (utf8Length(render(`${chars.slice(0, mid).join("")}…`)) <= RPC_MAX_REPLY_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return encoder.encode(render(`${chars.slice(0, lo).join("")}…`));
}

/**
 * The bytes of a request packet: what a client sends. Throws a RangeError
 * if `request` is not one that `parseRequest` would accept.
 */
export function encodeRequest(request: RpcRequest): Uint8Array {
  const bytes = encoder.encode(JSON.stringify({ op: request.op, host: request.host, port: request.port, family: request.family }));
  const check = parseRequest(bytes);
  if (!check.ok) throw new RangeError(`encodeRequest: ${check.message}`);
  return bytes;
}

export type ParseReplyResult = { ok: true; reply: RpcReply } | { ok: false; message: string };

/**
 * Read one reply packet (a client's side; used by tests). Strict: exactly
 * the keys of a success or of a failure reply, known error names only.
 * Whether the right number of fds came with it is the caller's check
 * (success: exactly one; failure: none).
 */
export function parseReply(bytes: Uint8Array): ParseReplyResult {
  if (bytes.length > RPC_MAX_REPLY_BYTES) return { ok: false, message: `the reply is ${bytes.length} bytes long` };
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, message: "the reply is not valid UTF-8" };
  }
  const json = readJsonText(text);
  if (!json.ok || json.duplicates.length > 0 || text.startsWith("\uFEFF")) {
    return { ok: false, message: "the reply is not a JSON object without duplicate keys" };
  }
  const v = json.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, message: "the reply is not an object" };
  const r = v as Record<string, unknown>;
  const keys = Object.keys(r).sort().join(",");
  if (r["ok"] === true && keys === "address,family,ok,port") {
    const { family, address, port } = r;
    if ((family === "Inet" || family === "Inet6") && typeof address === "string" && address !== "" && typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) {
      return { ok: true, reply: { ok: true, family, address, port } };
    }
  } else if (r["ok"] === false && keys === "error,message,ok") {
    const { error, message } = r;
    if (typeof error === "string" && Object.hasOwn(RPC_ERRORS, error) && typeof message === "string") {
      return { ok: true, reply: { ok: false, error: error as RpcErrorName, message } };
    }
  }
  return { ok: false, message: "the reply does not have the shape of a v1 success or failure reply" };
}

/**
 * The protocol's error name for an error code from Node or the native
 * layer (`err.code`, or an errno name). Node reports getaddrinfo's
 * EAI_NONAME as "ENOTFOUND" and EAI_NODATA as "ENODATA"; both mean the host
 * has no (suitable) address: EAI_NONAME. c-ares' "ETIMEOUT" is ETIMEDOUT.
 * Anything unknown is EIO.
 */
export function rpcErrorName(code: string | undefined): RpcErrorName {
  switch (code) {
    case "ENOTFOUND":
    case "ENODATA":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return "EAI_NONAME";
    case "ETIMEOUT":
      return "ETIMEDOUT";
    case undefined:
      return "EIO";
    default:
      return Object.hasOwn(RPC_ERRORS, code) ? (code as RpcErrorName) : "EIO";
  }
}
