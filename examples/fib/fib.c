/*
 * fib — the smallest void application: one entrypoint that may only write
 * to stdout. It computes Fibonacci numbers for the argument it is given
 * ("Trailing") and prints them.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fib N\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  if (n < 0 || n > 93) {
    fprintf(stderr, "fib: N must be between 0 and 93\n");
    return 2;
  }
  unsigned long long a = 0, b = 1;
  for (long i = 0; i < n; i++) {
    unsigned long long t = a + b;
    a = b;
    b = t;
  }
  printf("fib(%ld) = %llu\n", n, a);
  return 0;
}
