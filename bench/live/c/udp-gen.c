#define _GNU_SOURCE
// Fast 64-byte UDP generator for the live benchmark (runs in the lab's client namespace): prebuilt
// Ethernet frames (14 Ethernet + 20 IPv4 + 8 UDP + 22 payload = 64 bytes) to DST:DPORT through the
// gateway's MAC, one per flow (source ports 10000..10000+FLOWS-1), sent with sendmmsg on an AF_PACKET
// socket (qdisc bypass) in batches of 256. Rate-unlimited (PPS 0) or paced to PPS. Prints one line
// "sent N secs S cpu C" on exit (C: its own user+system CPU seconds, softirq work run in its context
// included — on veth that is the next hops' receive path, see bench/live.md). UDP checksum 0 (none, allowed for IPv4). SPORT_BASE (default 10000) lets
// several generators send distinct flows; an AF_PACKET sender's frames take the transmit queue of the
// CPU it runs on (packet_pick_tx_queue), so generators pinned to different CPUs feed different queues.
// usage: udp-gen IFACE GW_MAC DST DPORT DURATION_S [PPS] [FLOWS] [SPORT_BASE]
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 64
#define BATCH 256

static volatile int stop;
static void on_sig(int s) { (void)s; stop = 1; }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static uint16_t ip_csum(const unsigned char *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; i += 2) s += (p[i] << 8) | p[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: udp-gen IFACE GW_MAC DST DPORT DURATION_S [PPS] [FLOWS]\n"); return 2; }
  unsigned ifindex = if_nametoindex(argv[1]);
  if (!ifindex) { perror("if_nametoindex"); return 1; }
  unsigned char gw[6], me[6];
  sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &gw[0], &gw[1], &gw[2], &gw[3], &gw[4], &gw[5]);
  uint32_t dst = inet_addr(argv[3]);
  unsigned dport = (unsigned)atoi(argv[4]);
  double duration = atof(argv[5]);
  double pps = argc > 6 ? atof(argv[6]) : 0;
  unsigned flows = argc > 7 ? (unsigned)atoi(argv[7]) : 1024;
  if (flows < 1 || flows > 50000) flows = 1024;
  unsigned sportBase = argc > 8 ? (unsigned)atoi(argv[8]) : 10000;
  if (sportBase < 1 || sportBase + flows > 65535) sportBase = 10000;

  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) { perror("socket"); return 1; }
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { perror("SIOCGIFHWADDR"); return 1; }
  memcpy(me, ifr.ifr_hwaddr.sa_data, 6);
  struct ifreq ifa = {0};
  strncpy(ifa.ifr_name, argv[1], IFNAMSIZ - 1);
  int us = socket(AF_INET, SOCK_DGRAM, 0);
  if (ioctl(us, SIOCGIFADDR, &ifa) < 0) { perror("SIOCGIFADDR"); return 1; }
  close(us);
  uint32_t src = ((struct sockaddr_in *)&ifa.ifr_addr)->sin_addr.s_addr;
  int one = 1, sndbuf = 4 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);

  unsigned char *frames = calloc(flows, FRAME);
  for (unsigned i = 0; i < flows; i++) {
    unsigned char *f = frames + (size_t)i * FRAME, *ip = f + 14, *udp = ip + 20;
    memcpy(f, gw, 6);
    memcpy(f + 6, me, 6);
    f[12] = 0x08, f[13] = 0x00;
    ip[0] = 0x45, ip[2] = 0, ip[3] = 50, ip[8] = 64, ip[9] = 17;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint16_t c = htons(ip_csum(ip, 20));
    memcpy(ip + 10, &c, 2);
    unsigned sport = sportBase + i;
    udp[0] = sport >> 8, udp[1] = sport & 255, udp[2] = dport >> 8, udp[3] = dport & 255, udp[4] = 0, udp[5] = 30;
    memset(udp + 8, 'x', 22);
  }
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
  memcpy(to.sll_addr, gw, 6);
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  for (unsigned k = 0; k < BATCH; k++) {
    iov[k].iov_len = FRAME;
    msgs[k].msg_hdr.msg_name = &to;
    msgs[k].msg_hdr.msg_namelen = sizeof to;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  signal(SIGINT, on_sig);
  signal(SIGTERM, on_sig);
  unsigned batch = BATCH;
  if (pps > 0 && pps / 1000 < BATCH) batch = pps / 1000 < 1 ? 1 : (unsigned)(pps / 1000);
  unsigned long sent = 0;
  unsigned next = 0;
  double t0 = now_s(), t = t0;
  while (!stop && (t = now_s()) - t0 < duration) {
    if (pps > 0) {
      double due = t0 + sent / pps;
      if (due > t) {
        struct timespec d = {0, (long)((due - t) * 1e9)};
        nanosleep(&d, NULL);
        continue;
      }
    }
    for (unsigned k = 0; k < batch; k++) {
      iov[k].iov_base = frames + (size_t)next * FRAME;
      if (++next == flows) next = 0;
    }
    int r = sendmmsg(fd, msgs, batch, 0);
    if (r > 0) sent += (unsigned)r;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("sent %lu secs %.3f cpu %.3f\n", sent, now_s() - t0, cpu);
  return 0;
}
