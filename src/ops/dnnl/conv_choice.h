// Whether the Conv/FusedConv fast path may hand NHWC convolutions to edgezoo's own AVX2 kernels
// (ops/x86: Winograd 3x3, 1x1 GEMM) instead of oneDNN: on AVX2+FMA CPUs where oneDNN itself runs
// AVX2 code, which is what they were measured against. Where oneDNN runs AVX-512 code (twice the
// vector width) they are not known to pay, so oneDNN keeps those convolutions.
#pragma once

namespace ez::ops {

bool hand_written_convs_pay();

}  // namespace ez::ops
