// One-shot AF_PACKET frame sender for gratuitous ARP and unsolicited neighbour advertisements:
//   sendFrame(ifname: string, frame: Uint8Array): number   AF_PACKET SOCK_RAW, a complete Ethernet
//     frame (its destination MAC and EtherType are read from the frame); returns the bytes sent.
#include "js-call.h"
#include "module.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace ulvs {
namespace {

Napi::Value SendFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "sendFrame(ifname: string, frame: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string ifname = info[0].As<Napi::String>().Utf8Value();
  Napi::Uint8Array frame = info[1].As<Napi::Uint8Array>();
  if (frame.ByteLength() < 14) {
    Napi::TypeError::New(env, "sendFrame: frame shorter than an Ethernet header").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return ThrowErrno(env, ("sendFrame: interface " + ifname).c_str(), errno);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, "sendFrame: socket(AF_PACKET)", errno);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(idx);
  sll.sll_halen = ETH_ALEN;
  memcpy(sll.sll_addr, frame.Data(), ETH_ALEN);
  const uint8_t* d = frame.Data();
  sll.sll_protocol = htons(static_cast<uint16_t>((d[12] << 8) | d[13]));
  ssize_t n = sendto(fd, frame.Data(), frame.ByteLength(), 0, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
  int err = errno;
  close(fd);
  if (n < 0) return ThrowErrno(env, "sendFrame", err);
  return Napi::Number::New(env, static_cast<double>(n));
}

}  // namespace

void InitFrameSend(Napi::Env env, Napi::Object exports) {
  exports.Set("sendFrame", Napi::Function::New(env, SendFrame, "sendFrame"));
}

}  // namespace ulvs
