// NFQUEUE packet I/O for one worker: one queue per handle, batched receive (recvmmsg drains the
// netlink socket straight into the batch slots' memory) and batched verdicts (all verdicts of a batch
// in one sendmsg, or a few when they exceed the socket's send buffer: runs of equal verdict+mark become
// one NFQNL_MSG_VERDICT_BATCH, rewritten packets get their own NFQNL_MSG_VERDICT with NFQA_PAYLOAD). One JS callback per batch; after it returns the
// verdicts the JS side wrote into the batch arrays are sent.
//
// The handle's life (poll on the owning env's loop, JS callback, close order) is batch-handle.h's; this
// backend unbinds its queue as closing starts and closes the socket once the poll is closed.
#include "batch-handle.h"
#include "module.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

namespace ulvs {
namespace {

// Indexes of the counters this module adds to the caller's stats Float64Array.
enum NfqStat : int {
  kRxPackets = 0,   // packets put into batches
  kRxBatches = 1,   // JS callbacks made
  kVerdicts = 2,    // verdicts sent (packets)
  kVerdictMsgs = 3, // netlink verdict messages sent (batch verdicts count once)
  kOversize = 4,    // packets larger than a slot (dropped by us)
  kNlErrors = 5,    // netlink error replies / send failures
  kCallbackErrors = 6,
  kStatCount = 7,
};

// Verdict codes of src/core/batch.ts.
constexpr uint8_t kDrop = 0, kAccept = 1, kAcceptModified = 2;

struct Nfq : BatchHandle {
  explicit Nfq(napi_env env) : BatchHandle(env) {}
  int fd = -1;
  uint16_t queue = 0;
  uint32_t portid = 0;
  uint32_t seq = 1;
  // recvmmsg scratch: one netlink buffer per slot.
  uint32_t rxBufSize = 0;
  std::vector<uint8_t> rx;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<uint8_t> tx;  // verdict messages of one batch
  // Largest send the socket takes (netlink refuses a message longer than its sndbuf with EMSGSIZE):
  // the verdicts of a big batch of rewritten packets go out in several sends of at most this size.
  size_t sendLimit = 64 * 1024;

 protected:
  // Unbinds the queue as closing starts, while the socket is open and polled (the order the
  // worker-restart lab test needs: the kernel stops queueing to this socket before it goes away).
  void OnCloseStart() override;
  // Closes the socket once its poll is closed (closing it also unbinds the queue in the kernel).
  void ReleaseSockets() override;
};

void Bump(Nfq* q, int i, double by = 1) { q->Bump(i, by); }

// Sends a config message and waits for its ACK; returns 0 or -errno.
int ConfigRequest(Nfq* q, struct nlmsghdr* nlh) {
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = q->seq++;
  if (send(q->fd, nlh, nlh->nlmsg_len, 0) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(q->fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (auto* m = reinterpret_cast<struct nlmsghdr*>(buf); mnl_nlmsg_ok(m, int(n)); m = mnl_nlmsg_next(m, reinterpret_cast<int*>(&n))) {
      if (m->nlmsg_type == NLMSG_ERROR && m->nlmsg_seq == nlh->nlmsg_seq) {
        auto* e = static_cast<struct nlmsgerr*>(mnl_nlmsg_get_payload(m));
        return e->error;
      }
    }
  }
}

struct nlmsghdr* PutHeader(char* buf, uint16_t type, uint16_t queue) {
  struct nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* nfg = static_cast<struct nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(queue);
  return nlh;
}

struct AttrTable {
  const struct nlattr* a[NFQA_MAX + 1];
};

int AttrCb(const struct nlattr* attr, void* data) {
  auto* t = static_cast<AttrTable*>(data);
  int type = mnl_attr_get_type(attr);
  if (mnl_attr_type_valid(attr, NFQA_MAX) < 0) return MNL_CB_OK;
  t->a[type] = attr;
  return MNL_CB_OK;
}

// Sends the first `off` bytes of q->tx (verdicts of `packets` packets). A verdict that never reaches
// the kernel leaves its packet in the queue for good (and a full queue stalls every flow on it), so a
// transient ENOBUFS/EAGAIN is retried.
void FlushVerdicts(Nfq* q, size_t off, uint32_t packets) {
  if (off == 0) return;
  ssize_t n;
  int tries = 0;
  while ((n = send(q->fd, q->tx.data(), off, 0)) < 0) {
    if (errno == EINTR) continue;
    if ((errno != ENOBUFS && errno != EAGAIN) || ++tries > 100) break;
    usleep(100);
  }
  if (n < 0) Bump(q, kNlErrors);
  else Bump(q, kVerdicts, packets);
}

// Netlink bytes of a verdict message carrying `payload` bytes (header, nfgenmsg, verdict, mark, payload).
constexpr size_t VerdictMsgBytes(size_t payload) { return 64 + ((payload + 3) & ~size_t(3)); }

// Writes the verdicts of packets [0, count) to q->tx and sends them in as few sends as the socket takes
// (one for a batch of up to q->sendLimit bytes).
void SendVerdicts(Nfq* q, uint32_t count) {
  BatchView& b = q->b;
  size_t off = 0;
  uint32_t i = 0;
  uint32_t sent = 0;  // packets whose verdicts went out in earlier sends of this batch
  // Before writing a message of `bytes`: send what is written when it would not fit in one send.
  auto makeRoom = [&](size_t bytes) {
    if (off == 0 || off + bytes <= q->sendLimit) return;
    FlushVerdicts(q, off, i - sent);
    sent = i;
    off = 0;
  };
  while (i < count) {
    uint8_t v = b.verdict[i];
    uint32_t mark = b.mark[i];
    if (v == kAcceptModified) {
      uint32_t len = b.length[i];
      uint32_t st = b.start[i];
      if (size_t(st) + len > b.bufLen) len = 0, v = kDrop;
      makeRoom(VerdictMsgBytes(len));
      char* m = reinterpret_cast<char*>(q->tx.data() + off);
      struct nlmsghdr* nlh = PutHeader(m, NFQNL_MSG_VERDICT, q->queue);
      struct nfqnl_msg_verdict_hdr vh = {htonl(NF_ACCEPT), htonl(b.id[i])};
      if (v == kDrop) vh.verdict = htonl(NF_DROP);
      mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof vh, &vh);
      mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
      if (len) mnl_attr_put(nlh, NFQA_PAYLOAD, len, b.buf + st);
      off += nlh->nlmsg_len;
      Bump(q, kVerdictMsgs);
      i++;
      continue;
    }
    // A run of unmodified packets with the same verdict and mark: one batch verdict for the last id.
    makeRoom(VerdictMsgBytes(0));
    uint32_t j = i + 1;
    uint8_t nv = (v == kAccept) ? kAccept : kDrop;
    while (j < count && b.mark[j] == mark && b.verdict[j] != kAcceptModified &&
           ((b.verdict[j] == kAccept) ? kAccept : kDrop) == nv)
      j++;
    char* m = reinterpret_cast<char*>(q->tx.data() + off);
    struct nlmsghdr* nlh = PutHeader(m, (j - i > 1) ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, q->queue);
    struct nfqnl_msg_verdict_hdr vh = {htonl(nv == kAccept ? NF_ACCEPT : NF_DROP), htonl(b.id[j - 1])};
    mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof vh, &vh);
    mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
    off += nlh->nlmsg_len;
    Bump(q, kVerdictMsgs);
    i = j;
  }
  FlushVerdicts(q, off, count - sent);
}

// Parses one NFQNL_MSG_PACKET into slot i; returns false if it was not a packet we keep.
bool ParsePacket(Nfq* q, const struct nlmsghdr* nlh, uint32_t i) {
  if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) return false;
  AttrTable t;
  memset(&t, 0, sizeof t);
  if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), AttrCb, &t) < 0) return false;
  if (!t.a[NFQA_PACKET_HDR] || !t.a[NFQA_PAYLOAD]) return false;
  auto* ph = static_cast<const struct nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(t.a[NFQA_PACKET_HDR]));
  uint32_t id = ntohl(ph->packet_id);
  uint32_t plen = mnl_attr_get_payload_len(t.a[NFQA_PAYLOAD]);
  uint32_t caplen = t.a[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(t.a[NFQA_CAP_LEN])) : plen;
  BatchView& b = q->b;
  if (caplen > plen || plen > b.slotSize - b.headroom) {
    // Truncated by the copy range or larger than a slot (GSO): we cannot rewrite it; drop it.
    Bump(q, kOversize);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr* v = PutHeader(buf, NFQNL_MSG_VERDICT, q->queue);
    struct nfqnl_msg_verdict_hdr vh = {htonl(NF_DROP), htonl(id)};
    mnl_attr_put(v, NFQA_VERDICT_HDR, sizeof vh, &vh);
    if (send(q->fd, v, v->nlmsg_len, 0) < 0) Bump(q, kNlErrors);
    return false;
  }
  uint32_t off = i * b.slotSize + b.headroom;
  memcpy(b.buf + off, mnl_attr_get_payload(t.a[NFQA_PAYLOAD]), plen);
  b.start[i] = off;
  b.length[i] = plen;
  b.id[i] = id;
  b.mark[i] = t.a[NFQA_MARK] ? ntohl(mnl_attr_get_u32(t.a[NFQA_MARK])) : 0;
  b.ifindex[i] = t.a[NFQA_IFINDEX_INDEV] ? ntohl(mnl_attr_get_u32(t.a[NFQA_IFINDEX_INDEV])) : 0;
  b.timeMs[i] = 0;
  b.verdict[i] = kAccept;
  b.reason[i] = 0;
  return true;
}

void OnReadable(BatchHandle* h) {
  Nfq* q = static_cast<Nfq*>(h);
  // Drain up to a few batches per wakeup; the poll is level-triggered and fires again if more wait.
  for (int round = 0; round < 8 && !q->closing(); round++) {
    uint32_t cap = q->b.capacity;
    for (uint32_t k = 0; k < cap; k++) {
      q->iovs[k].iov_base = q->rx.data() + size_t(k) * q->rxBufSize;
      q->iovs[k].iov_len = q->rxBufSize;
      memset(&q->msgs[k].msg_hdr, 0, sizeof(msghdr));
      q->msgs[k].msg_hdr.msg_iov = &q->iovs[k];
      q->msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(q->fd, q->msgs.data(), cap, MSG_DONTWAIT, nullptr);
    if (got <= 0) {
      if (got < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS) Bump(q, kNlErrors);
      return;
    }
    uint32_t count = 0;
    for (int k = 0; k < got; k++) {
      int len = int(q->msgs[k].msg_len);
      auto* nlh = reinterpret_cast<struct nlmsghdr*>(q->rx.data() + size_t(k) * q->rxBufSize);
      for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          auto* e = static_cast<struct nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
          if (e->error) Bump(q, kNlErrors);
          continue;
        }
        if (count < cap && ParsePacket(q, nlh, count)) count++;
      }
    }
    if (count == 0) continue;
    Bump(q, kRxPackets, count);
    Bump(q, kRxBatches);
    if (!q->CallBatch(count)) Bump(q, kCallbackErrors);
    if (q->fd >= 0) SendVerdicts(q, count);
    if (uint32_t(got) < cap) return;
  }
}

void Nfq::OnCloseStart() {
  if (fd < 0) return;
  char buf[256];
  struct nlmsghdr* nlh = PutHeader(buf, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
  (void)send(fd, nlh, nlh->nlmsg_len, 0);
}

void Nfq::ReleaseSockets() {
  if (fd >= 0) close(fd);
  fd = -1;
}

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ULVS_NFQUEUE", msg.c_str());
  return nullptr;
}

std::string SockErr(const char* what, int err, uint16_t queue) {
  std::string s = std::string("NFQUEUE ") + std::to_string(queue) + ": " + what + " failed (" + strerror(err) + ")";
  if (err == EPERM) s += ": ulvs needs CAP_NET_ADMIN (run as root)";
  if (err == EBUSY) s += ": another process already owns this queue";
  if (err == EPROTONOSUPPORT || err == EAFNOSUPPORT) s += ": this kernel has no nfnetlink_queue";
  return s;
}

// nfqOpen(options, batch, onBatch) -> handle { close() }.
// options: { queue, maxLen=4096, failOpen=true, copyRange=slot payload, gso=false, rcvbufBytes, stats }
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return Throw(env, "nfqOpen(options, batch, onBatch) needs three arguments");
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_function) return Throw(env, "nfqOpen: onBatch must be a function");
  auto* q = new Nfq(env);
  q->queue = uint16_t(U32Prop(env, argv[0], "queue", 0));
  std::string err = ReadBatch(env, argv[1], &q->b, &q->refs);
  if (err.empty() && !ReadStats(env, argv[0], kStatCount, &q->stats, &q->refs))
    err = "nfqOpen: options.stats must be a Float64Array of at least nfqStatCount elements";
  if (!err.empty()) {
    q->Discard();
    return Throw(env, err);
  }
  uint32_t maxLen = U32Prop(env, argv[0], "maxLen", 4096);
  bool failOpen = U32Prop(env, argv[0], "failOpen", 1) != 0;
  bool gso = U32Prop(env, argv[0], "gso", 0) != 0;
  uint32_t copyRange = U32Prop(env, argv[0], "copyRange", q->b.slotSize - q->b.headroom);
  int rcvbuf = int(U32Prop(env, argv[0], "rcvbufBytes", 8u << 20));

  q->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  auto fail = [&](const std::string& m) {
    q->Discard();
    return Throw(env, m);
  };
  if (q->fd < 0) return fail(SockErr("socket(NETLINK_NETFILTER)", errno, q->queue));
  int one = 1;
  setsockopt(q->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  // Room for one send of a whole batch of rewritten packets where allowed; sendLimit follows what we got.
  int sndbuf = 1 << 20;
  if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  socklen_t il = sizeof sndbuf;
  if (getsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &il) == 0 && sndbuf > 8192) q->sendLimit = size_t(sndbuf) - 1024;
  struct sockaddr_nl sa = {};
  sa.nl_family = AF_NETLINK;
  if (bind(q->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return fail(SockErr("bind", errno, q->queue));
  socklen_t sl = sizeof sa;
  getsockname(q->fd, reinterpret_cast<sockaddr*>(&sa), &sl);
  q->portid = sa.nl_pid;
  // Config requests are synchronous: switch the socket to blocking for them.
  int fl = fcntl(q->fd, F_GETFL);
  fcntl(q->fd, F_SETFL, fl & ~O_NONBLOCK);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr* nlh = PutHeader(buf, NFQNL_MSG_CONFIG, q->queue);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
  int rc = ConfigRequest(q, nlh);
  if (rc < 0) return fail(SockErr("bind queue", -rc, q->queue));
  nlh = PutHeader(buf, NFQNL_MSG_CONFIG, q->queue);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, int(copyRange));
  nfq_nlmsg_cfg_put_qmaxlen(nlh, maxLen);
  uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
  uint32_t flags = (failOpen ? NFQA_CFG_F_FAIL_OPEN : 0) | (gso ? NFQA_CFG_F_GSO : 0);
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
  rc = ConfigRequest(q, nlh);
  if (rc < 0) return fail(SockErr("configure queue", -rc, q->queue));
  fcntl(q->fd, F_SETFL, fl | O_NONBLOCK);

  uint32_t cap = q->b.capacity;
  q->rxBufSize = copyRange + 512;  // netlink + nfqueue attribute overhead
  q->rx.resize(size_t(cap) * q->rxBufSize);
  q->msgs.resize(cap);
  q->iovs.resize(cap);
  q->tx.resize(size_t(cap) * (q->b.slotSize + 128));

  q->Watch(q->fd, OnReadable);
  q->Start(argv[2], "ulvs.nfqueue");
  napi_value obj = q->NewObject();
  q->Wrap(obj);
  return obj;
}

}  // namespace

void InitNfqueue(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "nfqOpen", NAPI_AUTO_LENGTH, Open, nullptr, &fn);
  exports.Set("nfqOpen", Napi::Value(env, fn));
  exports.Set("nfqStatCount", Napi::Number::New(env, kStatCount));
}

}  // namespace ulvs
