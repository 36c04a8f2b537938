/*
 * shared-code — a process that idles in code on a shared mapping
 * (MAP_SHARED | MAP_ANONYMOUS, executable), which a child it forks shares:
 * the shell hotkey must refuse it, as the tracer's `syscall; int3` written
 * there, and every call injected into the shell's child from there, would
 * be within reach of that child (x86_64). Prints "ready PID" on stdout and
 * idles until killed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  /* mov eax, 34 (pause); syscall; jmp back to the mov. */
  static const unsigned char idle[] = {0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7};
  unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  memcpy(code, idle, sizeof idle);
  if (fork() == 0) {
    /* The process that shares the page (it only waits here). */
    for (;;) pause();
  }
  printf("ready %d\n", getpid());
  fflush(stdout);
  ((void (*)(void))code)();
  return 0;
}
