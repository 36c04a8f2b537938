/*
 * A process whose second thread calls execve: the kernel gives the
 * exec'ing thread the leader's pid, and forktop-tracer must report the
 * exec with former_pid (the thread's old tid) and one exit for the process.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

static void *run(void *arg) {
  (void)arg;
  execl("/bin/true", "true", (char *)NULL);
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, run, NULL) != 0) return 1;
  for (;;) pause();
}
