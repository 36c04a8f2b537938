/*
 * forktop-tracer: a growable buffer and JSON string escaping.
 *
 * Everything the tracer prints comes from other processes (command lines,
 * file names, link targets) and may be any bytes, so escaping must turn any
 * byte string into valid JSON: valid UTF-8 passes through, every byte of an
 * invalid sequence becomes \u00XX (its Latin-1 reading, which JSON.parse
 * accepts and which keeps ASCII text readable).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

void buf_init(struct buf *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

void buf_free(struct buf *b) {
  free(b->data);
  buf_init(b);
}

void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) {
    static const char msg[] = "forktop-tracer: out of memory\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
      /* nothing else to do */
    }
    _exit(1);
  }
  b->data = p;
  b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n) {
  buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

void buf_str(struct buf *b, const char *s) {
  buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  buf_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0
 * if it is not one (overlong forms, surrogates and > U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, min = 0x10000;
  else
    return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x3f >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void json_strn(struct buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  buf_reserve(b, n + 2);
  buf_add(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      buf_add(b, esc, 2);
      i++;
    } else if (c == '\n') {
      buf_add(b, "\\n", 2), i++;
    } else if (c == '\t') {
      buf_add(b, "\\t", 2), i++;
    } else if (c == '\r') {
      buf_add(b, "\\r", 2), i++;
    } else if (c < 0x20 || c == 0x7f) {
      buf_printf(b, "\\u%04x", c), i++;
    } else if (c < 0x80) {
      buf_add(b, s + i, 1), i++;
    } else {
      size_t len = utf8_seq(s + i, n - i);
      if (len) {
        buf_add(b, s + i, len);
        i += len;
      } else {
        buf_printf(b, "\\u%04x", c);
        i++;
      }
    }
  }
  buf_add(b, "\"", 1);
}

void json_str(struct buf *b, const char *s) {
  json_strn(b, s, strlen(s));
}

void json_str_or_null(struct buf *b, const char *s) {
  if (s)
    json_str(b, s);
  else
    buf_str(b, "null");
}
