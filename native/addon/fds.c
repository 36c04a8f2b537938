/*
 * fds.c — fd plumbing: pipes, socket pairs, fd flags, opening without
 * symlinks, polling, and passing fds over sockets (native/fdpass.h).
 *
 *   pipe(packets)            -> [read end, write end, packets]
 *   seqpacketPair()          -> [a, b]        (both: made in the launcher's
 *   streamPair()             -> [read end, write end]  empty network namespace)
 *   recvFds(fd, maxBytes)    -> { data, fds, eof, truncated } | null
 *   sendFds(fd, data, fds)   -> true, or false when it would block
 *   pollReadable(fds)        -> boolean[]
 *   setBlocking(fd, b), setCloexec(fd)
 *   openNoSymlinks(path, read) -> an O_PATH fd, or a read-only one
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"
#include "../fdpass.h"
#include "../linux_compat.h"

/* What one packet may carry between the launcher and a void. */

static napi_value fd_pair(napi_env env, int a, int b) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, a, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_int32(env, b, &v);
  napi_set_element(env, arr, 1, v);
  return arr;
}

/* pipe(packets) -> [read end, write end, packets], both close-on-exec.
 * With packets, a pipe in packet mode (O_DIRECT, Linux 3.4): each write(2)
 * of up to PIPE_BUF bytes is one packet and each read(2) returns exactly
 * one, so a Pipe trigger sees where every write began and ended (longer
 * writes arrive as PIPE_BUF-sized packets). The third element says
 * whether packet mode was granted (a kernel without it: a byte stream). */
napi_value js_pipe(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  bool packets = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_bool(env, argv[0], &packets);
  int fds[2];
  int got = packets && pipe2(fds, O_CLOEXEC | O_DIRECT) == 0;
  if (!got && pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2", "");
  result = fd_pair(env, fds[0], fds[1]);
  napi_get_boolean(env, got, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

/*
 * Socket pairs for voids: made in an empty network namespace.
 *
 * A socket belongs for good to the network namespace of the task that made
 * it, whoever holds it later: an abstract unix address bound on it is bound
 * in that namespace, and the interface ioctls (SIOCGIFCONF, SIOCGIFHWADDR,
 * ...) answer for it. A pair the launcher made itself would be of the
 * host's namespace, and a void holding one end (the shared stdin socket, a
 * FileSocket end, its broker socket, a UDP relay, void-init's channels)
 * could bind abstract names in the host's namespace — take a host
 * service's name before it starts, learn which names exist (EADDRINUSE) —
 * and list the host's interfaces, addresses and MAC addresses: a socket
 * ioctl needs no grant of any network. So every pair the launcher makes is
 * made in a network namespace of its own, with nothing in it (a loopback,
 * down), one for the launcher's whole life, which no void is in and no
 * void's name reaches the host from; and each end is bound to an address
 * of the kernel's choosing there at once, so that a void cannot bind one
 * of its own on it at all. Voids' own sockets are made in each
 * void's own namespace, as ever; TCP sockets (listeners, brokered
 * connections) stay the host's by design, under the host-sockets rule.
 *
 * A thread cannot enter a user namespace (setns(CLONE_NEWUSER) refuses a
 * multi-threaded caller), and an unprivileged launcher needs one to own a
 * network namespace. So a short-lived child does it, sharing our memory
 * and fd table (CLONE_VM | CLONE_VFORK | CLONE_FILES): the first makes
 * both namespaces (CLONE_NEWUSER | CLONE_NEWNET) and leaves fds of them in
 * the table (SIOCGSKNS on a socket made there, then NS_GET_USERNS: no
 * /proc needed); each later one enters them (setns: the launcher's user
 * owns that user namespace, so has every capability in it) and calls
 * socketpair(), whose fds are the launcher's at once. The child runs
 * nothing but system calls, with every signal blocked, on a stack of its
 * own, while this thread waits (as native/spawn_clone.c). ~50 µs a pair,
 * against ~4 µs for socketpair() alone; a run makes a few (one per Rpc,
 * forwarding or prepared void, one per named socket, one for stdin).
 */

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C /* Linux 4.9 */
#endif
#define VOID_NS_GET_USERNS 0xb701 /* _IO(0xb7, 0x1), <linux/nsfs.h>, Linux 4.9 */

struct pair_child {
  int userns, netns; /* fds of the namespaces, once made */
  int type;          /* socketpair type, or 0: make the namespaces */
  int fds[2];
  int err;
  const char *call;
};

/* One child at a time: Node's thread is the only caller, and waits. */
static struct pair_child pairs = {.userns = -1, .netns = -1};
static char pair_stack[64 * 1024] __attribute__((aligned(16)));

static int pair_child_main(void *arg) {
  struct pair_child *c = arg;
  if (c->type == 0) {
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      c->err = errno, c->call = "socket";
      _exit(1);
    }
    int net = ioctl(s, SIOCGSKNS);
    if (net < 0) {
      c->err = errno, c->call = "ioctl SIOCGSKNS";
      close(s); /* the fd table is the launcher's */
      _exit(1);
    }
    close(s);
    int user = ioctl(net, VOID_NS_GET_USERNS);
    if (user < 0) {
      c->err = errno, c->call = "ioctl NS_GET_USERNS";
      close(net);
      _exit(1);
    }
    c->netns = net, c->userns = user;
    c->err = 0;
    _exit(0);
  }
  if (setns(c->userns, CLONE_NEWUSER) < 0) {
    c->err = errno, c->call = "setns CLONE_NEWUSER";
    _exit(1);
  }
  if (setns(c->netns, CLONE_NEWNET) < 0) {
    c->err = errno, c->call = "setns CLONE_NEWNET";
    _exit(1);
  }
  if (socketpair(AF_UNIX, c->type | SOCK_CLOEXEC, 0, c->fds) < 0) {
    c->err = errno, c->call = "socketpair";
    _exit(1);
  }
  /* Each end gets an address now (autobind: an abstract name the kernel
   * chooses, in this namespace), so a void's bind() on it fails (EINVAL):
   * voids sharing nothing cannot bind and probe names there either. */
  struct sockaddr_un any = {.sun_family = AF_UNIX};
  for (int i = 0; i < 2; i++) {
    if (bind(c->fds[i], (struct sockaddr *)&any, sizeof any.sun_family) < 0) {
      c->err = errno, c->call = "bind";
      _exit(1);
    }
  }
  c->err = 0;
  _exit(0);
}

/* Runs the child for `type` (0: make the namespaces); 0, or an errno with
 * pairs.call naming what failed. */
static int pair_child_run(int type, int flags) {
  /* ECHILD until the child says it is done (a child killed before its end
   * says nothing). */
  pairs.type = type, pairs.err = ECHILD, pairs.call = "clone", pairs.fds[0] = pairs.fds[1] = -1;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pid_t pid = clone(pair_child_main, pair_stack + sizeof pair_stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | flags | SIGCHLD, &pairs);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    pairs.err = err;
    return err;
  }
  /* The child has ended when clone returns (CLONE_VFORK); its result is in
   * `pairs`, the wait only reaps it (0 stays if it fails: libuv waits only
   * for the pids it started). */
  int status = 0;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  if (pairs.err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  for (int i = 0; i < 2; i++)
    if (pairs.fds[i] >= 0) close(pairs.fds[i]);
  return pairs.err != 0 ? pairs.err : ECHILD;
}

/* A pair of `type`, close-on-exec, made in the launcher's empty network
 * namespace (made at the first call): true, or false once it has thrown an
 * error naming the call that failed. */
static bool empty_ns_pair(napi_env env, int type, int fds[2]) {
  if (pairs.netns < 0) {
    int err = pair_child_run(0, CLONE_NEWUSER | CLONE_NEWNET);
    if (err != 0) {
      throw_errno(env, err, pairs.call, "(the launcher's empty network namespace for voids' sockets: CLONE_NEWUSER|CLONE_NEWNET)");
      return false;
    }
    /* Made in the child without close-on-exec; nothing execs in between
     * (Node spawns on this thread, voids close every fd not granted). */
    if (fcntl(pairs.netns, F_SETFD, FD_CLOEXEC) < 0 || fcntl(pairs.userns, F_SETFD, FD_CLOEXEC) < 0) {
      throw_errno(env, errno, "fcntl", "F_SETFD FD_CLOEXEC (the empty network namespace's fds)");
      return false;
    }
  }
  int err = pair_child_run(type, 0);
  if (err != 0) {
    throw_errno(env, err, pairs.call,
                type == SOCK_STREAM ? "AF_UNIX SOCK_STREAM (in the launcher's empty network namespace)"
                                    : "AF_UNIX SOCK_SEQPACKET (in the launcher's empty network namespace)");
    return false;
  }
  fds[0] = pairs.fds[0], fds[1] = pairs.fds[1];
  return true;
}

/* seqpacketPair() -> [a, b]: AF_UNIX SOCK_SEQPACKET, close-on-exec.
 * SEQPACKET rather than DGRAM: packets keep their boundaries and fds, and
 * the reader sees EOF once every writer has closed its end. */
napi_value js_seqpacket_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (!empty_ns_pair(env, SOCK_SEQPACKET, fds)) return NULL;
  return fd_pair(env, fds[0], fds[1]);
}

/* streamPair() -> [read end, write end]: an AF_UNIX stream pair,
 * close-on-exec, that carries bytes one way only. The relayed standard
 * streams use one instead of a pipe: a pipe can be opened again through
 * /proc/PID/fd in either direction (a void with Procfs would read what
 * other voids write), a socket cannot. The read end is what voids share
 * (stdin): shut for writing, so a void cannot send anything back — in
 * particular no fd (SCM_RIGHTS) of a memfd or a Tmpfs file, which would
 * sit unread in the launcher's receive queue, pinning its memory past the
 * void's end and its memory limit. The write end is shut for reading
 * likewise. */
napi_value js_stream_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (!empty_ns_pair(env, SOCK_STREAM, fds)) return NULL;
  if (shutdown(fds[0], SHUT_WR) < 0 || shutdown(fds[1], SHUT_RD) < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return throw_errno(env, err, "shutdown", "(the stdin socket's back channel)");
  }
  return fd_pair(env, fds[0], fds[1]);
}

/* recvFds(fd, maxBytes) -> null when nothing is waiting (EAGAIN), else
 * { data, fds, eof, truncated }. Never blocks (MSG_DONTWAIT). Received fds
 * are close-on-exec. Room is made for every fd a packet can carry (the
 * kernel's SCM_MAX_FD), so the kernel never closes any itself, here, on
 * Node's thread: the last close of a socket a void sent with SO_LINGER
 * waits up to its linger time, and would hold the launcher's event loop
 * (src/orchestrator/launcher.ts closeReceived closes on a thread of its
 * own). A packet with more than VOID_MESSAGE_MAX_FDS fds, or more bytes
 * than `maxBytes`, comes back whole with truncated = true: the caller
 * closes its fds (closeLater) and drops it. */
napi_value js_recv_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int max = arg_int(env, argv[1]);
  if (max <= 0 || max > 65536) max = 65536;
  char *data = malloc((size_t)max);
  if (data == NULL) return throw_errno(env, ENOMEM, "malloc", "(recvmsg buffer)");
  int got[FDPASS_MAX_FDS];
  size_t count = 0;
  int flags = 0;
  ssize_t n = fdpass_recv(fd, data, (size_t)max, got, FDPASS_MAX_FDS, &count, MSG_DONTWAIT, &flags);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null;
      napi_get_null(env, &null);
      return null;
    }
    return throw_errno(env, err, "recvmsg", "");
  }
  napi_value obj, v, fds;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, count, &fds);
  for (size_t i = 0; i < count; i++) {
    napi_create_int32(env, got[i], &v);
    napi_set_element(env, fds, (uint32_t)i, v);
  }
  napi_create_buffer_copy(env, (size_t)n, data, NULL, &v);
  free(data);
  napi_set_named_property(env, obj, "data", v);
  napi_set_named_property(env, obj, "fds", fds);
  /* Nothing at all: the end (every writer gone, or the socket shut down
   * for reading: nothing more can arrive), or an empty packet, which a
   * SOCK_SEQPACKET writer may send and which must not end the reader for
   * the other writers. */
  int eof = 0;
  if (n == 0 && count == 0) {
    struct pollfd pfd = {fd, POLLRDHUP, 0};
    eof = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
    if (eof) {
      /* Shut down, but packets may still be queued behind an empty one:
       * peek at the next (without a control buffer, so no fd is
       * installed; MSG_CTRUNC says it carries some). Data or fds: not the
       * end yet. */
      char b;
      struct iovec piov = {&b, 1};
      struct msghdr peek = {.msg_iov = &piov, .msg_iovlen = 1};
      ssize_t m = recvmsg(fd, &peek, MSG_PEEK | MSG_DONTWAIT);
      if (m > 0 || (m == 0 && (peek.msg_flags & MSG_CTRUNC))) eof = 0;
    }
  }
  set_named_bool(env, obj, "eof", eof);
  set_named_bool(env, obj, "truncated", (flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 || count > VOID_MESSAGE_MAX_FDS);
  return obj;
}

/* sendFds(fd, data, fds) -> true, or false when the socket's buffer is
 * full (EAGAIN: nothing was sent; never blocks). One packet; SCM_RIGHTS
 * when fds is non-empty. Any other failure throws (EPIPE: the peer has
 * gone). */
napi_value js_send_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  uint32_t nfds = 0;
  CHECK(env, napi_get_array_length(env, argv[2], &nfds));
  if (nfds > VOID_MESSAGE_MAX_FDS) return throw_errno(env, EINVAL, "sendmsg", "(more than 16 fds)");
  int fds[VOID_MESSAGE_MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value e;
    napi_get_element(env, argv[2], i, &e);
    fds[i] = arg_int(env, e);
  }
  if (fdpass_send(fd, data, len, fds, nfds, MSG_DONTWAIT) < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "sendmsg", "");
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_get_boolean(env, true, &result);
  return result;
}

/* pollReadable(fds) -> boolean[]: is anything (data or EOF) waiting? */
napi_value js_poll_readable(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  struct pollfd *p = calloc(n ? n : 1, sizeof *p);
  if (p == NULL) return throw_errno(env, ENOMEM, "calloc", "(poll)");
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, argv[0], i, &v);
    p[i].fd = arg_int(env, v);
    p[i].events = POLLIN;
  }
  poll(p, n, 0);
  napi_create_array_with_length(env, n, &result);
  for (uint32_t i = 0; i < n; i++) {
    napi_get_boolean(env, (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0, &v);
    napi_set_element(env, result, i, v);
  }
  free(p);
  return result;
}

/* setBlocking(fd, blocking): O_NONBLOCK off or on. */
napi_value js_set_blocking(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  bool blocking;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  CHECK(env, napi_get_value_bool(env, argv[1], &blocking));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK) < 0) return throw_errno(env, errno, "fcntl", "O_NONBLOCK");
  return NULL;
}

/* setCloexec(fd): what was inherited (a service manager's sockets) must
 * not reach other children. */
napi_value js_set_cloexec(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl", "FD_CLOEXEC");
  return NULL;
}

/* openNoSymlinks(path, read) -> an O_PATH fd of path, opened refusing a
 * symlink in any component (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS,
 * Linux 5.6; before that O_NOFOLLOW on the last component only). The
 * launcher resolves a File grant's path itself, refusing symlinks a void
 * could have planted, and then opens the result with this: a component
 * swapped for a symlink in between fails (ELOOP) instead of being
 * followed. With `read` true the fd is opened for reading instead
 * (O_RDONLY|O_NONBLOCK|O_NOCTTY: a FIFO put there cannot block, a terminal
 * does not become the launcher's), so a file can be read without
 * reopening it through /proc/self/fd, which a launcher without /proc
 * lacks. */
napi_value js_open_no_symlinks(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  char path[4096];
  size_t len;
  bool read = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  if (argc >= 2) napi_get_value_bool(env, argv[1], &read);
  int flags = (read ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH) | O_CLOEXEC;
  struct open_how_v0 how = {.flags = (uint64_t)flags, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(path, flags | O_NOFOLLOW);
  if (fd < 0) return throw_errno_path(env, errno, "openat2", path);
  napi_create_int32(env, fd, &result);
  return result;
}
