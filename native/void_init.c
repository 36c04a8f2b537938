/*
 * void-init — PID 1 of every void.
 *
 * The launcher's child has built the void and dropped every privilege; it
 * then executes this small static program (from an fd: it is not visible
 * inside the void). void-init:
 *
 *   - is the first process to run in the void's time namespace (an
 *     unshare(CLONE_NEWTIME) takes effect at execve, and a CLONE_VM child
 *     cannot enter one itself), and its children inherit it;
 *   - forks the entrypoint, which becomes PID 2 and execs the real program
 *     with an empty environment (reporting a failed execve on the status
 *     pipe, not as a mysterious exit code);
 *   - forwards every signal it receives to the entrypoint (PID 1 ignores
 *     signals it has no handler for, so without this SIGTERM from the
 *     launcher would be lost);
 *   - reaps orphans;
 *   - when the entrypoint exits, reports how on the status pipe and exits
 *     with the same code (128+signal for a signal). Its exit makes the
 *     kernel kill anything left in the void's PID namespace.
 *
 * Usage (only ever by void_spawn.c):
 *   void-init STATUS_FD OPTIONS PATH ARGV0 [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OPT_DEBUG (1u << 2) /* PLAN_OPT_DEBUG in plan.h */

static int status_fd = -1;

static void report(char kind, long value) {
  char buf[32];
  int i = 0, n = 0;
  char digits[24];
  unsigned long u = value < 0 ? (unsigned long)-value : (unsigned long)value;
  do digits[n++] = (char)('0' + u % 10); while ((u /= 10) && n < 22);
  buf[i++] = kind;
  buf[i++] = '\t';
  if (value < 0) buf[i++] = '-';
  while (n > 0) buf[i++] = digits[--n];
  buf[i++] = '\n';
  if (write(status_fd, buf, (size_t)i) < 0) {
    /* The launcher is gone; nobody to tell. */
  }
}

/* "E <errno> execve <path>" in one write. */
static void report_exec_failure(int err, const char *path) {
  char buf[4200];
  size_t len = 0;
  char num[16];
  int n = 0;
  unsigned u = (unsigned)err;
  do num[n++] = (char)('0' + u % 10); while ((u /= 10) && n < 15);
  buf[len++] = 'E';
  buf[len++] = '\t';
  while (n > 0) buf[len++] = num[--n];
  const char *what = "\texecve ";
  while (*what) buf[len++] = *what++;
  while (*path && len < sizeof buf - 2) buf[len++] = *path++;
  buf[len++] = '\n';
  if (write(status_fd, buf, len) < 0) {
    /* See report(). */
  }
}

int main(int argc, char **argv) {
  if (argc < 5) return 125;
  status_fd = atoi(argv[1]);
  unsigned options = (unsigned)strtoul(argv[2], NULL, 10);
  const char *path = argv[3];
  char **child_argv = argv + 4;
  char *envp[] = {NULL};

  /* The entrypoint must not inherit the status pipe. */
  fcntl(status_fd, F_SETFD, FD_CLOEXEC);

  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &all, NULL);

  pid_t child = fork();
  if (child < 0) {
    report_exec_failure(errno, "(fork failed)");
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (options & OPT_DEBUG) {
      report('S', (long)getpid());
      raise(SIGSTOP);
    }
    execve(path, child_argv, envp);
    report_exec_failure(errno, path);
    _exit(127);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue; /* an orphan: reaped, nothing to report */
      if (WIFEXITED(status)) {
        report('X', WEXITSTATUS(status));
        return WEXITSTATUS(status);
      }
      if (WIFSIGNALED(status)) {
        report('K', WTERMSIG(status));
        return 128 + WTERMSIG(status);
      }
    }
  }
}
