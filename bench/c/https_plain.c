/*
 * https_plain — examples/https without voids, for the https suite: the
 * same binary and the same three stages, one process per connection and
 * one per request, made with fork + execve. It is what `void run` does for
 * that spec with everything a void adds taken away:
 *
 *   https_plain BINARY PORT CERT KEY WWW
 *
 * binds 127.0.0.1:PORT, starts `BINARY listener LISTEN CONNECTIONS`, and
 * then, for every packet on "connections" (one accepted TCP connection),
 * forks `BINARY tls CERT KEY REQUESTS CONN`, and for every packet on
 * "requests" (one end of the tls process's socketpair) forks
 * `BINARY http SOCK` — the argv and fds void gives those entrypoints.
 * Unbounded: the client (wrk, a fixed number of connections) bounds it.
 *
 * The http part opens /www (its document root, which a void gets as a
 * bind). So that the unvoided processes find it without touching the
 * host's root, the driver makes, once at start, a private mount namespace
 * (with / made MS_REC|MS_PRIVATE first) in which a tmpfs holds /usr and
 * /etc bound read-only, the host's top-level symlinks (lib, lib64, bin,
 * sbin), WWW at /www, BINARY at /https, CERT and KEY at /cert.pem and
 * /key.pem, and chroots there. Each tls process opens those two files
 * anew (as void does for each void's File grants: the tls part reads them
 * with read(2), so processes must not share a file offset). No process
 * is in a namespace of its own, none has a seccomp filter, dropped
 * capabilities or a void-init: one mount namespace for the whole server,
 * made before the first connection. The tmpfs goes away with the
 * namespace when the last process exits; the mount point (an empty
 * directory under /tmp, printed on stdout as "ROOT <dir>") is the
 * caller's to remove.
 *
 * Prints "READY <port>" once the listener runs. Children get
 * PR_SET_PDEATHSIG(SIGKILL): killing the driver ends the server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
  fprintf(stderr, "https_plain: %s%s%s: %s\n", what, path ? " " : "", path ? path : "", strerror(errno));
  exit(1);
}

static void bind_ro(const char *src, const char *dst) {
  if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind", src);
  if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL) < 0) die("remount read-only", dst);
}

/* The chroot described above. */
static void bind_file(const char *root, const char *name, const char *host) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (fd < 0) die("create", path);
  close(fd);
  bind_ro(host, path);
}

static void make_root(const char *binary, const char *www, const char *cert, const char *key) {
  char root[] = "/tmp/https-plain-XXXXXX";
  if (mkdtemp(root) == NULL) die("mkdtemp", root);
  printf("ROOT %s\n", root);
  fflush(stdout);
  if (unshare(CLONE_NEWNS) < 0) die("unshare", "CLONE_NEWNS");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make private", "/");
  if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) die("mount tmpfs", root);
  char path[4096];
  static const char *const dirs[] = {"usr", "etc"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char host[64];
    snprintf(host, sizeof host, "/%s", dirs[i]);
    snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
    if (mkdir(path, 0755) < 0) die("mkdir", path);
    bind_ro(host, path);
  }
  static const char *const links[] = {"lib", "lib64", "lib32", "libx32", "bin", "sbin"};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    char host[64], target[256];
    snprintf(host, sizeof host, "/%s", links[i]);
    ssize_t n = readlink(host, target, sizeof target - 1);
    if (n < 0) {
      struct stat st;
      if (stat(host, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof path, "%s/%s", root, links[i]);
        if (mkdir(path, 0755) < 0) die("mkdir", path);
        bind_ro(host, path);
      }
      continue;
    }
    target[n] = '\0';
    snprintf(path, sizeof path, "%s/%s", root, links[i]);
    if (symlink(target, path) < 0) die("symlink", path);
  }
  snprintf(path, sizeof path, "%s/www", root);
  if (mkdir(path, 0755) < 0) die("mkdir", path);
  bind_ro(www, path);
  bind_file(root, "https", binary);
  bind_file(root, "cert.pem", cert);
  bind_file(root, "key.pem", key);
  if (chroot(root) < 0) die("chroot", root);
  if (chdir("/") < 0) die("chdir", "/");
}

/* In a child: put each of fds[i] at 3+i (not close-on-exec), close the
 * rest, and exec /https with argv; never returns. */
static void exec_part(char **argv, const int *fds, int n) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  /* Out of the way first, so that no dup2 overwrites a source. */
  int moved[8];
  for (int i = 0; i < n; i++) {
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64);
    if (moved[i] < 0) _exit(126);
  }
  for (int i = 0; i < n; i++)
    if (dup2(moved[i], 3 + i) < 0) _exit(126);
  closefrom(3 + n);
  execv("/https", argv);
  _exit(127);
}

static pid_t start(char **argv, const int *fds, int n) {
  pid_t pid = fork();
  if (pid < 0) die("fork", NULL);
  if (pid == 0) exec_part(argv, fds, n);
  return pid;
}

/* One packet with exactly one fd, or -1 (end of file: -2). */
static int recv_fd(int sock) {
  char data[16];
  char control[CMSG_SPACE(sizeof(int) * 4)];
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (got == 0) return -2;
  if (got < 0) return -1;
  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < k; i++) {
      if (fd < 0)
        fd = fds[i];
      else
        close(fds[i]);
    }
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: https_plain BINARY PORT CERT KEY WWW\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int port = atoi(argv[2]);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket", NULL);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind 127.0.0.1 port", argv[2]);
  if (listen(lfd, 511) < 0) die("listen", NULL);
  int connections[2], requests[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, connections) < 0) die("socketpair", NULL);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, requests) < 0) die("socketpair", NULL);
  make_root(argv[1], argv[5], argv[3], argv[4]);

  char *listener_argv[] = {"/https", "listener", "3", "4", NULL};
  int listener_fds[] = {lfd, connections[1]};
  start(listener_argv, listener_fds, 2);
  close(lfd);
  close(connections[1]);
  printf("READY %d\n", port);
  fflush(stdout);

  char *tls_argv[] = {"/https", "tls", "3", "4", "5", "6", NULL};
  char *http_argv[] = {"/https", "http", "3", NULL};
  struct pollfd p[2] = {{connections[0], POLLIN, 0}, {requests[0], POLLIN, 0}};
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    int r = poll(p, 2, 100);
    if (r < 0 && errno != EINTR) die("poll", NULL);
    if (r <= 0) continue;
    if (p[1].revents & POLLIN) {
      int sock = recv_fd(requests[0]);
      if (sock >= 0) {
        int fds[] = {sock};
        start(http_argv, fds, 1);
        close(sock);
      }
    }
    if (p[0].revents & POLLIN) {
      int conn = recv_fd(connections[0]);
      if (conn >= 0) {
        pid_t pid = fork();
        if (pid < 0) die("fork", NULL);
        if (pid == 0) {
          int cert = open("/cert.pem", O_RDONLY | O_CLOEXEC);
          int key = open("/key.pem", O_RDONLY | O_CLOEXEC);
          if (cert < 0 || key < 0) _exit(126);
          int fds[] = {cert, key, requests[1], conn};
          exec_part(tls_argv, fds, 4);
        }
        close(conn);
      }
    }
    if (p[0].revents & (POLLHUP | POLLERR)) {
      fprintf(stderr, "https_plain: the listener has gone\n");
      return 1;
    }
  }
}
