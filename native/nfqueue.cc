// Placeholder: filled in by the module's owner.
#include "module.h"

namespace ulvs {
void InitNfqueue(Napi::Env env, Napi::Object exports) {}
}  // namespace ulvs
