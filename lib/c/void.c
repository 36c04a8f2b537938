/*
 * void.c — the void side of void's fd conventions (see void.h and
 * docs/rpc.md for the protocol itself).
 *
 * Written to be read: each function says what it does and why, the
 * protocol's rules are checked where they apply, and nothing here
 * allocates or keeps state, so it is safe to use in a tiny static program
 * and from several threads on different fds.
 *
 * The one rule that runs through all of it: a file descriptor that
 * arrives in a message is either handed to the caller or closed before we
 * return. A void that receives fds from a peer it does not trust must not
 * be made to run out of fds by malformed messages.
 */
#define _GNU_SOURCE
#include "void.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Sending and receiving fds (SCM_RIGHTS): a copy of native/fdpass.h, the
 * one implementation void uses everywhere (the launcher, void-init, the
 * cloned child). This library is shipped as two standalone files, so it
 * carries the copy instead of including it; test/unit/c-lib.test.ts fails
 * when the two differ by a byte.
 */
/* fdpass.h: begin (lib/c/void.c holds a copy from this line to the end marker) */

/* The kernel's own limit on fds in one SCM_RIGHTS message (SCM_MAX_FD). */
#define FDPASS_MAX_FDS 253

/* Sends one packet of `len` bytes of `data`, with `nfds` fds in one
 * SCM_RIGHTS control message when nfds > 0. MSG_NOSIGNAL is always added
 * to `flags`: a peer that has gone is EPIPE, not SIGPIPE. More than
 * FDPASS_MAX_FDS fds: -1 with EINVAL, nothing sent. */
static inline ssize_t fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t nfds, int flags) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
    struct cmsghdr align;
  } control;
  if (nfds > FDPASS_MAX_FDS || (nfds > 0 && fds == NULL)) {
    errno = EINVAL;
    return -1;
  }
  struct iovec iov = {(void *)data, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    memset(control.buf, 0, CMSG_SPACE(sizeof(int) * nfds));
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

/* Receives one packet: at most `len` bytes into `buf` and at most
 * `max_fds` fds into `fds` (*nfds of them), each close-on-exec
 * (MSG_CMSG_CLOEXEC is always added to `flags`). *msg_flags (when not
 * NULL) gets the packet's flags: MSG_TRUNC when the data did not fit,
 * MSG_CTRUNC when fds did not. The kernel closes what does not fit in the
 * control buffer; since CMSG_SPACE rounds up, one fd more than max_fds can
 * fit there, and that one is closed here, with MSG_CTRUNC: no fd is ever
 * left installed and unreported. */
static inline ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds, int flags, int *msg_flags) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
    struct cmsghdr align;
  } control;
  size_t cap = max_fds < FDPASS_MAX_FDS ? max_fds : FDPASS_MAX_FDS;
  struct iovec iov = {buf, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (cap > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * cap);
  }
  *nfds = 0;
  ssize_t n;
  do n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  if (msg.msg_controllen > 0) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const unsigned char *data = CMSG_DATA(c);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, data + i * sizeof(int), sizeof fd);
        if (*nfds < max_fds) {
          fds[(*nfds)++] = fd;
        } else {
          close(fd);
          msg.msg_flags |= MSG_CTRUNC;
        }
      }
    }
  }
  if (msg_flags != NULL) *msg_flags = msg.msg_flags;
  return n;
}

/* fdpass.h: end */

/* close() that keeps errno, for clean-up on error paths. */
static void close_keep_errno(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
}

static void close_all(const int *fds, size_t n) {
  for (size_t i = 0; i < n; i++) close_keep_errno(fds[i]);
}

/* ------------------------------------------------------------------ */
/* argv                                                               */
/* ------------------------------------------------------------------ */

/*
 * The launcher writes each granted fd into argv as a canonical decimal
 * number. Anything else is refused rather than guessed at: "03", "+3",
 * " 3" or "3 " in argv means argv is not what the spec said, and a program
 * that parses it leniently (atoi) would quietly use fd 0 or a wrong fd.
 * The fcntl check catches an fd that the spec did not grant (or that the
 * program closed): better EBADF here than a confusing error later.
 */
int void_fd_arg(const char *s) {
  if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0')) {
    errno = EINVAL;
    return -1;
  }
  int value = 0;
  for (const char *p = s; *p != '\0'; p++) {
    if (*p < '0' || *p > '9') {
      errno = EINVAL;
      return -1;
    }
    int digit = *p - '0';
    if (value > (INT_MAX - digit) / 10) {
      errno = EINVAL;
      return -1;
    }
    value = value * 10 + digit;
  }
  if (fcntl(value, F_GETFD) == -1) {
    errno = EBADF;
    return -1;
  }
  return value;
}

/* ------------------------------------------------------------------ */
/* FileSocket: packets with fds                                       */
/* ------------------------------------------------------------------ */

/*
 * One sendmsg with the data as one iovec and all fds in one SCM_RIGHTS
 * control message. On SOCK_SEQPACKET the packet is sent whole or not at
 * all, so there is no partial send to resume. An empty packet would be
 * read as EOF by the receiver, hence the single 0 byte when len == 0.
 * MSG_NOSIGNAL turns "the reader has gone" into EPIPE instead of killing
 * the void with SIGPIPE.
 */
int void_send_fds(int sock, const int *fds, size_t n, const void *data, size_t len) {
  static const unsigned char zero_byte = 0;
  if (n > VOID_FILESOCKET_MAX_FDS || (n > 0 && fds == NULL) || (len > 0 && data == NULL)) {
    errno = EINVAL;
    return -1;
  }
  const void *payload = len > 0 ? data : &zero_byte;
  size_t payload_len = len > 0 ? len : 1;
  ssize_t sent = fdpass_send(sock, payload, payload_len, fds, n, 0);
  if (sent < 0) return -1;
  if ((size_t)sent != payload_len) {
    /* Only possible on a stream socket, which is not the convention. */
    errno = EMSGSIZE;
    return -1;
  }
  return 0;
}

/*
 * One recvmsg. The control buffer is sized for max_fds, but CMSG_SPACE
 * rounds up to the alignment of the header, so for an odd max_fds the
 * kernel can fit one fd more than asked: the count is checked, not
 * assumed. When more fds were sent than fit, the kernel installs those
 * that fit, drops the rest and sets MSG_CTRUNC; we close the ones we got,
 * because a partial set of fds is not the message that was sent.
 * Truncated data (MSG_TRUNC) is treated the same way. MSG_CMSG_CLOEXEC
 * keeps received fds out of any program the void might exec, unless it
 * asks for that explicitly.
 */
ssize_t void_recv_fds(int sock, int *fds, size_t max_fds, size_t *n_fds, void *buf, size_t len) {
  if (n_fds == NULL || (max_fds > 0 && fds == NULL) || (len > 0 && buf == NULL)) {
    errno = EINVAL;
    return -1;
  }
  *n_fds = 0;
  size_t cap = max_fds < FDPASS_MAX_FDS ? max_fds : FDPASS_MAX_FDS;
  int received[FDPASS_MAX_FDS];
  size_t n = 0;
  int flags = 0;
  /* Every fd that arrived is in received[] whatever happens next (fds
   * beyond cap are closed by fdpass_recv, with MSG_CTRUNC). */
  ssize_t got = fdpass_recv(sock, buf, len, received, cap, &n, 0, &flags);
  if (got < 0) return -1;

  if ((flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 || n > max_fds) {
    close_all(received, n);
    errno = EMSGSIZE;
    return -1;
  }
  if (got == 0 && n > 0) {
    /* Looks like EOF but carries fds: a sender breaking the convention. */
    close_all(received, n);
    errno = EPROTO;
    return -1;
  }
  if (n > 0) memcpy(fds, received, n * sizeof(int));
  *n_fds = n;
  return got;
}

/* ------------------------------------------------------------------ */
/* Pipe triggers                                                      */
/* ------------------------------------------------------------------ */

/*
 * The launcher splits a trigger pipe into messages at '\n', so a message
 * cannot contain one. The line is built in one buffer and written with
 * one write: lines of at most PIPE_BUF bytes are never interleaved with
 * other writers' (pipe(7)), and a reader never sees half a message when
 * the writer dies between two writes. The loop only resumes after EINTR
 * or a short write, neither of which a blocking pipe does for <= PIPE_BUF.
 */
int void_pipe_send(int fd, const char *msg) {
  if (msg == NULL) {
    errno = EINVAL;
    return -1;
  }
  size_t n = strnlen(msg, VOID_PIPE_MSG_MAX + 1);
  if (n > VOID_PIPE_MSG_MAX || memchr(msg, '\n', n) != NULL) {
    errno = EINVAL;
    return -1;
  }
  char line[VOID_PIPE_LINE_MAX];
  memcpy(line, msg, n);
  line[n] = '\n';
  size_t done = 0;
  while (done < n + 1) {
    ssize_t w = write(fd, line + done, n + 1 - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)w;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Rpc client                                                         */
/* ------------------------------------------------------------------ */

/* printf into err (if any), always NUL-terminated. */
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Copy a UTF-8 string into err, cut at a character boundary if too long. */
static void copy_err(char *err, size_t errlen, const char *text) {
  if (err == NULL || errlen == 0) return;
  size_t n = strlen(text);
  if (n >= errlen) {
    n = errlen - 1;
    /* Back up over continuation bytes so no character is split. */
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--;
  }
  memcpy(err, text, n);
  err[n] = '\0';
}

/* A bounded string builder for the request. */
struct out {
  char *buf;
  size_t cap, len;
  bool overflow;
};

static void out_bytes(struct out *o, const char *s, size_t n) {
  if (o->len + n >= o->cap) {
    o->overflow = true;
    return;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s) {
  out_bytes(o, s, strlen(s));
}

/*
 * A JSON string literal. Quote and backslash are escaped, control
 * characters written as \u00XX (they are refused before we get here, but
 * the encoder does not rely on that); every other byte, including UTF-8,
 * is copied: the broker checks that the whole request is valid UTF-8.
 */
static void out_json_string(struct out *o, const char *s) {
  out_bytes(o, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      out_bytes(o, esc, 2);
    } else if (*p < 0x20 || *p == 0x7F) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      out_bytes(o, esc, 6);
    } else {
      out_bytes(o, (const char *)p, 1);
    }
  }
  out_bytes(o, "\"", 1);
}

/* What we need from a reply. Unknown keys are ignored (tolerant reader). */
struct reply {
  int ok; /* -1: absent */
  char error[32];
  bool has_message;
  char message[VOID_RPC_MAX_BYTES + 1];
  char family[16];
  char address[VOID_RPC_ADDR_MAX];
  long port;
};

struct reader {
  const char *p, *end;
};

static void skip_ws(struct reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(struct reader *r, unsigned *out) {
  if (r->end - r->p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(r->p[i]);
    if (h < 0) return false;
    v = v * 16 + (unsigned)h;
  }
  r->p += 4;
  *out = v;
  return true;
}

/* Append code point cp as UTF-8 if it fits whole (dst may be NULL: skip). */
static void put_utf8(char *dst, size_t cap, size_t *len, unsigned cp) {
  char b[4];
  size_t n;
  if (cp == 0) cp = 0xFFFD; /* a NUL would end the C string early */
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (dst == NULL || *len + n >= cap) return;
  memcpy(dst + *len, b, n);
  *len += n;
  dst[*len] = '\0';
}

/*
 * A JSON string into dst (NUL-terminated, cut at a character boundary if
 * it does not fit; dst NULL: parse and discard). Escapes are decoded,
 * including surrogate pairs; a lone surrogate becomes U+FFFD.
 */
static bool read_string(struct reader *r, char *dst, size_t cap) {
  size_t len = 0;
  if (dst != NULL && cap > 0) dst[0] = '\0';
  if (r->p >= r->end || *r->p != '"') return false;
  r->p++;
  while (r->p < r->end) {
    unsigned char c = (unsigned char)*r->p++;
    if (c == '"') return true;
    if (c != '\\') {
      if (dst != NULL && len + 1 < cap) {
        /* Raw bytes are copied; keep a multi-byte character whole. */
        if (c >= 0xC0) {
          size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (len + need >= cap) cap = len + 1; /* stop appending */
        }
        if (len + 1 < cap) {
          dst[len++] = (char)c;
          dst[len] = '\0';
        }
      }
      continue;
    }
    if (r->p >= r->end) return false;
    char e = *r->p++;
    unsigned cp;
    switch (e) {
      case '"':
        cp = '"';
        break;
      case '\\':
        cp = '\\';
        break;
      case '/':
        cp = '/';
        break;
      case 'b':
        cp = '\b';
        break;
      case 'f':
        cp = '\f';
        break;
      case 'n':
        cp = '\n';
        break;
      case 'r':
        cp = '\r';
        break;
      case 't':
        cp = '\t';
        break;
      case 'u':
        if (!read_hex4(r, &cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          struct reader save = *r;
          unsigned lo;
          if (r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
            r->p += 2;
            if (read_hex4(r, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              break;
            }
          }
          *r = save;
          cp = 0xFFFD;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        break;
      default:
        return false;
    }
    put_utf8(dst, cap, &len, cp);
  }
  return false;
}

/* A JSON number that is an integer (the port); anything else fails. */
static bool read_integer(struct reader *r, long *out) {
  bool negative = false;
  if (r->p < r->end && *r->p == '-') {
    negative = true;
    r->p++;
  }
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') return false;
  long v = 0;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
    if (v > 1000000) return false;
    v = v * 10 + (*r->p++ - '0');
  }
  if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')) return false;
  *out = negative ? -v : v;
  return true;
}

static bool read_word(struct reader *r, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return false;
  r->p += n;
  return true;
}

/*
 * The reply is a flat JSON object: {"ok": bool, ...} with string, integer,
 * boolean or null values. This reads exactly that and fails on anything
 * else (nested values included); unknown keys are skipped so a newer
 * broker may add fields.
 */
static bool parse_reply(const char *text, size_t len, struct reply *out) {
  memset(out, 0, sizeof *out);
  out->ok = -1;
  struct reader r = {text, text + len};
  skip_ws(&r);
  if (r.p >= r.end || *r.p++ != '{') return false;
  skip_ws(&r);
  if (r.p < r.end && *r.p == '}') {
    r.p++;
  } else {
    for (;;) {
      char key[16];
      skip_ws(&r);
      if (!read_string(&r, key, sizeof key)) return false;
      skip_ws(&r);
      if (r.p >= r.end || *r.p++ != ':') return false;
      skip_ws(&r);
      if (r.p >= r.end) return false;
      char c = *r.p;
      if (c == '"') {
        char *dst = NULL;
        size_t cap = 0;
        if (strcmp(key, "error") == 0) {
          dst = out->error;
          cap = sizeof out->error;
        } else if (strcmp(key, "message") == 0) {
          dst = out->message;
          cap = sizeof out->message;
          out->has_message = true;
        } else if (strcmp(key, "family") == 0) {
          dst = out->family;
          cap = sizeof out->family;
        } else if (strcmp(key, "address") == 0) {
          dst = out->address;
          cap = sizeof out->address;
        }
        if (!read_string(&r, dst, cap)) return false;
      } else if (c == 't' || c == 'f') {
        bool value = c == 't';
        if (!read_word(&r, value ? "true" : "false")) return false;
        if (strcmp(key, "ok") == 0) out->ok = value;
      } else if (c == 'n') {
        if (!read_word(&r, "null")) return false;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        long v;
        if (!read_integer(&r, &v)) return false;
        if (strcmp(key, "port") == 0) out->port = v;
      } else {
        return false;
      }
      skip_ws(&r);
      if (r.p >= r.end) return false;
      c = *r.p++;
      if (c == '}') break;
      if (c != ',') return false;
    }
  }
  skip_ws(&r);
  return r.p == r.end;
}

/* The broker's error names (docs/rpc.md) and the errno each becomes. */
static const struct {
  const char *name;
  int value;
} error_names[] = {
    {"EACCES", EACCES},
    {"EPROTO", EPROTO},
    {"EAI_NONAME", ENOENT},
    {"EAI_AGAIN", EAGAIN},
    {"ETIMEDOUT", ETIMEDOUT},
    {"ECONNREFUSED", ECONNREFUSED},
    {"ECONNRESET", ECONNRESET},
    {"ENETUNREACH", ENETUNREACH},
    {"EHOSTUNREACH", EHOSTUNREACH},
    {"ENETDOWN", ENETDOWN},
    {"EHOSTDOWN", EHOSTDOWN},
    {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EPERM", EPERM},
    {"EMFILE", EMFILE},
    {"ENFILE", ENFILE},
    {"ENOBUFS", ENOBUFS},
    {"ENOMEM", ENOMEM},
    {"EIO", EIO},
};

static int errno_from_name(const char *name) {
  for (size_t i = 0; i < sizeof error_names / sizeof error_names[0]; i++)
    if (strcmp(error_names[i].name, name) == 0) return error_names[i].value;
  return EIO;
}

/*
 * Check the arguments before anything is sent: a request the broker will
 * refuse anyway is better reported here, with the caller's own terms.
 * The host rules are the broker's: 1..253 bytes, no space or control
 * character (the broker also refuses other Unicode white space and
 * invalid UTF-8, with EPROTO).
 */
static bool check_request(int type, const char *host, int port, int family, char *err, size_t errlen) {
  if (type != SOCK_STREAM && type != SOCK_DGRAM) {
    set_err(err, errlen, "void_rpc: type must be SOCK_STREAM or SOCK_DGRAM");
    errno = EINVAL;
    return false;
  }
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    set_err(err, errlen, "void_rpc: family must be AF_UNSPEC, AF_INET or AF_INET6");
    errno = EAFNOSUPPORT;
    return false;
  }
  if (port < 1 || port > 65535) {
    set_err(err, errlen, "void_rpc: port %d is outside 1..65535", port);
    errno = EINVAL;
    return false;
  }
  if (host == NULL || host[0] == '\0') {
    set_err(err, errlen, "void_rpc: the host is empty");
    errno = EINVAL;
    return false;
  }
  size_t n = strnlen(host, VOID_RPC_HOST_MAX + 1);
  if (n > VOID_RPC_HOST_MAX) {
    set_err(err, errlen, "void_rpc: the host is longer than %d bytes", VOID_RPC_HOST_MAX);
    errno = EINVAL;
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c <= 0x20 || c == 0x7F) {
      set_err(err, errlen, "void_rpc: the host contains a space or control character");
      errno = EINVAL;
      return false;
    }
  }
  return true;
}

/*
 * One round trip: build the request, send it as one packet, receive one
 * packet with at most one fd, and make sense of it. Every way the reply
 * can be wrong ends with the fd (if any) closed and EPROTO, so a broken or
 * hostile broker cannot leave fds behind in the void. The returned socket
 * is checked to be of the asked type and made blocking, so the caller gets
 * what the API promises whatever the broker did.
 */
int void_rpc_open(int rpc_fd, int type, const char *host, int port, int family, struct void_rpc_peer *peer, char *err, size_t errlen) {
  if (err != NULL && errlen > 0) err[0] = '\0';
  if (!check_request(type, host, port, family, err, errlen)) return -1;

  char request[VOID_RPC_MAX_BYTES + 1];
  struct out o = {request, sizeof request, 0, false};
  char number[16];
  out_str(&o, type == SOCK_STREAM ? "{\"op\":\"OpenTcpSocket\",\"host\":" : "{\"op\":\"OpenUdpSocket\",\"host\":");
  out_json_string(&o, host);
  snprintf(number, sizeof number, "%d", port);
  out_str(&o, ",\"port\":");
  out_str(&o, number);
  out_str(&o, family == AF_INET ? ",\"family\":\"Inet\"}" : family == AF_INET6 ? ",\"family\":\"Inet6\"}" : ",\"family\":null}");
  if (o.overflow) {
    set_err(err, errlen, "void_rpc: the request would be longer than %d bytes", VOID_RPC_MAX_BYTES);
    errno = EINVAL;
    return -1;
  }

  if (void_send_fds(rpc_fd, NULL, 0, request, o.len) < 0) {
    set_err(err, errlen, "void_rpc: sending the request to the broker: %s", strerror(errno));
    return -1;
  }

  char text[VOID_RPC_MAX_BYTES + 1];
  int fds[1];
  size_t n_fds = 0;
  ssize_t got = void_recv_fds(rpc_fd, fds, 1, &n_fds, text, VOID_RPC_MAX_BYTES);
  if (got < 0) {
    if (errno == EMSGSIZE || errno == EPROTO) {
      set_err(err, errlen, "void_rpc: the broker's reply is longer than %d bytes or carries more than one fd", VOID_RPC_MAX_BYTES);
      errno = EPROTO;
    } else {
      set_err(err, errlen, "void_rpc: receiving the broker's reply: %s", strerror(errno));
    }
    return -1;
  }
  if (got == 0) {
    set_err(err, errlen, "void_rpc: the broker closed the Rpc socket");
    errno = ECONNRESET;
    return -1;
  }
  text[got] = '\0';

  struct reply reply;
  if (!parse_reply(text, (size_t)got, &reply) || reply.ok < 0) {
    close_all(fds, n_fds);
    set_err(err, errlen, "void_rpc: the broker's reply is not a JSON object with \"ok\"");
    errno = EPROTO;
    return -1;
  }

  if (!reply.ok) {
    if (n_fds > 0) {
      close_all(fds, n_fds);
      set_err(err, errlen, "void_rpc: the broker's failure reply carries an fd");
      errno = EPROTO;
      return -1;
    }
    copy_err(err, errlen, reply.has_message && reply.message[0] != '\0' ? reply.message : reply.error);
    errno = errno_from_name(reply.error);
    return -1;
  }

  if (n_fds != 1) {
    set_err(err, errlen, "void_rpc: the broker's success reply carries no fd");
    errno = EPROTO;
    return -1;
  }
  int fd = fds[0];
  int actual_type = 0;
  socklen_t optlen = sizeof actual_type;
  /* A datagram socket is relayed by the launcher: an AF_UNIX
   * SOCK_SEQPACKET socket, one packet per datagram (docs/rpc.md). */
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &actual_type, &optlen) < 0 ||
      !(actual_type == type || (type == SOCK_DGRAM && actual_type == SOCK_SEQPACKET))) {
    close_keep_errno(fd);
    set_err(err, errlen, "void_rpc: the broker returned an fd that is not a %s socket", type == SOCK_STREAM ? "stream" : "datagram");
    errno = EPROTO;
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (peer != NULL) {
    peer->family = strcmp(reply.family, "Inet") == 0 ? AF_INET : strcmp(reply.family, "Inet6") == 0 ? AF_INET6 : AF_UNSPEC;
    snprintf(peer->address, sizeof peer->address, "%s", reply.address);
    peer->port = reply.port >= 0 && reply.port <= 65535 ? (int)reply.port : 0;
  }
  return fd;
}

int void_rpc_open_tcp(int rpc_fd, const char *host, int port, int family, char *err, size_t errlen) {
  return void_rpc_open(rpc_fd, SOCK_STREAM, host, port, family, NULL, err, errlen);
}

int void_rpc_open_udp(int rpc_fd, const char *host, int port, int family, char *err, size_t errlen) {
  return void_rpc_open(rpc_fd, SOCK_DGRAM, host, port, family, NULL, err, errlen);
}
