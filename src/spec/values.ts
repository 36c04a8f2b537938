/**
 * Rules for single values: paths, names, listen addresses. Pure functions
 * that return a Problem (message + optional hint) or undefined when the value
 * is fine. The walker in parse.ts attaches the JSON path.
 *
 * Rules chosen here (documented in docs/spec.md):
 * - Host and environment paths are absolute and already normalised: they
 *   start with "/", have no "." or ".." component, no empty component ("//"),
 *   no trailing "/" (except "/" itself) and no NUL. void never resolves a path
 *   lexically on the user's behalf: "/a/../b" differs from "/b" when /a is a
 *   symlink, so the spec must say what it means.
 * - Environment paths may not be /proc or /dev/null or lie under them: void
 *   mounts those itself ("Procfs", and the /dev/null every void gets).
 * - UTS names (Hostname, DomainName) are 1 to 64 bytes of UTF-8 without NUL.
 *   64 is the kernel's __NEW_UTS_LEN; any other byte is accepted by
 *   sethostname(2)/setdomainname(2), so no further restriction is imposed.
 * - Entrypoint names are non-empty, without "/" or NUL (they appear in argv
 *   and in log and file names). Pipe and file socket names are non-empty.
 * - A listen address is "ipv4:port" or "[ipv6]:port" with a decimal port
 *   0..65535 (0 = the kernel picks one). IPv6 zone ids ("%eth0") are refused:
 *   a listener binds an address, and scope ids are not portable across hosts.
 *   Addresses are checked with node:net isIP, which does no I/O.
 */

import { isIP } from "node:net";
import { quote } from "./diagnostics.js";
import { RPC_MAX_HOST_BYTES } from "../rpc/protocol.js";
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from "./syscalls.js";

export interface Problem {
  message: string;
  hint?: string;
}

/** Lexically normalised form of an absolute path, for hints only. */
function lexicalNormal(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** An absolute, normalised path: "/", or "/a/b" with no ".", "..", "" components. */
export function checkAbsolutePath(path: string): Problem | undefined {
  const shown = quote(path);
  if (path === "") return { message: 'the path is empty; expected an absolute path such as "/etc/hosts"' };
  if (path.includes("\0")) return { message: `the path ${shown} contains a NUL character` };
  if (!path.startsWith("/")) {
    return {
      message: `${shown} is not an absolute path`,
      hint: 'paths are not resolved against any directory; write the full path, starting with "/"',
    };
  }
  if (path === "/") return undefined;
  const parts = path.slice(1).split("/");
  const normal = quote(lexicalNormal(path));
  if (parts.includes("..")) {
    return { message: `${shown} contains a ".." component`, hint: `write the path it should name, e.g. ${normal}` };
  }
  if (parts.includes(".")) return { message: `${shown} contains a "." component`, hint: `write ${normal}` };
  if (parts[parts.length - 1] === "") return { message: `${shown} ends with "/"`, hint: `write ${normal}` };
  if (parts.includes("")) return { message: `${shown} contains an empty component ("//")`, hint: `write ${normal}` };
  return undefined;
}

/**
 * JSON Schema (ECMA-262) patterns matching the rules above, for schema.ts.
 * Each accepts at least what the check function accepts (tests hold them to
 * that); the checks give the precise messages.
 */
const PATH_BODY = "(?:/|(?:/(?!\\.\\.?(?:/|$))[^/\\u0000]+)+)$";
export const ABSOLUTE_PATH_PATTERN = `^${PATH_BODY}`;
export const ENVIRONMENT_PATH_PATTERN = `^(?!/proc(?:/|$))(?!/dev/null(?:/|$))${PATH_BODY}`;
export const LIBRARY_PATH_PATTERN = `^(?![^:;$]*[:;$])${PATH_BODY}`;
export const ENTRYPOINT_NAME_PATTERN = "^[^/\\u0000]+$";
export const LISTEN_ADDR_PATTERN = "^(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$";

const RESERVED_PATHS: readonly { path: string; why: string }[] = [
  { path: "/proc", why: 'void mounts the void\'s own /proc there when "Procfs" is granted' },
  { path: "/dev/null", why: "void provides /dev/null to every void itself" },
];

/** Where a Filesystem grant may appear inside the void. */
export function checkEnvironmentPath(path: string): Problem | undefined {
  const problem = checkAbsolutePath(path);
  if (problem !== undefined) return problem;
  for (const reserved of RESERVED_PATHS) {
    if (path === reserved.path || path.startsWith(`${reserved.path}/`)) {
      return { message: `${quote(path)} is reserved: ${reserved.why}` };
    }
  }
  return undefined;
}

/** The kernel's limit on UTS names (__NEW_UTS_LEN). */
export const UTS_NAME_MAX_BYTES = 64;

/** A Hostname or DomainName value. */
export function checkUtsName(name: string): Problem | undefined {
  if (name === "") return { message: "the name is empty; expected 1 to 64 bytes" };
  if (name.includes("\0")) return { message: `the name ${quote(name)} contains a NUL character` };
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > UTS_NAME_MAX_BYTES) {
    return { message: `the name is ${bytes} bytes long; the kernel's limit is ${UTS_NAME_MAX_BYTES} bytes` };
  }
  return undefined;
}

/** An environment variable's name (Env, PassEnv): what a shell can export. */
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
/** The longest value an Env grant may set (bytes): far below the kernel's 128 KiB per string. */
export const ENV_VALUE_MAX_BYTES = 32768;
/** The most variables one Env or PassEnv grant may name. */
export const ENV_MAX_VARS = 256;
/** A Tmpfs grant's smallest and largest size (bytes). */
export const TMPFS_MIN_SIZE = 4096;
export const TMPFS_MAX_SIZE = 1024 ** 4;

/** Variables that make an interpreter load or run code from a path or a string (python, perl, node, ruby, sh). */
const INTERPRETER_CODE_VARIABLES: readonly string[] = [
  "PYTHONPATH",
  "PYTHONSTARTUP",
  "PYTHONHOME",
  "PYTHONUSERBASE",
  "PERL5LIB",
  "PERLLIB",
  "PERL5OPT",
  "NODE_OPTIONS",
  "NODE_PATH",
  "RUBYOPT",
  "RUBYLIB",
  "BASH_ENV",
  "ENV",
];

/**
 * Names an Env or PassEnv grant may not give a void: the loader's (LD_*,
 * and GCONV_PATH, from which glibc loads code) — they would make a void
 * load code the planner never resolved, from wherever they point (and a
 * runtime spec may change values), the interpreters' code paths
 * (PYTHONPATH, PERL5LIB, NODE_OPTIONS, BASH_ENV...) — and void's own channels to the
 * service manager and to itself (NOTIFY_SOCKET, LISTEN_*, VOID_*).
 */
export function checkEnvName(name: string): Problem | undefined {
  if (!new RegExp(ENV_NAME_PATTERN).test(name)) return { message: `${quote(name)} is not a variable name: letters, digits and "_", not starting with a digit` };
  if (name.startsWith("LD_") || name === "GCONV_PATH") {
    return {
      message: `${quote(name)} is the dynamic loader's: it would make the void load code void never resolved`,
      hint:
        name === "LD_LIBRARY_PATH"
          ? 'give each directory as {"LibraryPath": "/dir"}: void finds the libraries there, binds them and sets LD_LIBRARY_PATH itself'
          : 'name the program with "Executable" and its libraries are found as the binary\'s are',
    };
  }
  if (INTERPRETER_CODE_VARIABLES.includes(name)) {
    return {
      message: `${quote(name)} makes an interpreter load or run code from where it points, which a void may be able to write`,
      hint: "bind the modules read-only where the interpreter looks by default",
    };
  }
  if (name === "NOTIFY_SOCKET" || name.startsWith("LISTEN_") || name.startsWith("VOID_")) {
    return { message: `${quote(name)} is void's own (the service manager's or void's): no void is given it` };
  }
  return undefined;
}

export function checkEnvValue(value: string): Problem | undefined {
  if (value.includes("\0")) return { message: "the value contains a NUL character, which no environment can hold" };
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > ENV_VALUE_MAX_BYTES) return { message: `the value is ${bytes} bytes long; at most ${ENV_VALUE_MAX_BYTES}` };
  return undefined;
}

/** Where a Tmpfs grant may be mounted: as a Filesystem grant's environment_path, but not the root (the void's root is its own tmpfs already, read-only). */
export function checkTmpfsPath(path: string): Problem | undefined {
  if (path === "/") return { message: 'the void\'s root is a tmpfs already, read-only once built; mount scratch space below it, e.g. "/tmp"' };
  return checkEnvironmentPath(path);
}

/**
 * A LibraryPath grant's directory: an absolute, normalised host path that
 * ld.so reads as one element of LD_LIBRARY_PATH — so no ":" or ";" (its
 * separators) and no "$" (it would expand $ORIGIN, $LIB, $PLATFORM).
 */
export function checkLibraryPath(path: string): Problem | undefined {
  const problem = checkAbsolutePath(path);
  if (problem !== undefined) return problem;
  const bad = [":", ";", "$"].find((c) => path.includes(c));
  if (bad !== undefined) {
    return {
      message: `${quote(path)} contains ${quote(bad)}, which ld.so reads in LD_LIBRARY_PATH as ${bad === "$" ? "a dynamic string token ($ORIGIN, $LIB, $PLATFORM)" : "a separator between directories"}`,
      hint: "give each directory its own LibraryPath grant, with its literal path",
    };
  }
  return undefined;
}

/** The key of an entrypoint in "entrypoints". */
export function checkEntrypointName(name: string): Problem | undefined {
  if (name === "") return { message: "an entrypoint name must not be empty" };
  if (name.includes("/")) return { message: `the entrypoint name ${quote(name)} contains "/"` };
  if (name.includes("\0")) return { message: `the entrypoint name ${quote(name)} contains a NUL character` };
  return undefined;
}

/** A remote host an Rpc operation may connect to. */
export function checkRpcHost(host: string): Problem | undefined {
  if (host === "") return { message: "the host is empty; write null to allow any host" };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(host)) {
    return { message: `the host ${quote(host)} contains whitespace or a control character` };
  }
  // The broker refuses longer hosts (src/rpc/protocol.ts): say so now, not at run time.
  const bytes = Buffer.byteLength(host, "utf8");
  if (bytes > RPC_MAX_HOST_BYTES) return { message: `the host is ${bytes} bytes long; a DNS name has at most ${RPC_MAX_HOST_BYTES}` };
  return undefined;
}

const EXAMPLE_ADDR = '"0.0.0.0:8443" or "[::]:8443"';

function checkPort(port: string, addr: string): Problem | undefined {
  if (!/^[0-9]{1,5}$/.test(port)) {
    return { message: `the port in ${quote(addr)} is not a decimal number`, hint: `write e.g. ${EXAMPLE_ADDR}` };
  }
  if (Number(port) > 65535) return { message: `the port in ${quote(addr)} is out of range 0..65535` };
  return undefined;
}

/**
 * A Connect destination: an address as a listener's is written, but one
 * host — not a wildcard (0.0.0.0, ::, ::ffff:0.0.0.0 however spelt), not
 * a broadcast or multicast group, not an IPv6 link-local address (which
 * needs a zone, and means a different host on each link) — and not port 0.
 */
export function checkConnectAddr(addr: string): Problem | undefined {
  const problem = checkListenAddr(addr);
  if (problem !== undefined) {
    if (problem.hint?.startsWith("a listener binds") === true) return { message: problem.message, hint: 'a Connect names an IP address, not a host name: e.g. "192.0.2.10:5432"' };
    return problem;
  }
  const colon = addr.lastIndexOf(":");
  const written = addr.slice(0, colon);
  if (Number(addr.slice(colon + 1)) === 0) return { message: `${quote(addr)}: port 0 is not a destination`, hint: "write the port the service listens on" };
  // The WHATWG URL parser writes every IP address one way ("[::0.0.0.0]" -> "[::]", IPv4 in IPv6 as hex words).
  const ip = new URL(`http://${written}/`).hostname.replace(/^\[|\]$/g, "");
  const v4 = ip.includes(":") ? undefined : ip.split(".").map(Number);
  const first = ip.includes(":") ? Number.parseInt(ip.split(":")[0] || "0", 16) : 0;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  const mappedFirst = mapped ? Number.parseInt(mapped[1]!, 16) >> 8 : undefined;
  const any = 'write the address of the host to reach, e.g. "127.0.0.1:5432"';
  if (ip === "0.0.0.0" || ip === "::" || ip === "::ffff:0:0") return { message: `${quote(addr)} is a wildcard address, not a destination`, hint: any };
  if (ip === "255.255.255.255" || (v4 !== undefined && v4[0]! >= 224 && v4[0]! <= 239) || first >> 8 === 0xff || (mappedFirst !== undefined && mappedFirst >= 224))
    return { message: `${quote(addr)} is a broadcast or multicast address, not one host`, hint: any };
  if ((first & 0xffc0) === 0xfe80)
    return { message: `${quote(addr)} is an IPv6 link-local address, which names a host only with a zone (an interface)`, hint: "use the host's global or unique-local address" };
  return undefined;
}

/** A TcpListener address: "ipv4:port" or "[ipv6]:port". */
export function checkListenAddr(addr: string): Problem | undefined {
  const shown = quote(addr);
  if (/^[0-9]+$/.test(addr)) {
    return { message: `${shown} has no IP address`, hint: `write "0.0.0.0:${addr}" to listen on every IPv4 address` };
  }
  if (addr.startsWith("[")) {
    const close = addr.indexOf("]");
    if (close < 0 || addr[close + 1] !== ":") {
      return { message: `${shown} is not "[ipv6]:port"`, hint: `write e.g. ${EXAMPLE_ADDR}` };
    }
    const ip = addr.slice(1, close);
    if (ip.includes("%")) return { message: `${shown} has an IPv6 zone id, which a listener cannot use` };
    if (isIP(ip) !== 6) return { message: `${quote(ip)} in ${shown} is not an IPv6 address` };
    return checkPort(addr.slice(close + 2), addr);
  }
  const colon = addr.lastIndexOf(":");
  if (colon < 0) return { message: `${shown} has no port`, hint: `write "ip:port", e.g. ${EXAMPLE_ADDR}` };
  const ip = addr.slice(0, colon);
  if (ip.includes(":")) {
    return { message: `${shown}: an IPv6 address must be in brackets`, hint: `write "[${ip}]:${addr.slice(colon + 1)}"` };
  }
  if (isIP(ip) !== 4) {
    return {
      message: `${quote(ip)} in ${shown} is not an IP address`,
      hint: /[a-z]/i.test(ip) ? 'a listener binds an address, not a host name: e.g. "127.0.0.1:8443"' : undefined,
    };
  }
  return checkPort(addr.slice(colon + 1), addr);
}

/**
 * The system call names a spec's Seccomp allow and deny lists may hold: a
 * call of x86_64 or of aarch64 (src/spec/syscalls.ts), the two
 * architectures void filters, so one spec serves both. A name the host's
 * architecture lacks (open, stat, fork... on aarch64) is accepted here and
 * ignored when the filter is planned: it cannot be called there
 * (src/plan/seccomp.ts). x86_64's order, then aarch64's own names.
 */
export const SYSCALL_NAMES: readonly string[] = [...new Set([...Object.keys(X86_64_SYSCALLS), ...Object.keys(AARCH64_SYSCALLS)])];

const SYSCALL_NAME_SET: ReadonlySet<string> = new Set(SYSCALL_NAMES);

/** Whether `name` is a system call of x86_64 or aarch64. */
export function isSyscallName(name: string): boolean {
  return SYSCALL_NAME_SET.has(name);
}
