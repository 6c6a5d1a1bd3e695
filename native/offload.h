// What a NIC's offloads leave for AF_PACKET to finish (native/offload.cc): frames whose L4 checksum is
// only a pseudo-header sum (CHECKSUM_PARTIAL, the ring's "checksum not ready") and GSO/GRO super-frames
// of many TCP segments or UDP datagrams. Both arrive with a struct virtio_net_hdr (PACKET_VNET_HDR) that
// says where the checksum goes and how the frame is to be cut. Pure functions over bytes, no allocation.
#pragma once
#include <stdint.h>

namespace ulvs {

// struct virtio_net_hdr (linux/virtio_net.h, 10 bytes, host byte order on this host; that header cannot be
// included from C++: a field is named `class`).
struct VnetHdr {
  uint8_t flags;     // kVnetNeedsCsum: checksum at csumStart + csumOffset not done yet
  uint8_t gsoType;   // kVnetGso*
  uint16_t hdrLen;   // bytes of headers (a hint)
  uint16_t gsoSize;  // payload bytes per segment
  uint16_t csumStart, csumOffset;
};
static_assert(sizeof(VnetHdr) == 10, "struct virtio_net_hdr is 10 bytes");
constexpr uint8_t kVnetNeedsCsum = 1;
constexpr uint8_t kVnetGsoNone = 0, kVnetGsoTcpV4 = 1, kVnetGsoUdp = 3, kVnetGsoTcpV6 = 4, kVnetGsoUdpL4 = 5, kVnetGsoEcn = 0x80;

// How a GSO frame is cut into wire frames (one plan per frame, then one GsoWrite per segment).
struct GsoPlan {
  uint32_t l3Off = 0;    // IP header offset in the frame (14, or 18 with an 802.1Q tag)
  uint32_t l4Off = 0;    // TCP/UDP header offset
  uint32_t hdrLen = 0;   // bytes of headers copied into every segment (l4Off + TCP/UDP header)
  uint32_t mss = 0;      // payload bytes per segment (gso_size)
  uint32_t payload = 0;  // payload bytes in all (frame length - hdrLen)
  uint32_t segments = 0;
  uint8_t family = 0;    // 4 or 6
  uint8_t proto = 0;     // 6 (TCP) or 17 (UDP, gso_type UDP_L4)
};

// Why a frame cannot be finished (a counter each in native/afpacket.cc).
enum OffloadError : int {
  kOffloadOk = 0,
  kOffloadUnsupported = 1,  // a GSO type we cannot cut (UFO, tunnels, ECN-only) or not IP
  kOffloadMalformed = 2,    // headers or checksum offsets outside the frame
};

// Completes the checksum of a CHECKSUM_PARTIAL frame: the 16-bit one's complement sum from csum_start
// to the end of the L4 payload (IP length, not the frame: Ethernet padding is not summed) goes to
// csum_start + csum_offset, as skb_checksum_help; SCTP (csum_offset 8, protocol 132) gets CRC32c.
int CompleteChecksum(uint8_t* frame, uint32_t len, const VnetHdr& vh);

// For frames that come with no offload metadata (AF_XDP): a TCP or UDP frame (not a fragment) whose
// checksum field holds exactly its pseudo-header sum is taken for a CHECKSUM_PARTIAL one and its
// checksum completed as CompleteChecksum does. A complete checksum equal to that sum (1 in 65536) is
// recomputed to the same value, so only a corrupted frame could be changed. Returns true if completed.
bool CompleteIfPartial(uint8_t* frame, uint32_t len);

// Plans the cutting of a GSO frame (gso_type TCPV4, TCPV6 or UDP_L4) into segments of gso_size payload.
int PlanGso(const uint8_t* frame, uint32_t len, const VnetHdr& vh, GsoPlan* p);

// Writes segment k of a planned frame into out (room for hdrLen + mss bytes): headers with IP length,
// IPv4 id (+k) and header checksum, TCP sequence (+k*mss) and flags (FIN/PSH on the last, CWR on the
// first only) or UDP length, and a complete L4 checksum. Returns the segment's length.
uint32_t GsoWrite(const uint8_t* frame, const GsoPlan& p, uint32_t k, uint8_t* out);

}  // namespace ulvs
