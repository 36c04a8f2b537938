/*
 * upstream — a program written the way the original void-orchestrator's
 * examples were (its code is not copied here): one binary, the part to
 * play chosen by argv[0], which the spec sets to the entrypoint's name;
 * plain write(2)s without newlines; fds passed with zero-length
 * SCM_RIGHTS packets; no void library. Test program for
 * test/integration/upstream.test.ts.
 *
 *   pipe_sender FD N K       K processes at once, each N writes "s<k>-<i>" (no
 *                            newline), back to back
 *   pipe_receiver MSG        print "got MSG"
 *   fd_sender SOCK FILE N    N zero-length packets, each carrying FILE
 *   fd_receiver FD           print "fd <first line of FD>"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_fd(int sock, int fd) {
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct msghdr msg = {.msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return (int)sendmsg(sock, &msg, 0); /* no data at all: the packet is the fd */
}

int main(int argc, char **argv) {
  const char *me = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (strcmp(me, "pipe_sender") == 0 && argc == 4) {
    int fd = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    for (int s = 0; s < k; s++) {
      if (fork() != 0) continue;
      for (int i = 0; i < n; i++) {
        char msg[64];
        int len = snprintf(msg, sizeof msg, "s%d-%d", s, i);
        if (write(fd, msg, (size_t)len) != len) _exit(1);
      }
      _exit(0);
    }
    int status, failed = 0;
    while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    return failed;
  }
  if (strcmp(me, "pipe_receiver") == 0 && argc == 2) {
    printf("got %s\n", argv[1]);
    return 0;
  }
  if (strcmp(me, "fd_sender") == 0 && argc == 4) {
    int sock = atoi(argv[1]), file = atoi(argv[2]), n = atoi(argv[3]);
    for (int i = 0; i < n; i++)
      if (send_fd(sock, file) < 0) return 1;
    return 0;
  }
  if (strcmp(me, "fd_receiver") == 0 && argc == 2) {
    char line[128] = {0};
    ssize_t n = pread(atoi(argv[1]), line, sizeof line - 1, 0);
    if (n < 0) return 1;
    line[strcspn(line, "\n")] = 0;
    printf("fd %s\n", line);
    return 0;
  }
  fprintf(stderr, "upstream: what is %s?\n", me);
  return 2;
}
