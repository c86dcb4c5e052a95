// The Focus gather of 4-byte values on AVX-512F (space_to_depth_kernels.h): 4 output pixels (48
// values, 3 registers) from 6 row segments of 8 values, by dword permutes.
#include "ops/x86/space_to_depth_focus_plan.h"

namespace ez::ops::space_to_depth_simd {
namespace {

struct DwordPermute {
  __m512i pair[3], third[3];
  __mmask16 from_third[3];
  explicit DwordPermute(const FocusPlan<16>& plan) {
    for (int j = 0; j < 3; ++j) {
      pair[j] = _mm512_loadu_si512(plan.pair[j]);
      third[j] = _mm512_loadu_si512(plan.third[j]);
      from_third[j] = static_cast<__mmask16>(plan.from_third[j]);
    }
  }
  __m512i operator()(const __m512i (&in)[3], int j) const {
    return _mm512_mask_permutexvar_epi32(_mm512_permutex2var_epi32(in[0], pair[j], in[1]), from_third[j], third[j], in[2]);
  }
};

}  // namespace

void focus_rows_32(const uint32_t* x, uint32_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1) {
  focus_rows<uint32_t, 16>(x, y, d, by, bx, r0, r1, DwordPermute(FocusPlan<16>(by, bx)));
}

}  // namespace ez::ops::space_to_depth_simd
