/*
 * actor — a tiny test program whose behaviour is spelled by its argument,
 * so one binary can play several entrypoints (the spec passes the
 * entrypoint's name with "Entrypoint"). Steps, separated by '.':
 *   sleep-MS     sleep MS milliseconds
 *   print-WORD   write WORD and a newline to stdout
 *   signal-N     raise signal N (default action restored first)
 *   syscall-N    make system call N with zero arguments and print
 *                "syscall N: ok" or "syscall N: <errno name>"
 *   forks-N      fork up to N children that sleep 2 s (stops at the first
 *                failure), print "forked K" and the errno of the failure
 *   hog-N        allocate and touch N MiB, then print "hogged N"
 *   tcp-hog-N    (with lo up) N loopback TCP connections nobody reads,
 *                each written to (64 KiB writes) until full, 256 MiB at
 *                most in all; print "queued M" (MiB) and the errno that
 *                stopped it, or "ok"
 *   spin         burn CPU forever
 *   exit-N       exit with status N
 * e.g. "sleep-300.exit-7". Without arguments it exits 0.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 0;
  char *spec = strdup(argv[argc - 1]);
  for (char *step = strtok(spec, "."); step; step = strtok(NULL, ".")) {
    char *dash = strchr(step, '-');
    const char *value = dash ? dash + 1 : "";
    if (strncmp(step, "sleep-", 6) == 0) {
      long ms = atol(value);
      struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    } else if (strncmp(step, "print-", 6) == 0) {
      printf("%s\n", value);
      fflush(stdout);
    } else if (strncmp(step, "signal-", 7) == 0) {
      int sig = atoi(value);
      signal(sig, SIG_DFL);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, sig);
      sigprocmask(SIG_UNBLOCK, &set, NULL);
      raise(sig);
    } else if (strncmp(step, "syscall-", 8) == 0) {
      long nr = atol(value);
      long rc = syscall(nr, 0, 0, 0, 0, 0, 0);
      const char *name = rc < 0 ? strerrorname_np(errno) : NULL;
      printf("syscall %ld: %s\n", nr, rc < 0 ? (name ? name : "?") : "ok");
      fflush(stdout);
    } else if (strncmp(step, "forks-", 6) == 0) {
      long n = atol(value), k = 0;
      int err = 0;
      for (; k < n; k++) {
        pid_t pid = fork();
        if (pid < 0) {
          err = errno;
          break;
        }
        if (pid == 0) {
          sleep(2);
          _exit(0);
        }
      }
      printf("forked %ld %s\n", k, err ? strerrorname_np(err) : "ok");
      fflush(stdout);
    } else if (strncmp(step, "hog-", 4) == 0) {
      long mib = atol(value);
      for (long i = 0; i < mib; i++) {
        char *p = malloc(1 << 20);
        if (p == NULL) break;
        memset(p, 1, 1 << 20);
      }
      printf("hogged %ld\n", mib);
      fflush(stdout);
    } else if (strncmp(step, "tcp-hog-", 8) == 0) {
      long conns = atol(step + 8), max = 256L << 20, total = 0;
      int err = 0;
      int l = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
      socklen_t alen = sizeof a;
      if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0 || getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        err = errno;
      static char buf[65536];
      memset(buf, 'z', sizeof buf);
      for (long k = 0; k < conns && err == 0 && total < max; k++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0 || accept(l, NULL, NULL) < 0) {
          err = errno;
          break;
        }
        fcntl(c, F_SETFL, O_NONBLOCK);
        for (;;) {
          ssize_t n = write(c, buf, sizeof buf);
          if (n <= 0) break;
          total += n;
        }
      }
      printf("queued %ld %s\n", total >> 20, err ? strerrorname_np(err) : "ok");
      fflush(stdout);
    } else if (strcmp(step, "spin") == 0) {
      for (volatile unsigned long i = 0;; i++) {
      }
    } else if (strncmp(step, "exit-", 5) == 0) {
      return atoi(value);
    }
  }
  return 0;
}
