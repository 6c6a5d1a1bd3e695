// AF_PACKET packet I/O for one worker on one interface: a TPACKET_V3 receive ring joined to a
// PACKET_FANOUT group (flow hash, so every worker owns a share of the flows), a classic BPF filter
// attached before the socket is bound (only VIP traffic and NAT replies reach userspace), and
// batched transmit of rewritten frames with one sendmmsg per batch. One JS callback per batch; after
// it returns, packets whose verdict is Transmit are sent out of outIfindex[i].
//
// Rules (ARCHITECTURE.md "Native addon"): kept once for both batch I/O modules in poll-handle.h
// (the uv poll on the owning env's loop, closed from an async cleanup hook, the JS callback through
// the C napi_make_callback whose failure is tolerated).
#include "module.h"
#include "poll-handle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
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
  kStatCount = 8,
};

// Verdict codes of src/dataplane/batch.ts.
constexpr uint8_t kDrop = 0, kTransmit = 3;

struct Afp : PollHandle {
  int ifindex = 0;
  uint32_t* outIfindex = nullptr;
  // RX ring
  uint8_t* map = nullptr;
  size_t mapLen = 0;
  uint32_t blockSize = 0, blockCount = 0, cur = 0;
  // TX scratch (msgs and iovs are in PollHandle)
  std::vector<sockaddr_ll> addrs;

  void ReleaseSocket() override {
    if (map) munmap(map, mapLen);
    map = nullptr;
    PollHandle::ReleaseSocket();
  }
};

void Bump(Afp* a, int i, double by = 1) {
  if (a->stats) a->stats[i] += by;
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
    a->iovs[n].iov_base = b.buf + st;
    a->iovs[n].iov_len = len;
    msghdr& m = a->msgs[n].msg_hdr;
    memset(&m, 0, sizeof m);
    m.msg_name = &sa;
    m.msg_namelen = sizeof sa;
    m.msg_iov = &a->iovs[n];
    m.msg_iovlen = 1;
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
  CallBatchCallback(a, count, kCallbackErrors, kDrop);
  if (a->fd >= 0) Transmit(a, count);
}

void OnReadable(uv_poll_t* h, int status, int events) {
  Afp* a = static_cast<Afp*>(static_cast<PollHandle*>(h->data));
  if (a->closing || status < 0) return;
  BatchView& b = a->b;
  uint32_t count = 0;
  const uint32_t room = b.slotSize - b.headroom;
  for (uint32_t walked = 0; walked < a->blockCount && !a->closing; walked++) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(a->map + size_t(a->cur) * a->blockSize);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    uint32_t num = bd->hdr.bh1.num_pkts;
    auto* ph = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt);
    for (uint32_t k = 0; k < num; k++) {
      auto* sll = reinterpret_cast<sockaddr_ll*>(reinterpret_cast<uint8_t*>(ph) + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      uint32_t len = ph->tp_snaplen;
      if (sll->sll_pkttype == PACKET_OUTGOING) {
        // our own or the host's transmissions: not ours to forward
      } else if (len != ph->tp_len || len > room) {
        Bump(a, kOversize);
      } else {
        uint32_t off = count * b.slotSize + b.headroom;
        memcpy(b.buf + off, reinterpret_cast<uint8_t*>(ph) + ph->tp_mac, len);
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
      }
      ph = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(ph) + ph->tp_next_offset);
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->cur = (a->cur + 1) % a->blockCount;
  }
  Deliver(a, count);
}

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ULVS_AFPACKET", msg.c_str());
  return nullptr;
}

// ringStats(): reads and resets PACKET_STATISTICS, adding kernel ring drops to stats[kRingDrops].
napi_value RingStats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg, out;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  PollHandle* h = nullptr;
  napi_unwrap(env, thisArg, reinterpret_cast<void**>(&h));
  Afp* a = static_cast<Afp*>(h);
  tpacket_stats_v3 st = {};
  socklen_t l = sizeof st;
  if (a && a->fd >= 0 && getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0) Bump(a, kRingDrops, st.tp_drops);
  napi_create_uint32(env, st.tp_drops, &out);
  return out;
}

std::string SockErr(const std::string& ifname, const char* what, int err) {
  std::string s = "AF_PACKET on " + ifname + ": " + what + " failed (" + strerror(err) + ")";
  if (err == EPERM) s += ": ulvs needs CAP_NET_RAW (run as root)";
  if (err == EAFNOSUPPORT) s += ": this kernel has no AF_PACKET";
  if (err == ENODEV) s += ": no such interface";
  return s;
}

// afpOpen(options, batch, onBatch) -> handle { close(), ringStats() }.
// options: { ifname, fanoutGroup (0 = no fanout), filter: Uint8Array of sock_filter (8 bytes each),
//            blockSizeBytes=1 MiB, blockCount=8, retireMs=1, qdiscBypass=true, stats: Float64Array }
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
      err = "afpOpen: options.stats must be a Float64Array of at least 8 elements";
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
    for (napi_ref r : a->refs) napi_delete_reference(env, r);
    delete a;
    return Throw(env, m);
  };
  if (!err.empty()) return fail(err);
  std::string ifs(ifname);
  a->ifindex = int(if_nametoindex(ifname));
  if (a->ifindex == 0) return fail(SockErr(ifs, "if_nametoindex", errno));
  uint32_t fanoutGroup = U32Prop(env, argv[0], "fanoutGroup", 0);
  a->blockSize = U32Prop(env, argv[0], "blockSizeBytes", 1u << 20);
  a->blockCount = U32Prop(env, argv[0], "blockCount", 8);
  uint32_t retireMs = U32Prop(env, argv[0], "retireMs", 1);
  bool bypass = U32Prop(env, argv[0], "qdiscBypass", 1) != 0;
  long page = sysconf(_SC_PAGESIZE);
  if (a->blockSize < uint32_t(page) || a->blockSize % page != 0 || a->blockCount == 0)
    return fail("afpOpen: blockSizeBytes must be a multiple of the page size and blockCount at least 1");

  // Protocol 0 until bound: nothing arrives before the filter is in place.
  a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->fd < 0) return fail(SockErr(ifs, "socket(AF_PACKET)", errno));
  if (!filter.empty()) {
    sock_fprog prog = {uint16_t(filter.size()), filter.data()};
    if (setsockopt(a->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
      return fail(SockErr(ifs, "SO_ATTACH_FILTER", errno));
  }
  int ver = TPACKET_V3, one = 1;
  if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof ver) < 0) return fail(SockErr(ifs, "PACKET_VERSION", errno));
  tpacket_req3 req = {};
  req.tp_block_size = a->blockSize;
  req.tp_block_nr = a->blockCount;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = (a->blockSize / req.tp_frame_size) * a->blockCount;
  req.tp_retire_blk_tov = retireMs;
  if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return fail(SockErr(ifs, "PACKET_RX_RING", errno));
  a->mapLen = size_t(a->blockSize) * a->blockCount;
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
  if (fanoutGroup) {
    int arg = int((fanoutGroup & 0xffff) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
    if (setsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) return fail(SockErr(ifs, "PACKET_FANOUT", errno));
  }
  uint32_t cap = a->b.capacity;
  a->msgs.resize(cap);
  a->iovs.resize(cap);
  a->addrs.resize(cap);

  PollHandleStart(env, a, argv[2], "ulvs.afpacket", OnReadable);

  napi_value obj = PollHandleObject(env), fn;
  napi_create_function(env, "ringStats", NAPI_AUTO_LENGTH, RingStats, nullptr, &fn);
  napi_set_named_property(env, obj, "ringStats", fn);
  napi_value idx;
  napi_create_uint32(env, uint32_t(a->ifindex), &idx);
  napi_set_named_property(env, obj, "ifindex", idx);
  PollHandleWrap(env, obj, a);
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
