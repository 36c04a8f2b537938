/*
 * texts.h — what void prints for an errno value or a signal number, the
 * same words the Node launcher prints (src/orchestrator/status.ts).
 *
 * GENERATED from src/native/texts.ts by scripts/gen-contract.mjs
 * (npm run gen-contract); do not edit. test/unit/contract.test.ts fails
 * when this file differs from what the table renders.
 */
#ifndef VOID_TEXTS_H
#define VOID_TEXTS_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>

/* The table's numbers are the kernel's; the C library must agree. */
_Static_assert(EPERM == 1, "EPERM");
_Static_assert(ENOENT == 2, "ENOENT");
_Static_assert(ESRCH == 3, "ESRCH");
_Static_assert(EINTR == 4, "EINTR");
_Static_assert(EIO == 5, "EIO");
_Static_assert(ENXIO == 6, "ENXIO");
_Static_assert(E2BIG == 7, "E2BIG");
_Static_assert(ENOEXEC == 8, "ENOEXEC");
_Static_assert(EBADF == 9, "EBADF");
_Static_assert(EAGAIN == 11, "EAGAIN");
_Static_assert(ENOMEM == 12, "ENOMEM");
_Static_assert(EACCES == 13, "EACCES");
_Static_assert(EFAULT == 14, "EFAULT");
_Static_assert(EBUSY == 16, "EBUSY");
_Static_assert(EEXIST == 17, "EEXIST");
_Static_assert(EXDEV == 18, "EXDEV");
_Static_assert(ENODEV == 19, "ENODEV");
_Static_assert(ENOTDIR == 20, "ENOTDIR");
_Static_assert(EISDIR == 21, "EISDIR");
_Static_assert(EINVAL == 22, "EINVAL");
_Static_assert(ENFILE == 23, "ENFILE");
_Static_assert(EMFILE == 24, "EMFILE");
_Static_assert(ENOTTY == 25, "ENOTTY");
_Static_assert(ETXTBSY == 26, "ETXTBSY");
_Static_assert(EFBIG == 27, "EFBIG");
_Static_assert(ENOSPC == 28, "ENOSPC");
_Static_assert(ESPIPE == 29, "ESPIPE");
_Static_assert(EROFS == 30, "EROFS");
_Static_assert(EMLINK == 31, "EMLINK");
_Static_assert(EPIPE == 32, "EPIPE");
_Static_assert(ERANGE == 34, "ERANGE");
_Static_assert(ENAMETOOLONG == 36, "ENAMETOOLONG");
_Static_assert(ENOSYS == 38, "ENOSYS");
_Static_assert(ENOTEMPTY == 39, "ENOTEMPTY");
_Static_assert(ELOOP == 40, "ELOOP");
_Static_assert(EUNATCH == 49, "EUNATCH");
_Static_assert(ENODATA == 61, "ENODATA");
_Static_assert(ENONET == 64, "ENONET");
_Static_assert(EPROTO == 71, "EPROTO");
_Static_assert(EOVERFLOW == 75, "EOVERFLOW");
_Static_assert(EILSEQ == 84, "EILSEQ");
_Static_assert(ENOTSOCK == 88, "ENOTSOCK");
_Static_assert(EDESTADDRREQ == 89, "EDESTADDRREQ");
_Static_assert(EMSGSIZE == 90, "EMSGSIZE");
_Static_assert(EPROTOTYPE == 91, "EPROTOTYPE");
_Static_assert(ENOPROTOOPT == 92, "ENOPROTOOPT");
_Static_assert(EPROTONOSUPPORT == 93, "EPROTONOSUPPORT");
_Static_assert(ESOCKTNOSUPPORT == 94, "ESOCKTNOSUPPORT");
_Static_assert(ENOTSUP == 95, "ENOTSUP");
_Static_assert(EAFNOSUPPORT == 97, "EAFNOSUPPORT");
_Static_assert(EADDRINUSE == 98, "EADDRINUSE");
_Static_assert(EADDRNOTAVAIL == 99, "EADDRNOTAVAIL");
_Static_assert(ENETDOWN == 100, "ENETDOWN");
_Static_assert(ENETUNREACH == 101, "ENETUNREACH");
_Static_assert(ECONNABORTED == 103, "ECONNABORTED");
_Static_assert(ECONNRESET == 104, "ECONNRESET");
_Static_assert(ENOBUFS == 105, "ENOBUFS");
_Static_assert(EISCONN == 106, "EISCONN");
_Static_assert(ENOTCONN == 107, "ENOTCONN");
_Static_assert(ESHUTDOWN == 108, "ESHUTDOWN");
_Static_assert(ETIMEDOUT == 110, "ETIMEDOUT");
_Static_assert(ECONNREFUSED == 111, "ECONNREFUSED");
_Static_assert(EHOSTDOWN == 112, "EHOSTDOWN");
_Static_assert(EHOSTUNREACH == 113, "EHOSTUNREACH");
_Static_assert(EALREADY == 114, "EALREADY");
_Static_assert(EREMOTEIO == 121, "EREMOTEIO");
_Static_assert(ECANCELED == 125, "ECANCELED");
_Static_assert(SIGHUP == 1, "SIGHUP");
_Static_assert(SIGINT == 2, "SIGINT");
_Static_assert(SIGQUIT == 3, "SIGQUIT");
_Static_assert(SIGILL == 4, "SIGILL");
_Static_assert(SIGTRAP == 5, "SIGTRAP");
_Static_assert(SIGABRT == 6, "SIGABRT");
_Static_assert(SIGBUS == 7, "SIGBUS");
_Static_assert(SIGFPE == 8, "SIGFPE");
_Static_assert(SIGKILL == 9, "SIGKILL");
_Static_assert(SIGUSR1 == 10, "SIGUSR1");
_Static_assert(SIGSEGV == 11, "SIGSEGV");
_Static_assert(SIGUSR2 == 12, "SIGUSR2");
_Static_assert(SIGPIPE == 13, "SIGPIPE");
_Static_assert(SIGALRM == 14, "SIGALRM");
_Static_assert(SIGTERM == 15, "SIGTERM");
_Static_assert(SIGSTKFLT == 16, "SIGSTKFLT");
_Static_assert(SIGCHLD == 17, "SIGCHLD");
_Static_assert(SIGCONT == 18, "SIGCONT");
_Static_assert(SIGSTOP == 19, "SIGSTOP");
_Static_assert(SIGTSTP == 20, "SIGTSTP");
_Static_assert(SIGTTIN == 21, "SIGTTIN");
_Static_assert(SIGTTOU == 22, "SIGTTOU");
_Static_assert(SIGURG == 23, "SIGURG");
_Static_assert(SIGXCPU == 24, "SIGXCPU");
_Static_assert(SIGXFSZ == 25, "SIGXFSZ");
_Static_assert(SIGVTALRM == 26, "SIGVTALRM");
_Static_assert(SIGPROF == 27, "SIGPROF");
_Static_assert(SIGWINCH == 28, "SIGWINCH");
_Static_assert(SIGIO == 29, "SIGIO");
_Static_assert(SIGPWR == 30, "SIGPWR");
_Static_assert(SIGSYS == 31, "SIGSYS");

/* The text for errno value `e` ("No such file or directory"), or NULL: the caller prints "error N". */
static inline const char *void_errno_text(int e) {
  static const char *const texts[] = {
      [1] = "Operation not permitted",
      [2] = "No such file or directory",
      [3] = "No such process",
      [4] = "Interrupted system call",
      [5] = "I/O error",
      [6] = "No such device or address",
      [7] = "Argument list too long",
      [8] = "Exec format error",
      [9] = "Bad file descriptor",
      [11] = "Resource temporarily unavailable",
      [12] = "Not enough memory",
      [13] = "Permission denied",
      [14] = "Bad address in system call argument",
      [16] = "Resource busy or locked",
      [17] = "File already exists",
      [18] = "Cross-device link not permitted",
      [19] = "No such device",
      [20] = "Not a directory",
      [21] = "Illegal operation on a directory",
      [22] = "Invalid argument",
      [23] = "File table overflow",
      [24] = "Too many open files",
      [25] = "Inappropriate ioctl for device",
      [26] = "Text file is busy",
      [27] = "File too large",
      [28] = "No space left on device",
      [29] = "Invalid seek",
      [30] = "Read-only file system",
      [31] = "Too many links",
      [32] = "Broken pipe",
      [34] = "Result too large",
      [36] = "Name too long",
      [38] = "Function not implemented",
      [39] = "Directory not empty",
      [40] = "Too many symbolic links encountered",
      [49] = "Protocol driver not attached",
      [61] = "No data available",
      [64] = "Machine is not on the network",
      [71] = "Protocol error",
      [75] = "Value too large for defined data type",
      [84] = "Illegal byte sequence",
      [88] = "Socket operation on non-socket",
      [89] = "Destination address required",
      [90] = "Message too long",
      [91] = "Protocol wrong type for socket",
      [92] = "Protocol not available",
      [93] = "Protocol not supported",
      [94] = "Socket type not supported",
      [95] = "Operation not supported on socket",
      [97] = "Address family not supported",
      [98] = "Address already in use",
      [99] = "Address not available",
      [100] = "Network is down",
      [101] = "Network is unreachable",
      [103] = "Software caused connection abort",
      [104] = "Connection reset by peer",
      [105] = "No buffer space available",
      [106] = "Socket is already connected",
      [107] = "Socket is not connected",
      [108] = "Cannot send after transport endpoint shutdown",
      [110] = "Connection timed out",
      [111] = "Connection refused",
      [112] = "Host is down",
      [113] = "Host is unreachable",
      [114] = "Connection already in progress",
      [121] = "Remote I/O error",
      [125] = "Operation canceled",
  };
  return e > 0 && (size_t)e < sizeof texts / sizeof texts[0] ? texts[e] : NULL;
}

/* The name of signal `s` ("SIGTERM"), or NULL: the caller prints "signal N". */
static inline const char *void_signal_name(int s) {
  static const char *const names[] = {
      [1] = "SIGHUP",
      [2] = "SIGINT",
      [3] = "SIGQUIT",
      [4] = "SIGILL",
      [5] = "SIGTRAP",
      [6] = "SIGABRT",
      [7] = "SIGBUS",
      [8] = "SIGFPE",
      [9] = "SIGKILL",
      [10] = "SIGUSR1",
      [11] = "SIGSEGV",
      [12] = "SIGUSR2",
      [13] = "SIGPIPE",
      [14] = "SIGALRM",
      [15] = "SIGTERM",
      [16] = "SIGSTKFLT",
      [17] = "SIGCHLD",
      [18] = "SIGCONT",
      [19] = "SIGSTOP",
      [20] = "SIGTSTP",
      [21] = "SIGTTIN",
      [22] = "SIGTTOU",
      [23] = "SIGURG",
      [24] = "SIGXCPU",
      [25] = "SIGXFSZ",
      [26] = "SIGVTALRM",
      [27] = "SIGPROF",
      [28] = "SIGWINCH",
      [29] = "SIGIO",
      [30] = "SIGPWR",
      [31] = "SIGSYS",
  };
  return s > 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

#endif
