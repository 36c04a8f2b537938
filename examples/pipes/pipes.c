/*
 * pipes — a sender and a pipe-triggered receiver: one fresh void per
 * message. The sender writes each of its arguments as one message (a
 * line) on its pipe; void reads the lines and starts a new `receiver` void
 * for each, with the message as its argument.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "void.h"

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "sender") == 0) {
    int pipe_fd = void_fd_arg(argv[2]);
    if (pipe_fd < 0) {
      perror("sender: pipe fd");
      return 2;
    }
    for (int i = 3; i < argc; i++) {
      if (void_pipe_send(pipe_fd, argv[i]) < 0) {
        perror("sender: write");
        return 1;
      }
    }
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "receiver") == 0) {
    /* A fresh void: PID 2 of its own PID namespace, every time. */
    printf("receiver (pid %d in its own void): %s\n", (int)getpid(), argv[2]);
    return 0;
  }
  fprintf(stderr, "pipes: run me under void: void run -s examples/pipes/spec.json examples/pipes/pipes one two three\n");
  return 2;
}
