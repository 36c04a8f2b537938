/*
 * A bounded fork bomb for forktop-tracer's tests: 485 short-lived
 * processes over 5 levels below the root (branching 4, 3, 3, 3, 3), made
 * with fork, with clone(CLONE_NEWUSER|CLONE_NEWPID) (works unprivileged),
 * and with vfork + exec of /bin/true; some processes start threads.
 *
 * Every process appends the truth about itself to MANIFEST (O_APPEND, one
 * write per line, so lines never mix), in host pids (the first NSpid of
 * /proc/self/status, which names the pid in /proc's namespace, the host's,
 * even from inside a new PID namespace):
 *
 *   proc PID PARENT CODE KIND LEVEL   KIND: root, fork, clone, vfork
 *   thread TID TGID
 *   exec PID PATH                     PID is about to exec PATH
 *
 * PARENT is the process that created it; CODE its exit status. Each
 * process waits for its children before it exits, so nothing outlives the
 * root. Usage: forkbomb MANIFEST
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEVELS 5
static const int branching[LEVELS] = {4, 3, 3, 3, 3};

static int manifest = -1;

static void record(const char *line) {
  size_t n = strlen(line);
  if (write(manifest, line, n) != (ssize_t)n) _exit(99);
}

/* The first NSpid of /proc/<self>/status: our pid in /proc's (the host's)
 * PID namespace. No stdio: also called in a vfork child. */
static int host_id(const char *status_path) {
  char buf[4096];
  int fd = open(status_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) _exit(98);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) _exit(98);
  buf[n] = 0;
  char *p = strstr(buf, "\nNSpid:");
  if (!p) _exit(98);
  return atoi(p + 7);
}

struct node {
  int level, index, parent, in_userns;
  const char *kind;
};

static int node_main(struct node *n);

static int clone_entry(void *arg) {
  return node_main(arg);
}

static void *thread_main(void *arg) {
  int tgid = *(int *)arg;
  char line[64];
  snprintf(line, sizeof line, "thread %d %d\n", host_id("/proc/thread-self/status"), tgid);
  record(line);
  return NULL;
}

static int code_of(int level, int index) {
  return level == 0 ? 0 : (level * 10 + index) % 256;
}

static int node_main(struct node *n) {
  int me = host_id("/proc/self/status");
  char line[128];
  snprintf(line, sizeof line, "proc %d %d %d %s %d\n", me, n->parent, code_of(n->level, n->index), n->kind, n->level);
  record(line);
  if (n->level == 3 && n->index % 3 == 1) {
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
      if (pthread_create(&th[i], NULL, thread_main, &me) != 0) _exit(97);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  }
  if (n->level < LEVELS) {
    int kids = branching[n->level];
    pid_t pids[8];
    for (int i = 0; i < kids; i++) {
      struct node child = {n->level + 1, i, me, n->in_userns, "fork"};
      pid_t pid;
      if (n->level == 4 && i == 2) {
        /* vfork + exec: the child records itself, then becomes /bin/true. */
        pid = vfork();
        if (pid == 0) {
          char l[128];
          int c = host_id("/proc/self/status");
          snprintf(l, sizeof l, "proc %d %d 0 vfork %d\nexec %d /bin/true\n", c, me, n->level + 1, c);
          record(l);
          execl("/bin/true", "true", (char *)NULL);
          _exit(96);
        }
      } else if (i == 0 && (n->level == 0 || n->level == 2) && !n->in_userns) {
        child.kind = "clone";
        child.in_userns = 1;
        size_t size = 256 * 1024;
        char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED) _exit(95);
        pid = clone(clone_entry, stack + size, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, &child);
        if (pid < 0) {
          fprintf(stderr, "forkbomb: clone(CLONE_NEWUSER|CLONE_NEWPID): %s\n", strerror(errno));
          _exit(94);
        }
      } else {
        pid = fork();
        if (pid == 0) _exit(node_main(&child));
      }
      if (pid < 0) {
        fprintf(stderr, "forkbomb: fork: %s\n", strerror(errno));
        _exit(93);
      }
      pids[i] = pid;
    }
    for (int i = 0; i < kids; i++) {
      int status;
      while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  return code_of(n->level, n->index);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: forkbomb MANIFEST\n");
    return 2;
  }
  manifest = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (manifest < 0) {
    fprintf(stderr, "forkbomb: open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct node root = {0, 0, (int)getppid(), 0, "root"};
  return node_main(&root);
}
