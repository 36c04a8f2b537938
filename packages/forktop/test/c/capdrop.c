/*
 * capdrop — uid 0 with every capability dropped (capset: effective,
 * permitted and inheritable empty), its bounding set and no_new_privs left
 * as they were, so an execve as uid 0 would get the bounding set back.
 * Prints "ready PID" on stdout and idles until killed.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) < 0) {
    perror("capset");
    return 1;
  }
  printf("ready %d\n", getpid());
  fflush(stdout);
  for (;;) pause();
}
