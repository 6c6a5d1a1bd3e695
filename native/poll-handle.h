// The part the batch packet-I/O modules (nfqueue.cc, afpacket.cc) share: the view of a JS PacketBatch
// (src/dataplane/batch.ts) and the life of one socket polled on the owning env's uv loop. rawsock.cc
// (VRRP sockets, lazily started poll, no batch) uses only MakeCallbackTolerant.
//
// Rules (ARCHITECTURE.md "Native addon"), kept here once for both modules: the uv poll lives on the
// owning env's loop (napi_get_uv_event_loop), is closed from an async cleanup hook on env teardown,
// and the JS callback goes through the C napi_make_callback whose failure is tolerated (the batch is
// dropped and counted, a pending exception is reported and cleared).
#pragma once
#include <node_api.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ulvs {

// Raw pointers into the typed arrays of a JS PacketBatch (src/dataplane/batch.ts); the arrays are
// kept alive by references held for the handle's lifetime.
struct BatchView {
  uint8_t* buf = nullptr;
  size_t bufLen = 0;
  uint32_t slotSize = 0, headroom = 0, capacity = 0;
  uint32_t *start = nullptr, *length = nullptr, *id = nullptr, *ifindex = nullptr, *mark = nullptr;
  uint8_t* verdict = nullptr;
  uint16_t* reason = nullptr;
  double* timeMs = nullptr;
};

// Reads obj[name] as a typed array of type `want`, keeping it alive with a reference pushed to refs.
inline bool TypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data,
                      size_t* len, std::vector<napi_ref>* refs) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return false;
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) return false;
  napi_ref r;
  napi_create_reference(env, v, 1, &r);
  refs->push_back(r);
  return true;
}

// Reads obj[name] as a uint32 (a boolean reads as 0/1); dflt when absent or of another type.
inline uint32_t U32Prop(napi_env env, napi_value obj, const char* name, uint32_t dflt) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return dflt;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return dflt;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    return b ? 1 : 0;
  }
  if (t != napi_number) return dflt;
  uint32_t u;
  napi_get_value_uint32(env, v, &u);
  return u;
}

// Reads the batch arrays; returns an error sentence or "" on success.
inline std::string ReadBatch(napi_env env, napi_value b, BatchView* v, std::vector<napi_ref>* refs) {
  size_t n;
  void* p;
  if (!TypedData(env, b, "buf", napi_uint8_array, &p, &n, refs)) return "batch.buf must be a Uint8Array";
  v->buf = static_cast<uint8_t*>(p);
  v->bufLen = n;
  v->slotSize = U32Prop(env, b, "slotSize", 0);
  v->headroom = U32Prop(env, b, "headroom", 0);
  v->capacity = U32Prop(env, b, "capacity", 0);
  if (v->slotSize == 0 || v->headroom >= v->slotSize || size_t(v->capacity) * v->slotSize > v->bufLen)
    return "batch geometry (slotSize, headroom, capacity) does not fit batch.buf";
  struct { const char* name; uint32_t** dst; } u32s[] = {
      {"start", &v->start}, {"length", &v->length}, {"id", &v->id}, {"ifindex", &v->ifindex}, {"mark", &v->mark}};
  for (auto& f : u32s) {
    if (!TypedData(env, b, f.name, napi_uint32_array, &p, &n, refs) || n < v->capacity)
      return std::string("batch.") + f.name + " must be a Uint32Array of capacity elements";
    *f.dst = static_cast<uint32_t*>(p);
  }
  if (!TypedData(env, b, "verdict", napi_uint8_array, &p, &n, refs) || n < v->capacity) return "batch.verdict must be a Uint8Array";
  v->verdict = static_cast<uint8_t*>(p);
  if (!TypedData(env, b, "reason", napi_uint16_array, &p, &n, refs) || n < v->capacity) return "batch.reason must be a Uint16Array";
  v->reason = static_cast<uint16_t*>(p);
  if (!TypedData(env, b, "timeMs", napi_float64_array, &p, &n, refs) || n < v->capacity) return "batch.timeMs must be a Float64Array";
  v->timeMs = static_cast<double*>(p);
  return "";
}

// State of one polled batch socket; a module derives from it and adds its own socket state.
// Every pointer handed to uv, N-API wraps and the cleanup hook is a PollHandle* (the base).
struct PollHandle {
  napi_env env = nullptr;
  uv_poll_t poll;
  int fd = -1;
  BatchView b;
  double* stats = nullptr;
  std::vector<napi_ref> refs;
  napi_ref cb = nullptr;
  napi_async_context actx = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  bool closing = false;
  bool closed = false;   // uv_close finished
  bool wrapped = true;   // a JS object still points at this state (its finalizer frees it)
  // recvmmsg / sendmmsg scratch, one entry per batch slot.
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;

  virtual ~PollHandle() = default;
  // Called when closing starts, before the poll stops, with fd still open.
  virtual void OnCloseStart() {}
  // Called once the uv handle is closed: releases the socket and whatever is mapped on it.
  virtual void ReleaseSocket() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// Calls fn(...argv) with the global object as receiver through the C napi_make_callback (so the
// microtasks queued by the callback run); on failure reports and clears a pending exception
// (napi_fatal_exception, i.e. process 'uncaughtException') and returns false instead of aborting.
inline bool MakeCallbackTolerant(napi_env env, napi_async_context actx, napi_value fn, size_t argc,
                                 const napi_value* argv) {
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

// Calls the JS batch callback with `count` through the C napi_make_callback; on failure (no
// callback, throw, env going away) counts stats[callbackErrorStat] and drops the whole batch.
inline void CallBatchCallback(PollHandle* h, uint32_t count, int callbackErrorStat, uint8_t dropVerdict) {
  napi_env env = h->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, arg;
  bool ok = h->cb && napi_get_reference_value(env, h->cb, &fn) == napi_ok && fn != nullptr;
  if (ok) {
    napi_create_uint32(env, count, &arg);
    ok = MakeCallbackTolerant(env, h->actx, fn, 1, &arg);
  }
  napi_close_handle_scope(env, scope);
  if (!ok) {
    if (h->stats) h->stats[callbackErrorStat] += 1;
    for (uint32_t i = 0; i < count; i++) h->b.verdict[i] = dropVerdict;
  }
}

inline void PollHandleOnClosed(uv_handle_t* uvh) {
  PollHandle* h = static_cast<PollHandle*>(uvh->data);
  h->ReleaseSocket();
  if (h->hook) napi_remove_async_cleanup_hook(h->hook);
  h->hook = nullptr;
  h->closed = true;
  if (!h->wrapped) delete h;
}

// Starts closing; `fromHook` skips JS reference cleanup (the env is being torn down).
inline void PollHandleStartClose(PollHandle* h, bool fromHook) {
  if (h->closing) return;
  h->closing = true;
  if (!fromHook) {
    for (napi_ref r : h->refs) napi_delete_reference(h->env, r);
    h->refs.clear();
    if (h->cb) napi_delete_reference(h->env, h->cb);
    h->cb = nullptr;
    if (h->actx) napi_async_destroy(h->env, h->actx);
    h->actx = nullptr;
  }
  h->OnCloseStart();
  uv_poll_stop(&h->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), PollHandleOnClosed);
}

inline void PollHandleOnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  PollHandle* h = static_cast<PollHandle*>(arg);
  h->hook = handle;
  if (h->closing) return;  // PollHandleOnClosed will remove the hook
  PollHandleStartClose(h, true);
}

// handle.close(): unwraps the JS object and closes (or frees, if already closed) the state.
inline napi_value PollHandleClose(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  PollHandle* h = nullptr;
  if (napi_remove_wrap(env, thisArg, reinterpret_cast<void**>(&h)) == napi_ok && h) {
    h->wrapped = false;
    if (h->closed) delete h;
    else PollHandleStartClose(h, false);
  }
  return nullptr;
}

// The JS object is gone: free the state, closing it first if close() was never called.
inline void PollHandleFinalize(napi_env env, void* data, void* hint) {
  PollHandle* h = static_cast<PollHandle*>(data);
  h->wrapped = false;
  if (h->closed) delete h;
  else PollHandleStartClose(h, false);
}

// Keeps the JS callback, polls h->fd for reading on the env's own loop and registers the async
// cleanup hook that closes the poll when the env goes away.
inline void PollHandleStart(napi_env env, PollHandle* h, napi_value jsCallback, const char* resourceName,
                            uv_poll_cb onReadable) {
  napi_create_reference(env, jsCallback, 1, &h->cb);
  napi_value name;
  napi_create_string_utf8(env, resourceName, NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &h->actx);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &h->poll, h->fd);
  h->poll.data = h;
  uv_poll_start(&h->poll, UV_READABLE, onReadable);
  napi_add_async_cleanup_hook(env, PollHandleOnEnvTeardown, h, &h->hook);
}

// Creates the JS handle object with its close() method; wrap the state into it with PollHandleWrap.
inline napi_value PollHandleObject(napi_env env) {
  napi_value obj, fn;
  napi_create_object(env, &obj);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, PollHandleClose, nullptr, &fn);
  napi_set_named_property(env, obj, "close", fn);
  return obj;
}

// Wraps h into obj; call last, after all other properties are set.
inline void PollHandleWrap(napi_env env, napi_value obj, PollHandle* h) {
  napi_wrap(env, obj, h, PollHandleFinalize, nullptr, nullptr);
}

}  // namespace ulvs
