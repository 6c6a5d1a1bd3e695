// AF_XDP sockets with raw syscalls (no libbpf/libxdp): one UMEM per worker, shared by all of that
// worker's sockets (XDP_SHARED_UMEM, each socket on its own interface/queue with its own fill and
// completion rings), and the four single-producer/single-consumer rings mapped from the kernel.
// Ring discipline (Documentation/networking/af_xdp.rst): the producer writes descriptors then
// publishes *producer with a release store; the consumer reads *producer with an acquire load and
// hands entries back by publishing *consumer. Pure C++ over file descriptors: no N-API here.
#pragma once
#include <linux/if_xdp.h>
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace ulvs {

// One mapped ring. Fill and completion rings carry u64 UMEM addresses; RX and TX carry xdp_desc.
struct XskRing {
  uint32_t* producer = nullptr;
  uint32_t* consumer = nullptr;
  void* descs = nullptr;
  uint32_t mask = 0, size = 0;
  uint32_t cachedProd = 0, cachedCons = 0;
  void* map = nullptr;
  size_t mapLen = 0;

  uint64_t* Addrs() const { return static_cast<uint64_t*>(descs); }
  xdp_desc* Descs() const { return static_cast<xdp_desc*>(descs); }
  // Producer side (fill, TX): entries free to write now.
  uint32_t Free() {
    uint32_t f = size - (cachedProd - cachedCons);
    if (f > 0) return f;
    cachedCons = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
    return size - (cachedProd - cachedCons);
  }
  void Publish() { __atomic_store_n(producer, cachedProd, __ATOMIC_RELEASE); }
  // Consumer side (RX, completion): entries ready to read now.
  uint32_t Ready() {
    cachedProd = __atomic_load_n(producer, __ATOMIC_ACQUIRE);
    return cachedProd - cachedCons;
  }
  void Release() { __atomic_store_n(consumer, cachedCons, __ATOMIC_RELEASE); }
  // True when the kernel has not yet consumed everything produced (TX).
  bool Pending() const { return __atomic_load_n(consumer, __ATOMIC_ACQUIRE) != cachedProd; }
};

// One AF_XDP socket bound to (ifindex, queue).
struct XskSocket {
  int fd = -1;
  int ifindex = 0;
  uint32_t queue = 0;
  bool zeroCopy = false;
  XskRing rx, tx, fill, comp;
};

// A worker's UMEM: `lead` bytes that back no frame (so every frame's offset in the region lies past
// the batch's slots, see afxdp.cc), then frameCount frames of frameSize bytes.
struct XskUmem {
  uint8_t* region = nullptr;
  size_t regionLen = 0, lead = 0;
  uint32_t frameSize = 0, frameCount = 0;
  std::vector<uint64_t> free;  // UMEM addresses (frame starts) owned by userspace and unused
  uint8_t* Base() const { return region + lead; }
};

// Maps the region and records the free frames; returns "" or an error sentence.
std::string XskUmemCreate(XskUmem* u, size_t lead, uint32_t frameSize, uint32_t frameCount);
// Creates an AF_XDP socket on (ifindex, queue) with rings of ringSize entries. The first socket
// (owner == nullptr) registers the UMEM and tries zero-copy before copy mode; later ones share it.
// Returns 0 or an errno, with `what` naming the step that failed.
int XskSocketOpen(XskSocket* s, XskUmem* u, const XskSocket* owner, int ifindex, uint32_t queue, uint32_t ringSize, const char** what);
// Unmaps the socket's rings and closes it.
void XskSocketClose(XskSocket* s);
// Unmaps the UMEM region (after every socket using it is closed).
void XskUmemDestroy(XskUmem* u);
// Moves frames from the free list into the socket's fill ring (at most `max`); returns how many.
uint32_t XskRefill(XskSocket* s, XskUmem* u, uint32_t max);
// Moves completed TX frames back onto the free list; returns how many.
uint32_t XskReapCompletions(XskSocket* s, XskUmem* u);
// Makes the kernel send what the TX ring holds (copy mode sends a bounded number per call, so this
// kicks until the ring is drained or the device pushes back); returns the sendto calls made.
uint32_t XskKick(XskSocket* s);
// Inserts the socket into an XSKMAP at key `queue` (BPF_MAP_UPDATE_ELEM); returns 0 or an errno.
int XskMapInsert(int mapFd, uint32_t key, int xskFd);
// Removes key `queue` from an XSKMAP; returns 0 or an errno.
int XskMapRemove(int mapFd, uint32_t key);

}  // namespace ulvs
