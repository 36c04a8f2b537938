/*
 * untraced — a child made with clone(CLONE_UNTRACED), which the kernel
 * neither reports to its parent's tracer nor attaches: it waits 1.5 s
 * (the tracer's rescan finds it meanwhile), then forks a grandchild that
 * execs /bin/true, and exits 0. The parent waits for it and exits 0.
 * Prints "untraced PID" (the child's pid) on stderr.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

int main(void) {
  long child = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
  if (child < 0) {
    perror("clone(CLONE_UNTRACED)");
    return 1;
  }
  if (child == 0) {
    struct timespec pause = {1, 500000000};
    nanosleep(&pause, NULL);
    pid_t g = fork();
    if (g == 0) {
      execl("/bin/true", "true", (char *)NULL);
      _exit(127);
    }
    int st = 0;
    waitpid(g, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
  }
  fprintf(stderr, "untraced %ld\n", child);
  int st = 0;
  waitpid((pid_t)child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
