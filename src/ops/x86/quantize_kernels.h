// The AVX-512F + FMA loop of QuantizeLinear (ops/quant/quantize_linear.cpp), in its own
// translation unit built with -mavx512f -mfma and called only after a CPU check. Plain types only.
#pragma once

#include <cstdint>

namespace ez::ops::quantize_avx512 {

// y[i] = saturate(round_half_even(x[i] / scale) + zp) for 8-bit y (int8 if is_signed), the
// quotient correctly rounded as a division gives it (see the .cpp); NaN gives the low end.
// Processes the first n - n % 16 values and returns that count.
int64_t quantize(const float* x, int64_t n, float scale, int32_t zp, bool is_signed, void* y);
// The same for 16-bit y (int16 if is_signed, else uint16).
int64_t quantize16(const float* x, int64_t n, float scale, int32_t zp, bool is_signed, void* y);

}  // namespace ez::ops::quantize_avx512
