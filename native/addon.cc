// Entry point of the ulvs native addon: one context-aware Node-API module whose parts
// (NFQUEUE, AF_PACKET, AF_XDP, raw IP sockets, frame send, XDP programs, signals and sd_notify) register themselves. Loaded only by src/native/addon.ts.
#include "module.h"

namespace {
constexpr uint32_t kAbiVersion = 2;  // bump when an exported signature changes

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  ulvs::InitNfqueue(env, exports);
  ulvs::InitAfPacket(env, exports);
  ulvs::InitAfXdp(env, exports);
  ulvs::InitRawSock(env, exports);
  ulvs::InitFrameSend(env, exports);
  ulvs::InitXdp(env, exports);
  ulvs::InitSysd(env, exports);
  ulvs::InitMemAdvise(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(ulvs_native, Init)
