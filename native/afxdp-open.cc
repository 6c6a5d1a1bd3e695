// xskOpen: the N-API entry point of the AF_XDP backend (afxdp.cc runs it). It maps the worker's
// UMEM, opens one socket per (interface, queue), puts each in its interface's XSKMAP, fills the fill
// rings and hands the UMEM region to JS as the batch buffer (an external ArrayBuffer that unmaps the
// region when JS lets go of it, so no view outlives the memory).
#include <errno.h>
#include <sys/timerfd.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <string>

#include "afxdp.h"
#include "module.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace ulvs {
namespace {

struct Region {
  void* addr;
  size_t len;
};

void FreeRegion(napi_env env, void* data, void* hint) {
  auto* r = static_cast<Region*>(hint);
  munmap(r->addr, r->len);
  delete r;
}

napi_value Throw(napi_env env, const std::string& msg, bool unavailable) {
  napi_throw_error(env, unavailable ? "ULVS_AFXDP_UNAVAILABLE" : "ULVS_AFXDP", msg.c_str());
  return nullptr;
}

// ringStats(): adds what XDP_STATISTICS counted since the last call to stats (ring drops, fill ring
// empty, invalid TX descriptors); returns the new ring drops.
napi_value RingStats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg, out;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  Xsk* x = BatchHandle::Unwrap<Xsk>(env, thisArg);
  double drops = 0;
  if (x && !x->closing()) {
    for (size_t k = 0; k < x->socks.size(); k++) {
      xdp_statistics st;
      memset(&st, 0, sizeof st);
      socklen_t l = sizeof st;
      if (getsockopt(x->socks[k].fd, SOL_XDP, XDP_STATISTICS, &st, &l) < 0) continue;
      xdp_statistics& was = x->seen[k];
      drops += double(st.rx_dropped - was.rx_dropped) + double(st.rx_ring_full - was.rx_ring_full);
      x->Bump(kFillEmpty, double(st.rx_fill_ring_empty_descs - was.rx_fill_ring_empty_descs));
      x->Bump(kTxInvalid, double(st.tx_invalid_descs - was.tx_invalid_descs));
      was = st;
    }
    x->Bump(kRingDrops, drops);
  }
  napi_create_double(env, drops, &out);
  return out;
}

struct Want {
  int ifindex;
  uint32_t queue;
  int mapFd;
  std::string ifname;
};

// Reads options.interfaces: [{ ifname, ifindex, mapFd, queues: number[] }]; "" on success.
std::string ReadInterfaces(napi_env env, napi_value opts, std::vector<Want>* out) {
  napi_value arr;
  bool is = false;
  if (napi_get_named_property(env, opts, "interfaces", &arr) != napi_ok || napi_is_array(env, arr, &is) != napi_ok || !is)
    return "xskOpen: options.interfaces must be an array";
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e, qs, name;
    napi_get_element(env, arr, i, &e);
    char buf[64] = {0};
    size_t nl = 0;
    napi_get_named_property(env, e, "ifname", &name);
    napi_get_value_string_utf8(env, name, buf, sizeof buf, &nl);
    int ifindex = int(U32Prop(env, e, "ifindex", 0));
    int mapFd = int(U32Prop(env, e, "mapFd", 0));
    if (ifindex <= 0 || mapFd <= 0) return "xskOpen: every interface needs an ifindex and its XSKMAP's mapFd";
    if (napi_get_named_property(env, e, "queues", &qs) != napi_ok || napi_is_array(env, qs, &is) != napi_ok || !is)
      return "xskOpen: interfaces[].queues must be an array of queue numbers";
    uint32_t nq = 0;
    napi_get_array_length(env, qs, &nq);
    for (uint32_t k = 0; k < nq; k++) {
      napi_value q;
      uint32_t qn = 0;
      napi_get_element(env, qs, k, &q);
      napi_get_value_uint32(env, q, &qn);
      out->push_back({ifindex, qn, mapFd, buf});
    }
  }
  if (out->size() > size_t(BatchHandle::kMaxWatches))
    return "xskOpen: at most " + std::to_string(BatchHandle::kMaxWatches) + " sockets (interfaces x queues) per worker: use more workers";
  return "";
}

// xskOpen(options, batch, onBatch) -> { close(), ringStats(), buf: Uint8Array (the UMEM region), zeroCopy, sockets }.
// options: { interfaces: [{ ifname, ifindex, mapFd, queues }], ringSize=2048, frameSize=2048, stats }
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return Throw(env, "xskOpen(options, batch, onBatch) needs three arguments", false);
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_function) return Throw(env, "xskOpen: onBatch must be a function", false);
  auto* x = new Xsk(env);
  std::vector<Want> want;
  std::string err = ReadBatch(env, argv[1], &x->b, &x->refs);
  void* p;
  size_t n;
  if (err.empty()) {
    if (!TypedData(env, argv[1], "outIfindex", napi_uint32_array, &p, &n, &x->refs) || n < x->b.capacity) err = "batch.outIfindex must be a Uint32Array";
    else x->outIfindex = static_cast<uint32_t*>(p);
  }
  if (err.empty()) err = ReadInterfaces(env, argv[0], &want);
  if (err.empty() && !ReadStats(env, argv[0], kStatCount, &x->stats, &x->refs))
    err = "xskOpen: options.stats must be a Float64Array of at least xskStatCount elements";
  uint32_t ringSize = U32Prop(env, argv[0], "ringSize", 2048);
  uint32_t frameSize = U32Prop(env, argv[0], "frameSize", 2048);
  x->coalesceUs = U32Prop(env, argv[0], "coalesceUs", 0);
  if (err.empty() && x->coalesceUs > 100000) err = "xskOpen: coalesceUs must be 0 to 100000";
  if (err.empty() && (ringSize < 64 || ringSize > 16384 || (ringSize & (ringSize - 1)) != 0)) err = "xskOpen: ringSize must be a power of two from 64 to 16384";
  bool unavailable = false;
  auto fail = [&](const std::string& m) {
    x->Discard();
    return Throw(env, m, unavailable);
  };
  if (!err.empty()) return fail(err);
  // Frames for a full fill ring and a full TX ring per socket.
  uint32_t frames = uint32_t(want.size() ? want.size() : 1) * 2 * ringSize;
  err = XskUmemCreate(&x->umem, size_t(x->b.capacity) * x->b.slotSize, frameSize, frames);
  if (!err.empty()) return fail("AF_XDP: " + err);
  x->regionOwned = true;
  x->socks.resize(want.size());
  for (size_t k = 0; k < want.size(); k++) {
    const char* what = "";
    int e = XskSocketOpen(&x->socks[k], &x->umem, k ? &x->socks[0] : nullptr, want[k].ifindex, want[k].queue, ringSize, &what);
    if (!e) e = XskMapInsert(want[k].mapFd, want[k].queue, x->socks[k].fd), what = e ? "the XSKMAP update" : what;
    if (e) {
      // The host cannot run AF_XDP (the pool falls back to afpacket); anything else is an error to fix.
      unavailable = e == EAFNOSUPPORT || e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == ENOPROTOOPT || e == EPERM || e == ENOBUFS;
      std::string m = "AF_XDP on " + want[k].ifname + " queue " + std::to_string(want[k].queue) + ": " + what + " failed (" + strerror(e) + ")";
      if (e == EPERM) m += ": ulvs needs CAP_NET_RAW and CAP_BPF (run as root)";
      if (e == EAFNOSUPPORT) m += ": this kernel has no AF_XDP (CONFIG_XDP_SOCKETS)";
      // xdp_umem_account_pages: without CAP_IPC_LOCK the UMEM counts against RLIMIT_MEMLOCK.
      if (e == ENOBUFS) m += ": the UMEM does not fit the locked-memory limit (raise LimitMEMLOCK / ulimit -l, or grant CAP_IPC_LOCK)";
      return fail(m);
    }
  }
  x->slotFrame.assign(x->b.capacity, 0);
  x->txPending.assign(x->socks.size(), 0);
  x->seen.assign(x->socks.size(), xdp_statistics{});
  for (auto& s : x->socks) XskRefill(&s, &x->umem, s.fill.size);

  napi_value ab, u8;
  auto* region = new Region{x->umem.region, x->umem.regionLen};
  if (napi_create_external_arraybuffer(env, x->umem.region, x->umem.regionLen, FreeRegion, region, &ab) != napi_ok) {
    delete region;
    return fail("AF_XDP: cannot hand the UMEM to JavaScript (external ArrayBuffer refused)");
  }
  x->regionOwned = false;  // FreeRegion unmaps it once JS lets go; nothing below fails
  napi_create_typedarray(env, napi_uint8_array, region->len, ab, 0, &u8);
  napi_ref keep;
  napi_create_reference(env, u8, 1, &keep);  // released with the other refs when the handle closes
  x->refs.push_back(keep);
  for (auto& s : x->socks) x->Watch(s.fd, XskOnReadable);
  if (x->coalesceUs) {
    x->timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (x->timerFd < 0 || !x->Watch(x->timerFd, XskOnTimer)) x->coalesceUs = 0;  // moderation off, not an error
  }
  x->Start(argv[2], "ulvs.afxdp");

  napi_value obj = x->NewObject(), fn, v;
  napi_create_function(env, "ringStats", NAPI_AUTO_LENGTH, RingStats, nullptr, &fn);
  napi_set_named_property(env, obj, "ringStats", fn);
  napi_set_named_property(env, obj, "buf", u8);
  napi_get_boolean(env, !x->socks.empty() && x->socks[0].zeroCopy, &v);
  napi_set_named_property(env, obj, "zeroCopy", v);
  napi_create_uint32(env, uint32_t(x->socks.size()), &v);
  napi_set_named_property(env, obj, "sockets", v);
  x->Wrap(obj);
  return obj;
}

}  // namespace

void InitAfXdp(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "xskOpen", NAPI_AUTO_LENGTH, Open, nullptr, &fn);
  exports.Set("xskOpen", Napi::Value(env, fn));
  exports.Set("xskStatCount", Napi::Number::New(env, kStatCount));
}

}  // namespace ulvs
