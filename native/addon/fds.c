/*
 * fds.c — fd plumbing: pipes, socket pairs, fd flags, opening without
 * symlinks, polling, and passing fds over sockets (native/fdpass.h).
 *
 *   pipe(packets)            -> [read end, write end, packets]
 *   seqpacketPair()          -> [a, b]
 *   streamPair()             -> [read end, write end]
 *   recvFds(fd, maxBytes)    -> { data, fds, eof, truncated } | null
 *   sendFds(fd, data, fds)   -> true, or false when it would block
 *   pollReadable(fds)        -> boolean[]
 *   setBlocking(fd, b), setCloexec(fd)
 *   openNoSymlinks(path, read) -> an O_PATH fd, or a read-only one
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"
#include "../fdpass.h"
#include "../linux_compat.h"

/* What one packet may carry between the launcher and a void. */

static napi_value fd_pair(napi_env env, int a, int b) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, a, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_int32(env, b, &v);
  napi_set_element(env, arr, 1, v);
  return arr;
}

/* pipe(packets) -> [read end, write end, packets], both close-on-exec.
 * With packets, a pipe in packet mode (O_DIRECT, Linux 3.4): each write(2)
 * of up to PIPE_BUF bytes is one packet and each read(2) returns exactly
 * one, so a Pipe trigger sees where every write began and ended (longer
 * writes arrive as PIPE_BUF-sized packets). The third element says
 * whether packet mode was granted (a kernel without it: a byte stream). */
napi_value js_pipe(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  bool packets = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_bool(env, argv[0], &packets);
  int fds[2];
  int got = packets && pipe2(fds, O_CLOEXEC | O_DIRECT) == 0;
  if (!got && pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2", "");
  result = fd_pair(env, fds[0], fds[1]);
  napi_get_boolean(env, got, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

/* seqpacketPair() -> [a, b]: AF_UNIX SOCK_SEQPACKET, close-on-exec.
 * SEQPACKET rather than DGRAM: packets keep their boundaries and fds, and
 * the reader sees EOF once every writer has closed its end. */
napi_value js_seqpacket_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return throw_errno(env, errno, "socketpair", "AF_UNIX SOCK_SEQPACKET");
  return fd_pair(env, fds[0], fds[1]);
}

/* streamPair() -> [read end, write end]: an AF_UNIX stream pair,
 * close-on-exec, that carries bytes one way only. The relayed standard
 * streams use one instead of a pipe: a pipe can be opened again through
 * /proc/PID/fd in either direction (a void with Procfs would read what
 * other voids write), a socket cannot. The read end is what voids share
 * (stdin): shut for writing, so a void cannot send anything back — in
 * particular no fd (SCM_RIGHTS) of a memfd or a Tmpfs file, which would
 * sit unread in the launcher's receive queue, pinning its memory past the
 * void's end and its memory limit. The write end is shut for reading
 * likewise. */
napi_value js_stream_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return throw_errno(env, errno, "socketpair", "AF_UNIX SOCK_STREAM");
  if (shutdown(fds[0], SHUT_WR) < 0 || shutdown(fds[1], SHUT_RD) < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return throw_errno(env, err, "shutdown", "(the stdin socket's back channel)");
  }
  return fd_pair(env, fds[0], fds[1]);
}

/* recvFds(fd, maxBytes) -> null when nothing is waiting (EAGAIN), else
 * { data, fds, eof, truncated }. Never blocks (MSG_DONTWAIT). Received fds
 * are close-on-exec. Room is made for every fd a packet can carry (the
 * kernel's SCM_MAX_FD), so the kernel never closes any itself, here, on
 * Node's thread: the last close of a socket a void sent with SO_LINGER
 * waits up to its linger time, and would hold the launcher's event loop
 * (src/orchestrator/launcher.ts closeReceived closes on a thread of its
 * own). A packet with more than VOID_MESSAGE_MAX_FDS fds, or more bytes
 * than `maxBytes`, comes back whole with truncated = true: the caller
 * closes its fds (closeLater) and drops it. */
napi_value js_recv_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int max = arg_int(env, argv[1]);
  if (max <= 0 || max > 65536) max = 65536;
  char *data = malloc((size_t)max);
  if (data == NULL) return throw_errno(env, ENOMEM, "malloc", "(recvmsg buffer)");
  int got[FDPASS_MAX_FDS];
  size_t count = 0;
  int flags = 0;
  ssize_t n = fdpass_recv(fd, data, (size_t)max, got, FDPASS_MAX_FDS, &count, MSG_DONTWAIT, &flags);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null;
      napi_get_null(env, &null);
      return null;
    }
    return throw_errno(env, err, "recvmsg", "");
  }
  napi_value obj, v, fds;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, count, &fds);
  for (size_t i = 0; i < count; i++) {
    napi_create_int32(env, got[i], &v);
    napi_set_element(env, fds, (uint32_t)i, v);
  }
  napi_create_buffer_copy(env, (size_t)n, data, NULL, &v);
  free(data);
  napi_set_named_property(env, obj, "data", v);
  napi_set_named_property(env, obj, "fds", fds);
  /* Nothing at all: the end (every writer gone, or the socket shut down
   * for reading: nothing more can arrive), or an empty packet, which a
   * SOCK_SEQPACKET writer may send and which must not end the reader for
   * the other writers. */
  int eof = 0;
  if (n == 0 && count == 0) {
    struct pollfd pfd = {fd, POLLRDHUP, 0};
    eof = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
    if (eof) {
      /* Shut down, but packets may still be queued behind an empty one:
       * peek at the next (without a control buffer, so no fd is
       * installed; MSG_CTRUNC says it carries some). Data or fds: not the
       * end yet. */
      char b;
      struct iovec piov = {&b, 1};
      struct msghdr peek = {.msg_iov = &piov, .msg_iovlen = 1};
      ssize_t m = recvmsg(fd, &peek, MSG_PEEK | MSG_DONTWAIT);
      if (m > 0 || (m == 0 && (peek.msg_flags & MSG_CTRUNC))) eof = 0;
    }
  }
  set_named_bool(env, obj, "eof", eof);
  set_named_bool(env, obj, "truncated", (flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 || count > VOID_MESSAGE_MAX_FDS);
  return obj;
}

/* sendFds(fd, data, fds) -> true, or false when the socket's buffer is
 * full (EAGAIN: nothing was sent; never blocks). One packet; SCM_RIGHTS
 * when fds is non-empty. Any other failure throws (EPIPE: the peer has
 * gone). */
napi_value js_send_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  uint32_t nfds = 0;
  CHECK(env, napi_get_array_length(env, argv[2], &nfds));
  if (nfds > VOID_MESSAGE_MAX_FDS) return throw_errno(env, EINVAL, "sendmsg", "(more than 16 fds)");
  int fds[VOID_MESSAGE_MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value e;
    napi_get_element(env, argv[2], i, &e);
    fds[i] = arg_int(env, e);
  }
  if (fdpass_send(fd, data, len, fds, nfds, MSG_DONTWAIT) < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "sendmsg", "");
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_get_boolean(env, true, &result);
  return result;
}

/* pollReadable(fds) -> boolean[]: is anything (data or EOF) waiting? */
napi_value js_poll_readable(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  struct pollfd *p = calloc(n ? n : 1, sizeof *p);
  if (p == NULL) return throw_errno(env, ENOMEM, "calloc", "(poll)");
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, argv[0], i, &v);
    p[i].fd = arg_int(env, v);
    p[i].events = POLLIN;
  }
  poll(p, n, 0);
  napi_create_array_with_length(env, n, &result);
  for (uint32_t i = 0; i < n; i++) {
    napi_get_boolean(env, (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0, &v);
    napi_set_element(env, result, i, v);
  }
  free(p);
  return result;
}

/* setBlocking(fd, blocking): O_NONBLOCK off or on. */
napi_value js_set_blocking(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  bool blocking;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  CHECK(env, napi_get_value_bool(env, argv[1], &blocking));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK) < 0) return throw_errno(env, errno, "fcntl", "O_NONBLOCK");
  return NULL;
}

/* setCloexec(fd): what was inherited (a service manager's sockets) must
 * not reach other children. */
napi_value js_set_cloexec(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl", "FD_CLOEXEC");
  return NULL;
}

/* openNoSymlinks(path, read) -> an O_PATH fd of path, opened refusing a
 * symlink in any component (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS,
 * Linux 5.6; before that O_NOFOLLOW on the last component only). The
 * launcher resolves a File grant's path itself, refusing symlinks a void
 * could have planted, and then opens the result with this: a component
 * swapped for a symlink in between fails (ELOOP) instead of being
 * followed. With `read` true the fd is opened for reading instead
 * (O_RDONLY|O_NONBLOCK|O_NOCTTY: a FIFO put there cannot block, a terminal
 * does not become the launcher's), so a file can be read without
 * reopening it through /proc/self/fd, which a launcher without /proc
 * lacks. */
napi_value js_open_no_symlinks(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  char path[4096];
  size_t len;
  bool read = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  if (argc >= 2) napi_get_value_bool(env, argv[1], &read);
  int flags = (read ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH) | O_CLOEXEC;
  struct open_how_v0 how = {.flags = (uint64_t)flags, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(path, flags | O_NOFOLLOW);
  if (fd < 0) return throw_errno_path(env, errno, "openat2", path);
  napi_create_int32(env, fd, &result);
  return result;
}
