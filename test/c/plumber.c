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
 * Roles for the fault tests (test/integration/faults.test.ts). The wave
 * roles send a first wave, wait for SIGUSR1 (`void run` forwards it to
 * every void), send a second wave, wait for SIGUSR1 again and exit, so the
 * test can look at the launcher between waves while nothing else runs.
 *   wave-sender FD MODE N1 N2  messages "msg-<i>" on pipe FD in two waves;
 *                           MODE "mixed" makes every 4th one (i % 4 == 3)
 *                           bad instead: 5000 bytes, 70000 bytes, a NUL
 *                           byte, 4096 bytes (in turn)
 *   fd-waves SOCK FILE K N1 N2  packets carrying K copies of fd FILE
 *                           (K may be 0: a data-only packet), in two waves
 *   eof-waves SOCK N1 N2    packets each carrying the write end of a fresh
 *                           pipe (closed here once sent); after each wave,
 *                           print "eofs <wave> <k>/<n>": how many read ends
 *                           saw end-of-file within 10 s (all copies closed)
 *   partial-sender FD KIND  write "first\n", then one last message without
 *                           a newline and exit: KIND "short" ("tail"),
 *                           "max" (4095 bytes), "long" (5000 bytes), "nul"
 *   quit                    exit 0 at once, touching no fd
 *   linger                  sleep 30 s (a handler that stays alive)
 *   rpc-garbage RPC         send the broker garbage (too long, not JSON,
 *                           with an fd, not allowed, half read), print
 *                           "garbage <n replies>", exit without reading
 *                           the last replies
 *
 * Arguments after the entrypoint come from the spec (fds) and "Trigger".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Blocks SIGUSR1 (call first thing, so a forwarded one is never lost). */
static void hold_usr1(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

static void wait_usr1(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  int sig;
  while (sigwait(&set, &sig) != 0) {
  }
}

/* Message i of a wave-sender: 0 when sent, -1 on a write error. */
static int wave_message(int fd, long i, int mixed) {
  if (!mixed || i % 4 != 3) {
    char msg[64];
    snprintf(msg, sizeof msg, "msg-%ld", i);
    return void_pipe_send(fd, msg);
  }
  static char big[70002];
  size_t len;
  switch ((i / 4) % 4) {
    case 0:
      len = 5000;
      memset(big, 'a', len);
      break;
    case 1:
      len = 70000;
      memset(big, 'b', len);
      break;
    case 2:
      len = (size_t)snprintf(big, sizeof big, "bad-%ld", i) + 1; /* keeps its NUL */
      big[len++] = 'x';
      break;
    default:
      len = 4096;
      memset(big, 'c', len);
      break;
  }
  big[len++] = '\n';
  return write_all(fd, big, len);
}

static int eof_wave(int sock, long n, int wave) {
  int *ends = calloc((size_t)(n > 0 ? n : 1), sizeof *ends);
  if (ends == NULL) return -1;
  for (long i = 0; i < n; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    if (void_send_fds(sock, &p[1], 1, "e", 1) < 0) return -1;
    close(p[1]);
    ends[i] = p[0];
  }
  long eofs = 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < n; i++) {
    for (;;) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      long left = 10000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
      struct pollfd pfd = {.fd = ends[i], .events = POLLIN};
      int r = poll(&pfd, 1, left > 0 ? (int)left : 0);
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        char c;
        if (read(ends[i], &c, 1) == 0) eofs++;
      }
      break;
    }
    close(ends[i]);
  }
  free(ends);
  printf("eofs %d %ld/%ld\n", wave, eofs, n);
  return 0;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *role = argv[1];
  setvbuf(stdout, NULL, _IOLBF, 0);

  if (strcmp(role, "wave-sender") == 0 && argc >= 6) {
    hold_usr1();
    int fd = fd_arg(argv[2]);
    int mixed = strcmp(argv[3], "mixed") == 0;
    long n1 = atol(argv[4]), n2 = atol(argv[5]);
    for (long i = 0; i < n1; i++)
      if (wave_message(fd, i, mixed) < 0) return 1;
    wait_usr1();
    for (long i = n1; i < n1 + n2; i++)
      if (wave_message(fd, i, mixed) < 0) return 1;
    wait_usr1();
    return 0;
  }
  if (strcmp(role, "fd-waves") == 0 && argc >= 7) {
    hold_usr1();
    int sock = fd_arg(argv[2]), file = fd_arg(argv[3]);
    long k = atol(argv[4]), n1 = atol(argv[5]), n2 = atol(argv[6]);
    int fds[16];
    for (int i = 0; i < 16; i++) fds[i] = file;
    if (k < 0 || k > 16) return 2;
    for (long i = 0; i < n1; i++)
      if (void_send_fds(sock, fds, (size_t)k, "w", 1) < 0) return 1;
    wait_usr1();
    for (long i = 0; i < n2; i++)
      if (void_send_fds(sock, fds, (size_t)k, "w", 1) < 0) return 1;
    wait_usr1();
    return 0;
  }
  if (strcmp(role, "eof-waves") == 0 && argc >= 5) {
    hold_usr1();
    int sock = fd_arg(argv[2]);
    if (eof_wave(sock, atol(argv[3]), 1) < 0) return 1;
    wait_usr1();
    if (eof_wave(sock, atol(argv[4]), 2) < 0) return 1;
    wait_usr1();
    return 0;
  }
  if (strcmp(role, "partial-sender") == 0 && argc >= 4) {
    int fd = fd_arg(argv[2]);
    static char last[5000];
    size_t len;
    if (strcmp(argv[3], "max") == 0) {
      len = 4095;
      memset(last, 'm', len);
    } else if (strcmp(argv[3], "long") == 0) {
      len = 5000;
      memset(last, 'l', len);
    } else if (strcmp(argv[3], "nul") == 0) {
      memcpy(last, "nul\0tail", 8);
      len = 8;
    } else {
      memcpy(last, "tail", 4);
      len = 4;
    }
    if (void_pipe_send(fd, "first") < 0) return 1;
    return write_all(fd, last, len) < 0;
  }
  if (strcmp(role, "quit") == 0) return 0;
  if (strcmp(role, "linger") == 0) {
    struct timespec ts = {30, 0};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    return 0;
  }
  if (strcmp(role, "rpc-garbage") == 0 && argc >= 3) {
    int rpc = fd_arg(argv[2]);
    static char big[3000];
    memset(big, '{', sizeof big);
#define LIT(s) \
  { s, sizeof s - 1 }
    static const struct {
      const char *data;
      size_t len;
    } bad[] = {
        LIT("{not json"),
        LIT("{\"op\": \"OpenTcpSocket\", \"host\": \"127.0.0.1\", \"port\": 1, \"family\": null}"), /* not allowed */
        LIT("{\"op\": \"OpenTcpSocket\", \"host\": \"127.0.0.1\", \"port\": 1, \"family\": null, \"x\": 1}"),
        LIT("\xff\xfe\0garbage"),
        LIT("[]"),
    };
    int replies = 0;
    char reply[2048];
    int got[16];
    size_t ngot;
    /* Too long, then each malformed one, each answered before the next. */
    if (send(rpc, big, sizeof big, 0) < 0) return 1;
    if (void_recv_fds(rpc, got, 16, &ngot, reply, sizeof reply) > 0) replies++;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      if (send(rpc, bad[i].data, bad[i].len, 0) < 0) return 1;
      if (void_recv_fds(rpc, got, 16, &ngot, reply, sizeof reply) > 0) replies++;
    }
    /* A request carrying fds (requests never do). */
    int mine[3] = {1, 2, 1};
    if (void_send_fds(rpc, mine, 3, "{", 1) < 0) return 1;
    if (void_recv_fds(rpc, got, 16, &ngot, reply, sizeof reply) > 0) replies++;
    /* Then requests whose replies are never read, and exit. */
    for (int i = 0; i < 5; i++)
      if (send(rpc, "garbage", 7, 0) < 0) return 1;
    printf("garbage %d\n", replies);
    return 0;
  }

  /* sender FD N [MS]: N messages, MS milliseconds apart (default 0). */
  if (strcmp(role, "sender") == 0 && argc >= 4) {
    int fd = fd_arg(argv[2]);
    long n = atol(argv[3]);
    long ms = argc >= 5 ? atol(argv[4]) : 0;
    char msg[64];
    for (long i = 0; i < n; i++) {
      if (i > 0) pause_ms(ms);
      snprintf(msg, sizeof msg, "msg-%ld", i);
      if (void_pipe_send(fd, msg) < 0) return 1;
    }
    return 0;
  }
  if (strcmp(role, "echo-trigger") == 0) {
    printf("got %s\n", argc >= 3 ? argv[2] : "(nothing)");
    return 0;
  }
  /* fd-sender SOCK FILE N [MS]: N packets carrying FILE, MS milliseconds apart. */
  if (strcmp(role, "fd-sender") == 0 && argc >= 5) {
    int sock = fd_arg(argv[2]);
    int file = fd_arg(argv[3]);
    long n = atol(argv[4]);
    long ms = argc >= 6 ? atol(argv[5]) : 0;
    for (long i = 0; i < n; i++) {
      if (i > 0) pause_ms(ms);
      if (void_send_fds(sock, &file, 1, "x", 1) < 0) return 1;
    }
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
