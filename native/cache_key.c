/*
 * cache_key.c — the plan cache's key in the user's persistent keyring
 * (cache_key.h says why). Used by the addon (src/cli/plan-cache.ts reads
 * it through cacheKey()) and the native front end (native/front.c). The
 * C library has no wrappers for these calls (libkeyutils has): raw
 * system calls.
 */
#define _GNU_SOURCE
#include "cache_key.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* keyutils.h's name for every permission of a possessor (linux/keyctl.h
 * has none). */
#define KEY_POS_ALL 0x3f000000u

/* The key's description in the persistent keyring. */
#define KEY_DESCRIPTION "void:plan-cache:v1"

int void_cache_key(uint8_t key[VOID_CACHE_KEY_BYTES], int create, const char **syscall_name) {
  /* The persistent keyring of this uid in this user namespace, linked into
   * this process's keyring (created on demand; not inherited by children). */
  long ring = syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING);
  if (ring < 0) {
    *syscall_name = "keyctl KEYCTL_GET_PERSISTENT";
    return -errno;
  }
  long id = syscall(SYS_keyctl, KEYCTL_SEARCH, ring, "user", KEY_DESCRIPTION, 0);
  if (id < 0 && errno == ENOKEY && create) {
    uint8_t fresh[VOID_CACHE_KEY_BYTES];
    size_t got = 0;
    while (got < sizeof fresh) {
      /* getrandom(2) as a system call: glibc's wrapper is newer than the
       * addon's glibc baseline (2.25 > 2.17). */
      long n = syscall(SYS_getrandom, fresh + got, sizeof fresh - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *syscall_name = "getrandom";
        return -errno;
      }
      got += (size_t)n;
    }
    /* Two launchers racing both add: the second replaces the first's
     * payload, and the entries written under the first no longer verify
     * (they are planned again once). */
    id = syscall(SYS_add_key, "user", KEY_DESCRIPTION, fresh, sizeof fresh, ring);
    memset(fresh, 0, sizeof fresh);
    if (id < 0) {
      *syscall_name = "add_key";
      return -errno;
    }
    /* A possessor may do anything; the uid, group and others nothing (by
     * default the uid may view it: its description, never its payload). */
    if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, (unsigned long)KEY_POS_ALL) < 0) {
      *syscall_name = "keyctl KEYCTL_SETPERM";
      return -errno;
    }
  }
  if (id < 0) {
    *syscall_name = "keyctl KEYCTL_SEARCH";
    return -errno;
  }
  long n = syscall(SYS_keyctl, KEYCTL_READ, id, key, VOID_CACHE_KEY_BYTES);
  if (n < 0) {
    *syscall_name = "keyctl KEYCTL_READ";
    return -errno;
  }
  if (n != VOID_CACHE_KEY_BYTES) {
    *syscall_name = "keyctl KEYCTL_READ";
    return -EBADMSG; /* not a key of ours */
  }
  return 0;
}
