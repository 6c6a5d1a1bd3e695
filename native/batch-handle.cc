// The life of one batch packet-I/O handle (batch-handle.h): the PacketBatch view, the polls on the
// owning env's loop, the JS batch callback and the close order shared by the backends.
#include "batch-handle.h"

#include "js-call.h"

namespace ulvs {

bool TypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data, size_t* len,
               std::vector<napi_ref>* refs) {
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

uint32_t U32Prop(napi_env env, napi_value obj, const char* name, uint32_t dflt) {
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

std::string ReadBatch(napi_env env, napi_value b, BatchView* v, std::vector<napi_ref>* refs) {
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
  struct {
    const char* name;
    uint32_t** dst;
  } u32s[] = {{"start", &v->start}, {"length", &v->length}, {"id", &v->id}, {"ifindex", &v->ifindex}, {"mark", &v->mark}};
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

bool ReadStats(napi_env env, napi_value options, uint32_t count, double** stats, std::vector<napi_ref>* refs) {
  bool has = false;
  if (napi_has_named_property(env, options, "stats", &has) != napi_ok || !has) return true;
  void* p;
  size_t n;
  if (!TypedData(env, options, "stats", napi_float64_array, &p, &n, refs) || n < count) return false;
  *stats = static_cast<double*>(p);
  return true;
}

bool BatchHandle::Watch(int fd, ReadableFn fn) {
  if (watchCount_ == kMaxWatches) return false;
  Watched& w = watched_[watchCount_++];
  w.owner = this;
  w.fn = fn;
  w.fd = fd;
  return true;
}

void BatchHandle::Start(napi_value onBatch, const char* resourceName) {
  napi_create_reference(env, onBatch, 1, &cb_);
  napi_value name;
  napi_create_string_utf8(env, resourceName, NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &actx_);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  for (int i = 0; i < watchCount_; i++) {
    Watched& w = watched_[i];
    uv_poll_init(loop, &w.poll, w.fd);
    w.poll.data = &w;
    uv_poll_start(&w.poll, UV_READABLE, OnReadable);
    openPolls_++;
  }
  napi_add_async_cleanup_hook(env, OnEnvTeardown, this, &hook_);
}

void BatchHandle::SetWatching(int i, bool on) {
  if (closing_ || i < 0 || i >= watchCount_) return;
  if (on) uv_poll_start(&watched_[i].poll, UV_READABLE, OnReadable);
  else uv_poll_stop(&watched_[i].poll);
}

void BatchHandle::OnReadable(uv_poll_t* p, int status, int events) {
  Watched* w = static_cast<Watched*>(p->data);
  if (w->owner->closing_ || status < 0) return;
  w->fn(w->owner);
}

bool BatchHandle::CallBatch(uint32_t count) {
  napi_handle_scope scope;
  bool ok = napi_open_handle_scope(env, &scope) == napi_ok;
  if (ok) {
    napi_value fn, arg;
    ok = cb_ && napi_get_reference_value(env, cb_, &fn) == napi_ok && fn != nullptr;
    if (ok) {
      napi_create_uint32(env, count, &arg);
      ok = CallTolerant(env, actx_, fn, 1, &arg);
    }
    napi_close_handle_scope(env, scope);
  }
  if (!ok)
    for (uint32_t i = 0; i < count; i++) b.verdict[i] = kVerdictDrop;
  return ok;
}

void BatchHandle::ReleaseRefs() {
  for (napi_ref r : refs) napi_delete_reference(env, r);
  refs.clear();
  if (cb_) napi_delete_reference(env, cb_);
  cb_ = nullptr;
  if (actx_) napi_async_destroy(env, actx_);
  actx_ = nullptr;
}

void BatchHandle::StartClose(bool fromHook) {
  if (closing_) return;
  closing_ = true;
  if (!fromHook) ReleaseRefs();
  OnCloseStart();
  for (int i = 0; i < watchCount_; i++) {
    uv_poll_stop(&watched_[i].poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&watched_[i].poll), OnPollClosed);
  }
}

void BatchHandle::OnPollClosed(uv_handle_t* h) {
  BatchHandle* self = static_cast<Watched*>(h->data)->owner;
  if (--self->openPolls_ > 0) return;
  self->ReleaseSockets();
  if (self->hook_) napi_remove_async_cleanup_hook(self->hook_);
  self->hook_ = nullptr;
  self->closed_ = true;
  if (!self->wrapped_) delete self;
}

void BatchHandle::OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  BatchHandle* self = static_cast<BatchHandle*>(arg);
  self->hook_ = handle;
  if (self->closing_) return;  // OnPollClosed removes the hook
  self->StartClose(true);
}

void BatchHandle::Unwrapped() {
  wrapped_ = false;
  if (closed_) delete this;
  else StartClose(false);
}

napi_value BatchHandle::Close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  void* p = nullptr;
  if (napi_remove_wrap(env, thisArg, &p) == napi_ok && p) static_cast<BatchHandle*>(p)->Unwrapped();
  return nullptr;
}

void BatchHandle::Finalize(napi_env env, void* data, void* hint) {
  static_cast<BatchHandle*>(data)->Unwrapped();
}

napi_value BatchHandle::NewObject() {
  napi_value obj, fn;
  napi_create_object(env, &obj);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, Close, nullptr, &fn);
  napi_set_named_property(env, obj, "close", fn);
  return obj;
}

void BatchHandle::Wrap(napi_value obj) {
  napi_wrap(env, obj, static_cast<BatchHandle*>(this), Finalize, nullptr, nullptr);
}

void BatchHandle::Discard() {
  ReleaseRefs();
  ReleaseSockets();
  delete this;
}

}  // namespace ulvs
