/*
 * echo — a TCP echo server split by privilege:
 *   listener: holds only the listening socket (bound by void before it
 *             started) and the sending end of the file socket
 *             "connections"; accepts each connection and passes it on;
 *   handler:  a fresh void per connection, holding only that connection
 *             (received through the file socket); echoes until EOF.
 * Neither part can open a file, resolve a name or make a connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "void.h"

static int listener(int listen_fd, int sock) {
  for (;;) {
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return 1;
    }
    /* The handler void gets the connection; this void keeps no copy. */
    if (void_send_fds(sock, &conn, 1, "c", 1) < 0) return 1;
    close(conn);
  }
}

static int handler(int conn) {
  char buf[4096];
  ssize_t n;
  while ((n = read(conn, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(conn, buf + off, (size_t)(n - off));
      if (w < 0) return 1;
      off += w;
    }
  }
  return n < 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "listener") == 0) {
    int listen_fd = void_fd_arg(argv[2]), sock = void_fd_arg(argv[3]);
    if (listen_fd < 0 || sock < 0) return 2;
    return listener(listen_fd, sock);
  }
  if (argc >= 3 && strcmp(argv[1], "handler") == 0) {
    int conn = void_fd_arg(argv[2]);
    if (conn < 0) return 2;
    return handler(conn);
  }
  fprintf(stderr, "echo: run me under void: void run -s examples/echo/spec.json examples/echo/echo\n");
  return 2;
}
