/*
 * void.h — the void side of void's conventions, for programs that run
 * inside a void (docs/rpc.md).
 *
 * A void starts with nothing; whatever its spec grants arrives as file
 * descriptors whose numbers are in argv, in the order of the spec's "args".
 * This library turns those argv strings into fds and speaks the three
 * conventions a void's fds carry:
 *
 *   - Pipe:       one message per line, written in one write(2);
 *   - FileSocket: AF_UNIX SOCK_SEQPACKET, one packet = >= 1 data byte and
 *                 1..16 fds (SCM_RIGHTS);
 *   - Rpc:        AF_UNIX SOCK_SEQPACKET to the launcher's broker, one JSON
 *                 request per packet, one JSON reply (+ one fd) per request.
 *
 * Plain C11 + POSIX/Linux, no allocation, no global state, no threads.
 * Build: cc -I lib/c app.c lib/c/void.c   (see lib/c/README.md).
 *
 * Every function returns -1 and sets errno on failure, and retries EINTR.
 * None of them ever leaks a file descriptor that arrived in a message: on
 * any failure, received fds are closed before returning.
 */
#ifndef VOID_H
#define VOID_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FileSocket: most fds in one packet (the launcher's trigger accepts 1..16). */
#define VOID_FILESOCKET_MAX_FDS 16
/* Pipe triggers: a line is at most PIPE_BUF bytes including its '\n', so
 * one write of it is atomic; the message itself is at most 4095 bytes. */
#define VOID_PIPE_LINE_MAX 4096
#define VOID_PIPE_MSG_MAX (VOID_PIPE_LINE_MAX - 1)
/* Rpc: largest request and reply packet; longest host (UTF-8 bytes). */
#define VOID_RPC_MAX_BYTES 1024
#define VOID_RPC_HOST_MAX 253
/* Room for the textual form of any IPv4 or IPv6 address (INET6_ADDRSTRLEN). */
#define VOID_RPC_ADDR_MAX 46

/*
 * void_fd_arg: the fd number in an argv string the launcher wrote.
 * Accepts a canonical decimal number ("0", "3", "17": no sign, no spaces,
 * no leading zeros, at most INT_MAX) and checks with fcntl(F_GETFD) that
 * it is open. Returns the fd, or -1 with errno EINVAL (not such a number)
 * or EBADF (not open).
 */
int void_fd_arg(const char *s);

/*
 * void_send_fds: send one packet on a SOCK_SEQPACKET socket: `len` bytes
 * of `data` and `n` fds (0..VOID_FILESOCKET_MAX_FDS) as SCM_RIGHTS. When
 * len is 0 a single 0 byte is sent, because an empty SEQPACKET packet
 * reads as end-of-file. MSG_NOSIGNAL: a gone reader is EPIPE, not SIGPIPE.
 * The caller keeps its fds (the receiver gets duplicates). Returns 0, or
 * -1 with errno (EINVAL: n too large or a NULL buffer; anything sendmsg
 * sets, e.g. EMSGSIZE, EPIPE, EBADF).
 */
int void_send_fds(int sock, const int *fds, size_t n, const void *data, size_t len);

/*
 * void_recv_fds: receive one packet: up to `len` data bytes into buf and
 * up to `max_fds` fds into fds[], *n_fds set to how many arrived. Fds are
 * received with MSG_CMSG_CLOEXEC (close-on-exec set; clear it with fcntl
 * before exec'ing a program that should inherit one).
 * Returns the number of data bytes (>= 1 for a conforming sender), or 0 at
 * end-of-file (no writer left; *n_fds = 0), or -1 with errno:
 *   EMSGSIZE  more fds than max_fds, or more data than len: the packet is
 *             unusable; every fd that arrived has been closed;
 *   EPROTO    an empty packet carrying fds (closed);
 *   anything recvmsg sets (EAGAIN on a non-blocking socket, ...).
 * A packet with no data and no fds cannot be told from end-of-file on
 * SEQPACKET; that is why every sender sends at least one byte.
 */
ssize_t void_recv_fds(int sock, int *fds, size_t max_fds, size_t *n_fds, void *buf, size_t len);

/*
 * void_pipe_send: write msg followed by '\n' to a Pipe in one write(2), so
 * the line arrives whole (<= PIPE_BUF bytes is atomic). Refuses, with
 * EINVAL, a NULL msg, one longer than VOID_PIPE_MSG_MAX bytes, or one that
 * contains '\n' (it would be two messages). A C string cannot contain NUL.
 * Returns 0, or -1 with errno (EPIPE if the reader is gone and SIGPIPE is
 * ignored; by default SIGPIPE ends the process, as for any pipe).
 */
int void_pipe_send(int fd, const char *msg);

/* Where the broker connected an Rpc socket (from the reply). */
struct void_rpc_peer {
  int family;                      /* AF_INET or AF_INET6 */
  char address[VOID_RPC_ADDR_MAX]; /* e.g. "192.0.2.1", "2001:db8::1" */
  int port;
};

/*
 * void_rpc_open: ask the broker on `rpc_fd` (the Rpc argv fd) to open a
 * socket of `type` (SOCK_STREAM: OpenTcpSocket, SOCK_DGRAM: OpenUdpSocket)
 * connected to host:port. `host` is a name or an IP literal; the launcher
 * resolves it. `family` is AF_UNSPEC (either), AF_INET or AF_INET6.
 * `peer` (may be NULL) receives the address the broker connected to.
 *
 * Returns the connected socket (blocking, FD_CLOEXEC set), or -1 with
 * errno and a human-readable reason in err (always NUL-terminated when
 * errlen > 0; err may be NULL). errno is taken from the broker's error name:
 *   EACCES        not in this void's Rpc list
 *   EPROTO        the broker found the request malformed, or the reply was
 *                 malformed (not JSON, > 1024 bytes, wrong fd count, fd of
 *                 the wrong socket type)
 *   ENOENT        EAI_NONAME: the host does not resolve
 *   EAGAIN        EAI_AGAIN: temporary resolver failure
 *   ETIMEDOUT, ECONNREFUSED, ECONNRESET, ENETUNREACH, EHOSTUNREACH, ENETDOWN,
 *   EHOSTDOWN, EADDRNOTAVAIL, EAFNOSUPPORT, EPERM, EMFILE, ENFILE, ENOBUFS,
 *   ENOMEM        the same name
 *   EIO           any other name
 * and from local problems: EINVAL (bad host, port or type), EAFNOSUPPORT
 * (family not one of the three), ECONNRESET (the broker closed the socket),
 * or whatever send/recv set.
 *
 * One request at a time per rpc_fd: replies come back in order, so two
 * threads sharing an rpc_fd must serialise their calls.
 */
int void_rpc_open(int rpc_fd, int type, const char *host, int port, int family, struct void_rpc_peer *peer, char *err, size_t errlen);

/* void_rpc_open(rpc_fd, SOCK_STREAM, ...): a connected TCP socket. */
int void_rpc_open_tcp(int rpc_fd, const char *host, int port, int family, char *err, size_t errlen);

/* void_rpc_open(rpc_fd, SOCK_DGRAM, ...): a datagram socket to host:port:
 * the launcher relays it (an AF_UNIX SOCK_SEQPACKET socket; each send is
 * one UDP datagram to host:port, each recv one datagram from it), so no
 * sendto() or sendmsg() address can send it anywhere else. */
int void_rpc_open_udp(int rpc_fd, const char *host, int port, int family, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* VOID_H */
