// What the native modules share about calling into JS: a JS function called from a uv callback
// (ARCHITECTURE.md "Native addon": through the C napi_make_callback, failure tolerated), and an
// Error that carries errno.
#pragma once
#include <napi.h>
#include <string.h>

#include <string>

namespace ulvs {

// Calls fn(...argv) with the global object as receiver through the C napi_make_callback (so the
// microtasks it queues run). On failure a pending exception is reported as uncaught
// (napi_fatal_exception, i.e. process 'uncaughtException') instead of aborting, and false is returned.
inline bool CallTolerant(napi_env env, napi_async_context actx, napi_value fn, size_t argc, const napi_value* argv) {
  napi_value recv, result;
  if (napi_get_global(env, &recv) != napi_ok) return false;
  if (napi_make_callback(env, actx, recv, fn, argc, argv, &result) == napi_ok) return true;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  return false;
}

// Throws an Error "what: strerror(err)" with an errno property; returns undefined for the caller to return.
inline Napi::Value ThrowErrno(Napi::Env env, const char* what, int err) {
  std::string msg = std::string(what) + ": " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace ulvs
