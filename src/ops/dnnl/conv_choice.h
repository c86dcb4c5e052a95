// Whether the Conv/FusedConv fast path may hand NHWC convolutions to edgezoo's own AVX2 kernels
// (ops/x86: Winograd 3x3, 1x1 GEMM) instead of oneDNN: on AVX2+FMA CPUs where oneDNN itself runs
// AVX2 code, which is what they were measured against. Where oneDNN runs AVX-512 code (twice the
// vector width) they lose (YOLOX-nano at 2 threads on a Xeon with AVX-512: 18 ms with them, 12 ms with
// oneDNN's AVX-512 kernels), so oneDNN keeps those convolutions. EDGEZOO_AVX2_CONVS=1 in the
// environment forces them wherever AVX2+FMA exists (tests use it to cover them on AVX-512 CPUs).
#pragma once

namespace ez::ops {

bool hand_written_convs_pay();

}  // namespace ez::ops
