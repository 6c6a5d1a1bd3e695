// eBPF XDP programs: load a program assembled in TypeScript, link it to an interface, read its counters.
// Used by the real server's IPIP decapsulator on kernels without the ipip module (the program pops the
// outer IPv4 header in the driver / generic XDP hook, so decapsulated packets never leave the kernel).
//
// Exports:
//   xdpLoad(insns: Uint8Array, counterSlots: number): { prog: number, map: number }
//       BPF_MAP_CREATE (ARRAY of counterSlots u64, -1 when 0), then BPF_PROG_LOAD of type XDP. Every
//       ld_imm64 with src_reg BPF_PSEUDO_MAP_FD gets the map's fd patched into its imm. On a verifier
//       rejection the Error message carries the verifier's reason (its last line before the statistics).
//   xdpLoad(insns, 0, mapFd): the same with an existing map (e.g. an XSKMAP from xskMapCreate) patched in.
//   xskMapCreate(entries: number): number   BPF_MAP_CREATE of an XSKMAP (u32 queue -> AF_XDP socket)
//   xdpLinkUpdate(link: number, prog: number)   BPF_LINK_UPDATE: swaps the linked program atomically
//   xdpLink(prog: number, ifindex: number, skbMode: boolean): number
//       BPF_LINK_CREATE (attach type BPF_XDP, XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE). The program stays
//       attached while the returned fd is open, so it goes away with the process, also on a crash.
//   xdpCounters(map: number, slots: number): number[]   BPF_MAP_LOOKUP_ELEM of each slot
//   bpfClose(fd: number)
//
// Errors are thrown as Error whose message names the step and strerror(errno). No state, no threads.
#include "module.h"

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace ulvs {
namespace {

long Bpf(int cmd, union bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

// Throws what + strerror(err), with the errno in the error's `errno` property (callers tell "XDP is not
// available here" from "this program or map is wrong" by it).
Napi::Value Fail(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value XdpLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "xdpLoad(insns: Uint8Array, counterSlots: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  uint32_t slots = info[1].As<Napi::Number>().Uint32Value();
  if (bytes.ByteLength() == 0 || bytes.ByteLength() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "xdpLoad: insns must be a whole number of 8-byte eBPF instructions").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<struct bpf_insn> insns(bytes.ByteLength() / sizeof(struct bpf_insn));
  memcpy(insns.data(), bytes.Data(), bytes.ByteLength());

  int map = -1;
  bool given = info.Length() >= 3 && info[2].IsNumber();
  if (given) map = info[2].As<Napi::Number>().Int32Value();
  if (slots > 0 && !given) {
    union bpf_attr m;
    memset(&m, 0, sizeof(m));
    m.map_type = BPF_MAP_TYPE_ARRAY;
    m.key_size = 4;
    m.value_size = 8;
    m.max_entries = slots;
    map = static_cast<int>(Bpf(BPF_MAP_CREATE, &m));
    if (map < 0) return Fail(env, "cannot create the XDP counter map (bpf BPF_MAP_CREATE)", errno);
  }
  for (auto& in : insns) {
    if (in.code == (BPF_LD | BPF_DW | BPF_IMM) && in.src_reg == BPF_PSEUDO_MAP_FD) in.imm = map;
  }

  std::vector<char> log(64 * 1024);
  union bpf_attr p;
  memset(&p, 0, sizeof(p));
  p.prog_type = BPF_PROG_TYPE_XDP;
  p.insns = reinterpret_cast<uint64_t>(insns.data());
  p.insn_cnt = static_cast<uint32_t>(insns.size());
  p.license = reinterpret_cast<uint64_t>("Dual MIT/GPL");
  p.log_buf = reinterpret_cast<uint64_t>(log.data());
  p.log_size = static_cast<uint32_t>(log.size());
  p.log_level = 1;
  // The verifier gives up with EAGAIN when a signal is pending (a busy Node process gets SIGCHLD, timers):
  // retry, as libbpf does.
  int prog = -1;
  for (int tries = 0; tries < 8; tries++) {
    prog = static_cast<int>(Bpf(BPF_PROG_LOAD, &p));
    if (prog >= 0 || errno != EAGAIN) break;
  }
  if (prog < 0) {
    int err = errno;
    if (map >= 0 && !given) close(map);
    // The reason is the last line before the verifier's statistics ("processed N insns ...").
    std::string last;
    std::string text(log.data());
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      if (line.empty() || line.rfind("processed ", 0) == 0 || line.rfind("verification time", 0) == 0 || line.rfind("stack depth", 0) == 0) continue;
      last = line;
    }
    return Fail(env, "the kernel refused the XDP program (bpf BPF_PROG_LOAD" + (last.empty() ? std::string(")") : "; verifier: " + last + ")"), err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("prog", Napi::Number::New(env, prog));
  out.Set("map", Napi::Number::New(env, map));
  return out;
}

Napi::Value XdpLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsBoolean()) {
    Napi::TypeError::New(env, "xdpLink(prog: number, ifindex: number, skbMode: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr l;
  memset(&l, 0, sizeof(l));
  l.link_create.prog_fd = info[0].As<Napi::Number>().Uint32Value();
  l.link_create.target_ifindex = info[1].As<Napi::Number>().Uint32Value();
  l.link_create.attach_type = BPF_XDP;
  l.link_create.flags = info[2].As<Napi::Boolean>().Value() ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
  int link = static_cast<int>(Bpf(BPF_LINK_CREATE, &l));
  if (link < 0) return Fail(env, "cannot attach the XDP program (bpf BPF_LINK_CREATE)", errno);
  return Napi::Number::New(env, link);
}

Napi::Value XskMapCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "xskMapCreate(entries: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr m;
  memset(&m, 0, sizeof(m));
  m.map_type = BPF_MAP_TYPE_XSKMAP;
  m.key_size = 4;
  m.value_size = 4;
  m.max_entries = info[0].As<Napi::Number>().Uint32Value();
  int map = static_cast<int>(Bpf(BPF_MAP_CREATE, &m));
  if (map < 0) return Fail(env, "cannot create the XSKMAP (bpf BPF_MAP_CREATE)", errno);
  return Napi::Number::New(env, map);
}

Napi::Value XdpLinkUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "xdpLinkUpdate(link: number, prog: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr u;
  memset(&u, 0, sizeof(u));
  u.link_update.link_fd = info[0].As<Napi::Number>().Uint32Value();
  u.link_update.new_prog_fd = info[1].As<Napi::Number>().Uint32Value();
  if (Bpf(BPF_LINK_UPDATE, &u) < 0) return Fail(env, "cannot replace the XDP program (bpf BPF_LINK_UPDATE)", errno);
  return env.Undefined();
}

Napi::Value XdpCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "xdpCounters(map: number, slots: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int map = info[0].As<Napi::Number>().Int32Value();
  uint32_t slots = info[1].As<Napi::Number>().Uint32Value();
  Napi::Array out = Napi::Array::New(env, slots);
  for (uint32_t k = 0; k < slots; k++) {
    uint64_t value = 0;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = map;
    a.key = reinterpret_cast<uint64_t>(&k);
    a.value = reinterpret_cast<uint64_t>(&value);
    if (Bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) return Fail(env, "cannot read the XDP counters (bpf BPF_MAP_LOOKUP_ELEM)", errno);
    out.Set(k, Napi::Number::New(env, static_cast<double>(value)));
  }
  return out;
}

Napi::Value BpfClose(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsNumber()) {
    int fd = info[0].As<Napi::Number>().Int32Value();
    if (fd >= 0) close(fd);
  }
  return info.Env().Undefined();
}

}  // namespace

void InitXdp(Napi::Env env, Napi::Object exports) {
  exports.Set("xdpLoad", Napi::Function::New(env, XdpLoad, "xdpLoad"));
  exports.Set("xdpLink", Napi::Function::New(env, XdpLink, "xdpLink"));
  exports.Set("xskMapCreate", Napi::Function::New(env, XskMapCreate, "xskMapCreate"));
  exports.Set("xdpLinkUpdate", Napi::Function::New(env, XdpLinkUpdate, "xdpLinkUpdate"));
  exports.Set("xdpCounters", Napi::Function::New(env, XdpCounters, "xdpCounters"));
  exports.Set("bpfClose", Napi::Function::New(env, BpfClose, "bpfClose"));
}

}  // namespace ulvs
