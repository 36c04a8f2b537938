/*
 * sockets.c — IP and service-manager sockets of the launcher.
 *
 *   tcpListen(ip, port)            -> { fd, port }: bound and listening
 *   connect(ip, port, udp, ms)     -> Promise<fd>: the RPC broker's
 *                                     connections, on a worker thread
 *   socketKind(fd)                 -> { family, type } | null
 *   socketAddress(fd)              -> { family, ip, port, stream,
 *                                     listening } | null
 *   accept(fd)                     -> fd | null: one connection waiting
 *   recvFrom(fd, maxBytes)         -> { data, ip, port } | null
 *   sendTo(fd, data, ip, port)     -> true, or false when it would block
 *   notify(path, message)          sd_notify(3)'s datagram
 *
 * Every address is read by parse_ip and printed by format_ip, once here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addon.h"

/* ---- addresses ---- */

/* Fills *ss with ip (IPv4 or IPv6, as text) and port. Returns the family
 * (AF_INET, AF_INET6) with *len set, or -1 when ip is neither. */
static int parse_ip(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *len = sizeof *in4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    *len = sizeof *in6;
    return AF_INET6;
  }
  return -1;
}

/* The IP address (as text, into ip[INET6_ADDRSTRLEN]) and port of an
 * AF_INET or AF_INET6 address; 0, or -1 for another family. */
static int format_ip(const struct sockaddr_storage *ss, char *ip, int *port) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, INET6_ADDRSTRLEN);
    *port = ntohs(a->sin_port);
    return 0;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, INET6_ADDRSTRLEN);
    *port = ntohs(a->sin6_port);
    return 0;
  }
  return -1;
}

static napi_value throw_address(napi_env env, int err, const char *syscall, const char *ip, int port) {
  napi_throw(env, errno_error_address(env, err, syscall, ip, port));
  return NULL;
}

/* ---- tcpListen ---- */

/* A TCP socket of `family`, SO_REUSEADDR (and IPV6_V6ONLY), bound to ss. */
static int bound_tcp(int family, const struct sockaddr_storage *ss, socklen_t sslen) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)ss, sslen) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

/* tcpListen(ip, port) -> { fd, port }: bound and listening in the
 * launcher's network namespace, so the void needs no network at all.
 *
 * Always bound to a port named in bind(), never one the kernel chose: a
 * socket bound to port 0 is unbound again when a void shuts its listener
 * down (shutdown(SHUT_RD) disconnects a listener; the kernel keeps only a
 * port that was asked for, SOCK_BINDPORT_LOCK), and the void could then
 * bind it to any address and port of the launcher's network namespace and
 * listen there — joining a SO_REUSEPORT group of another service of the
 * launcher's uid and taking its connections (outside attack 25). So for
 * port 0 a first socket finds a free port and holds it while a second,
 * the listener, binds that port by number; then the first is closed (both
 * SO_REUSEADDR and neither listening yet: the second bind is allowed). */
napi_value js_tcp_listen(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  char ip[64];
  size_t len;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &len));
  int port = arg_int(env, argv[1]);
  struct sockaddr_storage ss;
  socklen_t sslen;
  int family = parse_ip(ip, port, &ss, &sslen);
  if (family < 0) return throw_address(env, EINVAL, "inet_pton", ip, port);
  int finder = -1;
  if (port == 0) {
    finder = bound_tcp(family, &ss, sslen);
    struct sockaddr_storage got;
    socklen_t gotlen = sizeof got;
    char unused[INET6_ADDRSTRLEN];
    int chosen = 0;
    if (finder < 0) return throw_address(env, errno, "bind", ip, port);
    if (getsockname(finder, (struct sockaddr *)&got, &gotlen) < 0 || format_ip(&got, unused, &chosen) < 0 || chosen <= 0) {
      int err = errno ? errno : EINVAL;
      close(finder);
      return throw_address(env, err, "getsockname", ip, port);
    }
    if (family == AF_INET6)
      ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)chosen);
    else
      ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)chosen);
    port = chosen;
  }
  int fd = bound_tcp(family, &ss, sslen);
  int err = errno;
  if (finder >= 0) close(finder);
  if (fd < 0) return throw_address(env, err, "bind", ip, port);
  if (listen(fd, 511) < 0) {
    err = errno;
    close(fd);
    return throw_address(env, err, "listen", ip, port);
  }
  char bound[INET6_ADDRSTRLEN];
  sslen = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 || format_ip(&ss, bound, &port) < 0) port = -1;
  napi_value obj;
  napi_create_object(env, &obj);
  set_named_int(env, obj, "fd", fd);
  set_named_int(env, obj, "port", port);
  return obj;
}

/* ---- connect ---- */

/* connect(ip, port, udp, timeoutMs) -> Promise<fd>: for the RPC broker.
 * Runs on a worker thread (a TCP handshake can take seconds). The socket
 * is returned connected, blocking and close-on-exec in the launcher (the
 * flag does not travel with SCM_RIGHTS). */
struct connect_work {
  napi_async_work work;
  napi_deferred deferred;
  char ip[64];
  int port, udp, timeout_ms;
  int fd, err;
  const char *syscall;
};

static void connect_execute(napi_env env, void *data) {
  (void)env;
  struct connect_work *w = data;
  struct sockaddr_storage ss;
  socklen_t len;
  int family = parse_ip(w->ip, w->port, &ss, &len);
  if (family < 0) {
    w->err = EINVAL;
    w->syscall = "inet_pton";
    return;
  }
  w->syscall = "socket";
  w->fd = socket(family, (w->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (w->fd < 0) {
    w->err = errno;
    return;
  }
  w->syscall = "connect";
  if (connect(w->fd, (struct sockaddr *)&ss, len) < 0) {
    if (errno != EINPROGRESS) {
      w->err = errno;
    } else {
      struct pollfd p = {w->fd, POLLOUT, 0};
      int rc = poll(&p, 1, w->timeout_ms);
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (rc == 0)
        w->err = ETIMEDOUT;
      else if (rc < 0)
        w->err = errno;
      else if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        w->err = errno;
      else
        w->err = soerr;
    }
  }
  if (w->err == 0) {
    int fl = fcntl(w->fd, F_GETFL);
    fcntl(w->fd, F_SETFL, fl & ~O_NONBLOCK);
  } else {
    close(w->fd);
    w->fd = -1;
  }
}

static void connect_complete(napi_env env, napi_status status, void *data) {
  struct connect_work *w = data;
  if (status == napi_ok && w->err == 0) {
    napi_value v;
    napi_create_int32(env, w->fd, &v);
    napi_resolve_deferred(env, w->deferred, v);
  } else {
    int err = w->err ? w->err : ECANCELED;
    napi_reject_deferred(env, w->deferred, errno_error_address(env, err, w->syscall ? w->syscall : "connect", w->ip, w->port));
  }
  napi_delete_async_work(env, w->work);
  free(w);
}

napi_value js_connect(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], promise, name;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  struct connect_work *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, ENOMEM, "calloc", "(connect)");
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], w->ip, sizeof w->ip, &len) != napi_ok) {
    free(w);
    return throw_errno(env, EINVAL, "connect", "(the address is not a string)");
  }
  w->port = arg_int(env, argv[1]);
  bool udp = false;
  napi_get_value_bool(env, argv[2], &udp);
  w->udp = udp;
  w->timeout_ms = arg_int(env, argv[3]);
  w->fd = -1;
  CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "void-connect", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, connect_execute, connect_complete, w, &w->work));
  CHECK(env, napi_queue_async_work(env, w->work));
  return promise;
}

/* ---- what a socket is ---- */

/* socketKind(fd) -> { family, type } of a socket (SO_DOMAIN, SO_TYPE), or
 * null when fd is not a socket (ENOTSOCK): the launcher checks every fd a
 * void sends it before using it. */
napi_value js_socket_kind(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int family = 0, type = 0;
  socklen_t len = sizeof family;
  int rc = getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len);
  if (rc == 0) {
    len = sizeof type;
    rc = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  }
  if (rc < 0 && errno != ENOTSOCK) return throw_errno(env, errno, "getsockopt", "SO_DOMAIN/SO_TYPE");
  if (rc < 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  set_named_int(env, result, "family", family);
  set_named_int(env, result, "type", type);
  return result;
}

/* socketAddress(fd) -> { family, ip, port, stream, listening } of an IPv4 or
 * IPv6 socket (getsockname, SO_TYPE, SO_ACCEPTCONN), or null for anything
 * else: how the launcher recognises the listening sockets a service
 * manager passed it (src/orchestrator/activation.ts). */
napi_value js_socket_address(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int type = 0, listening = 0;
  socklen_t ilen = sizeof type;
  char ip[INET6_ADDRSTRLEN] = "";
  int port = 0;
  napi_get_null(env, &result);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
    if (errno == ENOTSOCK) return result;
    return throw_errno(env, errno, "getsockname", "");
  }
  if (format_ip(&ss, ip, &port) < 0) return result;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0) return throw_errno(env, errno, "getsockopt", "SO_TYPE");
  ilen = sizeof listening;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) < 0) return throw_errno(env, errno, "getsockopt", "SO_ACCEPTCONN");
  napi_create_object(env, &result);
  set_named_string(env, result, "family", ss.ss_family == AF_INET ? "inet" : "inet6");
  set_named_string(env, result, "ip", ip);
  set_named_int(env, result, "port", port);
  set_named_bool(env, result, "stream", type == SOCK_STREAM);
  set_named_bool(env, result, "listening", listening != 0);
  return result;
}

/* ---- connections ---- */

/* accept(fd) -> fd | null: one connection waiting on a listening socket
 * (a void's Connect socket, src/orchestrator/connect.ts, which accepts
 * only as fast as the void's budget allows: Node's net.Server accepts
 * whatever arrives). Never blocks: null when none waits. A connection
 * reset before it was taken (ECONNABORTED) is skipped; the new fd is
 * close-on-exec and non-blocking. */
napi_value js_accept(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int conn;
  do conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  while (conn < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (conn < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, errno, "accept4", "");
  }
  napi_create_int32(env, conn, &result);
  return result;
}

/* ---- datagrams ---- */

/* recvFrom(fd, maxBytes) -> {data, ip, port} | null: one datagram from an
 * IPv4 UDP socket and who sent it (a Connect's socket in a void,
 * src/orchestrator/connect.ts). Never blocks: null when nothing waits.
 * A datagram longer than maxBytes is cut (UDP semantics). */
napi_value js_recv_from(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int max = arg_int(env, argv[1]);
  if (max <= 0 || max > 65536) max = 65536;
  char *data = malloc((size_t)max);
  if (data == NULL) return throw_errno(env, ENOMEM, "malloc", "(recvfrom buffer)");
  struct sockaddr_storage from;
  socklen_t fromlen = sizeof from;
  memset(&from, 0, sizeof from);
  ssize_t n;
  do n = recvfrom(fd, data, (size_t)max, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null;
      napi_get_null(env, &null);
      return null;
    }
    return throw_errno(env, err, "recvfrom", "");
  }
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_buffer_copy(env, (size_t)n, data, NULL, &v);
  free(data);
  napi_set_named_property(env, obj, "data", v);
  char ip[INET6_ADDRSTRLEN] = "0.0.0.0";
  int port = 0;
  if (from.ss_family != AF_INET || format_ip(&from, ip, &port) < 0) {
    strcpy(ip, "0.0.0.0");
    port = 0;
  }
  set_named_string(env, obj, "ip", ip);
  set_named_int(env, obj, "port", port);
  return obj;
}

/* sendTo(fd, data, ip, port) -> true, or false when the socket's buffer is
 * full (EAGAIN: the datagram is dropped, as the network would; never
 * blocks): one datagram to an IPv4 address. Other failures throw. */
napi_value js_send_to(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  char ip[64];
  size_t iplen = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[2], ip, sizeof ip, &iplen));
  int port = arg_int(env, argv[3]);
  struct sockaddr_storage to;
  socklen_t tolen;
  if (port < 1 || port > 65535 || parse_ip(ip, port, &to, &tolen) != AF_INET) return throw_address(env, EINVAL, "sendto", ip, port);
  ssize_t n;
  do n = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, tolen);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return throw_address(env, errno, "sendto", ip, port);
  napi_get_boolean(env, n >= 0, &result);
  return result;
}

/* ---- the service manager ---- */

/* notify(path, message): one datagram to the service manager's AF_UNIX
 * socket (sd_notify(3)); a leading "@" is the abstract namespace. Never
 * blocks: the socket is non-blocking and a full queue is an error
 * (EAGAIN), not a wait. Failures throw, with `path`. */
napi_value js_notify(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char message[4096];
  size_t plen, mlen;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen));
  CHECK(env, napi_get_value_string_utf8(env, argv[1], message, sizeof message, &mlen));
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (plen == 0 || plen >= sizeof addr.sun_path) return throw_errno_path(env, ENAMETOOLONG, "sendto", path);
  memcpy(addr.sun_path, path, plen);
  if (path[0] == '@') addr.sun_path[0] = 0;
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '@' ? 0 : 1));
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) return throw_errno_path(env, errno, "socket", path);
  int rc = sendto(s, message, mlen, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0 ? errno : 0;
  close(s);
  if (rc != 0) return throw_errno_path(env, rc, "sendto", path);
  return NULL;
}
