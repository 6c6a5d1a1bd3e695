// AF_PACKET packet I/O for one worker on one interface: a receive ring joined to a PACKET_FANOUT
// group (flow hash, so every worker owns a share of the flows), a classic BPF filter
// attached before the socket is bound (only VIP traffic and NAT replies reach userspace), and
// batched transmit of rewritten frames with one sendmmsg per batch. One JS callback per batch; after
// it returns, packets whose verdict is Transmit are sent out of outIfindex[i].
//
// Two ring layouts. TPACKET_V2 (the default): one fixed-size frame per packet, and the kernel wakes the
// poll for every packet, so a lone packet is handled at once; under load the walk over ready frames
// makes the batches. TPACKET_V3: variable-size packets in blocks, handed over only when a block is
// full or its retire timer (>= 1 ms) fires, so every packet of a quiet flow waits up to a millisecond.
//
// A NIC's default offloads (offload.h): every socket sets PACKET_VNET_HDR, so each frame comes with a
// virtio_net_hdr. A frame whose checksum is not ready (CHECKSUM_PARTIAL) gets it completed as it is
// copied into its slot; a GSO/GRO super-frame (many TCP segments or UDP datagrams in one skb) is cut
// into wire-sized segments, each in its own slot, so the pipeline only ever sees frames a wire carries.
// Super-frames larger than a ring frame would be truncated by the ring: the ring's filter refuses
// them (skb->len above the slot's room) and a second, ring-less socket with the opposite length test
// receives them whole with recvmsg (one call per super-frame, i.e. per dozens of segments).
// Frames that cannot be finished (a GSO type we cannot cut, truncated, bad offsets) are counted and
// dropped. Transmit sends a zero virtio_net_hdr before every frame: nothing is left for the kernel.
//
// Rules (ARCHITECTURE.md "Native addon"): the uv poll lives on the owning env's loop, is closed from
// an async cleanup hook on env teardown, and the JS callback goes through napi_make_callback.
#include "module.h"
#include "offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

namespace ulvs {
namespace {

// Indexes of the counters this module adds to the caller's stats Float64Array.
enum AfpStat : int {
  kRxPackets = 0,    // packets put into batches
  kRxBatches = 1,    // JS callbacks made
  kTxPackets = 2,    // frames handed to the kernel by sendmmsg
  kTxCalls = 3,      // sendmmsg calls
  kOversize = 4,     // frames larger than a slot or truncated (dropped)
  kTxErrors = 5,     // frames sendmmsg did not take
  kCallbackErrors = 6,
  kRingDrops = 7,    // packets the kernel dropped because the ring was full (PACKET_STATISTICS)
  kCsumCompleted = 8,  // CHECKSUM_PARTIAL frames whose L4 checksum we completed
  kGsoFrames = 9,      // GSO/GRO super-frames cut into segments
  kGsoSegments = 10,   // segments those made
  kOffloadDrops = 11,  // frames we could not finish (GSO type we cannot cut, bad offsets): dropped
  kTruncated = 12,     // super-frames larger than the receive buffer (MSG_TRUNC): dropped
  kStatCount = 13,
};

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

bool TypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data,
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

// Reads the batch arrays; returns an error sentence or "" on success.
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

// Verdict codes of src/dataplane/batch.ts.
constexpr uint8_t kDrop = 0, kTransmit = 3;

// Receive buffer of the super-frame socket: a virtio_net_hdr and a 64 KiB GSO frame (gso_max_size) with
// room for BIG TCP's larger ones up to 192 KiB.
constexpr size_t kBigBufBytes = sizeof(VnetHdr) + (192u << 10);
// Super-frames taken per wakeup of the super-frame socket before the event loop gets a turn.
constexpr int kBigPerWakeup = 64;
// The virtio_net_hdr sent before every transmitted frame: no checksum or segmentation left to do.
const VnetHdr kNoOffload = {};

struct Afp {
  napi_env env = nullptr;
  uv_poll_t poll, bigPoll;
  int fd = -1, bigFd = -1;
  int openHandles = 0;  // uv polls not yet closed
  uint32_t room = 0;    // largest frame a ring frame and a batch slot both hold (the filters' length split)
  std::vector<uint8_t> bigBuf;
  int ifindex = 0;
  BatchView b;
  uint32_t* outIfindex = nullptr;
  double* stats = nullptr;
  std::vector<napi_ref> refs;
  napi_ref cb = nullptr;
  napi_async_context actx = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  bool closing = false, closed = false, wrapped = true;
  // RX ring: V3 walks blockCount blocks of blockSize; V2 walks frameCount frames of frameSize.
  int version = TPACKET_V2;
  uint8_t* map = nullptr;
  size_t mapLen = 0;
  uint32_t blockSize = 0, blockCount = 0, cur = 0;
  uint32_t frameSize = 0, frameCount = 0;
  uint32_t coalesceUs = 0;  // V2: sleep between walks while under load (0 = never)
  uint64_t taken = 0;       // packets put into batches, ever
  // TX scratch
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;  // two per message: the virtio_net_hdr, the frame
  std::vector<sockaddr_ll> addrs;
};

void Bump(Afp* a, int i, double by = 1) {
  if (a->stats) a->stats[i] += by;
}

void CallJs(Afp* a, uint32_t count) {
  napi_env env = a->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  bool ok = a->cb && napi_get_reference_value(env, a->cb, &fn) == napi_ok && fn != nullptr;
  if (ok) {
    napi_get_global(env, &recv);
    napi_create_uint32(env, count, &arg);
    if (napi_make_callback(env, a->actx, recv, fn, 1, &arg, &result) != napi_ok) {
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
    Bump(a, kCallbackErrors);
    for (uint32_t i = 0; i < count; i++) a->b.verdict[i] = kDrop;
  }
}

// Sends every frame of [0, count) whose verdict is Transmit, in sendmmsg calls.
void Transmit(Afp* a, uint32_t count) {
  BatchView& b = a->b;
  uint32_t n = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (b.verdict[i] != kTransmit) continue;
    uint32_t st = b.start[i], len = b.length[i];
    if (len < 14 || size_t(st) + len > b.bufLen) {
      Bump(a, kTxErrors);
      continue;
    }
    sockaddr_ll& sa = a->addrs[n];
    memset(&sa, 0, sizeof sa);
    sa.sll_family = AF_PACKET;
    sa.sll_ifindex = int(a->outIfindex[i] ? a->outIfindex[i] : uint32_t(a->ifindex));
    sa.sll_halen = ETH_ALEN;
    memcpy(sa.sll_addr, b.buf + st, ETH_ALEN);
    iovec* iov = &a->iovs[2 * size_t(n)];
    iov[0].iov_base = const_cast<VnetHdr*>(&kNoOffload);
    iov[0].iov_len = sizeof kNoOffload;
    iov[1].iov_base = b.buf + st;
    iov[1].iov_len = len;
    msghdr& m = a->msgs[n].msg_hdr;
    memset(&m, 0, sizeof m);
    m.msg_name = &sa;
    m.msg_namelen = sizeof sa;
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    n++;
  }
  uint32_t done = 0;
  while (done < n) {
    int r = sendmmsg(a->fd, a->msgs.data() + done, n - done, MSG_DONTWAIT);
    Bump(a, kTxCalls);
    if (r < 0) {
      if (errno == EINTR) continue;
      // Skip the frame that failed (too big, interface down, queue full) and go on with the rest.
      Bump(a, kTxErrors);
      done++;
      continue;
    }
    Bump(a, kTxPackets, r);
    done += uint32_t(r);
  }
}

void Deliver(Afp* a, uint32_t count) {
  if (count == 0) return;
  Bump(a, kRxPackets, count);
  Bump(a, kRxBatches);
  CallJs(a, count);
  if (a->fd >= 0) Transmit(a, count);
}

// Fills the metadata of the frame just written at slot `count`; returns the new count (delivering a full batch).
uint32_t Commit(Afp* a, uint32_t count, uint32_t off, uint32_t len, const sockaddr_ll* sll) {
  BatchView& b = a->b;
  a->taken++;
  b.start[count] = off;
  b.length[count] = len;
  b.id[count] = 0;
  b.ifindex[count] = uint32_t(sll->sll_ifindex);
  b.mark[count] = 0;
  b.timeMs[count] = 0;
  b.verdict[count] = kDrop;
  b.reason[count] = 0;
  a->outIfindex[count] = 0;
  if (++count == b.capacity) {
    Deliver(a, count);
    count = 0;
  }
  return count;
}

// Cuts a GSO super-frame into segments, one slot each.
uint32_t TakeGso(Afp* a, uint32_t count, const uint8_t* frame, uint32_t len, const VnetHdr& vh, const sockaddr_ll* sll) {
  BatchView& b = a->b;
  GsoPlan p;
  if (PlanGso(frame, len, vh, &p) != kOffloadOk || p.hdrLen + p.mss > b.slotSize - b.headroom) {
    Bump(a, kOffloadDrops);
    return count;
  }
  Bump(a, kGsoFrames);
  Bump(a, kGsoSegments, p.segments);
  for (uint32_t k = 0; k < p.segments && !a->closing; k++) {
    uint32_t off = count * b.slotSize + b.headroom;
    count = Commit(a, count, off, GsoWrite(frame, p, k, b.buf + off), sll);
  }
  return count;
}

// Copies one received packet (its virtio_net_hdr at vh) into batch slot `count`, finishing what the
// offloads left; returns the new count (delivering a full batch).
uint32_t Take(Afp* a, uint32_t count, const uint8_t* frame, uint32_t snaplen, uint32_t len, const VnetHdr& vh, const sockaddr_ll* sll) {
  BatchView& b = a->b;
  if (sll->sll_pkttype == PACKET_OUTGOING) return count;  // our own or the host's transmissions
  if (snaplen != len) {
    Bump(a, kOversize);
    return count;
  }
  if (vh.gsoType != kVnetGsoNone) return TakeGso(a, count, frame, len, vh, sll);
  if (len > b.slotSize - b.headroom) {
    Bump(a, kOversize);
    return count;
  }
  uint32_t off = count * b.slotSize + b.headroom;
  memcpy(b.buf + off, frame, len);
  if (vh.flags & kVnetNeedsCsum) {
    if (CompleteChecksum(b.buf + off, len, vh) != kOffloadOk) {
      Bump(a, kOffloadDrops);
      return count;
    }
    Bump(a, kCsumCompleted);
  }
  return Commit(a, count, off, len, sll);
}

// The virtio_net_hdr the kernel put right before a ring frame's MAC header.
const VnetHdr& VnetBefore(const uint8_t* mac) {
  return *reinterpret_cast<const VnetHdr*>(mac - sizeof(VnetHdr));
}

// TPACKET_V3: every retired block, in ring order.
uint32_t WalkBlocks(Afp* a) {
  uint32_t count = 0;
  for (uint32_t walked = 0; walked < a->blockCount && !a->closing; walked++) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(a->map + size_t(a->cur) * a->blockSize);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    uint32_t num = bd->hdr.bh1.num_pkts;
    auto* ph = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt);
    for (uint32_t k = 0; k < num; k++) {
      auto* raw = reinterpret_cast<uint8_t*>(ph);
      auto* sll = reinterpret_cast<const sockaddr_ll*>(raw + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      count = Take(a, count, raw + ph->tp_mac, ph->tp_snaplen, ph->tp_len, VnetBefore(raw + ph->tp_mac), sll);
      ph = reinterpret_cast<tpacket3_hdr*>(raw + ph->tp_next_offset);
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->cur = (a->cur + 1) % a->blockCount;
  }
  return count;
}

// TPACKET_V2: every ready frame, in ring order, at most one lap per wakeup. Each frame goes back to
// the kernel as soon as it is copied into the batch.
uint32_t WalkFrames(Afp* a) {
  uint32_t count = 0;
  for (uint32_t walked = 0; walked < a->frameCount && !a->closing; walked++) {
    auto* raw = a->map + size_t(a->cur) * a->frameSize;
    auto* ph = reinterpret_cast<tpacket2_hdr*>(raw);
    if (!(__atomic_load_n(&ph->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    auto* sll = reinterpret_cast<const sockaddr_ll*>(raw + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    count = Take(a, count, raw + ph->tp_mac, ph->tp_snaplen, ph->tp_len, VnetBefore(raw + ph->tp_mac), sll);
    __atomic_store_n(&ph->tp_status, uint32_t(TP_STATUS_KERNEL), __ATOMIC_RELEASE);
    a->cur = (a->cur + 1) % a->frameCount;
  }
  return count;
}

// Rx coalescing for the V2 ring (a NIC's adaptive rx-usecs, in userspace): when a walk found at least
// kCoalesceMin packets the worker is under load, so it sleeps coalesceUs and walks again instead of
// going back to the poll for every few packets; the CPU this frees goes to everything else on the
// host, and the batches grow. A quiet ring (a lone packet) is never held back. At most 16 rounds, so
// the worker's event loop (snapshots, stats) still turns every few milliseconds. The threshold is 64, not
// lower: 32 HTTP clients through NAT make walks of 16-60 packets, and holding those cost a third of the
// Connection: close rate (3.5k vs 5.0k req/s) while 64-byte floods (walks of hundreds) forward as fast.
constexpr uint32_t kCoalesceMin = 64, kCoalesceRounds = 16;

void OnReadable(uv_poll_t* h, int status, int events) {
  Afp* a = static_cast<Afp*>(h->data);
  if (a->closing || status < 0) return;
  if (a->version == TPACKET_V3) {
    Deliver(a, WalkBlocks(a));
    return;
  }
  for (uint32_t round = 0; round < kCoalesceRounds && !a->closing; round++) {
    uint64_t before = a->taken;
    Deliver(a, WalkFrames(a));
    if (a->coalesceUs == 0 || a->taken - before < kCoalesceMin) break;
    timespec ts = {0, long(a->coalesceUs) * 1000};
    nanosleep(&ts, nullptr);
  }
}

// The super-frame socket: whole GSO/GRO frames larger than a ring frame, one recvmsg each.
void OnBigReadable(uv_poll_t* h, int status, int events) {
  Afp* a = static_cast<Afp*>(h->data);
  if (a->closing || status < 0) return;
  uint32_t count = 0;
  for (int n = 0; n < kBigPerWakeup && !a->closing; n++) {
    sockaddr_ll sll = {};
    iovec iov = {a->bigBuf.data(), a->bigBuf.size()};
    msghdr m = {};
    m.msg_name = &sll;
    m.msg_namelen = sizeof sll;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    ssize_t r = recvmsg(a->bigFd, &m, MSG_DONTWAIT | MSG_TRUNC);
    if (r < 0) break;
    if ((m.msg_flags & MSG_TRUNC) || size_t(r) > a->bigBuf.size() || size_t(r) < sizeof(VnetHdr) + 14) {
      Bump(a, kTruncated);
      continue;
    }
    const auto& vh = *reinterpret_cast<const VnetHdr*>(a->bigBuf.data());
    uint32_t len = uint32_t(size_t(r) - sizeof(VnetHdr));
    count = Take(a, count, a->bigBuf.data() + sizeof(VnetHdr), len, len, vh, &sll);
  }
  Deliver(a, count);
}

void OnClosed(uv_handle_t* h) {
  Afp* a = static_cast<Afp*>(h->data);
  if (--a->openHandles > 0) return;
  if (a->bigFd >= 0) close(a->bigFd);
  a->bigFd = -1;
  if (a->map) munmap(a->map, a->mapLen);
  a->map = nullptr;
  if (a->fd >= 0) close(a->fd);
  a->fd = -1;
  if (a->hook) napi_remove_async_cleanup_hook(a->hook);
  a->hook = nullptr;
  a->closed = true;
  if (!a->wrapped) delete a;
}

void StartClose(Afp* a, bool fromHook) {
  if (a->closing) return;
  a->closing = true;
  if (!fromHook) {
    for (napi_ref r : a->refs) napi_delete_reference(a->env, r);
    a->refs.clear();
    if (a->cb) napi_delete_reference(a->env, a->cb);
    a->cb = nullptr;
    if (a->actx) napi_async_destroy(a->env, a->actx);
    a->actx = nullptr;
  }
  uv_poll_stop(&a->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&a->poll), OnClosed);
  if (a->bigFd >= 0) {
    uv_poll_stop(&a->bigPoll);
    uv_close(reinterpret_cast<uv_handle_t*>(&a->bigPoll), OnClosed);
  }
}

void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  Afp* a = static_cast<Afp*>(arg);
  a->hook = handle;
  if (!a->closing) StartClose(a, true);
}

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ULVS_AFPACKET", msg.c_str());
  return nullptr;
}

napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  Afp* a = nullptr;
  if (napi_remove_wrap(env, thisArg, reinterpret_cast<void**>(&a)) == napi_ok && a) {
    a->wrapped = false;
    if (a->closed) delete a;
    else StartClose(a, false);
  }
  return nullptr;
}

// ringStats(): reads and resets PACKET_STATISTICS, adding kernel ring drops to stats[kRingDrops].
napi_value RingStats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg, out;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  Afp* a = nullptr;
  napi_unwrap(env, thisArg, reinterpret_cast<void**>(&a));
  tpacket_stats_v3 st = {};
  socklen_t l = sizeof st;
  if (a && a->fd >= 0 && getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0) Bump(a, kRingDrops, st.tp_drops);
  napi_create_uint32(env, st.tp_drops, &out);
  return out;
}

// Attaches `user` (empty = accept all) behind a length test: the ring socket takes frames of at most
// a->room bytes, the super-frame socket only larger ones. Classic BPF jumps are relative, so the
// program runs unchanged after the three instructions put in front of it.
int AttachFilters(Afp* a, const std::vector<sock_filter>& user) {
  for (int big = 0; big < 2; big++) {
    int fd = big ? a->bigFd : a->fd;
    if (fd < 0) continue;
    std::vector<sock_filter> prog = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, a->room, uint8_t(big ? 1 : 0), uint8_t(big ? 0 : 1)),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    if (user.empty()) prog.push_back(BPF_STMT(BPF_RET | BPF_K, 0x40000));
    else prog.insert(prog.end(), user.begin(), user.end());
    if (prog.size() > BPF_MAXINSNS) return E2BIG;
    sock_fprog fp = {uint16_t(prog.size()), prog.data()};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0) return errno;
  }
  return 0;
}

// setFilter(filter: Uint8Array): replaces the socket's classic BPF program. SO_ATTACH_FILTER on a
// bound socket swaps the program atomically, so a new VIP set needs no new socket (no ring rebuild,
// no fanout rejoin, no packets lost meanwhile).
napi_value SetFilter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], thisArg;
  napi_get_cb_info(env, info, &argc, argv, &thisArg, nullptr);
  Afp* a = nullptr;
  napi_unwrap(env, thisArg, reinterpret_cast<void**>(&a));
  if (!a || a->fd < 0 || a->closing) return Throw(env, "setFilter: the AF_PACKET handle is closed");
  bool is = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is) != napi_ok || !is) return Throw(env, "setFilter: filter must be a Uint8Array of 8-byte sock_filter instructions");
  napi_typedarray_type type;
  size_t n, off;
  void* p;
  napi_value ab;
  napi_get_typedarray_info(env, argv[0], &type, &n, &p, &ab, &off);
  if (type != napi_uint8_array || n % 8 != 0 || n == 0 || n / 8 > BPF_MAXINSNS) return Throw(env, "setFilter: filter must be a Uint8Array of 8-byte sock_filter instructions");
  std::vector<sock_filter> filter(n / 8);
  memcpy(filter.data(), p, n);
  if (int e = AttachFilters(a, filter)) return Throw(env, std::string("setFilter: SO_ATTACH_FILTER failed (") + strerror(e) + ")");
  return nullptr;
}

void Finalize(napi_env env, void* data, void* hint) {
  Afp* a = static_cast<Afp*>(data);
  a->wrapped = false;
  if (a->closed) delete a;
  else StartClose(a, false);
}

std::string SockErr(const std::string& ifname, const char* what, int err) {
  std::string s = "AF_PACKET on " + ifname + ": " + what + " failed (" + strerror(err) + ")";
  if (err == EPERM) s += ": ulvs needs CAP_NET_RAW (run as root)";
  if (err == EAFNOSUPPORT) s += ": this kernel has no AF_PACKET";
  if (err == ENODEV) s += ": no such interface";
  return s;
}

// afpOpen(options, batch, onBatch) -> handle { close(), ringStats(), setFilter(filter) }.
// options: { ifname, fanoutGroup (0 = no fanout), filter: Uint8Array of sock_filter (8 bytes each),
//            ringVersion=2, V2: frameSizeBytes=2048, frameCount=8192, coalesceUs=500; V3: blockSizeBytes=1 MiB,
//            blockCount=8, retireMs=1; qdiscBypass=true, stats: Float64Array }
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return Throw(env, "afpOpen(options, batch, onBatch) needs three arguments");
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_function) return Throw(env, "afpOpen: onBatch must be a function");
  napi_value v;
  char ifname[IFNAMSIZ + 1] = {0};
  size_t nl = 0;
  if (napi_get_named_property(env, argv[0], "ifname", &v) != napi_ok ||
      napi_get_value_string_utf8(env, v, ifname, sizeof ifname, &nl) != napi_ok || nl == 0)
    return Throw(env, "afpOpen: options.ifname must be an interface name");
  auto* a = new Afp();
  a->env = env;
  std::string err = ReadBatch(env, argv[1], &a->b, &a->refs);
  void* p;
  size_t n;
  if (err.empty()) {
    if (!TypedData(env, argv[1], "outIfindex", napi_uint32_array, &p, &n, &a->refs) || n < a->b.capacity)
      err = "batch.outIfindex must be a Uint32Array";
    else
      a->outIfindex = static_cast<uint32_t*>(p);
  }
  bool has = false;
  if (err.empty() && napi_has_named_property(env, argv[0], "stats", &has) == napi_ok && has) {
    if (TypedData(env, argv[0], "stats", napi_float64_array, &p, &n, &a->refs) && n >= kStatCount)
      a->stats = static_cast<double*>(p);
    else
      err = "afpOpen: options.stats must be a Float64Array of at least afpStatCount elements";
  }
  std::vector<sock_filter> filter;
  if (err.empty() && napi_has_named_property(env, argv[0], "filter", &has) == napi_ok && has) {
    std::vector<napi_ref> tmp;
    if (!TypedData(env, argv[0], "filter", napi_uint8_array, &p, &n, &tmp) || n % 8 != 0 || n == 0 || n / 8 > BPF_MAXINSNS) {
      err = "afpOpen: options.filter must be a Uint8Array of 8-byte sock_filter instructions";
    } else {
      filter.resize(n / 8);
      memcpy(filter.data(), p, n);
    }
    for (napi_ref r : tmp) napi_delete_reference(env, r);
  }
  auto fail = [&](const std::string& m) {
    if (a->map) munmap(a->map, a->mapLen);
    if (a->fd >= 0) close(a->fd);
    if (a->bigFd >= 0) close(a->bigFd);
    for (napi_ref r : a->refs) napi_delete_reference(env, r);
    delete a;
    return Throw(env, m);
  };
  if (!err.empty()) return fail(err);
  std::string ifs(ifname);
  a->ifindex = int(if_nametoindex(ifname));
  if (a->ifindex == 0) return fail(SockErr(ifs, "if_nametoindex", errno));
  uint32_t fanoutGroup = U32Prop(env, argv[0], "fanoutGroup", 0);
  uint32_t ringVersion = U32Prop(env, argv[0], "ringVersion", 2);
  if (ringVersion != 2 && ringVersion != 3) return fail("afpOpen: ringVersion must be 2 or 3");
  a->version = ringVersion == 3 ? TPACKET_V3 : TPACKET_V2;
  uint32_t retireMs = U32Prop(env, argv[0], "retireMs", 1);
  bool bypass = U32Prop(env, argv[0], "qdiscBypass", 1) != 0;
  long page = sysconf(_SC_PAGESIZE);
  tpacket_req3 req = {};
  if (a->version == TPACKET_V3) {
    a->blockSize = U32Prop(env, argv[0], "blockSizeBytes", 1u << 20);
    a->blockCount = U32Prop(env, argv[0], "blockCount", 8);
    if (a->blockSize < uint32_t(page) || a->blockSize % page != 0 || a->blockCount == 0)
      return fail("afpOpen: blockSizeBytes must be a multiple of the page size and blockCount at least 1");
    req.tp_block_size = a->blockSize;
    req.tp_block_nr = a->blockCount;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = (a->blockSize / req.tp_frame_size) * a->blockCount;
    req.tp_retire_blk_tov = retireMs;
  } else {
    a->frameSize = U32Prop(env, argv[0], "frameSizeBytes", 2048);
    a->frameCount = U32Prop(env, argv[0], "frameCount", 8192);
    a->coalesceUs = U32Prop(env, argv[0], "coalesceUs", 500);
    if (a->coalesceUs > 100000) return fail("afpOpen: coalesceUs must be at most 100000 (100 ms)");
    if (a->frameSize < 256 || a->frameSize > (1u << 20) || a->frameSize % TPACKET_ALIGNMENT != 0 || a->frameCount == 0)
      return fail("afpOpen: frameSizeBytes must be a multiple of 16 between 256 and 1 MiB, and frameCount at least 1");
    // Blocks hold whole frames (so frame i is at map + i * frameSize), a page multiple of at least 128 KiB.
    uint64_t blk = a->frameSize;
    while (blk % uint64_t(page) != 0) blk += a->frameSize;
    while (blk < (128u << 10)) blk *= 2;
    uint32_t perBlock = uint32_t(blk / a->frameSize);
    a->frameCount = (a->frameCount + perBlock - 1) / perBlock * perBlock;
    req.tp_block_size = uint32_t(blk);
    req.tp_block_nr = a->frameCount / perBlock;
    req.tp_frame_size = a->frameSize;
    req.tp_frame_nr = a->frameCount;
  }

  // Protocol 0 until bound: nothing arrives before the filter is in place.
  a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->fd < 0) return fail(SockErr(ifs, "socket(AF_PACKET)", errno));
  a->bigFd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->bigFd < 0) return fail(SockErr(ifs, "socket(AF_PACKET)", errno));
  // A ring frame holds the ring header, sockaddr_ll and virtio_net_hdr before the MAC header (< 128 bytes).
  a->room = a->b.slotSize - a->b.headroom;
  if (a->version == TPACKET_V2 && a->frameSize - 128 < a->room) a->room = a->frameSize - 128;
  if (int e = AttachFilters(a, filter)) return fail(SockErr(ifs, "SO_ATTACH_FILTER", e));
  int ver = a->version, one = 1;
  // Before the ring: the kernel refuses PACKET_VNET_HDR on a socket that has one.
  if (setsockopt(a->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) return fail(SockErr(ifs, "PACKET_VNET_HDR", errno));
  if (setsockopt(a->bigFd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) return fail(SockErr(ifs, "PACKET_VNET_HDR", errno));
  if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof ver) < 0) return fail(SockErr(ifs, "PACKET_VERSION", errno));
  // V2 takes a tpacket_req, the first four fields of tpacket_req3.
  socklen_t reqLen = a->version == TPACKET_V3 ? sizeof(tpacket_req3) : sizeof(tpacket_req);
  if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, reqLen) < 0) return fail(SockErr(ifs, "PACKET_RX_RING", errno));
  a->mapLen = size_t(req.tp_block_size) * req.tp_block_nr;
  void* m = mmap(nullptr, a->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED | MAP_POPULATE, a->fd, 0);
  if (m == MAP_FAILED) m = mmap(nullptr, a->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
  if (m == MAP_FAILED) return fail(SockErr(ifs, "mmap of the RX ring", errno));
  a->map = static_cast<uint8_t*>(m);
  setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (bypass) setsockopt(a->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  sockaddr_ll sll = {};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = a->ifindex;
  if (bind(a->fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return fail(SockErr(ifs, "bind", errno));
  setsockopt(a->bigFd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (bind(a->bigFd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return fail(SockErr(ifs, "bind", errno));
  if (fanoutGroup) {
    int arg = int((fanoutGroup & 0xffff) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
    if (setsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) return fail(SockErr(ifs, "PACKET_FANOUT", errno));
    // The super-frame sockets of all workers form their own group (the id half the id space away).
    int big = int(((fanoutGroup + 32767) % 65535 + 1) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
    if (setsockopt(a->bigFd, SOL_PACKET, PACKET_FANOUT, &big, sizeof big) < 0) return fail(SockErr(ifs, "PACKET_FANOUT", errno));
  }
  uint32_t cap = a->b.capacity;
  a->msgs.resize(cap);
  a->iovs.resize(2 * size_t(cap));
  a->addrs.resize(cap);
  a->bigBuf.resize(kBigBufBytes);

  napi_create_reference(env, argv[2], 1, &a->cb);
  napi_value name;
  napi_create_string_utf8(env, "ulvs.afpacket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &a->actx);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &a->poll, a->fd);
  a->poll.data = a;
  uv_poll_start(&a->poll, UV_READABLE, OnReadable);
  uv_poll_init(loop, &a->bigPoll, a->bigFd);
  a->bigPoll.data = a;
  uv_poll_start(&a->bigPoll, UV_READABLE, OnBigReadable);
  a->openHandles = 2;
  napi_add_async_cleanup_hook(env, OnEnvTeardown, a, &a->hook);

  napi_value obj, fn;
  napi_create_object(env, &obj);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, Close, nullptr, &fn);
  napi_set_named_property(env, obj, "close", fn);
  napi_create_function(env, "ringStats", NAPI_AUTO_LENGTH, RingStats, nullptr, &fn);
  napi_set_named_property(env, obj, "ringStats", fn);
  napi_create_function(env, "setFilter", NAPI_AUTO_LENGTH, SetFilter, nullptr, &fn);
  napi_set_named_property(env, obj, "setFilter", fn);
  napi_value idx;
  napi_create_uint32(env, uint32_t(a->ifindex), &idx);
  napi_set_named_property(env, obj, "ifindex", idx);
  napi_wrap(env, obj, a, Finalize, nullptr, nullptr);
  return obj;
}

}  // namespace

void InitAfPacket(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "afpOpen", NAPI_AUTO_LENGTH, Open, nullptr, &fn);
  exports.Set("afpOpen", Napi::Value(env, fn));
  exports.Set("afpStatCount", Napi::Number::New(env, kStatCount));
}

}  // namespace ulvs
