/*
 * sleep — the entrypoint of the "live voids" benchmark: writes "R\n" on fd 1
 * (if it is open) to say it runs, then waits for a signal forever. Static,
 * so its void binds nothing but this file.
 */
#include <unistd.h>

int main(void) {
  if (write(1, "R\n", 2) < 0) {
    /* stdout not granted: fine */
  }
  for (;;) pause();
}
