// Service-manager glue Node cannot do alone:
//   watchSignal(signum, cb) -> { close() }   a libuv signal watcher for ANY signal number, including
//                                            the real-time ones Node's process.on() has no name for
//                                            (keepalived's JSON dump signal is SIGRTMIN+2 = 36 here).
//                                            cb(signum) runs on the calling thread's event loop.
//   sdNotify(state) -> boolean               one datagram to $NOTIFY_SOCKET (sd_notify(3) protocol:
//                                            "READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1", ...);
//                                            false when not started by systemd. Node has no AF_UNIX
//                                            datagram sockets, and systemd-notify(1) run as a child is
//                                            racy (it exits before systemd can attribute it).
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "module.h"

namespace ulvs {
namespace {

struct SigCore {
  uv_signal_t handle;
  napi_env env = nullptr;
  bool closing = false;
  napi_ref cb = nullptr;
  napi_async_context actx = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
};

void OnSigClosed(uv_handle_t* h) {
  SigCore* c = static_cast<SigCore*>(h->data);
  if (c->cb) napi_delete_reference(c->env, c->cb);
  if (c->actx) napi_async_destroy(c->env, c->actx);
  if (c->hook) napi_remove_async_cleanup_hook(c->hook);
  delete c;
}

void CloseSig(SigCore* c) {
  if (c == nullptr || c->closing) return;
  c->closing = true;
  uv_signal_stop(&c->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), OnSigClosed);
}

void SigCleanupHook(napi_async_cleanup_hook_handle, void* arg) {
  SigCore* c = static_cast<SigCore*>(arg);
  if (!c->closing) CloseSig(c);
}

void OnSignal(uv_signal_t* h, int signum) {
  SigCore* c = static_cast<SigCore*>(h->data);
  if (c->closing || c->cb == nullptr) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, c->cb, &cb) == napi_ok && cb != nullptr && napi_get_global(env, &recv) == napi_ok &&
      napi_create_int32(env, signum, &arg) == napi_ok) {
    if (napi_make_callback(env, c->actx, recv, cb, 1, &arg, &result) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value err;
        if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

Napi::Value WatchSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watchSignal(signum, cb)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int signum = info[0].As<Napi::Number>().Int32Value();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "watchSignal: no event loop").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SigCore* c = new SigCore();
  c->env = env;
  if (uv_signal_init(loop, &c->handle) != 0) {
    delete c;
    Napi::Error::New(env, "watchSignal: uv_signal_init failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  c->handle.data = c;
  napi_create_reference(env, info[1], 1, &c->cb);
  napi_value name;
  napi_create_string_utf8(env, "ulvs.signal", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &c->actx);
  napi_add_async_cleanup_hook(env, SigCleanupHook, c, &c->hook);
  int rc = uv_signal_start(&c->handle, OnSignal, signum);
  if (rc != 0) {
    CloseSig(c);
    Napi::Error::New(env, std::string("watchSignal: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // The watcher keeps no loop alive: like process.on('SIGHUP'), it must not hold the process open.
  uv_unref(reinterpret_cast<uv_handle_t*>(&c->handle));
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("close", Napi::Function::New(env, [c](const Napi::CallbackInfo& i) -> Napi::Value {
    CloseSig(c);
    return i.Env().Undefined();
  }, "close"));
  return handle;
}

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "sdNotify(state)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string state = info[0].As<Napi::String>().Utf8Value();
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return Napi::Boolean::New(env, false);
  size_t len = strlen(path);
  sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (len >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@')) return Napi::Boolean::New(env, false);
  memcpy(sa.sun_path, path, len);
  if (path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  socklen_t salen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Boolean::New(env, false);
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), salen);
  close(fd);
  return Napi::Boolean::New(env, n == static_cast<ssize_t>(state.size()));
}

}  // namespace

void InitSysd(Napi::Env env, Napi::Object exports) {
  exports.Set("watchSignal", Napi::Function::New(env, WatchSignal, "watchSignal"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}
}  // namespace ulvs
