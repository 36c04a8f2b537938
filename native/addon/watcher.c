/*
 * watcher.c — one thread that waits with epoll on every live void and
 * every watched fd, and posts what happens to JavaScript.
 *
 * Watching voids: the watcher waits on each void's pidfd and status pipe,
 * and posts events through a thread-safe function, so exits are seen on
 * the event loop without ever calling waitpid(-1) (which would steal
 * libuv's children). waitid(P_PIDFD) reaps exactly that void. Events:
 *   onEvent(id, "record", text)        lines from the status pipe (plan.h)
 *   onEvent(id, "exit", text, status)  the void's init exited; `status` is
 *                                      its wait status decoded as
 *                                      {code} or {signal}; `text` holds
 *                                      the status lines not yet delivered
 *   onEvent(id, "readable")            a watched fd is readable
 *   onEvent(id, "ended")               a relay finished (relay.c)
 *   onEvent(id, "dropped")             a framed relay dropped a message
 *                                      too long (relay.c)
 * The thread-safe function is referenced (keeps Node alive) only while at
 * least one void, watch or relay is alive.
 *
 * Watching fds (a trigger source, an RPC broker socket, a Connect's UDP
 * socket): readiness is reported once per rearm (EPOLLONESHOT), so
 * JavaScript reads at its own pace — that is how trigger concurrency is
 * bounded without dropping messages.
 *
 *   watch(fd) -> id    report "readable" once; rearm(id) for the next
 *   rearm(id)
 *   unwatch(id)        stop watching; closing the fd stays the caller's job
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"
#include "../linux_compat.h"

/* ---- the table of what is watched (shared by the main and watcher threads) ---- */

/* An entry is a void (its pidfd and status pipe) or a watched fd. */
struct watched {
  uint32_t id;
  int is_fd;           /* a watched fd (watch), not a void */
  pid_t pid;           /* void: its host pid */
  int pidfd;           /* void: its pidfd; else -1 */
  int fd;              /* watched fd: the fd; else -1 */
  int status_rd;       /* void: status pipe, -1 once it hung up */
  size_t status_bytes; /* void: read from the status pipe so far */
  struct watched *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watched *table;
static uint32_t next_id = 1;
static int epoll_fd = -1;
static napi_threadsafe_function on_event;
/* Voids, watches and relays that keep Node alive; main thread only.
 * Signed: an exit event may be delivered before the spawn's completion
 * callback. */
static int live_count;

/* The epoll data of an entry: its id, and which of a void's two fds. */
#define EV_PIDFD 0u /* a void's pidfd, or a watched fd */
#define EV_STATUS 1u
static uint64_t ev_data(uint32_t id, unsigned which) {
  return ((uint64_t)id << 1) | which;
}

struct event {
  uint32_t id;
  enum event_kind kind;
  int code;   /* exit code, or -1 */
  int signal; /* terminating signal, or 0 */
  size_t len;
  char text[];
};

static struct watched *find_locked(uint32_t id) {
  for (struct watched *w = table; w; w = w->next)
    if (w->id == id) return w;
  return NULL;
}

uint32_t watcher_new_id(void) {
  pthread_mutex_lock(&table_lock);
  uint32_t id = next_id++;
  pthread_mutex_unlock(&table_lock);
  return id;
}

void post(uint32_t id, enum event_kind kind, int code, int sig, const char *text, size_t len) {
  struct event *e = malloc(sizeof *e + len + 1);
  if (e == NULL) return;
  e->id = id;
  e->kind = kind;
  e->code = code;
  e->signal = sig;
  e->len = len;
  memcpy(e->text, text, len);
  e->text[len] = 0;
  napi_call_threadsafe_function(on_event, e, napi_tsfn_blocking);
}

/* Reads what is available on a status pipe (non-blocking). Returns bytes
 * read into buf; sets *eof when the writers are gone. */
static size_t drain(int fd, char *buf, size_t cap, int *eof) {
  size_t len = 0;
  *eof = 0;
  while (len < cap) {
    ssize_t n = read(fd, buf + len, cap - len);
    if (n > 0) {
      len += (size_t)n;
      continue;
    }
    if (n == 0) *eof = 1;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  return len;
}

/* What a void's status pipe may carry in all: a handful of records of at
 * most PATH_MAX + 512 bytes each (plan.h). More means the pipe is not
 * void-init's any more: the launcher stops reading it and reports the
 * void as failed ("F" record), so no void can make the launcher buffer
 * without bound. */
static const char status_flood[] = "F\tstatus pipe flooded\n";

/* Stops reading a void's status pipe for good. Called with table_lock held. */
static void close_status(struct watched *v) {
  if (v->status_rd < 0) return;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
  close(v->status_rd);
  v->status_rd = -1;
}

/* Accounts len bytes just read from v's status pipe; past the bound, stops
 * reading it for good and replaces what was read by an "F" record.
 * Called with table_lock held. */
static size_t bound_status(struct watched *v, char *buf, size_t len) {
  v->status_bytes += len;
  if (v->status_bytes <= (size_t)VOID_STATUS_MAX_BYTES) return len;
  close_status(v);
  if (v->status_bytes - len > (size_t)VOID_STATUS_MAX_BYTES) return 0; /* reported already */
  memcpy(buf, status_flood, sizeof status_flood - 1);
  return sizeof status_flood - 1;
}

static void *watcher(void *unused) {
  (void)unused;
  char buf[65536];
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 64, -1);
    if (n < 0) continue;
    for (int i = 0; i < n; i++) {
      uint32_t id = (uint32_t)(events[i].data.u64 >> 1);
      unsigned which = (unsigned)(events[i].data.u64 & 1);
      pthread_mutex_lock(&table_lock);
      struct watched *v = find_locked(id);
      if (v == NULL) {
        pthread_mutex_unlock(&table_lock);
        continue;
      }
      if (v->is_fd) {
        pthread_mutex_unlock(&table_lock);
        post(id, EVENT_READABLE, -1, 0, "", 0);
        continue;
      }
      if (which == EV_STATUS) {
        int eof = 0;
        size_t len = v->status_rd >= 0 ? drain(v->status_rd, buf, sizeof buf, &eof) : 0;
        len = bound_status(v, buf, len);
        if (eof) close_status(v);
        pthread_mutex_unlock(&table_lock);
        if (len > 0) post(id, EVENT_RECORD, -1, 0, buf, len);
        continue;
      }
      siginfo_t info;
      memset(&info, 0, sizeof info);
      if (waitid((idtype_t)P_PIDFD, (id_t)v->pidfd, &info, WEXITED | WNOHANG | __WALL) < 0 || info.si_pid == 0) {
        pthread_mutex_unlock(&table_lock);
        continue;
      }
      /* Exited and reaped. Everything the void wrote is in the pipe now:
       * void-init reports before exiting and its children close the pipe on
       * exec, so read it to the end. */
      size_t len = 0;
      if (v->status_rd >= 0) {
        int eof = 0;
        len = drain(v->status_rd, buf, sizeof buf, &eof);
        len = bound_status(v, buf, len);
        close_status(v);
      }
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->pidfd, NULL);
      close(v->pidfd);
      struct watched **pp = &table;
      while (*pp != v) pp = &(*pp)->next;
      *pp = v->next;
      free(v);
      pthread_mutex_unlock(&table_lock);
      int code = info.si_code == CLD_EXITED ? info.si_status : -1;
      int sig = info.si_code == CLD_EXITED ? 0 : info.si_status;
      post(id, EVENT_EXIT, code, sig, buf, len);
    }
  }
  return NULL;
}

void keep_alive(napi_env env, int delta) {
  if (delta > 0 && live_count++ == 0) napi_ref_threadsafe_function(env, on_event);
  if (delta < 0 && --live_count == 0) napi_unref_threadsafe_function(env, on_event);
}

/* Runs on the main thread for each posted event. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  struct event *e = data;
  if (env != NULL) {
    napi_value argv[4], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_uint32(env, e->id, &argv[0]);
    const char *kind = e->kind == EVENT_EXIT       ? "exit"
                       : e->kind == EVENT_READABLE ? "readable"
                       : e->kind == EVENT_ENDED    ? "ended"
                       : e->kind == EVENT_DROPPED  ? "dropped"
                                                   : "record";
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_string_utf8(env, e->text, e->len, &argv[2]);
    napi_create_object(env, &argv[3]);
    if (e->kind == EVENT_EXIT) {
      if (e->code >= 0)
        set_named_int(env, argv[3], "code", e->code);
      else
        set_named_int(env, argv[3], "signal", e->signal);
      keep_alive(env, -1);
    }
    if (e->kind == EVENT_ENDED) keep_alive(env, -1);
    napi_call_function(env, undefined, js_cb, 4, argv, NULL);
  }
  free(e);
}

int watcher_start(napi_env env, napi_value js_on_event, const char **syscall) {
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    *syscall = "epoll_create1";
    return errno;
  }
  napi_value name;
  *syscall = "napi_create_threadsafe_function";
  if (napi_create_string_utf8(env, "void-watcher", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, js_on_event, NULL, name, 0, 1, NULL, NULL, NULL, call_js, &on_event) != napi_ok ||
      napi_unref_threadsafe_function(env, on_event) != napi_ok)
    return EINVAL;
  *syscall = "pthread_create";
  return start_thread(watcher, NULL);
}

/* Watches a void made by spawn: its status pipe and its pidfd. 0, or the
 * errno of the call that failed, named in *syscall; then nothing is
 * watched and the caller kills and reaps the void itself. epoll_ctl can
 * fail: the watches are charged to the launcher's host uid
 * (fs.epoll.max_user_watches), whose budget an unprivileged launcher's
 * voids share (outside attack 53: a void holding it all made every void
 * started meanwhile one nobody watched — never reaped, its end never
 * told, the run never over). */
int watcher_add_void(pid_t pid, int pidfd, int status_rd, uint32_t *id, const char **syscall) {
  struct watched *v = calloc(1, sizeof *v);
  if (v == NULL) {
    *syscall = "calloc";
    return ENOMEM;
  }
  pthread_mutex_lock(&table_lock);
  v->id = next_id++;
  v->pid = pid;
  v->pidfd = pidfd;
  v->fd = -1;
  v->status_rd = status_rd;
  /* In the table only once both watches hold; the watcher thread looks
   * an event's id up under this lock, so none is missed meanwhile. */
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = ev_data(v->id, EV_STATUS);
  int err = 0;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, v->status_rd, &ev) < 0) {
    err = errno;
  } else {
    ev.data.u64 = ev_data(v->id, EV_PIDFD);
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, v->pidfd, &ev) < 0) {
      err = errno;
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
    }
  }
  if (err != 0) {
    pthread_mutex_unlock(&table_lock);
    free(v);
    *syscall = "epoll_ctl";
    return err;
  }
  v->next = table;
  table = v;
  *id = v->id;
  pthread_mutex_unlock(&table_lock);
  return 0;
}

int watcher_signal(uint32_t id, int sig) {
  int err = ESRCH;
  pthread_mutex_lock(&table_lock);
  struct watched *v = find_locked(id);
  /* Under the lock the pidfd cannot be closed (and its number reused)
   * between the lookup and the signal. */
  if (v && !v->is_fd) err = syscall(SYS_pidfd_send_signal, v->pidfd, sig, NULL, 0) < 0 ? errno : 0;
  pthread_mutex_unlock(&table_lock);
  return err;
}

/* ---- watched fds ---- */

static int arm(struct watched *w, int op) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
  ev.data.u64 = ev_data(w->id, EV_PIDFD);
  return epoll_ctl(epoll_fd, op, w->fd, &ev);
}

napi_value js_watch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  struct watched *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, ENOMEM, "calloc", "(watch)");
  w->is_fd = 1;
  w->pidfd = -1;
  w->fd = arg_int(env, argv[0]);
  w->status_rd = -1;
  pthread_mutex_lock(&table_lock);
  w->id = next_id++;
  w->next = table;
  table = w;
  int rc = arm(w, EPOLL_CTL_ADD);
  int err = errno;
  uint32_t id = w->id;
  if (rc < 0) {
    table = w->next;
    free(w);
  }
  pthread_mutex_unlock(&table_lock);
  if (rc < 0) return throw_errno(env, err, "epoll_ctl", "(watch)");
  keep_alive(env, 1);
  napi_create_uint32(env, id, &result);
  return result;
}

napi_value js_rearm(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  pthread_mutex_lock(&table_lock);
  struct watched *w = find_locked(id);
  if (w && w->is_fd) arm(w, EPOLL_CTL_MOD);
  pthread_mutex_unlock(&table_lock);
  return NULL;
}

napi_value js_unwatch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  int found = 0;
  pthread_mutex_lock(&table_lock);
  struct watched **pp = &table;
  while (*pp && !((*pp)->id == id && (*pp)->is_fd)) pp = &(*pp)->next;
  if (*pp) {
    struct watched *w = *pp;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
    *pp = w->next;
    free(w);
    found = 1;
  }
  pthread_mutex_unlock(&table_lock);
  if (found) keep_alive(env, -1);
  return NULL;
}
