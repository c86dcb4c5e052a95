// The permutation behind space_to_depth_kernels.h, shared by its 4-byte and 1-byte loops.
#pragma once

#include <cstdint>

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

}  // namespace ez::ops::space_to_depth_simd
