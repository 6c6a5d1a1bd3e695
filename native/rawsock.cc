// Raw IP sockets for VRRP (IP protocol 112) on IPv4 and IPv6 (the AF_PACKET one-shot frame sender
// for gratuitous ARP / unsolicited neighbour advertisements is frame-send.cc).
//
// Exports:
//   new RawSock(family: 4|6, ifname: string, protocol?: 112|51|17)   SOCK_RAW proto 112 (51: AH, IPv4,
//       IP_HDRINCL; 17: UDP, receive-only copies for BFD's TTL check), bound to the device, TTL/hop
//       limit 255 (unicast and multicast), multicast loop off, multicast out via ifname,
//       IP_PKTINFO / IPV6_RECVPKTINFO + IPV6_RECVHOPLIMIT on receive.
//     .join(group: string, leave?: boolean)      IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP on ifname
//     .send(buf: Uint8Array, dst: string, src?: string, ttl?: number): number   sendmsg; src and
//       ifindex through IP_PKTINFO / IPV6_PKTINFO, TTL / hop limit through a cmsg
//     .recv(buf: Uint8Array): undefined | { length, offset, src, dst, ttl, ifindex }
//       (non-blocking; IPv4 delivers the IP header: offset = its length, ttl/dst read from it)
//     .onReadable(cb: () => void)                 uv_poll on the event loop of the calling thread
//     .close()
//
// Worker-safe: no globals; the uv poll handle (rawsock-poll.h) lives on napi_get_uv_event_loop(env)
// of the thread that created the socket and is closed from an async cleanup hook when that env goes away.
#include "js-call.h"
#include "module.h"
#include "rawsock-poll.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <string>

namespace ulvs {
namespace {

constexpr int kIpprotoVrrp = 112;
constexpr int kIpprotoAh = 51;
constexpr int kIpprotoUdp = 17;

bool ParseAddr(int family, const std::string& s, sockaddr_storage* out) {
  memset(out, 0, sizeof(*out));
  if (family == 4) {
    auto* a = reinterpret_cast<sockaddr_in*>(out);
    a->sin_family = AF_INET;
    return inet_pton(AF_INET, s.c_str(), &a->sin_addr) == 1;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(out);
  a->sin6_family = AF_INET6;
  std::string text = s;
  size_t pct = text.find('%');
  if (pct != std::string::npos) {
    a->sin6_scope_id = if_nametoindex(text.substr(pct + 1).c_str());
    text = text.substr(0, pct);
  }
  return inet_pton(AF_INET6, text.c_str(), &a->sin6_addr) == 1;
}

class RawSock : public Napi::ObjectWrap<RawSock> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RawSock",
                       {InstanceMethod("join", &RawSock::Join), InstanceMethod("send", &RawSock::Send),
                        InstanceMethod("recv", &RawSock::Recv), InstanceMethod("onReadable", &RawSock::OnReadable),
                        InstanceMethod("close", &RawSock::Close)});
  }

  explicit RawSock(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSock>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) {
      Napi::TypeError::New(env, "RawSock(family: 4|6, ifname: string)").ThrowAsJavaScriptException();
      return;
    }
    family_ = info[0].As<Napi::Number>().Int32Value();
    if (family_ != 4 && family_ != 6) {
      Napi::TypeError::New(env, "RawSock: family must be 4 or 6").ThrowAsJavaScriptException();
      return;
    }
    std::string ifname = info[1].As<Napi::String>().Utf8Value();
    if (!ifname.empty()) {
      ifindex_ = if_nametoindex(ifname.c_str());
      if (ifindex_ == 0) {
        ThrowErrno(env, ("RawSock: interface " + ifname).c_str(), errno);
        return;
      }
    }
    // Optional 3rd argument: the IP protocol, 112 (VRRP, default) or 51 (IPsec AH, IPv4 only: the
    // caller builds the whole IPv4 header, IP_HDRINCL, since the AH ICV covers it — RFC 2402 §3.3.3.1).
    int proto = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : kIpprotoVrrp;
    // 17 (UDP) is receive-only: a copy of each incoming UDP datagram with its IPv4 header / IPv6 hop
    // limit, so BFD can check the received TTL (RFC 5881 §5, GTSM) that a UDP socket does not report.
    if (proto != kIpprotoVrrp && proto != kIpprotoUdp && !(proto == kIpprotoAh && family_ == 4)) {
      Napi::TypeError::New(env, "RawSock: protocol must be 112 or 17, or 51 with family 4").ThrowAsJavaScriptException();
      return;
    }
    int fd = socket(family_ == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      ThrowErrno(env, proto == kIpprotoAh ? "RawSock: socket(SOCK_RAW, 51)" : proto == kIpprotoUdp ? "RawSock: socket(SOCK_RAW, 17)" : "RawSock: socket(SOCK_RAW, 112)", errno);
      return;
    }
    int one = 1, zero = 0, ttl = 255;
    bool ok = true;
    if (proto == kIpprotoAh) ok = setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == 0;
    if (!ifname.empty()) ok = ok && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), ifname.size()) == 0;
    if (family_ == 4) {
      ip_mreqn mr{};
      mr.imr_ifindex = static_cast<int>(ifindex_);
      ok = ok && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0;
      if (ifindex_) ok = ok && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) == 0;
    } else {
      int idx = static_cast<int>(ifindex_);
      ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) == 0;
      ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) == 0;
      if (ifindex_) ok = ok && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) == 0;
    }
    if (!ok) {
      int err = errno;
      close(fd);
      ThrowErrno(env, "RawSock: setsockopt", err);
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      close(fd);
      Napi::Error::New(env, "RawSock: no event loop").ThrowAsJavaScriptException();
      return;
    }
    PollCore* c = new PollCore();
    c->env = env;
    c->fd = fd;
    if (uv_poll_init(loop, &c->handle, fd) != 0) {
      close(fd);
      delete c;
      Napi::Error::New(env, "RawSock: uv_poll_init failed").ThrowAsJavaScriptException();
      return;
    }
    c->handle.data = c;
    c->owner_slot = reinterpret_cast<void**>(&core_);
    napi_add_async_cleanup_hook(env, CleanupHook, c, &c->hook);
    core_ = c;
  }

  ~RawSock() override {
    if (core_) {
      core_->owner_slot = nullptr;
      CloseCore(core_);
      core_ = nullptr;
    }
  }

 private:
  int family_ = 4;
  unsigned ifindex_ = 0;
  PollCore* core_ = nullptr;

  bool Open(Napi::Env env) {
    if (core_ && core_->fd >= 0) return true;
    Napi::Error::New(env, "RawSock: socket is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Join(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "join(group: string, leave?: boolean)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool leave = info.Length() > 1 && info[1].ToBoolean().Value();
    sockaddr_storage ss;
    if (!ParseAddr(family_, info[0].As<Napi::String>().Utf8Value(), &ss)) {
      Napi::TypeError::New(env, "join: bad group address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int r;
    if (family_ == 4) {
      ip_mreqn mr{};
      mr.imr_multiaddr = reinterpret_cast<sockaddr_in*>(&ss)->sin_addr;
      mr.imr_ifindex = static_cast<int>(ifindex_);
      r = setsockopt(core_->fd, IPPROTO_IP, leave ? IP_DROP_MEMBERSHIP : IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
    } else {
      ipv6_mreq mr{};
      mr.ipv6mr_multiaddr = reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr;
      mr.ipv6mr_interface = ifindex_;
      r = setsockopt(core_->fd, IPPROTO_IPV6, leave ? IPV6_LEAVE_GROUP : IPV6_JOIN_GROUP, &mr, sizeof(mr));
    }
    if (r != 0 && !(errno == EADDRINUSE && !leave)) return ThrowErrno(env, "join", errno);
    return env.Undefined();
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsString()) {
      Napi::TypeError::New(env, "send(buf: Uint8Array, dst: string, src?: string, ttl?: number)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    sockaddr_storage dst, src;
    if (!ParseAddr(family_, info[1].As<Napi::String>().Utf8Value(), &dst)) {
      Napi::TypeError::New(env, "send: bad destination address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool has_src = info.Length() > 2 && info[2].IsString() && info[2].As<Napi::String>().Utf8Value().size() > 0;
    if (has_src && !ParseAddr(family_, info[2].As<Napi::String>().Utf8Value(), &src)) {
      Napi::TypeError::New(env, "send: bad source address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int ttl = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 255;
    iovec iov{buf.Data(), buf.ByteLength()};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof(ctl));
    msghdr msg{};
    msg.msg_name = &dst;
    msg.msg_namelen = family_ == 4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof(ctl);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    size_t used = 0;
    if (family_ == 4) {
      cm->cmsg_level = IPPROTO_IP;
      cm->cmsg_type = IP_PKTINFO;
      cm->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      pi.ipi_ifindex = static_cast<int>(ifindex_);
      if (has_src) pi.ipi_spec_dst = reinterpret_cast<sockaddr_in*>(&src)->sin_addr;
      memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
      used += CMSG_SPACE(sizeof(in_pktinfo));
      cm = CMSG_NXTHDR(&msg, cm);
      cm->cmsg_level = IPPROTO_IP;
      cm->cmsg_type = IP_TTL;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
      used += CMSG_SPACE(sizeof(int));
    } else {
      cm->cmsg_level = IPPROTO_IPV6;
      cm->cmsg_type = IPV6_PKTINFO;
      cm->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      pi.ipi6_ifindex = ifindex_;
      if (has_src) pi.ipi6_addr = reinterpret_cast<sockaddr_in6*>(&src)->sin6_addr;
      memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
      used += CMSG_SPACE(sizeof(in6_pktinfo));
      cm = CMSG_NXTHDR(&msg, cm);
      cm->cmsg_level = IPPROTO_IPV6;
      cm->cmsg_type = IPV6_HOPLIMIT;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
      used += CMSG_SPACE(sizeof(int));
    }
    msg.msg_controllen = used;
    ssize_t n = sendmsg(core_->fd, &msg, 0);
    if (n < 0) return ThrowErrno(env, "send", errno);
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Recv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "recv(buf: Uint8Array)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    sockaddr_storage from{};
    iovec iov{buf.Data(), buf.ByteLength()};
    alignas(cmsghdr) char ctl[512];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof(ctl);
    ssize_t n = recvmsg(core_->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return env.Undefined();
      return ThrowErrno(env, "recv", errno);
    }
    int ttl = -1;
    unsigned ifindex = 0;
    size_t offset = 0;
    char srcs[INET6_ADDRSTRLEN] = "", dsts[INET6_ADDRSTRLEN] = "";
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
        ifindex = static_cast<unsigned>(pi.ipi_ifindex);
      } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
        ifindex = pi.ipi6_ifindex;
        inet_ntop(AF_INET6, &pi.ipi6_addr, dsts, sizeof(dsts));
      } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT) {
        memcpy(&ttl, CMSG_DATA(cm), sizeof(int));
      }
    }
    const uint8_t* p = buf.Data();
    if (family_ == 4) {
      if (n >= 20 && (p[0] >> 4) == 4) {
        offset = static_cast<size_t>(p[0] & 0x0f) * 4;
        ttl = p[8];
        inet_ntop(AF_INET, p + 12, srcs, sizeof(srcs));
        inet_ntop(AF_INET, p + 16, dsts, sizeof(dsts));
      }
    } else {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, srcs, sizeof(srcs));
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("length", Napi::Number::New(env, static_cast<double>(n)));
    o.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
    o.Set("src", Napi::String::New(env, srcs));
    o.Set("dst", Napi::String::New(env, dsts));
    o.Set("ttl", Napi::Number::New(env, ttl));
    o.Set("ifindex", Napi::Number::New(env, ifindex));
    o.Set("truncated", Napi::Boolean::New(env, (msg.msg_flags & MSG_TRUNC) != 0));
    return o;
  }

  Napi::Value OnReadable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "onReadable(cb: () => void)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    PollCore* c = core_;
    if (c->cb) napi_delete_reference(env, c->cb);
    napi_create_reference(env, info[0], 1, &c->cb);
    if (!c->actx) {
      napi_value name;
      napi_create_string_utf8(env, "ulvs:rawsock", NAPI_AUTO_LENGTH, &name);
      napi_async_init(env, nullptr, name, &c->actx);
    }
    if (!c->polling) {
      if (uv_poll_start(&c->handle, UV_READABLE, OnPoll) != 0) {
        Napi::Error::New(env, "onReadable: uv_poll_start failed").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      c->polling = true;
    }
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (core_) CloseCore(core_);
    core_ = nullptr;
    return info.Env().Undefined();
  }
};

}  // namespace

void InitRawSock(Napi::Env env, Napi::Object exports) {
  exports.Set("RawSock", RawSock::Define(env));
}
}  // namespace ulvs
