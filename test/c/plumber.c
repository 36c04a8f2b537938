/*
 * plumber — one test program that plays every part of the plumbing tests,
 * chosen by the entrypoint name (argv[1], from "Entrypoint"). It uses the
 * void-side C library (lib/c/void.h) exactly as applications do.
 *
 *   sender FD N             write N messages "msg-<i>" on pipe FD
 *   echo-trigger MSG        print "got <MSG>" (a Pipe-triggered handler)
 *   fd-sender SOCK FILE N   send N packets, each carrying the fd FILE
 *   fd-reader FD            print "read <first line of FD>" (FileSocket-triggered)
 *   acceptor LISTEN SOCK    accept connections on LISTEN, pass each to SOCK
 *   echoer FD               echo one connection's bytes back, then close
 *   pipe-reader FD          print every line read from pipe FD, then "eof"
 *   rpc-client RPC HOST PORT  open a TCP socket through the broker, send
 *                           "ping", print the reply, or "error <errno name>"
 *   long-sender FD          write a 5000-byte message, then "short"
 *   many-fds SOCK FILE      send one packet carrying 20 copies of fd FILE
 *                           (more than a trigger accepts), then one with 1
 *   fds                     print the open fd numbers (fd hygiene)
 *   crash                   die of SIGSEGV
 *
 * Arguments after the entrypoint come from the spec (fds) and "Trigger".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "void.h"

static int fd_arg(const char *s) {
  int fd = void_fd_arg(s);
  if (fd < 0) {
    fprintf(stderr, "plumber: bad fd argument \"%s\": %s\n", s, strerror(errno));
    exit(2);
  }
  return fd;
}

static void print_fds(void) {
  printf("fds");
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0) printf(" %d", fd);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *role = argv[1];
  setvbuf(stdout, NULL, _IOLBF, 0);

  if (strcmp(role, "sender") == 0 && argc >= 4) {
    int fd = fd_arg(argv[2]);
    long n = atol(argv[3]);
    char msg[64];
    for (long i = 0; i < n; i++) {
      snprintf(msg, sizeof msg, "msg-%ld", i);
      if (void_pipe_send(fd, msg) < 0) return 1;
    }
    return 0;
  }
  if (strcmp(role, "echo-trigger") == 0) {
    printf("got %s\n", argc >= 3 ? argv[2] : "(nothing)");
    return 0;
  }
  if (strcmp(role, "fd-sender") == 0 && argc >= 5) {
    int sock = fd_arg(argv[2]);
    int file = fd_arg(argv[3]);
    long n = atol(argv[4]);
    for (long i = 0; i < n; i++)
      if (void_send_fds(sock, &file, 1, "x", 1) < 0) return 1;
    return 0;
  }
  if (strcmp(role, "fd-reader") == 0 && argc >= 3) {
    int fd = fd_arg(argv[2]);
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0); /* the file description (and offset) is shared */
    if (n < 0) return 1;
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("read %s\n", buf);
    return 0;
  }
  if (strcmp(role, "acceptor") == 0 && argc >= 4) {
    int listener = fd_arg(argv[2]);
    int sock = fd_arg(argv[3]);
    for (;;) {
      int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      if (void_send_fds(sock, &conn, 1, "c", 1) < 0) return 1;
      close(conn);
    }
  }
  if (strcmp(role, "echoer") == 0 && argc >= 3) {
    int fd = fd_arg(argv[2]);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
      if (write(fd, buf, (size_t)n) != n) return 1;
    return 0;
  }
  if (strcmp(role, "pipe-reader") == 0 && argc >= 3) {
    FILE *in = fdopen(fd_arg(argv[2]), "r");
    char line[4200];
    while (in && fgets(line, sizeof line, in)) printf("line %s", line);
    printf("eof\n");
    return 0;
  }
  if (strcmp(role, "rpc-client") == 0 && argc >= 5) {
    int rpc = fd_arg(argv[2]);
    char err[256] = "";
    int s = void_rpc_open_tcp(rpc, argv[3], atoi(argv[4]), AF_UNSPEC, err, sizeof err);
    if (s < 0) {
      printf("error %s %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?", err);
      return 0;
    }
    if (write(s, "ping\n", 5) != 5) return 1;
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("reply %s", buf);
    return 0;
  }
  if (strcmp(role, "long-sender") == 0 && argc >= 3) {
    int fd = fd_arg(argv[2]);
    static char big[5002];
    memset(big, 'a', 5000);
    big[5000] = '\n';
    if (write(fd, big, 5001) != 5001) return 1;
    return void_pipe_send(fd, "short") < 0;
  }
  if (strcmp(role, "many-fds") == 0 && argc >= 4) {
    /* Raw sendmsg: the library refuses more than 16 fds, a hostile
     * writer would not. */
    int sock = fd_arg(argv[2]), file = fd_arg(argv[3]);
    int fds[20];
    for (int i = 0; i < 20; i++) fds[i] = file;
    union {
      char buf[CMSG_SPACE(sizeof fds)];
      struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {"x", 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    if (sendmsg(sock, &msg, 0) < 0) return 1;
    return void_send_fds(sock, &file, 1, "y", 1) < 0;
  }
  if (strcmp(role, "fds") == 0) {
    print_fds();
    return 0;
  }
  if (strcmp(role, "crash") == 0) {
    raise(SIGSEGV);
    return 0;
  }
  fprintf(stderr, "plumber: unknown role %s\n", role);
  return 2;
}
