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

bool has_avx512f() {
#ifdef EDGEZOO_X86
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

bool has_avx512_vnni() {
#ifdef EDGEZOO_X86
  static const bool ok = has_avx512f() && __builtin_cpu_supports("avx512vnni");
  return ok;
#else
  return false;
#endif
}

bool has_avx512_vbmi() {
#ifdef EDGEZOO_X86
  static const bool ok = has_avx512f() && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
  return ok;
#else
  return false;
#endif
}

}  // namespace ez::ops::x86
