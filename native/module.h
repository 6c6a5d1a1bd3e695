// Registration hooks of the native modules that make up ulvs_native.node.
// Each module (one .cc file) adds its exports to the addon object.
#pragma once
#include <napi.h>

namespace ulvs {
void InitNfqueue(Napi::Env env, Napi::Object exports);
void InitAfPacket(Napi::Env env, Napi::Object exports);
void InitAfXdp(Napi::Env env, Napi::Object exports);
void InitRawSock(Napi::Env env, Napi::Object exports);
void InitFrameSend(Napi::Env env, Napi::Object exports);
void InitXdp(Napi::Env env, Napi::Object exports);
void InitSysd(Napi::Env env, Napi::Object exports);
void InitMemAdvise(Napi::Env env, Napi::Object exports);
}  // namespace ulvs
