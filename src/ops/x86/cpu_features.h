// Which hand-written x86 kernels this CPU runs (checked once).
#pragma once

namespace ez::ops::x86 {

// AVX2 and FMA, the ISA of the *_avx2.cpp kernels. False off x86-64.
bool has_avx2_fma();
// AVX-512F and FMA, the ISA of the *_avx512.cpp kernels. False off x86-64.
bool has_avx512f();
// AVX-512F, VNNI and FMA, the ISA of the *_avx512vnni.cpp kernels. False off x86-64.
bool has_avx512_vnni();
// AVX-512F, BW and VBMI (byte permutes), the ISA of the *_avx512vbmi.cpp kernels. False off x86-64.
bool has_avx512_vbmi();

}  // namespace ez::ops::x86
