/*
 * forktop-tracer: the shell hotkey (docs/forktop-protocol.md, "The shell
 * hotkey").
 *
 * `shell PID` makes a process that is a fork of PID and turns it into
 * busybox's sh on a pty, so the shell has exactly PID's namespaces,
 * credentials, capabilities, no_new_privs, seccomp filter, cgroup and root:
 * nothing is entered from outside (no setns, which a seccomp'd or
 * no_new_privs process could not undo), the process makes its own child.
 *
 *   1. stop_threads: PTRACE_INTERRUPT every thread, so none can run the
 *      instruction bytes we borrow;
 *   2. prepare_regs: save the chosen thread's registers; if it was inside
 *      a restartable syscall, apply the restart the kernel would have
 *      applied (as CRIU's compel does): the registers we restore later say
 *      "about to execute that syscall again";
 *   3. write `syscall; int3` at its instruction pointer and run
 *      clone(CLONE_PARENT|SIGCHLD): the child is the target's sibling, so
 *      the target never gets a SIGCHLD or a child it did not make. A PID
 *      namespace's init may not use CLONE_PARENT (EINVAL): plain fork;
 *   4. restore the bytes and registers, resume every thread;
 *   5. in the child (auto-attached through PTRACE_O_TRACEFORK and held at
 *      its first stop) inject: socketpair; the tracer takes one end with
 *      pidfd_getfd and sends the pty slave and a sealed memfd of
 *      /bin/busybox with SCM_RIGHTS; recvmsg, setsid, ioctl(TIOCSCTTY),
 *      dup2 ×3 and execveat(memfd, "", ["sh","-i"], env, AT_EMPTY_PATH).
 * The child's memory is a copy of the target's made while the patch was in
 * place, so the same `syscall; int3` serves every injected call. Its
 * scratch memory (strings, msghdr) is a page the child maps first, never
 * the target's stack: the target chooses its stack, and one in a shared
 * mapping would let another of its processes rewrite what the tracer
 * reads back (an fd for pidfd_getfd, the exec path) while it is used.
 * Nothing read back is trusted anyway: the fd taken from the child must be
 * a unix stream socket, the send to it never blocks, and the shell is a
 * shell only if the child's executable is then the busybox memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fdpass.h" /* a copy of void-run's native/fdpass.h (forktop ships on its own), checked equal by void-run's test/unit/c-lib.test.ts */
#include "tracer.h"

#define BUSYBOX "/bin/busybox"

/* The kernel's internal restart codes (include/linux/errno.h). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define INJECT_TIMEOUT_MS 5000
#define SCRATCH_SIZE 1024

static struct {
  bool active;
  pid_t target, shell;
  int master;
  bool master_eof, tty_eof;
} S = {.master = -1};

bool shell_active(void) {
  return S.active;
}
int shell_master_fd(void) {
  return S.active && !S.master_eof ? S.master : -1;
}
int shell_tty_fd(void) {
  return S.active && !S.tty_eof ? T.tty_fd : -1;
}

/* ---- tracee memory ---- */

static int mem_write(pid_t tid, unsigned long addr, const void *data, size_t len) {
  const unsigned char *p = data;
  unsigned long start = addr & ~7UL, end = (addr + len + 7) & ~7UL;
  for (unsigned long a = start; a < end; a += 8) {
    unsigned long word;
    if (a < addr || a + 8 > addr + len) {
      errno = 0;
      word = (unsigned long)ptrace(PTRACE_PEEKDATA, tid, a, 0);
      if (errno) return -1;
    }
    for (unsigned long i = 0; i < 8; i++)
      if (a + i >= addr && a + i < addr + len) ((unsigned char *)&word)[i] = p[a + i - addr];
    if (ptrace(PTRACE_POKEDATA, tid, a, word) < 0) return -1;
  }
  return 0;
}

static int mem_read(pid_t tid, unsigned long addr, void *data, size_t len) {
  unsigned char *p = data;
  unsigned long start = addr & ~7UL, end = (addr + len + 7) & ~7UL;
  for (unsigned long a = start; a < end; a += 8) {
    errno = 0;
    unsigned long word = (unsigned long)ptrace(PTRACE_PEEKDATA, tid, a, 0);
    if (errno) return -1;
    for (unsigned long i = 0; i < 8; i++)
      if (a + i >= addr && a + i < addr + len) p[a + i - addr] = ((unsigned char *)&word)[i];
  }
  return 0;
}

/* ---- stopping and resuming the target ---- */

struct stopped {
  pid_t tids[256];
  size_t n;
};

struct collect_ctx {
  pid_t tgid;
  struct stopped *s;
};

static void collect_threads(struct task *t, void *arg) {
  struct collect_ctx *c = arg;
  if (t->tgid == c->tgid && t->state != TASK_PENDING && c->s->n < 256) c->s->tids[c->s->n++] = t->tid;
}

static bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Brings every thread of PID to a PTRACE_EVENT_STOP (PTRACE_INTERRUPT).
 * Stops that come first (a signal to deliver, a fork event) go through the
 * normal state machine, which resumes the thread; the interrupt's trap
 * stays pending and comes next. A thread that dies on the way is dropped.
 * -1 if a thread is in a group-stop (the process was stopped by SIGSTOP;
 * running our syscall would resume it). */
static int stop_threads(pid_t pid, struct stopped *s, bool *group_stopped) {
  s->n = 0;
  *group_stopped = false;
  struct collect_ctx c = {pid, s};
  task_each(collect_threads, &c);
  for (size_t i = 0; i < s->n; i++) {
    struct task *t = task_find(s->tids[i]);
    if (t && t->state == TASK_RUNNING && !t->held && ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH) return -1;
  }
  size_t kept = 0;
  for (size_t i = 0; i < s->n; i++) {
    pid_t tid = s->tids[i];
    for (;;) {
      struct task *t = task_find(tid);
      if (!t) break;
      if (t->held) {
        s->tids[kept++] = tid;
        break;
      }
      int status;
      if (wait_tid(tid, &status, INJECT_TIMEOUT_MS) < 0) {
        /* Leave it to the loop; it is not ours to run code in. */
        s->n = kept;
        return -1;
      }
      if (WIFSTOPPED(status) && ((unsigned)status >> 16) == PTRACE_EVENT_STOP && t->state != TASK_PENDING) {
        t->state = TASK_RUNNING; /* a new thread's first stop counts too */
        t->held = true;
        if (is_stop_signal(WSTOPSIG(status))) {
          t->group_stopped = true;
          *group_stopped = true;
        }
        s->tids[kept++] = tid;
        break;
      }
      handle_status(tid, status);
    }
  }
  s->n = kept;
  return 0;
}

/* Lets every stopped thread run again (PTRACE_LISTEN for a group-stop). */
static void resume_threads(struct stopped *s) {
  for (size_t i = 0; i < s->n; i++) {
    struct task *t = task_find(s->tids[i]);
    if (!t || !t->held) continue;
    t->held = false;
    if (t->group_stopped)
      ptrace(PTRACE_LISTEN, t->tid, 0, 0);
    else
      ptrace(PTRACE_CONT, t->tid, 0, 0);
  }
}

/* ---- injecting one syscall ---- */

struct injection {
  pid_t tid;
  unsigned long addr;           /* where `syscall; int3` is */
  struct user_regs_struct base; /* registers to start from */
  int deferred_sig;             /* a signal that arrived meanwhile */
  pid_t new_child;              /* set by a fork event during the call */
  bool exec_done;               /* execveat succeeded: stopped at PTRACE_EVENT_EXEC */
  int exec_status;
  bool gone; /* the tracee died */
};

/* Runs one system call in a stopped tracee and returns its result (a
 * negative errno on failure). orig_rax = -1 tells the kernel we are not
 * inside a syscall, so it applies no restart logic to our registers. The
 * call ends at the int3 (SIGTRAP with rip just past it); other stops on
 * the way are dealt with: a fork event records the child, a signal is
 * deferred (re-sent after the injection), PTRACE_EVENT_EXEC means execveat
 * worked. */
static long inject(struct injection *in, long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  struct user_regs_struct regs = in->base;
  regs.rip = in->addr;
  regs.rax = (unsigned long)nr;
  regs.orig_rax = (unsigned long)-1;
  regs.rdi = (unsigned long)a1;
  regs.rsi = (unsigned long)a2;
  regs.rdx = (unsigned long)a3;
  regs.r10 = (unsigned long)a4;
  regs.r8 = (unsigned long)a5;
  regs.r9 = (unsigned long)a6;
  if (ptrace(PTRACE_SETREGS, in->tid, 0, &regs) < 0) return -errno;
  if (ptrace(PTRACE_CONT, in->tid, 0, 0) < 0) return -errno;
  for (;;) {
    int status;
    if (wait_tid(in->tid, &status, INJECT_TIMEOUT_MS) < 0) return -errno;
    if (!WIFSTOPPED(status)) {
      in->gone = true;
      handle_status(in->tid, status);
      return -ESRCH;
    }
    int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      unsigned long msg;
      if (ptrace(PTRACE_GETEVENTMSG, in->tid, 0, &msg) == 0) {
        in->new_child = (pid_t)msg;
        T.inject_child = in->new_child;
        struct task *parent = task_find(in->tid);
        if (parent) on_new_task(parent, event, in->new_child);
      }
    } else if (event == PTRACE_EVENT_EXEC) {
      in->exec_done = true;
      in->exec_status = status;
      return 0;
    } else if (event == 0 && sig == SIGTRAP) {
      struct user_regs_struct now;
      if (ptrace(PTRACE_GETREGS, in->tid, 0, &now) < 0) return -errno;
      if (now.rip == in->addr + 3) return (long)now.rax;
      in->deferred_sig = SIGTRAP;
    } else if (event == 0) {
      if (in->deferred_sig && in->deferred_sig != sig) kill(in->tid, in->deferred_sig);
      in->deferred_sig = sig;
    }
    /* PTRACE_EVENT_STOP / EXIT / a deferred signal: continue without it. */
    if (ptrace(PTRACE_CONT, in->tid, 0, 0) < 0) return -errno;
  }
}

/* The registers as the kernel would leave them after restarting the
 * interrupted syscall (arch/x86/kernel/signal.c, no handler to run). */
static void apply_restart(struct user_regs_struct *r) {
  if ((long)r->orig_rax < 0) return;
  switch ((long)r->rax) {
    case -ERESTARTSYS:
    case -ERESTARTNOINTR:
    case -ERESTARTNOHAND:
      r->rax = r->orig_rax;
      r->rip -= 2;
      break;
    case -ERESTART_RESTARTBLOCK:
      r->rax = SYS_restart_syscall;
      r->rip -= 2;
      break;
    default:
      break;
  }
  r->orig_rax = (unsigned long)-1;
}

/* ---- what the shell gets ---- */

/* A sealed memfd holding /bin/busybox: executable from inside any mount
 * namespace (it is not a path), and nobody can change it once sealed. */
static int busybox_memfd(char *err, size_t errlen) {
  int src = open(BUSYBOX, O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    snprintf(err, errlen, "open %s: %s (install busybox-static)", BUSYBOX, strerrorname_np(errno));
    return -1;
  }
  struct stat st;
  int fd = memfd_create("busybox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0 || fstat(src, &st) < 0) {
    snprintf(err, errlen, "memfd_create: %s", strerrorname_np(errno));
    close(src);
    if (fd >= 0) close(fd);
    return -1;
  }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
    if (n <= 0) {
      snprintf(err, errlen, "sendfile %s to a memfd: %s", BUSYBOX, n < 0 ? strerrorname_np(errno) : "short file");
      close(src);
      close(fd);
      return -1;
    }
  }
  close(src);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    snprintf(err, errlen, "fcntl(F_ADD_SEALS) on the busybox memfd: %s", strerrorname_np(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* A new pty: the master stays with the tracer, the slave goes to the shell. */
static int open_pty(int rows, int cols, int *slave_out, char *err, size_t errlen) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    snprintf(err, errlen, "posix_openpt: %s", strerrorname_np(errno));
    return -1;
  }
  char name[128];
  if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0) {
    snprintf(err, errlen, "grantpt/unlockpt/ptsname: %s", strerrorname_np(errno));
    close(master);
    return -1;
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    snprintf(err, errlen, "open %s: %s", name, strerrorname_np(errno));
    close(master);
    return -1;
  }
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (rows > 0 && cols > 0) ioctl(master, TIOCSWINSZ, &ws);
  *slave_out = slave;
  return master;
}

/* ---- scratch memory in the child ---- */

/* Everything the child's injected calls point at, laid out in one block
 * in a page the child maps. */
struct scratch {
  unsigned long base;
  unsigned char img[SCRATCH_SIZE];
  size_t used;
  unsigned long sv, msg, iov, data, control, argv, envp, empty;
};

static unsigned long scratch_put(struct scratch *s, const void *p, size_t len, size_t align) {
  s->used = (s->used + align - 1) & ~(align - 1);
  unsigned long at = s->base + s->used;
  if (s->used + len > SCRATCH_SIZE) return 0;
  memcpy(s->img + s->used, p, len);
  s->used += len;
  return at;
}

static unsigned long scratch_str(struct scratch *s, const char *str) {
  return scratch_put(s, str, strlen(str) + 1, 1);
}

#define CONTROL_LEN CMSG_SPACE(2 * sizeof(int))

static int scratch_build(struct scratch *s, pid_t target) {
  memset(s->img, 0, sizeof s->img);
  s->used = 0;
  int sv[2] = {-1, -1};
  s->sv = scratch_put(s, sv, sizeof sv, 8);
  s->data = scratch_put(s, "", 1, 8);
  struct iovec iov = {(void *)s->data, 1};
  s->iov = scratch_put(s, &iov, sizeof iov, 8);
  unsigned char control[CONTROL_LEN];
  memset(control, 0, sizeof control);
  s->control = scratch_put(s, control, sizeof control, 8);
  struct msghdr msg = {.msg_iov = (void *)s->iov, .msg_iovlen = 1, .msg_control = (void *)s->control, .msg_controllen = CONTROL_LEN};
  s->msg = scratch_put(s, &msg, sizeof msg, 8);
  s->empty = scratch_str(s, "");
  unsigned long argv[3] = {scratch_str(s, "sh"), scratch_str(s, "-i"), 0};
  char term[128], ps1[96];
  const char *t = getenv("TERM");
  snprintf(term, sizeof term, "TERM=%s", t && *t && strlen(t) < 100 ? t : "xterm");
  snprintf(ps1, sizeof ps1, "PS1=[forktop %d] \\w # ", target);
  unsigned long envp[4] = {scratch_str(s, term), scratch_str(s, "HOME=/"), scratch_str(s, ps1), 0};
  s->argv = scratch_put(s, argv, sizeof argv, 8);
  s->envp = scratch_put(s, envp, sizeof envp, 8);
  return s->argv && s->envp && argv[0] && argv[1] && envp[0] && envp[1] && envp[2] ? 0 : -1;
}

/* ---- the steps ---- */

/* Runs the shell's setup inside the held child `in->tid`. On failure
 * returns -1 with the step in `err`; the caller kills the child. */
static int setup_child(struct injection *in, pid_t target, int slave, int memfd, char *err, size_t errlen) {
  long r;
  struct scratch s;
  /* A private page of the child's own: below the target's stack pointer
   * could be a page the target shares with its other processes. */
  r = inject(in, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r < 0 && r > -4096) {
    snprintf(err, errlen, "mmap in the child failed: %s", strerrorname_np((int)-r));
    return -1;
  }
  s.base = (unsigned long)r;
  if (scratch_build(&s, target) < 0 || mem_write(in->tid, s.base, s.img, s.used) < 0) {
    snprintf(err, errlen, "writing the child's memory: %s", strerrorname_np(errno));
    return -1;
  }

  r = inject(in, SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, (long)s.sv, 0, 0);
  if (r < 0) {
    snprintf(err, errlen, "socketpair in the child failed: %s", strerrorname_np((int)-r));
    return -1;
  }
  int sv[2];
  if (mem_read(in->tid, s.sv, sv, sizeof sv) < 0) {
    snprintf(err, errlen, "reading the child's socketpair: %s", strerrorname_np(errno));
    return -1;
  }

  /* Take the child's second end: pidfd_getfd needs PTRACE_MODE_ATTACH,
   * which the tracer has. */
  int pidfd = (int)syscall(SYS_pidfd_open, in->tid, 0);
  int ours = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, sv[1], 0);
  if (ours < 0) {
    snprintf(err, errlen, "%s %d: %s", pidfd < 0 ? "pidfd_open" : "pidfd_getfd", in->tid, strerrorname_np(errno));
    if (pidfd >= 0) close(pidfd);
    return -1;
  }
  close(pidfd);
  /* What the child says is its socket's other end is what the tracer sends
   * the pty and busybox on: a unix stream socket, or nothing; and the send
   * never waits (a socket whose buffer another process filled would hold
   * this one thread, and every tracee with it, for good). */
  int domain = 0, type = 0;
  socklen_t dl = sizeof domain, tl = sizeof type;
  if (getsockopt(ours, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0 || getsockopt(ours, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || domain != AF_UNIX ||
      type != SOCK_STREAM) {
    close(ours);
    snprintf(err, errlen, "the child's fd %d is not the socket it made (its memory changed under the tracer)", sv[1]);
    return -1;
  }
  char byte = 'F';
  int fds[2] = {slave, memfd};
  ssize_t sent = fdpass_send(ours, &byte, 1, fds, 2, MSG_DONTWAIT);
  int send_err = errno;
  close(ours);
  if (sent != 1) {
    snprintf(err, errlen, "sendmsg (SCM_RIGHTS) to the child: %s", strerrorname_np(send_err));
    return -1;
  }

  r = inject(in, SYS_recvmsg, sv[0], (long)s.msg, MSG_CMSG_CLOEXEC, 0, 0, 0);
  if (r != 1) {
    snprintf(err, errlen, "recvmsg in the child failed: %s", r < 0 ? strerrorname_np((int)-r) : "no data");
    return -1;
  }
  unsigned char control[CONTROL_LEN];
  struct cmsghdr hdr;
  int got[2];
  if (mem_read(in->tid, s.control, control, sizeof control) < 0) {
    snprintf(err, errlen, "reading the child's cmsg: %s", strerrorname_np(errno));
    return -1;
  }
  memcpy(&hdr, control, sizeof hdr);
  if (hdr.cmsg_level != SOL_SOCKET || hdr.cmsg_type != SCM_RIGHTS || hdr.cmsg_len != CMSG_LEN(2 * sizeof(int))) {
    snprintf(err, errlen, "recvmsg in the child: no SCM_RIGHTS (fd limit or LSM?)");
    return -1;
  }
  memcpy(got, control + CMSG_LEN(0), sizeof got);
  int cslave = got[0], cmemfd = got[1];

  r = inject(in, SYS_setsid, 0, 0, 0, 0, 0, 0);
  if (r < 0) {
    snprintf(err, errlen, "setsid in the child failed: %s", strerrorname_np((int)-r));
    return -1;
  }
  r = inject(in, SYS_ioctl, cslave, TIOCSCTTY, 0, 0, 0, 0);
  if (r < 0) {
    snprintf(err, errlen, "ioctl(TIOCSCTTY) in the child failed: %s", strerrorname_np((int)-r));
    return -1;
  }
  for (int fd = 0; fd < 3; fd++) {
    r = inject(in, SYS_dup2, cslave, fd, 0, 0, 0, 0);
    if (r < 0) {
      snprintf(err, errlen, "dup2 to %d in the child failed: %s", fd, strerrorname_np((int)-r));
      return -1;
    }
  }
  /* No privilege from the exec: a uid-0 process that dropped its
   * capabilities (capset) without no_new_privs or SECBIT_NOROOT would get
   * its whole bounding set back at execveat, in a shell "with exactly its
   * privileges" (outside attack 52). With no_new_privs the kernel keeps
   * what the exec gives within what the child holds; a target that had it
   * already (every void) is unchanged. */
  r = inject(in, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
  if (r < 0) {
    snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS) in the child failed: %s (without it, the shell's exec could add privileges)",
             strerrorname_np((int)-r));
    return -1;
  }
  r = inject(in, SYS_execveat, cmemfd, (long)s.empty, (long)s.argv, (long)s.envp, AT_EMPTY_PATH, 0);
  if (!in->exec_done) {
    snprintf(err, errlen, "execveat in the child failed: %s%s", r < 0 ? strerrorname_np((int)-r) : "no exec",
             r == -EPERM || r == -EACCES ? " (seccomp?)" : "");
    return -1;
  }
  /* The program it now runs must be the busybox the tracer sent, not one a
   * process of the target named by changing the path in its memory. */
  char exe[64];
  struct stat ran, sent_st;
  snprintf(exe, sizeof exe, "/proc/%d/exe", in->tid);
  if (stat(exe, &ran) < 0 || fstat(memfd, &sent_st) < 0 || ran.st_dev != sent_st.st_dev || ran.st_ino != sent_st.st_ino) {
    snprintf(err, errlen, "the child executed something other than the shell (its memory changed under the tracer)");
    return -1;
  }
  return 0;
}

/* Discards a half-made shell child: it is a fork of the target that never
 * ran a line of the target's code past the fork. */
static void kill_child(pid_t child) {
  struct task *t = task_find(child);
  if (t) t->held = false;
  kill(child, SIGKILL);
}

/* Whether the code at `addr` of `tid` lies in a private mapping (`p` in
 * /proc/TID/maps): 1 yes, 0 a shared one, -1 not found. The injected
 * `syscall; int3` is written where the target's instruction pointer is,
 * and the shell's child, a copy of the target, runs every injected call
 * from there. In a shared mapping (MAP_SHARED, writable by another
 * process of the target's), the write would reach that process, and the
 * child would keep sharing the page with it: it could put its own code
 * there and run the child's calls, choosing what the tracer's execveat
 * runs on the user's pty (outside attack 52). A private page is copied on
 * write, the child's copy its own. */
static int code_is_private(pid_t tid, unsigned long addr) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", tid);
  char *maps = read_small_file(path, NULL);
  if (!maps) return -1;
  int found = -1;
  for (char *line = maps; *line && found < 0;) {
    char *next = strchr(line, '\n');
    if (next) *next = 0;
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr + 3 <= hi) found = perms[3] == 'p';
    line = next ? next + 1 : line + strlen(line);
  }
  free(maps);
  return found;
}

void shell_open(pid_t pid, int rows, int cols) {
  char err[512];
  struct task *t = task_find(pid);
  if (!t || t->is_thread || t->state != TASK_RUNNING) {
    emit_error(pid, "shell %d: not a traced process", pid);
    return;
  }
  if (T.tty_fd < 0) {
    emit_error(pid, "shell %d: no terminal (the tracer was started without --tty-fd)", pid);
    return;
  }
  if (S.active) {
    emit_error(pid, "shell %d: a shell (pid %d) is already open", pid, S.shell);
    return;
  }
  if (proc_state(pid) == 'T') {
    emit_error(pid, "shell %d: the process is stopped (job control); continue it first", pid);
    return;
  }
  /* Everything that can fail without touching the target, first. */
  int memfd = busybox_memfd(err, sizeof err);
  if (memfd < 0) {
    emit_error(pid, "shell %d: %s", pid, err);
    return;
  }
  int slave;
  int master = open_pty(rows, cols, &slave, err, sizeof err);
  if (master < 0) {
    close(memfd);
    emit_error(pid, "shell %d: %s", pid, err);
    return;
  }

  /* 1. Stop every thread. */
  struct stopped st;
  bool group_stopped;
  if (stop_threads(pid, &st, &group_stopped) < 0 || group_stopped || st.n == 0) {
    int e = errno;
    resume_threads(&st);
    close(memfd), close(master), close(slave);
    if (group_stopped)
      emit_error(pid, "shell %d: the process is stopped (job control); continue it first", pid);
    else if (st.n == 0)
      emit_error(pid, "shell %d: the process is gone", pid);
    else
      emit_error(pid, "shell %d: stopping its threads (PTRACE_INTERRUPT): %s", pid, strerrorname_np(e));
    return;
  }
  pid_t tid = pid;
  bool leader_stopped = false;
  for (size_t i = 0; i < st.n; i++) leader_stopped |= st.tids[i] == pid;
  if (!leader_stopped) tid = st.tids[0];

  /* 2. Registers, with the interrupted syscall's restart applied. */
  struct injection in = {.tid = tid, .new_child = -1};
  struct user_regs_struct saved;
  unsigned long saved_word = 0;
  bool patched = false;
  long r = 0;
  const char *step = NULL;
  int step_err = 0;
  if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0) {
    step = "PTRACE_GETREGS", step_err = errno;
    goto restore;
  }
  apply_restart(&saved);
  in.base = saved;
  in.addr = saved.rip;
  /* Threads stopped: the mapping at rip cannot change under us but by
   * another process, which is what a private one rules out. */
  int private_code = code_is_private(tid, in.addr);
  if (private_code != 1) {
    resume_threads(&st);
    close(memfd), close(master), close(slave);
    emit_error(
        pid, "shell %d: %s", pid,
        private_code == 0
            ? "the process runs code from a shared mapping, which another process may write: a shell injected there could be taken over; refused"
            : "its code's mapping is not in /proc/PID/maps; refused");
    return;
  }

  /* 3. `syscall; int3` at rip, then clone. */
  errno = 0;
  saved_word = (unsigned long)ptrace(PTRACE_PEEKTEXT, tid, in.addr, 0);
  if (errno) {
    step = "PTRACE_PEEKTEXT at rip", step_err = errno;
    goto restore;
  }
  unsigned long word = (saved_word & ~0xffffffUL) | 0xcc050fUL; /* 0f 05 = syscall, cc = int3 */
  if (ptrace(PTRACE_POKETEXT, tid, in.addr, word) < 0) {
    step = "PTRACE_POKETEXT at rip", step_err = errno;
    goto restore;
  }
  patched = true;
  bool pidns_init = proc_inner_pid(pid) == 1;
  r = inject(&in, SYS_clone, pidns_init ? SIGCHLD : CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0);
  if (r == -EINVAL && !pidns_init && !in.gone) r = inject(&in, SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
  if (r < 0) step = "clone in the target", step_err = (int)-r;

restore:
  /* 4. Put everything back and let the target run on. */
  if (!in.gone) {
    if (patched && ptrace(PTRACE_POKETEXT, tid, in.addr, saved_word) < 0 && !step)
      step = "restoring the target's code (PTRACE_POKETEXT)", step_err = errno;
    if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0 && !step) step = "restoring the target's registers", step_err = errno;
    if (in.deferred_sig) {
      struct task *tt = task_find(tid);
      if (tt && tt->held) {
        tt->held = false;
        ptrace(PTRACE_CONT, tid, 0, (void *)(long)in.deferred_sig);
      }
    }
  }
  resume_threads(&st);
  if (step) {
    if (in.new_child > 0) kill_child(in.new_child);
    T.inject_child = -1;
    close(memfd), close(master), close(slave);
    emit_error(pid, "shell %d: %s failed: %s", pid, step, strerrorname_np(step_err));
    return;
  }

  /* 5. The child: held at its first stop (or about to be). Known only from
   * the fork event the kernel reported during the call (every tracee is
   * traced with PTRACE_O_TRACEFORK, so a real clone always makes one),
   * never from the call's return value: the target controls that (a
   * seccomp user-notification listener can make clone "return" any pid
   * without making a process), and a pid taken from it would have this
   * tracer wait for, SIGKILL or set up some other process. */
  if (in.new_child <= 0) {
    T.inject_child = -1;
    close(memfd), close(master), close(slave);
    emit_error(pid, "shell %d: clone returned %ld but made no child the kernel reported (does the target answer clone itself?)", pid, r);
    return;
  }
  pid_t child = in.new_child;
  struct task *ct = task_find(child);
  int status;
  while (ct && !ct->held) {
    if (wait_tid(child, &status, INJECT_TIMEOUT_MS) < 0) {
      step_err = errno;
      kill_child(child);
      T.inject_child = -1;
      close(memfd), close(master), close(slave);
      emit_error(pid, "shell %d: waiting for the new child %d: %s", pid, child, strerrorname_np(step_err));
      return;
    }
    handle_status(child, status);
    ct = task_find(child);
  }
  if (!ct) {
    T.inject_child = -1;
    close(memfd), close(master), close(slave);
    emit_error(pid, "shell %d: the new child %d died before it could be set up", pid, child);
    return;
  }
  struct injection cin = {.tid = child, .addr = in.addr, .new_child = -1};
  if (ptrace(PTRACE_GETREGS, child, 0, &cin.base) < 0) {
    snprintf(err, sizeof err, "PTRACE_GETREGS on the child: %s", strerrorname_np(errno));
  } else if (setup_child(&cin, pid, slave, memfd, err, sizeof err) == 0) {
    close(memfd);
    close(slave);
    T.inject_child = -1;
    S.active = true;
    S.target = pid;
    S.shell = child;
    S.master = master;
    S.master_eof = false;
    S.tty_eof = false;
    /* The exec stop goes through the state machine: `exec`, resume. */
    handle_status(child, cin.exec_status);
    struct buf b;
    event_begin(&b, "shell");
    buf_printf(&b, ",\"pid\":%d,\"shell\":%d", pid, child);
    event_end(&b);
    return;
  }
  close(memfd), close(master), close(slave);
  if (!cin.gone) kill_child(child);
  T.inject_child = -1;
  emit_error(pid, "shell %d: %s", pid, err);
}

void shell_resize(int rows, int cols) {
  if (!S.active) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(S.master, TIOCSWINSZ, &ws) < 0) emit_error(S.shell, "resize: ioctl(TIOCSWINSZ) on the pty master: %s", strerrorname_np(errno));
}

/* Writes everything, also to a terminal whose file description another
 * process (the UI's event loop) has made non-blocking: wait, not drop. */
static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pfd = {fd, POLLOUT, 0};
      poll(&pfd, 1, 1000);
      continue;
    }
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

void shell_pump_master(void) {
  char buf[16384];
  ssize_t n = read(S.master, buf, sizeof buf);
  if (n > 0)
    write_all(T.tty_fd, buf, (size_t)n);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    S.master_eof = true; /* EIO: no slave left */
}

void shell_pump_tty(void) {
  char buf[4096];
  ssize_t n = read(T.tty_fd, buf, sizeof buf);
  if (n > 0) {
    write_all(S.master, buf, (size_t)n);
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    /* The terminal is gone: hang up, as a closing terminal would. */
    S.tty_eof = true;
    kill(S.shell, SIGHUP);
  }
}

void shell_on_death(pid_t pid, int status) {
  if (!S.active || pid != S.shell) return;
  /* What the shell wrote last is still in the pty: pass it on. */
  int fl = fcntl(S.master, F_GETFL);
  fcntl(S.master, F_SETFL, fl | O_NONBLOCK);
  char buf[16384];
  ssize_t n;
  while (!S.master_eof && (n = read(S.master, buf, sizeof buf)) > 0) write_all(T.tty_fd, buf, (size_t)n);
  close(S.master);
  S.master = -1;
  S.active = false;
  struct buf b;
  event_begin(&b, "shell-exit");
  buf_printf(&b, ",\"shell\":%d", pid);
  if (WIFEXITED(status))
    buf_printf(&b, ",\"code\":%d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    buf_printf(&b, ",\"signal\":\"%s\"", signal_name(WTERMSIG(status)));
  event_end(&b);
}
