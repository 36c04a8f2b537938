/*
 * spawnt — times a command the way a C launcher sees it: posix_spawn
 * (glibc: clone CLONE_VM|CLONE_VFORK), stdout on a pipe read to EOF,
 * waitpid. Used for the contenders that are programs of their own (bwrap,
 * unshare, `void run`, `node -e 0`), so none is timed through Node.
 *
 *   spawnt [-n N] [-e] -- COMMAND [ARGS...]
 *
 * stdin and (without -e) stderr are /dev/null. Prints one JSON line with
 * per-run samples in ns from just before posix_spawn: "first" (the
 * "T <CLOCK_MONOTONIC ns>" line bench/c/true.c writes first, or -1),
 * "exit" (waitpid returned), and each run's exit "status".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int n = 10, keep_stderr = 0, i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = atoi(argv[++i]);
    else if (strcmp(argv[i], "-e") == 0)
      keep_stderr = 1;
    else if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else
      break;
  }
  if (i >= argc || n < 1) {
    fprintf(stderr, "usage: spawnt [-n N] [-e] -- COMMAND [ARGS...]\n");
    return 2;
  }
  char **cmd = argv + i;
  int64_t *first = calloc((size_t)n, sizeof *first), *exit_t = calloc((size_t)n, sizeof *exit_t);
  int *status = calloc((size_t)n, sizeof *status);
  char *out = malloc(1 << 20);
  if (!first || !exit_t || !status || !out) return 1;
  for (int k = 0; k < n; k++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (!keep_stderr) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int64_t t0 = now_ns();
    int rc = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
      fprintf(stderr, "spawnt: %s: %s\n", cmd[0], strerror(rc));
      return 1;
    }
    size_t len = 0;
    ssize_t got;
    while ((got = read(p[0], out + len, (1 << 20) - 1 - len)) > 0) len += (size_t)got;
    close(p[0]);
    int ws;
    waitpid(pid, &ws, 0);
    exit_t[k] = now_ns() - t0;
    out[len] = 0;
    status[k] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    char *line = strstr(out, "T ");
    first[k] = line && (line == out || line[-1] == '\n') ? atoll(line + 2) - t0 : -1;
  }
  printf("{\"first\":[");
  for (int k = 0; k < n; k++) printf("%s%lld", k ? "," : "", (long long)first[k]);
  printf("],\"exit\":[");
  for (int k = 0; k < n; k++) printf("%s%lld", k ? "," : "", (long long)exit_t[k]);
  printf("],\"status\":[");
  for (int k = 0; k < n; k++) printf("%s%d", k ? "," : "", status[k]);
  printf("]}\n");
  return 0;
}
