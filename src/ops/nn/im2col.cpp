#include "ops/nn/im2col.h"

#include <cstring>

namespace ez::ops {
namespace {

// Calls f(col_row, in_offset_or_-1 per output position) for every (channel, kernel offset) row.
// Written for any number of spatial dims; 2-D rows copy whole output lines at once.
template <typename F>
void for_each_patch_row(int64_t channels, const WindowGeometry& g, F f) {
  const size_t S = g.in.size();
  const int64_t ks = g.kernel_size(), os = g.out_size(), is = g.in_size();
  std::vector<int64_t> kpos(S, 0), opos(S, 0);
  for (int64_t c = 0; c < channels; ++c) {
    std::fill(kpos.begin(), kpos.end(), 0);
    for (int64_t k = 0; k < ks; ++k) {
      const int64_t row = c * ks + k;
      std::fill(opos.begin(), opos.end(), 0);
      for (int64_t o = 0; o < os; ++o) {
        int64_t off = 0;
        bool inside = true;
        for (size_t d = 0; d < S; ++d) {
          const int64_t p = opos[d] * g.strides[d] - g.pad_begin[d] + kpos[d] * g.dilations[d];
          if (p < 0 || p >= g.in[d]) {
            inside = false;
            break;
          }
          off = off * g.in[d] + p;
        }
        f(row, o, inside ? c * is + off : -1);
        for (int d = static_cast<int>(S) - 1; d >= 0 && ++opos[d] == g.out[d]; --d) opos[d] = 0;
      }
      for (int d = static_cast<int>(S) - 1; d >= 0 && ++kpos[d] == g.kernel[d]; --d) kpos[d] = 0;
    }
  }
}

}  // namespace

void im2col(const float* x, int64_t channels, const WindowGeometry& g, float* col) {
  const int64_t os = g.out_size();
  if (g.in.size() == 2) {  // the hot case: rows of the output are runs in the input
    const int64_t IH = g.in[0], IW = g.in[1], OH = g.out[0], OW = g.out[1];
    const int64_t KH = g.kernel[0], KW = g.kernel[1], SH = g.strides[0], SW = g.strides[1];
    const int64_t DH = g.dilations[0], DW = g.dilations[1], PH = g.pad_begin[0], PW = g.pad_begin[1];
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) {
          float* dst = col + ((c * KH + kh) * KW + kw) * os;
          for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t ih = oh * SH - PH + kh * DH;
            float* d = dst + oh * OW;
            if (ih < 0 || ih >= IH) {
              std::memset(d, 0, sizeof(float) * OW);
              continue;
            }
            const float* src = x + (c * IH + ih) * IW;
            for (int64_t ow = 0; ow < OW; ++ow) {
              const int64_t iw = ow * SW - PW + kw * DW;
              d[ow] = (iw >= 0 && iw < IW) ? src[iw] : 0.0f;
            }
          }
        }
    return;
  }
  for_each_patch_row(channels, g, [&](int64_t row, int64_t o, int64_t in) { col[row * os + o] = in >= 0 ? x[in] : 0.0f; });
}

void col2im_add(const float* col, int64_t channels, const WindowGeometry& g, float* y) {
  const int64_t os = g.out_size();
  for_each_patch_row(channels, g, [&](int64_t row, int64_t o, int64_t in) {
    if (in >= 0) y[in] += col[row * os + o];
  });
}

}  // namespace ez::ops
