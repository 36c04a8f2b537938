/*
 * true — exits 0, after writing "T <CLOCK_MONOTONIC ns>\n" on fd 1 as its
 * very first action. The benchmarks use that line to time "spawn to the
 * first instruction of the entrypoint": the launcher reads CLOCK_MONOTONIC
 * before spawning and compares. A void's time namespace has zero offsets
 * (void never writes /proc/PID/timens_offsets), so the clock inside is
 * the launcher's; bench/run.ts checks that on every run.
 *
 * On x86_64 it is built -static -nostdlib: _start below is the first
 * instruction, with no libc start-up before the clock is read. Elsewhere
 * (or with -DTRUE_LIBC) it is an ordinary main(), timed after libc's
 * start-up; bench/c/build.sh also builds that form dynamically.
 */
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(TRUE_LIBC)
#include <sys/syscall.h>

static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

static size_t format(char *out, long long v) {
  char tmp[24];
  size_t n = 0, len = 0;
  do tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) > 0 && n < sizeof tmp);
  out[len++] = 'T';
  out[len++] = ' ';
  while (n > 0) out[len++] = tmp[--n];
  out[len++] = '\n';
  return len;
}

__attribute__((used)) void true_main(void) {
  struct timespec ts;
  sys3(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
  char buf[32];
  size_t len = format(buf, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  sys3(SYS_write, 1, (long)buf, (long)len);
  sys3(SYS_exit_group, 0, 0, 0);
  for (;;) {
  }
}

__asm__(".text\n.globl _start\n_start:\n  xor %rbp, %rbp\n  and $-16, %rsp\n  call true_main\n  hlt\n");
#else
#include <stdio.h>

int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char buf[32];
  int len = snprintf(buf, sizeof buf, "T %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  if (len > 0 && write(1, buf, (size_t)len) < 0) {
    /* nobody listening: still true */
  }
  return 0;
}
#endif
