/*
 * https.h — the three parts of the https example, one per entrypoint of
 * spec.json.in, and the little they share.
 *
 *   listener  (listener.c)  accepts TCP connections, passes each one on;
 *   tls       (tls.c)       one connection: TLS handshake, one request,
 *                           hands the plaintext to a fresh http void;
 *   http      (http.c)      one plaintext request: serves a file of /www.
 *
 * main.c picks the part by argv[1] (the spec's "Entrypoint" argument).
 * Each part takes its fds from argv with void_fd_arg (lib/c/void.h) and
 * holds nothing else: no path of the host, no network, no environment.
 */
#ifndef HTTPS_H
#define HTTPS_H

#include <stddef.h>

/*
 * The largest request head (request line + header fields + the empty
 * line) the server accepts, in bytes. The tls void answers a longer one
 * with 431 itself; the http void never sees more than this.
 */
#define HTTPS_MAX_REQUEST 16384

/* The entrypoints; each returns the void's exit status. */
int https_listener(int argc, char **argv);
int https_tls(int argc, char **argv);
int https_http(int argc, char **argv);

/*
 * Writes all n bytes of buf to fd (a socket), retrying EINTR and short
 * writes. MSG_NOSIGNAL: a peer that has gone is EPIPE, not a SIGPIPE that
 * would end the void before it could log why. Returns 0, or -1 with errno.
 */
int https_send_all(int fd, const void *buf, size_t n);

/*
 * Sets SO_RCVTIMEO and SO_SNDTIMEO on a socket: a blocking read or write
 * that waits longer than `seconds` fails with EAGAIN instead of hanging.
 */
int https_socket_timeouts(int fd, int seconds);

#endif /* HTTPS_H */
