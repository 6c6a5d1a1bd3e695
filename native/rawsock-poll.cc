// The poll of one raw socket (rawsock-poll.h).
#include "rawsock-poll.h"

#include <unistd.h>

#include "js-call.h"

namespace ulvs {
namespace {

void OnClosed(uv_handle_t* h) {
  PollCore* c = static_cast<PollCore*>(h->data);
  if (c->cb) napi_delete_reference(c->env, c->cb);
  if (c->actx) napi_async_destroy(c->env, c->actx);
  if (c->hook) napi_remove_async_cleanup_hook(c->hook);
  delete c;
}

}  // namespace

void CloseCore(PollCore* c) {
  if (c == nullptr || c->closing) return;
  c->closing = true;
  if (c->owner_slot) *c->owner_slot = nullptr;
  c->owner_slot = nullptr;
  if (c->polling) uv_poll_stop(&c->handle);
  c->polling = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), OnClosed);
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

void CleanupHook(napi_async_cleanup_hook_handle handle, void* arg) {
  PollCore* c = static_cast<PollCore*>(arg);
  if (c->closing) return;  // OnClosed will remove the hook
  CloseCore(c);
}

void OnPoll(uv_poll_t* h, int status, int events) {
  PollCore* c = static_cast<PollCore*>(h->data);
  if (c->closing || c->cb == nullptr) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb;
  if (napi_get_reference_value(env, c->cb, &cb) == napi_ok && cb != nullptr) CallTolerant(env, c->actx, cb, 0, nullptr);
  napi_close_handle_scope(env, scope);
}

}  // namespace ulvs
