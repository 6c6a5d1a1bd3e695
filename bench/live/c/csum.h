// Completes a TCP/UDP checksum a local sender left CHECKSUM_PARTIAL (veth with default offloads hands
// such frames to AF_PACKET and AF_XDP as they are: the field holds only the pseudo-header sum), as ulvs
// does in native/offload.cc, so the reference forwarders' HTTP and udp-ping rows are whole. IPv4 only
// (the forwarders are IPv4 DR). A frame whose field is not the pseudo-header sum is left alone.
#pragma once
#include <stdint.h>
#include <string.h>

static inline uint32_t csum_add(const uint8_t *p, uint32_t n, uint32_t acc) {
  for (; n >= 2; p += 2, n -= 2) acc += (uint32_t)(p[0] << 8 | p[1]);
  if (n) acc += (uint32_t)(p[0] << 8);
  return acc;
}
static inline uint16_t csum_fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

// f: Ethernet frame of len bytes (no VLAN tag). Returns 1 when it completed the checksum.
static inline int complete_partial(uint8_t *f, uint32_t len) {
  if (len < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4) return 0;
  uint8_t *ip = f + 14;
  uint32_t ihl = (ip[0] & 15u) * 4, tot = (uint32_t)(ip[2] << 8 | ip[3]);
  if (ihl < 20 || tot < ihl || 14 + tot > len || ((ip[6] << 8 | ip[7]) & 0x3fff)) return 0;
  uint8_t proto = ip[9];
  uint32_t off = proto == 6 ? 16 : proto == 17 ? 6 : 0, l4len = tot - ihl;
  if (!off || l4len < off + 2) return 0;
  uint8_t *l4 = ip + ihl;
  uint8_t t[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
  uint16_t pseudo = csum_fold(csum_add(t, 4, csum_add(ip + 12, 8, 0)));
  uint16_t field = (uint16_t)(l4[off] << 8 | l4[off + 1]);
  if (field == 0 || field != pseudo) return 0;
  // The field already holds the pseudo-header sum: the sum over the segment is the full checksum.
  uint16_t c = (uint16_t)~csum_fold(csum_add(l4, l4len, 0));
  if (c == 0 && proto == 17) c = 0xffff;
  l4[off] = (uint8_t)(c >> 8);
  l4[off + 1] = (uint8_t)c;
  return 1;
}
