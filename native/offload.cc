// Finishing what a NIC's offloads leave undone, for frames AF_PACKET hands over (offload.h).
// Sums are one's complement over 16-bit words (RFC 1071) accumulated in host order: the sum is
// byte-order independent, so words are loaded and the result stored with memcpy, never swapped.
#include "offload.h"

#include <endian.h>
#include <string.h>

namespace ulvs {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthVlan = 0x8100, kEthQinQ = 0x88a8;

uint16_t Be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void PutBe16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }

// Host-order one's complement sum of n bytes at p added to acc (64-bit, folded later).
uint64_t Sum(const uint8_t* p, uint32_t n, uint64_t acc) {
  // 32 bytes per round: 64-bit loads split into 32-bit halves (no carry is lost in a 64-bit sum).
  while (n >= 32) {
    uint64_t w[4];
    memcpy(w, p, 32);
    acc += (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32)
         + (w[2] & 0xffffffffu) + (w[2] >> 32) + (w[3] & 0xffffffffu) + (w[3] >> 32);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + 4, 4);
    acc += uint64_t(a) + b;
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint8_t last[2] = {p[0], 0};  // the odd byte is the high byte of a big-endian word
    uint16_t w;
    memcpy(&w, last, 2);
    acc += w;
  }
  return acc;
}

uint16_t Fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

// The pseudo-header sum (RFC 793 / RFC 8200 8.1): addresses from the packet, then length and protocol.
uint64_t PseudoSum(const uint8_t* ip, uint8_t family, uint8_t proto, uint32_t l4len) {
  uint64_t acc = family == 4 ? Sum(ip + 12, 8, 0) : Sum(ip + 8, 32, 0);
  if (family == 4) {
    uint8_t t4[4] = {0, proto, uint8_t(l4len >> 8), uint8_t(l4len)};
    return Sum(t4, 4, acc);
  }
  uint8_t t6[8] = {uint8_t(l4len >> 24), uint8_t(l4len >> 16), uint8_t(l4len >> 8), uint8_t(l4len), 0, 0, 0, proto};
  return Sum(t6, 8, acc);
}

void StoreCsum(uint8_t* field, uint16_t folded, bool zeroIsFfff) {
  uint16_t c = uint16_t(~folded);
  if (c == 0 && zeroIsFfff) c = 0xffff;
  memcpy(field, &c, 2);
}

uint32_t Crc32cTable(uint32_t n) {
  uint32_t c = n;
  for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  return c;
}

struct Crc32c {
  uint32_t t[256];
  Crc32c() { for (uint32_t n = 0; n < 256; n++) t[n] = Crc32cTable(n); }
};

// SCTP's CRC32c (RFC 9260 appendix A) over [p, p+n), stored little-endian at p+8 (field zeroed first).
void FillSctp(uint8_t* p, uint32_t n) {
  static const Crc32c crc;
  memset(p + 8, 0, 4);
  uint32_t c = 0xffffffffu;
  for (uint32_t i = 0; i < n; i++) c = crc.t[(c ^ p[i]) & 0xff] ^ (c >> 8);
  c = ~c;
  uint8_t le[4] = {uint8_t(c), uint8_t(c >> 8), uint8_t(c >> 16), uint8_t(c >> 24)};
  memcpy(p + 8, le, 4);
}

// Offset of the IP header and its family (0 when the frame is not IPv4/IPv6).
uint32_t L3Of(const uint8_t* f, uint32_t len, uint8_t* family) {
  *family = 0;
  if (len < 14) return 0;
  uint32_t off = 12;
  uint16_t type = Be16(f + off);
  while ((type == kEthVlan || type == kEthQinQ) && off + 6 <= len) {
    off += 4;
    type = Be16(f + off);
  }
  off += 2;
  if (type == kEthIpv4 && off + 20 <= len && (f[off] >> 4) == 4) *family = 4;
  else if (type == kEthIpv6 && off + 40 <= len && (f[off] >> 4) == 6) *family = 6;
  return off;
}

}  // namespace

int CompleteChecksum(uint8_t* frame, uint32_t len, const VnetHdr& vh) {
  uint32_t start = vh.csumStart, field = start + vh.csumOffset;
  uint8_t family;
  uint32_t l3 = L3Of(frame, len, &family);
  if (family == 0) return kOffloadUnsupported;
  // End of the L4 payload from the IP length (the frame may carry Ethernet padding).
  uint32_t ipLen = family == 4 ? Be16(frame + l3 + 2) : 40u + Be16(frame + l3 + 4);
  uint32_t end = l3 + ipLen < len ? l3 + ipLen : len;
  if (start <= l3 || field + 2 > end) return kOffloadMalformed;
  if (vh.csumOffset == 8 && (family == 6 || frame[l3 + 9] == 132)) {
    FillSctp(frame + start, end - start);  // csum_not_inet: the only user of offset 8
    return kOffloadOk;
  }
  // The field holds the pseudo-header sum (not complemented): summing it in gives the full checksum.
  StoreCsum(frame + field, Fold(Sum(frame + start, end - start, 0)), true);
  return kOffloadOk;
}

bool CompleteIfPartial(uint8_t* frame, uint32_t len) {
  uint8_t family;
  uint32_t l3 = L3Of(frame, len, &family);
  if (family == 0) return false;
  const uint8_t* ip = frame + l3;
  uint8_t proto;
  uint32_t l4, l4len;
  if (family == 4) {
    uint32_t ihl = (ip[0] & 15u) * 4, tot = Be16(ip + 2);
    if ((Be16(ip + 6) & 0x3fff) != 0 || ihl < 20 || tot < ihl || l3 + tot > len) return false;
    proto = ip[9];
    l4 = l3 + ihl;
    l4len = tot - ihl;
  } else {
    proto = ip[6];
    l4 = l3 + 40;
    l4len = Be16(ip + 4);
    if (l4 + l4len > len) return false;
  }
  uint32_t off = proto == 6 ? 16 : proto == 17 ? 6 : 0;
  if (off == 0 || l4len < off + 2) return false;
  uint16_t field;
  memcpy(&field, frame + l4 + off, 2);
  if (field == 0 || field != Fold(PseudoSum(ip, family, proto, l4len))) return false;
  VnetHdr vh = {kVnetNeedsCsum, kVnetGsoNone, 0, 0, uint16_t(l4), uint16_t(off)};
  return CompleteChecksum(frame, len, vh) == kOffloadOk;
}

int PlanGso(const uint8_t* frame, uint32_t len, const VnetHdr& vh, GsoPlan* p) {
  uint8_t type = vh.gsoType & uint8_t(~kVnetGsoEcn);
  uint8_t family;
  uint32_t l3 = L3Of(frame, len, &family);
  if (family == 0) return kOffloadUnsupported;
  uint8_t proto;
  if (type == kVnetGsoTcpV4 && family == 4) proto = 6;
  else if (type == kVnetGsoTcpV6 && family == 6) proto = 6;
  else if (type == kVnetGsoUdpL4) proto = 17;
  else return kOffloadUnsupported;
  uint32_t l4 = vh.csumStart;
  if (l4 <= l3 || (family == 4 && l4 != l3 + uint32_t(frame[l3] & 0x0f) * 4)) return kOffloadMalformed;
  uint32_t hdr = proto == 6 ? (l4 + 13 <= len ? l4 + uint32_t(frame[l4 + 12] >> 4) * 4 : 0) : l4 + 8;
  uint32_t mss = vh.gsoSize;
  if (hdr == 0 || hdr > len || mss == 0) return kOffloadMalformed;
  p->l3Off = l3;
  p->l4Off = l4;
  p->hdrLen = hdr;
  p->mss = mss;
  p->payload = len - hdr;
  p->segments = p->payload == 0 ? 1 : (p->payload + mss - 1) / mss;
  p->family = family;
  p->proto = proto;
  return kOffloadOk;
}

uint32_t GsoWrite(const uint8_t* frame, const GsoPlan& p, uint32_t k, uint8_t* out) {
  uint32_t from = k * p.mss;
  uint32_t chunk = p.payload - from < p.mss ? p.payload - from : p.mss;
  memcpy(out, frame, p.hdrLen);
  memcpy(out + p.hdrLen, frame + p.hdrLen + from, chunk);
  uint32_t segLen = p.hdrLen + chunk, l4len = segLen - p.l4Off;
  uint8_t* ip = out + p.l3Off;
  if (p.family == 4) {
    // inet_gso_segment: each segment its own total length and id (incremented), header checksum anew.
    PutBe16(ip + 2, uint16_t(segLen - p.l3Off));
    PutBe16(ip + 4, uint16_t(Be16(frame + p.l3Off + 4) + k));
    memset(ip + 10, 0, 2);
    StoreCsum(ip + 10, Fold(Sum(ip, uint32_t(ip[0] & 0x0f) * 4, 0)), false);
  } else {
    PutBe16(ip + 4, uint16_t(segLen - p.l3Off - 40));
  }
  uint8_t* l4 = out + p.l4Off;
  uint32_t csumOff;
  if (p.proto == 6) {
    // tcp_gso_segment: sequence advances by the payload before; FIN and PSH stay on the last segment only,
    // CWR on the first only.
    uint32_t seq = uint32_t(l4[4]) << 24 | uint32_t(l4[5]) << 16 | uint32_t(l4[6]) << 8 | l4[7];
    seq += from;
    l4[4] = uint8_t(seq >> 24), l4[5] = uint8_t(seq >> 16), l4[6] = uint8_t(seq >> 8), l4[7] = uint8_t(seq);
    if (k + 1 != p.segments) l4[13] &= uint8_t(~0x09);
    if (k != 0) l4[13] &= uint8_t(~0x80);
    csumOff = 16;
  } else {
    PutBe16(l4 + 4, uint16_t(l4len));  // udp4_ufo_fragment / __udp_gso_segment: one datagram per segment
    csumOff = 6;
  }
  memset(l4 + csumOff, 0, 2);
  StoreCsum(l4 + csumOff, Fold(Sum(l4, l4len, PseudoSum(ip, p.family, p.proto, l4len))), p.proto == 17);
  return segLen;
}

}  // namespace ulvs
