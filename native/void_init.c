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
 *     with void-init's own environment — the plan's variables, none unless
 *     granted (reporting a failed execve on the status pipe, not as a
 *     mysterious exit code);
 *   - forwards every signal it receives to the entrypoint (PID 1 ignores
 *     signals it has no handler for, so without this SIGTERM from the
 *     launcher would be lost);
 *   - is not dumpable, so the entrypoint cannot reach its fds or memory;
 *   - turns off same-page merging (KSM) the launcher may have passed on;
 *   - reaps orphans;
 *   - when the entrypoint exits, reports how on the status pipe and exits
 *     with the same code (128+signal for a signal). Its exit makes the
 *     kernel kill anything left in the void's PID namespace;
 *   - with PLAN_OPT_DEBUG (void run -d), stops the entrypoint at the first
 *     instruction of its program, after its execve (stop_after_exec), and
 *     reports "S <pid>" once it is stopped there;
 *   - for a void with Forward grants (FACTORY_FD >= 0), makes sockets in
 *     the void's own network namespace for the launcher's relay
 *     (src/orchestrator/forward.ts): the launcher cannot create a socket
 *     in another network namespace without setns, which an unprivileged
 *     launcher may not do. Each request is one SOCK_SEQPACKET packet,
 *     "U <port>" or "T <port>"; the answer is "S" carrying one socket
 *     (SCM_RIGHTS): UDP connected, or TCP connecting (non-blocking), to
 *     127.0.0.1:<port> in the void; or "E <errno>". Such a socket is
 *     nothing the entrypoint could not make itself: the relay's host-side
 *     sockets stay in the launcher;
 *   - in a prepared void (MESSAGE_FD >= 0: a void made for a trigger
 *     before its message arrived, src/orchestrator/prepared.ts), first
 *     waits for that one message: a single SOCK_SEQPACKET packet whose
 *     bytes are the entrypoint's whole argv (each string NUL-terminated)
 *     and whose SCM_RIGHTS fds (at most VOID_MESSAGE_MAX_FDS) go to the numbers
 *     from STATUS_FD up (VOID_FD_MESSAGE_ABOVE_STATUS), where the launcher numbered them in that argv. The
 *     socket is then closed, so a void serves exactly one message. End of
 *     file instead (the launcher no longer needs the void) exits 0 at once,
 *     reporting nothing.
 *
 * Usage (only ever by void_spawn.c):
 *   void-init STATUS_FD OPTIONS FACTORY_FD MESSAGE_FD PATH ARGV0 [ARGS...]
 * (FACTORY_FD is -1 without Forward grants, MESSAGE_FD -1 unless prepared;
 * a prepared void's ARGV0 [ARGS...] are ignored.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The option bits, the message limits, PLAN_INIT_ARGS and the fd layout
 * are the contract's (generated from src/native/contract.ts). */
#include "contract.h"
#include "fdpass.h"

static int status_fd = -1;

static void report(char kind, long value) {
  char buf[32];
  int i = 0, n = 0;
  char digits[24];
  unsigned long u = value < 0 ? (unsigned long)-value : (unsigned long)value;
  do digits[n++] = (char)('0' + u % 10);
  while ((u /= 10) && n < 22);
  buf[i++] = kind;
  buf[i++] = '\t';
  if (value < 0) buf[i++] = '-';
  while (n > 0) buf[i++] = digits[--n];
  buf[i++] = '\n';
  if (write(status_fd, buf, (size_t)i) < 0) {
    /* The launcher is gone; nobody to tell. */
  }
}

/* "E <errno> <call> <detail>" in one write. */
static void report_failure(int err, const char *call, const char *detail) {
  char buf[4200];
  size_t len = 0;
  char num[16];
  int n = 0;
  unsigned u = (unsigned)err;
  do num[n++] = (char)('0' + u % 10);
  while ((u /= 10) && n < 15);
  buf[len++] = 'E';
  buf[len++] = '\t';
  while (n > 0) buf[len++] = num[--n];
  buf[len++] = '\t';
  while (*call) buf[len++] = *call++;
  buf[len++] = ' ';
  while (*detail && len < sizeof buf - 2) buf[len++] = *detail++;
  buf[len++] = '\n';
  if (write(status_fd, buf, len) < 0) {
    /* See report(). */
  }
}

/* "E <errno> execve <path>". */
static void report_exec_failure(int err, const char *path) {
  report_failure(err, "execve", path);
}

/* The entrypoint has ended with wait status `status`: report how and
 * return the exit code void-init ends with; -1 if it has not ended. */
static int report_end(int status) {
  if (WIFEXITED(status)) {
    report('X', WEXITSTATUS(status));
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    report('K', WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return -1;
}

/* void run -d: the entrypoint asked to be traced by void-init
 * (PTRACE_TRACEME) before its execve, so a successful execve stops it
 * with SIGTRAP before the first instruction of the new program: the ELF
 * interpreter's entry, or the program's own for a static one, with the
 * program mapped and /proc/PID/exe naming it. Detaching with SIGSTOP lets
 * it go untraced, straight into a group stop at that instruction, where
 * any debugger the kernel lets ptrace it can attach (gdb -p) and SIGCONT
 * resumes it. void-init stays not dumpable; a tracer that may only detach
 * (the debug filter refuses every other request) reads nothing of its
 * tracee.
 *
 * The group stop of an untraced child is reported to its parent with
 * WUNTRACED, so "S" is written once the entrypoint *is* stopped there,
 * and the launcher's line is true when it is printed. Signals are blocked
 * meanwhile: any that arrives is forwarded by the loop afterwards.
 *
 * Returns -1 with the entrypoint stopped (or running on: see below), else
 * the exit code once it has ended first — its execve failed ("E" reported,
 * then exit 127) or it was killed — which is reported here. A stop for
 * another signal while still traced means a signal reached it between
 * fork and execve (only from outside the void: nothing inside runs yet):
 * it is detached with that signal, as if it had never been traced, and
 * runs on without the debug stop. */
static int stop_after_exec(pid_t child) {
  int traced = 1;
  for (;;) {
    int status;
    if (waitpid(child, &status, WUNTRACED) < 0) {
      if (errno == EINTR) continue;
      report_failure(errno, "waitpid", "(the entrypoint, for -d)");
      return -1;
    }
    int code = report_end(status);
    if (code >= 0) return code;
    if (!WIFSTOPPED(status)) continue;
    if (!traced) {
      report('S', (long)child);
      return -1;
    }
    int sig = WSTOPSIG(status);
    if (ptrace(PTRACE_DETACH, child, NULL, (void *)(long)(sig == SIGTRAP ? SIGSTOP : sig)) < 0 && errno != ESRCH) {
      report_failure(errno, "ptrace", "PTRACE_DETACH (the entrypoint, for -d)");
      return -1;
    }
    if (sig != SIGTRAP) return -1;
    traced = 0; /* ESRCH: killed meanwhile, which the next wait reports */
  }
}

/* One factory request: make the socket, answer with it or with an errno.
 * Returns 0, or -1 once the launcher has closed its end. */
static int serve_factory(int factory) {
  char req[32];
  ssize_t n;
  do n = recv(factory, req, sizeof req - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && errno != EAGAIN)) return -1;
  if (n < 0) return 0;
  req[n] = 0;
  char *end = NULL;
  long port = (n >= 3 && req[1] == ' ') ? strtol(req + 2, &end, 10) : -1;
  int type = req[0] == 'U' ? SOCK_DGRAM : req[0] == 'T' ? SOCK_STREAM : -1;
  int err = 0, sock = -1;
  if (type < 0 || end == NULL || *end != 0 || port < 1 || port > 65535) {
    err = EPROTO;
  } else {
    sock = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_LOOPBACK)}};
    if (sock < 0)
      err = errno;
    else if (connect(sock, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS)
      err = errno;
  }
  char reply[24];
  size_t len = 0;
  if (err == 0) {
    reply[len++] = 'S';
  } else {
    char digits[12];
    int k = 0;
    unsigned u = (unsigned)err;
    do digits[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < 11);
    reply[len++] = 'E';
    reply[len++] = ' ';
    while (k > 0) reply[len++] = digits[--k];
  }
  ssize_t sent = fdpass_send(factory, reply, len, &sock, err == 0 ? 1 : 0, 0);
  if (sock >= 0) close(sock);
  return sent < 0 && errno != EAGAIN ? -1 : 0;
}

/* Moves fd to the lowest free number >= floor, close-on-exec. */
static int move_above(int fd, int floor) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  close(fd);
  return moved;
}

static char message[VOID_MESSAGE_MAX_BYTES];
static char *message_argv[VOID_MESSAGE_MAX_ARGS + 1];

/* A prepared void: wait for the one message it was made for (see the top
 * of this file) and put its fds in place. Returns the entrypoint's argv;
 * exits on end of file (0) or on a malformed or failed receive (125, with
 * an "E" report). *factory may move. */
static char **await_message(int msgfd, int *factory) {
  int fds[VOID_MESSAGE_MAX_FDS];
  size_t got = 0;
  int flags = 0;
  ssize_t n = fdpass_recv(msgfd, message, sizeof message, fds, VOID_MESSAGE_MAX_FDS, &got, 0, &flags);
  int nfds = (int)got;
  if (n == 0) _exit(0); /* discarded: nothing ran, nothing to report */
  if (n < 0) {
    report_exec_failure(errno, "(recvmsg on the message socket)");
    _exit(125);
  }
  /* argv: NUL-terminated strings filling the packet exactly, at least one. */
  int argc = 0;
  size_t at = 0;
  while (at < (size_t)n && argc < VOID_MESSAGE_MAX_ARGS) {
    char *end = memchr(message + at, 0, (size_t)n - at);
    if (end == NULL) break;
    message_argv[argc++] = message + at;
    at = (size_t)(end - message) + 1;
  }
  message_argv[argc] = NULL;
  if ((flags & (MSG_TRUNC | MSG_CTRUNC)) || at != (size_t)n || argc == 0) {
    report_exec_failure(EPROTO, "(malformed message on the message socket)");
    _exit(125);
  }
  /* The message's fds go to STATUS_FD, STATUS_FD + 1, ...: move the status
   * pipe, the factory and every received fd above that range first, so
   * that no dup3 below replaces an fd still needed. */
  int first = status_fd + VOID_FD_MESSAGE_ABOVE_STATUS;
  int floor = first + nfds;
  close(msgfd); /* one message per void */
  status_fd = move_above(status_fd, floor);
  if (*factory >= 0) *factory = move_above(*factory, floor);
  for (int i = 0; i < nfds; i++) fds[i] = move_above(fds[i], floor);
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0 || dup3(fds[i], first + i, 0) < 0) {
      report_exec_failure(errno, "(placing the message's fds)");
      _exit(125);
    }
    close(fds[i]);
  }
  if (status_fd < 0) _exit(125);
  return message_argv;
}

int main(int argc, char **argv) {
  if (argc < PLAN_INIT_ARGS || (argc < PLAN_INIT_ARGS + 1 && atoi(argv[4]) < 0)) return 125;
  status_fd = atoi(argv[1]);
  unsigned options = (unsigned)strtoul(argv[2], NULL, 10);
  int factory = atoi(argv[3]);
  int msgfd = atoi(argv[4]);
  const char *path = argv[5];
  char **child_argv = argv + PLAN_INIT_ARGS;
  /* The environment the child gave void-init: exactly the plan's (Env and
   * PassEnv grants), empty without them. */
  extern char **environ;
  char **envp = environ;

  /* Out of the entrypoint's reach: a process that is not dumpable can be
   * ptraced, read through /proc/1/mem or /proc/1/fd, or have its fds taken
   * with pidfd_getfd only by a holder of CAP_SYS_PTRACE over the void's
   * user namespace, which nothing inside the void has (the default filter
   * also refuses ptrace, pidfd_getfd and process_vm_*). Its status pipe and
   * factory socket are the launcher's channels; the entrypoint, which
   * execve resets to dumpable, holds neither. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return 125;

  /* No page of the void's offered to the kernel's same-page merging: a
   * launcher that has it on (systemd's MemoryKSM=yes sets it, and fork and
   * execve keep it) would hand it to every void, whose filter then refuses
   * only turning it on (the memory-merge rule). Linux < 6.4: EINVAL, nothing
   * to clear. The entrypoint inherits the cleared state. */
  if (prctl(68 /* PR_GET_MEMORY_MERGE */, 0, 0, 0, 0) > 0 && prctl(67 /* PR_SET_MEMORY_MERGE */, 0, 0, 0, 0) < 0) return 125;

  /* The entrypoint must inherit neither the status pipe nor the factory. */
  fcntl(status_fd, F_SETFD, FD_CLOEXEC);
  if (factory >= 0) fcntl(factory, F_SETFD, FD_CLOEXEC);
  if (msgfd >= 0) {
    fcntl(msgfd, F_SETFD, FD_CLOEXEC);
    child_argv = await_message(msgfd, &factory);
  }

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
    /* -d: traced by void-init from here, so that the execve stops
     * (stop_after_exec). The debug filter allows this request. */
    if ((options & PLAN_OPT_DEBUG) && ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0) {
      report_failure(errno, "ptrace", "PTRACE_TRACEME (for -d)");
      _exit(127);
    }
    execve(path, child_argv, envp);
    report_exec_failure(errno, path);
    _exit(127);
  }
  if (options & PLAN_OPT_DEBUG) {
    int code = stop_after_exec(child);
    if (code >= 0) return code;
  }

  /* Signals arrive on a signalfd so that one poll(2) also serves the
   * factory; without a factory, sigwaitinfo as before. */
  int sigfd = factory >= 0 ? signalfd(-1, &all, SFD_CLOEXEC) : -1;
  if (factory >= 0 && sigfd < 0) {
    close(factory);
    factory = -1;
  }
  for (;;) {
    int sig;
    if (sigfd >= 0) {
      struct pollfd pfd[2] = {{sigfd, POLLIN, 0}, {factory, POLLIN, 0}};
      if (poll(pfd, factory >= 0 ? 2 : 1, -1) < 0) continue;
      if (factory >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && serve_factory(factory) < 0) {
        close(factory);
        factory = -1;
      }
      if (!(pfd[0].revents & POLLIN)) continue;
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) != (ssize_t)sizeof si) continue;
      sig = (int)si.ssi_signo;
    } else {
      siginfo_t info;
      sig = sigwaitinfo(&all, &info);
      if (sig < 0) continue;
    }
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      /* Without WUNTRACED a stop is reported only for a process void-init
       * traces: one that asked to be (PTRACE_TRACEME, where the filter
       * allows it) has stopped. void-init is no debugger: it lets it go
       * with the signal it stopped for, as if it had never been traced. */
      if (WIFSTOPPED(status)) {
        ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)WSTOPSIG(status));
        continue;
      }
      if (pid != child) continue; /* an orphan: reaped, nothing to report */
      int code = report_end(status);
      if (code >= 0) return code;
    }
  }
}
