/*
 * http.c — the http void: one plaintext HTTP/1.1 request in, one response
 * out, then exit.
 *
 * argv: http SOCK_FD
 *   SOCK_FD  "Trigger": this void's end of a socketpair made by a tls void,
 *            which writes one request head into it, shuts down its
 *            writing side, and relays whatever comes back to its client.
 * environment: the document root, bound read-only at /www.
 *
 * It serves GET and HEAD of regular files under /www:
 *   - "/" and "/dir/" mean index.html in that directory; "/dir" (a
 *     directory without the slash) is redirected (301) to "/dir/" so that
 *     relative links in its index work;
 *   - the path is percent-decoded one segment at a time; "." and ".."
 *     segments, an encoded "/" ("%2F"), NUL and other control characters
 *     are refused (400) rather than normalised: a path that needs
 *     normalising is not one a browser sends;
 *   - names beginning with "." (.git, .htpasswd) are never served (404);
 *   - files are opened relative to /www with openat2(RESOLVE_BENEATH), so
 *     not even a symbolic link inside the document root leads out of it;
 *     anything but a regular file (a FIFO, a socket, a device) is 404.
 * The void adds the real boundary: outside /www its root holds only the
 * read-only libraries the binary needs, so even a bug in this code could
 * not read a host file.
 *
 * Responses: 200, 301, 400 (malformed request, bad path), 404, 405 (a
 * method other than GET/HEAD, with "Allow"), 413 (a request with a body),
 * 414 (a path too long), 431 (a head over HTTPS_MAX_REQUEST; the tls void
 * catches those first), 501 (Transfer-Encoding), 505 (not HTTP/1.x), 500
 * (an unexpected error reading a file). Every response says
 * "Connection: close" and carries Content-Length.
 *
 * Exit status: 0 a response was written; 1 it could not be (the tls void
 * went away, the deadline passed); 2 bad argv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "https.h"
#include "void.h"

/* Where the spec binds the document root. */
#define DOCROOT "/www"
/* The whole request-response, however slow the tls void's reading. */
#define HTTP_SECONDS 30
/* The longest request-target accepted (longer: 414). */
#define TARGET_MAX 4096
/* Room for the decoded relative path (plus "/index.html" never needed:
 * the index is opened relative to its directory). */
#define PATH_MAX_BYTES 4096

static void on_deadline(int sig) {
  (void)sig;
  _exit(1);
}

/* ------------------------------------------------------------------ */
/* Responses                                                          */
/* ------------------------------------------------------------------ */

static const char *reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Internal Server Error";
  }
}

/* An HTTP-date (RFC 9110 §5.6.7) for t, e.g. "Sun, 06 Nov 1994 08:49:37
 * GMT". gmtime_r needs no time zone file: the void has none. */
static void http_date(time_t t, char *out, size_t cap) {
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0) snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 GMT");
}

/*
 * Writes the status line and header fields. `extra` is zero or more
 * complete header lines ("Name: value\r\n"), made only from constants and
 * from request bytes already checked to be visible ASCII, so a request
 * cannot inject a header or split the response.
 */
static int send_head(int sock, int status, const char *content_type, long long length, const char *extra) {
  char date[64], head[1024 + TARGET_MAX];
  http_date(time(NULL), date, sizeof date);
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\n"
                   "Date: %s\r\n"
                   "Server: void-https\r\n"
                   "Content-Type: %s\r\n"
                   "Content-Length: %lld\r\n"
                   "%s"
                   "X-Content-Type-Options: nosniff\r\n"
                   "Connection: close\r\n"
                   "\r\n",
                   status, reason_phrase(status), date, content_type, length, extra != NULL ? extra : "");
  if (n < 0 || (size_t)n >= sizeof head) {
    errno = EOVERFLOW;
    return -1;
  }
  return https_send_all(sock, head, (size_t)n);
}

/* A complete response without a file: "404 Not Found\n" and the like as
 * its body (no body for HEAD). Returns the void's exit status. */
static int respond_error(int sock, int status, int head_only, const char *extra) {
  char body[64];
  int n = snprintf(body, sizeof body, "%d %s\n", status, reason_phrase(status));
  if (send_head(sock, status, "text/plain; charset=utf-8", n, extra) < 0) return 1;
  if (!head_only && https_send_all(sock, body, (size_t)n) < 0) return 1;
  return 0;
}

/* The media type for a file name, by its extension; octet-stream when
 * unknown, so a browser does not guess (nosniff is sent as well). */
static const char *content_type(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"ico", "image/x-icon"},
  };
  const char *slash = strrchr(name, '/');
  const char *base = slash != NULL ? slash + 1 : name;
  const char *dot = strrchr(base, '.');
  if (dot != NULL) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
      if (strcasecmp(dot + 1, types[i].ext) == 0) return types[i].type;
    }
  }
  return "application/octet-stream";
}

/* ------------------------------------------------------------------ */
/* Parsing the request head (RFC 9112)                                */
/* ------------------------------------------------------------------ */

/* tchar: the characters of a method or a header field name. */
static int is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A visible ASCII character: what a request-target consists of. */
static int is_vchar(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}

/*
 * The next line of buf[*pos..len): *line and *line_len without its
 * terminator (CRLF, or a bare LF, which RFC 9112 §2.2 lets a recipient
 * accept). Returns 1 for a line, 0 when no complete line is left, -1 for a
 * CR that is not followed by LF (a bare CR: refused, never guessed at).
 */
static int next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *line_len) {
  const char *start = buf + *pos;
  const char *lf = memchr(start, '\n', len - *pos);
  if (lf == NULL) return 0;
  size_t n = (size_t)(lf - start);
  if (n > 0 && start[n - 1] == '\r') n--;
  if (memchr(start, '\r', n) != NULL) return -1;
  *line = start;
  *line_len = n;
  *pos = (size_t)(lf - buf) + 1;
  return 1;
}

/* What the server needs from a request head. */
struct request {
  const char *method;
  size_t method_len;
  const char *target;
  size_t target_len;
  int minor;             /* HTTP/1.<minor> */
  int hosts;             /* how many Host fields */
  int transfer_encoding; /* a Transfer-Encoding field was present */
  int has_length;        /* a Content-Length field was present */
  unsigned long long length;
};

/* Case-insensitive comparison of a field name with a lower-case constant. */
static int name_is(const char *name, size_t len, const char *lower) {
  return strlen(lower) == len && strncasecmp(name, lower, len) == 0;
}

/*
 * Content-Length: 1*DIGIT. Several fields (or a list) must agree; a value
 * that does not parse, or two that differ, is a 400 (RFC 9112 §6.3:
 * otherwise the message length is ambiguous, the root of request
 * smuggling).
 */
static int parse_content_length(struct request *req, const char *v, size_t n) {
  if (n == 0) return -1;
  unsigned long long value = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9' || value > (~0ULL - 9) / 10) return -1;
    value = value * 10 + (unsigned long long)(v[i] - '0');
  }
  if (req->has_length && req->length != value) return -1;
  req->has_length = 1;
  req->length = value;
  return 0;
}

/*
 * Parses the head into req. Returns 0, or the HTTP status that refuses
 * it: 400 for anything malformed, 414 for a target over TARGET_MAX, 505
 * for a version other than HTTP/1.x.
 */
static int parse_request(const char *buf, size_t len, struct request *req) {
  size_t pos = 0;
  const char *line;
  size_t n;
  int r;
  memset(req, 0, sizeof *req);

  /* A server SHOULD ignore at least one empty line before the request
   * line (RFC 9112 §2.2); a few are enough. */
  for (int skipped = 0;; skipped++) {
    r = next_line(buf, len, &pos, &line, &n);
    if (r <= 0) return 400;
    if (n > 0) break;
    if (skipped == 4) return 400;
  }

  /* request-line = method SP request-target SP HTTP-version */
  size_t i = 0;
  while (i < n && is_tchar((unsigned char)line[i])) i++;
  if (i == 0 || i >= n || line[i] != ' ') return 400;
  req->method = line;
  req->method_len = i;
  size_t t = ++i;
  while (i < n && is_vchar((unsigned char)line[i])) i++;
  if (i == t || i >= n || line[i] != ' ') return 400;
  req->target = line + t;
  req->target_len = i - t;
  const char *version = line + i + 1;
  size_t version_len = n - i - 1;
  if (version_len != 8 || memcmp(version, "HTTP/", 5) != 0 || version[5] < '0' || version[5] > '9' || version[6] != '.' || version[7] < '0' ||
      version[7] > '9')
    return 400;
  if (version[5] != '1') return 505;
  req->minor = version[7] - '0';
  if (req->target_len > TARGET_MAX) return 414;

  /* field-line = field-name ":" OWS field-value OWS, up to the empty line. */
  for (;;) {
    r = next_line(buf, len, &pos, &line, &n);
    if (r <= 0) return 400;
    if (n == 0) break;
    /* obs-fold (a line starting with white space) is refused, and so
     * is white space before the colon (RFC 9112 §5.1, §5.2). */
    size_t k = 0;
    while (k < n && is_tchar((unsigned char)line[k])) k++;
    if (k == 0 || k >= n || line[k] != ':') return 400;
    const char *value = line + k + 1;
    size_t value_len = n - k - 1;
    while (value_len > 0 && (value[0] == ' ' || value[0] == '\t')) {
      value++;
      value_len--;
    }
    while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) value_len--;
    for (size_t j = 0; j < value_len; j++) {
      unsigned char c = (unsigned char)value[j];
      if (c != '\t' && c != ' ' && !is_vchar(c) && c < 0x80) return 400;
    }
    if (name_is(line, k, "host")) {
      req->hosts++;
    } else if (name_is(line, k, "transfer-encoding")) {
      req->transfer_encoding = 1;
    } else if (name_is(line, k, "content-length")) {
      /* A list ("5, 5") is allowed if every member agrees. */
      size_t s = 0;
      while (s <= value_len) {
        size_t e = s;
        while (e < value_len && value[e] != ',') e++;
        size_t a = s, b = e;
        while (a < b && (value[a] == ' ' || value[a] == '\t')) a++;
        while (b > a && (value[b - 1] == ' ' || value[b - 1] == '\t')) b--;
        if (parse_content_length(req, value + a, b - a) < 0) return 400;
        s = e + 1;
      }
    }
  }
  /* HTTP/1.1 requires exactly one Host; HTTP/1.0 allows none, never two
   * (RFC 9112 §3.2). */
  if (req->hosts > 1 || (req->minor >= 1 && req->hosts == 0)) return 400;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The path                                                           */
/* ------------------------------------------------------------------ */

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
 * The path part of a request-target: origin-form "/a/b?q" gives "/a/b";
 * absolute-form "http://host/a/b?q", which servers must accept too (RFC
 * 9112 §3.2.2), gives "/a/b" (the authority is not used: one site). The
 * query is ignored. Returns 0 with *path and *path_len, or -1 (400) for
 * any other form ("*", "host:port", a relative path).
 */
static int target_path(const char *target, size_t len, const char **path, size_t *path_len) {
  size_t start = 0;
  if (len >= 7 && strncasecmp(target, "http://", 7) == 0)
    start = 7;
  else if (len >= 8 && strncasecmp(target, "https://", 8) == 0)
    start = 8;
  if (start > 0) {
    while (start < len && target[start] != '/' && target[start] != '?') start++;
    if (start == len || target[start] == '?') {
      *path = "/";
      *path_len = 1;
      return 0;
    }
  }
  if (target[start] != '/') return -1;
  size_t end = start;
  while (end < len && target[end] != '?') end++;
  *path = target + start;
  *path_len = end - start;
  return 0;
}

/*
 * Turns the raw path into a path relative to /www, in rel: percent-
 * decoded segment by segment, empty segments ("//") dropped, segments
 * joined with "/". "" means the document root itself. *hidden is set if a
 * segment starts with "." (never served). Returns 0, or the status that
 * refuses it: 400 for "." or "..", an encoded "/", NUL or another control
 * character, a bad "%" escape, '#'; 414 if the result does not fit.
 */
static int decode_path(const char *path, size_t len, char *rel, size_t cap, int *hidden) {
  size_t out = 0;
  size_t i = 0;
  *hidden = 0;
  while (i < len) {
    while (i < len && path[i] == '/') i++;
    if (i == len) break;
    size_t seg = out + (out > 0 ? 1 : 0);
    if (out > 0) {
      if (out + 1 >= cap) return 414;
      rel[out++] = '/';
    }
    for (; i < len && path[i] != '/'; i++) {
      unsigned char c = (unsigned char)path[i];
      if (c == '%') {
        int hi = i + 2 < len ? hex_value((unsigned char)path[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value((unsigned char)path[i + 2]) : -1;
        if (hi < 0 || lo < 0) return 400;
        c = (unsigned char)(hi * 16 + lo);
        i += 2;
        if (c == '/') return 400;
      } else if (c == '#') {
        return 400;
      }
      if (c < 0x20 || c == 0x7f) return 400;
      if (out + 1 >= cap) return 414;
      rel[out++] = (char)c;
    }
    size_t seg_len = out - seg;
    if ((seg_len == 1 && rel[seg] == '.') || (seg_len == 2 && rel[seg] == '.' && rel[seg + 1] == '.')) return 400;
    if (rel[seg] == '.') *hidden = 1;
  }
  rel[out] = '\0';
  return 0;
}

/*
 * Opens `rel` below the directory dirfd, for reading, never leaving it:
 * openat2 with RESOLVE_BENEATH fails (EXDEV) for ".." or an absolute
 * symbolic link that would lead out, RESOLVE_NO_MAGICLINKS refuses
 * /proc-style links. O_NONBLOCK: opening a FIFO must not wait for a
 * writer (it is refused as not regular right after). On a kernel without
 * openat2 (before 5.6) it falls back to openat with O_NOFOLLOW, which
 * checks only the last component — the void's empty root still keeps any
 * link inside it.
 */
static int open_beneath(int dirfd, const char *rel) {
  struct open_how how = {
      .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  return (int)fd;
}

/* An open() error that means "there is nothing to serve here" (404),
 * rather than something wrong with the server (500). */
static int is_not_found(int err) {
  return err == ENOENT || err == ENOTDIR || err == EXDEV || err == ELOOP || err == EACCES || err == EPERM || err == ENAMETOOLONG || err == ENXIO;
}

/* ------------------------------------------------------------------ */
/* Serving                                                            */
/* ------------------------------------------------------------------ */

/* 200: the head, then (unless HEAD) st_size bytes of the file. */
static int send_file(int sock, int fd, const struct stat *st, const char *name, int head_only) {
  char modified[64], extra[96];
  http_date(st->st_mtime, modified, sizeof modified);
  snprintf(extra, sizeof extra, "Last-Modified: %s\r\n", modified);
  if (send_head(sock, 200, content_type(name), (long long)st->st_size, extra) < 0) return 1;
  if (head_only) return 0;
  static char buf[65536];
  off_t left = st->st_size;
  while (left > 0) {
    ssize_t r = read(fd, buf, (size_t)(left < (off_t)sizeof buf ? left : (off_t)sizeof buf));
    if (r < 0 && errno == EINTR) continue;
    /* A file that shrank or failed mid-way: the promised length cannot
     * be kept; stopping short makes the client see a broken response. */
    if (r <= 0) return 1;
    if (https_send_all(sock, buf, (size_t)r) < 0) return 1;
    left -= r;
  }
  return 0;
}

/* Finds and sends what the path names. Returns the void's exit status. */
static int serve(int sock, const char *raw_path, size_t raw_len, const char *rel, int head_only) {
  int root = open(DOCROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    perror("https http: " DOCROOT);
    return respond_error(sock, 500, head_only, NULL);
  }
  int fd = open_beneath(root, rel[0] != '\0' ? rel : ".");
  if (fd < 0) return respond_error(sock, is_not_found(errno) ? 404 : 500, head_only, NULL);
  struct stat st;
  if (fstat(fd, &st) < 0) return respond_error(sock, 500, head_only, NULL);
  const char *name = rel;
  if (S_ISDIR(st.st_mode)) {
    if (raw_path[raw_len - 1] != '/') {
      /* "/docs" -> "/docs/". raw_path is visible ASCII without '?'
       * (checked by the parser), so it is safe in a header. */
      char location[TARGET_MAX + 32];
      snprintf(location, sizeof location, "Location: %.*s/\r\n", (int)raw_len, raw_path);
      return respond_error(sock, 301, head_only, location);
    }
    int index = open_beneath(fd, "index.html");
    close(fd);
    if (index < 0) return respond_error(sock, is_not_found(errno) ? 404 : 500, head_only, NULL);
    fd = index;
    name = "index.html";
    if (fstat(fd, &st) < 0) return respond_error(sock, 500, head_only, NULL);
  }
  if (!S_ISREG(st.st_mode)) return respond_error(sock, 404, head_only, NULL);
  return send_file(sock, fd, &st, name, head_only);
}

#define REQUEST_TOO_LARGE (-2)

/*
 * Reads the request: everything up to the tls void's end-of-file, at most
 * HTTPS_MAX_REQUEST bytes (the tls void never sends more). Returns the
 * length, REQUEST_TOO_LARGE, or -1 for a read error.
 */
static ssize_t read_request(int sock, char *buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    if (len == cap) {
      char extra;
      ssize_t more = recv(sock, &extra, 1, 0);
      return more == 0 ? (ssize_t)len : REQUEST_TOO_LARGE;
    }
    ssize_t r = recv(sock, buf + len, cap - len, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return (ssize_t)len;
    len += (size_t)r;
  }
}

int https_http(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "https http: expected argv: http SOCK_FD (one request per void)\n");
    return 2;
  }
  int sock = void_fd_arg(argv[2]);
  if (sock < 0) {
    perror("https http: fd argument");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_deadline};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  alarm(HTTP_SECONDS);
  https_socket_timeouts(sock, HTTP_SECONDS);

  static char buf[HTTPS_MAX_REQUEST];
  ssize_t len = read_request(sock, buf, sizeof buf);
  if (len == REQUEST_TOO_LARGE) return respond_error(sock, 431, 0, NULL);
  if (len < 0) {
    perror("https http: reading the request");
    return 1;
  }

  struct request req;
  int status = parse_request(buf, (size_t)len, &req);
  if (status != 0) return respond_error(sock, status, 0, NULL);
  int is_get = req.method_len == 3 && memcmp(req.method, "GET", 3) == 0;
  int is_head = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;
  if (!is_get && !is_head) return respond_error(sock, 405, 0, "Allow: GET, HEAD\r\n");
  if (req.transfer_encoding) return respond_error(sock, 501, is_head, NULL);
  if (req.has_length && req.length > 0) return respond_error(sock, 413, is_head, NULL);

  const char *path;
  size_t path_len;
  if (target_path(req.target, req.target_len, &path, &path_len) < 0) return respond_error(sock, 400, is_head, NULL);
  static char rel[PATH_MAX_BYTES];
  int hidden;
  status = decode_path(path, path_len, rel, sizeof rel, &hidden);
  if (status != 0) return respond_error(sock, status, is_head, NULL);
  if (hidden) return respond_error(sock, 404, is_head, NULL);
  return serve(sock, path, path_len, rel, is_head);
}
