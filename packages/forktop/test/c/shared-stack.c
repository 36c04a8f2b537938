/*
 * A hostile target for forktop-tracer's shell hotkey: its stack is in a
 * MAP_SHARED mapping that a helper process of its own also maps, and the
 * helper rewrites, as fast as it can, every pair of consecutive fd numbers
 * (a socketpair's result) it finds in the 4 KiB below the stack pointer —
 * where a tracer that put the injected child's scratch memory under the
 * child's stack would put it — into an fd of a unix socket whose buffer is
 * full and which nobody reads. A tracer that used that memory would take
 * that socket for the child's and wait in sendmsg() for good.
 *
 * Prints "ready PID" once the helper watches, then waits in pause() on the
 * shared stack until killed; the helper dies with it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REGION (1 << 20)
static volatile unsigned char *region;

struct shared {
  volatile unsigned long rsp;
  volatile int watching;
};

static void wait_on_shared_stack(void) {
  unsigned long rsp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
  struct shared *sh = (struct shared *)region;
  sh->rsp = rsp;
  while (!sh->watching) {
  }
  char line[64];
  int n = snprintf(line, sizeof line, "ready %d\n", getpid());
  if (write(1, line, (size_t)n) != n) _exit(5);
  for (;;) syscall(SYS_pause);
}

int main(void) {
  region = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) return 1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  char junk[4096] = {0};
  while (write(sv[0], junk, sizeof junk) > 0) {
  }
  fcntl(sv[0], F_SETFL, 0);
  int full = sv[0];
  pid_t parent = getpid();
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    prctl(PR_SET_NAME, "helper");
    struct shared *sh = (struct shared *)region;
    while (!sh->rsp) {
    }
    unsigned long low = sh->rsp - 4096, start = (unsigned long)region + sizeof *sh;
    if (low < start) low = start;
    volatile int *p = (volatile int *)((low + 3) & ~3UL), *end = (volatile int *)(sh->rsp - 8);
    sh->watching = 1;
    for (;;)
      for (volatile int *q = p; q < end; q++)
        if (q[0] >= 3 && q[0] < 1024 && q[1] == q[0] + 1 && q[1] != full) q[1] = full;
  }
  prctl(PR_SET_NAME, "target");
  uintptr_t top = ((uintptr_t)region + REGION - 256) & ~15UL;
  __asm__ volatile("mov %0, %%rsp\n\tcall *%1" : : "r"(top), "r"(wait_on_shared_stack) : "memory");
  return 0;
}
