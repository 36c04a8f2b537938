/*
 * A long-running process for forktop-tracer's attach, detach and shell
 * tests. It is deliberately sensitive to being disturbed:
 *
 *   - the main thread blocks in read(0); every line it reads is answered
 *     on stdout as "pong LINE N" (N counts lines); "info" with its uid,
 *     gid and hostname, "status" with its /proc/self/status, "ls" with the
 *     names in its "/", "open" opens /dev/null once more; EOF prints "bye"
 *     and exits 0;
 *   - a second thread sleeps in nanosleep() in a loop (a syscall restarted
 *     through restart_syscall, -ERESTART_RESTARTBLOCK);
 *   - a child process sleeps in pause().
 * No signal handlers: a tracer that mishandles a syscall restart makes
 * read() or nanosleep() fail with EINTR or errno 512..516, which is printed
 * and ends the program with status 3 or 4, so the test sees it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, const char *a, long n) {
  char line[512];
  int len = snprintf(line, sizeof line, fmt, a, n);
  if (len > 0 && write(1, line, (size_t)len) != len) _exit(5);
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    if (syscall(SYS_nanosleep, &ts, NULL) < 0) {
      say("nanosleep failed: %s (%ld)\n", strerror(errno), errno);
      _exit(3);
    }
  }
  return NULL;
}

int main(void) {
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) pause();
  }
  pthread_t th;
  if (pthread_create(&th, NULL, sleeper, NULL) != 0) return 6;
  say("ready%s %ld\n", "", 0);
  char buf[256], line[256];
  size_t have = 0;
  long count = 0;
  for (;;) {
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n < 0) {
      say("read failed: %s (%ld)\n", strerror(errno), errno);
      _exit(4);
    }
    if (n == 0) break;
    have += (size_t)n;
    char *nl;
    while ((nl = memchr(buf, '\n', have))) {
      size_t len = (size_t)(nl - buf);
      memcpy(line, buf, len);
      line[len] = 0;
      memmove(buf, nl + 1, have - len - 1);
      have -= len + 1;
      if (strcmp(line, "info") == 0) {
        struct utsname u;
        uname(&u);
        char info[400];
        snprintf(info, sizeof info, "uid=%d gid=%d host=%s", (int)getuid(), (int)getgid(), u.nodename);
        say("info %s %ld\n", info, ++count);
      } else if (strcmp(line, "status") == 0) {
        /* /proc/self/status as this process sees it, one "status: " line each. */
        FILE *f = fopen("/proc/self/status", "r");
        char l[512];
        while (f && fgets(l, sizeof l, f)) say("status: %s%.0ld", l, 0L);
        if (f) fclose(f);
        say("end status %ld\n", "", ++count);
      } else if (strcmp(line, "ls") == 0) {
        DIR *d = opendir("/");
        struct dirent *e;
        while (d && (e = readdir(d)))
          if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) say("ls: %s\n%.0ld", e->d_name, 0L);
        if (d) closedir(d);
        say("end ls%s %ld\n", "", ++count);
      } else if (strcmp(line, "open") == 0) {
        /* A new fd: a rescan must see the snapshot change. */
        int fd = open("/dev/null", O_RDONLY);
        say("opened%s %ld\n", fd >= 0 ? "" : " (failed)", ++count);
      } else {
        say("pong %s %ld\n", line, ++count);
      }
    }
    if (have == sizeof buf - 1) have = 0;
  }
  say("bye%s %ld\n", "", count);
  kill(child, SIGKILL);
  return 0;
}
