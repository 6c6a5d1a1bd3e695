// The poll of one raw socket (rawsock.cc): a uv poll on the env's loop of the thread that made the
// socket, started when JS asks for readability, closed by close(), the wrapper's destructor or the
// env's async cleanup hook, whichever comes first. Not a batch handle (batch-handle.h): no batch, one
// JS call per readiness, and the socket closes as soon as closing starts.
#pragma once
#include <node_api.h>
#include <uv.h>

namespace ulvs {

// The socket and its poll; freed in the uv_close callback.
struct PollCore {
  uv_poll_t handle;
  napi_env env = nullptr;
  int fd = -1;
  bool polling = false;
  bool closing = false;
  napi_ref cb = nullptr;
  napi_async_context actx = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  void** owner_slot = nullptr;  // RawSock::core_ as void*, cleared on close
};

// Starts closing c once (nullptr is ignored): clears the owner's pointer, stops and closes the poll, closes the socket.
void CloseCore(PollCore* c);
// The env's async cleanup hook of a PollCore (registered with it as arg).
void CleanupHook(napi_async_cleanup_hook_handle handle, void* arg);
// The uv poll callback: calls the JS onReadable callback with no arguments.
void OnPoll(uv_poll_t* h, int status, int events);

}  // namespace ulvs
