/*
 * ns_cost — the floor for the cost of namespaces: clone a child with no new
 * namespace, each namespace alone, all of them (and all but the network),
 * let it exit at once, reap it. Like void_spawn.c the clone is
 * CLONE_VM|CLONE_VFORK (the posix_spawn way), so the parent resumes when
 * the child is gone; clone3 carries CLONE_NEWTIME, which clone() cannot.
 * (With CLONE_VM the kernel creates the time namespace but leaves the child
 * in the old one until an execve: the creation cost is what is measured.)
 *
 *   ns_cost [-n ITERATIONS] [-r ROUNDS] [-o ROTATION] [-s SETTLE_MS]
 *
 * For each round, every configuration runs ITERATIONS clones back to back
 * (the order rotates by round, so none always follows the network one);
 * one JSON line per batch on stdout:
 *   {"config":"net","round":0,"n":40,"mean_ns":..,"median_ns":..,"cpu_ns":..,
 *    "window_ns":..,"busy_ns":..}
 * busy_ns is the machine's busy CPU time (every core, from cpuidle) over
 * the batch plus SETTLE_MS after it (window_ns), cpu_ns the same per clone:
 * a network namespace is torn down later by a kernel worker (cleanup_net),
 * which wall time alone misses. Each round starts with an "idle" line, a
 * window with no clone, so that the reader can subtract the machine's
 * background load. (-1 where the kernel exposes no cpuidle residency.)
 *
 * Needs root (or CAP_SYS_ADMIN): only new namespaces are made, nothing is
 * mounted anywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clone_exit.h"
#include "linux_compat.h"

struct config {
  const char *name;
  uint64_t flags;
};

#define ALL_NS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)

static const struct config configs[] = {
    {"none", 0},
    {"user", CLONE_NEWUSER},
    {"mnt", CLONE_NEWNS},
    {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
    {"all", ALL_NS},
    {"all-but-net", ALL_NS & ~(uint64_t)CLONE_NEWNET},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

#define STACK_SIZE (64 * 1024)
static char *stack;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Idle time of every core in ns, from cpuidle's per-state residency (µs
 * resolution); -1 where the kernel has no cpuidle. */
static long long idle_ns(void) {
  long long total = 0;
  int found = 0;
  for (int cpu = 0; cpu < 1024; cpu++) {
    int any = 0;
    for (int st = 0; st < 16; st++) {
      char path[96], text[32];
      snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/time", cpu, st);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      ssize_t n = read(fd, text, sizeof text - 1);
      close(fd);
      if (n <= 0) break;
      text[n] = 0;
      total += atoll(text) * 1000;
      any = found = 1;
    }
    if (!any && cpu > 0) break;
  }
  return found ? total : -1;
}

/* Busy CPU time of the whole machine (every core, kernel workers included)
 * between two readings: elapsed x cores - idle. */
struct cpu_mark {
  int64_t wall;
  long long idle;
};

static struct cpu_mark cpu_mark(void) {
  struct cpu_mark m = {now_ns(), idle_ns()};
  return m;
}

static double busy_ns(struct cpu_mark a, struct cpu_mark b, long ncpu) {
  if (a.idle < 0 || b.idle < 0) return -1;
  double busy = (double)(b.wall - a.wall) * (double)ncpu - (double)(b.idle - a.idle);
  return busy < 0 ? 0 : busy;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int iterations = 40, rounds = 1, rotation = 0, settle_ms = 25;
  int opt;
  while ((opt = getopt(argc, argv, "n:r:o:s:")) != -1) {
    switch (opt) {
      case 'n':
        iterations = atoi(optarg);
        break;
      case 'r':
        rounds = atoi(optarg);
        break;
      case 'o':
        rotation = atoi(optarg);
        break;
      case 's':
        settle_ms = atoi(optarg);
        break;
      default:
        fprintf(stderr, "usage: ns_cost [-n ITERATIONS] [-r ROUNDS] [-o ROTATION] [-s SETTLE_MS]\n");
        return 2;
    }
  }
  if (iterations < 1 || rounds < 1) return 2;
  void *mem = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) return 1;
  stack = mem;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t *samples = calloc((size_t)iterations, sizeof *samples);
  if (samples == NULL) return 1;
  for (int r = 0; r < rounds; r++) {
    for (size_t k = 0; k < NCONFIGS; k++) {
      const struct config *c = &configs[(k + (size_t)rotation + (size_t)r) % NCONFIGS];
      if (k == 0) {
        /* The machine's background load, for the CPU figures: a window as
         * long as a batch plus its settle time, with no clone in it. */
        struct cpu_mark i0 = cpu_mark();
        struct timespec idle = {0, (long)(settle_ms + 5) * 1000000L};
        nanosleep(&idle, NULL);
        struct cpu_mark i1 = cpu_mark();
        printf("{\"config\":\"idle\",\"round\":%d,\"n\":0,\"window_ns\":%lld,\"busy_ns\":%.0f}\n", r + rotation, (long long)(i1.wall - i0.wall),
               busy_ns(i0, i1, ncpu));
      }
      struct cpu_mark m0 = cpu_mark();
      int64_t total = 0;
      for (int i = 0; i < iterations; i++) {
        int64_t t0 = now_ns();
        long pid = void_clone_exit(c->flags, stack, STACK_SIZE);
        if (pid < 0) {
          fprintf(stderr, "ns_cost: clone3 %s: %s\n", c->name, strerror((int)-pid));
          return 1;
        }
        int status;
        if (waitpid((pid_t)pid, &status, __WALL) < 0) {
          perror("ns_cost: waitpid");
          return 1;
        }
        samples[i] = now_ns() - t0;
        total += samples[i];
      }
      struct timespec settle = {settle_ms / 1000, (long)(settle_ms % 1000) * 1000000L};
      nanosleep(&settle, NULL);
      struct cpu_mark m1 = cpu_mark();
      qsort(samples, (size_t)iterations, sizeof *samples, cmp64);
      double cpu = busy_ns(m0, m1, ncpu) / iterations;
      printf("{\"config\":\"%s\",\"round\":%d,\"n\":%d,\"mean_ns\":%lld,\"median_ns\":%lld,\"cpu_ns\":%.0f,\"window_ns\":%lld,\"busy_ns\":%.0f}\n",
             c->name, r + rotation, iterations, (long long)(total / iterations), (long long)samples[iterations / 2], cpu,
             (long long)(m1.wall - m0.wall), busy_ns(m0, m1, ncpu));
      fflush(stdout);
    }
  }
  return 0;
}
