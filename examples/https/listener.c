/*
 * listener.c — the listener void: accepts TCP connections and passes
 * each one, unread, to the file socket "connections", whose reader is the
 * launcher's trigger: every packet starts a fresh tls void holding that
 * connection.
 *
 * argv: listener LISTEN_FD CONNECTIONS_FD
 *   LISTEN_FD       {"TcpListener": ...}: bound and listening, made by the
 *                   launcher before this void started (the void has no
 *                   network of its own and could not bind anything);
 *   CONNECTIONS_FD  {"FileSocket": {"Tx": "connections"}}.
 *
 * It never reads a byte from a client, so there is no parser here to
 * attack: the only input is accept(2)'s. It keeps no copy of a connection
 * once it is sent on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "https.h"
#include "void.h"

/*
 * accept4 failures that concern one connection (it was reset before we
 * took it, a signal came) or are transient (out of fds or memory for a
 * moment): keep serving. Anything else (EBADF, EINVAL, ENOTSOCK) means
 * the listening socket is not what the spec said, and retrying would spin.
 */
static int accept_error_is_transient(int err) {
  switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return 1;
    default:
      return 0;
  }
}

int https_listener(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "https listener: expected argv: listener LISTEN_FD CONNECTIONS_FD\n");
    return 2;
  }
  int listen_fd = void_fd_arg(argv[2]);
  int connections = void_fd_arg(argv[3]);
  if (listen_fd < 0 || connections < 0) {
    perror("https listener: fd argument");
    return 2;
  }
  for (;;) {
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      int err = errno;
      if (!accept_error_is_transient(err)) {
        perror("https listener: accept");
        return 1;
      }
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        /* Out of resources: back off instead of spinning on a
         * pending connection that cannot be accepted yet. */
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
      }
      continue;
    }
    /*
     * One packet, one fd, one tls void. When the launcher has as many
     * tls voids running as the trigger allows, it stops reading, the
     * file socket fills and this send blocks: accept stops and new
     * connections wait in the kernel's backlog. That is the intended
     * back-pressure, not a bug. EPIPE means the trigger has gone
     * (void run is shutting down): nothing can be served any more.
     */
    if (void_send_fds(connections, &conn, 1, "c", 1) < 0) {
      perror("https listener: passing a connection on");
      close(conn);
      return 1;
    }
    close(conn);
  }
}
