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
// This file opens the sockets and ring; afpacket-rx.cc walks the ring and transmits. The handle's life
// (polls on the owning env's loop, JS callback, close order) is batch-handle.h's.
#include "afpacket.h"
#include "module.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace ulvs {
namespace afp {

void Afp::ReleaseSockets() {
  if (bigFd >= 0) close(bigFd);
  bigFd = -1;
  if (map) munmap(map, mapLen);
  map = nullptr;
  if (fd >= 0) close(fd);
  fd = -1;
}

namespace {

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ULVS_AFPACKET", msg.c_str());
  return nullptr;
}

// ringStats(): reads and resets PACKET_STATISTICS, adding kernel ring drops to stats[kRingDrops].
napi_value RingStats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value thisArg, out;
  napi_get_cb_info(env, info, &argc, nullptr, &thisArg, nullptr);
  Afp* a = BatchHandle::Unwrap<Afp>(env, thisArg);
  tpacket_stats_v3 st = {};
  socklen_t l = sizeof st;
  if (a && a->fd >= 0 && getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0) a->Bump(kRingDrops, st.tp_drops);
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
  Afp* a = BatchHandle::Unwrap<Afp>(env, thisArg);
  if (!a || a->fd < 0 || a->closing()) return Throw(env, "setFilter: the AF_PACKET handle is closed");
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
  auto* a = new Afp(env);
  std::string err = ReadBatch(env, argv[1], &a->b, &a->refs);
  void* p;
  size_t n;
  if (err.empty()) {
    if (!TypedData(env, argv[1], "outIfindex", napi_uint32_array, &p, &n, &a->refs) || n < a->b.capacity)
      err = "batch.outIfindex must be a Uint32Array";
    else
      a->outIfindex = static_cast<uint32_t*>(p);
  }
  if (err.empty() && !ReadStats(env, argv[0], kStatCount, &a->stats, &a->refs))
    err = "afpOpen: options.stats must be a Float64Array of at least afpStatCount elements";
  bool has = false;
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
    a->Discard();
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

  a->Watch(a->fd, OnRingReadable);
  a->Watch(a->bigFd, OnBigReadable);
  a->Start(argv[2], "ulvs.afpacket");

  napi_value obj = a->NewObject(), fn;
  napi_create_function(env, "ringStats", NAPI_AUTO_LENGTH, RingStats, nullptr, &fn);
  napi_set_named_property(env, obj, "ringStats", fn);
  napi_create_function(env, "setFilter", NAPI_AUTO_LENGTH, SetFilter, nullptr, &fn);
  napi_set_named_property(env, obj, "setFilter", fn);
  napi_value idx;
  napi_create_uint32(env, uint32_t(a->ifindex), &idx);
  napi_set_named_property(env, obj, "ifindex", idx);
  a->Wrap(obj);
  return obj;
}

}  // namespace
}  // namespace afp

void InitAfPacket(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "afpOpen", NAPI_AUTO_LENGTH, afp::Open, nullptr, &fn);
  exports.Set("afpOpen", Napi::Value(env, fn));
  exports.Set("afpStatCount", Napi::Number::New(env, afp::kStatCount));
}

}  // namespace ulvs
