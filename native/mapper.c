/*
 * mapper.c — the launcher's side of a root launcher's id maps, shared by
 * the Node-API addon (void_addon.c) and the native front end (front.c).
 *
 * A root launcher's voids map an unprivileged host id of their own
 * (src/plan/plan.ts voidUid), which only the parent user namespace may
 * write (PLAN_OPT_MAPS_BY_LAUNCHER). The child cannot wait for the thread
 * that cloned it (CLONE_VFORK suspends it until the child execs), so
 * another thread of the launcher runs void_mapper: the child sends the
 * address of a struct map_request (plan.h) on the pipe whose read end
 * that thread reads, and waits for the answer byte. The child's host pid
 * comes from its pidfd, which clone stored in the launcher's memory and
 * fd table before the child ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"

static int write_proc(pid_t pid, const char *file, const char *content) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t len = strlen(content);
  int err = write(fd, content, len) == (ssize_t)len ? 0 : errno;
  close(fd);
  return err;
}

/* 0, or the errno of the step that failed. */
static int write_maps(const struct map_request *req) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", *req->pidfd);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return EIO;
  buf[n] = 0;
  const char *at = strstr(buf, "\nPid:\t");
  pid_t pid = at ? (pid_t)atoi(at + 6) : 0;
  if (pid <= 0) return ESRCH;
  /* setgroups stays "allow" (only an unprivileged writer of gid_map must
   * deny it): the child clears the supplementary groups it still has from
   * the launcher once the maps are written (void_spawn.c setup_id_maps). */
  int err = write_proc(pid, "uid_map", req->uid_map);
  if (err == 0) err = write_proc(pid, "gid_map", req->gid_map);
  return err;
}

void *void_mapper(void *rd_fd) {
  int rd = (int)(intptr_t)rd_fd;
  for (;;) {
    const struct map_request *req;
    ssize_t n = read(rd, &req, sizeof req);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return NULL;                /* every writer is gone */
    if (n != (ssize_t)sizeof req) continue; /* writes of a pointer are atomic: never partial */
    int err = write_maps(req);
    unsigned char answer = (unsigned char)(err > 255 ? EIO : err);
    if (write(req->ack_wr, &answer, 1) < 0) {
      /* the child reads it; if it is gone, nobody waits */
    }
  }
}
