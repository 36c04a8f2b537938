/*
 * relay.c — threads that copy and close fds, so no blocking write or close
 * ever stops the event loop.
 *
 *   relay(from, to) -> id    a thread of its own copies from -> to (on its
 *                            own copies of both fds) until EOF on `from`
 *                            or relayStop(id); "ended" is then posted
 *   relay(from, to, true)    the same for a void's own pipe into a Pipe
 *                            other voids write to as well (a Pipe Tx):
 *                            one packet per write, and a reader gone
 *                            from `to` ends the relay (the writer then
 *                            gets EPIPE)
 *   relay(from, to, true, true)  and `to` is a Pipe trigger's: whole
 *                            messages only (framed per writer); each one
 *                            dropped as too long is posted ("dropped")
 *   relayStop(id, release)
 *   closeLater(fds)          closes each fd on a closer thread, no
 *                            linger wait of any lasting more than ~0.1 ms
 *   closersBehind()          whether too many of them wait: readers of
 *                            what voids send pause (closer_behind)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <time.h>
#include <unistd.h>

#include "addon.h"

/* ---- stream relays ---- */

static void closer_give(const int *fds, size_t n);
static bool closer_behind(void);

/* A relay copies bytes from one fd to another on a thread of its own:
 * between a void's own output pipe (or the voids' shared input socket)
 * and the launcher's real stream (src/orchestrator/streams.ts), and both
 * ways between a void's datagram socket and a brokered UDP socket
 * (src/orchestrator/broker.ts). A write that blocks (a terminal stopped
 * with ^S, a reader that does not read) blocks only this thread: the
 * event loop keeps supervising every void. When `to` fails for good
 * (EPIPE: the reader is gone) the relay goes on reading and drops the
 * bytes, so writers never block on a relay that cannot deliver. It ends
 * at EOF on `from` or when stopped; it then closes both fds and posts
 * "ended". */
struct relay {
  uint32_t id;
  int from, to;
  int stop_rd, stop_wr; /* a pipe: relayStop writes a byte */
  /* relay(from, to, true): `from` is a void's own packet pipe and `to` a
   * Pipe that other voids' relays write into too (src/orchestrator/
   * wiring.ts). A read takes one packet (a write of up to PIPE_BUF bytes,
   * more only on kernels with pages larger than that): each is written
   * into `to` at once, so it is atomic as the void's own write of it into
   * the Pipe would have been (a relay writing several at once could be
   * interleaved with another's, cutting a void's line in two). And a
   * reader gone from `to` ends the relay, so the void's next write fails
   * with EPIPE as one into the Pipe itself would. */
  bool pipe_tx;
  /* relay(from, to, true, true): `to` is a Pipe trigger's packet pipe,
   * read by the launcher's trigger loop (src/orchestrator/trigger.ts),
   * which takes a full packet's unfinished last line to go on in the next
   * packet. Packets of several writers come in any order, so a writer
   * ending a full packet inside a line would have the next packet,
   * another void's, taken as the rest of its message (forged or, past the
   * length limit, dropped). The relay frames its own writer's messages
   * (struct framer) and writes only whole ones: no packet it writes is
   * full and ends inside a line. */
  bool framed;
};

/* Waits until fd is ready for `events` or the relay is stopped; 0 when ready, -1 when stopped. */
static int relay_wait(struct relay *r, int fd, short events) {
  for (;;) {
    struct pollfd p[2] = {{fd, events, 0}, {r->stop_rd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (p[1].revents) return -1;
    if (p[0].revents) return 0;
  }
}

/* One read from `from`. A unix socket a void writes into can carry fds
 * (SCM_RIGHTS), which read(2) would leave for the kernel to close right
 * here, on this thread, where nothing ends a linger wait: they are taken
 * (room for all SCM_MAX_FD a packet can carry) and given to the closers. */
static ssize_t relay_read(int from, bool is_socket, char *buf, size_t len) {
  if (!is_socket) return read(from, buf, len);
  union {
    char bytes[CMSG_SPACE(253 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {buf, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
  /* MSG_DONTWAIT: poll said readable, but for a UDP socket that may have
   * been an error (ICMP) the other relay's send consumed since; a blocking
   * receive would then wait for ever, out of relayStop's reach. */
  ssize_t n = recvmsg(from, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0) return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int fds[253];
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (count > 253) count = 253;
    memcpy(fds, CMSG_DATA(c), count * sizeof(int));
    closer_give(fds, count);
  }
  return n;
}

/* Writes n bytes to r->to: 0, or -1 when the relay must end (stopped, or
 * a Pipe Tx whose reader is gone). */
static int relay_write(struct relay *r, const char *buf, size_t n, int *sink_ok) {
  size_t off = 0;
  while (*sink_ok && off < n) {
    ssize_t w = write(r->to, buf + off, n - off);
    if (w > 0)
      off += (size_t)w;
    else if (w < 0 && errno == EINTR)
      continue;
    else if (w < 0 && errno == EAGAIN) {
      if (relay_wait(r, r->to, POLLOUT) < 0) return -1;
    } else if (w < 0 && (errno == ECONNREFUSED || errno == EMSGSIZE || errno == ENOBUFS || errno == EHOSTUNREACH || errno == ENETUNREACH)) {
      break; /* a datagram that could not go: dropped, as the network would */
    } else if (r->pipe_tx)
      return -1; /* the writer gets EPIPE next */
    else
      *sink_ok = 0; /* the reader is gone: drop from now on */
  }
  return 0;
}

/* One writer's Pipe trigger messages, as the trigger loop reads them
 * (src/orchestrator/trigger.ts): in a packet each newline ends a message;
 * a packet shorter than PIPE_BUF ends its write, and what follows its last
 * newline is a message too; a full packet's unfinished line goes on in
 * the next packet; a message is at most PIPE_BUF - 1 bytes. */
#define RELAY_READ 65536 /* bytes read at most: one packet, whatever the page size */
struct framer {
  char data[PIPE_BUF + RELAY_READ]; /* the unfinished line, then the packet just read */
  size_t pend;                      /* bytes of the unfinished line (< PIPE_BUF) */
  bool discarding;                  /* the unfinished line is too long: dropped up to its end */
};

/* A message too long for the trigger loop: dropped here, and said at once
 * ("dropped"), so the launcher logs it as the loop would have. */
static void frame_drop(struct relay *r) {
  post(r->id, EVENT_DROPPED, -1, 0, "", 0);
}

/* Handles the n bytes read into f->data + f->pend: writes the whole
 * messages, lines grouped into packets of at most PIPE_BUF bytes that end
 * with a newline, and a write's last message (no newline) as a packet of
 * its own, shorter than PIPE_BUF. 0, or -1 when the relay must end. */
static int frame(struct relay *r, struct framer *f, size_t n, int *sink_ok) {
  bool full = n >= PIPE_BUF; /* as the trigger loop: only a shorter packet ends its write */
  size_t len = f->pend + n, start = 0, out_len = 0;
  char out[PIPE_BUF];
  for (size_t i = 0; i < len; i++) {
    if (f->data[i] != '\n') continue;
    size_t l = i + 1 - start;
    if (f->discarding)
      f->discarding = false; /* the end of a line too long */
    else if (l > PIPE_BUF)
      frame_drop(r);
    else {
      if (out_len + l > PIPE_BUF) {
        if (relay_write(r, out, out_len, sink_ok) < 0) return -1;
        out_len = 0;
      }
      memcpy(out + out_len, f->data + start, l);
      out_len += l;
    }
    start = i + 1;
  }
  if (out_len > 0 && relay_write(r, out, out_len, sink_ok) < 0) return -1;
  size_t tail = len - start;
  if (!full) {
    /* The write ended here: its tail is a message of its own. */
    if (f->discarding)
      f->discarding = false;
    else if (tail >= PIPE_BUF)
      frame_drop(r);
    else if (tail > 0 && relay_write(r, f->data + start, tail, sink_ok) < 0)
      return -1;
    f->pend = 0;
  } else if (f->discarding) {
    f->pend = 0;
  } else if (tail >= PIPE_BUF) {
    frame_drop(r);
    f->discarding = true;
    f->pend = 0;
  } else {
    memmove(f->data, f->data + start, tail);
    f->pend = tail;
  }
  return 0;
}

static void *relay_thread(void *arg) {
  struct relay *r = arg;
  char buf[RELAY_READ];
  struct framer framer = {.pend = 0, .discarding = false};
  int sink_ok = 1;
  struct stat st;
  bool is_socket = void_fstat(r->from, &st) == 0 && S_ISSOCK(st.st_mode);
  int domain = 0;
  socklen_t dlen = sizeof domain;
  bool carries_fds = is_socket && getsockopt(r->from, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 && domain == AF_UNIX;
  while (relay_wait(r, r->from, POLLIN) == 0) {
    /* What a unix socket carries may be fds: none are taken while the
     * closers are behind (closer_behind), as the broker and FileSocket
     * triggers do. */
    if (carries_fds && closer_behind()) {
      struct pollfd p = {r->stop_rd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) break;
      continue;
    }
    char *into = r->framed ? framer.data + framer.pend : buf;
    ssize_t n = relay_read(r->from, is_socket, into, RELAY_READ);
    /* ECONNREFUSED: a connected UDP socket reporting an ICMP error for an
     * earlier datagram; the next one may arrive. */
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)) continue;
    if (n <= 0) {
      /* EOF: what is left of the writer's last line is a message of its
       * own, as the trigger loop takes bytes left when the writers close. */
      if (r->framed && framer.pend > 0 && !framer.discarding) relay_write(r, framer.data, framer.pend, &sink_ok);
      break;
    }
    if (r->framed ? frame(r, &framer, (size_t)n, &sink_ok) < 0 : relay_write(r, buf, (size_t)n, &sink_ok) < 0) goto stopped;
  }
stopped:;
  /* r is the main thread's once "ended" is posted (relayStop frees it). */
  int ends[2] = {r->from, r->to};
  close(r->stop_rd);
  post(r->id, EVENT_ENDED, -1, 0, "", 0);
  /* stop_wr stays open until relayStop or never: relayStop may still write to it.
   * The copies go to the closers: the last close of a socket drops what is
   * left in its queue, fds of a void's among it. */
  closer_give(ends, 2);
  return NULL;
}

#define MAX_RELAYS 4096
static struct relay *relays[MAX_RELAYS]; /* main thread only */

/* relay(from, to) -> id. The relay works on copies (F_DUPFD_CLOEXEC) of
 * both fds, closed when it ends; the caller's stay the caller's. */
napi_value js_relay(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], result;
  bool pipe_tx = false, framed = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc > 2) napi_get_value_bool(env, argv[2], &pipe_tx);
  if (argc > 3) napi_get_value_bool(env, argv[3], &framed);
  int slot = 0;
  while (slot < MAX_RELAYS && relays[slot] != NULL) slot++;
  if (slot == MAX_RELAYS) return throw_errno(env, EMFILE, "relay", "(4096 relays at most)");
  struct relay *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "calloc", "(relay)");
  int from = arg_int(env, argv[0]), to = arg_int(env, argv[1]);
  r->pipe_tx = pipe_tx || framed;
  r->framed = framed;
  r->from = fcntl(from, F_DUPFD_CLOEXEC, 3);
  r->to = r->from < 0 ? -1 : fcntl(to, F_DUPFD_CLOEXEC, 3);
  int stop[2] = {-1, -1};
  if (r->to < 0 || pipe2(stop, O_CLOEXEC) < 0) {
    int err = errno;
    int dup_failed = r->to < 0;
    if (r->from >= 0) close(r->from);
    if (r->to >= 0) close(r->to);
    free(r);
    return throw_errno(env, err, dup_failed ? "fcntl" : "pipe2", dup_failed ? "F_DUPFD_CLOEXEC (relay)" : "(relay)");
  }
  r->stop_rd = stop[0];
  r->stop_wr = stop[1];
  /* A Pipe Tx's destination is written by relays only (no void holds it):
   * non-blocking, so a relay waiting for its reader to make room waits in
   * relay_wait, where relayStop ends it, not in write(). */
  if (r->pipe_tx) {
    int fl = fcntl(r->to, F_GETFL);
    if (fl >= 0) fcntl(r->to, F_SETFL, fl | O_NONBLOCK);
  }
  r->id = watcher_new_id();
  int rc = start_thread(relay_thread, r);
  if (rc != 0) {
    close(stop[0]);
    close(stop[1]);
    close(r->from);
    close(r->to);
    free(r);
    return throw_errno(env, rc, "pthread_create", "(relay)");
  }
  relays[slot] = r;
  keep_alive(env, 1);
  napi_create_uint32(env, r->id, &result);
  return result;
}

/* relayStop(id): ends a relay now (what it has not copied is dropped);
 * "ended" follows. Called again once "ended" came, it frees the relay. */
napi_value js_relay_stop(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t id;
  bool release = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  if (argc > 1) napi_get_value_bool(env, argv[1], &release);
  for (int i = 0; i < MAX_RELAYS; i++) {
    struct relay *r = relays[i];
    if (r == NULL || r->id != id) continue;
    if (release) {
      /* Only after "ended": the thread no longer touches r. */
      close(r->stop_wr);
      free(r);
      relays[i] = NULL;
    } else if (write(r->stop_wr, "x", 1) < 0) {
      /* the stop pipe holds at most a byte or two: cannot fill */
    }
  }
  return NULL;
}

/* ---- closing what voids sent ---- */

/* close(2) can block: the last close of a TCP socket with SO_LINGER set
 * waits up to the linger time for its unsent data, and a void chooses
 * both. Every fd that came from a void (trigger messages, broker requests,
 * Forward answers) is closed here, on a thread of its own, so no void can
 * stop the event loop that supervises the others. closeLater never
 * blocks: the queue grows while the closer is busy.
 *
 * The closer itself must not be stopped either, or the queue (and the
 * launcher's fd table) would grow for as long as a void likes. Linger is
 * turned off on each socket before its close, but a void can hide the
 * lingering socket where setsockopt cannot reach it: in flight in the
 * receive queue of a unix socket it sends. The last close of that unix
 * socket drops the sockets queued in it, and the kernel closes them (in
 * the closing thread, on its way back from close) with their linger on.
 * So every close runs under a timer: CLOSER_SIGNAL is sent to the closer
 * thread every CLOSER_PATIENCE_NS while the close lasts, and a pending
 * signal ends a linger wait (sk_stream_wait_close) and every later one of
 * the same close at once. Periodic, not once: a signal that comes before
 * the wait begins (the thread preempted between arming and close) is
 * handled and gone, and the next one ends the wait. The sockets still send
 * what is queued, then FIN, in the background, as with linger off. Such a
 * close holds the closer for about a tenth of a millisecond, whatever the
 * void put in flight (measured: ~7,000 closes a second of unix sockets
 * each hiding a lingering socket; one process makes ~1,200 such sockets a
 * second). The signal's handler does nothing; only this thread unblocks
 * it (every addon thread starts with all signals blocked: start_thread),
 * and the timer aims at this thread alone (SIGEV_THREAD_ID); a POSIX
 * timer's signal is never queued twice, so a long close gathers none. */
#define CLOSER_SIGNAL (SIGRTMIN + 4)
#define CLOSER_PATIENCE_NS 100000L
/* Some closes wait where no signal reaches: the last close of a pipe waits
 * for the pipe's lock (pipe_release), which a process of the void can hold
 * for as long as it likes (a splice() from an empty socket into that pipe
 * waits holding it). A close still under way after CLOSER_STUCK_NS is
 * taken to be one of those, and the next closeLater (or the watch, below)
 * starts another closer thread for the rest of the queue, up to CLOSER_MAX: each stuck one is
 * matched by a process of a void holding a lock, and returns to work (or,
 * when another closer already waits, ends) once that process lets go, at
 * the latest when its void ends. At most one closer waits for work. */
#define CLOSER_STUCK_NS 100000000L
#define CLOSER_MAX 256
static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t closer_idle = PTHREAD_COND_INITIALIZER;
static int *closer_queue;
static size_t closer_len, closer_cap;
/* Under closer_lock: the closer threads alive, how many of them wait for
 * work and how many are closing, and per slot whether a thread has it and
 * when its close began (0: none under way). */
static unsigned closers, closers_waiting, closers_busy;
static bool closer_slot_used[CLOSER_MAX];
static uint64_t closer_since[CLOSER_MAX];
/* The file each close under way is of, and fds waiting for the closer
 * closing that same file (closer_lock). */
static dev_t closer_dev[CLOSER_MAX];
static ino_t closer_ino[CLOSER_MAX];
struct closer_deferred {
  dev_t dev;
  ino_t ino;
  int fd;
};
static struct closer_deferred *closer_deferred;
static size_t closer_deferred_len, closer_deferred_cap;
static bool closer_handler_set, closer_atexit_set;

/* Voids being made hold copies of the launcher's fds.
 *
 * A void is made by a child cloned from the launcher (native/spawn_clone.c):
 * it starts with a copy of the launcher's fd table, and closes every fd it
 * is not given before it executes void-init, while the spawning thread
 * waits for it. Had a closer closed the launcher's own copy of an fd from
 * a void meanwhile, the child's close would be the last one, and would
 * wait in the child, where no timer ends a linger wait and nothing ends a
 * wait for a pipe's lock: a void that left lingering sockets in its broker
 * socket's queue held another void's making (and the launcher's spawning
 * thread) 25 s, or as long as it liked. So a void being made is in its
 * "window" from before its clone until its child has closed what it was not
 * given (the first thing it does: void_spawn.c drop_launcher_fds, which
 * sets the window's `dropped`; or the clone returned), and while any child
 * is in its window no closer takes an fd out of the table: it waits (tens
 * of microseconds; it looks every 100 µs, as nothing wakes it when a child
 * is done).
 *
 * The other way round, a clone must not copy an fd a closer has begun to
 * close: the child would then hold the last copy. A closer takes the fd out
 * of the table in one step that never waits, dup2() of the placeholder
 * over it (the old file's last close follows, under the closer's timer,
 * and may still wait for a pipe's lock: the fd is out of the table by
 * then); a spawn waits until every admitted closer's fd is the placeholder
 * (or closed), and then for nothing else, so a close stuck on a lock stops
 * no spawn. Closers and spawns take turns in order of arrival: a spawn lets
 * the closers that asked before it go first, and a closer waits only for
 * the spawns already in their window, so neither can starve the other.
 * (closer_lock guards all of it.) */
static struct spawn_window *spawn_windows; /* the spawns under way, linked */
static bool spawn_window_open(void);
static uint64_t closers_arrived, closers_admitted;
static pthread_cond_t closer_turn = PTHREAD_COND_INITIALIZER;
/* The fd each admitted closer is taking out of the table, or -1. */
static int closer_taking[CLOSER_MAX];
/* The read end of a pipe of the launcher's own, never given to anyone:
 * dup2'd over an fd to take it out of the table. -1: none could be made,
 * and closers and spawns do not wait for each other (as before). */
static int placeholder = -1;
static dev_t placeholder_dev;
static ino_t placeholder_ino;

static uint64_t closer_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Waits on cv (closer_lock held) until woken or ns nanoseconds (< 1 s)
 * have passed; the caller looks again either way. The conditions keep the
 * default clock, CLOCK_REALTIME (a monotonic one would need a symbol above
 * the addon's glibc baseline, glibc_compat.h): a clock set back stretches
 * one wait until the next wake — for a closer's turn, the end of the spawn
 * it waits for (closers_spawn_leave); for the watch, the next fd given. */
static void closer_wait_ns(pthread_cond_t *cv, long ns) {
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_nsec += ns;
  if (at.tv_nsec >= 1000000000L) {
    at.tv_sec++;
    at.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(cv, &closer_lock, &at);
}

static void closer_interrupt(int sig) {
  (void)sig; /* only to end the wait the signal interrupted */
}

/* A timer that sends CLOSER_SIGNAL to the calling thread; false without
 * one (the closer then closes without it). The timer calls are made
 * directly: glibc's timer_create is versioned GLIBC_2.34 (libc and librt
 * merged), above the addon's baseline (glibc_compat.h), and the kernel's
 * timer id is a plain int. The handler is installed (closer_lock held)
 * before the first closer starts. */
static int closer_timer_settime(int timer, const struct itimerspec *value) {
  return (int)syscall(SYS_timer_settime, timer, 0, value, NULL);
}

static bool closer_timer(int *timer) {
  if (!closer_handler_set) return false;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = CLOSER_SIGNAL;
  ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, timer) < 0) return false;
  sigset_t mine;
  sigemptyset(&mine);
  sigaddset(&mine, CLOSER_SIGNAL);
  pthread_sigmask(SIG_UNBLOCK, &mine, NULL);
  return true;
}

/* Takes (closer_lock held) a deferred fd of the file dev/ino, or -1. */
static int closer_take_deferred(dev_t dev, ino_t ino) {
  for (size_t i = 0; i < closer_deferred_len; i++) {
    if (closer_deferred[i].dev != dev || closer_deferred[i].ino != ino) continue;
    int fd = closer_deferred[i].fd;
    closer_deferred[i] = closer_deferred[--closer_deferred_len];
    return fd;
  }
  return -1;
}

/* Whether (closer_lock held) another closer's close under way is of the
 * file dev/ino. */
static bool closer_closing(size_t self, dev_t dev, ino_t ino) {
  for (size_t i = 0; i < CLOSER_MAX; i++)
    if (i != self && closer_slot_used[i] && closer_since[i] != 0 && closer_dev[i] == dev && closer_ino[i] == ino) return true;
  return false;
}

static void *closer(void *arg) {
  size_t slot = (size_t)(uintptr_t)arg;
  int timer = -1;
  bool timed = closer_timer(&timer);
  const struct itimerspec patience = {.it_value = {.tv_sec = 0, .tv_nsec = CLOSER_PATIENCE_NS},
                                      .it_interval = {.tv_sec = 0, .tv_nsec = CLOSER_PATIENCE_NS}};
  const struct itimerspec off = {0};
  bool last = false; /* last_dev/last_ino: the file this closer closed last */
  dev_t last_dev = 0;
  ino_t last_ino = 0;
  pthread_mutex_lock(&closer_lock);
  for (;;) {
    /* Closes of one file wait on one thing (a pipe's lock is taken by
     * every last close of each of its open files): they are made one after
     * the other, by the closer that closed it last, so one lock held stops
     * one closer, not all of them. */
    /* The last closer to finish closing a file takes what waits for it:
     * one still closing it (stuck) keeps what waits; one that closed a
     * copy of it meanwhile must not leave it waiting for nobody. */
    int fd = last && !closer_closing(slot, last_dev, last_ino) ? closer_take_deferred(last_dev, last_ino) : -1;
    dev_t dev = last_dev;
    ino_t ino = last_ino;
    if (fd < 0) {
      last = false;
      if (closer_len == 0) {
        if (closers_waiting > 0) break; /* another closer waits already: this one ends */
        closers_waiting++;
        while (closer_len == 0) pthread_cond_wait(&closer_wake, &closer_lock);
        closers_waiting--;
      }
      fd = closer_queue[--closer_len];
      pthread_mutex_unlock(&closer_lock);
      struct stat st;
      bool known = void_fstat(fd, &st) == 0;
      pthread_mutex_lock(&closer_lock);
      dev = known ? st.st_dev : 0;
      ino = known ? st.st_ino : 0;
      if (known && closer_closing(slot, dev, ino)) {
        /* Another copy of a file already waiting here is not its last
         * reference: its close cannot wait for anything. Only one copy of
         * each open file waits (kcmp; without it, every copy does). */
        bool copy = false;
        for (size_t i = 0; i < closer_deferred_len && !copy; i++)
          copy = closer_deferred[i].dev == dev && closer_deferred[i].ino == ino &&
                 syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, closer_deferred[i].fd, fd) == 0;
        if (copy) goto close_it;
        if (closer_deferred_len == closer_deferred_cap) {
          size_t cap = closer_deferred_cap ? closer_deferred_cap * 2 : 64;
          struct closer_deferred *d = realloc(closer_deferred, cap * sizeof *d);
          if (d == NULL) goto close_it; /* no room to wait: close it now */
          closer_deferred = d;
          closer_deferred_cap = cap;
        }
        closer_deferred[closer_deferred_len++] = (struct closer_deferred){dev, ino, fd};
        continue;
      }
    }
  close_it:
    closer_dev[slot] = dev;
    closer_ino[slot] = ino;
    closer_since[slot] = closer_now();
    closers_busy++;
    pthread_mutex_unlock(&closer_lock);
    /* A lingering socket's last close waits for its unsent data, for as
     * long as the void asked (INT_MAX seconds: for ever). Linger off: the
     * close returns at once and the kernel still sends what is queued, then
     * FIN, in the background. (ENOTSOCK for anything else: ignored.) Before
     * its turn: nothing a void does to the socket then holds up a spawn. */
    struct linger lg = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (placeholder >= 0) {
      /* Its turn: no void being made holds a copy of the table (above). */
      pthread_mutex_lock(&closer_lock);
      closers_arrived++;
      while (spawn_window_open()) closer_wait_ns(&closer_turn, 100000L);
      closers_admitted++;
      closer_taking[slot] = fd;
      pthread_cond_broadcast(&closer_turn);
      pthread_mutex_unlock(&closer_lock);
    }
    if (timed) closer_timer_settime(timer, &patience);
    /* Out of the table at once (the placeholder takes its place), then the
     * last close, which may wait. */
    bool swapped = placeholder >= 0 && dup2(placeholder, fd) == fd;
    if (!swapped) close(fd);
    if (timed) closer_timer_settime(timer, &off);
    pthread_mutex_lock(&closer_lock);
    if (swapped) close(fd); /* the placeholder's copy: never the last */
    closer_taking[slot] = -1;
    pthread_cond_broadcast(&closer_turn);
    closer_since[slot] = 0;
    closers_busy--;
    last = dev != 0 || ino != 0;
    last_dev = dev;
    last_ino = ino;
    if (closer_len == 0 && closer_deferred_len == 0 && closers_busy == 0) pthread_cond_broadcast(&closer_idle);
  }
  closer_slot_used[slot] = false;
  closers--;
  pthread_mutex_unlock(&closer_lock);
  if (timed) syscall(SYS_timer_delete, timer);
  return NULL;
}

/* At exit (atexit, on the thread that calls exit(3)): waits until the
 * closers have closed everything they were given, for 2 s at most. An fd
 * left open would be closed by the kernel as the process ends, in the
 * exiting thread, where no signal ends a linger wait: a lingering socket
 * in the queue of a unix socket the launcher still held would hold up the
 * launcher's exit (its parent's wait) for the linger time. */
static void closer_drain_at_exit(void) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  pthread_mutex_lock(&closer_lock);
  while (closer_len > 0 || closer_deferred_len > 0 || closers_busy > 0)
    if (pthread_cond_timedwait(&closer_idle, &closer_lock, &deadline) != 0) break;
  pthread_mutex_unlock(&closer_lock);
}

/* The watch: while fds wait in the queue, it looks every 20 ms for closes
 * that have become stuck since (closer_dispatch), so fds queued behind a
 * close that was still young get a closer of their own even when nothing
 * more is sent. It sleeps while the queue is empty. */
static pthread_cond_t closer_watch_wake = PTHREAD_COND_INITIALIZER;
static bool closer_watch_started;
/* The watch sleeps until woken (closer_lock): only then does closer_give
 * wake it; while it looks every 20 ms it sees new fds by itself, and
 * waking it for each would cost a switch of threads per closeLater. */
static bool closer_watch_idle;
static bool closer_dispatch(void);

static void *closer_watch(void *unused) {
  (void)unused;
  pthread_mutex_lock(&closer_lock);
  for (;;) {
    if (closer_len == 0) {
      closer_watch_idle = true;
      pthread_cond_wait(&closer_watch_wake, &closer_lock);
      closer_watch_idle = false;
      continue;
    }
    closer_wait_ns(&closer_watch_wake, 20000000L);
    if (closer_len > 0) closer_dispatch();
  }
  return NULL;
}

/* (closer_lock held, before the first closer starts) */
static void closer_make_placeholder(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return;
  close(p[1]);
  struct stat st;
  if (void_fstat(p[0], &st) < 0) {
    close(p[0]);
    return;
  }
  placeholder_dev = st.st_dev;
  placeholder_ino = st.st_ino;
  for (size_t i = 0; i < CLOSER_MAX; i++) closer_taking[i] = -1;
  placeholder = p[0];
}

/* Whether (closer_lock held) some admitted closer's fd is still in the
 * table as itself, not yet the placeholder. */
static bool closer_taking_any(void) {
  for (size_t i = 0; i < CLOSER_MAX; i++) {
    if (closer_taking[i] < 0) continue;
    struct stat st;
    if (void_fstat(closer_taking[i], &st) < 0 || st.st_dev != placeholder_dev || st.st_ino != placeholder_ino) return true;
  }
  return false;
}

/* Whether (closer_lock held) a child may still hold copies of the
 * launcher's fds. */
static bool spawn_window_open(void) {
  for (struct spawn_window *w = spawn_windows; w != NULL; w = w->next)
    if (__atomic_load_n(&w->dropped, __ATOMIC_ACQUIRE) == 0) return true;
  return false;
}

void closers_spawn_enter(struct spawn_window *w) {
  w->dropped = 0;
  pthread_mutex_lock(&closer_lock);
  if (placeholder >= 0) {
    uint64_t ahead = closers_arrived;
    for (;;) {
      if (closers_admitted < ahead) {
        pthread_cond_wait(&closer_turn, &closer_lock);
        continue;
      }
      if (!closer_taking_any()) break;
      /* A closer is between its turn and its dup2 (microseconds, unless it
       * lost its core): look again shortly. */
      pthread_mutex_unlock(&closer_lock);
      struct timespec moment = {0, 20000};
      nanosleep(&moment, NULL);
      pthread_mutex_lock(&closer_lock);
    }
  }
  w->next = spawn_windows;
  spawn_windows = w;
  pthread_mutex_unlock(&closer_lock);
}

void closers_spawn_leave(struct spawn_window *w) {
  pthread_mutex_lock(&closer_lock);
  for (struct spawn_window **p = &spawn_windows; *p != NULL; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
  pthread_cond_broadcast(&closer_turn);
  pthread_mutex_unlock(&closer_lock);
}

/* With closer_lock held, after queueing: wakes the closer that waits, or,
 * when none waits and every close under way has lasted CLOSER_STUCK_NS (or
 * there is no closer yet), starts another. false: none could start (the
 * caller then closes what it queued itself, if no closer is alive). */
static bool closer_dispatch(void) {
  if (closers_waiting > 0) {
    pthread_cond_signal(&closer_wake);
    return true;
  }
  uint64_t now = closer_now();
  for (unsigned i = 0; i < CLOSER_MAX; i++)
    if (closer_slot_used[i] && (closer_since[i] == 0 || now - closer_since[i] < (uint64_t)CLOSER_STUCK_NS)) return true;
  if (closers >= CLOSER_MAX) return true; /* all stuck: the queue waits (docs/security.md) */
  if (!closer_handler_set) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = closer_interrupt; /* no SA_RESTART: the wait must end */
    sigemptyset(&sa.sa_mask);
    closer_handler_set = sigaction(CLOSER_SIGNAL, &sa, NULL) == 0;
  }
  if (placeholder < 0 && closers == 0) closer_make_placeholder();
  unsigned slot = 0;
  while (closer_slot_used[slot]) slot++;
  if (start_thread(closer, (void *)(uintptr_t)slot) != 0) return closers > 0;
  closer_slot_used[slot] = true;
  closer_since[slot] = 0;
  closers++;
  if (!closer_atexit_set) closer_atexit_set = atexit(closer_drain_at_exit) == 0;
  if (!closer_watch_started) closer_watch_started = start_thread(closer_watch, NULL) == 0;
  return true;
}

/* Queues fds for the closers (closer_lock held); one that cannot be
 * queued (no memory) is closed here. */
static void closer_queue_locked(int fd) {
  if (closer_len == closer_cap) {
    size_t cap = closer_cap ? closer_cap * 2 : 64;
    int *q = realloc(closer_queue, cap * sizeof *q);
    if (q == NULL) {
      close(fd);
      return;
    }
    closer_queue = q;
    closer_cap = cap;
  }
  closer_queue[closer_len++] = fd;
}

/* Gives fds to the closers; without any closer thread (none could start)
 * they are closed here rather than leaked. */
static void closer_give(const int *fds, size_t n) {
  pthread_mutex_lock(&closer_lock);
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) closer_queue_locked(fds[i]);
  /* With nothing to close and no closer yet, one is started all the same:
   * closeLater([]) makes the first closer (and its timer) before any void
   * runs, so no void can keep it from having one (a timer needs a queued
   * signal of the launcher's user, a count a void can use up). */
  if ((closer_len > 0 || closers == 0) && !closer_dispatch() && closers == 0)
    while (closer_len > 0) close(closer_queue[--closer_len]);
  if (closer_len > 0 && closer_watch_idle) pthread_cond_signal(&closer_watch_wake);
  pthread_mutex_unlock(&closer_lock);
}

/* closeLater(fds): closes each fd on a closer thread. */
napi_value js_close_later(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  int batch[64];
  size_t len = 0;
  /* closeLater([]) starts the first closer (closer_give): the launcher
   * calls it before any void runs. */
  if (n == 0) closer_give(NULL, 0);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    batch[len++] = arg_int(env, v);
    if (len == 64 || i + 1 == n) {
      closer_give(batch, len);
      len = 0;
    }
  }
  return NULL;
}

/* Whether more than CLOSER_BACKLOG_MAX fds given to the closers are not
 * closed yet (waiting, or in a close under way). Closes take microseconds;
 * a backlog this long means closes a void stalls (a pipe whose lock it
 * holds): readers of what voids send (the broker, FileSocket triggers,
 * relays of unix sockets) then take nothing more until the closers catch
 * up, or what a void keeps sending would fill the launcher's fd table. */
#define CLOSER_BACKLOG_MAX 1024
static bool closer_behind(void) {
  pthread_mutex_lock(&closer_lock);
  bool behind = closer_len + closer_deferred_len + closers_busy > CLOSER_BACKLOG_MAX;
  pthread_mutex_unlock(&closer_lock);
  return behind;
}

/* closersBehind() -> closer_behind(). */
napi_value js_closers_behind(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  napi_value result;
  napi_get_boolean(env, closer_behind(), &result);
  return result;
}
