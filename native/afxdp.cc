// AF_XDP packet I/O for one worker: one AF_XDP socket per (interface, rx queue) this worker owns, all
// sharing the worker's UMEM (xsk.h). The interface's XDP program (src/io/xsk-program.ts) redirects
// virtual-service traffic and NAT replies into the XSKMAP slot of the queue they arrived on; whatever
// it does not redirect never leaves the kernel's fast path.
//
// Zero copy into the pipeline: the UMEM region is handed to JS as the batch buffer, and batch entry i
// points at the frame the kernel wrote (start[i] = offset of the packet in the region). The pipeline
// rewrites the frame in place and the same frame goes out: a Transmit verdict puts its address in the
// TX ring of the socket on outIfindex[i] (another device of the shared UMEM is fine), every other
// frame goes straight back to the free list, and the fill rings are topped up once per batch. The
// region starts with `lead` bytes that hold no frame, at least capacity * slotSize, so every packet's
// offset lies past the batch's slot i and the pipeline's headroom test (prepend only inside slot i)
// always holds; the real headroom is the XDP_PACKET_HEADROOM (256 bytes) before each packet.
// XDP hands over no checksum state, so a frame a local sender left CHECKSUM_PARTIAL (veth, default
// offloads) is recognised by its field holding the pseudo-header sum and completed (offload.h).
// GSO super-frames never arrive: veth turns its peer's software GSO off while an XDP program is attached.
//
// Rules (ARCHITECTURE.md "Native addon"): the uv polls live on the owning env's loop, are closed from
// an async cleanup hook on env teardown, and the JS callback goes through napi_make_callback.
#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "afxdp.h"
#include "offload.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace ulvs {

void XskBump(Xsk* x, int i, double by) {
  if (x->stats) x->stats[i] += by;
}

bool XskTypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data, size_t* len, std::vector<napi_ref>* refs) {
  napi_value v;
  bool is = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) return false;
  napi_ref r;
  napi_create_reference(env, v, 1, &r);
  refs->push_back(r);
  return true;
}

uint32_t XskU32Prop(napi_env env, napi_value obj, const char* name, uint32_t dflt) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has || napi_get_named_property(env, obj, name, &v) != napi_ok) return dflt;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_number) return dflt;
  uint32_t u;
  napi_get_value_uint32(env, v, &u);
  return u;
}


std::string XskReadBatch(napi_env env, napi_value b, Xsk* x) {
  x->capacity = XskU32Prop(env, b, "capacity", 0);
  if (x->capacity == 0) return "batch.capacity must be at least 1";
  void* p;
  size_t n;
  struct { const char* name; uint32_t** dst; } u32s[] = {{"start", &x->start}, {"length", &x->length}, {"id", &x->id},
                                                       {"ifindex", &x->ifindex}, {"mark", &x->mark}, {"outIfindex", &x->outIfindex}};
  for (auto& f : u32s) {
    if (!XskTypedData(env, b, f.name, napi_uint32_array, &p, &n, &x->refs) || n < x->capacity)
      return std::string("batch.") + f.name + " must be a Uint32Array of capacity elements";
    *f.dst = static_cast<uint32_t*>(p);
  }
  if (!XskTypedData(env, b, "verdict", napi_uint8_array, &p, &n, &x->refs) || n < x->capacity) return "batch.verdict must be a Uint8Array";
  x->verdict = static_cast<uint8_t*>(p);
  if (!XskTypedData(env, b, "reason", napi_uint16_array, &p, &n, &x->refs) || n < x->capacity) return "batch.reason must be a Uint16Array";
  x->reason = static_cast<uint16_t*>(p);
  if (!XskTypedData(env, b, "timeMs", napi_float64_array, &p, &n, &x->refs) || n < x->capacity) return "batch.timeMs must be a Float64Array";
  x->timeMs = static_cast<double*>(p);
  return "";
}

static void CallJs(Xsk* x, uint32_t count) {
  napi_env env = x->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  bool ok = x->cb && napi_get_reference_value(env, x->cb, &fn) == napi_ok && fn != nullptr;
  if (ok) {
    napi_get_global(env, &recv);
    napi_create_uint32(env, count, &arg);
    if (napi_make_callback(env, x->actx, recv, fn, 1, &arg, &result) != napi_ok) {
      ok = false;
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
      }
    }
  }
  napi_close_handle_scope(env, scope);
  if (!ok) {
    XskBump(x, kCallbackErrors);
    for (uint32_t i = 0; i < count; i++) x->verdict[i] = kDrop;
  }
}

// The socket a frame for `ifindex` leaves by (the first of this worker's sockets on that device).
static XskSocket* TxSocket(Xsk* x, uint32_t ifindex, size_t* k) {
  for (size_t j = 0; j < x->socks.size(); j++)
    if (uint32_t(x->socks[j].ifindex) == ifindex) {
      *k = j;
      return &x->socks[j];
    }
  return nullptr;
}

// Runs the JS pipeline over entries [0, count), then sends or frees every frame.
static void Deliver(Xsk* x, uint32_t count) {
  if (count == 0) return;
  XskBump(x, kRxPackets, count);
  XskBump(x, kRxBatches);
  CallJs(x, count);
  if (x->closing) {
    for (uint32_t i = 0; i < count; i++) x->umem.free.push_back(x->slotFrame[i]);
    return;
  }
  const uint64_t lead = x->umem.lead, fs = x->umem.frameSize;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t frame = x->slotFrame[i];
    uint8_t v = x->verdict[i];
    if (v != kTransmit) {
      if (v == kAccept || v == kAcceptModified) XskBump(x, kPassLost);
      x->umem.free.push_back(frame);
      continue;
    }
    uint64_t st = x->start[i], len = x->length[i];
    size_t k = 0;
    XskSocket* s = TxSocket(x, x->outIfindex[i] ? x->outIfindex[i] : x->ifindex[i], &k);
    // The rewritten frame must still lie inside its own UMEM frame.
    bool fits = st >= lead && st - lead >= frame && st - lead + len <= frame + fs && len >= 14;
    if (!s || !fits || s->tx.Free() == 0) {
      XskBump(x, kTxErrors);
      x->umem.free.push_back(frame);
      continue;
    }
    xdp_desc& d = s->tx.Descs()[s->tx.cachedProd & s->tx.mask];
    d.addr = st - lead;
    d.len = uint32_t(len);
    d.options = 0;
    s->tx.cachedProd++;
    x->txPending[k] = 1;
    XskBump(x, kTxPackets);
  }
  for (size_t k = 0; k < x->socks.size(); k++) {
    if (!x->txPending[k]) continue;
    x->txPending[k] = 0;
    XskSocket& s = x->socks[k];
    s.tx.Publish();
    XskBump(x, kTxKicks, XskKick(&s));
    XskReapCompletions(&s, &x->umem);
  }
}

static void Refill(Xsk* x) {
  for (auto& s : x->socks) XskReapCompletions(&s, &x->umem);
  for (auto& s : x->socks) XskRefill(&s, &x->umem, s.fill.size);
}

// Takes every ready RX descriptor of every socket (up to kBatchesPerWakeup batches), then refills.
void XskOnReadable(uv_poll_t* h, int status, int events) {
  Xsk* x = static_cast<Xsk*>(h->data);
  if (x->closing) return;
  Refill(x);
  uint32_t count = 0;
  const uint64_t chunk = ~uint64_t(x->umem.frameSize - 1);
  for (int round = 0; round < kBatchesPerWakeup && !x->closing; round++) {
    bool any = false;
    for (auto& s : x->socks) {
      uint32_t n = s.rx.Ready();
      if (n == 0) continue;
      any = true;
      if (n > x->capacity - count) n = x->capacity - count;
      const xdp_desc* d = s.rx.Descs();
      for (uint32_t k = 0; k < n; k++) {
        const xdp_desc& e = d[(s.rx.cachedCons + k) & s.rx.mask];
        uint32_t i = count++;
        x->slotFrame[i] = e.addr & chunk;
        // XDP carries no checksum state: a frame from a local sender (veth) may hold only a partial sum.
        if (CompleteIfPartial(x->umem.Base() + e.addr, e.len)) XskBump(x, kCsumCompleted);
        x->start[i] = uint32_t(x->umem.lead + e.addr);
        x->length[i] = e.len;
        x->id[i] = 0;
        x->ifindex[i] = uint32_t(s.ifindex);
        x->mark[i] = 0;
        x->timeMs[i] = 0;
        x->verdict[i] = kDrop;
        x->reason[i] = 0;
        x->outIfindex[i] = 0;
      }
      s.rx.cachedCons += n;
      s.rx.Release();
      if (count == x->capacity) {
        Deliver(x, count);
        count = 0;
        Refill(x);
      }
    }
    if (!any) break;
  }
  Deliver(x, count);
  if (!x->closing) Refill(x);
}

static void FinishClose(Xsk* x) {
  // Closing a socket also takes it out of the XSKMAP (the kernel's xsk_delete_from_maps).
  for (auto& s : x->socks) XskSocketClose(&s);
  if (x->hook) napi_remove_async_cleanup_hook(x->hook);
  x->hook = nullptr;
  x->closed = true;
  if (!x->wrapped) delete x;
}

static void OnClosed(uv_handle_t* h) {
  Xsk* x = static_cast<Xsk*>(h->data);
  if (--x->openHandles == 0) FinishClose(x);
}

void XskStartClose(Xsk* x, bool fromHook) {
  if (x->closing) return;
  x->closing = true;
  if (!fromHook) {
    for (napi_ref r : x->refs) napi_delete_reference(x->env, r);
    x->refs.clear();
    if (x->cb) napi_delete_reference(x->env, x->cb);
    x->cb = nullptr;
    // The region's ArrayBuffer unmaps the UMEM when JS lets go of it (finalizer), never before.
    if (x->region) napi_delete_reference(x->env, x->region);
    x->region = nullptr;
    if (x->actx) napi_async_destroy(x->env, x->actx);
    x->actx = nullptr;
  }
  if (x->openHandles == 0) {
    FinishClose(x);
    return;
  }
  for (size_t k = 0; k < x->socks.size(); k++) {
    uv_poll_stop(&x->polls[k]);
    uv_close(reinterpret_cast<uv_handle_t*>(&x->polls[k]), OnClosed);
  }
}

}  // namespace ulvs
