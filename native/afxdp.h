// The AF_XDP backend's per-worker state, shared by afxdp.cc (the receive/transmit loop and closing)
// and afxdp-open.cc (the N-API entry point that builds it).
#pragma once
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "module.h"
#include "xsk.h"

namespace ulvs {

// Indexes of the counters this module adds to the caller's stats Float64Array (src/io/types.ts XSK_STAT_NAMES).
enum XskStat : int {
  kRxPackets = 0,
  kRxBatches = 1,
  kTxPackets = 2,   // frames put in a TX ring
  kTxKicks = 3,     // sendto calls that made the kernel send
  kTxErrors = 4,    // Transmit verdicts with no socket on outIfindex, a bad frame, or a full TX ring: dropped
  kCallbackErrors = 5,
  kRingDrops = 6,   // XDP_STATISTICS rx_dropped + rx_ring_full: packets the kernel could not queue
  kFillEmpty = 7,   // XDP_STATISTICS rx_fill_ring_empty_descs
  kPassLost = 8,    // Accept verdicts: a redirected frame cannot go back to the kernel, so it is dropped
  kTxInvalid = 9,   // XDP_STATISTICS tx_invalid_descs
  kCsumCompleted = 10,  // CHECKSUM_PARTIAL frames (a local sender, veth) whose L4 checksum we completed
  kStatCount = 11,
};

constexpr uint8_t kDrop = 0, kAccept = 1, kAcceptModified = 2, kTransmit = 3;
// Batches taken per wakeup before the event loop gets a turn.
constexpr int kBatchesPerWakeup = 4;

struct Xsk {
  napi_env env = nullptr;
  XskUmem umem;
  std::vector<XskSocket> socks;
  std::unique_ptr<uv_poll_t[]> polls;
  int openHandles = 0;
  uint32_t capacity = 0;
  uint32_t *start = nullptr, *length = nullptr, *id = nullptr, *ifindex = nullptr, *mark = nullptr, *outIfindex = nullptr;
  uint8_t* verdict = nullptr;
  uint16_t* reason = nullptr;
  double* timeMs = nullptr;
  double* stats = nullptr;
  std::vector<uint64_t> slotFrame;  // UMEM address of the frame behind batch entry i
  std::vector<uint8_t> txPending;   // per socket: frames put in its TX ring this batch
  std::vector<xdp_statistics> seen;  // per socket: XDP_STATISTICS already added to stats
  std::vector<napi_ref> refs;
  napi_ref cb = nullptr, region = nullptr;
  napi_async_context actx = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  bool closing = false, closed = false, wrapped = true;
};

// Adds `by` to counter i.
void XskBump(Xsk* x, int i, double by = 1);
// Reads the batch's metadata arrays (not its buffer: the UMEM region replaces it); "" on success.
std::string XskReadBatch(napi_env env, napi_value b, Xsk* x);
// Reads a uint32 (or boolean) option, `dflt` when absent.
uint32_t XskU32Prop(napi_env env, napi_value obj, const char* name, uint32_t dflt);
// Keeps a reference to the typed array obj[name] of type `want`; false when it is not one.
bool XskTypedData(napi_env env, napi_value obj, const char* name, napi_typedarray_type want, void** data, size_t* len, std::vector<napi_ref>* refs);
// uv poll callback: takes every ready RX descriptor, runs the batch, transmits, refills.
void XskOnReadable(uv_poll_t* h, int status, int events);
// Stops the polls and closes the sockets (asynchronously); fromHook: called by the env cleanup hook.
void XskStartClose(Xsk* x, bool fromHook);

}  // namespace ulvs
