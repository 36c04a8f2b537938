/*
 * module.c — the addon's entry point: the table of functions JavaScript
 * sees (src/native/addon.ts types them), hostFeatures for void doctor,
 * and cacheSeal for the plan cache.
 * Each function lives in the file of its concern (addon.h lists them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"
#include "../cache_key.h"
#include "../sha256.h"
#include "../linux_compat.h"

/* cacheSeal(body) -> the authenticator of a plan cache entry's body: its
 * HMAC-SHA256 (native/sha256.h, what the front end checks) under the
 * user's cache key (native/cache_key.h), made if there is none; a Buffer
 * of 32 bytes. The key never reaches JavaScript, and node:crypto (~5 ms
 * to load) is not needed. Throws the error shape of addon.h when the
 * keyring is unavailable. */
static napi_value js_cache_seal(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  void *body = NULL;
  size_t len = 0;
  bool is_buffer = false;
  if (argc < 1 || napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "cacheSeal: a Buffer is required");
    return NULL;
  }
  CHECK(env, napi_get_buffer_info(env, argv[0], &body, &len));
  uint8_t key[VOID_CACHE_KEY_BYTES], mac[32];
  const char *what = "";
  int err = void_cache_key(key, 1, &what);
  if (err < 0) return throw_errno(env, -err, what, "(the plan cache key)");
  hmac_sha256(key, sizeof key, body, len, mac);
  memset(key, 0, sizeof key);
  napi_value buf;
  void *data;
  CHECK(env, napi_create_buffer_copy(env, sizeof mac, mac, &data, &buf));
  return buf;
}

/* hostFeatures() -> which of the kernel features void uses exist here. */
static napi_value js_host_features(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  napi_value obj;
  CHECK(env, napi_create_object(env, &obj));
  /* clone3 with an invalid (too small) size fails with EINVAL when it
   * exists and ENOSYS when it does not; nothing is created. */
  errno = 0;
  long r = syscall(SYS_clone3, NULL, 0);
  set_named_bool(env, obj, "clone3", r < 0 && errno != ENOSYS);
  /* pidfd_open of ourselves (Linux 5.3). */
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  set_named_bool(env, obj, "pidfd", fd >= 0);
  /* waitid(P_PIDFD) (Linux 5.4), which reaps every void, with no fallback:
   * on our own pidfd it fails with ECHILD (not our child) where P_PIDFD
   * exists and EINVAL where it does not. */
  siginfo_t info;
  errno = 0;
  set_named_bool(env, obj, "waitidPidfd", fd >= 0 && waitid((idtype_t)P_PIDFD, (id_t)fd, &info, WEXITED | WNOHANG) < 0 && errno == ECHILD);
  if (fd >= 0) close((int)fd);
  /* openat2 with a zero-sized struct open_how: EINVAL where it exists (Linux 5.6). */
  errno = 0;
  r = syscall(SYS_openat2, AT_FDCWD, "", NULL, 0);
  set_named_bool(env, obj, "openat2", !(r < 0 && errno == ENOSYS));
  /* close_range on an empty range above any open fd. */
  errno = 0;
  r = syscall(SYS_close_range, ~0U - 1, ~0U - 1, 0);
  set_named_bool(env, obj, "closeRange", !(r < 0 && errno == ENOSYS));
  errno = 0;
  r = syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
  set_named_bool(env, obj, "mountSetattr", !(r < 0 && errno == ENOSYS));
  return obj;
}

#define FN(name, fn) \
  { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      FN("init", js_init), /* spawn.c */
      FN("spawn", js_spawn),
      FN("signal", js_signal),
      FN("hostFeatures", js_host_features), /* here */
      FN("cacheSeal", js_cache_seal),
      FN("watch", js_watch), /* watcher.c */
      FN("rearm", js_rearm),
      FN("unwatch", js_unwatch),
      FN("pipe", js_pipe), /* fds.c */
      FN("seqpacketPair", js_seqpacket_pair),
      FN("streamPair", js_stream_pair),
      FN("recvFds", js_recv_fds),
      FN("sendFds", js_send_fds),
      FN("pollReadable", js_poll_readable),
      FN("setBlocking", js_set_blocking),
      FN("setCloexec", js_set_cloexec),
      FN("openNoSymlinks", js_open_no_symlinks),
      FN("pinReadOnly", js_pin_read_only), /* readonly.c */
      FN("tcpListen", js_tcp_listen),      /* sockets.c */
      FN("connect", js_connect),
      FN("socketKind", js_socket_kind),
      FN("socketAddress", js_socket_address),
      FN("accept", js_accept),
      FN("recvFrom", js_recv_from),
      FN("sendTo", js_send_to),
      FN("notify", js_notify),
      FN("relay", js_relay), /* relay.c */
      FN("relayStop", js_relay_stop),
      FN("closeLater", js_close_later),
      FN("closersBehind", js_closers_behind),
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
