// The Focus gather of bytes on AVX-512 VBMI (space_to_depth_kernels.h): 16 output pixels (192
// bytes, 3 registers) from 6 row segments of 32 bytes, with VBMI's byte permutes.
#include <immintrin.h>

#include "ops/x86/space_to_depth_focus_plan.h"
#include "ops/x86/space_to_depth_kernels.h"

namespace ez::ops::space_to_depth_simd {

void focus_rows_8(const uint8_t* x, uint8_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1) {
  constexpr int E = 64, P = E / 4;
  const FocusPlan<E> plan(by, bx);
  __m512i pair[3], third[3];
  __mmask64 from_third[3];
  for (int j = 0; j < 3; ++j) {
    alignas(64) uint8_t p8[E], t8[E];
    for (int e = 0; e < E; ++e) {
      p8[e] = static_cast<uint8_t>(plan.pair[j][e]);
      t8[e] = static_cast<uint8_t>(plan.third[j][e]);
    }
    pair[j] = _mm512_load_si512(p8);
    third[j] = _mm512_load_si512(t8);
    from_third[j] = static_cast<__mmask64>(plan.from_third[j]);
  }
  const int64_t H = d.H, W = d.W, OH = H / 2, OW = W / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / OH, h = r % OH;
    const uint8_t* seg[6];
    for (int s = 0; s < 6; ++s) seg[s] = x + ((n * 3 + s / 2) * H + 2 * h + s % 2) * W;
    uint8_t* yr = y + r * OW * 12;
    int64_t w = 0;
    for (; w + P <= OW; w += P) {
      __m512i in[3];
      for (int q = 0; q < 3; ++q)
        in[q] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q] + 2 * w))),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q + 1] + 2 * w)), 1);
      for (int j = 0; j < 3; ++j) {
        const __m512i v = _mm512_mask_permutexvar_epi8(_mm512_permutex2var_epi8(in[0], pair[j], in[1]), from_third[j], third[j], in[2]);
        _mm512_storeu_si512(yr + w * 12 + j * E, v);
      }
    }
    focus_tail(x, y, H, W, by, bx, r, w);
  }
}

}  // namespace ez::ops::space_to_depth_simd
