/*
 * spawn.c — starting voids from JavaScript.
 *
 *   init(initPath, onEvent)  open void-init (O_PATH) and start the watcher
 *                            (watcher.c) and the id-map writer
 *   spawn(planBuffer)        -> Promise<{ id, pid, namespaces }>: the plan
 *                            is parsed (native/plan.c) and cloned
 *                            (native/spawn_clone.c, native/void_spawn.c)
 *                            on a libuv worker thread: CLONE_VFORK
 *                            suspends only that thread, never the event
 *                            loop
 *   signal(id, sig)          pidfd_send_signal; false once the void has
 *                            exited
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"
#include "../linux_compat.h"
#include "../plan.h"

static int init_fd = -1;
static int self_pidfd = -1; /* this process's own pidfd, for voids to check we live */

/* ---- id maps of a root launcher's voids ---- */

/* A root launcher's voids map an unprivileged host id of their own
 * (src/plan/plan.ts voidUid), which only the parent user namespace may
 * write: a thread of the addon's runs void_mapper (native/mapper.c) on
 * the read end of this pipe. */
static int mapper_rd = -1, mapper_wr = -1;

/* ---- init ---- */

napi_value js_init(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (init_fd >= 0) return NULL; /* already initialised (one launcher per process) */
  char path[4096];
  size_t len;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return throw_errno_path(env, errno, "open", path);
  self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0); /* close-on-exec by design */
  const char *what = "";
  int err = watcher_start(env, argv[1], &what);
  if (err != 0) {
    close(fd);
    return throw_errno(env, err, what, "(the void watcher)");
  }
  int mapper_pipe[2];
  if (pipe2(mapper_pipe, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2", "(the id map writer)");
  mapper_rd = mapper_pipe[0];
  mapper_wr = mapper_pipe[1];
  err = start_thread(void_mapper, (void *)(intptr_t)mapper_rd);
  if (err != 0) return throw_errno(env, err, "pthread_create", "(the id map writer)");
  init_fd = fd;
  return NULL;
}

/* ---- spawn ---- */

int void_spawn(struct void_plan *plan, int *pidfd_out); /* native/spawn_clone.c */

struct spawn_work {
  napi_async_work work;
  napi_deferred deferred;
  uint8_t *buf;
  size_t len;
  /* results */
  uint32_t id;
  pid_t pid;
  uint64_t ns_ino[8];  /* the void's namespaces (plan.h ns_ino) */
  int err;             /* errno of a failed step, or 0 */
  const char *syscall; /* the step that failed */
  char what[512];      /* what it failed on (the plan parser's message) */
};

static void spawn_execute(napi_env env, void *data) {
  (void)env;
  struct spawn_work *w = data;
  struct void_plan plan;
  if (plan_parse(w->buf, w->len, &plan, w->what, sizeof w->what) < 0) {
    w->err = EINVAL;
    w->syscall = "plan_parse";
    return;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    w->err = errno;
    w->syscall = "pipe2";
    snprintf(w->what, sizeof w->what, "(status pipe)");
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
      w->syscall = "pipe2";
      snprintf(w->what, sizeof w->what, "(id map answer)");
      close(pipefd[0]);
      close(pipefd[1]);
      plan_free(&plan);
      return;
    }
    plan.mapper_fd = mapper_wr;
    plan.map_ack_rd = ack[0];
    plan.map_ack_wr = ack[1];
  }

  int pidfd = -1;
  struct spawn_window window;
  plan.fds_dropped = &window.dropped;
  closers_spawn_enter(&window);
  pid_t pid = void_spawn(&plan, &pidfd);
  closers_spawn_leave(&window);
  memcpy(w->ns_ino, plan.ns_ino, sizeof w->ns_ino);
  close(pipefd[1]);
  if (ack[0] >= 0) {
    close(ack[0]);
    close(ack[1]);
  }
  plan_free(&plan);
  if (pid < 0) {
    w->err = -pid;
    w->syscall = "clone";
    close(pipefd[0]);
    return;
  }
  const char *failed = NULL;
  int err = watcher_add_void(pid, pidfd, pipefd[0], &w->id, &failed);
  if (err != 0) {
    /* Not watched, so never reaped by us: kill it and reap it here. */
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    siginfo_t info;
    waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | __WALL);
    close(pidfd);
    close(pipefd[0]);
    w->err = err;
    w->syscall = failed;
    snprintf(w->what, sizeof w->what, "(watching the void made: killed)");
    return;
  }
  w->pid = pid;
}

static void spawn_complete(napi_env env, napi_status status, void *data) {
  struct spawn_work *w = data;
  if (status != napi_ok || w->err != 0) {
    int err = w->err ? w->err : ECANCELED;
    const char *syscall = w->syscall ? w->syscall : "spawn";
    /* The plan parser's message says what is wrong with the plan ("plan: truncated record ..."). */
    napi_value error = w->err == EINVAL && strcmp(syscall, "plan_parse") == 0 ? errno_error_text(env, err, syscall, w->what)
                                                                              : errno_error(env, err, syscall, w->what);
    napi_reject_deferred(env, w->deferred, error);
  } else {
    keep_alive(env, 1);
    napi_value result, v, ns;
    napi_create_object(env, &result);
    napi_create_uint32(env, w->id, &v);
    napi_set_named_property(env, result, "id", v);
    set_named_int(env, result, "pid", w->pid);
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

napi_value js_spawn(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (init_fd < 0) return throw_errno(env, EINVAL, "spawn", "(init() was not called)");
  void *data;
  size_t len;
  CHECK(env, napi_get_buffer_info(env, argv[0], &data, &len));
  struct spawn_work *w = calloc(1, sizeof *w);
  if (w == NULL || (w->buf = malloc(len ? len : 1)) == NULL) {
    free(w);
    return throw_errno(env, ENOMEM, "malloc", "(spawn)");
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

/* signal(id, sig) -> true, or false when the void has exited (or never
 * was): a signal racing the exit is no failure. Anything else throws. */
napi_value js_signal(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], result;
  uint32_t id;
  int32_t sig;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[0], &id));
  CHECK(env, napi_get_value_int32(env, argv[1], &sig));
  int err = watcher_signal(id, sig);
  if (err != 0 && err != ESRCH) return throw_errno(env, err, "pidfd_send_signal", "");
  napi_get_boolean(env, err == 0, &result);
  return result;
}
