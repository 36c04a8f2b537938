/*
 * cache_key.h — the secret that authenticates the plan cache's entries
 * (src/cli/plan-cache.ts writes them with an HMAC-SHA256 under it,
 * native/front.c checks it before running one; docs/security.md, "The
 * plan cache").
 *
 * Why a secret, and why in the kernel: the cache directory is a directory
 * of the user's, and a void may be granted a writable bind that covers it
 * (a writable $HOME, ~/.cache...); a void of an unprivileged launcher
 * writes files as the user. Ownership and modes therefore cannot tell the
 * launcher's entries from a void's, and a checksum anyone can recompute
 * authenticates nothing. The key is 32 random bytes in the user's
 * persistent keyring (keyrings(7), KEYCTL_GET_PERSISTENT), which lives in
 * the kernel, per user *and per user namespace*: a void, in a user
 * namespace of its own, gets another persistent keyring, and the key's
 * permissions grant nothing to anyone but a possessor (this process, which
 * links the persistent keyring into its process keyring, which no child
 * inherits). No file, bind or fd can reach it. The keyring outlives the
 * user's processes for /proc/sys/kernel/keys/persistent_keyring_expiry
 * seconds (3 days by default), after which the next run makes a new key
 * and plans in Node once.
 */
#ifndef VOID_CACHE_KEY_H
#define VOID_CACHE_KEY_H

#include <stdint.h>

#define VOID_CACHE_KEY_BYTES 32

/* The key, made if there is none (create != 0). 0, or a negative errno
 * (-ENOKEY: none and !create; -ENOSYS/-EPERM/-EACCES: keyrings unavailable
 * here, e.g. a container's seccomp profile), with *syscall naming the
 * call that failed. */
int void_cache_key(uint8_t key[VOID_CACHE_KEY_BYTES], int create, const char **syscall);

#endif
