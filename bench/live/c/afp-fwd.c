#define _GNU_SOURCE
// Minimal AF_PACKET DR forwarder (benchmark reference, the ceiling of the AF_PACKET path): TPACKET_V3
// RX ring on IFACE with a BPF filter for IPv4 to VIP, rewrites the Ethernet destination to RS_MAC and
// the source to IFACE's MAC, and sends each block's frames with one sendmmsg. THREADS threads (default
// 1), each with its own socket and ring in one PACKET_FANOUT_HASH group (like ulvs' fanout workers).
// A frame the kernel marks TP_STATUS_CSUMNOTREADY (a local sender's CHECKSUM_PARTIAL) gets its TCP/UDP
// checksum completed first (csum.h), as ulvs does, so HTTP and udp-ping work with veth's default offloads.
// usage: afp-fwd IFACE VIP RS_MAC [THREADS]
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>

#include "csum.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile int stop;
static void on_sig(int s) { (void)s; stop = 1; }
static const char *ifname;
static unsigned ifindex;
static uint32_t vip;
static unsigned char rs[6];
static volatile int ready;
static unsigned long total;

static void *loop(void *arg) {
  (void)arg;
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  ioctl(fd, SIOCGIFHWADDR, &ifr);
  unsigned char me[6];
  memcpy(me, ifr.ifr_hwaddr.sa_data, 6);
  struct sock_filter code[] = {
    {0x28, 0, 0, 12}, {0x15, 0, 3, 0x0800}, {0x20, 0, 0, 30}, {0x15, 0, 1, vip}, {0x06, 0, 0, 0x40000}, {0x06, 0, 0, 0},
  };
  struct sock_fprog prog = {6, code};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
  int v = TPACKET_V3, one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
  struct tpacket_req3 req = {.tp_block_size = 1 << 18, .tp_block_nr = 64, .tp_frame_size = 2048, .tp_retire_blk_tov = 1};
  req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
  setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req);
  unsigned char *map = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); exit(1); }
  int fanout = (getpid() & 0xffff) | (PACKET_FANOUT_HASH << 16);
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) < 0) { perror("PACKET_FANOUT"); exit(1); }
  __sync_fetch_and_add(&ready, 1);
  static __thread struct mmsghdr msgs[1024];
  static __thread struct iovec iov[1024];
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
  memcpy(to.sll_addr, rs, 6);
  unsigned cur = 0;
  unsigned long fwd = 0;
  while (!stop) {
    struct tpacket_block_desc *bd = (void *)(map + (size_t)cur * req.tp_block_size);
    if (!(bd->hdr.bh1.block_status & TP_STATUS_USER)) {
      struct pollfd p = {fd, POLLIN, 0};
      poll(&p, 1, 200);
      continue;
    }
    unsigned n = 0;
    struct tpacket3_hdr *ph = (void *)((unsigned char *)bd + bd->hdr.bh1.offset_to_first_pkt);
    for (unsigned k = 0; k < bd->hdr.bh1.num_pkts && n < 1024; k++) {
      unsigned char *f = (unsigned char *)ph + ph->tp_mac;
      if (ph->tp_status & TP_STATUS_CSUMNOTREADY) complete_partial(f, ph->tp_snaplen);
      memcpy(f, rs, 6);
      memcpy(f + 6, me, 6);
      iov[n].iov_base = f;
      iov[n].iov_len = ph->tp_snaplen;
      memset(&msgs[n].msg_hdr, 0, sizeof msgs[n].msg_hdr);
      msgs[n].msg_hdr.msg_name = &to;
      msgs[n].msg_hdr.msg_namelen = sizeof to;
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      n++;
      ph = (void *)((unsigned char *)ph + ph->tp_next_offset);
    }
    for (unsigned done = 0; done < n;) {
      int r = sendmmsg(fd, msgs + done, n - done, 0);
      if (r <= 0) { done++; continue; }
      done += (unsigned)r;
    }
    fwd += n;
    bd->hdr.bh1.block_status = TP_STATUS_KERNEL;
    cur = (cur + 1) % req.tp_block_nr;
  }
  __sync_fetch_and_add(&total, fwd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: afp-fwd IFACE VIP RS_MAC [THREADS]\n"); return 2; }
  ifname = argv[1];
  ifindex = if_nametoindex(argv[1]);
  vip = ntohl(inet_addr(argv[2]));
  sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &rs[0], &rs[1], &rs[2], &rs[3], &rs[4], &rs[5]);
  int n = argc > 4 ? atoi(argv[4]) : 1;
  if (n < 1 || n > 16) n = 1;
  signal(SIGINT, on_sig);
  signal(SIGTERM, on_sig);
  pthread_t t[16];
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, loop, NULL);
  while (ready < n) usleep(1000);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("forwarded %lu\n", total);
  return 0;
}
