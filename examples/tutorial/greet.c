/*
 * greet — greet-plain split into two voids (docs/tutorial.md, step 3).
 *
 *   reader   parses the untrusted input: it holds standard input and the
 *            write end of the pipe "names", and nothing else (no file, no
 *            stdout). It checks each name and sends the good ones, one
 *            message per line.
 *   printer  runs once per message, in a fresh void: it holds the greeting
 *            file (an fd opened by the launcher: it has no filesystem) and
 *            stdout, and gets the message as its last argument.
 *
 * A name that exploits a bug in the reader gains stdin and a pipe; one that
 * survives to the printer gains one greeting and one line of output.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "void.h"

/* A name is 1..64 letters, spaces, hyphens or apostrophes. */
static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64) return 0;
  for (; *s; s++)
    if (!isalpha((unsigned char)*s) && *s != ' ' && *s != '-' && *s != '\'') return 0;
  return 1;
}

static int reader(const char *pipe_arg) {
  int pipe_fd = void_fd_arg(pipe_arg);
  if (pipe_fd < 0) return 2;
  char name[256];
  while (fgets(name, sizeof name, stdin)) {
    name[strcspn(name, "\n")] = 0;
    if (!valid_name(name)) continue; /* untrusted input stops here */
    name[0] = (char)toupper((unsigned char)name[0]);
    if (void_pipe_send(pipe_fd, name) < 0) return 1;
  }
  return 0;
}

static int printer(const char *greeting_arg, const char *name) {
  int fd = void_fd_arg(greeting_arg);
  if (fd < 0) return 2;
  char greeting[128];
  ssize_t n = read(fd, greeting, sizeof greeting - 1);
  if (n <= 0) return 1;
  greeting[n] = 0;
  greeting[strcspn(greeting, "\n")] = 0;
  printf("%s, %s!\n", greeting, name);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "reader") == 0) return reader(argv[2]);
  if (argc == 4 && strcmp(argv[1], "printer") == 0) return printer(argv[2], argv[3]);
  fprintf(stderr, "greet: run me under void: void run -s spec.json ./greet < names\n");
  return 2;
}
