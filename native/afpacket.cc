// Placeholder: filled in by the module's owner.
#include "module.h"

namespace ulvs {
void InitAfPacket(Napi::Env env, Napi::Object exports) {}
}  // namespace ulvs
