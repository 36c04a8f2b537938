/*
 * common.c — what every file of the addon uses: the one way a failure
 * becomes a JavaScript Error, reading arguments, starting threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

/* The error for `err`, as Node's own system errors look: code "EPERM",
 * errno -1, syscall "open", message "open /x: Operation not permitted". */
napi_value errno_error(napi_env env, int err, const char *syscall, const char *what) {
  char msg[640];
  if (err <= 0) err = EIO; /* never "Success" */
  snprintf(msg, sizeof msg, "%s%s%s: %s", syscall, what && what[0] ? " " : "", what ? what : "", strerror(err));
  return errno_error_text(env, err, syscall, msg);
}

napi_value errno_error_text(napi_env env, int err, const char *syscall, const char *msg) {
  if (err <= 0) err = EIO;
  const char *name = errno_name(err);
  napi_value error, code, message;
  napi_create_string_utf8(env, name ? name : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  set_named_string(env, error, "syscall", syscall);
  set_named_int(env, error, "errno", -err);
  return error;
}

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  napi_throw(env, errno_error(env, err, syscall, what));
  return NULL;
}

napi_value throw_errno_path(napi_env env, int err, const char *syscall, const char *path) {
  napi_value error = errno_error(env, err, syscall, path);
  set_named_string(env, error, "path", path);
  napi_throw(env, error);
  return NULL;
}

napi_value errno_error_address(napi_env env, int err, const char *syscall, const char *ip, int port) {
  char where[96];
  snprintf(where, sizeof where, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
  napi_value error = errno_error(env, err, syscall, where);
  set_named_string(env, error, "address", ip);
  set_named_int(env, error, "port", port);
  return error;
}

int arg_int(napi_env env, napi_value v) {
  int32_t n = -1;
  napi_get_value_int32(env, v, &n);
  return n;
}

void set_named_int(napi_env env, napi_value obj, const char *key, int32_t value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

void set_named_bool(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_get_boolean(env, value != 0, &v);
  napi_set_named_property(env, obj, key, v);
}

void set_named_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

int start_thread(void *(*fn)(void *), void *arg) {
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
