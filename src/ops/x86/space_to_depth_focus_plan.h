// The permutation behind space_to_depth_kernels.h and the row loop its 4-byte and 1-byte kernels
// share (each with its own permute instructions). Include only from those AVX-512 files.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/x86/space_to_depth_kernels.h"

namespace ez::ops::space_to_depth_simd {

// A group of P = E / 4 output pixels (E values a register) is 12 P = 3 E values. Its sources are
// the 6 segments s = 2c + by (row 2h + by of channel c, the 2P values from column 2 w0), loaded two
// to a register: segment s is values [s E/2, (s+1) E/2) of the 3 E loaded. Output value o is
// pixel p = o / 12, channel slot kc = o % 12 (k = kc / 3, c = kc % 3), so it reads loaded value
// (2c + by[k]) E/2 + 2p + bx[k]. Output register j takes its values from loaded registers 0 and 1
// (`pair`, an index < 2E for a two-register permute) or from register 2 (`third`, under `from_third`).
template <int E>
struct FocusPlan {
  int32_t pair[3][E];
  int32_t third[3][E];
  uint64_t from_third[3];

  FocusPlan(const int64_t* by, const int64_t* bx) {
    for (int j = 0; j < 3; ++j) {
      from_third[j] = 0;
      for (int e = 0; e < E; ++e) {
        const int o = j * E + e, p = o / 12, kc = o % 12, k = kc / 3, c = kc % 3;
        const int src = static_cast<int>((2 * c + by[k]) * (E / 2) + 2 * p + bx[k]);
        pair[j][e] = src < 2 * E ? src : 0;
        third[j][e] = src >= 2 * E ? src - 2 * E : 0;
        if (src >= 2 * E) from_third[j] |= uint64_t{1} << e;
      }
    }
  }
};

// The values of output row r past the last whole group, one at a time.
template <typename T>
void focus_tail(const T* x, T* y, int64_t H, int64_t W, const int64_t* by, const int64_t* bx, int64_t r, int64_t w0) {
  const int64_t OH = H / 2, OW = W / 2, n = r / OH, h = r % OH;
  T* yr = y + r * OW * 12;
  for (int64_t w = w0; w < OW; ++w)
    for (int k = 0; k < 4; ++k)
      for (int c = 0; c < 3; ++c) yr[w * 12 + k * 3 + c] = x[((n * 3 + c) * H + 2 * h + by[k]) * W + 2 * w + bx[k]];
}

// Output rows [r0, r1) for values of type T, E to a register: per group of E / 4 pixels the six
// row segments (E / 2 values each) are loaded two to a register and `permute(in, j)` (the
// FocusPlan's output register j) stored; the pixels past the last whole group one at a time.
template <typename T, int E, typename Permute>
void focus_rows(const T* x, T* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1, const Permute& permute) {
  constexpr int P = E / 4;
  const int64_t H = d.H, W = d.W, OH = H / 2, OW = W / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / OH, h = r % OH;
    const T* seg[6];
    for (int s = 0; s < 6; ++s) seg[s] = x + ((n * 3 + s / 2) * H + 2 * h + s % 2) * W;
    T* yr = y + r * OW * 12;
    int64_t w = 0;
    for (; w + P <= OW; w += P) {
      __m512i in[3];
      for (int q = 0; q < 3; ++q)
        in[q] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q] + 2 * w))),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(seg[2 * q + 1] + 2 * w)), 1);
      for (int j = 0; j < 3; ++j) _mm512_storeu_si512(yr + w * 12 + j * E, permute(in, j));
    }
    focus_tail(x, y, H, W, by, bx, r, w);
  }
}

}  // namespace ez::ops::space_to_depth_simd
