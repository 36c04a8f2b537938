/*
 * tls.c — the tls void: one TCP connection, one TLS session, one request.
 *
 * argv: tls CERT_FD KEY_FD REQUESTS_FD CONN_FD
 *   CERT_FD      {"File": ".../cert.pem"}: the certificate chain, PEM;
 *   KEY_FD       {"File": ".../key.pem"}: its private key, PEM, unencrypted;
 *   REQUESTS_FD  {"FileSocket": {"Tx": "requests"}}: each packet starts a
 *                fresh http void holding the fd it carries;
 *   CONN_FD      "Trigger": the client's connection, from the listener.
 *
 * What it does, in order:
 *   1. reads the certificate and key from their fds into memory (the void
 *      has no filesystem to open them from) and closes the fds;
 *   2. does the TLS handshake (TLS 1.2 or 1.3, ALPN "http/1.1");
 *   3. reads ONE request head — up to the empty line that ends the header
 *      fields, at most HTTPS_MAX_REQUEST bytes; a request body is not read
 *      (the http void refuses requests that announce one);
 *   4. makes a socketpair(AF_UNIX, SOCK_STREAM) — no privilege needed —
 *      and sends one end to "requests", which starts an http void; writes
 *      the head into its own end and shuts down writing, so the http void
 *      sees the request followed by end-of-file;
 *   5. copies whatever the http void answers, until it closes, into the
 *      TLS session; then closes the session (close_notify) and the
 *      connection. One request per connection: every response says
 *      "Connection: close".
 *
 * It does not parse HTTP beyond finding the end of the head: the request
 * line, the header fields and the path are the http void's business.
 *
 * Time is bounded in the code (see the *_SECONDS constants) so that a slow
 * or silent client costs one void for seconds, not forever; the spec's
 * {"Limits": {"timeout": ...}} is the launcher's backstop.
 *
 * Exit status: 0 the client got a response (the http void's, or a 431
 * for an oversized head); 1 this connection failed (handshake, timeout,
 * client gone, no answer from an http void: the client may have got a
 * 502 or 503); 2 the void was not given what it needs (argv, an unusable
 * certificate or key).
 * Messages go to stderr, which is /dev/null unless `void run --stderr`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "https.h"
#include "void.h"

/* The handshake and the request head must both arrive within this. */
#define HEAD_SECONDS 10
/* The http void's answer must be produced and delivered within this. */
#define RESPONSE_SECONDS 60
/* No single read or write on the client connection may wait longer. */
#define IDLE_SECONDS 10
/* After the response: how long to read and discard what the client still
 * sends, and how much at most (see finish_connection). */
#define LINGER_SECONDS 2
#define LINGER_MAX_BYTES 65536
/* A certificate chain or key file larger than this is refused. */
#define PEM_MAX_BYTES (1024 * 1024)

/*
 * The exit status if the deadline (SIGALRM) fires: 1 while the connection
 * is being served, 0 once the response has been delivered and only the
 * lingering close is left.
 */
static volatile sig_atomic_t deadline_status = 1;

/* SIGALRM: the current phase ran out of time. _exit is async-signal-safe;
 * the kernel closes the connection, the client sees it end. */
static void on_deadline(int sig) {
  (void)sig;
  _exit(deadline_status);
}

/* ------------------------------------------------------------------ */
/* Certificate and key                                                */
/* ------------------------------------------------------------------ */

/*
 * Reads a whole file from an fd (a {"File": ...} grant) into a malloc'd
 * buffer, at most PEM_MAX_BYTES, and closes the fd either way: once read,
 * the void has no reason to keep the key file open. Returns the buffer
 * (*len set), or NULL with a message.
 */
static unsigned char *read_whole_fd(int fd, const char *what, size_t *len) {
  size_t cap = 8192, n = 0;
  unsigned char *buf = malloc(cap);
  if (buf == NULL) {
    close(fd);
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= PEM_MAX_BYTES) {
        fprintf(stderr, "https tls: %s: larger than %d bytes\n", what, PEM_MAX_BYTES);
        goto fail;
      }
      size_t bigger = cap * 2;
      unsigned char *grown = malloc(bigger);
      if (grown == NULL) goto fail;
      /* Copy rather than realloc, so that a key never lies in freed
       * memory that was not wiped. */
      memcpy(grown, buf, n);
      OPENSSL_cleanse(buf, cap);
      free(buf);
      buf = grown;
      cap = bigger;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "https tls: reading %s: %s\n", what, strerror(errno));
      goto fail;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  *len = n;
  return buf;
fail:
  close(fd);
  OPENSSL_cleanse(buf, cap);
  free(buf);
  return NULL;
}

/* PEM passphrase callback: there is no one to ask (no terminal, no
 * stdin), so an encrypted key is refused instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

/*
 * The certificate chain from a PEM buffer: the first certificate is the
 * server's own, any that follow are intermediates sent along with it
 * (what SSL_CTX_use_certificate_chain_file does with a path). Reading
 * stops at the end of the buffer, which OpenSSL reports as "no start
 * line"; any other error is a broken file.
 */
static int use_certificate_chain(SSL_CTX *ctx, const unsigned char *pem, size_t len) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (bio == NULL) return -1;
  int ok = -1;
  X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, no_passphrase, NULL);
  if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1) goto out;
  X509 *extra;
  while ((extra = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL) {
    /* add0: the context owns it from here on, unless adding fails. */
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      goto out;
    }
  }
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) goto out;
  ERR_clear_error();
  ok = 0;
out:
  X509_free(leaf);
  BIO_free(bio);
  return ok;
}

/* The private key from a PEM buffer, checked against the certificate. */
static int use_private_key(SSL_CTX *ctx, const unsigned char *pem, size_t len) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (bio == NULL) return -1;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
  BIO_free(bio);
  if (key == NULL) return -1;
  int ok = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  return ok ? 0 : -1;
}

/*
 * ALPN: this server speaks HTTP/1.1 only. A client that offers it gets it;
 * one that offers only other protocols (h2 alone) gets no ALPN answer and
 * may carry on or give up, its choice.
 */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen, void *arg) {
  static const unsigned char ours[] = "\x08http/1.1";
  unsigned char *chosen = NULL;
  (void)ssl;
  (void)arg;
  if (SSL_select_next_proto(&chosen, outlen, ours, sizeof ours - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

/*
 * The TLS server context: certificate and key from their fds (both closed
 * here; the PEM text is wiped from memory once parsed), TLS 1.2 minimum
 * with forward-secret key exchange only, no renegotiation, and no session
 * resumption: this void serves one
 * connection and is gone, so session IDs and tickets could never be used
 * again — a ticket key would only be one more secret to leak.
 * Returns NULL with a message on any failure.
 */
static SSL_CTX *make_context(int cert_fd, int key_fd) {
  size_t cert_len = 0, key_len = 0;
  unsigned char *cert = read_whole_fd(cert_fd, "certificate", &cert_len);
  unsigned char *key = read_whole_fd(key_fd, "private key", &key_len);
  SSL_CTX *ctx = NULL;
  if (cert == NULL || key == NULL) goto out;
  ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL) goto out;
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) goto fail;
  /* TLS 1.2 suites: only those with an ephemeral ECDHE key exchange, so
   * that a stolen key cannot decrypt recorded sessions (TLS 1.3 has no
   * other kind). */
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) goto fail;
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
  if (use_certificate_chain(ctx, cert, cert_len) < 0) {
    fprintf(stderr, "https tls: the certificate fd holds no usable PEM certificate\n");
    goto fail;
  }
  if (use_private_key(ctx, key, key_len) < 0) {
    fprintf(stderr, "https tls: the key fd holds no usable unencrypted PEM private key for this certificate\n");
    goto fail;
  }
  goto out;
fail:
  ERR_print_errors_fp(stderr);
  SSL_CTX_free(ctx);
  ctx = NULL;
out:
  if (cert != NULL) {
    OPENSSL_cleanse(cert, cert_len);
    free(cert);
  }
  if (key != NULL) {
    OPENSSL_cleanse(key, key_len);
    free(key);
  }
  return ctx;
}

/* ------------------------------------------------------------------ */
/* The request head                                                   */
/* ------------------------------------------------------------------ */

/*
 * Where the head ends in buf[0..len): the index just after the empty line
 * ("\n\r\n" or "\n\n" — a bare LF ends a line too, RFC 9112 §2.2), or 0 if
 * it has not arrived. Scanning starts at `from`, so bytes are looked at a
 * bounded number of times however the client splits its writes.
 */
static size_t head_end(const char *buf, size_t len, size_t from) {
  for (size_t i = from; i < len; i++) {
    if (buf[i] != '\n') continue;
    if (i + 1 < len && buf[i + 1] == '\n') return i + 2;
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
  }
  return 0;
}

#define HEAD_TOO_LARGE ((size_t)-1)

/*
 * Reads from the TLS session until the request head is complete. Returns
 * its length, 0 if the client closed or failed first, or HEAD_TOO_LARGE
 * if HTTPS_MAX_REQUEST bytes came without an empty line. Bytes after the
 * head (a body, a pipelined request) are ignored: one request per
 * connection.
 */
static size_t read_head(SSL *ssl, char *buf, size_t cap) {
  size_t len = 0;
  while (len < cap) {
    int r = SSL_read(ssl, buf + len, (int)(cap - len));
    if (r <= 0) return 0;
    size_t from = len >= 2 ? len - 2 : 0;
    len += (size_t)r;
    size_t end = head_end(buf, len, from);
    if (end > 0) return end;
  }
  return HEAD_TOO_LARGE;
}

/* ------------------------------------------------------------------ */
/* Relaying                                                           */
/* ------------------------------------------------------------------ */

/*
 * Set once an SSL_write has failed: the session is dead (OpenSSL forbids
 * SSL_shutdown after a fatal error) and nothing more can reach the client.
 */
static int session_broken;

/* SSL_write until all n bytes are in the session; -1 if the client or
 * the connection failed (timeout, reset). */
static int ssl_write_all(SSL *ssl, const void *buf, size_t n) {
  const char *p = buf;
  if (session_broken) return -1;
  while (n > 0) {
    int chunk = n > 65536 ? 65536 : (int)n;
    int w = SSL_write(ssl, p, chunk);
    if (w <= 0) {
      session_broken = 1;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/*
 * The answers the tls void gives itself, when there is no http void's
 * answer to relay. Complete HTTP/1.1 responses, so the client learns why.
 */
static const char RESPONSE_431[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 36\r\nConnection: close\r\n\r\n"
    "431 Request Header Fields Too Large\n";
static const char RESPONSE_502[] =
    "HTTP/1.1 502 Bad Gateway\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
    "502 Bad Gateway\n";
static const char RESPONSE_503[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\nConnection: close\r\n\r\n"
    "503 Service Unavailable\n";

/*
 * Hands the request head to a fresh http void and relays its answer.
 *
 * The socketpair is made here, not by the launcher: any process may make
 * one, and it connects exactly this tls void to exactly the http void
 * that the packet starts, so no other connection's bytes can ever travel
 * on it. The head is at most HTTPS_MAX_REQUEST bytes, far below an AF_UNIX
 * socket's buffer, so it is written whole before the http void even runs;
 * then shutdown(SHUT_WR) marks its end. The http void reads to end-of-
 * file, answers, and exits, closing its end: that end-of-file is the end
 * of the response.
 *
 * Returns 0 when a response was relayed, -1 otherwise (after answering
 * 502/503 where the client can still be told).
 */
static int relay(SSL *ssl, int requests, const char *head, size_t head_len) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    perror("https tls: socketpair");
    ssl_write_all(ssl, RESPONSE_503, sizeof RESPONSE_503 - 1);
    return -1;
  }
  if (void_send_fds(requests, &sv[1], 1, "r", 1) < 0) {
    /* EPIPE: the launcher is shutting down and starts no more voids. */
    perror("https tls: passing the request on");
    close(sv[0]);
    close(sv[1]);
    ssl_write_all(ssl, RESPONSE_503, sizeof RESPONSE_503 - 1);
    return -1;
  }
  close(sv[1]); /* the http void has it now; a copy here would hide its EOF */
  https_socket_timeouts(sv[0], RESPONSE_SECONDS);
  if (https_send_all(sv[0], head, head_len) < 0 || shutdown(sv[0], SHUT_WR) < 0) {
    perror("https tls: writing the request to the http void");
    close(sv[0]);
    ssl_write_all(ssl, RESPONSE_502, sizeof RESPONSE_502 - 1);
    return -1;
  }
  static char buf[65536];
  size_t relayed = 0;
  int status = 0;
  for (;;) {
    ssize_t r = read(sv[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      perror("https tls: reading the http void's response");
      status = -1;
      break;
    }
    if (r == 0) break;
    if (ssl_write_all(ssl, buf, (size_t)r) < 0) {
      fprintf(stderr, "https tls: the client went away during the response\n");
      close(sv[0]);
      return -1;
    }
    relayed += (size_t)r;
  }
  close(sv[0]);
  if (relayed == 0) {
    /* The http void died (or never started) without a word. */
    fprintf(stderr, "https tls: no response from the http void\n");
    ssl_write_all(ssl, RESPONSE_502, sizeof RESPONSE_502 - 1);
    return -1;
  }
  return status;
}

/*
 * Ends a connection whose handshake succeeded: close_notify (we do not
 * wait for the client's), then a lingering close. If the client is still
 * sending (a body we did not read) when we close(), the kernel answers
 * with a TCP reset, which can destroy the response still on its way; so,
 * like web servers do, stop writing (FIN), read and discard for a moment
 * until the client closes too, then close.
 */
static void finish_connection(SSL *ssl, int conn) {
  if (session_broken) {
    close(conn);
    return;
  }
  SSL_shutdown(ssl);
  deadline_status = 0;
  alarm(LINGER_SECONDS);
  shutdown(conn, SHUT_WR);
  https_socket_timeouts(conn, LINGER_SECONDS);
  char sink[4096];
  size_t drained = 0;
  while (drained < LINGER_MAX_BYTES) {
    ssize_t r = read(conn, sink, sizeof sink);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    drained += (size_t)r;
  }
  alarm(0);
  close(conn);
}

int https_tls(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "https tls: expected argv: tls CERT_FD KEY_FD REQUESTS_FD CONN_FD (one connection per void)\n");
    return 2;
  }
  int cert_fd = void_fd_arg(argv[2]);
  int key_fd = void_fd_arg(argv[3]);
  int requests = void_fd_arg(argv[4]);
  int conn = void_fd_arg(argv[5]);
  if (cert_fd < 0 || key_fd < 0 || requests < 0 || conn < 0) {
    perror("https tls: fd argument");
    return 2;
  }

  /* A client that resets the connection must not kill us mid-write
   * (OpenSSL writes with write(2), which raises SIGPIPE). */
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_deadline};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  alarm(HEAD_SECONDS);
  https_socket_timeouts(conn, IDLE_SECONDS);

  /* No configuration file: what this server does is in this file, not
   * in whatever openssl.cnf the host has (the void has none anyway). */
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
  SSL_CTX *ctx = make_context(cert_fd, key_fd);
  if (ctx == NULL) {
    close(conn);
    return 2;
  }
  SSL *ssl = SSL_new(ctx);
  if (ssl == NULL || SSL_set_fd(ssl, conn) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  if (SSL_accept(ssl) != 1) {
    /* Not TLS, or TLS we do not accept. OpenSSL has sent the alert,
     * if any; after a fatal error there is no session to shut down. */
    fprintf(stderr, "https tls: handshake failed\n");
    ERR_print_errors_fp(stderr);
    close(conn);
    return 1;
  }

  static char head[HTTPS_MAX_REQUEST];
  size_t head_len = read_head(ssl, head, sizeof head);
  if (head_len == 0) {
    fprintf(stderr, "https tls: the connection ended before a complete request\n");
    close(conn);
    return 1;
  }
  int status = 1;
  alarm(RESPONSE_SECONDS);
  if (head_len == HEAD_TOO_LARGE) {
    fprintf(stderr, "https tls: request head larger than %d bytes: 431\n", HTTPS_MAX_REQUEST);
    status = ssl_write_all(ssl, RESPONSE_431, sizeof RESPONSE_431 - 1) < 0 ? 1 : 0;
  } else {
    status = relay(ssl, requests, head, head_len) < 0 ? 1 : 0;
  }
  finish_connection(ssl, conn);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return status;
}
