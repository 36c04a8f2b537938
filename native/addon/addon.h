/*
 * addon.h — what the files of the Node-API addon share (build/void.node).
 *
 * The addon is the launcher's system-call layer. It makes no policy:
 * TypeScript decides what a void gets (src/orchestrator) and calls these
 * functions, one file per concern:
 *
 *   module.c   the module's table of functions; hostFeatures (void doctor)
 *   common.c   errors as JavaScript sees them, arguments, threads
 *   watcher.c  the table of live voids and watched fds, the watcher thread
 *              (epoll) and the events it posts: watch, rearm, unwatch
 *   spawn.c    init, spawn (plan parsed and cloned on a libuv worker
 *              thread, native/spawn_clone.c), the id-map writer thread,
 *              signal
 *   fds.c      pipes, socket pairs (each made by a short-lived child in
 *              the launcher's empty network namespace), fd flags, openNoSymlinks, pollReadable,
 *              and fd passing (recvFds, sendFds: native/fdpass.h)
 *   sockets.c  tcpListen, connect, socketKind, socketAddress, accept, recvFrom,
 *              sendTo, notify
 *   relay.c    relay threads (relay, relayStop) and the closer thread
 *              (closeLater)
 *
 * Threads: Node's main thread runs every js_* function; the watcher, the
 * id-map writer, each relay and the closer are threads of the addon's own
 * (start_thread), with every signal blocked; spawn and connect run on
 * libuv worker threads.
 */
#ifndef VOID_ADDON_H
#define VOID_ADDON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <node_api.h>

/* The contract with TypeScript (limits such as VOID_MESSAGE_MAX_FDS): src/native/contract.ts. */
#include "../contract.h"
/* Loadable by an old glibc (the baseline of the prebuilt binaries), and errno names without strerrorname_np. */
#include "../glibc_compat.h"
#include "../errno_name.h"

/* A Node-API call that fails is a bug of the addon's (or a caller passing
 * the wrong types): thrown as such. */
#define CHECK(env, call)                                                             \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      napi_throw_error((env), "EINVAL", "void addon: Node-API call failed: " #call); \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

/* ---- common.c ---- */

/* Every failure reaches JavaScript as one kind of Error, shaped as Node's
 * own system errors are: `code` the errno name ("ECONNREFUSED"), `errno`
 * the negated number (as Node's), `syscall` the call that failed, and the
 * message "<syscall> <what>: <strerror>" ("connect 127.0.0.1:80:
 * Connection refused"); never a bare number. */
napi_value errno_error(napi_env env, int err, const char *syscall, const char *what);
/* ... with a message of the caller's (a parser's, which names no errno). */
napi_value errno_error_text(napi_env env, int err, const char *syscall, const char *msg);
/* The same error, thrown; returns NULL for the caller to return. */
napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what);
/* ... with `path` set (what = the path). */
napi_value throw_errno_path(napi_env env, int err, const char *syscall, const char *path);
/* An error about a socket address: `address` and `port` set, the message
 * naming ip:port ([ip]:port for IPv6). */
napi_value errno_error_address(napi_env env, int err, const char *syscall, const char *ip, int port);

/* An int32 argument, or -1 when it is not a number. */
int arg_int(napi_env env, napi_value v);
void set_named_int(napi_env env, napi_value obj, const char *key, int32_t value);
void set_named_bool(napi_env env, napi_value obj, const char *key, int value);
void set_named_string(napi_env env, napi_value obj, const char *key, const char *value);

/* Starts a detached thread with every signal blocked (signals belong to
 * Node's main thread) and a 256 KiB stack. 0 or the error number. */
int start_thread(void *(*fn)(void *), void *arg);

/* ---- watcher.c ---- */

enum event_kind { EVENT_RECORD, EVENT_EXIT, EVENT_READABLE, EVENT_ENDED, EVENT_DROPPED };

/* Starts the watcher thread; events go to on_event. 0 or an errno, with
 * *syscall naming what failed. */
int watcher_start(napi_env env, napi_value on_event, const char **syscall);
/* A fresh id (voids, watches and relays share one sequence). */
uint32_t watcher_new_id(void);
/* Any thread: posts an event for JavaScript (copied; len bytes of text). */
void post(uint32_t id, enum event_kind kind, int code, int sig, const char *text, size_t len);
/* Main thread: something that keeps Node alive came (1) or went (-1). */
void keep_alive(napi_env env, int delta);
/* Any thread: watches a void just spawned (its pidfd and the read end of
 * its status pipe, both then owned by the watcher). 0 and *id, or an errno. */
int watcher_add_void(pid_t pid, int pidfd, int status_rd, uint32_t *id, const char **syscall);
/* pidfd_send_signal to the void `id`: 0, or an errno (ESRCH: no such
 * void, or it has exited). */
int watcher_signal(uint32_t id, int sig);

napi_value js_watch(napi_env env, napi_callback_info cbinfo);
napi_value js_rearm(napi_env env, napi_callback_info cbinfo);
napi_value js_unwatch(napi_env env, napi_callback_info cbinfo);

/* ---- relay.c ---- */
/* Around making a void (spawn.c): from before its clone until its child
 * has closed every fd of the launcher's it was not given (it sets
 * `dropped`: void_plan.fds_dropped), no closer takes an fd of a void's out
 * of the launcher's table, so that child never closes one last (relay.c
 * says why). Leave once the clone has returned, whatever happened. */
struct spawn_window {
  volatile int dropped;
  struct spawn_window *next;
};
void closers_spawn_enter(struct spawn_window *w);
void closers_spawn_leave(struct spawn_window *w);

/* ---- spawn.c ---- */
napi_value js_init(napi_env env, napi_callback_info cbinfo);
napi_value js_spawn(napi_env env, napi_callback_info cbinfo);
napi_value js_signal(napi_env env, napi_callback_info cbinfo);

/* ---- fds.c ---- */
napi_value js_pipe(napi_env env, napi_callback_info cbinfo);
napi_value js_seqpacket_pair(napi_env env, napi_callback_info cbinfo);
napi_value js_stream_pair(napi_env env, napi_callback_info cbinfo);
napi_value js_recv_fds(napi_env env, napi_callback_info cbinfo);
napi_value js_send_fds(napi_env env, napi_callback_info cbinfo);
napi_value js_poll_readable(napi_env env, napi_callback_info cbinfo);
napi_value js_set_blocking(napi_env env, napi_callback_info cbinfo);
napi_value js_set_cloexec(napi_env env, napi_callback_info cbinfo);
napi_value js_open_no_symlinks(napi_env env, napi_callback_info cbinfo);
napi_value js_pin_read_only(napi_env env, napi_callback_info cbinfo); /* readonly.c */

/* ---- sockets.c ---- */
napi_value js_tcp_listen(napi_env env, napi_callback_info cbinfo);
napi_value js_connect(napi_env env, napi_callback_info cbinfo);
napi_value js_socket_kind(napi_env env, napi_callback_info cbinfo);
napi_value js_socket_address(napi_env env, napi_callback_info cbinfo);
napi_value js_accept(napi_env env, napi_callback_info cbinfo);
napi_value js_recv_from(napi_env env, napi_callback_info cbinfo);
napi_value js_send_to(napi_env env, napi_callback_info cbinfo);
napi_value js_notify(napi_env env, napi_callback_info cbinfo);

/* ---- relay.c ---- */
napi_value js_relay(napi_env env, napi_callback_info cbinfo);
napi_value js_relay_stop(napi_env env, napi_callback_info cbinfo);
napi_value js_close_later(napi_env env, napi_callback_info cbinfo);
napi_value js_closers_behind(napi_env env, napi_callback_info cbinfo);

#endif
