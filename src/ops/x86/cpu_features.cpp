#include "ops/x86/cpu_features.h"

namespace ez::ops::x86 {

bool has_avx2_fma() {
#ifdef EDGEZOO_X86
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

}  // namespace ez::ops::x86
