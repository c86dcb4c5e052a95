// Which hand-written x86 kernels this CPU runs (checked once).
#pragma once

namespace ez::ops::x86 {

// AVX2 and FMA, the ISA of the *_avx2.cpp kernels. False off x86-64.
bool has_avx2_fma();

}  // namespace ez::ops::x86
