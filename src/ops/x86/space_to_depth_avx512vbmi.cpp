// The Focus gather of bytes on AVX-512 VBMI (space_to_depth_kernels.h): 16 output pixels (192
// bytes, 3 registers) from 6 row segments of 32 bytes, by VBMI's byte permutes.
#include "ops/x86/space_to_depth_focus_plan.h"

namespace ez::ops::space_to_depth_simd {
namespace {

struct BytePermute {
  __m512i pair[3], third[3];
  __mmask64 from_third[3];
  explicit BytePermute(const FocusPlan<64>& plan) {
    for (int j = 0; j < 3; ++j) {
      alignas(64) uint8_t p8[64], t8[64];
      for (int e = 0; e < 64; ++e) {
        p8[e] = static_cast<uint8_t>(plan.pair[j][e]);
        t8[e] = static_cast<uint8_t>(plan.third[j][e]);
      }
      pair[j] = _mm512_load_si512(p8);
      third[j] = _mm512_load_si512(t8);
      from_third[j] = static_cast<__mmask64>(plan.from_third[j]);
    }
  }
  __m512i operator()(const __m512i (&in)[3], int j) const {
    return _mm512_mask_permutexvar_epi8(_mm512_permutex2var_epi8(in[0], pair[j], in[1]), from_third[j], third[j], in[2]);
  }
};

}  // namespace

void focus_rows_8(const uint8_t* x, uint8_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1) {
  focus_rows<uint8_t, 64>(x, y, d, by, bx, r0, r1, BytePermute(FocusPlan<64>(by, bx)));
}

}  // namespace ez::ops::space_to_depth_simd
