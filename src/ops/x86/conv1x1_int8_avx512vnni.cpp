// AVX-512 VNNI stages of the int8 1x1 convolution (conv1x1_int8.h).
#include <immintrin.h>

#include "ops/x86/avx512_common.h"
#include "ops/x86/conv1x1_int8_kernels.h"

namespace ez::ops::conv1x1_int8::vnni {
namespace {

using x86::avx512::splat;

// Accumulator registers per tile (rows x 16-channel blocks): with 24, GCC 12 kept a copy of
// every sum on the stack in the inner loop.
constexpr int kAccumulators = 16;
constexpr int64_t kMaxTileBytes = 16 * 1024;  // rows x in_c (in_c <= 1024, conv1x1_int8.cpp)

struct Quant {
  __m512 inv_scale, lo, hi;  // lo / hi: the output range minus the zero point
  __m512i zp;
};

// acc += u8 x s8 in groups of four, into int32 without saturation. Written as assembly so that
// the sum stays in its register: GCC 12 copied every accumulator to a fresh register (and some to
// the stack) around each intrinsic call, doubling the inner loop.
inline void dot4(__m512i& acc, __m512i x, __m512i w) { asm("vpdpbusd %[w], %[x], %[acc]" : [acc] "+v"(acc) : [x] "v"(x), [w] "v"(w)); }

// acc[r * B + b] = sum over k of row r of x (rows in_c bytes apart, 4 bytes per step) times
// weight block b.
template <int R, int B>
inline void accumulate(const uint8_t* x, int64_t in_c, const int8_t* w, __m512i (&acc)[R * B]) {
  const int64_t k_steps = in_c / 4;
#pragma GCC unroll 16
  for (int i = 0; i < R * B; ++i) acc[i] = _mm512_setzero_si512();
  for (int64_t k = 0; k < k_steps; ++k) {
    __m512i wv[B];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) wv[b] = _mm512_loadu_si512(w + (b * k_steps + k) * 64);
    const uint8_t* p = x + 4 * k;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512i xb = _mm512_set1_epi32(_mm_cvtsi128_si32(_mm_loadu_si32(p + r * in_c)));
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) dot4(acc[r * B + b], xb, wv[b]);
    }
  }
}

// Output rows [r0, r0 + valid) (valid <= R) times output channels [oc0, oc0 + 16 B) (the last
// block may be partial: oc_valid). x holds R rows; those past the valid ones are not stored.
// Every argument by value: the output stores go through may-alias vector types.
template <int R, int B>
void tile(const uint8_t* x, int64_t in_c, int64_t valid, const int8_t* w, const int32_t* bias, const float* mult,
          const float* channel_mult, void* y, int64_t out_c, int64_t oc0, int64_t oc_valid, bool float_out, Quant q,
          x86::EpilogueParams ep) {
  __m512i acc[R * B];
  accumulate<R, B>(x, in_c, w, acc);
  // Epilogue four vectors at a time: the activation's chains interleave.
  __mmask16 lanes[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const int64_t n = oc_valid - b * 16;
    lanes[b] = n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1);
  }
#pragma GCC unroll 6
  for (int c = 0; c < R * B; c += 4) {
    __m512 v[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const int r = (c + i < R * B ? c + i : R * B - 1) / B, b = (c + i < R * B ? c + i : R * B - 1) % B;
      const __m512i s = _mm512_add_epi32(acc[r * B + b], _mm512_loadu_si512(bias + b * 16));
      v[i] = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_loadu_ps(mult + b * 16));
    }
    x86::avx512::activate_many<4>(ep, v);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const int r = (c + i) / B, b = (c + i) % B;
      if (c + i >= R * B || r >= valid) continue;
      const int64_t at = r * out_c + oc0 + b * 16;
      if (float_out) {
        _mm512_mask_storeu_ps(static_cast<float*>(y) + at, lanes[b], v[i]);
        continue;
      }
      const __m512 u = channel_mult ? _mm512_mul_ps(v[i], _mm512_loadu_ps(channel_mult + b * 16)) : v[i];
      const __m512i qv = x86::avx512::quantize(u, q.inv_scale, q.lo, q.hi, q.zp);
      _mm512_mask_cvtepi32_storeu_epi8(static_cast<int8_t*>(y) + at, lanes[b], qv);
    }
  }
}

template <int B>
void rows_of_block(const GemmArgs& a, int64_t begin, int64_t end, int64_t oc0, const Quant& q) {
  constexpr int R = kAccumulators / B;
  const int64_t IC = a.in_c, OC = a.out_c, oc_valid = OC - oc0 < 16 * B ? OC - oc0 : 16 * B;
  const int8_t* w = a.w + (oc0 / 16) * (IC / 4) * 64;
  const size_t out_size = a.float_out ? 4 : 1;
  alignas(64) uint8_t tail[kMaxTileBytes];  // the last rows, repeated to a whole tile
  for (int64_t r0 = begin; r0 < end; r0 += R) {
    const int64_t valid = end - r0 < R ? end - r0 : R;
    const uint8_t* x = a.x + r0 * IC;
    if (valid < R) {
      for (int64_t r = 0; r < R; ++r) __builtin_memcpy(tail + r * IC, x + (r < valid ? r : valid - 1) * IC, static_cast<size_t>(IC));
      x = tail;
    }
    void* y = static_cast<char*>(a.y) + r0 * OC * static_cast<int64_t>(out_size);
    tile<R, B>(x, IC, valid, w, a.bias + oc0, a.mult + oc0, a.channel_mult ? a.channel_mult + oc0 : nullptr, y, OC, oc0,
               oc_valid, a.float_out, q, a.epilogue);
  }
}

}  // namespace

void run_rows(const GemmArgs& a, int64_t begin, int64_t end) {
  Quant q;
  q.inv_scale = splat(a.y_inv_scale);
  const float lo = a.y_signed ? -128.0f : 0.0f, hi = a.y_signed ? 127.0f : 255.0f;
  q.lo = splat(lo - static_cast<float>(a.y_zp));
  q.hi = splat(hi - static_cast<float>(a.y_zp));
  q.zp = _mm512_set1_epi32(a.y_zp);
  for (int64_t oc0 = 0; oc0 < a.out_c; oc0 += 64) {
    const int64_t blocks = (a.out_c - oc0 + 15) / 16;
    switch (blocks >= 4 ? 4 : blocks) {
      case 4: rows_of_block<4>(a, begin, end, oc0, q); break;
      case 3: rows_of_block<3>(a, begin, end, oc0, q); break;
      case 2: rows_of_block<2>(a, begin, end, oc0, q); break;
      default: rows_of_block<1>(a, begin, end, oc0, q); break;
    }
  }
}

}  // namespace ez::ops::conv1x1_int8::vnni
