// The state of one AF_PACKET handle (afpacket.cc opens it, afpacket-rx.cc walks its ring and transmits).
// Its life (polls on the owning env's loop, JS callback, close order) is batch-handle.h's.
#pragma once
#include "batch-handle.h"
#include "offload.h"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace ulvs {
namespace afp {

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

// Verdict codes of src/core/batch.ts.
constexpr uint8_t kDrop = kVerdictDrop, kTransmit = 3;

// Receive buffer of the super-frame socket: a virtio_net_hdr and a 64 KiB GSO frame (gso_max_size) with
// room for BIG TCP's larger ones up to 192 KiB.
constexpr size_t kBigBufBytes = sizeof(VnetHdr) + (192u << 10);

// One worker's AF_PACKET sockets on one interface: the RX ring socket and the ring-less super-frame one.
struct Afp : BatchHandle {
  // The state of a handle owned by the thread of env.
  explicit Afp(napi_env env) : BatchHandle(env) {}
  int fd = -1, bigFd = -1;
  uint32_t room = 0;  // largest frame a ring frame and a batch slot both hold (the filters' length split)
  std::vector<uint8_t> bigBuf;
  int ifindex = 0;
  uint32_t* outIfindex = nullptr;
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

 protected:
  // Once both polls are closed: the super-frame socket, the ring's mapping, then the ring socket.
  void ReleaseSockets() override;
};

// Poll callback of the ring socket: walks the ready frames (V2) or retired blocks (V3) into batches.
void OnRingReadable(BatchHandle* h);
// Poll callback of the super-frame socket: whole GSO/GRO frames larger than a ring frame, one recvmsg each.
void OnBigReadable(BatchHandle* h);

}  // namespace afp
}  // namespace ulvs
