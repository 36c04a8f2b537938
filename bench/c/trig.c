/*
 * trig — both ends of the trigger-throughput benchmark, with lib/c:
 *
 *   trig sender-pipe FD N     writes N messages ("m<i>") on the Pipe FD
 *   trig sender-socket FD N   sends N packets on the FileSocket FD, each
 *                             carrying one fd (a copy of its stdin)
 *   trig sender-paced FD N MS writes N messages MS milliseconds apart,
 *                             each "s<CLOCK_MONOTONIC ns>" read just before
 *                             the write
 *   trig receiver ARGS...     the triggered void: writes
 *                             "T <CLOCK_MONOTONIC ns>\n" on stdout, and for
 *                             a message "s<ns>" also "L <latency ns>\n":
 *                             from the sender's write to the receiver's
 *                             first instruction (a void's time namespace
 *                             has no offsets: both clocks are the host's)
 *
 * The benchmark counts the receivers' lines (handled messages) and takes
 * the rate between the first and the last one.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "void.h"

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "receiver") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    char buf[80];
    int len = snprintf(buf, sizeof buf, "T %lld\n", now);
    if (argc >= 3 && argv[2][0] == 's') len += snprintf(buf + len, sizeof buf - (size_t)len, "L %lld\n", now - strtoll(argv[2] + 1, NULL, 10));
    return len > 0 && write(1, buf, (size_t)len) == len ? 0 : 1;
  }
  if (argc >= 5 && strcmp(argv[1], "sender-paced") == 0) {
    int fd = void_fd_arg(argv[2]);
    long n = strtol(argv[3], NULL, 10), ms = strtol(argv[4], NULL, 10);
    for (long i = 0; i < n; i++) {
      struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L}, ts;
      while (nanosleep(&pause, &pause) < 0) {
      }
      clock_gettime(CLOCK_MONOTONIC, &ts);
      char msg[32];
      snprintf(msg, sizeof msg, "s%lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
      if (void_pipe_send(fd, msg) < 0) {
        perror("trig: send");
        return 1;
      }
    }
    return 0;
  }
  if (argc >= 4 && (strcmp(argv[1], "sender-pipe") == 0 || strcmp(argv[1], "sender-socket") == 0)) {
    int fd = void_fd_arg(argv[2]);
    long n = strtol(argv[3], NULL, 10);
    if (fd < 0 || n < 0) {
      perror("trig: sender");
      return 2;
    }
    int pipe_mode = argv[1][7] == 'p';
    for (long i = 0; i < n; i++) {
      char msg[24];
      snprintf(msg, sizeof msg, "m%ld", i);
      int stdin_fd = 0;
      if ((pipe_mode ? void_pipe_send(fd, msg) : void_send_fds(fd, &stdin_fd, 1, msg, strlen(msg))) < 0) {
        perror("trig: send");
        return 1;
      }
    }
    return 0;
  }
  fprintf(stderr, "usage: trig sender-pipe FD N | sender-socket FD N | sender-paced FD N MS | receiver ...\n");
  return 2;
}
