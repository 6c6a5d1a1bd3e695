// Memory advice for the shared connection table: madvise(MADV_HUGEPAGE) over the 2 MiB-aligned part of
// a typed array's backing store, once when the table is created (never per packet). With transparent
// huge pages in "madvise" mode (Debian's default) the table's records and bucket heads then take one
// TLB entry per 2 MiB instead of per 4 KiB, so a lookup over a large table is not a TLB miss and a page
// walk on top of its cache misses. Pages are still committed only when first touched.
#include <sys/mman.h>
#include <cstdint>
#include "module.h"

namespace {
constexpr uintptr_t kHuge = 2u << 20;

// adviseHugePages(view: TypedArray): number of bytes advised (0 when the view is smaller than 2 MiB
// once aligned, or when the kernel refuses: no THP, or madvise not permitted).
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "adviseHugePages(view): a typed array is required").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(env, info[0], &type, &length, &data, &ab, &off) != napi_ok || data == nullptr) return Napi::Number::New(env, 0);
  size_t bytes = info[0].As<Napi::TypedArray>().ByteLength();
  uintptr_t lo = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t hi = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (hi <= lo) return Napi::Number::New(env, 0);
  if (madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE) != 0) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, static_cast<double>(hi - lo));
}
}  // namespace

namespace ulvs {
void InitMemAdvise(Napi::Env env, Napi::Object exports) {
  exports.Set("adviseHugePages", Napi::Function::New(env, AdviseHugePages, "adviseHugePages"));
}
}  // namespace ulvs
