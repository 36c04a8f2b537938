/*
 * forktop-tracer — follows every process of a program with ptrace and
 * reports it as JSON lines (docs/forktop-protocol.md).
 *
 * One thread owns every ptrace stop. The loop never blocks in waitpid: it
 * polls a signalfd (SIGCHLD, SIGINT, SIGTERM, SIGHUP), the control socket,
 * the terminal and the shell's pty master, and drains waitpid(-1, __WALL |
 * WNOHANG) whenever SIGCHLD arrives. Tracees are seized with PTRACE_SEIZE
 * and PTRACE_O_TRACEFORK|VFORK|CLONE|EXEC|EXIT, without syscall tracing:
 * between two events they run at full speed.
 *
 * The ptrace state machine follows strace's:
 *   - a new child's first stop may arrive before or after its creator's
 *     PTRACE_EVENT_FORK/VFORK/CLONE. A stop of an unknown tid is such a
 *     child: it is held (TASK_PENDING) until the creator's event names it,
 *     so a creation line always comes after its creator's and the child
 *     cannot run (and fork) before it is announced;
 *   - PTRACE_EVENT_STOP with SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU is a group-stop:
 *     PTRACE_LISTEN keeps it stopped without hiding it from SIGCONT; with
 *     SIGTRAP it is our PTRACE_INTERRUPT or a new child's first stop;
 *   - any other stop is a signal-delivery stop: the signal is re-injected;
 *   - PTRACE_EVENT_EXEC from a non-leader thread says which tid took over
 *     the process (PTRACE_GETEVENTMSG): that tid is gone without a death
 *     report, the leader's tid continues;
 *   - PTRACE_EVENT_EXIT is where the last snapshot is taken (fds and mm are
 *     still there), but `exit` is emitted on the death report, which has
 *     the status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "tracer.h"

#define PTRACE_OPTIONS (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* A child whose creator's event has not arrived after this long is
 * announced from /proc, if its likely creator (its PPid or Tgid then) is
 * no longer a live tracee: the creator was killed before its event stop.
 * A live creator's event is surely coming (it may just not have been
 * scheduled yet), except for CLONE_PARENT children, whose PPid is not
 * their creator: those wait the longer limit. */
#define PENDING_TIMEOUT_MS 1000
#define PENDING_LIMIT_MS 10000
/* How long detaching may wait for every tracee to stop. */
#define DETACH_TIMEOUT_MS 5000

struct tracer T = {.control_fd = -1, .out_fd = 1, .tty_fd = -1, .rescan_ms = 500, .inject_child = -1};

static const char *progname = "forktop-tracer";
static bool control_eof; /* the UI went away: detach and exit */
static int exit_status;  /* exit status once everything is over */
static double detach_deadline;

/* ---- time and events ---- */

double now_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void event_begin(struct buf *b, const char *name) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  buf_init(b);
  buf_printf(b, "{\"event\":\"%s\",\"time\":%lld.%03ld", name, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, (ts.tv_nsec / 1000) % 1000);
}

/* One write per line, so lines never interleave. A closed control socket
 * (EPIPE; SIGPIPE is ignored) means forktop is gone: detach. */
void event_end(struct buf *b) {
  buf_str(b, "}\n");
  size_t off = 0;
  while (off < b->len && !control_eof) {
    ssize_t n = write(T.out_fd, b->data + off, b->len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      control_eof = true; /* nobody reads our events any more */
      break;
    }
    off += (size_t)n;
  }
  buf_free(b);
}

void emit_error(pid_t pid, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct buf b;
  event_begin(&b, "error");
  buf_str(&b, ",\"message\":");
  json_str(&b, msg);
  if (pid > 0) buf_printf(&b, ",\"pid\":%d", pid);
  event_end(&b);
}

const char *signal_name(int sig) {
  static char name[32];
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev)
    snprintf(name, sizeof name, "SIG%s", abbrev);
  else
    snprintf(name, sizeof name, "SIG%d", sig);
  return name;
}

/* ",\"code\":N" or ",\"signal\":\"SIGX\",\"core\":B" for a wait status. */
static void json_wait_status(struct buf *b, int status) {
  if (WIFEXITED(status)) {
    buf_printf(b, ",\"code\":%d,\"core\":false", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    buf_printf(b, ",\"signal\":\"%s\",\"core\":%s", signal_name(WTERMSIG(status)), WCOREDUMP(status) ? "true" : "false");
  }
}

/* ---- the task table: every traced tid ---- */

#define TASK_BUCKETS 4096
static struct task *buckets[TASK_BUCKETS];
static size_t task_count;

struct task *task_find(pid_t tid) {
  for (struct task *t = buckets[(unsigned)tid % TASK_BUCKETS]; t; t = t->next)
    if (t->tid == tid) return t;
  return NULL;
}

static struct task *task_add(pid_t tid) {
  struct task *t = calloc(1, sizeof *t);
  if (!t) {
    fprintf(stderr, "%s: out of memory\n", progname);
    _exit(1);
  }
  t->tid = t->tgid = tid;
  t->state = TASK_RUNNING;
  unsigned h = (unsigned)tid % TASK_BUCKETS;
  t->next = buckets[h];
  buckets[h] = t;
  task_count++;
  return t;
}

static void task_remove(struct task *t) {
  struct task **p = &buckets[(unsigned)t->tid % TASK_BUCKETS];
  while (*p && *p != t) p = &(*p)->next;
  if (*p) *p = t->next;
  free(t->snapshot);
  free(t->exit_snapshot);
  free(t);
  task_count--;
}

void task_each(void (*fn)(struct task *, void *), void *arg) {
  for (size_t i = 0; i < TASK_BUCKETS; i++)
    for (struct task *t = buckets[i]; t; t = t->next) fn(t, arg);
}

/* A snapshot of the task's process, stored as its last emitted one. */
static const char *take_snapshot(struct task *t, struct buf *event) {
  struct buf s;
  buf_init(&s);
  snapshot_json(&s, t->tid);
  free(t->snapshot);
  t->snapshot = s.data;
  buf_str(event, ",\"snapshot\":");
  buf_str(event, t->snapshot);
  return t->snapshot;
}

/* `spawn` / `attach` / `fork` / `vfork` / `clone`. */
static void announce_process(struct task *t, const char *event, pid_t ppid) {
  struct buf b;
  event_begin(&b, event);
  buf_printf(&b, ",\"pid\":%d,\"ppid\":%d", t->tid, ppid);
  take_snapshot(t, &b);
  event_end(&b);
}

static void announce_thread(struct task *t) {
  struct buf b;
  event_begin(&b, "thread");
  buf_printf(&b, ",\"pid\":%d,\"tgid\":%d", t->tid, t->tgid);
  event_end(&b);
}

static void emit_exit(struct task *t, int status) {
  struct buf b;
  event_begin(&b, "exit");
  buf_printf(&b, ",\"pid\":%d", t->tid);
  json_wait_status(&b, status);
  if (t->is_thread) {
    buf_str(&b, ",\"thread\":true");
  } else if (t->exit_snapshot && snapshot_differs(t->exit_snapshot, t->snapshot)) {
    buf_str(&b, ",\"snapshot\":");
    buf_str(&b, t->exit_snapshot);
  }
  event_end(&b);
}

/* ---- resuming ---- */

/* Lets a stopped tracee go: PTRACE_CONT with the signal to deliver, or,
 * while detaching, PTRACE_DETACH with it (the tracee then runs on as if it
 * had never been traced). ESRCH means it was killed meanwhile; its death
 * report is still to come. */
static void resume(struct task *t, int sig) {
  t->held = false;
  if (T.detaching) {
    if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
      emit_error(t->tid, "ptrace(PTRACE_DETACH, %d): %s", t->tid, strerrorname_np(errno));
    task_remove(t);
    return;
  }
  if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
    emit_error(t->tid, "ptrace(PTRACE_CONT, %d): %s", t->tid, strerrorname_np(errno));
}

/* A group-stop: PTRACE_LISTEN leaves the tracee stopped (as its job
 * control asked) while letting SIGCONT and our PTRACE_INTERRUPT reach it. */
static void listen_stopped(struct task *t) {
  t->group_stopped = true;
  if (T.detaching) {
    resume(t, 0);
    return;
  }
  if (ptrace(PTRACE_LISTEN, t->tid, 0, 0) < 0 && errno != ESRCH) emit_error(t->tid, "ptrace(PTRACE_LISTEN, %d): %s", t->tid, strerrorname_np(errno));
}

/* ---- the state machine ---- */

#define NS_FLAGS \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x80 /* CLONE_NEWTIME */)

/* The clone flags of the syscall the creator is stopped in (its event
 * stop is inside it), or 0 for fork/vfork or when unreadable. */
static unsigned long creator_clone_flags(pid_t tid) {
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0) return 0;
  if (regs.orig_rax == SYS_clone) return regs.rdi;
  if (regs.orig_rax == SYS_clone3) {
    errno = 0;
    long flags = ptrace(PTRACE_PEEKDATA, tid, regs.rdi, 0); /* struct clone_args starts with flags */
    return errno ? 0 : (unsigned long)flags;
  }
  return 0;
}

/* The kernel reports fork() and clone(SIGCHLD) alike (PTRACE_EVENT_FORK);
 * glibc's fork() is a clone() too. The protocol's `clone` is a process
 * made with namespace flags (even with CLONE_VFORK, as void's launcher
 * does: the new namespaces are what matters) or with a non-SIGCHLD exit
 * signal (PTRACE_EVENT_CLONE). */
static const char *creation_event_name(int event, pid_t creator) {
  if (event == PTRACE_EVENT_CLONE) return "clone";
  if (creator_clone_flags(creator) & NS_FLAGS) return "clone";
  return event == PTRACE_EVENT_VFORK ? "vfork" : "fork";
}

void on_new_task(struct task *parent, int event, pid_t child) {
  struct task *c = task_find(child);
  bool was_pending = c && c->state == TASK_PENDING;
  if (!c) {
    c = task_add(child);
    c->state = TASK_EXPECT;
  } else if (!was_pending) {
    return; /* already announced (attach scan raced with the event) */
  }
  /* A thread shares its creator's tgid; only CLONE_THREAD makes one, and
   * only PTRACE_EVENT_CLONE reports it. The new task exists (at least as
   * an unreaped zombie) until we wait for it, so /proc/TID answers. */
  pid_t tgid = child;
  if (event == PTRACE_EVENT_CLONE) {
    pid_t ppid;
    if (proc_status_ids(child, &tgid, &ppid) < 0) tgid = was_pending && c->guess_tgid > 0 ? c->guess_tgid : child;
  }
  c->is_thread = tgid != child;
  c->tgid = c->is_thread ? parent->tgid : child;
  if (c->is_thread)
    announce_thread(c);
  else
    announce_process(c, creation_event_name(event, parent->tid), parent->tgid);
  if (!was_pending) return;
  if (c->pending_dead) {
    emit_exit(c, c->pending_status);
    shell_on_death(c->tid, c->pending_status);
    task_remove(c);
    return;
  }
  c->state = TASK_RUNNING;
  if (child == T.inject_child) return; /* stays held for the injection */
  resume(c, 0);
}

/* A new task's creator never reported it (killed before its event stop):
 * announce it from what /proc said when it first stopped. */
static void announce_orphan_pending(struct task *c) {
  struct task *leader = c->guess_tgid > 0 && c->guess_tgid != c->tid ? task_find(c->guess_tgid) : NULL;
  if (leader && !leader->is_thread && leader->state != TASK_PENDING) {
    c->is_thread = true;
    c->tgid = leader->tid;
    announce_thread(c);
  } else {
    c->is_thread = false;
    c->tgid = c->tid;
    announce_process(c, "fork", c->guess_ppid > 0 ? c->guess_ppid : 0);
  }
  if (c->pending_dead) {
    emit_exit(c, c->pending_status);
    task_remove(c);
    return;
  }
  c->state = TASK_RUNNING;
  if (c->tid != T.inject_child) resume(c, 0);
}

static void handle_exec(struct task *t) {
  unsigned long msg = 0;
  pid_t former = t->tid;
  if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) == 0) former = (pid_t)msg;
  if (former != t->tid) {
    /* A non-leader thread exec'd: it now has the leader's tid, and its
     * own tid vanished without a death report. Tell the UI the thread is
     * gone, so it disappears like any other thread. */
    struct task *ft = task_find(former);
    if (ft) {
      struct buf b;
      event_begin(&b, "exit");
      buf_printf(&b, ",\"pid\":%d,\"code\":0,\"core\":false,\"thread\":true", former);
      event_end(&b);
      task_remove(ft);
    }
  }
  t->is_thread = false;
  t->tgid = t->tid;
  t->state = TASK_RUNNING;
  free(t->exit_snapshot);
  t->exit_snapshot = NULL;
  struct buf b;
  event_begin(&b, "exec");
  buf_printf(&b, ",\"pid\":%d", t->tid);
  take_snapshot(t, &b);
  if (former != t->tid) buf_printf(&b, ",\"former_pid\":%d", former);
  event_end(&b);
}

void handle_status(pid_t pid, int status) {
  struct task *t = task_find(pid);
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    if (!t || t->state == TASK_PENDING) {
      /* Killed before its creator's event stop: keep it pending, so its
       * creation line still comes first. */
      if (!t) {
        t = task_add(pid);
        t->state = TASK_PENDING;
        t->pending_since = now_mono_ms();
        t->guess_tgid = t->guess_ppid = -1;
      }
      t->held = false;
      t->pending_dead = true;
      t->pending_status = status;
      return;
    }
    emit_exit(t, status);
    task_remove(t);
    shell_on_death(pid, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  int sig = WSTOPSIG(status);
  int event = (unsigned)status >> 16;

  if (!t) {
    /* An auto-attached child stopping before its creator's event. */
    t = task_add(pid);
    t->state = TASK_PENDING;
    t->held = true;
    t->pending_since = now_mono_ms();
    if (proc_status_ids(pid, &t->guess_tgid, &t->guess_ppid) < 0) t->guess_tgid = t->guess_ppid = -1;
    return;
  }
  if (t->state == TASK_PENDING) return; /* cannot happen: it is held */
  if (t->state == TASK_EXPECT) {
    /* The announced child's first stop. */
    t->state = TASK_RUNNING;
    if (pid == T.inject_child) {
      t->held = true;
      return;
    }
    resume(t, 0);
    return;
  }
  t->group_stopped = false;
  unsigned long msg = 0;
  switch (event) {
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) < 0) {
        emit_error(pid, "ptrace(PTRACE_GETEVENTMSG, %d): %s", pid, strerrorname_np(errno));
      } else {
        on_new_task(t, event, (pid_t)msg);
      }
      resume(t, 0);
      return;
    case PTRACE_EVENT_EXEC:
      handle_exec(t);
      resume(t, 0);
      return;
    case PTRACE_EVENT_EXIT:
      if (!t->is_thread) {
        struct buf s;
        buf_init(&s);
        snapshot_json(&s, pid);
        free(t->exit_snapshot);
        t->exit_snapshot = s.data;
      }
      /* Even while detaching: let it die traced, so its exit is reported. */
      if (ptrace(PTRACE_CONT, pid, 0, 0) < 0 && errno != ESRCH) emit_error(pid, "ptrace(PTRACE_CONT, %d): %s", pid, strerrorname_np(errno));
      return;
    case PTRACE_EVENT_STOP:
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
        listen_stopped(t);
      else
        resume(t, 0); /* PTRACE_INTERRUPT, or a notification */
      return;
    case 0:
      resume(t, sig); /* signal-delivery stop: deliver it */
      return;
    default:
      resume(t, 0);
      return;
  }
}

int wait_tid(pid_t tid, int *status, int timeout_ms) {
  double deadline = now_mono_ms() + timeout_ms;
  for (;;) {
    pid_t r = waitpid(tid, status, __WALL | WNOHANG);
    if (r == tid) return 0;
    if (r < 0 && errno != EINTR) return -1;
    if (now_mono_ms() > deadline) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* Drains every status waitpid has. */
static void reap_all(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
    if (pid <= 0) return;
    handle_status(pid, status);
  }
}

struct pending_scan {
  struct task *list[64];
  size_t n;
  double now;
};

static bool creator_alive(const struct task *t) {
  pid_t creator = t->guess_tgid > 0 && t->guess_tgid != t->tid ? t->guess_tgid : t->guess_ppid;
  if (creator <= 0 || !task_find(creator)) return false;
  char st = proc_state(creator);
  return st != 0 && st != 'Z' && st != 'X';
}

static void collect_stale_pending(struct task *t, void *arg) {
  struct pending_scan *s = arg;
  if (t->state != TASK_PENDING || s->n >= 64) return;
  double age = s->now - t->pending_since;
  if ((age > PENDING_TIMEOUT_MS && !creator_alive(t)) || age > PENDING_LIMIT_MS) s->list[s->n++] = t;
}

static void check_pending(void) {
  struct pending_scan s = {.n = 0, .now = now_mono_ms()};
  task_each(collect_stale_pending, &s);
  for (size_t i = 0; i < s.n; i++) announce_orphan_pending(s.list[i]);
}

static void count_pending(struct task *t, void *arg) {
  if (t->state == TASK_PENDING) (*(size_t *)arg)++;
}

/* ---- rescans ---- */

static void rescan_one(struct task *t, void *arg) {
  (void)arg;
  if (t->is_thread || t->state == TASK_PENDING || !t->snapshot) return;
  struct buf s;
  buf_init(&s);
  snapshot_json(&s, t->tid);
  /* A zombie's /proc says nothing useful any more; its exit is coming. */
  if (strstr(s.data, ",\"state\":\"Z\"") || strstr(s.data, ",\"state\":null") || !snapshot_differs(s.data, t->snapshot)) {
    buf_free(&s);
    return;
  }
  free(t->snapshot);
  t->snapshot = s.data;
  struct buf b;
  event_begin(&b, "change");
  buf_printf(&b, ",\"pid\":%d,\"snapshot\":", t->tid);
  buf_str(&b, t->snapshot);
  event_end(&b);
}

static void attach_descendants(bool escaped);

static void rescan_ptrace(void) {
  task_each(rescan_one, NULL);
  if (!T.detaching) attach_descendants(true);
}

/* ---- detaching ---- */

static void interrupt_for_detach(struct task *t, void *arg) {
  (void)arg;
  if (t->state != TASK_RUNNING) return; /* EXPECT/PENDING: their stop is coming or held */
  if (t->held) return;
  if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
    emit_error(t->tid, "ptrace(PTRACE_INTERRUPT, %d): %s", t->tid, strerrorname_np(errno));
}

struct held_list {
  struct task *list[256];
  size_t n;
};

static void collect_held(struct task *t, void *arg) {
  struct held_list *h = arg;
  if (t->held && t->state == TASK_RUNNING && h->n < 256) h->list[h->n++] = t;
}

/* Detaching cleanly: every tracee is interrupted and detached at its next
 * stop (handle_status → resume), delivering any signal it was stopped
 * with; new children found on the way are detached at their first stop. A
 * tracee is never detached while running (PTRACE_DETACH needs a stop). */
static void start_detach(void) {
  if (T.detaching) return;
  T.detaching = true;
  detach_deadline = now_mono_ms() + DETACH_TIMEOUT_MS;
  struct held_list h = {.n = 0};
  task_each(collect_held, &h);
  for (size_t i = 0; i < h.n; i++) resume(h.list[i], 0);
  task_each(interrupt_for_detach, NULL);
}

/* ---- starting: -- CMD ---- */

/* Turns every signal back to its default and unblocks it, and marks every
 * fd above 2 close-on-exec: CMD starts with what a shell would give it. */
static void reset_child_state(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

static int exec_err_fd = -1; /* reports a failed execvp of CMD */
static pid_t cmd_pid = -1;

/* Forks CMD stopped (it raises SIGSTOP before execvp) so that it can be
 * seized before it runs a single instruction of CMD. */
static pid_t fork_stopped_child(char **argv) {
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    emit_error(0, "pipe2: %s", strerrorname_np(errno));
    exit(1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    emit_error(0, "fork: %s", strerrorname_np(errno));
    exit(1);
  }
  if (pid == 0) {
    close(errpipe[0]);
    reset_child_state();
    /* A session of its own: no controlling terminal. In forktop's, CMD
     * (or anything it runs, as any uid) could open /dev/tty, push keys
     * into it with TIOCSTI (forktop's quit key, then a command line for
     * the shell forktop was started from), read what is typed and paint
     * over the view (outside attack 52). The fds it is given stay. */
    if (setsid() < 0) _exit(127);
    raise(SIGSTOP);
    execvp(argv[0], argv);
    int err = errno;
    if (write(errpipe[1], &err, sizeof err) < 0) {
      /* the tracer is gone */
    }
    _exit(127);
  }
  close(errpipe[1]);
  exec_err_fd = errpipe[0];
  int status;
  if (waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status)) {
    emit_error(0, "waitpid(%d) for the stopped child: %s", pid, errno ? strerrorname_np(errno) : "it did not stop");
    exit(1);
  }
  return pid;
}

/* Seizes CMD's child while it sits in its own SIGSTOP, before it has run a
 * single instruction of CMD. PTRACE_SEIZE rather than PTRACE_ATTACH: it
 * sends no SIGSTOP of its own, and it is what makes PTRACE_INTERRUPT and
 * PTRACE_LISTEN (clean detach, group-stops) possible. It fails with EPERM
 * where ptrace is forbidden to us (a seccomp filter, an LSM): poll mode. */
static int seize_cmd(pid_t pid) {
  return (int)ptrace(PTRACE_SEIZE, pid, 0, PTRACE_OPTIONS);
}

/* The child could not exec CMD: say so (its exit 127 follows). */
static void read_exec_error(char **argv) {
  int err = 0;
  ssize_t n = read(exec_err_fd, &err, sizeof err);
  if (n == (ssize_t)sizeof err) {
    emit_error(cmd_pid, "execvp %s: %s", argv[0], strerrorname_np(err));
    exit_status = 1;
  }
  close(exec_err_fd);
  exec_err_fd = -1;
}

static void hello(const char *mode, const char *reason) {
  struct buf b;
  event_begin(&b, "hello");
  buf_printf(&b, ",\"version\":%d,\"mode\":\"%s\",\"tracer\":%d", FORKTOP_PROTOCOL_VERSION, mode, T.self);
  if (reason) {
    buf_str(&b, ",\"reason\":");
    json_str(&b, reason);
  }
  event_end(&b);
}

/* ---- starting: -p PID ---- */

/* Seizes every thread of PID (listing /proc/PID/task until no new one
 * appears: a thread may start one we have not seized yet). A tid that is
 * already ours was auto-attached through an event and is skipped.
 * Returns 0, or -errno from seizing the leader. */
static int seize_process(pid_t pid, bool *was_ours) {
  *was_ours = false;
  bool any_new = true;
  int err = 0;
  while (any_new) {
    any_new = false;
    size_t n;
    pid_t *tids = proc_tasks(pid, &n);
    if (!tids) return -ESRCH;
    for (size_t i = 0; i < n; i++) {
      if (task_find(tids[i])) continue;
      if (ptrace(PTRACE_SEIZE, tids[i], 0, PTRACE_OPTIONS) == 0) {
        struct task *t = task_add(tids[i]);
        t->tgid = pid;
        t->is_thread = tids[i] != pid;
        any_new = true;
        continue;
      }
      int e = errno;
      if (e == EPERM) {
        /* Already traced — by us, through an event we have not read yet? */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", tids[i]);
        char *status = read_small_file(path, NULL);
        char *tp = status ? strstr(status, "TracerPid:") : NULL;
        bool ours = tp && atoi(tp + 10) == T.self;
        free(status);
        if (ours) {
          if (tids[i] == pid) *was_ours = true;
          continue;
        }
      }
      if (tids[i] == pid) err = -e;
    }
    free(tids);
    if (err || *was_ours) return err;
  }
  return 0;
}

static void announce_seized_thread(struct task *t, void *arg) {
  if (t->is_thread && t->tgid == *(pid_t *)arg && t->state == TASK_RUNNING) announce_thread(t);
}

/* `attach` for a seized process, then `thread` for each thread we seized
 * (from our table, not /proc: a seized thread that died meanwhile still
 * gets its creation line before its exit). */
static void announce_attached(pid_t pid) {
  struct task *t = task_find(pid);
  if (!t) return;
  pid_t tgid, ppid = 0;
  proc_status_ids(pid, &tgid, &ppid);
  announce_process(t, "attach", ppid);
  task_each(announce_seized_thread, &pid);
}

/* Attaches to every descendant of the traced processes, rescanning /proc
 * until a pass finds nothing new, parents before children. `escaped`: a
 * rescan while tracing, where every child a tracee makes is attached by
 * the kernel and reported (fork, vfork, clone events), unless it was made
 * with CLONE_UNTRACED: the kernel neither reports nor attaches such a
 * child, which a traced program could use to run, exec and fork out of
 * sight (outside attack 52). One found that way is attached, announced
 * (`attach`) and reported as an error naming it. Between two rescans it
 * runs untraced; one whose parent exits first is reparented out of the
 * traced tree (to a subreaper or init), out of this scan's reach. */
static void attach_descendants(bool escaped) {
  bool found = true;
  while (found) {
    found = false;
    struct proc_entry *list;
    size_t n = proc_list(&list);
    for (size_t i = 0; i < n; i++) {
      struct task *parent = task_find(list[i].ppid);
      if (!parent || parent->is_thread || task_find(list[i].pid)) continue;
      bool ours;
      int err = seize_process(list[i].pid, &ours);
      if (err == 0 && !ours) {
        if (escaped)
          emit_error(
              list[i].pid,
              "process %d, a child of traced process %d, was made out of the kernel's reports (CLONE_UNTRACED?) and ran untraced until now: attached",
              list[i].pid, list[i].ppid);
        announce_attached(list[i].pid);
        found = true;
      } else if (err && err != -ESRCH && !escaped) {
        /* (At a rescan, EPERM is a child the kernel attached whose event
         * is still queued, or one exiting: not news.) */
        emit_error(list[i].pid, "ptrace(PTRACE_SEIZE, %d): %s", list[i].pid, strerrorname_np(-err));
      }
    }
    free(list);
  }
}

/* ---- poll mode: /proc differences instead of ptrace ---- */

struct ptask {
  pid_t pid, tgid;
  bool is_thread, seen;
  char *snapshot;
};
static struct ptask *ptasks;
static size_t nptasks, capptasks;
static int cmd_status = -1; /* CMD's wait status, once reaped */

static struct ptask *ptask_find(pid_t pid) {
  for (size_t i = 0; i < nptasks; i++)
    if (ptasks[i].pid == pid) return &ptasks[i];
  return NULL;
}

static struct ptask *ptask_add(pid_t pid, pid_t tgid) {
  if (nptasks == capptasks) {
    capptasks = capptasks ? capptasks * 2 : 64;
    ptasks = realloc(ptasks, capptasks * sizeof *ptasks);
    if (!ptasks) {
      fprintf(stderr, "%s: out of memory\n", progname);
      _exit(1);
    }
  }
  struct ptask *p = &ptasks[nptasks++];
  *p = (struct ptask){.pid = pid, .tgid = tgid, .is_thread = pid != tgid, .seen = true, .snapshot = NULL};
  return p;
}

/* The part of a snapshot an exec changes: cmdline and exe. */
static bool exec_differs(const char *a, const char *b) {
  const char *ca = strstr(a, ",\"cmdline\":"), *cb = strstr(b, ",\"cmdline\":");
  const char *ua = ca ? strstr(ca, ",\"uid\":") : NULL, *ub = cb ? strstr(cb, ",\"uid\":") : NULL;
  if (!ua || !ub) return false;
  return ua - ca != ub - cb || strncmp(ca, cb, (size_t)(ua - ca)) != 0;
}

static void poll_emit_process(struct ptask *p, const char *event, pid_t ppid) {
  struct buf s;
  buf_init(&s);
  snapshot_json(&s, p->pid);
  p->snapshot = s.data;
  struct buf b;
  event_begin(&b, event);
  buf_printf(&b, ",\"pid\":%d,\"ppid\":%d,\"snapshot\":%s", p->pid, ppid, p->snapshot);
  event_end(&b);
}

/* One scan: new processes in the tree (a process whose parent is in it),
 * new threads, exec'd and changed snapshots, and what is gone. Lossy by
 * nature: whatever lives between two scans is never seen, and an exit has
 * no status unless the process is CMD (our own child). */
static void poll_scan(bool first_is_root_attach, pid_t root, const char *root_event, bool threads) {
  struct proc_entry *list;
  size_t n = proc_list(&list);
  for (size_t i = 0; i < nptasks; i++) ptasks[i].seen = false;
  bool found = true;
  while (found) {
    found = false;
    for (size_t i = 0; i < n; i++) {
      struct ptask *p = ptask_find(list[i].pid);
      if (p) {
        p->seen = true;
        continue;
      }
      struct ptask *parent = ptask_find(list[i].ppid);
      bool is_root = list[i].pid == root && nptasks == 0;
      if (!is_root && !(parent && !parent->is_thread)) continue;
      p = ptask_add(list[i].pid, list[i].pid);
      poll_emit_process(p, is_root ? root_event : (first_is_root_attach ? "attach" : "fork"), list[i].ppid);
      found = true;
    }
  }
  free(list);
  /* Threads of every live process; exec and change. */
  size_t count = nptasks;
  for (size_t i = 0; i < count; i++) {
    if (!ptasks[i].seen || ptasks[i].is_thread) continue;
    pid_t pid = ptasks[i].pid;
    size_t nt = 0;
    pid_t *tids = threads ? proc_tasks(pid, &nt) : NULL;
    for (size_t j = 0; j < nt; j++) {
      if (tids[j] == pid) continue;
      struct ptask *th = ptask_find(tids[j]);
      if (th) {
        th->seen = true;
        continue;
      }
      ptask_add(tids[j], pid);
      struct buf b;
      event_begin(&b, "thread");
      buf_printf(&b, ",\"pid\":%d,\"tgid\":%d", tids[j], pid);
      event_end(&b);
    }
    free(tids);
    struct ptask *p = &ptasks[i];
    if (!p->snapshot) continue;
    struct buf s;
    buf_init(&s);
    snapshot_json(&s, pid);
    if (strstr(s.data, ",\"state\":\"Z\"") || strstr(s.data, ",\"state\":null") || !snapshot_differs(s.data, p->snapshot)) {
      buf_free(&s);
      continue;
    }
    bool exec = exec_differs(s.data, p->snapshot);
    free(p->snapshot);
    p->snapshot = s.data;
    struct buf b;
    event_begin(&b, exec ? "exec" : "change");
    buf_printf(&b, ",\"pid\":%d,\"snapshot\":%s", pid, p->snapshot);
    event_end(&b);
  }
  /* Gone: threads first, then their processes. A zombie that is not ours
   * counts as alive until its parent reaps it. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < nptasks;) {
      struct ptask *p = &ptasks[i];
      bool gone = !p->seen || (p->is_thread && !ptask_find(p->tgid));
      if (!gone || p->is_thread != (pass == 0)) {
        i++;
        continue;
      }
      struct buf b;
      event_begin(&b, "exit");
      buf_printf(&b, ",\"pid\":%d", p->pid);
      if (p->pid == cmd_pid && cmd_status != -1) json_wait_status(&b, cmd_status);
      if (p->is_thread) buf_str(&b, ",\"thread\":true");
      event_end(&b);
      free(p->snapshot);
      ptasks[i] = ptasks[--nptasks];
    }
  }
}

/* ---- commands ---- */

static char cmdbuf[4096];
static size_t cmdlen;
static bool poll_rescan_now;

static void run_command(char *line) {
  int a, b, c;
  char extra;
  if (sscanf(line, "shell %d %d %d %c", &a, &b, &c, &extra) == 3) {
    if (T.poll_mode)
      emit_error(a, "shell %d: the tracer is in poll mode (no ptrace)", a);
    else
      shell_open(a, b, c);
  } else if (sscanf(line, "resize %d %d %c", &a, &b, &extra) == 2) {
    shell_resize(a, b);
  } else if (strcmp(line, "rescan") == 0) {
    if (T.poll_mode)
      poll_rescan_now = true;
    else
      rescan_ptrace();
  } else if (strcmp(line, "detach") == 0) {
    control_eof = false;
    if (T.poll_mode) {
      struct buf ev;
      event_begin(&ev, "detached");
      event_end(&ev);
      exit(0);
    }
    start_detach();
  } else if (line[0]) {
    emit_error(0, "unknown command: %.200s", line);
  }
}

/* Reads command lines from the control socket; EOF means forktop is gone. */
static void read_commands(void) {
  ssize_t n = read(T.control_fd, cmdbuf + cmdlen, sizeof cmdbuf - 1 - cmdlen);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    control_eof = true;
    return;
  }
  cmdlen += (size_t)n;
  char *start = cmdbuf, *nl;
  while ((nl = memchr(start, '\n', cmdlen - (size_t)(start - cmdbuf)))) {
    *nl = 0;
    if (nl > start && nl[-1] == '\r') nl[-1] = 0;
    run_command(start);
    start = nl + 1;
  }
  cmdlen -= (size_t)(start - cmdbuf);
  memmove(cmdbuf, start, cmdlen);
  if (cmdlen == sizeof cmdbuf - 1) cmdlen = 0; /* an absurd line: drop it */
}

/* ---- main ---- */

static void usage(void) {
  fprintf(stderr,
          "usage: %s [--control-fd N] [--tty-fd N] [--rescan-ms MS] [--poll] -- CMD [ARGS...]\n"
          "       %s [--control-fd N] [--tty-fd N] [--rescan-ms MS] [--poll] -p PID\n"
          "       %s --once -p PID\n"
          "Traces a process tree and writes JSON event lines (docs/forktop-protocol.md).\n",
          progname, progname, progname);
  exit(2);
}

static int parse_int(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < 0 || v > INT_MAX) {
    fprintf(stderr, "%s: %s: not a number: %s\n", progname, what, s);
    usage();
  }
  return (int)v;
}

/* Blocks the signals the loop reads from a signalfd. */
static int setup_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
    fprintf(stderr, "%s: sigprocmask: %s\n", progname, strerror(errno));
    exit(1);
  }
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    fprintf(stderr, "%s: signalfd: %s\n", progname, strerror(errno));
    exit(1);
  }
  return fd;
}

static void once(pid_t root) {
  if (kill(root, 0) < 0 && errno == ESRCH) {
    emit_error(root, "--once -p %d: no such process", root);
    exit(1);
  }
  hello("poll", "--once: one scan, no ptrace");
  poll_scan(true, root, "attach", false);
  exit(0);
}

int main(int argc, char **argv) {
  int control_fd = 3, tty_fd = -1;
  bool want_once = false;
  pid_t attach_pid = 0;
  static const struct option opts[] = {
      {"control-fd", required_argument, NULL, 'c'},
      {"tty-fd", required_argument, NULL, 't'},
      {"rescan-ms", required_argument, NULL, 'r'},
      {"poll", no_argument, NULL, 'P'},
      {"once", no_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
    switch (opt) {
      case 'c':
        control_fd = parse_int(optarg, "--control-fd");
        break;
      case 't':
        tty_fd = parse_int(optarg, "--tty-fd");
        break;
      case 'r':
        T.rescan_ms = parse_int(optarg, "--rescan-ms");
        break;
      case 'P':
        T.poll_mode = true;
        break;
      case 'o':
        want_once = true;
        break;
      case 'p':
        attach_pid = parse_int(optarg, "-p");
        if (attach_pid <= 0) usage();
        break;
      default:
        usage();
    }
  }
  char **cmd = argv + optind;
  if ((attach_pid > 0) == (optind < argc)) usage();
  if (want_once && !attach_pid) usage();

  T.self = getpid();
  signal(SIGPIPE, SIG_IGN);
  /* The control socket: events there, commands from there; else stdout. */
  int fl = fcntl(control_fd, F_GETFL);
  if (fl >= 0) {
    T.control_fd = T.out_fd = control_fd;
    fcntl(control_fd, F_SETFD, FD_CLOEXEC);
    if ((fl & O_ACCMODE) == O_WRONLY) T.control_fd = -1; /* a write-only pipe: events only */
  }
  if (tty_fd >= 0) {
    if (fcntl(tty_fd, F_GETFD) < 0) {
      fprintf(stderr, "%s: --tty-fd %d: %s\n", progname, tty_fd, strerror(errno));
      exit(2);
    }
    fcntl(tty_fd, F_SETFD, FD_CLOEXEC);
    T.tty_fd = tty_fd;
  }
  if (want_once) once(attach_pid);

  int sfd = setup_signalfd();
  const char *poll_reason = T.poll_mode ? "--poll" : NULL;
  char reason[256];
  pid_t root = attach_pid;

  if (!attach_pid) {
    cmd_pid = root = fork_stopped_child(cmd);
    if (!T.poll_mode && seize_cmd(root) < 0) {
      snprintf(reason, sizeof reason, "ptrace(PTRACE_SEIZE, %d): %s", root, strerrorname_np(errno));
      poll_reason = reason;
      T.poll_mode = true;
    }
    hello(T.poll_mode ? "poll" : "ptrace", poll_reason);
    if (T.poll_mode) {
      struct ptask *p = ptask_add(root, root);
      poll_emit_process(p, "spawn", T.self);
    } else {
      struct task *t = task_add(root);
      announce_process(t, "spawn", T.self);
    }
    /* It is stopped by its own SIGSTOP: SIGCONT lets it exec CMD. Seized,
     * the loop sees (and resumes) the stops this causes. */
    kill(root, SIGCONT);
  } else {
    /* -p TID of a thread means its process. */
    pid_t tgid, ppid;
    if (proc_status_ids(attach_pid, &tgid, &ppid) == 0 && tgid > 0) root = attach_pid = tgid;
    if (!T.poll_mode) {
      bool ours;
      int err = seize_process(attach_pid, &ours);
      if (err == -ESRCH || (err && kill(attach_pid, 0) < 0 && errno == ESRCH)) {
        emit_error(attach_pid, "-p %d: no such process", attach_pid);
        exit(1);
      }
      if (err) {
        snprintf(reason, sizeof reason, "ptrace(PTRACE_SEIZE, %d): %s", attach_pid, strerrorname_np(-err));
        poll_reason = reason;
        T.poll_mode = true;
      }
    } else if (kill(attach_pid, 0) < 0 && errno == ESRCH) {
      emit_error(attach_pid, "-p %d: no such process", attach_pid);
      exit(1);
    }
    hello(T.poll_mode ? "poll" : "ptrace", poll_reason);
    if (T.poll_mode) {
      poll_scan(true, attach_pid, "attach", true);
    } else {
      announce_attached(attach_pid);
      attach_descendants(false);
    }
  }

  int poll_interval = T.rescan_ms > 0 ? T.rescan_ms : 500;
  double next_rescan = now_mono_ms() + (T.poll_mode ? poll_interval : T.rescan_ms);
  for (;;) {
    if (control_eof && !T.detaching) {
      if (T.poll_mode) exit(0);
      start_detach();
    }
    if (T.poll_mode) {
      if (cmd_pid > 0 && cmd_status == -1) {
        int st;
        if (waitpid(cmd_pid, &st, WNOHANG) == cmd_pid) cmd_status = st;
      }
      /* Reap anything else that was ours (reparented orphans are not). */
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      if (poll_rescan_now || now_mono_ms() >= next_rescan) {
        poll_rescan_now = false;
        poll_scan(false, root, "spawn", true);
        next_rescan = now_mono_ms() + poll_interval;
      }
      if (nptasks == 0) {
        if (exec_err_fd >= 0) read_exec_error(cmd);
        exit(exit_status);
      }
    } else {
      reap_all();
      check_pending();
      if (task_count == 0) {
        if (exec_err_fd >= 0) read_exec_error(cmd); /* CMD is dead: the pipe has its say */
        if (T.detaching) {
          struct buf ev;
          event_begin(&ev, "detached");
          event_end(&ev);
        }
        exit(T.detaching ? 0 : exit_status);
      }
      if (T.detaching && now_mono_ms() > detach_deadline) {
        emit_error(0, "detach: %zu tracees did not stop within %d ms", task_count, DETACH_TIMEOUT_MS);
        exit(1);
      }
      if (T.rescan_ms > 0 && now_mono_ms() >= next_rescan) {
        if (!T.detaching) rescan_ptrace();
        next_rescan = now_mono_ms() + T.rescan_ms;
      }
    }

    struct pollfd pfd[5];
    int n = 0, i_sig, i_ctl = -1, i_err = -1, i_master = -1, i_tty = -1;
    pfd[i_sig = n++] = (struct pollfd){sfd, POLLIN, 0};
    if (T.control_fd >= 0 && !control_eof) pfd[i_ctl = n++] = (struct pollfd){T.control_fd, POLLIN, 0};
    if (exec_err_fd >= 0) pfd[i_err = n++] = (struct pollfd){exec_err_fd, POLLIN, 0};
    if (shell_master_fd() >= 0) pfd[i_master = n++] = (struct pollfd){shell_master_fd(), POLLIN, 0};
    if (shell_tty_fd() >= 0) pfd[i_tty = n++] = (struct pollfd){shell_tty_fd(), POLLIN, 0};
    int timeout = T.poll_mode ? poll_interval : (T.rescan_ms > 0 ? T.rescan_ms : 1000);
    size_t pending = 0;
    task_each(count_pending, &pending);
    if (pending || T.detaching) timeout = 50;
    double left = next_rescan - now_mono_ms();
    if ((T.poll_mode || T.rescan_ms > 0) && left < timeout) timeout = left < 0 ? 0 : (int)left + 1;
    if (poll(pfd, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      emit_error(0, "poll: %s", strerrorname_np(errno));
      exit(1);
    }
    if (pfd[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) continue;
        if (si.ssi_signo == SIGINT && shell_active()) continue; /* the shell's ^C */
        if (T.poll_mode) exit(0);
        start_detach();
      }
    }
    if (i_ctl >= 0 && (pfd[i_ctl].revents & (POLLIN | POLLHUP | POLLERR))) read_commands();
    if (i_err >= 0 && (pfd[i_err].revents & (POLLIN | POLLHUP))) read_exec_error(cmd);
    if (i_master >= 0 && (pfd[i_master].revents & (POLLIN | POLLHUP | POLLERR))) shell_pump_master();
    if (i_tty >= 0 && shell_tty_fd() >= 0 && (pfd[i_tty].revents & (POLLIN | POLLHUP | POLLERR))) shell_pump_tty();
  }
}
