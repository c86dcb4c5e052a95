// AVX-512F + FMA stages of the int8 3x3 depthwise convolution (depthwise_int8.h).
#include <immintrin.h>

#include <type_traits>

#include "ops/x86/avx512_common.h"
#include "ops/x86/depthwise_int8_kernels.h"

namespace ez::ops::depthwise_int8::avx512 {
namespace {

using x86::kFoldNone;
using x86::kFoldSigmoid;
using x86::kFoldSilu;
using x86::avx512::activate_many;
using x86::avx512::splat;

// Input row iy of image n as floats x - x_zp, one zero column either side; rows outside the image
// are all zeros (padding reads as x_zp).
void widen_row(const RowArgs& a, int64_t n, int64_t iy, float* dst) {
  const int64_t C = a.c, W = a.in_w;
  const __m512 zero = _mm512_setzero_ps();
  if (iy < 0 || iy >= a.in_h) {
    for (int64_t i = 0; i < (W + 2) * C; i += 16) _mm512_storeu_ps(dst + i, zero);
    return;
  }
  for (int64_t i = 0; i < C; i += 16) {
    _mm512_storeu_ps(dst + i, zero);
    _mm512_storeu_ps(dst + (W + 1) * C + i, zero);
  }
  const unsigned char* src = static_cast<const unsigned char*>(a.x) + (n * a.in_h + iy) * W * C;
  float* d = dst + C;
  const __m512 zp = splat(a.x_zp);
  for (int64_t i = 0; i < W * C; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m512i v = a.x_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    _mm512_storeu_ps(d + i, _mm512_sub_ps(_mm512_cvtepi32_ps(v), zp));
  }
}

// The output's requantisation constants.
using Quant = x86::avx512::OutputQuant;

// One output row, 16 channels from cb, for stride S; Fold: a SiLU (kFoldSilu) or Sigmoid
// (kFoldSigmoid) quantized with the constants folded (x86::avx512::quantize_folded). Everything
// arrives by value or lives in locals: the byte stores (through __m128i, a may-alias type) would
// otherwise make the compiler reload every weight and size from memory after each store.
template <int S, int Fold>
void row_block(const float* r0, const float* r1, const float* r2, unsigned char* y, int64_t C, int64_t out_w, int64_t shift,
               const float* wts, __m512 bias, __m512 mult, const float* channel_mult, Quant q, x86::avx512::FoldedQuant fq,
               x86::EpilogueParams ep) {
  __m512 w[9];
#pragma GCC unroll 9
  for (int t = 0; t < 9; ++t) w[t] = _mm512_loadu_ps(wts + t * C);
  const __m512 cm = channel_mult ? _mm512_loadu_ps(channel_mult) : splat(1.0f);
  const bool has_cm = channel_mult != nullptr;
  const __m512 m_u = _mm512_mul_ps(mult, splat(x86::kMinusLog2e));
  const __m512 m_y = _mm512_mul_ps(Fold == kFoldSilu ? _mm512_mul_ps(mult, cm) : cm, q.inv_scale);
  const float* rows[3] = {r0 + shift * C, r1 + shift * C, r2 + shift * C};
  auto tile = [&](auto width, int64_t ox) {
    constexpr int J = decltype(width)::value;
    __m512 acc[J];
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) acc[j] = bias;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ++ky) {
      const float* r = rows[ky] + ox * S * C;
#pragma GCC unroll 3
      for (int kx = 0; kx < 3; ++kx)
#pragma GCC unroll 16
        for (int j = 0; j < J; ++j) acc[j] = _mm512_fmadd_ps(w[ky * 3 + kx], _mm512_loadu_ps(r + (j * S + kx) * C), acc[j]);
    }
    if constexpr (Fold != kFoldNone) {  // (x86::avx512::quantize_folded)
      __m512 u[J], sg[J];
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) u[j] = _mm512_mul_ps(acc[j], m_u);
      x86::avx512::sigmoid_of_exponent_many<J>(u, sg);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) {
        const __m512 t = Fold == kFoldSilu ? _mm512_mul_ps(acc[j], m_y) : m_y;
        const __m512i r = x86::avx512::quantize_folded(t, sg[j], fq);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + (ox + j) * C), _mm512_cvtepi32_epi8(r));
      }
      return;
    }
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) acc[j] = _mm512_mul_ps(acc[j], mult);
    activate_many<J>(ep, acc);
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) {
      const __m512 v = has_cm ? _mm512_mul_ps(acc[j], cm) : acc[j];
      const __m512i r = x86::avx512::quantize(v, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + (ox + j) * C), _mm512_cvtepi32_epi8(r));
    }
  };
  int64_t ox = 0;
  for (; ox + 4 <= out_w; ox += 4) tile(std::integral_constant<int, 4>(), ox);
  for (; ox < out_w; ++ox) tile(std::integral_constant<int, 1>(), ox);
}

}  // namespace

void run_rows(const RowArgs& a, int64_t begin, int64_t end, float* scratch) {
  const int64_t C = a.c, row_len = (a.in_w + 2) * C, shift = 1 - a.pad_left;
  int64_t tag[3] = {-1, -1, -1};  // which input row each ring slot holds
  const Quant q(a.y_inv_scale, a.y_zp, a.y_signed);
  const x86::Fold fold = x86::fold_of(a.epilogue);
  const x86::avx512::FoldedQuant fq(a.y_zp, a.y_signed);
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / a.out_h, oy = r % a.out_h;
    const float* rows[3];
    for (int ky = 0; ky < 3; ++ky) {
      const int64_t iy = oy * a.stride - a.pad_top + ky;
      const int64_t key = n * (a.in_h + 2) + iy + 1;  // >= 0; three consecutive keys take three slots
      float* slot = scratch + (key % 3) * row_len;
      if (tag[key % 3] != key) {
        widen_row(a, n, iy, slot);
        tag[key % 3] = key;
      }
      rows[ky] = slot;
    }
    unsigned char* yrow = static_cast<unsigned char*>(a.y) + r * a.out_w * C;
    for (int64_t cb = 0; cb < C; cb += 16) {
      const __m512 bias = _mm512_loadu_ps(a.bias + cb), mult = _mm512_loadu_ps(a.mult + cb);
      const float* cm = a.channel_mult ? a.channel_mult + cb : nullptr;
      auto block = [&](auto stride) {
        auto with = [&](auto f) {
          row_block<decltype(stride)::value, decltype(f)::value>(rows[0] + cb, rows[1] + cb, rows[2] + cb, yrow + cb, C, a.out_w,
                                                                 shift, a.w + cb, bias, mult, cm, q, fq, a.epilogue);
        };
        if (fold == kFoldSilu) with(std::integral_constant<int, kFoldSilu>());
        else if (fold == kFoldSigmoid) with(std::integral_constant<int, kFoldSigmoid>());
        else with(std::integral_constant<int, kFoldNone>());
      };
      if (a.stride == 1) block(std::integral_constant<int, 1>());
      else block(std::integral_constant<int, 2>());
    }
  }
}

}  // namespace ez::ops::depthwise_int8::avx512
