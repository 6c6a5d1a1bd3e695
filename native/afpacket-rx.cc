// AF_PACKET receive and transmit of one handle (afpacket.h): the ring walk (V2 frames, V3 blocks)
// with rx coalescing, the super-frame socket, offload completion and GSO cuts as frames are copied into
// batch slots, one JS callback per batch, then one sendmmsg per batch for the frames marked Transmit.
#include "afpacket.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <string.h>
#include <time.h>

namespace ulvs {
namespace afp {
namespace {

// Super-frames taken per wakeup of the super-frame socket before the event loop gets a turn.
constexpr int kBigPerWakeup = 64;
// The virtio_net_hdr sent before every transmitted frame: no checksum or segmentation left to do.
const VnetHdr kNoOffload = {};

void Bump(Afp* a, int i, double by = 1) { a->Bump(i, by); }

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
  if (!a->CallBatch(count)) Bump(a, kCallbackErrors);
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
  for (uint32_t k = 0; k < p.segments && !a->closing(); k++) {
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
  for (uint32_t walked = 0; walked < a->blockCount && !a->closing(); walked++) {
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
  for (uint32_t walked = 0; walked < a->frameCount && !a->closing(); walked++) {
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

}  // namespace

void OnRingReadable(BatchHandle* h) {
  Afp* a = static_cast<Afp*>(h);
  if (a->version == TPACKET_V3) {
    Deliver(a, WalkBlocks(a));
    return;
  }
  for (uint32_t round = 0; round < kCoalesceRounds && !a->closing(); round++) {
    uint64_t before = a->taken;
    Deliver(a, WalkFrames(a));
    if (a->coalesceUs == 0 || a->taken - before < kCoalesceMin) break;
    timespec ts = {0, long(a->coalesceUs) * 1000};
    nanosleep(&ts, nullptr);
  }
}

void OnBigReadable(BatchHandle* h) {
  Afp* a = static_cast<Afp*>(h);
  uint32_t count = 0;
  for (int n = 0; n < kBigPerWakeup && !a->closing(); n++) {
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

}  // namespace afp
}  // namespace ulvs
