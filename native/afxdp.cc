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
// Polls, the JS callback and closing are the shared BatchHandle's (batch-handle.h).
#include "afxdp.h"

#include <sys/timerfd.h>

#include "offload.h"

namespace ulvs {
namespace {

constexpr uint8_t kAccept = 1, kAcceptModified = 2, kTransmit = 3;
// Batches taken per wakeup before the event loop gets a turn.
constexpr int kBatchesPerWakeup = 4;
// Moderation starts only after a wakeup that took at least this many frames: traffic that dense means
// the worker is falling behind its wakeups. Request/response exchanges and streams of a few thousand
// packets/s take 1-4 frames a wakeup, so they wait for nothing (with "more than 1 frame", 2 HTTP
// connections or a 20 kpps stream beside them already paid up to the whole coalesce time per wakeup).
constexpr uint32_t kDenseFrames = 32;

// The socket a frame for `ifindex` leaves by (the first of this worker's sockets on that device).
XskSocket* TxSocket(Xsk* x, uint32_t ifindex, size_t* k) {
  for (size_t j = 0; j < x->socks.size(); j++)
    if (uint32_t(x->socks[j].ifindex) == ifindex) {
      *k = j;
      return &x->socks[j];
    }
  return nullptr;
}

// Runs the JS pipeline over entries [0, count), then sends or frees every frame.
void Deliver(Xsk* x, uint32_t count) {
  if (count == 0) return;
  x->Bump(kRxPackets, count);
  x->Bump(kRxBatches);
  if (!x->CallBatch(count)) x->Bump(kCallbackErrors);
  BatchView& b = x->b;
  if (x->closing()) {
    for (uint32_t i = 0; i < count; i++) x->umem.free.push_back(x->slotFrame[i]);
    return;
  }
  const uint64_t lead = x->umem.lead, fs = x->umem.frameSize;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t frame = x->slotFrame[i];
    uint8_t v = b.verdict[i];
    if (v != kTransmit) {
      if (v == kAccept || v == kAcceptModified) x->Bump(kPassLost);
      x->umem.free.push_back(frame);
      continue;
    }
    uint64_t st = b.start[i], len = b.length[i];
    size_t k = 0;
    XskSocket* s = TxSocket(x, x->outIfindex[i] ? x->outIfindex[i] : b.ifindex[i], &k);
    // The rewritten frame must still lie inside its own UMEM frame.
    bool fits = st >= lead && st - lead >= frame && st - lead + len <= frame + fs && len >= 14;
    if (!s || !fits || s->tx.Free() == 0) {
      x->Bump(kTxErrors);
      x->umem.free.push_back(frame);
      continue;
    }
    xdp_desc& d = s->tx.Descs()[s->tx.cachedProd & s->tx.mask];
    d.addr = st - lead;
    d.len = uint32_t(len);
    d.options = 0;
    s->tx.cachedProd++;
    x->txPending[k] = 1;
    x->Bump(kTxPackets);
  }
  for (size_t k = 0; k < x->socks.size(); k++) {
    if (!x->txPending[k]) continue;
    x->txPending[k] = 0;
    XskSocket& s = x->socks[k];
    s.tx.Publish();
    x->Bump(kTxKicks, XskKick(&s));
    XskReapCompletions(&s, &x->umem);
  }
}

void Refill(Xsk* x) {
  for (auto& s : x->socks) XskReapCompletions(&s, &x->umem);
  for (auto& s : x->socks) XskRefill(&s, &x->umem, s.fill.size);
}

// Frames ready in the RX rings of every socket.
uint32_t ReadyFrames(Xsk* x) {
  uint32_t n = 0;
  for (auto& s : x->socks) n += s.rx.Ready();
  return n;
}

// Takes the ready RX descriptors of every socket (up to kBatchesPerWakeup batches), runs them, sends;
// returns the frames taken.
uint32_t Drain(Xsk* x);

}  // namespace

void XskOnReadable(BatchHandle* h) {
  Xsk* x = static_cast<Xsk*>(h);
  // Moderate only while traffic is dense (the last wakeup took kDenseFrames or more): a lone frame after a
  // lull, or a request/response exchange, is taken at once and gets no added latency.
  if (x->coalesceUs && !x->waiting && x->lastTaken >= kDenseFrames && ReadyFrames(x) < x->b.capacity) {
    itimerspec t = {};
    t.it_value.tv_nsec = long(x->coalesceUs) * 1000;
    if (timerfd_settime(x->timerFd, 0, &t, nullptr) == 0) {
      x->waiting = true;
      for (int i = 0; i < int(x->socks.size()); i++) x->SetWatching(i, false);
      return;
    }
  }
  x->lastTaken = Drain(x);
}

void XskOnTimer(BatchHandle* h) {
  Xsk* x = static_cast<Xsk*>(h);
  uint64_t expirations;
  if (read(x->timerFd, &expirations, sizeof expirations) < 0) {}
  x->waiting = false;
  for (int i = 0; i < int(x->socks.size()); i++) x->SetWatching(i, true);
  x->lastTaken = Drain(x);
}

namespace {

uint32_t Drain(Xsk* x) {
  BatchView& b = x->b;
  Refill(x);
  uint32_t count = 0, taken = 0;
  const uint64_t chunk = ~uint64_t(x->umem.frameSize - 1);
  for (int round = 0; round < kBatchesPerWakeup && !x->closing(); round++) {
    bool any = false;
    for (auto& s : x->socks) {
      uint32_t n = s.rx.Ready();
      if (n == 0) continue;
      any = true;
      if (n > b.capacity - count) n = b.capacity - count;
      const xdp_desc* d = s.rx.Descs();
      for (uint32_t k = 0; k < n; k++) {
        const xdp_desc& e = d[(s.rx.cachedCons + k) & s.rx.mask];
        uint32_t i = count++;
        x->slotFrame[i] = e.addr & chunk;
        // XDP carries no checksum state: a frame from a local sender (veth) may hold only a partial sum.
        if (CompleteIfPartial(x->umem.Base() + e.addr, e.len)) x->Bump(kCsumCompleted);
        b.start[i] = uint32_t(x->umem.lead + e.addr);
        b.length[i] = e.len;
        b.id[i] = 0;
        b.ifindex[i] = uint32_t(s.ifindex);
        b.mark[i] = 0;
        b.timeMs[i] = 0;
        b.verdict[i] = kVerdictDrop;
        b.reason[i] = 0;
        x->outIfindex[i] = 0;
      }
      s.rx.cachedCons += n;
      s.rx.Release();
      taken += n;
      if (count == b.capacity) {
        Deliver(x, count);
        count = 0;
        Refill(x);
      }
    }
    if (!any) break;
  }
  Deliver(x, count);
  if (!x->closing()) Refill(x);
  return taken;
}

}  // namespace

}  // namespace ulvs
