/**
 * What void prints for an errno value or a signal number: one table, used
 * by the Node launcher (src/orchestrator/status.ts) and, as native/texts.h
 * (rendered by src/native/contract-header.ts, written by
 * scripts/gen-contract.mjs), by the native front end (native/front.c), so
 * both say exactly the same words whichever of them runs a command.
 *
 * The texts are libuv's (what Node's util.getSystemErrorMap() gives on
 * Node 24), capitalised as strerror(3) does ("I/O error"); an errno libuv
 * has no text for prints as "error N" in both. A table of void's own keeps
 * the words the same on every Node version (Node 20 has no text for
 * ENOEXEC) and costs the front end's cache entries nothing. The numbers are the kernel's asm-generic ones,
 * the same on x86_64 and aarch64; native/texts.h asserts each against the
 * C library's macro. Where two signal names share a number, the table
 * keeps the one kill -l prints (SIGABRT, not SIGIOT; SIGIO, not SIGPOLL).
 */

/** [errno, name, text]: the kernel's errno values libuv names. */
export const ERRNO_TEXTS: readonly (readonly [number, string, string])[] = [
  [1, "EPERM", "Operation not permitted"],
  [2, "ENOENT", "No such file or directory"],
  [3, "ESRCH", "No such process"],
  [4, "EINTR", "Interrupted system call"],
  [5, "EIO", "I/O error"],
  [6, "ENXIO", "No such device or address"],
  [7, "E2BIG", "Argument list too long"],
  [8, "ENOEXEC", "Exec format error"],
  [9, "EBADF", "Bad file descriptor"],
  [11, "EAGAIN", "Resource temporarily unavailable"],
  [12, "ENOMEM", "Not enough memory"],
  [13, "EACCES", "Permission denied"],
  [14, "EFAULT", "Bad address in system call argument"],
  [16, "EBUSY", "Resource busy or locked"],
  [17, "EEXIST", "File already exists"],
  [18, "EXDEV", "Cross-device link not permitted"],
  [19, "ENODEV", "No such device"],
  [20, "ENOTDIR", "Not a directory"],
  [21, "EISDIR", "Illegal operation on a directory"],
  [22, "EINVAL", "Invalid argument"],
  [23, "ENFILE", "File table overflow"],
  [24, "EMFILE", "Too many open files"],
  [25, "ENOTTY", "Inappropriate ioctl for device"],
  [26, "ETXTBSY", "Text file is busy"],
  [27, "EFBIG", "File too large"],
  [28, "ENOSPC", "No space left on device"],
  [29, "ESPIPE", "Invalid seek"],
  [30, "EROFS", "Read-only file system"],
  [31, "EMLINK", "Too many links"],
  [32, "EPIPE", "Broken pipe"],
  [34, "ERANGE", "Result too large"],
  [36, "ENAMETOOLONG", "Name too long"],
  [38, "ENOSYS", "Function not implemented"],
  [39, "ENOTEMPTY", "Directory not empty"],
  [40, "ELOOP", "Too many symbolic links encountered"],
  [49, "EUNATCH", "Protocol driver not attached"],
  [61, "ENODATA", "No data available"],
  [64, "ENONET", "Machine is not on the network"],
  [71, "EPROTO", "Protocol error"],
  [75, "EOVERFLOW", "Value too large for defined data type"],
  [84, "EILSEQ", "Illegal byte sequence"],
  [88, "ENOTSOCK", "Socket operation on non-socket"],
  [89, "EDESTADDRREQ", "Destination address required"],
  [90, "EMSGSIZE", "Message too long"],
  [91, "EPROTOTYPE", "Protocol wrong type for socket"],
  [92, "ENOPROTOOPT", "Protocol not available"],
  [93, "EPROTONOSUPPORT", "Protocol not supported"],
  [94, "ESOCKTNOSUPPORT", "Socket type not supported"],
  [95, "ENOTSUP", "Operation not supported on socket"],
  [97, "EAFNOSUPPORT", "Address family not supported"],
  [98, "EADDRINUSE", "Address already in use"],
  [99, "EADDRNOTAVAIL", "Address not available"],
  [100, "ENETDOWN", "Network is down"],
  [101, "ENETUNREACH", "Network is unreachable"],
  [103, "ECONNABORTED", "Software caused connection abort"],
  [104, "ECONNRESET", "Connection reset by peer"],
  [105, "ENOBUFS", "No buffer space available"],
  [106, "EISCONN", "Socket is already connected"],
  [107, "ENOTCONN", "Socket is not connected"],
  [108, "ESHUTDOWN", "Cannot send after transport endpoint shutdown"],
  [110, "ETIMEDOUT", "Connection timed out"],
  [111, "ECONNREFUSED", "Connection refused"],
  [112, "EHOSTDOWN", "Host is down"],
  [113, "EHOSTUNREACH", "Host is unreachable"],
  [114, "EALREADY", "Connection already in progress"],
  [121, "EREMOTEIO", "Remote I/O error"],
  [125, "ECANCELED", "Operation canceled"],
];

/** [signal, name]: the standard signals (a real-time one prints as "signal N"). */
export const SIGNAL_NAMES: readonly (readonly [number, string])[] = [
  [1, "SIGHUP"],
  [2, "SIGINT"],
  [3, "SIGQUIT"],
  [4, "SIGILL"],
  [5, "SIGTRAP"],
  [6, "SIGABRT"],
  [7, "SIGBUS"],
  [8, "SIGFPE"],
  [9, "SIGKILL"],
  [10, "SIGUSR1"],
  [11, "SIGSEGV"],
  [12, "SIGUSR2"],
  [13, "SIGPIPE"],
  [14, "SIGALRM"],
  [15, "SIGTERM"],
  [16, "SIGSTKFLT"],
  [17, "SIGCHLD"],
  [18, "SIGCONT"],
  [19, "SIGSTOP"],
  [20, "SIGTSTP"],
  [21, "SIGTTIN"],
  [22, "SIGTTOU"],
  [23, "SIGURG"],
  [24, "SIGXCPU"],
  [25, "SIGXFSZ"],
  [26, "SIGVTALRM"],
  [27, "SIGPROF"],
  [28, "SIGWINCH"],
  [29, "SIGIO"],
  [30, "SIGPWR"],
  [31, "SIGSYS"],
];

const errnos = new Map(ERRNO_TEXTS.map(([n, name, text]) => [n, { name, text }]));
const signals = new Map(SIGNAL_NAMES);

/** "No such file or directory" for 2, like strerror(3); "error N" for a number the table lacks. */
export function strerror(errno: number): string {
  return errnos.get(errno)?.text ?? `error ${errno}`;
}

/** "ENOENT" for 2, or undefined for a number the table lacks. */
export function errnoName(errno: number): string | undefined {
  return errnos.get(errno)?.name;
}

/** "SIGSEGV" for 11, "signal N" for a number the table lacks. */
export function signalName(signal: number): string {
  return signals.get(signal) ?? `signal ${signal}`;
}
