/*
 * hello — a void with no network that still talks to a server: it asks
 * the launcher's RPC broker for a TCP connection (only to 127.0.0.1, as
 * its spec allows), sends one line and prints the reply.
 *
 *   hello RPC_FD PORT MESSAGE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "void.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage (under void): void run -s examples/rpc/spec.json examples/rpc/hello PORT MESSAGE\n");
    return 2;
  }
  int rpc = void_fd_arg(argv[1]);
  char err[256] = "";
  int s = void_rpc_open_tcp(rpc, "127.0.0.1", atoi(argv[2]), AF_INET, err, sizeof err);
  if (s < 0) {
    fprintf(stderr, "hello: the broker said no: %s (%s)\n", strerror(errno), err);
    return 1;
  }
  char line[512];
  int n = snprintf(line, sizeof line, "%s\n", argv[3]);
  if (write(s, line, (size_t)n) != n) return 1;
  shutdown(s, SHUT_WR);
  ssize_t got;
  while ((got = read(s, line, sizeof line)) > 0) fwrite(line, 1, (size_t)got, stdout);
  return 0;
}
