// Cost of finishing offloaded frames (native/offload.cc) on one core: checksum completion of a
// CHECKSUM_PARTIAL frame (TCP/IPv4, 1514 and 66 bytes, as the AF_PACKET backend does it while copying
// into a slot: memcpy + completion) against the bare memcpy, and cutting a 64 KiB TSO super-frame into
// 1448-byte segments (odd lengths too). Also checks that every completed checksum verifies (sum over the segment = 0xffff).
//   g++ -O2 -std=c++17 -Inative bench/offload.cc native/offload.cc -o /tmp/offload-bench && /tmp/offload-bench
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <initializer_list>

#include "offload.h"

using namespace ulvs;

static double NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// An Ethernet + IPv4 + TCP frame of `len` bytes whose checksum field holds the pseudo-header sum, as a
// CHECKSUM_PARTIAL skb carries it, and the virtio_net_hdr AF_PACKET reports for it.
static void MakeFrame(uint8_t* f, uint32_t len, VnetHdr* vh, uint16_t gsoSize) {
  memset(f, 0, len);
  f[12] = 0x08, f[13] = 0x00;
  uint8_t* ip = f + 14;
  uint32_t ipLen = len - 14;
  ip[0] = 0x45, ip[2] = uint8_t(ipLen >> 8), ip[3] = uint8_t(ipLen), ip[8] = 64, ip[9] = 6;
  uint8_t src[4] = {198, 18, 1, 2}, dst[4] = {198, 18, 0, 100};
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  uint8_t* tcp = ip + 20;
  tcp[0] = 0x30, tcp[1] = 0x39, tcp[2] = 0x00, tcp[3] = 0x50, tcp[12] = 0x50, tcp[13] = 0x18;
  for (uint32_t i = 54; i < len; i++) f[i] = uint8_t(i * 31 + 7);
  // Pseudo-header sum (not complemented) in the field, big-endian.
  uint32_t l4 = len - 34, s = 0;
  for (int i = 0; i < 4; i += 2) s += (src[i] << 8 | src[i + 1]) + (dst[i] << 8 | dst[i + 1]);
  s += 6 + l4;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  tcp[16] = uint8_t(s >> 8), tcp[17] = uint8_t(s);
  *vh = {};
  vh->flags = kVnetNeedsCsum;
  vh->csumStart = 34;
  vh->csumOffset = 16;
  if (gsoSize) vh->gsoType = kVnetGsoTcpV4, vh->gsoSize = gsoSize;
}

// True when the TCP checksum of the frame verifies (one's complement sum incl. pseudo-header = 0xffff).
static bool Verifies(const uint8_t* f, uint32_t len) {
  const uint8_t* ip = f + 14;
  uint32_t l4 = len - 34, s = 6 + l4;
  for (int i = 12; i < 20; i += 2) s += ip[i] << 8 | ip[i + 1];
  for (uint32_t i = 34; i + 1 < len; i += 2) s += f[i] << 8 | f[i + 1];
  if (l4 & 1) s += f[len - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s == 0xffff;
}

int main() {
  static uint8_t src[70000], dst[2048], seg[2048];
  VnetHdr vh;
  const int kIter = 2000000;
  for (uint32_t len : {1514u, 66u, 1515u, 67u}) {
    MakeFrame(src, len, &vh, 0);
    double t0 = NowNs();
    for (int i = 0; i < kIter; i++) {
      memcpy(dst, src, len);
      asm volatile("" : : "r"(dst) : "memory");
    }
    double t1 = NowNs();
    for (int i = 0; i < kIter; i++) {
      memcpy(dst, src, len);
      CompleteChecksum(dst, len, vh);
      asm volatile("" : : "r"(dst) : "memory");
    }
    double t2 = NowNs();
    printf("%u-byte frame: copy %.1f ns, copy + checksum completion %.1f ns (completion %.1f ns); verifies: %s\n", len,
           (t1 - t0) / kIter, (t2 - t1) / kIter, (t2 - t1 - (t1 - t0)) / kIter, Verifies(dst, len) ? "yes" : "NO");
  }
  uint32_t big = 14 + 20 + 20 + 45 * 1448;  // 65214 bytes: 45 segments of 1448
  MakeFrame(src, big, &vh, 1448);
  GsoPlan p;
  if (PlanGso(src, big, vh, &p) != kOffloadOk) return printf("plan failed\n"), 1;
  bool ok = true;
  for (uint32_t k = 0; k < p.segments; k++) ok = ok && Verifies(seg, GsoWrite(src, p, k, seg));
  const int kFrames = 20000;
  double t0 = NowNs();
  for (int i = 0; i < kFrames; i++) {
    for (uint32_t k = 0; k < p.segments; k++) GsoWrite(src, p, k, seg);
    asm volatile("" : : "r"(seg) : "memory");
  }
  double t1 = NowNs();
  printf("64 KiB TSO frame -> %u segments: %.1f ns per segment (copy + headers + checksum); all verify: %s\n", p.segments,
         (t1 - t0) / (double(kFrames) * p.segments), ok ? "yes" : "NO");
  return 0;
}
