/*
 * void_addon.c — the Node-API face of the native layer.
 *
 * It makes no policy: TypeScript decides what a void gets and hands over a
 * flat plan; this file spawns it and reports what happens to it.
 *
 *   init(initPath, onEvent)  open void-init (O_PATH) and start the watcher
 *   spawn(planBuffer)        -> Promise<{ id, pid }>; cloned on a libuv
 *                            worker thread (CLONE_VFORK suspends only that
 *                            thread, never the event loop)
 *   signal(id, sig)          pidfd_send_signal; -errno or 0
 *   hostFeatures()           what the running kernel supports (void doctor)
 *   relay(from, to)          -> id: a thread of its own copies from -> to
 *                            (on its own copies of both fds) until EOF on
 *                            `from` or relayStop(id); "ended" is posted
 *   cloneExit(flags, count)  benchmarks only: -> Promise<number[]>, the ns
 *                            of `count` bare clone+exit+reap with the given
 *                            CLONE_NEW* flags, on a libuv worker thread
 *
 * Watching voids: one watcher thread waits with epoll on every live void's
 * pidfd and status pipe, and posts events to JavaScript through a
 * thread-safe function, so exits are seen on the event loop without ever
 * calling waitpid(-1) (which would steal libuv's children). Events:
 *   onEvent(id, "record", text)        lines from the status pipe (plan.h)
 *   onEvent(id, "exit", text, status)  the void's init exited; `status` is
 *                                      its wait status decoded as
 *                                      {code} or {signal}; `text` holds
 *                                      the status lines not yet delivered
 *   onEvent(id, "ended")               a relay finished
 * The thread-safe function is referenced (keeps Node alive) only while at
 * least one void is alive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>

#include "clone_exit.h"
#include "linux_compat.h"
#include "plan.h"

#define CHECK(env, call)                                                  \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), NULL, "void addon: Node-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* ---- the table of live voids (shared by the main and watcher threads) ---- */

/* An entry is a void (pidfd + status pipe) or a watched fd (a trigger
 * source or an RPC broker socket: readiness is reported once per rearm,
 * EPOLLONESHOT, so JavaScript reads at its own pace — that is how trigger
 * concurrency is bounded without dropping messages). */
struct live_void {
  uint32_t id;
  int is_watch;
  pid_t pid;
  int pidfd;     /* void: its pidfd; watch: the watched fd */
  int status_rd; /* void: status pipe, -1 once it hung up */
  size_t status_bytes; /* void: read from the status pipe so far */
  struct live_void *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_void *table;
static uint32_t next_id = 1;
static int epoll_fd = -1;
static int init_fd = -1;
static int self_pidfd = -1; /* this process's own pidfd, for voids to check we live */
static napi_threadsafe_function on_event;
/* Voids and watches that keep Node alive; main thread only. Signed: an
 * exit event may be delivered before the spawn's completion callback. */
static int live_count;

enum event_kind { EVENT_RECORD, EVENT_EXIT, EVENT_READABLE, EVENT_ENDED };

struct event {
  uint32_t id;
  enum event_kind kind;
  int code;   /* exit code, or -1 */
  int signal; /* terminating signal, or 0 */
  size_t len;
  char text[];
};

static struct live_void *find_locked(uint32_t id) {
  for (struct live_void *v = table; v; v = v->next)
    if (v->id == id) return v;
  return NULL;
}

static void post(uint32_t id, enum event_kind kind, int code, int sig, const char *text, size_t len) {
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

#define EV_PIDFD 0u
#define EV_STATUS 1u

/* What a void's status pipe may carry in all: a handful of records of at
 * most PATH_MAX + 512 bytes each (plan.h). More means the pipe is not
 * void-init's any more: the launcher stops reading it and reports the
 * void as failed ("F" record), so no void can make the launcher buffer
 * without bound. The bound is the contract's VOID_STATUS_MAX_BYTES. */
static const char status_flood[] = "F\tstatus pipe flooded\n";

/* Accounts len bytes just read from v's status pipe; past the bound, stops
 * reading it for good and replaces what was read by an "F" record.
 * Called with table_lock held. */
static size_t bound_status(struct live_void *v, char *buf, size_t len) {
  v->status_bytes += len;
  if (v->status_bytes <= (size_t)VOID_STATUS_MAX_BYTES) return len;
  if (v->status_rd >= 0) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
    close(v->status_rd);
    v->status_rd = -1;
  }
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
      struct live_void *v = find_locked(id);
      if (v == NULL) {
        pthread_mutex_unlock(&table_lock);
        continue;
      }
      if (v->is_watch) {
        pthread_mutex_unlock(&table_lock);
        post(id, EVENT_READABLE, -1, 0, "", 0);
        continue;
      }
      if (which == EV_STATUS) {
        int eof = 0;
        size_t len = v->status_rd >= 0 ? drain(v->status_rd, buf, sizeof buf, &eof) : 0;
        len = bound_status(v, buf, len);
        if (eof && v->status_rd >= 0) {
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
          close(v->status_rd);
          v->status_rd = -1;
        }
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
        if (v->status_rd >= 0) {
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
          close(v->status_rd);
        }
      }
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->pidfd, NULL);
      close(v->pidfd);
      struct live_void **pp = &table;
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

/* ---- id maps of a root launcher's voids ---- */

/* A root launcher's voids map an unprivileged host id of their own
 * (src/plan/plan.ts voidUid), which only the parent user namespace may
 * write. The child cannot wait for the thread that cloned it (CLONE_VFORK
 * suspends it until the child execs), so this thread writes the maps: the
 * child sends the address of a struct map_request (plan.h) on mapper_wr
 * and waits for the answer byte. The child's host pid comes from its
 * pidfd, which clone stored in the launcher's memory and fd table before
 * the child ran. */
static int mapper_rd = -1, mapper_wr = -1;

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
  int err = write_proc(pid, "setgroups", "deny");
  if (err == 0) err = write_proc(pid, "uid_map", req->uid_map);
  if (err == 0) err = write_proc(pid, "gid_map", req->gid_map);
  return err;
}

static void *mapper(void *unused) {
  (void)unused;
  for (;;) {
    const struct map_request *req;
    ssize_t n = read(mapper_rd, &req, sizeof req);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof req) continue; /* writes of a pointer are atomic: never partial */
    int err = write_maps(req);
    unsigned char answer = (unsigned char)(err > 255 ? EIO : err);
    if (write(req->ack_wr, &answer, 1) < 0) {
      /* the child reads it; if it is gone, nobody waits */
    }
  }
  return NULL;
}

/* Main thread: a void or watch came (delta 1) or went (-1). The watcher's
 * thread-safe function keeps Node alive only while something is live. */
static void keep_alive(napi_env env, int delta) {
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
                                                   : "record";
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_string_utf8(env, e->text, e->len, &argv[2]);
    napi_create_object(env, &argv[3]);
    if (e->kind == EVENT_EXIT) {
      napi_value v;
      if (e->code >= 0) {
        napi_create_int32(env, e->code, &v);
        napi_set_named_property(env, argv[3], "code", v);
      } else {
        napi_create_int32(env, e->signal, &v);
        napi_set_named_property(env, argv[3], "signal", v);
      }
      keep_alive(env, -1);
    }
    if (e->kind == EVENT_ENDED) keep_alive(env, -1);
    napi_call_function(env, undefined, js_cb, 4, argv, NULL);
  }
  free(e);
}

/* Starts a detached thread of the addon's (the watcher, the id-map
 * writer, a relay, the closer) with every signal blocked: signals belong
 * to Node's main thread. Returns 0 or the error number. */
static int start_thread(void *(*fn)(void *), void *arg) {
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(&thread, &attr, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return rc;
}

/* ---- init ---- */

static napi_value js_init(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (init_fd >= 0) return NULL; /* already initialised (one launcher per process) */
  char path[4096];
  size_t len;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  init_fd = open(path, O_PATH | O_CLOEXEC);
  if (init_fd < 0) {
    char msg[4200];
    snprintf(msg, sizeof msg, "open %s: %s", path, strerror(errno));
    napi_throw_error(env, "ENOENT", msg);
    return NULL;
  }
  self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0); /* close-on-exec by design */
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    napi_throw_error(env, NULL, "epoll_create1 failed");
    return NULL;
  }
  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "void-watcher", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &on_event));
  CHECK(env, napi_unref_threadsafe_function(env, on_event));
  int rc = start_thread(watcher, NULL);
  int mapper_pipe[2];
  int rc2 = rc != 0 ? rc : pipe2(mapper_pipe, O_CLOEXEC) < 0 ? errno : 0;
  if (rc2 == 0) {
    mapper_rd = mapper_pipe[0];
    mapper_wr = mapper_pipe[1];
    rc2 = start_thread(mapper, NULL);
  }
  if (rc != 0) {
    napi_throw_error(env, NULL, "pthread_create (void watcher) failed");
    return NULL;
  }
  if (rc2 != 0) {
    napi_throw_error(env, NULL, "pthread_create (id map writer) failed");
    return NULL;
  }
  return NULL;
}

/* ---- spawn ---- */

struct spawn_work {
  napi_async_work work;
  napi_deferred deferred;
  uint8_t *buf;
  size_t len;
  /* results */
  uint32_t id;
  pid_t pid;
  uint64_t ns_ino[8]; /* the void's namespaces (plan.h ns_ino) */
  int err;           /* errno of a failed syscall, or 0 */
  char errmsg[512];  /* the failure, for the rejection */
};

static void spawn_execute(napi_env env, void *data) {
  (void)env;
  struct spawn_work *w = data;
  struct void_plan plan;
  if (plan_parse(w->buf, w->len, &plan, w->errmsg, sizeof w->errmsg) < 0) {
    w->err = EINVAL;
    return;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    w->err = errno;
    snprintf(w->errmsg, sizeof w->errmsg, "pipe2: %s", strerror(errno));
    plan_free(&plan);
    return;
  }
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  plan.init_fd = init_fd;
  plan.launcher_pidfd = self_pidfd;
  plan.status_fd = pipefd[1];
  int ack[2] = {-1, -1};
  if (plan.options & PLAN_OPT_MAPS_BY_LAUNCHER) {
    if (pipe2(ack, O_CLOEXEC) < 0) {
      w->err = errno;
      snprintf(w->errmsg, sizeof w->errmsg, "pipe2 (id map answer): %s", strerror(errno));
      close(pipefd[0]);
      close(pipefd[1]);
      plan_free(&plan);
      return;
    }
    plan.mapper_fd = mapper_wr;
    plan.map_ack_rd = ack[0];
    plan.map_ack_wr = ack[1];
  }

  struct live_void *v = calloc(1, sizeof *v);
  int pidfd = -1;
  pid_t pid = v ? void_spawn(&plan, &pidfd) : -ENOMEM;
  memcpy(w->ns_ino, plan.ns_ino, sizeof w->ns_ino);
  close(pipefd[1]);
  if (ack[0] >= 0) {
    close(ack[0]);
    close(ack[1]);
  }
  plan_free(&plan);
  if (pid < 0) {
    w->err = -pid;
    snprintf(w->errmsg, sizeof w->errmsg, "clone: %s", strerror(-pid));
    close(pipefd[0]);
    free(v);
    return;
  }
  pthread_mutex_lock(&table_lock);
  v->id = next_id++;
  v->pid = pid;
  v->pidfd = pidfd;
  v->status_rd = pipefd[0];
  v->next = table;
  table = v;
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = ((uint64_t)v->id << 1) | EV_STATUS;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, v->status_rd, &ev);
  ev.data.u64 = ((uint64_t)v->id << 1) | EV_PIDFD;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, v->pidfd, &ev);
  w->id = v->id;
  w->pid = pid;
  pthread_mutex_unlock(&table_lock);
}

/* An Error whose code is err's name (e.g. "EPERM") and whose message is msg. */
static napi_value errno_error(napi_env env, int err, const char *msg) {
  napi_value error, code, message;
  napi_create_string_utf8(env, strerrorname_np(err) ? strerrorname_np(err) : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  return error;
}

static void spawn_complete(napi_env env, napi_status status, void *data) {
  struct spawn_work *w = data;
  napi_value result;
  if (status != napi_ok || w->err != 0) {
    napi_reject_deferred(env, w->deferred, errno_error(env, w->err ? w->err : ECANCELED, w->errmsg[0] ? w->errmsg : "spawn cancelled"));
  } else {
    keep_alive(env, 1);
    napi_value v;
    napi_create_object(env, &result);
    napi_create_uint32(env, w->id, &v);
    napi_set_named_property(env, result, "id", v);
    napi_create_int32(env, w->pid, &v);
    napi_set_named_property(env, result, "pid", v);
    napi_value ns;
    napi_create_array_with_length(env, 8, &ns);
    for (uint32_t i = 0; i < 8; i++) {
      napi_create_double(env, (double)w->ns_ino[i], &v);
      napi_set_element(env, ns, i, v);
    }
    napi_set_named_property(env, result, "namespaces", ns);
    napi_resolve_deferred(env, w->deferred, result);
  }
  napi_delete_async_work(env, w->work);
  free(w->buf);
  free(w);
}

static napi_value js_spawn(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (init_fd < 0) {
    napi_throw_error(env, NULL, "void addon: init() was not called");
    return NULL;
  }
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[0], &data, &len));
  struct spawn_work *w = calloc(1, sizeof *w);
  if (w == NULL || (w->buf = malloc(len ? len : 1)) == NULL) {
    free(w);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  /* Copy: the JS buffer may move or be collected while the worker runs. */
  memcpy(w->buf, data, len);
  w->len = len;
  napi_value promise, name;
  CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "void-spawn", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, spawn_execute, spawn_complete, w, &w->work));
  CHECK(env, napi_queue_async_work(env, w->work));
  return promise;
}

/* ---- signal ---- */

static napi_value js_signal(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  uint32_t id;
  int32_t sig;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  CHECK(env, napi_get_value_int32(env, argv[1], &sig));
  int rc = -ESRCH;
  pthread_mutex_lock(&table_lock);
  struct live_void *v = find_locked(id);
  /* Under the lock the pidfd cannot be closed (and its number reused)
   * between the lookup and the signal. */
  if (v) rc = syscall(SYS_pidfd_send_signal, v->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
  pthread_mutex_unlock(&table_lock);
  CHECK(env, napi_create_int32(env, rc, &result));
  return result;
}

/* ---- watched fds ---- */

static int arm(struct live_void *v, int op) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
  ev.data.u64 = ((uint64_t)v->id << 1) | EV_PIDFD;
  return epoll_ctl(epoll_fd, op, v->pidfd, &ev);
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s%s%s: %s", syscall, what[0] ? " " : "", what, strerror(err));
  napi_value error = errno_error(env, err, msg), sc;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_value errnum;
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static int arg_int(napi_env env, napi_value v) {
  int32_t n = -1;
  napi_get_value_int32(env, v, &n);
  return n;
}

/* watch(fd) -> id: report "readable" once; call rearm(id) for the next. */
static napi_value js_watch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  struct live_void *v = calloc(1, sizeof *v);
  if (v == NULL) return throw_errno(env, ENOMEM, "watch", "fd");
  v->is_watch = 1;
  v->pidfd = arg_int(env, argv[0]);
  v->status_rd = -1;
  pthread_mutex_lock(&table_lock);
  v->id = next_id++;
  v->next = table;
  table = v;
  int rc = arm(v, EPOLL_CTL_ADD);
  int err = errno;
  if (rc < 0) {
    table = v->next;
    free(v);
  }
  pthread_mutex_unlock(&table_lock);
  if (rc < 0) return throw_errno(env, err, "epoll_ctl", "watch");
  keep_alive(env, 1);
  napi_create_uint32(env, v->id, &result);
  return result;
}

static napi_value js_rearm(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  pthread_mutex_lock(&table_lock);
  struct live_void *v = find_locked(id);
  if (v && v->is_watch) arm(v, EPOLL_CTL_MOD);
  pthread_mutex_unlock(&table_lock);
  return NULL;
}

/* unwatch(id): stop watching; the fd itself is the caller's to close. */
static napi_value js_unwatch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  int found = 0;
  pthread_mutex_lock(&table_lock);
  struct live_void **pp = &table;
  while (*pp && !((*pp)->id == id && (*pp)->is_watch)) pp = &(*pp)->next;
  if (*pp) {
    struct live_void *v = *pp;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->pidfd, NULL);
    *pp = v->next;
    free(v);
    found = 1;
  }
  pthread_mutex_unlock(&table_lock);
  if (found) keep_alive(env, -1);
  return NULL;
}

/* ---- stream relays ---- */

/* A relay copies bytes from one fd to another on a thread of its own:
 * between a void's own output pipe (or the voids' shared input socket)
 * and the launcher's real stream (src/orchestrator/streams.ts), and both
 * ways between a void's datagram socket and a brokered UDP socket
 * (src/orchestrator/broker.ts). A write that blocks (a terminal stopped with ^S, a reader that
 * does not read) blocks only this thread: the event loop keeps
 * supervising every void. When `to` fails for good (EPIPE: the reader is
 * gone) the relay goes on reading and drops the bytes, so writers never
 * block on a relay that cannot deliver. It ends at EOF on `from` or when
 * stopped; it then closes both fds and posts "ended". */
struct relay {
  uint32_t id;
  int from, to;
  int stop_rd, stop_wr; /* a pipe: relayStop writes a byte */
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

static void *relay_thread(void *arg) {
  struct relay *r = arg;
  char buf[65536];
  int sink_ok = 1;
  while (relay_wait(r, r->from, POLLIN) == 0) {
    ssize_t n = read(r->from, buf, sizeof buf);
    /* ECONNREFUSED: a connected UDP socket reporting an ICMP error for an
     * earlier datagram; the next one may arrive. */
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)) continue;
    if (n <= 0) break;
    size_t off = 0;
    while (sink_ok && off < (size_t)n) {
      ssize_t w = write(r->to, buf + off, (size_t)n - off);
      if (w > 0) off += (size_t)w;
      else if (w < 0 && errno == EINTR) continue;
      else if (w < 0 && errno == EAGAIN) {
        if (relay_wait(r, r->to, POLLOUT) < 0) goto stopped;
      } else if (w < 0 && (errno == ECONNREFUSED || errno == EMSGSIZE || errno == ENOBUFS || errno == EHOSTUNREACH || errno == ENETUNREACH)) {
        break; /* a datagram that could not go: dropped, as the network would */
      } else sink_ok = 0; /* the reader is gone: drop from now on */
    }
  }
stopped:
  close(r->from);
  close(r->to);
  close(r->stop_rd);
  post(r->id, EVENT_ENDED, -1, 0, "", 0);
  /* stop_wr stays open until relayStop or never: relayStop may still write to it. */
  return NULL;
}

#define MAX_RELAYS 4096
static struct relay *relays[MAX_RELAYS];

/* relay(from, to) -> id. The relay works on copies (F_DUPFD_CLOEXEC) of
 * both fds, closed when it ends; the caller's stay the caller's. */
static napi_value js_relay(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int slot = 0;
  while (slot < MAX_RELAYS && relays[slot] != NULL) slot++;
  if (slot == MAX_RELAYS) return throw_errno(env, EMFILE, "relay", "(4096 relays at most)");
  struct relay *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "relay", "");
  int from = arg_int(env, argv[0]), to = arg_int(env, argv[1]);
  r->from = fcntl(from, F_DUPFD_CLOEXEC, 3);
  r->to = r->from < 0 ? -1 : fcntl(to, F_DUPFD_CLOEXEC, 3);
  int stop[2] = {-1, -1};
  if (r->to < 0 || pipe2(stop, O_CLOEXEC) < 0) {
    int err = errno;
    const char *what = r->to < 0 ? "fcntl F_DUPFD_CLOEXEC" : "pipe2";
    if (r->from >= 0) close(r->from);
    if (r->to >= 0) close(r->to);
    free(r);
    return throw_errno(env, err, what, "(relay)");
  }
  r->stop_rd = stop[0];
  r->stop_wr = stop[1];
  pthread_mutex_lock(&table_lock);
  r->id = next_id++;
  pthread_mutex_unlock(&table_lock);
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
static napi_value js_relay_stop(napi_env env, napi_callback_info cbinfo) {
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
 * blocks: the queue grows while the closer is stuck. */
static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_wake = PTHREAD_COND_INITIALIZER;
static int *closer_queue;
static size_t closer_len, closer_cap;
static int closer_started;

static void *closer(void *unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&closer_lock);
    while (closer_len == 0) pthread_cond_wait(&closer_wake, &closer_lock);
    int fd = closer_queue[--closer_len];
    pthread_mutex_unlock(&closer_lock);
    /* A lingering socket's last close waits for its unsent data, for as
     * long as the void asked (INT_MAX seconds: for ever). Linger off: the
     * close returns at once and the kernel still sends what is queued, then
     * FIN, in the background. (ENOTSOCK for anything else: ignored.) */
    struct linger off = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    close(fd);
  }
  return NULL;
}

/* closeLater(fds): closes each fd on the closer thread. */
static napi_value js_close_later(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  pthread_mutex_lock(&closer_lock);
  if (!closer_started) closer_started = start_thread(closer, NULL) == 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    int fd = arg_int(env, v);
    if (fd < 0) continue;
    if (!closer_started) { /* no thread: close here rather than leak */
      close(fd);
      continue;
    }
    if (closer_len == closer_cap) {
      size_t cap = closer_cap ? closer_cap * 2 : 64;
      int *q = realloc(closer_queue, cap * sizeof *q);
      if (q == NULL) {
        close(fd);
        continue;
      }
      closer_queue = q;
      closer_cap = cap;
    }
    closer_queue[closer_len++] = fd;
  }
  pthread_cond_signal(&closer_wake);
  pthread_mutex_unlock(&closer_lock);
  return NULL;
}

/* ---- fd plumbing: pipes, socket pairs, listeners, fd passing ---- */

static napi_value fd_pair(napi_env env, int a, int b) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, a, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_int32(env, b, &v);
  napi_set_element(env, arr, 1, v);
  return arr;
}

/* pipe(packets) -> [read end, write end, packets], both close-on-exec.
 * With packets, a pipe in packet mode (O_DIRECT, Linux 3.4): each write(2)
 * of up to PIPE_BUF bytes is one packet and each read(2) returns exactly
 * one, so a Pipe trigger sees where every write began and ended (longer
 * writes arrive as PIPE_BUF-sized packets). The third element says
 * whether packet mode was granted (a kernel without it: a byte stream). */
static napi_value js_pipe(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  bool packets = false;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_bool(env, argv[0], &packets);
  int fds[2];
  int got = packets && pipe2(fds, O_CLOEXEC | O_DIRECT) == 0;
  if (!got && pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2", "");
  result = fd_pair(env, fds[0], fds[1]);
  napi_get_boolean(env, got, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

/* seqpacketPair() -> [a, b]: AF_UNIX SOCK_SEQPACKET, close-on-exec.
 * SEQPACKET rather than DGRAM: packets keep their boundaries and fds, and
 * the reader sees EOF once every writer has closed its end. */
static napi_value js_seqpacket_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return throw_errno(env, errno, "socketpair", "AF_UNIX SOCK_SEQPACKET");
  return fd_pair(env, fds[0], fds[1]);
}

/* streamPair() -> [a, b]: AF_UNIX SOCK_STREAM, close-on-exec. The relayed
 * standard streams use one instead of a pipe: a pipe can be opened again
 * through /proc/PID/fd in either direction (a void with Procfs would read
 * what other voids write), a socket cannot. */
/* streamPair() -> [read end, write end]: an AF_UNIX stream pair that
 * carries bytes one way only. The read end is what voids share (stdin):
 * shut for writing, so a void cannot send anything back — in particular
 * no fd (SCM_RIGHTS) of a memfd or a Tmpfs file, which would sit unread
 * in the launcher's receive queue, pinning its memory past the void's end
 * and its memory limit. The write end is shut for reading likewise. */
static napi_value js_stream_pair(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return throw_errno(env, errno, "socketpair", "AF_UNIX SOCK_STREAM");
  if (shutdown(fds[0], SHUT_WR) < 0 || shutdown(fds[1], SHUT_RD) < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return throw_errno(env, err, "shutdown", "the stdin socket's back channel");
  }
  return fd_pair(env, fds[0], fds[1]);
}

/* tcpListen(ip, port) -> { fd, port }: bound and listening in the
 * launcher's network namespace, so the void needs no network at all. */
static napi_value js_tcp_listen(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  char ip[64];
  size_t len;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &len));
  int port = arg_int(env, argv[1]);
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  int family;
  if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
    family = AF_INET;
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    sslen = sizeof *in4;
  } else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
    family = AF_INET6;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    sslen = sizeof *in6;
  } else {
    return throw_errno(env, EINVAL, "inet_pton", ip);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", ip);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  char what[96];
  snprintf(what, sizeof what, family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 511) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind/listen", what);
  }
  if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) port = -1;
  else port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, obj, "fd", v);
  napi_create_int32(env, port, &v);
  napi_set_named_property(env, obj, "port", v);
  return obj;
}

/* recvFds(fd, maxBytes) -> null when nothing is waiting (EAGAIN), else
 * { data, fds, eof, truncated }. Never blocks (MSG_DONTWAIT). Received fds
 * are close-on-exec. If a packet carried more fds than fit (MSG_CTRUNC),
 * the kernel has already closed the excess; the ones that arrived are
 * returned with truncated = true for the caller to close. */
static napi_value js_recv_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int max = arg_int(env, argv[1]);
  if (max <= 0 || max > 65536) max = 65536;
  char *data = malloc((size_t)max);
  if (data == NULL) return throw_errno(env, ENOMEM, "recvmsg", "buffer");
  union {
    char buf[CMSG_SPACE(sizeof(int) * VOID_MESSAGE_MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {data, (size_t)max};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null;
      napi_get_null(env, &null);
      return null;
    }
    return throw_errno(env, err, "recvmsg", "");
  }
  napi_value obj, v, fds;
  napi_create_object(env, &obj);
  napi_create_array(env, &fds);
  uint32_t count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *p = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < k; i++) {
      int got;
      memcpy(&got, p + i, sizeof got);
      napi_create_int32(env, got, &v);
      napi_set_element(env, fds, count++, v);
    }
  }
  napi_create_buffer_copy(env, (size_t)n, data, NULL, &v);
  free(data);
  napi_set_named_property(env, obj, "data", v);
  napi_set_named_property(env, obj, "fds", fds);
  /* Nothing at all: the end (every writer gone, or the socket shut down
   * for reading: nothing more can arrive), or an empty packet, which a
   * SOCK_SEQPACKET writer may send and which must not end the reader for
   * the other writers. */
  int eof = 0;
  if (n == 0 && count == 0) {
    struct pollfd pfd = {fd, POLLRDHUP, 0};
    eof = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
    if (eof) {
      /* Shut down, but packets may still be queued behind an empty one:
       * peek at the next (without a control buffer, so no fd is
       * installed; MSG_CTRUNC says it carries some). Data or fds: not the
       * end yet. */
      char b;
      struct iovec piov = {&b, 1};
      struct msghdr peek = {.msg_iov = &piov, .msg_iovlen = 1};
      ssize_t m = recvmsg(fd, &peek, MSG_PEEK | MSG_DONTWAIT);
      if (m > 0 || (m == 0 && (peek.msg_flags & MSG_CTRUNC))) eof = 0;
    }
  }
  napi_get_boolean(env, eof, &v);
  napi_set_named_property(env, obj, "eof", v);
  napi_get_boolean(env, (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0, &v);
  napi_set_named_property(env, obj, "truncated", v);
  return obj;
}

/* sendFds(fd, data, fds) -> 0 or -errno. One packet; SCM_RIGHTS when fds
 * is non-empty. */
static napi_value js_send_fds(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  uint32_t nfds = 0;
  CHECK(env, napi_get_array_length(env, argv[2], &nfds));
  if (nfds > VOID_MESSAGE_MAX_FDS) return throw_errno(env, EINVAL, "sendmsg", "too many fds");
  union {
    char buf[CMSG_SPACE(sizeof(int) * VOID_MESSAGE_MAX_FDS)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {data, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    for (uint32_t i = 0; i < nfds; i++) {
      napi_value e;
      napi_get_element(env, argv[2], i, &e);
      int one = arg_int(env, e);
      memcpy(CMSG_DATA(c) + i * sizeof(int), &one, sizeof one);
    }
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? -errno : 0, &result);
  return result;
}

/* recvFrom(fd, maxBytes) -> {data, ip, port} | null: one datagram from an
 * IPv4 UDP socket and who sent it (a Connect's socket in a void,
 * src/orchestrator/connect.ts). Never blocks: null when nothing waits.
 * A datagram longer than maxBytes is cut (UDP semantics). */
static napi_value js_recv_from(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int max = arg_int(env, argv[1]);
  if (max <= 0 || max > 65536) max = 65536;
  char *data = malloc((size_t)max);
  if (data == NULL) return throw_errno(env, ENOMEM, "recvfrom", "buffer");
  struct sockaddr_in from;
  socklen_t fromlen = sizeof from;
  ssize_t n;
  do n = recvfrom(fd, data, (size_t)max, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null;
      napi_get_null(env, &null);
      return null;
    }
    return throw_errno(env, err, "recvfrom", "");
  }
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_buffer_copy(env, (size_t)n, data, NULL, &v);
  free(data);
  napi_set_named_property(env, obj, "data", v);
  char ip[INET_ADDRSTRLEN] = "0.0.0.0";
  if (from.sin_family == AF_INET) inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
  napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "ip", v);
  napi_create_uint32(env, from.sin_family == AF_INET ? ntohs(from.sin_port) : 0, &v);
  napi_set_named_property(env, obj, "port", v);
  return obj;
}

/* sendTo(fd, data, ip, port) -> 0 or -errno: one datagram to an IPv4
 * address, never blocking (a full buffer drops it: EAGAIN). */
static napi_value js_send_to(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], result;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
  char ip[64];
  size_t iplen = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[2], ip, sizeof ip, &iplen));
  int port = arg_int(env, argv[3]);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (port < 1 || port > 65535 || inet_pton(AF_INET, ip, &to.sin_addr) != 1) return throw_errno(env, EINVAL, "sendto", ip);
  ssize_t n;
  do n = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to);
  while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? -errno : 0, &result);
  return result;
}

/* pollReadable(fds) -> boolean[]: is anything (data or EOF) waiting? */
static napi_value js_poll_readable(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_array_length(env, argv[0], &n));
  struct pollfd *p = calloc(n ? n : 1, sizeof *p);
  if (p == NULL) return throw_errno(env, ENOMEM, "poll", "");
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, argv[0], i, &v);
    p[i].fd = arg_int(env, v);
    p[i].events = POLLIN;
  }
  poll(p, n, 0);
  napi_create_array_with_length(env, n, &result);
  for (uint32_t i = 0; i < n; i++) {
    napi_get_boolean(env, (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0, &v);
    napi_set_element(env, result, i, v);
  }
  free(p);
  return result;
}

/* setBlocking(fd, blocking): O_NONBLOCK off or on. */
static napi_value js_set_blocking(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  bool blocking;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  CHECK(env, napi_get_value_bool(env, argv[1], &blocking));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK) < 0)
    return throw_errno(env, errno, "fcntl", "O_NONBLOCK");
  return NULL;
}

/* openNoSymlinks(path) -> an O_PATH fd of path, opened refusing a symlink
 * in any component (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS,
 * Linux 5.6; before that O_NOFOLLOW on the last component only). The
 * launcher resolves a File grant's path itself, refusing symlinks a void
 * could have planted, and then opens the result with this: a component
 * swapped for a symlink in between fails (ELOOP) instead of being
 * followed. */
static napi_value js_open_no_symlinks(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result;
  char path[4096];
  size_t len;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return throw_errno(env, errno, "openat2", path);
  napi_create_int32(env, fd, &result);
  return result;
}

/* socketKind(fd) -> { family, type } of a socket (SO_DOMAIN, SO_TYPE), or
 * null when fd is not a socket: the launcher checks every fd a void sends
 * it before using it. */
static napi_value js_socket_kind(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int family = 0, type = 0;
  socklen_t len = sizeof family;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) {
    napi_get_null(env, &result);
    return result;
  }
  len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  napi_create_int32(env, family, &v);
  napi_set_named_property(env, result, "family", v);
  napi_create_int32(env, type, &v);
  napi_set_named_property(env, result, "type", v);
  return result;
}

/* socketAddress(fd) -> { family, ip, port, stream, listening } of an IPv4 or
 * IPv6 socket (getsockname, SO_TYPE, SO_ACCEPTCONN), or null for anything
 * else: how the launcher recognises the listening sockets a service
 * manager passed it (src/orchestrator/activation.ts). */
static napi_value js_socket_address(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1], result, v;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int type = 0, listening = 0;
  socklen_t ilen = sizeof type;
  char ip[INET6_ADDRSTRLEN] = "";
  int port = 0;
  napi_get_null(env, &result);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return result;
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  } else {
    return result;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0) return result;
  ilen = sizeof listening;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) < 0) return result;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, ss.ss_family == AF_INET ? "inet" : "inet6", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "family", v);
  napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "ip", v);
  napi_create_int32(env, port, &v);
  napi_set_named_property(env, result, "port", v);
  napi_get_boolean(env, type == SOCK_STREAM, &v);
  napi_set_named_property(env, result, "stream", v);
  napi_get_boolean(env, listening != 0, &v);
  napi_set_named_property(env, result, "listening", v);
  return result;
}

/* setCloexec(fd): what was inherited (a service manager's sockets) must
 * not reach other children. */
static napi_value js_set_cloexec(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int fd = arg_int(env, argv[0]);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl F_SETFD", "FD_CLOEXEC");
  return NULL;
}

/* notify(path, message) -> 0 or -errno: one datagram to the service
 * manager's AF_UNIX socket (sd_notify(3)); a leading "@" is the abstract
 * namespace. Never blocks: the socket is non-blocking and a full queue is
 * an error (EAGAIN), not a wait. */
static napi_value js_notify(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char message[4096];
  size_t plen, mlen;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen));
  CHECK(env, napi_get_value_string_utf8(env, argv[1], message, sizeof message, &mlen));
  int rc = 0;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (plen == 0 || plen >= sizeof addr.sun_path) {
    rc = -ENAMETOOLONG;
  } else {
    memcpy(addr.sun_path, path, plen);
    if (path[0] == '@') addr.sun_path[0] = 0;
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '@' ? 0 : 1));
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) rc = -errno;
    else {
      if (sendto(s, message, mlen, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0) rc = -errno;
      close(s);
    }
  }
  napi_create_int32(env, rc, &result);
  return result;
}

/* connect(ip, port, udp, timeoutMs) -> Promise<fd>: for the RPC broker.
 * Runs on a worker thread (a TCP handshake can take seconds). The socket
 * is returned connected, blocking and close-on-exec in the launcher (the
 * flag does not travel with SCM_RIGHTS). */
struct connect_work {
  napi_async_work work;
  napi_deferred deferred;
  char ip[64];
  int port, udp, timeout_ms;
  int fd, err;
  const char *syscall;
};

static void connect_execute(napi_env env, void *data) {
  (void)env;
  struct connect_work *w = data;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  int family;
  if (inet_pton(AF_INET, w->ip, &in4->sin_addr) == 1) {
    family = in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)w->port);
    len = sizeof *in4;
  } else if (inet_pton(AF_INET6, w->ip, &in6->sin6_addr) == 1) {
    family = in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)w->port);
    len = sizeof *in6;
  } else {
    w->err = EINVAL;
    w->syscall = "inet_pton";
    return;
  }
  w->fd = socket(family, (w->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (w->fd < 0) {
    w->err = errno;
    w->syscall = "socket";
    return;
  }
  if (connect(w->fd, (struct sockaddr *)&ss, len) < 0) {
    if (errno != EINPROGRESS) {
      w->err = errno;
      w->syscall = "connect";
    } else {
      struct pollfd p = {w->fd, POLLOUT, 0};
      int rc = poll(&p, 1, w->timeout_ms);
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (rc == 0) w->err = ETIMEDOUT;
      else if (rc < 0) w->err = errno;
      else if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) w->err = errno;
      else w->err = soerr;
      w->syscall = "connect";
    }
  }
  if (w->err == 0) {
    int fl = fcntl(w->fd, F_GETFL);
    fcntl(w->fd, F_SETFL, fl & ~O_NONBLOCK);
  } else {
    close(w->fd);
    w->fd = -1;
  }
}

static void connect_complete(napi_env env, napi_status status, void *data) {
  struct connect_work *w = data;
  napi_value v;
  if (status == napi_ok && w->err == 0) {
    napi_create_int32(env, w->fd, &v);
    napi_resolve_deferred(env, w->deferred, v);
  } else {
    int err = w->err ? w->err : ECANCELED;
    char msg[160];
    snprintf(msg, sizeof msg, "%s %s port %d: %s", w->syscall ? w->syscall : "connect", w->ip, w->port, strerror(err));
    napi_reject_deferred(env, w->deferred, errno_error(env, err, msg));
  }
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value js_connect(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], promise, name;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  struct connect_work *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, ENOMEM, "connect", "");
  size_t len;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], w->ip, sizeof w->ip, &len));
  w->port = arg_int(env, argv[1]);
  bool udp = false;
  napi_get_value_bool(env, argv[2], &udp);
  w->udp = udp;
  w->timeout_ms = arg_int(env, argv[3]);
  w->fd = -1;
  CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "void-connect", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, connect_execute, connect_complete, w, &w->work));
  CHECK(env, napi_queue_async_work(env, w->work));
  return promise;
}

/* ---- cloneExit: the cost of namespaces through the addon (benchmarks) ---- */

#define CLONE_EXIT_NS \
  (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)
#define CLONE_EXIT_STACK (64 * 1024)
#define CLONE_EXIT_MAX 100000

struct clone_exit_work {
  napi_async_work work;
  napi_deferred deferred;
  uint64_t flags;
  uint32_t count;
  int64_t *ns;
  int err;
  const char *syscall;
};

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void clone_exit_execute(napi_env env, void *data) {
  (void)env;
  struct clone_exit_work *w = data;
  void *stack = mmap(NULL, CLONE_EXIT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    w->err = errno;
    w->syscall = "mmap";
    return;
  }
  for (uint32_t i = 0; i < w->count; i++) {
    int64_t t0 = mono_ns();
    /* The same clone as bench/c/ns_cost.c, the C floor it is compared with. */
    long pid = void_clone_exit(w->flags, stack, CLONE_EXIT_STACK);
    if (pid < 0) {
      w->err = (int)-pid;
      w->syscall = "clone3";
      break;
    }
    /* This one child only: never waitpid(-1), which would steal libuv's. */
    int status;
    while (waitpid((pid_t)pid, &status, __WALL) < 0) {
      if (errno != EINTR) {
        w->err = errno;
        w->syscall = "waitpid";
        break;
      }
    }
    if (w->err != 0) break;
    w->ns[i] = mono_ns() - t0;
  }
  munmap(stack, CLONE_EXIT_STACK);
}

static void clone_exit_complete(napi_env env, napi_status status, void *data) {
  struct clone_exit_work *w = data;
  napi_value v;
  if (status == napi_ok && w->err == 0) {
    napi_create_array_with_length(env, w->count, &v);
    for (uint32_t i = 0; i < w->count; i++) {
      napi_value n;
      napi_create_double(env, (double)w->ns[i], &n);
      napi_set_element(env, v, i, n);
    }
    napi_resolve_deferred(env, w->deferred, v);
  } else {
    int err = w->err ? w->err : ECANCELED;
    char msg[160];
    snprintf(msg, sizeof msg, "cloneExit: %s (flags 0x%llx): %s", w->syscall ? w->syscall : "clone3", (unsigned long long)w->flags, strerror(err));
    napi_reject_deferred(env, w->deferred, errno_error(env, err, msg));
  }
  napi_delete_async_work(env, w->work);
  free(w->ns);
  free(w);
}

/* cloneExit(nsFlags, count) -> Promise<number[]>; throws EINVAL for a
 * flag other than CLONE_NEW* or a count outside 1..100000. */
static napi_value js_clone_exit(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int64_t flags = 0, count = 0;
  if (argc < 2 || napi_get_value_int64(env, argv[0], &flags) != napi_ok || napi_get_value_int64(env, argv[1], &count) != napi_ok)
    return throw_errno(env, EINVAL, "cloneExit", "expected (nsFlags: number, count: number)");
  if (flags < 0 || ((uint64_t)flags & ~(uint64_t)CLONE_EXIT_NS) != 0 || count < 1 || count > CLONE_EXIT_MAX)
    return throw_errno(env, EINVAL, "cloneExit", "flags must be CLONE_NEW* bits, count 1..100000");
  struct clone_exit_work *w = calloc(1, sizeof *w);
  if (w == NULL || (w->ns = calloc((size_t)count, sizeof *w->ns)) == NULL) {
    free(w);
    return throw_errno(env, ENOMEM, "cloneExit", "");
  }
  w->flags = (uint64_t)flags;
  w->count = (uint32_t)count;
  CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "void-clone-exit", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, clone_exit_execute, clone_exit_complete, w, &w->work));
  CHECK(env, napi_queue_async_work(env, w->work));
  return promise;
}

/* ---- host features, for `void doctor` ---- */

static void set_bool(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

static napi_value js_host_features(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  napi_value obj;
  CHECK(env, napi_create_object(env, &obj));
  /* clone3 with an invalid (too small) size fails with EINVAL when it
   * exists and ENOSYS when it does not; nothing is created. */
  errno = 0;
  long r = syscall(SYS_clone3, NULL, 0);
  set_bool(env, obj, "clone3", r < 0 && errno != ENOSYS);
  /* pidfd_open of ourselves (Linux 5.3). */
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  set_bool(env, obj, "pidfd", fd >= 0);
  /* waitid(P_PIDFD) (Linux 5.4), which reaps every void, with no fallback:
   * on our own pidfd it fails with ECHILD (not our child) where P_PIDFD
   * exists and EINVAL where it does not. */
  siginfo_t info;
  errno = 0;
  set_bool(env, obj, "waitidPidfd", fd >= 0 && waitid((idtype_t)P_PIDFD, (id_t)fd, &info, WEXITED | WNOHANG) < 0 && errno == ECHILD);
  if (fd >= 0) close((int)fd);
  /* openat2 with a zero-sized struct open_how: EINVAL where it exists (Linux 5.6). */
  errno = 0;
  r = syscall(SYS_openat2, AT_FDCWD, "", NULL, 0);
  set_bool(env, obj, "openat2", !(r < 0 && errno == ENOSYS));
  /* close_range on an empty range above any open fd. */
  errno = 0;
  r = syscall(SYS_close_range, ~0U - 1, ~0U - 1, 0);
  set_bool(env, obj, "closeRange", !(r < 0 && errno == ENOSYS));
  errno = 0;
  r = syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
  set_bool(env, obj, "mountSetattr", !(r < 0 && errno == ENOSYS));
  return obj;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL},
      {"signal", NULL, js_signal, NULL, NULL, NULL, napi_default, NULL},
      {"hostFeatures", NULL, js_host_features, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"rearm", NULL, js_rearm, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_default, NULL},
      {"seqpacketPair", NULL, js_seqpacket_pair, NULL, NULL, NULL, napi_default, NULL},
      {"streamPair", NULL, js_stream_pair, NULL, NULL, NULL, napi_default, NULL},
      {"tcpListen", NULL, js_tcp_listen, NULL, NULL, NULL, napi_default, NULL},
      {"recvFds", NULL, js_recv_fds, NULL, NULL, NULL, napi_default, NULL},
      {"sendFds", NULL, js_send_fds, NULL, NULL, NULL, napi_default, NULL},
      {"recvFrom", NULL, js_recv_from, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"pollReadable", NULL, js_poll_readable, NULL, NULL, NULL, napi_default, NULL},
      {"setBlocking", NULL, js_set_blocking, NULL, NULL, NULL, napi_default, NULL},
      {"socketKind", NULL, js_socket_kind, NULL, NULL, NULL, napi_default, NULL},
      {"socketAddress", NULL, js_socket_address, NULL, NULL, NULL, napi_default, NULL},
      {"setCloexec", NULL, js_set_cloexec, NULL, NULL, NULL, napi_default, NULL},
      {"notify", NULL, js_notify, NULL, NULL, NULL, napi_default, NULL},
      {"openNoSymlinks", NULL, js_open_no_symlinks, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"relay", NULL, js_relay, NULL, NULL, NULL, napi_default, NULL},
      {"closeLater", NULL, js_close_later, NULL, NULL, NULL, napi_default, NULL},
      {"relayStop", NULL, js_relay_stop, NULL, NULL, NULL, napi_default, NULL},
      {"cloneExit", NULL, js_clone_exit, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
