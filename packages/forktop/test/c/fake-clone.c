/*
 * fake-clone VICTIM — a target that answers clone(2) itself: a seccomp
 * user-notification filter sends exactly the clone forktop's shell key
 * injects (CLONE_PARENT|SIGCHLD, or SIGCHLD) to a supervisor child, which
 * answers VICTIM without making any process. A tracer that took the pid
 * from clone's return value would wait for, kill or set up VICTIM. Prints
 * "ready" (with its pid) once the supervisor holds the listener, then
 * waits for end of input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pass_fd(int sock, int fd) {
  char c = 'x';
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &fd, sizeof fd);
  return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int take_fd(int sock) {
  char c;
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(sock, &m, 0) != 1 || CMSG_FIRSTHDR(&m) == NULL) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  return fd;
}

int main(int argc, char **argv) {
  long victim = argc > 1 ? atol(argv[1]) : 1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 2;
  pid_t supervisor = fork();
  if (supervisor < 0) return 2;
  if (supervisor == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int listener = take_fd(sv[1]);
    if (listener < 0 || write(sv[1], "k", 1) != 1) return 2; /* got it: the target may say it is ready */
    for (;;) {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;
      memset(&req, 0, sizeof req);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        if (errno == EINTR) continue;
        return 0;
      }
      memset(&resp, 0, sizeof resp);
      resp.id = req.id;
      resp.val = victim;
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  }
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_PARENT | SIGCHLD, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIGCHLD, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 2;
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  char ack;
  if (listener < 0 || pass_fd(sv[0], listener) < 0 || read(sv[0], &ack, 1) != 1) return 2;
  close(listener);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
