#define _GNU_SOURCE
// Minimal AF_XDP DR forwarder (benchmark reference, the ceiling of the AF_XDP path on this host): an XDP
// program (hand-assembled eBPF, no libbpf or clang) redirects IPv4 to VIP into the AF_XDP socket of
// queue 0 through an XSKMAP; the forwarder rewrites the Ethernet destination to RS_MAC and the source
// to IFACE's MAC in the UMEM frame and sends the same frame from the TX ring (one sendto kick per batch);
// completed frames go straight back to the fill ring. Native XDP where the driver has it (veth), copy
// mode (veth offers no zero-copy). One thread, one queue (a veth has one). Like ulvs it completes a
// TCP/UDP checksum a local sender left CHECKSUM_PARTIAL (csum.h), so HTTP and udp-ping work with veth's
// default offloads.
// usage: xdp-fwd IFACE VIP RS_MAC
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>

#include "csum.h"
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#define FRAMES 4096
#define FRAME 2048
#define RING 2048
#define BATCH 256

static volatile int stop;
static void on_sig(int s) { (void)s; stop = 1; }
static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof *a); }
static void die(const char *what) { fprintf(stderr, "xdp-fwd: %s: %s\n", what, strerror(errno)); exit(1); }

struct ring { uint32_t *prod, *cons; void *desc; uint32_t cp, cc; };
static void map_ring(int fd, struct ring *r, struct xdp_ring_offset *o, size_t dsz, off_t pg) {
  uint8_t *m = mmap(NULL, o->desc + RING * dsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pg);
  if (m == MAP_FAILED) die("mmap ring");
  r->prod = (uint32_t *)(m + o->producer);
  r->cons = (uint32_t *)(m + o->consumer);
  r->desc = m + o->desc;
  r->cp = *r->prod;
  r->cc = *r->cons;
}

#define I(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: xdp-fwd IFACE VIP RS_MAC\n"); return 2; }
  unsigned ifindex = if_nametoindex(argv[1]);
  if (!ifindex) die("if_nametoindex");
  uint32_t vip = inet_addr(argv[2]);  // network order: a little-endian eBPF load of the header yields this value
  unsigned char rs[6], me[6];
  sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &rs[0], &rs[1], &rs[2], &rs[3], &rs[4], &rs[5]);
  int s = socket(AF_XDP, SOCK_RAW, 0);
  if (s < 0) die("socket(AF_XDP)");
  int q = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(q, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
  memcpy(me, ifr.ifr_hwaddr.sa_data, 6);
  close(q);

  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  int map = (int)bpf(BPF_MAP_CREATE, &a);
  if (map < 0) die("BPF_MAP_CREATE");
  struct bpf_insn prog[] = {
      I(0xbf, 6, 1, 0, 0), I(0x61, 2, 6, 0, 0), I(0x61, 3, 6, 4, 0),       // r6 = ctx, r2 = data, r3 = data_end
      I(0xbf, 4, 2, 0, 0), I(0x07, 4, 0, 0, 34), I(0x2d, 4, 3, 10, 0),    // Ethernet + IPv4 header present
      I(0x69, 4, 2, 12, 0), I(0x56, 4, 0, 8, 0x0008),                     // EtherType IPv4
      I(0x61, 4, 2, 30, 0), I(0x56, 4, 0, 6, (int32_t)vip),               // destination VIP
      I(0x18, 1, BPF_PSEUDO_MAP_FD, 0, map), I(0, 0, 0, 0, 0),            // r1 = &xskmap
      I(0x61, 2, 6, 16, 0), I(0xb7, 3, 0, 0, XDP_PASS),                   // key rx_queue_index, default pass
      I(0x85, 0, 0, 0, BPF_FUNC_redirect_map), I(0x95, 0, 0, 0, 0),
      I(0xb7, 0, 0, 0, XDP_PASS), I(0x95, 0, 0, 0, 0),
  };
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insns = (uint64_t)(uintptr_t)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  int pfd = (int)bpf(BPF_PROG_LOAD, &a);
  if (pfd < 0) die("BPF_PROG_LOAD");

  uint8_t *umem = mmap(NULL, (size_t)FRAMES * FRAME, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct xdp_umem_reg mr = {.addr = (uint64_t)(uintptr_t)umem, .len = (uint64_t)FRAMES * FRAME, .chunk_size = FRAME};
  if (setsockopt(s, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr) < 0) die("XDP_UMEM_REG");
  int rsz = RING;
  int opts[] = {XDP_UMEM_FILL_RING, XDP_UMEM_COMPLETION_RING, XDP_RX_RING, XDP_TX_RING};
  for (int k = 0; k < 4; k++)
    if (setsockopt(s, SOL_XDP, opts[k], &rsz, sizeof rsz) < 0) die("ring size");
  int budget = RING;  // XDP_MAX_TX_SKB_BUDGET (Linux 6.17): a whole ring per sendto in copy mode, not 32
  setsockopt(s, SOL_XDP, 9, &budget, sizeof budget);
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(s, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) die("XDP_MMAP_OFFSETS");
  struct ring rx, tx, fq, cq;
  map_ring(s, &rx, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING);
  map_ring(s, &tx, &off.tx, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING);
  map_ring(s, &fq, &off.fr, 8, XDP_UMEM_PGOFF_FILL_RING);
  map_ring(s, &cq, &off.cr, 8, XDP_UMEM_PGOFF_COMPLETION_RING);
  // Half the frames in the fill ring, half for frames in flight on TX.
  for (uint32_t k = 0; k < RING; k++) ((uint64_t *)fq.desc)[(fq.cp + k) & (RING - 1)] = (uint64_t)k * FRAME;
  fq.cp += RING;
  __atomic_store_n(fq.prod, fq.cp, __ATOMIC_RELEASE);
  struct sockaddr_xdp sa = {.sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0, .sxdp_flags = XDP_COPY};
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
  uint32_t key = 0;
  memset(&a, 0, sizeof a);
  a.map_fd = map;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&s;
  if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) die("BPF_MAP_UPDATE_ELEM");
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = pfd;
  a.link_create.target_ifindex = ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = XDP_FLAGS_DRV_MODE;
  int link = (int)bpf(BPF_LINK_CREATE, &a);
  if (link < 0) {
    a.link_create.flags = XDP_FLAGS_SKB_MODE;
    link = (int)bpf(BPF_LINK_CREATE, &a);
  }
  if (link < 0) die("BPF_LINK_CREATE");
  signal(SIGINT, on_sig);
  signal(SIGTERM, on_sig);
  printf("ready\n");
  fflush(stdout);

  uint64_t spare[RING];
  uint32_t nspare = 0;
  for (uint32_t k = 0; k < RING; k++) spare[nspare++] = (uint64_t)(RING + k) * FRAME;
  unsigned long fwd = 0;
  while (!stop) {
    // Completions back to the spare list, spares into the fill ring.
    uint32_t n = __atomic_load_n(cq.prod, __ATOMIC_ACQUIRE) - cq.cc;
    for (uint32_t k = 0; k < n; k++) spare[nspare++] = ((uint64_t *)cq.desc)[(cq.cc + k) & (RING - 1)] & ~(uint64_t)(FRAME - 1);
    cq.cc += n;
    __atomic_store_n(cq.cons, cq.cc, __ATOMIC_RELEASE);
    uint32_t room = RING - (fq.cp - __atomic_load_n(fq.cons, __ATOMIC_ACQUIRE));
    uint32_t put = room < nspare ? room : nspare;
    for (uint32_t k = 0; k < put; k++) ((uint64_t *)fq.desc)[(fq.cp + k) & (RING - 1)] = spare[--nspare];
    fq.cp += put;
    __atomic_store_n(fq.prod, fq.cp, __ATOMIC_RELEASE);

    n = __atomic_load_n(rx.prod, __ATOMIC_ACQUIRE) - rx.cc;
    if (n == 0) {
      struct pollfd p = {s, POLLIN, 0};
      poll(&p, 1, 200);
      continue;
    }
    if (n > BATCH) n = BATCH;
    uint32_t txroom = RING - (tx.cp - __atomic_load_n(tx.cons, __ATOMIC_ACQUIRE));
    for (uint32_t k = 0; k < n; k++) {
      struct xdp_desc d = ((struct xdp_desc *)rx.desc)[(rx.cc + k) & (RING - 1)];
      if (k >= txroom) { spare[nspare++] = d.addr & ~(uint64_t)(FRAME - 1); continue; }
      uint8_t *f = umem + d.addr;
      complete_partial(f, d.len);  // XDP carries no checksum state: test the field itself
      memcpy(f, rs, 6);
      memcpy(f + 6, me, 6);
      ((struct xdp_desc *)tx.desc)[tx.cp++ & (RING - 1)] = d;
      fwd++;
    }
    rx.cc += n;
    __atomic_store_n(rx.cons, rx.cc, __ATOMIC_RELEASE);
    __atomic_store_n(tx.prod, tx.cp, __ATOMIC_RELEASE);
    // Copy mode sends a bounded number of frames per call: kick until the kernel took them all.
    for (int k = 0; k < 64 && __atomic_load_n(tx.cons, __ATOMIC_ACQUIRE) != tx.cp; k++)
      if (sendto(s, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) break;
  }
  close(link);
  printf("forwarded %lu\n", fwd);
  return 0;
}
