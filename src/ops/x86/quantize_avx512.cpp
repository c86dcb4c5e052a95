// x / scale without a division: q0 = x * r with r = 1/scale correctly rounded, then two
// Newton-Markstein corrections q += (x - q * scale) * r, each residual exact by FMA. One
// correction already gives the correctly rounded quotient whenever q0 is within an ulp of it
// (Markstein's theorem); q0 can be 1.5 ulps away, so a second makes every case exact, which the
// unit test checks on ties and the floats beside them for the hardest reciprocals. Five FMA-class
// operations per 16 values against vdivps' ~10 cycles. Where q0 is infinite or NaN (the residual
// would be NaN) q0 stays, as the division would have it.
#include <immintrin.h>

#include "ops/x86/quantize_kernels.h"

namespace ez::ops::quantize_avx512 {

int64_t quantize(const float* x, int64_t n, float scale, int32_t zp, bool is_signed, void* y) {
  const __m512 s = _mm512_set1_ps(scale), r = _mm512_set1_ps(1.0f / scale);
  const __m512 big = _mm512_set1_ps(4194304.0f), nbig = _mm512_set1_ps(-4194304.0f);  // clamp to +-2^22 (NaN -> low)
  const __m512 inf = _mm512_set1_ps(__builtin_inff());
  const __m512i z = _mm512_set1_epi32(zp), zero = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512 q0 = _mm512_mul_ps(v, r);
    const __m512 q1 = _mm512_fmadd_ps(_mm512_fnmadd_ps(q0, s, v), r, q0);
    const __m512 q2 = _mm512_fmadd_ps(_mm512_fnmadd_ps(q1, s, v), r, q1);
    const __mmask16 finite = _mm512_cmp_ps_mask(_mm512_abs_ps(q0), inf, _CMP_LT_OQ);
    const __m512 q = _mm512_mask_blend_ps(finite, q0, q2);
    const __m512i k = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(q, nbig), big)), z);
    __m128i b;
    if (is_signed) b = _mm512_cvtsepi32_epi8(k);
    else b = _mm512_cvtusepi32_epi8(_mm512_max_epi32(k, zero));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<uint8_t*>(y) + i), b);
  }
  return i;
}

}  // namespace ez::ops::quantize_avx512
