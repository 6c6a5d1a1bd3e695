// The life of one batch packet-I/O handle, shared by the backends (nfqueue.cc, afpacket.cc, afxdp.cc):
// the view of a JS PacketBatch, up to two sockets polled on the owning env's uv loop, the JS batch
// callback, and the close order. There is no native thread: the Node worker thread that opened the
// handle runs its event loop, and the kernel wakes that loop through the sockets' readiness.
//
// API (a backend derives from BatchHandle):
//   struct Mine : BatchHandle {
//     explicit Mine(napi_env env) : BatchHandle(env) {}
//     void OnCloseStart() override;    // optional: closing begins; sockets open, polls not yet stopped
//     void ReleaseSockets() override;  // every poll is closed: close fds / unmap rings, in your order
//   };
//   open:   auto* h = new Mine(env);
//           ReadBatch(env, batchArg, &h->b, &h->refs)     -> "" or the error sentence
//           ...open sockets; on any failure: h->Discard(); throw...
//           h->Watch(fd, OnReadable)                      (at most kMaxWatches sockets; OnReadable(BatchHandle*))
//           h->Start(onBatchArg, "ulvs.mine")             callback kept, polls started, cleanup hook added
//           h->SetWatching(i, false|true)                 pause / resume the i-th poll (AF_XDP moderation)
//           napi_value obj = h->NewObject();               { close() }; add methods/properties, then
//           h->Wrap(obj); return obj;                     (last: the finalizer frees an unclosed handle)
//   rx:     if (!h->CallBatch(count)) bump your callback-error counter (the batch's verdicts are Drop)
//           h->closing() is true once close() ran or the env is going away: stop walking rings
//   method: Mine* m = BatchHandle::Unwrap<Mine>(env, thisArg);   nullptr after close()
//
// Close order (ARCHITECTURE.md "Native addon"). close(), the finalizer or the env's async cleanup hook
// start closing once: the JS references are released (not from the hook: the env is being torn down),
// OnCloseStart() runs (NFQUEUE unbinds its queue there), every poll is stopped and uv_close'd; when the
// last one is closed ReleaseSockets() runs, the cleanup hook is removed and the state is freed once no
// JS object points at it. A backend's sockets stay open until all its polls are closed.
#pragma once
#include <node_api.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ulvs {

// The Drop verdict of src/core/batch.ts, which every backend shares.
constexpr uint8_t kVerdictDrop = 0;

// Raw pointers into the typed arrays of a JS PacketBatch (src/core/batch.ts); the arrays are kept
// alive by references (BatchHandle::refs) held until the handle closes.
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
bool TypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data, size_t* len,
               std::vector<napi_ref>* refs);

// Reads obj[name] as a uint32 (a boolean reads as 0/1); dflt when absent or of another type.
uint32_t U32Prop(napi_env env, napi_value obj, const char* name, uint32_t dflt);

// Reads the arrays of the JS PacketBatch b into v; returns an error sentence or "" on success.
std::string ReadBatch(napi_env env, napi_value b, BatchView* v, std::vector<napi_ref>* refs);

// Reads options[name] (when present) as the caller's stats Float64Array of at least `count` elements;
// returns false when present but not such an array.
bool ReadStats(napi_env env, napi_value options, uint32_t count, double** stats, std::vector<napi_ref>* refs);

// The base of one backend's handle state: see the API at the top of this file.
class BatchHandle {
 public:
  // Called when a watched socket is readable (never after closing started).
  using ReadableFn = void (*)(BatchHandle*);
  // Sockets one handle can poll (AF_PACKET: the ring and the super-frame socket; AF_XDP: one per
  // interface and receive queue the worker owns).
  static constexpr int kMaxWatches = 16;

  // The state of a handle owned by the thread of env.
  explicit BatchHandle(napi_env env) : env(env) {}
  // Virtual, so a backend's state is freed whole through a BatchHandle*.
  virtual ~BatchHandle() = default;
  BatchHandle(const BatchHandle&) = delete;
  BatchHandle& operator=(const BatchHandle&) = delete;

  // The env (and thread) the handle belongs to.
  napi_env const env;
  // The batch the backend fills and the JS side answers.
  BatchView b;
  // The caller's counters (options.stats), or nullptr.
  double* stats = nullptr;
  // References that keep the batch's typed arrays (and stats) alive until closing.
  std::vector<napi_ref> refs;

  // True once closing started (close(), finalizer or env teardown): stop taking packets.
  bool closing() const { return closing_; }
  // Adds stats[i] += by when the caller gave counters.
  void Bump(int i, double by = 1) {
    if (stats) stats[i] += by;
  }
  // Polls fd for reading with fn on the env's loop once Start runs; false when kMaxWatches are taken.
  bool Watch(int fd, ReadableFn fn);
  // Stops (on = false) or restarts the poll of the i-th watched fd (after Start; not once closing).
  void SetWatching(int i, bool on);
  // Keeps the JS batch callback, starts every watched poll and adds the env's async cleanup hook.
  void Start(napi_value onBatch, const char* resourceName);
  // Calls onBatch(count) through the C napi_make_callback (its microtasks run). On failure (no
  // callback, a throw, the env going away) a pending exception is reported as uncaught, every verdict
  // of [0, count) is set to Drop and false is returned.
  bool CallBatch(uint32_t count);
  // Creates the JS handle object with its close() method.
  napi_value NewObject();
  // Wraps this state into obj (call last): its finalizer closes and frees an unclosed handle.
  void Wrap(napi_value obj);
  // Frees a handle whose Start never ran (a failed open): releases refs and sockets, then deletes it.
  void Discard();

  // The state wrapped in a method's `this`, or nullptr once close() ran.
  template <class T>
  static T* Unwrap(napi_env env, napi_value thisArg) {
    void* p = nullptr;
    if (napi_unwrap(env, thisArg, &p) != napi_ok || p == nullptr) return nullptr;
    return static_cast<T*>(static_cast<BatchHandle*>(p));
  }

 protected:
  // Closing begins: sockets are open and polls not yet stopped (NFQUEUE unbinds its queue here).
  virtual void OnCloseStart() {}
  // Every poll is closed (or none was started): close the sockets and unmap rings, in this backend's order.
  virtual void ReleaseSockets() = 0;

 private:
  struct Watched {
    uv_poll_t poll;
    BatchHandle* owner = nullptr;
    ReadableFn fn = nullptr;
    int fd = -1;
  };
  static void OnReadable(uv_poll_t* p, int status, int events);
  static void OnPollClosed(uv_handle_t* h);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg);
  static napi_value Close(napi_env env, napi_callback_info info);
  static void Finalize(napi_env env, void* data, void* hint);
  // Releases the JS references, callback and async context (not during env teardown).
  void ReleaseRefs();
  // Starts closing once; fromHook: the env is being torn down (JS references are left alone).
  void StartClose(bool fromHook);
  // The JS object is gone (close() or its finalizer): free now if closed, else close first.
  void Unwrapped();

  Watched watched_[kMaxWatches];
  int watchCount_ = 0;
  int openPolls_ = 0;  // polls started and not yet closed
  napi_ref cb_ = nullptr;
  napi_async_context actx_ = nullptr;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  bool closing_ = false;
  bool closed_ = false;   // every poll closed and the sockets released
  bool wrapped_ = true;   // a JS object still points at this state
};

}  // namespace ulvs
