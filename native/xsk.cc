// AF_XDP UMEM, sockets and rings with raw syscalls (see xsk.h).
#include "xsk.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace ulvs {
namespace {

// setsockopt(SOL_XDP) name of the copy-mode TX budget (linux/if_xdp.h since 6.17; not in older headers).
constexpr int kXdpMaxTxSkbBudget = 9;

int MapRing(int fd, XskRing* r, uint32_t size, const xdp_ring_offset& off, size_t descSize, off_t pgoff) {
  r->mapLen = off.desc + size_t(size) * descSize;
  void* m = mmap(nullptr, r->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (m == MAP_FAILED) {
    r->map = nullptr;
    return errno;
  }
  auto* base = static_cast<uint8_t*>(m);
  r->map = m;
  r->producer = reinterpret_cast<uint32_t*>(base + off.producer);
  r->consumer = reinterpret_cast<uint32_t*>(base + off.consumer);
  r->descs = base + off.desc;
  r->size = size;
  r->mask = size - 1;
  r->cachedProd = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
  r->cachedCons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
  return 0;
}

void UnmapRing(XskRing* r) {
  if (r->map) munmap(r->map, r->mapLen);
  r->map = nullptr;
}

long Bpf(int cmd, union bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::string XskUmemCreate(XskUmem* u, size_t lead, uint32_t frameSize, uint32_t frameCount) {
  if (frameSize < 2048 || (frameSize & (frameSize - 1)) != 0 || frameSize > 4096) return "frameSize must be 2048 or 4096";
  long page = sysconf(_SC_PAGESIZE);
  u->lead = (lead + page - 1) / page * page;
  u->frameSize = frameSize;
  u->frameCount = frameCount;
  u->regionLen = u->lead + size_t(frameSize) * frameCount;
  void* m = mmap(nullptr, u->regionLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return std::string("cannot map the UMEM (") + strerror(errno) + ")";
  // XDP_UMEM_REG pins these pages, and fork() copies pinned private pages eagerly (they may be under
  // DMA): without this every child the process spawns (the director runs `ip` every 2 s) would copy the
  // whole UMEM. A child has no use for it.
  madvise(m, u->regionLen, MADV_DONTFORK);
  u->region = static_cast<uint8_t*>(m);
  u->free.clear();
  u->free.reserve(frameCount);
  for (uint32_t k = frameCount; k-- > 0;) u->free.push_back(uint64_t(k) * frameSize);
  return "";
}

int XskSocketOpen(XskSocket* s, XskUmem* u, const XskSocket* owner, int ifindex, uint32_t queue, uint32_t ringSize, const char** what) {
  s->ifindex = ifindex;
  s->queue = queue;
  *what = "socket(AF_XDP)";
  s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (s->fd < 0) return errno;
  if (!owner) {
    xdp_umem_reg mr;
    memset(&mr, 0, sizeof mr);
    mr.addr = reinterpret_cast<uint64_t>(u->Base());
    mr.len = uint64_t(u->frameSize) * u->frameCount;
    mr.chunk_size = u->frameSize;
    mr.headroom = 0;
    *what = "XDP_UMEM_REG";
    if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr) < 0) return errno;
  }
  struct { int opt; const char* name; } rings[] = {{XDP_UMEM_FILL_RING, "XDP_UMEM_FILL_RING"},
                                                   {XDP_UMEM_COMPLETION_RING, "XDP_UMEM_COMPLETION_RING"},
                                                   {XDP_RX_RING, "XDP_RX_RING"},
                                                   {XDP_TX_RING, "XDP_TX_RING"}};
  for (auto& r : rings) {
    *what = r.name;
    if (setsockopt(s->fd, SOL_XDP, r.opt, &ringSize, sizeof ringSize) < 0) return errno;
  }
  // Copy mode sends at most max_tx_budget frames per sendto (32 by default): allow a whole ring, so one
  // kick sends a batch (XDP_MAX_TX_SKB_BUDGET, Linux 6.17; older kernels keep 32 and XskKick loops).
  uint32_t budget = ringSize;
  setsockopt(s->fd, SOL_XDP, kXdpMaxTxSkbBudget, &budget, sizeof budget);
  xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  *what = "XDP_MMAP_OFFSETS";
  if (getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) return errno;
  *what = "mmap of the rings";
  if (int e = MapRing(s->fd, &s->rx, ringSize, off.rx, sizeof(xdp_desc), XDP_PGOFF_RX_RING)) return e;
  if (int e = MapRing(s->fd, &s->tx, ringSize, off.tx, sizeof(xdp_desc), XDP_PGOFF_TX_RING)) return e;
  if (int e = MapRing(s->fd, &s->fill, ringSize, off.fr, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING)) return e;
  if (int e = MapRing(s->fd, &s->comp, ringSize, off.cr, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING)) return e;
  sockaddr_xdp sa;
  memset(&sa, 0, sizeof sa);
  sa.sxdp_family = AF_XDP;
  sa.sxdp_ifindex = uint32_t(ifindex);
  sa.sxdp_queue_id = queue;
  *what = "bind";
  if (owner) {
    // Shared sockets inherit the owner's copy/zero-copy mode; their own fill/completion rings make
    // another device or queue legal (xp_assign_dev_shared).
    sa.sxdp_flags = XDP_SHARED_UMEM;
    sa.sxdp_shared_umem_fd = uint32_t(owner->fd);
    if (bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return errno;
    s->zeroCopy = owner->zeroCopy;
  } else {
    sa.sxdp_flags = XDP_ZEROCOPY;
    if (bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      s->zeroCopy = true;
    } else {
      // Zero-copy needs driver support (veth has none): copy mode works on every XDP-capable device.
      sa.sxdp_flags = XDP_COPY;
      if (bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return errno;
    }
  }
  return 0;
}

void XskSocketClose(XskSocket* s) {
  UnmapRing(&s->rx);
  UnmapRing(&s->tx);
  UnmapRing(&s->fill);
  UnmapRing(&s->comp);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

void XskUmemDestroy(XskUmem* u) {
  if (u->region) munmap(u->region, u->regionLen);
  u->region = nullptr;
}

uint32_t XskRefill(XskSocket* s, XskUmem* u, uint32_t max) {
  uint32_t n = s->fill.Free();
  if (n > max) n = max;
  if (n > u->free.size()) n = uint32_t(u->free.size());
  uint64_t* a = s->fill.Addrs();
  for (uint32_t k = 0; k < n; k++) {
    a[(s->fill.cachedProd + k) & s->fill.mask] = u->free.back();
    u->free.pop_back();
  }
  if (n) {
    s->fill.cachedProd += n;
    s->fill.Publish();
  }
  return n;
}

uint32_t XskReapCompletions(XskSocket* s, XskUmem* u) {
  uint32_t n = s->comp.Ready();
  const uint64_t* a = s->comp.Addrs();
  uint64_t chunk = ~uint64_t(u->frameSize - 1);
  for (uint32_t k = 0; k < n; k++) u->free.push_back(a[(s->comp.cachedCons + k) & s->comp.mask] & chunk);
  if (n) {
    s->comp.cachedCons += n;
    s->comp.Release();
  }
  return n;
}

uint32_t XskKick(XskSocket* s) {
  uint32_t calls = 0;
  uint32_t before = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
  while (s->tx.Pending() && calls < 64) {
    ssize_t r = sendto(s->fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0);
    calls++;
    uint32_t now = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
    if (r < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR) break;
    // Zero-copy sends asynchronously; copy mode sends a bounded number of frames per call.
    if (s->zeroCopy || now == before) break;
    before = now;
  }
  return calls;
}

int XskMapInsert(int mapFd, uint32_t key, int xskFd) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  uint32_t value = uint32_t(xskFd);
  a.map_fd = uint32_t(mapFd);
  a.key = reinterpret_cast<uint64_t>(&key);
  a.value = reinterpret_cast<uint64_t>(&value);
  a.flags = BPF_ANY;
  return Bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 ? errno : 0;
}

int XskMapRemove(int mapFd, uint32_t key) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = uint32_t(mapFd);
  a.key = reinterpret_cast<uint64_t>(&key);
  return Bpf(BPF_MAP_DELETE_ELEM, &a) < 0 ? errno : 0;
}

}  // namespace ulvs
