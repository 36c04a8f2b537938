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
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>

#include "plan.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define CHECK(env, call)                                                  \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), NULL, "void addon: Node-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* ---- the table of live voids (shared by the main and watcher threads) ---- */

struct live_void {
  uint32_t id;
  pid_t pid;
  int pidfd;
  int status_rd; /* -1 once it hung up */
  struct live_void *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_void *table;
static uint32_t next_id = 1;
static int epoll_fd = -1;
static int init_fd = -1;
static napi_threadsafe_function on_event;
static uint32_t live_count; /* main thread only */

enum event_kind { EVENT_RECORD, EVENT_EXIT };

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
      if (which == EV_STATUS) {
        int eof = 0;
        size_t len = v->status_rd >= 0 ? drain(v->status_rd, buf, sizeof buf, &eof) : 0;
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
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, v->status_rd, NULL);
        close(v->status_rd);
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

/* Runs on the main thread for each posted event. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  struct event *e = data;
  if (env != NULL) {
    napi_value argv[4], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_uint32(env, e->id, &argv[0]);
    napi_create_string_utf8(env, e->kind == EVENT_EXIT ? "exit" : "record", NAPI_AUTO_LENGTH, &argv[1]);
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
      if (--live_count == 0) napi_unref_threadsafe_function(env, on_event);
    }
    napi_call_function(env, undefined, js_cb, 4, argv, NULL);
  }
  free(e);
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
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    napi_throw_error(env, NULL, "epoll_create1 failed");
    return NULL;
  }
  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "void-watcher", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &on_event));
  CHECK(env, napi_unref_threadsafe_function(env, on_event));
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* The watcher blocks every signal: they belong to Node's main thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(&thread, &attr, watcher, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    napi_throw_error(env, NULL, "pthread_create (void watcher) failed");
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
  plan.status_fd = pipefd[1];

  struct live_void *v = calloc(1, sizeof *v);
  int pidfd = -1;
  pid_t pid = v ? void_spawn(&plan, &pidfd) : -ENOMEM;
  close(pipefd[1]);
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

static void spawn_complete(napi_env env, napi_status status, void *data) {
  struct spawn_work *w = data;
  napi_value result;
  if (status != napi_ok || w->err != 0) {
    napi_value msg, code;
    napi_create_string_utf8(env, w->errmsg[0] ? w->errmsg : "spawn cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, w->err ? strerrorname_np(w->err) : "ECANCELED", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &result);
    napi_reject_deferred(env, w->deferred, result);
  } else {
    if (live_count++ == 0) napi_ref_threadsafe_function(env, on_event);
    napi_value v;
    napi_create_object(env, &result);
    napi_create_uint32(env, w->id, &v);
    napi_set_named_property(env, result, "id", v);
    napi_create_int32(env, w->pid, &v);
    napi_set_named_property(env, result, "pid", v);
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
  /* pidfd_open of ourselves. */
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  set_bool(env, obj, "pidfd", fd >= 0);
  if (fd >= 0) close((int)fd);
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
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
