/*
 * glibc_compat.h — keeps the addon loadable by an old glibc: the baseline
 * the prebuilt binaries promise, GLIBC_2.17 on x86_64 and on aarch64 (the
 * first glibc for aarch64). docs/architecture.md, "Native binaries and the
 * glibc baseline", says why; test/unit/glibc-baseline.test.ts checks the
 * built files with objdump.
 *
 * A library linked against glibc takes the newest version of each symbol
 * it calls, and the dynamic loader refuses to load it into a process whose
 * glibc lacks that version. Built with glibc >= 2.34 the addon would need:
 *   - pthread_create, pthread_attr_setstacksize @GLIBC_2.34, pthread_sigmask
 *     @GLIBC_2.32: glibc 2.34 merged libpthread into libc and versioned its
 *     functions anew. The first versions are still exported (as compat
 *     symbols), and bound here with .symver: GLIBC_2.2.5 is x86_64's first,
 *     GLIBC_2.17 aarch64's. On a glibc older than 2.34 the loader finds them
 *     in libpthread.so.0 (Node itself needs that library there, and the
 *     build links it too when it exists: scripts/build-native.sh);
 *   - stat and fstat @GLIBC_2.33: before 2.33 they were inline wrappers of
 *     __xstat and __fxstat (on aarch64 there was no `stat` symbol at all),
 *     so void_stat and void_fstat below make the system calls themselves;
 *   - strerrorname_np @GLIBC_2.32: native/errno_name.h replaces it.
 * Include this header before anything that calls these functions. Only
 * glibc needs it: with another C library it is empty.
 */
#ifndef VOID_GLIBC_COMPAT_H
#define VOID_GLIBC_COMPAT_H

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* VOID_STATIC: a static program (build/void-run-fast) takes every symbol
 * from the libc.a it links, which has no versions to pick. */
#if defined(__GLIBC__) && !defined(VOID_STATIC)
#if defined(__x86_64__)
#define VOID_GLIBC_FIRST "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define VOID_GLIBC_FIRST "GLIBC_2.17"
#endif
#endif

#ifdef VOID_GLIBC_FIRST
__asm__(".symver pthread_create, pthread_create@" VOID_GLIBC_FIRST);
__asm__(".symver pthread_attr_setstacksize, pthread_attr_setstacksize@" VOID_GLIBC_FIRST);
__asm__(".symver pthread_sigmask, pthread_sigmask@" VOID_GLIBC_FIRST);
#endif

/* stat(2) of `path` as a system call: newfstatat, which x86_64 and aarch64
 * both have (aarch64 has no plain stat). On these architectures glibc's
 * struct stat is the kernel's. Returns 0, or -1 with errno set. */
static inline int void_stat(const char *path, struct stat *st) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

/* fstat(2) as a system call. Returns 0, or -1 with errno set. */
static inline int void_fstat(int fd, struct stat *st) {
  return (int)syscall(SYS_fstat, fd, st);
}

#endif
