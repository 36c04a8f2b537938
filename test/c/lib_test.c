/*
 * lib_test.c — tests of lib/c/void.c, run by test/unit/c-lib.test.ts.
 *
 * Build: gcc -O2 -std=gnu11 -Wall -Wextra -Werror -I lib/c -o lib_test test/c/lib_test.c lib/c/void.c
 *
 * No root, no network: everything runs over socketpairs and pipes, and the
 * Rpc broker is a fake in a forked child that answers canned replies.
 *
 *   lib_test            run every test. Prints "ok - what" or
 *                       "not ok - what (detail)" per check, "request <hex>"
 *                       for each request packet the fake broker received
 *                       (the TS test parses them with parseRequest), and
 *                       "done <failures>". Exit status 0 iff all passed.
 *   lib_test replies    read cases from stdin, one per line:
 *                       "<reply hex> <n fds> <tcp|udp>"; for each, a fake
 *                       broker answers one request with exactly those bytes
 *                       and that many fds, and one line is printed:
 *                       "fd <family> <address> <port> <leaked fds>" or
 *                       "error <errno> <message hex> <leaked fds>".
 *                       The TS test feeds it replies made by encodeReply.
 */
#define _GNU_SOURCE
#include "void.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

/* One check: "ok - what" or "not ok - what (errno ...)". */
__attribute__((format(printf, 2, 3))) static void check(bool passed, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  printf(passed ? "ok - " : "not ok - ");
  vprintf(fmt, ap);
  va_end(ap);
  if (!passed) {
    printf(" (errno %d: %s)", saved, strerror(saved));
    failures++;
  }
  printf("\n");
  fflush(stdout);
  errno = saved;
}

/* Open fds of this process, from /proc/self/fd (minus the directory's own). */
static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

static bool same_file(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* sendmsg with any number of fds and any data length (void_send_fds refuses some on purpose). */
static ssize_t raw_send(int sock, const int *fds, size_t n, const void *data, size_t len) {
  char control[CMSG_SPACE(sizeof(int) * 64)];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static void print_hex(const char *prefix, const void *data, size_t len) {
  /* One write per line, so the broker child's lines never interleave. */
  static char line[2 * 8192 + 64];
  size_t at = (size_t)snprintf(line, sizeof line, "%s ", prefix);
  const unsigned char *p = data;
  for (size_t i = 0; i < len && at + 3 < sizeof line; i++) at += (size_t)snprintf(line + at, sizeof line - at, "%02x", p[i]);
  line[at++] = '\n';
  if (write(STDOUT_FILENO, line, at) < 0) _exit(3);
}

/* ------------------------------------------------------------------ */

static void test_fd_arg(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char text[32];
  snprintf(text, sizeof text, "%d", fd);
  check(void_fd_arg(text) == fd, "void_fd_arg(\"%s\") is the open fd", text);

  const char *junk[] = {"", "x", "3x", "-1", "+3", " 3", "3 ", "03", "00", "0x3", "2147483648", "99999999999999999999", "1.0"};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
    errno = 0;
    int r = void_fd_arg(junk[i]);
    check(r == -1 && errno == EINVAL, "void_fd_arg(\"%s\") is EINVAL", junk[i]);
  }
  errno = 0;
  check(void_fd_arg(NULL) == -1 && errno == EINVAL, "void_fd_arg(NULL) is EINVAL");

  close(fd);
  errno = 0;
  check(void_fd_arg(text) == -1 && errno == EBADF, "void_fd_arg of a closed fd is EBADF");
  errno = 0;
  check(void_fd_arg("2147483647") == -1 && errno == EBADF, "void_fd_arg(\"2147483647\") is EBADF");
}

static void test_send_recv(void) {
  int before = count_fds();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    check(false, "socketpair");
    return;
  }
  int files[20];
  for (int i = 0; i < 20; i++) files[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    check(false, "pipe2");
    return;
  }
  int some[3] = {files[0], pipefd[0], pipefd[1]};

  /* Data and three fds arrive together, as duplicates of the same files, close-on-exec. */
  check(void_send_fds(sv[0], some, 3, "hello", 5) == 0, "void_send_fds: 5 bytes + 3 fds");
  int got[VOID_FILESOCKET_MAX_FDS];
  size_t n = 99;
  char buf[64];
  ssize_t r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == 5 && memcmp(buf, "hello", 5) == 0 && n == 3, "void_recv_fds: 5 bytes + 3 fds (r=%zd n=%zu)", r, n);
  if (n == 3) {
    bool same = true, cloexec = true;
    for (int i = 0; i < 3; i++) {
      same = same && same_file(got[i], some[i]) && got[i] != some[i];
      cloexec = cloexec && (fcntl(got[i], F_GETFD) & FD_CLOEXEC) != 0;
      close(got[i]);
    }
    check(same, "received fds are new fds for the sent files, in order");
    check(cloexec, "received fds are close-on-exec (MSG_CMSG_CLOEXEC)");
  }

  /* len == 0 sends one 0 byte (an empty SEQPACKET packet would read as EOF). */
  check(void_send_fds(sv[0], some, 1, NULL, 0) == 0, "void_send_fds: no data + 1 fd");
  buf[0] = 'x';
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == 1 && buf[0] == 0 && n == 1, "void_recv_fds: a single 0 byte + 1 fd (r=%zd n=%zu)", r, n);
  for (size_t i = 0; r == 1 && i < n; i++) close(got[i]);

  /* Plain data, no fds. */
  check(void_send_fds(sv[0], NULL, 0, "x", 1) == 0, "void_send_fds: 1 byte, no fds");
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == 1 && n == 0, "void_recv_fds: 1 byte, no fds");

  /* 16 fds is the convention's maximum; 17 is refused before sending. */
  check(void_send_fds(sv[0], files, 16, "m", 1) == 0, "void_send_fds: 16 fds");
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == 1 && n == 16, "void_recv_fds: 16 fds");
  for (size_t i = 0; i < n; i++) close(got[i]);
  errno = 0;
  check(void_send_fds(sv[0], files, 17, "m", 1) == -1 && errno == EINVAL, "void_send_fds: 17 fds is EINVAL");
  errno = 0;
  check(void_send_fds(sv[0], NULL, 1, "m", 1) == -1 && errno == EINVAL, "void_send_fds: NULL fds is EINVAL");

  /* 20 fds to a reader that takes 16: MSG_CTRUNC, every fd that arrived is closed. */
  int mid = count_fds();
  check(raw_send(sv[0], files, 20, "z", 1) == 1, "raw sendmsg: 20 fds");
  errno = 0;
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == -1 && errno == EMSGSIZE && n == 0, "void_recv_fds: 20 fds for 16 slots is EMSGSIZE");
  check(count_fds() == mid, "MSG_CTRUNC leaves no fd behind (%d before, %d after)", mid, count_fds());

  /* 2 fds for 1 slot: CMSG_SPACE padding lets the kernel deliver both; still refused. */
  check(raw_send(sv[0], files, 2, "z", 1) == 1, "raw sendmsg: 2 fds");
  errno = 0;
  r = void_recv_fds(sv[1], got, 1, &n, buf, sizeof buf);
  check(r == -1 && errno == EMSGSIZE, "void_recv_fds: 2 fds for 1 slot is EMSGSIZE");
  check(count_fds() == mid, "no fd left behind after 2 fds for 1 slot");

  /* Fds to a reader that takes none. */
  check(raw_send(sv[0], files, 1, "z", 1) == 1, "raw sendmsg: 1 fd");
  errno = 0;
  r = void_recv_fds(sv[1], NULL, 0, &n, buf, sizeof buf);
  check(r == -1 && errno == EMSGSIZE, "void_recv_fds: 1 fd for 0 slots is EMSGSIZE");
  check(count_fds() == mid, "no fd left behind after 1 fd for 0 slots");

  /* More data than the buffer: MSG_TRUNC, fds closed. */
  check(raw_send(sv[0], files, 2, "0123456789", 10) == 10, "raw sendmsg: 10 bytes + 2 fds");
  errno = 0;
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, 4);
  check(r == -1 && errno == EMSGSIZE, "void_recv_fds: 10 bytes into 4 is EMSGSIZE");
  check(count_fds() == mid, "no fd left behind after MSG_TRUNC");

  /* An empty packet carrying fds looks like EOF: refused, fds closed. */
  check(raw_send(sv[0], files, 1, NULL, 0) == 0, "raw sendmsg: 0 bytes + 1 fd");
  errno = 0;
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == -1 && errno == EPROTO, "void_recv_fds: an empty packet with fds is EPROTO (r=%zd)", r);
  check(count_fds() == mid, "no fd left behind after an empty packet with fds");

  /* EOF when the writer closes; EPIPE (not SIGPIPE) when the reader has. */
  close(sv[0]);
  r = void_recv_fds(sv[1], got, VOID_FILESOCKET_MAX_FDS, &n, buf, sizeof buf);
  check(r == 0 && n == 0, "void_recv_fds: 0 at EOF");
  int sv2[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv2) == 0) {
    close(sv2[1]);
    errno = 0;
    check(void_send_fds(sv2[0], some, 1, "x", 1) == -1 && errno == EPIPE, "void_send_fds to a closed reader is EPIPE");
    close(sv2[0]);
  }
  close(sv[1]);
  close(pipefd[0]);
  close(pipefd[1]);
  for (int i = 0; i < 20; i++) close(files[i]);
  check(count_fds() == before, "send/recv tests leave no fd behind (%d before, %d after)", before, count_fds());
}

static void test_pipe_send(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    check(false, "pipe2");
    return;
  }
  static char big[VOID_PIPE_LINE_MAX + 16];
  char line[VOID_PIPE_LINE_MAX + 16];

  check(void_pipe_send(p[1], "hello") == 0, "void_pipe_send(\"hello\")");
  ssize_t r = read(p[0], line, sizeof line);
  check(r == 6 && memcmp(line, "hello\n", 6) == 0, "the pipe holds \"hello\\n\"");

  check(void_pipe_send(p[1], "") == 0, "void_pipe_send(\"\")");
  r = read(p[0], line, sizeof line);
  check(r == 1 && line[0] == '\n', "the pipe holds \"\\n\"");

  memset(big, 'a', VOID_PIPE_MSG_MAX);
  big[VOID_PIPE_MSG_MAX] = '\0';
  check(void_pipe_send(p[1], big) == 0, "void_pipe_send: a %d-byte message", VOID_PIPE_MSG_MAX);
  r = read(p[0], line, sizeof line);
  check(r == VOID_PIPE_LINE_MAX && line[VOID_PIPE_LINE_MAX - 1] == '\n', "one read returns the whole %d-byte line", VOID_PIPE_LINE_MAX);

  big[VOID_PIPE_MSG_MAX] = 'a';
  big[VOID_PIPE_MSG_MAX + 1] = '\0';
  errno = 0;
  check(void_pipe_send(p[1], big) == -1 && errno == EINVAL, "void_pipe_send: a %d-byte message is EINVAL", VOID_PIPE_MSG_MAX + 1);
  errno = 0;
  check(void_pipe_send(p[1], "two\nlines") == -1 && errno == EINVAL, "void_pipe_send: a message with '\\n' is EINVAL");
  errno = 0;
  check(void_pipe_send(p[1], NULL) == -1 && errno == EINVAL, "void_pipe_send(NULL) is EINVAL");

  /* Nothing was written by the refused calls. */
  int flags = fcntl(p[0], F_GETFL);
  fcntl(p[0], F_SETFL, flags | O_NONBLOCK);
  errno = 0;
  r = read(p[0], line, sizeof line);
  check(r == -1 && errno == EAGAIN, "refused messages write nothing");

  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  errno = 0;
  check(void_pipe_send(p[1], "x") == -1 && errno == EPIPE, "void_pipe_send with no reader is EPIPE (SIGPIPE ignored)");
  signal(SIGPIPE, SIG_DFL);
  close(p[1]);
}

/* ------------------------------------------------------------------ */
/* A fake broker                                                      */
/* ------------------------------------------------------------------ */

static void broker_send(int sock, const char *reply, size_t len, int n_fds, int type, int flags) {
  int fds[4] = {-1, -1, -1, -1};
  int peers[4] = {-1, -1, -1, -1};
  for (int i = 0; i < n_fds && i < 4; i++) {
    int sp[2];
    if (socketpair(AF_UNIX, type, 0, sp) < 0) _exit(4);
    if (flags != 0) fcntl(sp[0], F_SETFL, flags);
    fds[i] = sp[0];
    peers[i] = sp[1];
  }
  if (raw_send(sock, fds, (size_t)n_fds, reply, len) < 0) _exit(5);
  for (int i = 0; i < n_fds && i < 4; i++) {
    close(fds[i]);
    close(peers[i]);
  }
}

static void broker_reply(int sock, const char *reply, int n_fds, int type) {
  broker_send(sock, reply, strlen(reply), n_fds, type, 0);
}

/* Answers each request according to a marker in its host; prints the request. */
static void canned_broker(int sock) {
  char req[4096];
  for (;;) {
    int fds[4];
    size_t n = 0;
    ssize_t r = void_recv_fds(sock, fds, 4, &n, req, sizeof req - 1);
    if (r <= 0) _exit(r == 0 ? 0 : 6);
    req[r] = '\0';
    print_hex("request", req, (size_t)r);
    int type = strstr(req, "OpenUdpSocket") != NULL ? SOCK_DGRAM : SOCK_STREAM;
    const char *port_at = strstr(req, "\"port\":");
    int port = port_at != NULL ? atoi(port_at + 7) : 0;
    char ok[256];
    if (strstr(req, "ok4.example") != NULL) {
      snprintf(ok, sizeof ok, "{\"ok\":true,\"family\":\"Inet\",\"address\":\"192.0.2.1\",\"port\":%d}", port);
      broker_reply(sock, ok, 1, type);
    } else if (strstr(req, "ok6.example") != NULL) {
      snprintf(ok, sizeof ok, "{\"ok\":true,\"family\":\"Inet6\",\"address\":\"2001:db8::1\",\"port\":%d}", port);
      broker_reply(sock, ok, 1, type);
    } else if (strstr(req, "nonblock.example") != NULL) {
      const char *text = "{\"ok\":true,\"family\":\"Inet\",\"address\":\"192.0.2.2\",\"port\":1}";
      broker_send(sock, text, strlen(text), 1, type, O_NONBLOCK);
    } else if (strstr(req, "spaces.example") != NULL) {
      broker_reply(sock, " { \"port\" : 53 ,\n \"extra\": null, \"more\": [1,2]} ", 1, type);
    } else if (strstr(req, "unordered.example") != NULL) {
      broker_reply(sock, " { \"port\" : 53 ,\n \"extra\": null, \"address\":\"192.0.2.53\",\t\"family\":\"Inet\", \"ok\" : true } ", 1, type);
    } else if (strstr(req, "denied.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EACCES\",\"message\":\"not in this void's Rpc list\"}", 0, type);
    } else if (strstr(req, "noname.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EAI_NONAME\",\"message\":\"no such host\"}", 0, type);
    } else if (strstr(req, "again.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EAI_AGAIN\",\"message\":\"try again\"}", 0, type);
    } else if (strstr(req, "slow.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"ETIMEDOUT\",\"message\":\"too slow\"}", 0, type);
    } else if (strstr(req, "refused.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"ECONNREFUSED\",\"message\":\"refused\"}", 0, type);
    } else if (strstr(req, "unknown.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EWHATEVER\",\"message\":\"odd\"}", 0, type);
    } else if (strstr(req, "nomessage.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EPERM\"}", 0, type);
    } else if (strstr(req, "escape.example") != NULL) {
      broker_reply(sock,
                   "{\"ok\":false,\"error\":\"EIO\",\"message\":"
                   "\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\ud83d\\ude00 tab\\t nul\\u0000 lone\\ud800. raw\xc3\xa9\"}",
                   0, type);
    } else if (strstr(req, "long.example") != NULL) {
      char text[1024];
      int at = snprintf(text, sizeof text, "{\"ok\":false,\"error\":\"EIO\",\"message\":\"");
      for (int i = 0; i < 100; i++) at += snprintf(text + at, sizeof text - (size_t)at, "\xc3\xa9");
      snprintf(text + at, sizeof text - (size_t)at, "\"}");
      broker_reply(sock, text, 0, type);
    } else if (strstr(req, "nofd.example") != NULL) {
      broker_reply(sock, "{\"ok\":true,\"family\":\"Inet\",\"address\":\"192.0.2.1\",\"port\":1}", 0, type);
    } else if (strstr(req, "twofds.example") != NULL) {
      broker_reply(sock, "{\"ok\":true,\"family\":\"Inet\",\"address\":\"192.0.2.1\",\"port\":1}", 2, type);
    } else if (strstr(req, "failfd.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EACCES\",\"message\":\"no\"}", 1, type);
    } else if (strstr(req, "wrongtype.example") != NULL) {
      broker_reply(sock, "{\"ok\":true,\"family\":\"Inet\",\"address\":\"192.0.2.1\",\"port\":1}", 1, type == SOCK_STREAM ? SOCK_DGRAM : SOCK_STREAM);
    } else if (strstr(req, "notjson.example") != NULL) {
      broker_reply(sock, "hello", 1, type);
    } else if (strstr(req, "nested.example") != NULL) {
      broker_reply(sock, "{\"ok\":true,\"x\":{}}", 1, type);
    } else if (strstr(req, "trailing.example") != NULL) {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EIO\",\"message\":\"x\"} {}", 0, type);
    } else if (strstr(req, "nook.example") != NULL) {
      broker_reply(sock, "{\"error\":\"EACCES\",\"message\":\"x\"}", 0, type);
    } else if (strstr(req, "big.example") != NULL) {
      char text[1100];
      memset(text, ' ', sizeof text);
      memcpy(text, "{\"ok\":false,\"error\":\"EIO\",\"message\":\"x\"}", 40);
      broker_send(sock, text, sizeof text, 1, type, 0);
    } else if (strstr(req, "close.example") != NULL) {
      _exit(0);
    } else {
      broker_reply(sock, "{\"ok\":false,\"error\":\"EACCES\",\"message\":\"default\"}", 0, type);
    }
  }
}

/* Fork a broker running fn on one end of a SEQPACKET pair; return the other end. */
static int start_broker(pid_t *pid, void (*fn)(int, void *), void *arg) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -1;
  fflush(stdout);
  *pid = fork();
  if (*pid < 0) return -1;
  if (*pid == 0) {
    close(sv[0]);
    fn(sv[1], arg);
    _exit(0);
  }
  close(sv[1]);
  return sv[0];
}

static void run_canned(int sock, void *arg) {
  (void)arg;
  canned_broker(sock);
}

static bool wait_ok(pid_t pid) {
  int status;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One call; expect failure with errno `want` and (if want_msg) that message. */
static void expect_error(int rpc, int type, const char *host, int family, int want, const char *want_msg) {
  char err[256];
  memset(err, 'X', sizeof err);
  errno = 0;
  int fd = void_rpc_open(rpc, type, host, 443, family, NULL, err, sizeof err);
  int e = errno;
  bool passed = fd == -1 && e == want && memchr(err, '\0', sizeof err) != NULL && (want_msg == NULL || strcmp(err, want_msg) == 0);
  errno = e;
  check(passed, "rpc %s: errno %d (%s), err \"%s\"", host != NULL ? host : "(NULL)", want, strerror(want), fd == -1 ? err : "(an fd)");
  if (fd >= 0) close(fd);
}

static void expect_socket(int rpc, int type, const char *host, int port, int family, int want_family, const char *want_address) {
  struct void_rpc_peer peer;
  char err[256];
  int fd = void_rpc_open(rpc, type, host, port, family, &peer, err, sizeof err);
  int sock_type = 0;
  socklen_t len = sizeof sock_type;
  bool typed = fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &sock_type, &len) == 0 && sock_type == type;
  bool blocking = fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
  bool cloexec = fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
  check(typed && blocking && cloexec && peer.family == want_family && strcmp(peer.address, want_address) == 0 && peer.port == port,
        "rpc %s %s:%d: a blocking %s socket to %s (%s)", type == SOCK_STREAM ? "tcp" : "udp", host, port, type == SOCK_STREAM ? "stream" : "datagram",
        want_address, fd < 0 ? err : "ok");
  if (fd >= 0) close(fd);
}

static void test_rpc(void) {
  signal(SIGPIPE, SIG_IGN);
  int before = count_fds();
  pid_t pid;
  int rpc = start_broker(&pid, run_canned, NULL);
  if (rpc < 0) {
    check(false, "start the fake broker");
    return;
  }
  int with_broker = count_fds();

  expect_socket(rpc, SOCK_STREAM, "ok4.example", 443, AF_INET, AF_INET, "192.0.2.1");
  expect_socket(rpc, SOCK_DGRAM, "ok4.example", 53, AF_UNSPEC, AF_INET, "192.0.2.1");
  expect_socket(rpc, SOCK_STREAM, "ok6.example", 8443, AF_INET6, AF_INET6, "2001:db8::1");
  expect_socket(rpc, SOCK_STREAM, "nonblock.example", 1, AF_UNSPEC, AF_INET, "192.0.2.2");
  expect_socket(rpc, SOCK_DGRAM, "unordered.example", 53, AF_UNSPEC, AF_INET, "192.0.2.53");
  {
    char err[64];
    int fd = void_rpc_open_tcp(rpc, "ok4.example", 80, AF_UNSPEC, err, sizeof err);
    check(fd >= 0, "void_rpc_open_tcp");
    if (fd >= 0) close(fd);
    fd = void_rpc_open_udp(rpc, "ok4.example", 53, AF_INET6, NULL, 0);
    check(fd >= 0, "void_rpc_open_udp with err NULL");
    if (fd >= 0) close(fd);
  }

  expect_error(rpc, SOCK_STREAM, "denied.example", AF_UNSPEC, EACCES, "not in this void's Rpc list");
  expect_error(rpc, SOCK_STREAM, "noname.example", AF_UNSPEC, ENOENT, "no such host");
  expect_error(rpc, SOCK_STREAM, "again.example", AF_UNSPEC, EAGAIN, "try again");
  expect_error(rpc, SOCK_STREAM, "slow.example", AF_UNSPEC, ETIMEDOUT, "too slow");
  expect_error(rpc, SOCK_DGRAM, "refused.example", AF_UNSPEC, ECONNREFUSED, "refused");
  expect_error(rpc, SOCK_STREAM, "unknown.example", AF_UNSPEC, EIO, "odd");
  expect_error(rpc, SOCK_STREAM, "nomessage.example", AF_UNSPEC, EPERM, "EPERM");
  expect_error(rpc, SOCK_STREAM, "escape.example", AF_UNSPEC, EIO,
               "caf\xc3\xa9 \"q\" \\ / \xf0\x9f\x98\x80 tab\t nul\xef\xbf\xbd lone\xef\xbf\xbd. raw\xc3\xa9");
  {
    /* A small err buffer: cut at a character boundary, NUL-terminated. */
    char err[16];
    errno = 0;
    int fd = void_rpc_open_tcp(rpc, "long.example", 1, AF_UNSPEC, err, sizeof err);
    check(fd == -1 && errno == EIO && strlen(err) == 14 && strcmp(err, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9") == 0,
          "a long message is cut at a UTF-8 boundary to fit err");
  }

  /* A broken broker never leaves an fd behind. */
  int mid = count_fds();
  expect_error(rpc, SOCK_STREAM, "nofd.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "twofds.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "failfd.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "wrongtype.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_DGRAM, "wrongtype.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "notjson.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "nested.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "spaces.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "trailing.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "nook.example", AF_UNSPEC, EPROTO, NULL);
  expect_error(rpc, SOCK_STREAM, "big.example", AF_UNSPEC, EPROTO, NULL);
  check(count_fds() == mid, "malformed replies leave no fd behind (%d before, %d after)", mid, count_fds());

  /* Refused locally: nothing is sent (the next reply would be out of step otherwise). */
  char long_host[VOID_RPC_HOST_MAX + 2];
  memset(long_host, 'a', sizeof long_host);
  long_host[VOID_RPC_HOST_MAX + 1] = '\0';
  expect_error(rpc, SOCK_STREAM, "", AF_UNSPEC, EINVAL, "void_rpc: the host is empty");
  expect_error(rpc, SOCK_STREAM, NULL, AF_UNSPEC, EINVAL, NULL);
  expect_error(rpc, SOCK_STREAM, "has space.example", AF_UNSPEC, EINVAL, NULL);
  expect_error(rpc, SOCK_STREAM, "tab\t.example", AF_UNSPEC, EINVAL, NULL);
  expect_error(rpc, SOCK_STREAM, long_host, AF_UNSPEC, EINVAL, NULL);
  expect_error(rpc, SOCK_STREAM, "ok4.example", AF_UNIX, EAFNOSUPPORT, NULL);
  expect_error(rpc, SOCK_RAW, "ok4.example", AF_UNSPEC, EINVAL, NULL);
  {
    errno = 0;
    int fd = void_rpc_open_tcp(rpc, "ok4.example", 0, AF_UNSPEC, NULL, 0);
    check(fd == -1 && errno == EINVAL, "port 0 is EINVAL");
    errno = 0;
    fd = void_rpc_open_tcp(rpc, "ok4.example", 65536, AF_UNSPEC, NULL, 0);
    check(fd == -1 && errno == EINVAL, "port 65536 is EINVAL");
  }
  expect_socket(rpc, SOCK_STREAM, "ok4.example", 65535, AF_UNSPEC, AF_INET, "192.0.2.1");

  /* Hosts that need escaping; the TS test checks that parseRequest reads them back exactly. */
  expect_error(rpc, SOCK_STREAM, "q\"uo\\te.example", AF_UNSPEC, EACCES, "default");
  char quotes[VOID_RPC_HOST_MAX + 1];
  memset(quotes, '"', VOID_RPC_HOST_MAX);
  quotes[VOID_RPC_HOST_MAX] = '\0';
  expect_error(rpc, SOCK_STREAM, quotes, AF_UNSPEC, EACCES, "default");
  expect_error(rpc, SOCK_STREAM, "caf\xc3\xa9.example", AF_INET6, EACCES, "default");

  /* The broker goes away: ECONNRESET, then EPIPE on the next send. */
  expect_error(rpc, SOCK_STREAM, "close.example", AF_UNSPEC, ECONNRESET, "void_rpc: the broker closed the Rpc socket");
  expect_error(rpc, SOCK_STREAM, "after.example", AF_UNSPEC, EPIPE, NULL);
  check(count_fds() == with_broker, "rpc calls leave no fd behind (%d before, %d after)", with_broker, count_fds());
  close(rpc);
  check(wait_ok(pid), "the fake broker exited cleanly");
  check(count_fds() == before, "rpc tests leave no fd behind");
  signal(SIGPIPE, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* replies mode: arbitrary reply bytes from the TS test               */
/* ------------------------------------------------------------------ */

struct canned_reply {
  unsigned char bytes[4096];
  size_t len;
  int n_fds;
  int type;
};

static void run_one_reply(int sock, void *arg) {
  const struct canned_reply *c = arg;
  char req[2048];
  int fds[4];
  size_t n = 0;
  if (void_recv_fds(sock, fds, 4, &n, req, sizeof req) <= 0) _exit(6);
  broker_send(sock, (const char *)c->bytes, c->len, c->n_fds, c->type, 0);
  _exit(0);
}

static int from_hex(const char *hex, unsigned char *out, size_t cap, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (unsigned char)v;
  }
  *len = n / 2;
  return 0;
}

static int replies_mode(void) {
  signal(SIGPIPE, SIG_IGN);
  static char line[16384];
  static struct canned_reply c;
  while (fgets(line, sizeof line, stdin) != NULL) {
    char hex[sizeof line], kind[8];
    if (sscanf(line, "%16383s %d %7s", hex, &c.n_fds, kind) != 3 || from_hex(hex, c.bytes, sizeof c.bytes, &c.len) < 0) {
      printf("bad-input\n");
      return 2;
    }
    c.type = strcmp(kind, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
    int before = count_fds();
    pid_t pid;
    int rpc = start_broker(&pid, run_one_reply, &c);
    if (rpc < 0) return 2;
    struct void_rpc_peer peer;
    char err[2048];
    errno = 0;
    int fd = void_rpc_open(rpc, c.type, "reply.example", 443, AF_UNSPEC, &peer, err, sizeof err);
    int e = errno;
    if (fd >= 0) close(fd);
    close(rpc);
    if (!wait_ok(pid)) return 2;
    int leaked = count_fds() - before;
    if (fd >= 0) {
      printf("fd %d %s %d %d\n", peer.family, peer.address[0] != '\0' ? peer.address : "-", peer.port, leaked);
    } else {
      printf("error %d ", e);
      size_t len = strlen(err);
      if (len == 0) printf("-");
      for (size_t i = 0; i < len; i++) printf("%02x", (unsigned char)err[i]);
      printf(" %d\n", leaked);
    }
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "replies") == 0) return replies_mode();
  if (argc != 1) {
    fprintf(stderr, "usage: lib_test [replies]\n");
    return 2;
  }
  if (count_fds() < 0) {
    printf("not ok - /proc/self/fd is readable\n");
    return 1;
  }
  test_fd_arg();
  test_send_recv();
  test_pipe_send();
  test_rpc();
  printf("done %d\n", failures);
  return failures == 0 ? 0 : 1;
}
