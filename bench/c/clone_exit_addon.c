/*
 * clone_exit_addon.c — a Node-API addon for the benchmarks only
 * (bench/build/clone-exit.node, built by bench/c/build-addon.sh): the
 * cost of namespaces as seen from Node, kept out of the production addon
 * (build/void.node), which has no use for it.
 *
 *   cloneExit(nsFlags, count) -> Promise<number[]>: the ns of `count` bare
 *     clone+exit+reap with the given CLONE_NEW* flags, each on a libuv
 *     worker thread; throws EINVAL for a flag other than CLONE_NEW* or a
 *     count outside 1..100000
 *
 * The clone is clone_exit.h's, the same one bench/c/ns_cost.c (the C
 * floor) makes. Errors are shaped as the production addon's
 * (native/addon/common.c, compiled in).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "addon/addon.h"
#include "clone_exit.h"
#include "linux_compat.h"

#define CLONE_EXIT_NS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)
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
  if (status == napi_ok && w->err == 0) {
    napi_value v;
    napi_create_array_with_length(env, w->count, &v);
    for (uint32_t i = 0; i < w->count; i++) {
      napi_value n;
      napi_create_double(env, (double)w->ns[i], &n);
      napi_set_element(env, v, i, n);
    }
    napi_resolve_deferred(env, w->deferred, v);
  } else {
    char what[64];
    snprintf(what, sizeof what, "(cloneExit, flags 0x%llx)", (unsigned long long)w->flags);
    napi_reject_deferred(env, w->deferred, errno_error(env, w->err ? w->err : ECANCELED, w->syscall ? w->syscall : "clone3", what));
  }
  napi_delete_async_work(env, w->work);
  free(w->ns);
  free(w);
}

static napi_value js_clone_exit(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  int64_t flags = 0, count = 0;
  if (argc < 2 || napi_get_value_int64(env, argv[0], &flags) != napi_ok || napi_get_value_int64(env, argv[1], &count) != napi_ok)
    return throw_errno(env, EINVAL, "cloneExit", "(expected nsFlags: number, count: number)");
  if (flags < 0 || ((uint64_t)flags & ~(uint64_t)CLONE_EXIT_NS) != 0 || count < 1 || count > CLONE_EXIT_MAX)
    return throw_errno(env, EINVAL, "cloneExit", "(flags must be CLONE_NEW* bits, count 1..100000)");
  struct clone_exit_work *w = calloc(1, sizeof *w);
  if (w == NULL || (w->ns = calloc((size_t)count, sizeof *w->ns)) == NULL) {
    free(w);
    return throw_errno(env, ENOMEM, "calloc", "(cloneExit)");
  }
  w->flags = (uint64_t)flags;
  w->count = (uint32_t)count;
  CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "void-clone-exit", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, clone_exit_execute, clone_exit_complete, w, &w->work));
  CHECK(env, napi_queue_async_work(env, w->work));
  return promise;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"cloneExit", NULL, js_clone_exit, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, 1, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
