// AVX-512 VNNI stages of the int8 convolution (conv_int8.h).
#include <immintrin.h>

#include <type_traits>

#include "ops/x86/avx512_common.h"
#include "ops/x86/conv_int8_kernels.h"

namespace ez::ops::conv_int8::vnni {
namespace {

using x86::avx512::splat;

// Accumulator registers per tile (pixels x 16-channel blocks): with 24, GCC 12 kept a copy of
// every sum on the stack in the inner loop.
constexpr int kAccumulators = 16;
constexpr int64_t kMaxTileBytes = 16 * 1024;  // a last tile's rows for one tap (in_c <= 1024, conv_int8.cpp)

using Quant = x86::avx512::OutputQuant;

// acc += u8 x s8 in groups of four, into int32 without saturation. Written as assembly so that
// the sum stays in its register: GCC 12 copied every accumulator to a fresh register (and some to
// the stack) around each intrinsic call, doubling the inner loop.
inline void dot4(__m512i& acc, __m512i x, __m512i w) { asm("vpdpbusd %[w], %[x], %[acc]" : [acc] "+v"(acc) : [x] "v"(x), [w] "v"(w)); }

// acc[r * B + b] = the sums of pixel r of the run for weight block b (blocks taps * k_steps * 64
// bytes apart).
template <int R, int B>
inline void accumulate(const uint8_t* x, int64_t x_stride, const int64_t* tap_offsets, int64_t taps, int64_t k_steps,
                       const int8_t* w, __m512i (&acc)[R * B]) {
  const int64_t block = taps * k_steps * 64;
#pragma GCC unroll 16
  for (int i = 0; i < R * B; ++i) acc[i] = _mm512_setzero_si512();
  for (int64_t t = 0; t < taps; ++t) {
    const uint8_t* xt = x + tap_offsets[t];
    const int8_t* wt = w + t * k_steps * 64;
    for (int64_t k = 0; k < k_steps; ++k) {
      __m512i wv[B];
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) wv[b] = _mm512_loadu_si512(wt + b * block + k * 64);
      const uint8_t* p = xt + 4 * k;
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512i xb = _mm512_set1_epi32(_mm_cvtsi128_si32(_mm_loadu_si32(p + r * x_stride)));
#pragma GCC unroll 4
        for (int b = 0; b < B; ++b) dot4(acc[r * B + b], xb, wv[b]);
      }
    }
  }
}

template <int B>
inline void channel_lanes(int64_t oc_valid, __mmask16 (&lanes)[B]) {
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const int64_t n = oc_valid - b * 16;
    lanes[b] = n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1);
  }
}

// Pixels [0, valid) of a tile times channels [oc0, oc0 + 16 B) (the last block may be partial:
// oc_valid), four vectors at a time so that the activation's chains interleave. Arguments by
// value: the output stores go through may-alias vector types.
// The extra outputs of a tile: pointers at its first pixel and their quantizations.
struct Extras {
  int count;
  uint8_t* y[kMaxExtraOutputs];
  const float* mult[kMaxExtraOutputs];  // at the tile's first channel, or null
  const x86::avx512::ExactQuant* q;
};

// One 8-bit block store: whole blocks through a register and a plain 16-byte store, the narrowing
// store to memory (vpmovdb m128) being several times slower on AMD's AVX-512 cores.
inline void store_block(int8_t* p, __m512i qv, __mmask16 lanes) {
  if (lanes == 0xFFFF) _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(qv));
  else _mm512_mask_cvtepi32_storeu_epi8(p, lanes, qv);
}

using x86::kFoldNone;
using x86::kFoldSigmoid;
using x86::kFoldSilu;

// Fold: an 8-bit output after SiLU (kFoldSilu) or Sigmoid (kFoldSigmoid), through
// x86::avx512::quantize_folded with the constants fold_u, fold_y (at the tile's first channel).
template <int R, int B, int Fold>
void tile(const uint8_t* x, int64_t x_stride, const int64_t* tap_offsets, int64_t taps, int64_t k_steps, int64_t valid,
          const int8_t* w, const int32_t* bias, const float* mult, const float* channel_mult, void* y, int64_t out_c,
          int64_t oc0, int64_t oc_valid, bool float_out, bool float_unused, Quant q, x86::EpilogueParams ep, Extras extras,
          const float* fold_u, const float* fold_y, x86::avx512::FoldedQuant fq) {
  __m512i acc[R * B];
  accumulate<R, B>(x, x_stride, tap_offsets, taps, k_steps, w, acc);
  __mmask16 lanes[B];
  channel_lanes<B>(oc_valid, lanes);
  if constexpr (Fold != kFoldNone) {  // (x86::avx512::quantize_folded; constants loaded where used)
#pragma GCC unroll 6
    for (int c = 0; c < R * B; c += 4) {
      __m512 a[4], u[4], sg[4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        const int j = c + i < R * B ? c + i : R * B - 1, b = j % B;
        a[i] = _mm512_cvtepi32_ps(_mm512_add_epi32(acc[j], _mm512_loadu_si512(bias + b * 16)));
        u[i] = _mm512_mul_ps(a[i], _mm512_loadu_ps(fold_u + b * 16));
      }
      x86::avx512::sigmoid_of_exponent_many<4>(u, sg);
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        const int r = (c + i) / B, b = (c + i) % B;
        if (c + i >= R * B || r >= valid) continue;
        const __m512 my = _mm512_loadu_ps(fold_y + b * 16);
        const __m512 t = Fold == kFoldSilu ? _mm512_mul_ps(a[i], my) : my;
        store_block(static_cast<int8_t*>(y) + r * out_c + oc0 + b * 16, x86::avx512::quantize_folded(t, sg[i], fq), lanes[b]);
      }
    }
    return;
  }
#pragma GCC unroll 6
  for (int c = 0; c < R * B; c += 4) {
    __m512 v[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const int j = c + i < R * B ? c + i : R * B - 1, b = j % B;
      const __m512i s = _mm512_add_epi32(acc[j], _mm512_loadu_si512(bias + b * 16));
      v[i] = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_loadu_ps(mult + b * 16));
    }
    x86::avx512::activate_many<4>(ep, v);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const int r = (c + i) / B, b = (c + i) % B;
      if (c + i >= R * B || r >= valid) continue;
      const int64_t at = r * out_c + oc0 + b * 16;
      if (float_out) {
        if (!float_unused) _mm512_mask_storeu_ps(static_cast<float*>(y) + at, lanes[b], v[i]);
        for (int k = 0; k < extras.count; ++k) {
          const __m512 u = extras.mult[k] ? _mm512_mul_ps(v[i], _mm512_loadu_ps(extras.mult[k] + b * 16)) : v[i];
          x86::avx512::store_exactly_quantized(extras.y[k] + at, u, extras.q[k], lanes[b]);
        }
        continue;
      }
      const __m512 u = channel_mult ? _mm512_mul_ps(v[i], _mm512_loadu_ps(channel_mult + b * 16)) : v[i];
      store_block(static_cast<int8_t*>(y) + at, x86::avx512::quantize(u, q), lanes[b]);
    }
  }
}

// Not inlined: with its twelve instantiations inside run_pixels, GCC 12 allocated registers worse
// and the unfolded loops ran 25% slower.
template <int B, int Fold>
__attribute__((noinline)) void pixels_of_block(const TileInput& in, int64_t count, const int8_t* w, int64_t out_c, int64_t oc0,
                                               const Epilogue& e, const Quant& q, void* y, void* const* extra_y,
                                               const x86::avx512::ExactQuant* extra_q) {
  const x86::avx512::FoldedQuant fq(e.y_zp, e.y_signed);
  constexpr int R = kAccumulators / B;
  const int64_t oc_valid = out_c - oc0 < 16 * B ? out_c - oc0 : 16 * B;
  const int8_t* wb = w + (oc0 / 16) * in.taps * in.k_steps * 64;
  const int64_t out_size = e.float_out ? 4 : 1;
  const int64_t row_bytes = 4 * in.k_steps;
  alignas(64) uint8_t tail[kMaxTileBytes];  // a one-tap run's last pixels, the last repeated to a whole tile
  for (int64_t r0 = 0; r0 < count; r0 += R) {
    const int64_t valid = count - r0 < R ? count - r0 : R;
    const uint8_t* x = in.x + r0 * in.x_stride;
    int64_t stride = in.x_stride;
    if (valid < R && in.taps == 1) {  // (tap offset 0; several taps: the caller's buffer has room past the run)
      for (int64_t r = 0; r < R; ++r)
        __builtin_memcpy(tail + r * row_bytes, x + (r < valid ? r : valid - 1) * in.x_stride, static_cast<size_t>(row_bytes));
      x = tail;
      stride = row_bytes;
    }
    Extras extras{e.extra_outputs, {}, {}, extra_q};
    for (int k = 0; k < e.extra_outputs; ++k) {
      extras.y[k] = static_cast<uint8_t*>(extra_y[k]) + r0 * out_c;
      extras.mult[k] = e.extra_mult[k] ? e.extra_mult[k] + oc0 : nullptr;
    }
    tile<R, B, Fold>(x, stride, in.tap_offsets, in.taps, in.k_steps, valid, wb, e.bias + oc0, e.mult + oc0,
                     e.channel_mult ? e.channel_mult + oc0 : nullptr, static_cast<char*>(y) + r0 * out_c * out_size, out_c, oc0,
                     oc_valid, e.float_out, e.float_unused, q, e.act, extras, Fold != kFoldNone ? e.fold_u + oc0 : nullptr,
                     Fold != kFoldNone ? e.fold_y + oc0 : nullptr, fq);
  }
}

}  // namespace

void run_pixels(const TileInput& in, int64_t count, const int8_t* w, int64_t out_c, const Epilogue& e, void* y, void* const* extra_y) {
  const Quant q(e.y_inv_scale, e.y_zp, e.y_signed);
  x86::avx512::ExactQuant extra_q[kMaxExtraOutputs];
  for (int k = 0; k < e.extra_outputs; ++k) extra_q[k] = x86::avx512::ExactQuant(e.extra_scale[k], e.extra_zp[k], e.extra_signed[k]);
  const x86::Fold fold = e.fold_u ? x86::fold_of(e.act) : kFoldNone;  // (fold_u: set only for an 8-bit output)
  auto blocks_of = [&](auto f) {
    constexpr int F = decltype(f)::value;
    for (int64_t oc0 = 0; oc0 < out_c; oc0 += 64) {
      const int64_t blocks = (out_c - oc0 + 15) / 16;
      switch (blocks >= 4 ? 4 : blocks) {
        case 4: pixels_of_block<4, F>(in, count, w, out_c, oc0, e, q, y, extra_y, extra_q); break;
        case 3: pixels_of_block<3, F>(in, count, w, out_c, oc0, e, q, y, extra_y, extra_q); break;
        case 2: pixels_of_block<2, F>(in, count, w, out_c, oc0, e, q, y, extra_y, extra_q); break;
        default: pixels_of_block<1, F>(in, count, w, out_c, oc0, e, q, y, extra_y, extra_q); break;
      }
    }
  };
  if (fold == kFoldSilu) blocks_of(std::integral_constant<int, kFoldSilu>());
  else if (fold == kFoldSigmoid) blocks_of(std::integral_constant<int, kFoldSigmoid>());
  else blocks_of(std::integral_constant<int, kFoldNone>());
}

}  // namespace ez::ops::conv_int8::vnni
