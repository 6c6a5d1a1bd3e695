// Minimal NFQUEUE NAT forwarder (benchmark reference, the ceiling of the NFQUEUE path): queue 0;
// packets to VIP get destination RS, replies from RS get source VIP (IP and TCP/UDP checksums
// updated incrementally, RFC 1624); verdict with payload per packet, recv drained per wakeup.
// THREADS threads (default 1), thread i bound to queue i (use with --queue-balance 0:THREADS-1).
// usage: nfq-fwd VIP RS [THREADS]
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t vip, rs;
static __thread struct mnl_socket *nl;
static __thread char out[0x20000];
static volatile int ready;
static __thread unsigned queue_num;

static void csum_replace4(uint16_t *sum, uint32_t from, uint32_t to) {
  uint32_t s = (uint16_t)~ntohs(*sum);
  s += (uint16_t)~(from >> 16) + (uint16_t)~(from & 0xffff) + (to >> 16) + (to & 0xffff);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  *sum = htons((uint16_t)~s);
}

static void rewrite(unsigned char *p, unsigned len) {
  if (len < 20) return;
  unsigned ihl = (p[0] & 15) * 4;
  uint32_t *src = (uint32_t *)(p + 12), *dst = (uint32_t *)(p + 16);
  uint32_t *field = NULL, to = 0;
  if (ntohl(*dst) == vip) field = dst, to = rs;
  else if (ntohl(*src) == rs) field = src, to = vip;
  if (!field) return;
  uint32_t from = ntohl(*field);
  *field = htonl(to);
  csum_replace4((uint16_t *)(p + 10), from, to);
  if (p[9] == 6 && len >= ihl + 18) csum_replace4((uint16_t *)(p + ihl + 16), from, to);
  if (p[9] == 17 && len >= ihl + 8 && (p[ihl + 6] | p[ihl + 7])) csum_replace4((uint16_t *)(p + ihl + 6), from, to);
}

static int cb(const struct nlmsghdr *nlh, void *data) {
  struct nlattr *attr[NFQA_MAX + 1] = {0};
  if (nfq_nlmsg_parse(nlh, attr) < 0) return MNL_CB_ERROR;
  struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
  unsigned char *p = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
  unsigned len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
  rewrite(p, len);
  struct nlmsghdr *v = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, queue_num);
  nfq_nlmsg_verdict_put(v, ntohl(ph->packet_id), NF_ACCEPT);
  nfq_nlmsg_verdict_put_pkt(v, p, len);
  mnl_socket_sendto(nl, v, v->nlmsg_len);
  return MNL_CB_OK;
}

static void *loop(void *arg) {
  unsigned queue = (unsigned)(uintptr_t)arg;
  queue_num = queue;
  static __thread char buf[0x20000];
  nl = mnl_socket_open(NETLINK_NETFILTER);
  mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
  struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
  mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
  nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
  nfq_nlmsg_cfg_put_qmaxlen(nlh, 4096);
  mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
  int one = 1, rcv = 8 << 20;
  mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof one);
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
  __sync_fetch_and_add(&ready, 1);
  for (;;) {
    int n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) continue;
    mnl_cb_run(buf, n, 0, mnl_socket_get_portid(nl), cb, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: nfq-fwd VIP RS [THREADS]\n"); return 2; }
  vip = ntohl(inet_addr(argv[1]));
  rs = ntohl(inet_addr(argv[2]));
  int n = argc > 3 ? atoi(argv[3]) : 1;
  if (n < 1 || n > 16) n = 1;
  pthread_t t[16];
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, loop, (void *)(uintptr_t)i);
  while (ready < n) usleep(1000);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  return 0;
}
