/*
 * greet-plain — the tutorial's starting point (docs/tutorial.md): an
 * ordinary program that knows nothing about void.
 *
 *   greet-plain GREETING_FILE < names
 *
 * It reads a greeting from GREETING_FILE, then prints "<greeting>, <name>!"
 * for every line of its standard input. One process does both jobs: the
 * code that parses untrusted input (the names) runs with everything the
 * program can reach, including the greeting file and the whole filesystem.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: greet-plain GREETING_FILE < names\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  char greeting[128];
  if (!fgets(greeting, sizeof greeting, f)) {
    fprintf(stderr, "%s: empty\n", argv[1]);
    return 1;
  }
  fclose(f);
  greeting[strcspn(greeting, "\n")] = 0;

  char name[256];
  while (fgets(name, sizeof name, stdin)) {
    name[strcspn(name, "\n")] = 0;
    if (name[0] == 0) continue;
    name[0] = (char)toupper((unsigned char)name[0]);
    printf("%s, %s!\n", greeting, name);
  }
  return 0;
}
