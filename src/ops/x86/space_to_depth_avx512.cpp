// The Focus gather of 4-byte values on AVX-512F (space_to_depth_kernels.h): 4 output pixels (48
// values, 3 registers) from 6 row segments of 8 values.
#include <immintrin.h>

#include "ops/x86/space_to_depth_focus_plan.h"
#include "ops/x86/space_to_depth_kernels.h"

namespace ez::ops::space_to_depth_simd {

void focus_rows_32(const uint32_t* x, uint32_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1) {
  constexpr int E = 16, P = E / 4;
  const FocusPlan<E> plan(by, bx);
  __m512i pair[3], third[3];
  __mmask16 from_third[3];
  for (int j = 0; j < 3; ++j) {
    pair[j] = _mm512_loadu_si512(plan.pair[j]);
    third[j] = _mm512_loadu_si512(plan.third[j]);
    from_third[j] = static_cast<__mmask16>(plan.from_third[j]);
  }
  const int64_t H = d.H, W = d.W, OH = H / 2, OW = W / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / OH, h = r % OH;
    const uint32_t* seg[6];
    for (int s = 0; s < 6; ++s) seg[s] = x + ((n * 3 + s / 2) * H + 2 * h + s % 2) * W;
    uint32_t* yr = y + r * OW * 12;
    int64_t w = 0;
    for (; w + P <= OW; w += P) {
      __m512i in[3];
      for (int q = 0; q < 3; ++q)
        in[q] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q] + 2 * w))),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q + 1] + 2 * w)), 1);
      for (int j = 0; j < 3; ++j) {
        const __m512i v = _mm512_mask_permutexvar_epi32(_mm512_permutex2var_epi32(in[0], pair[j], in[1]), from_third[j], third[j], in[2]);
        _mm512_storeu_si512(yr + w * 12 + j * E, v);
      }
    }
    focus_tail(x, y, H, W, by, bx, r, w);
  }
}

}  // namespace ez::ops::space_to_depth_simd
