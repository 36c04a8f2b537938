/*
 * https — a static-file HTTPS server split into three voids (see
 * README.md and spec.json.in):
 *
 *   listener: the listening TCP socket and the sending end of the file
 *             socket "connections"; accepts and passes each connection on;
 *   tls:      a fresh void per connection, holding that connection, the
 *             certificate and the private key (read from fds, never from
 *             a path) and the sending end of the file socket "requests";
 *             does the TLS handshake and reads one request, then hands the
 *             plaintext to a fresh http void over a socketpair it makes;
 *   http:     a fresh void per request, holding its end of that
 *             socketpair and a read-only bind of the document root at
 *             /www; answers the request with a file or an error.
 *
 * One binary, three entrypoints: argv[1] is the spec's "Entrypoint"
 * argument and says which part this void is. Everything else arrives as
 * fd numbers in argv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "https.h"

int https_send_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int https_socket_timeouts(int fd, int seconds) {
  struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) return -1;
  return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "listener") == 0) return https_listener(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "tls") == 0) return https_tls(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "http") == 0) return https_http(argc, argv);
  fprintf(stderr,
          "https: run me under void: sh examples/build.sh && "
          "bin/void run -v -s examples/https/spec.json examples/https/https\n");
  return 2;
}
