/*
 * errno_name.h — the symbolic name of an errno value ("ENOENT"), for the
 * `code` of the addon's errors and the tracer's messages.
 *
 * glibc has strerrorname_np(3), but only since 2.32: calling it would make
 * the addon need that glibc, newer than the baseline the prebuilt binaries
 * promise (docs/architecture.md, "Native binaries and the glibc
 * baseline"). The values are the kernel's (the same on x86_64 and aarch64);
 * each is written by its macro, so the table is right wherever it is
 * compiled. EAGAIN, EDEADLK and EOPNOTSUPP stand for their aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP), as in glibc.
 */
#ifndef VOID_ERRNO_NAME_H
#define VOID_ERRNO_NAME_H

#include <errno.h>
#include <stddef.h>

/* The name of errno value `e`, or NULL when it is not one. */
static inline const char *errno_name(int e) {
  static const char *const names[] = {
      [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
      [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
      [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT",
      [ENOTBLK] = "ENOTBLK", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV",
      [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE",
      [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC",
      [ESPIPE] = "ESPIPE", [EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [EDOM] = "EDOM",
      [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK", [ENAMETOOLONG] = "ENAMETOOLONG", [ENOLCK] = "ENOLCK",
      [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP", [ENOMSG] = "ENOMSG",
      [EIDRM] = "EIDRM", [ECHRNG] = "ECHRNG", [EL2NSYNC] = "EL2NSYNC", [EL3HLT] = "EL3HLT",
      [EL3RST] = "EL3RST", [ELNRNG] = "ELNRNG", [EUNATCH] = "EUNATCH", [ENOCSI] = "ENOCSI",
      [EL2HLT] = "EL2HLT", [EBADE] = "EBADE", [EBADR] = "EBADR", [EXFULL] = "EXFULL", [ENOANO] = "ENOANO",
      [EBADRQC] = "EBADRQC", [EBADSLT] = "EBADSLT", [EBFONT] = "EBFONT", [ENOSTR] = "ENOSTR",
      [ENODATA] = "ENODATA", [ETIME] = "ETIME", [ENOSR] = "ENOSR", [ENONET] = "ENONET", [ENOPKG] = "ENOPKG",
      [EREMOTE] = "EREMOTE", [ENOLINK] = "ENOLINK", [EADV] = "EADV", [ESRMNT] = "ESRMNT", [ECOMM] = "ECOMM",
      [EPROTO] = "EPROTO", [EMULTIHOP] = "EMULTIHOP", [EDOTDOT] = "EDOTDOT", [EBADMSG] = "EBADMSG",
      [EOVERFLOW] = "EOVERFLOW", [ENOTUNIQ] = "ENOTUNIQ", [EBADFD] = "EBADFD", [EREMCHG] = "EREMCHG",
      [ELIBACC] = "ELIBACC", [ELIBBAD] = "ELIBBAD", [ELIBSCN] = "ELIBSCN", [ELIBMAX] = "ELIBMAX",
      [ELIBEXEC] = "ELIBEXEC", [EILSEQ] = "EILSEQ", [ERESTART] = "ERESTART", [ESTRPIPE] = "ESTRPIPE",
      [EUSERS] = "EUSERS", [ENOTSOCK] = "ENOTSOCK", [EDESTADDRREQ] = "EDESTADDRREQ", [EMSGSIZE] = "EMSGSIZE",
      [EPROTOTYPE] = "EPROTOTYPE", [ENOPROTOOPT] = "ENOPROTOOPT", [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
      [ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT", [EOPNOTSUPP] = "EOPNOTSUPP", [EPFNOSUPPORT] = "EPFNOSUPPORT",
      [EAFNOSUPPORT] = "EAFNOSUPPORT", [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
      [ENETDOWN] = "ENETDOWN", [ENETUNREACH] = "ENETUNREACH", [ENETRESET] = "ENETRESET",
      [ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET", [ENOBUFS] = "ENOBUFS",
      [EISCONN] = "EISCONN", [ENOTCONN] = "ENOTCONN", [ESHUTDOWN] = "ESHUTDOWN",
      [ETOOMANYREFS] = "ETOOMANYREFS", [ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED",
      [EHOSTDOWN] = "EHOSTDOWN", [EHOSTUNREACH] = "EHOSTUNREACH", [EALREADY] = "EALREADY",
      [EINPROGRESS] = "EINPROGRESS", [ESTALE] = "ESTALE", [EUCLEAN] = "EUCLEAN", [ENOTNAM] = "ENOTNAM",
      [ENAVAIL] = "ENAVAIL", [EISNAM] = "EISNAM", [EREMOTEIO] = "EREMOTEIO", [EDQUOT] = "EDQUOT",
      [ENOMEDIUM] = "ENOMEDIUM", [EMEDIUMTYPE] = "EMEDIUMTYPE", [ECANCELED] = "ECANCELED",
      [ENOKEY] = "ENOKEY", [EKEYEXPIRED] = "EKEYEXPIRED", [EKEYREVOKED] = "EKEYREVOKED",
      [EKEYREJECTED] = "EKEYREJECTED", [EOWNERDEAD] = "EOWNERDEAD", [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
      [ERFKILL] = "ERFKILL", [EHWPOISON] = "EHWPOISON",
  };
  if (e <= 0 || (size_t)e >= sizeof names / sizeof names[0]) return NULL;
  return names[e];
}

#endif
