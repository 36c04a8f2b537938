/*
 * fdpass.h — sending and receiving fds over an AF_UNIX socket
 * (SCM_RIGHTS): the one implementation of it in native/.
 *
 * Used by the addon (recvFds, sendFds: native/addon/fds.c), the cloned
 * child (open_connects in native/void_spawn.c), void-init (the socket
 * factory's answers, a prepared void's message: native/void_init.c) and
 * forktop's tracer (the shell injection: native/forktop/inject.c).
 * lib/c/void.c carries a copy of the functions below between two marker
 * lines, because lib/c is shipped as standalone files a program compiles
 * by itself; test/unit/c-lib.test.ts fails when the copy differs.
 *
 * Header-only (static inline) and written for the strictest of its users,
 * the CLONE_VM child of void_spawn.c and the static void-init: no malloc,
 * no stdio, no locks, nothing but sendmsg, recvmsg, close and the stack
 * (a control buffer for FDPASS_MAX_FDS fds, about 1 KiB); async-signal-
 * safe. Both functions retry on EINTR, and return what the system call
 * returned, with errno set on -1.
 */
#ifndef VOID_FDPASS_H
#define VOID_FDPASS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

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

#endif
