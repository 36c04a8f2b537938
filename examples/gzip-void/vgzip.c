/*
 * vgzip — a void-aware gzip: it compresses one input to stdout and has no
 * filesystem at all.
 *
 * It never opens a file. Its input arrives already open, as a file
 * descriptor whose number is argv[1] (a {"File": ...} argument: the
 * launcher opens the host file read-only before the void starts), and its
 * output is fd 1 (the "Stdout" grant). It is linked statically, so its void
 * holds nothing but its own executable and /dev/null — no libc, no libz,
 * no ld.so.cache — and the spec's seccomp grant makes open/openat fail, so
 * even a compromised vgzip cannot reach a path.
 *
 * The output is a gzip stream written by zlib: deflateInit2 with
 * windowBits 15 + 16 asks for a gzip header and trailer (no file name, no
 * timestamp), which `gunzip` reads.
 *
 * Exit status: 0; 1 on a read, write or zlib error; 2 on a usage error.
 * Stderr is not granted, so errors are silent (the status still says).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "void.h"

static unsigned char in_buf[1 << 16];
static unsigned char out_buf[1 << 16];

/* write(2) until all n bytes are out; -1 on error. */
static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: vgzip FD   (FD: the input, a File argument; output on stdout)\n");
    return 2;
  }
  int in = void_fd_arg(argv[1]);
  if (in < 0) {
    perror("vgzip: input fd");
    return 2;
  }

  z_stream z = {0};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 1;

  int flush;
  do {
    ssize_t n;
    do n = read(in, in_buf, sizeof in_buf);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      perror("vgzip: read");
      return 1;
    }
    z.next_in = in_buf;
    z.avail_in = (uInt)n;
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH; /* end of input: finish, write the trailer */
    /* Deflate this chunk, emptying out_buf each time it fills up. */
    do {
      z.next_out = out_buf;
      z.avail_out = sizeof out_buf;
      if (deflate(&z, flush) == Z_STREAM_ERROR) return 1;
      if (write_all(1, out_buf, sizeof out_buf - z.avail_out) < 0) {
        perror("vgzip: write");
        return 1;
      }
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);

  deflateEnd(&z);
  return 0;
}
