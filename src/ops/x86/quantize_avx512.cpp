// QuantizeLinear's loop on AVX-512 (quantize_kernels.h): the exact quotient without a division
// (avx512_common.h's store_exactly_quantized), five FMA-class operations per 16 values against
// vdivps' ~10 cycles.
#include <immintrin.h>

#include "ops/x86/avx512_common.h"
#include "ops/x86/quantize_kernels.h"

namespace ez::ops::quantize_avx512 {

int64_t quantize(const float* x, int64_t n, float scale, int32_t zp, bool is_signed, void* y) {
  const x86::avx512::ExactQuant q(scale, zp, is_signed);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) x86::avx512::store_exactly_quantized(static_cast<uint8_t*>(y) + i, _mm512_loadu_ps(x + i), q);
  return i;
}

int64_t quantize16(const float* x, int64_t n, float scale, int32_t zp, bool is_signed, void* y) {
  const x86::avx512::ExactQuant q(scale, zp, is_signed);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    x86::avx512::store_exactly_quantized16(static_cast<uint16_t*>(y) + i, _mm512_loadu_ps(x + i), q);
  return i;
}

}  // namespace ez::ops::quantize_avx512
