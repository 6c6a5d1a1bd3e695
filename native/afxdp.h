// The AF_XDP backend's per-worker state, shared by afxdp.cc (the receive/transmit loop) and
// afxdp-open.cc (the N-API entry point that builds it). Its life (polls, JS callback, close order) is
// the shared BatchHandle's (batch-handle.h).
#pragma once
#include <linux/if_xdp.h>
#include <unistd.h>

#include <vector>

#include "batch-handle.h"
#include "xsk.h"

namespace ulvs {

// Indexes of the counters this module adds to the caller's stats Float64Array (src/io/types.ts XSK_STAT_NAMES).
enum XskStat : int {
  kRxPackets = 0,
  kRxBatches = 1,
  kTxPackets = 2,       // frames put in a TX ring
  kTxKicks = 3,         // sendto calls that made the kernel send
  kTxErrors = 4,        // Transmit verdicts with no socket on outIfindex, a bad frame, or a full TX ring: dropped
  kCallbackErrors = 5,
  kRingDrops = 6,       // XDP_STATISTICS rx_dropped + rx_ring_full: packets the kernel could not queue
  kFillEmpty = 7,       // XDP_STATISTICS rx_fill_ring_empty_descs
  kPassLost = 8,        // Accept verdicts: a redirected frame cannot go back to the kernel, so it is dropped
  kTxInvalid = 9,       // XDP_STATISTICS tx_invalid_descs
  kCsumCompleted = 10,  // CHECKSUM_PARTIAL frames (a local sender, veth) whose L4 checksum we completed
  kStatCount = 11,
};

// One worker's AF_XDP sockets on one UMEM.
struct Xsk : BatchHandle {
  explicit Xsk(napi_env env) : BatchHandle(env) {}
  ~Xsk() override {
    if (regionOwned) XskUmemDestroy(&umem);
  }
  XskUmem umem;
  // True until the UMEM region is handed to JS (an external ArrayBuffer then unmaps it).
  bool regionOwned = false;
  std::vector<XskSocket> socks;
  uint32_t* outIfindex = nullptr;
  std::vector<uint64_t> slotFrame;    // UMEM address of the frame behind batch entry i
  std::vector<uint8_t> txPending;     // per socket: frames put in its TX ring this batch
  std::vector<xdp_statistics> seen;   // per socket: XDP_STATISTICS already added to stats
  // Interrupt moderation (0 = off): a wakeup that finds less than a full batch stops polling the sockets
  // and takes the frames coalesceUs later (timerFd, watched after the sockets), so one wakeup serves
  // many frames at the cost of up to coalesceUs of added latency (like TPACKET_V3's block timeout).
  // Adaptive: only after a wakeup that took kDenseFrames (32) or more (lastTaken), so sparse traffic and
  // request/response exchanges wait for nothing.
  uint32_t coalesceUs = 0;
  int timerFd = -1;
  bool waiting = false;
  uint32_t lastTaken = 0;

 protected:
  // Closing a socket also takes it out of the XSKMAP (the kernel's xsk_delete_from_maps).
  void ReleaseSockets() override {
    for (auto& s : socks) XskSocketClose(&s);
    if (timerFd >= 0) close(timerFd);
    timerFd = -1;
  }
};

// Poll callback: takes every ready RX descriptor, runs the batch, transmits, refills (with coalesceUs:
// only when a full batch is ready, else it arms timerFd and stops polling the sockets).
void XskOnReadable(BatchHandle* h);
// timerFd callback (coalesceUs): polls the sockets again and takes what arrived.
void XskOnTimer(BatchHandle* h);

}  // namespace ulvs
