/*
 * basic — one binary, two entrypoints. void passes the entrypoint's name
 * ("Entrypoint") as argv[1] and the program dispatches on it, so each part
 * runs in its own void with only its own grants.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int greeter(void) {
  char host[65] = "";
  gethostname(host, sizeof host - 1);
  printf("greeter: hello from pid %d on host \"%s\"\n", (int)getpid(), host);
  return 0;
}

static int config_reader(void) {
  FILE *f = fopen("/config", "r");
  if (f == NULL) {
    perror("config_reader: /config");
    return 1;
  }
  char line[256];
  while (fgets(line, sizeof line, f)) printf("config_reader: %s", line);
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "basic: run me under void: void run -s examples/basic/spec.json examples/basic/basic\n");
    return 2;
  }
  if (strcmp(argv[1], "greeter") == 0) return greeter();
  if (strcmp(argv[1], "config_reader") == 0) return config_reader();
  fprintf(stderr, "basic: unknown entrypoint %s\n", argv[1]);
  return 2;
}
