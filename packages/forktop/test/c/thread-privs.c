/*
 * thread-privs — a second thread sets no_new_privs for itself alone
 * (prctl acts on the calling thread), so the process's threads hold
 * different privileges from its main thread's; it stays 1 s, then the
 * process exits 0. Prints "thread TID" on stderr.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *worker(void *arg) {
  (void)arg;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) perror("prctl");
  fprintf(stderr, "thread %ld\n", (long)syscall(SYS_gettid));
  struct timespec wait = {1, 0};
  nanosleep(&wait, NULL);
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 1;
  pthread_join(t, NULL);
  return 0;
}
