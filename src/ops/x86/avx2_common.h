// Helpers shared by the AVX2 + FMA kernels (*_avx2.cpp, built with -mavx2 -mfma): channel-tail
// masks, e^x, sigmoid, the fused epilogue, and the 6x16 register-blocked GEMM micro-kernel.
// Include this header only from those files: everything here is AVX2 code.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::x86::avx2 {

inline __m256 splat(float f) { return _mm256_set1_ps(f); }

// Lanes [0, n) set, for a channel tail shorter than 8.
inline __m256i tail_mask(int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane);
}

inline __m256 load8(const float* p, int64_t valid, __m256i mask) {
  return valid >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

inline void store8(float* p, __m256 v, int64_t valid, __m256i mask) {
  if (valid >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, mask, v);
}

// e^x with Cephes' polynomial (relative error about 2e-7 over the clamped range).
inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, splat(-88.3762626647949f)), splat(88.3762626647949f));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, splat(1.44269504088896341f), splat(0.5f)));
  x = _mm256_fnmadd_ps(fx, splat(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, splat(-2.12194440e-4f), x);
  __m256 y = splat(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, splat(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, splat(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, splat(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, splat(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, splat(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, splat(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// 1 / d for d in [1, 2]: the 12-bit estimate and one Newton step (relative error ~1e-7; a
// division costs several times more on the cores this was tuned on).
inline __m256 reciprocal_1_to_2(__m256 d) {
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, splat(2.0f)));
}

// The reference's stable form: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below.
inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_or_ps(x, splat(-0.0f)));  // e^-|x| in (0, 1]
  const __m256 r = reciprocal_1_to_2(_mm256_add_ps(splat(1.0f), e));
  return _mm256_blendv_ps(_mm256_mul_ps(e, r), r, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

// The activation (and the scalar affine after it), written as the reference writes it.
inline __m256 activate(const EpilogueParams& a, __m256 v) {
  switch (a.act) {
    case kActRelu: v = _mm256_max_ps(v, _mm256_setzero_ps()); break;
    case kActLeakyRelu:
      v = _mm256_blendv_ps(_mm256_mul_ps(v, splat(a.alpha)), v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));
      break;
    case kActClip: v = _mm256_min_ps(_mm256_max_ps(v, splat(a.alpha)), splat(a.beta)); break;
    case kActSigmoid: v = sigmoid8(v); break;
    case kActSilu: v = _mm256_mul_ps(v, sigmoid8(v)); break;
    case kActHardSwish: {
      const __m256 g = _mm256_add_ps(_mm256_div_ps(v, splat(6.0f)), splat(0.5f));
      v = _mm256_mul_ps(v, _mm256_max_ps(_mm256_setzero_ps(), _mm256_min_ps(splat(1.0f), g)));
      break;
    }
    case kActHardSigmoid: {
      const __m256 g = _mm256_add_ps(_mm256_mul_ps(v, splat(a.alpha)), splat(a.beta));
      v = _mm256_max_ps(_mm256_setzero_ps(), _mm256_min_ps(splat(1.0f), g));
      break;
    }
    default: break;
  }
  if (a.affine) v = _mm256_add_ps(_mm256_mul_ps(v, splat(a.out_scale)), splat(a.out_shift));
  return v;
}

// activate() over N vectors at once, stage by stage: the exp polynomial is a chain of dependent
// multiply-adds, and a tile's vectors activated one after the other left the FMA units waiting
// on that chain; interleaved, the chains of different vectors fill each other's gaps.
template <int N>
inline void exp_many(__m256 (&x)[N]) {
  __m256 fx[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    x[i] = _mm256_min_ps(_mm256_max_ps(x[i], splat(-88.3762626647949f)), splat(88.3762626647949f));
    fx[i] = _mm256_floor_ps(_mm256_fmadd_ps(x[i], splat(1.44269504088896341f), splat(0.5f)));
    x[i] = _mm256_fnmadd_ps(fx[i], splat(0.693359375f), x[i]);
    x[i] = _mm256_fnmadd_ps(fx[i], splat(-2.12194440e-4f), x[i]);
  }
  __m256 y[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) y[i] = _mm256_fmadd_ps(splat(1.9875691500e-4f), x[i], splat(1.3981999507e-3f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) y[i] = _mm256_fmadd_ps(y[i], x[i], splat(8.3334519073e-3f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) y[i] = _mm256_fmadd_ps(y[i], x[i], splat(4.1665795894e-2f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) y[i] = _mm256_fmadd_ps(y[i], x[i], splat(1.6666665459e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) y[i] = _mm256_fmadd_ps(y[i], x[i], splat(5.0000001201e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    y[i] = _mm256_fmadd_ps(y[i], _mm256_mul_ps(x[i], x[i]), _mm256_add_ps(x[i], splat(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx[i]), _mm256_set1_epi32(127)), 23);
    x[i] = _mm256_mul_ps(y[i], _mm256_castsi256_ps(e));
  }
}

template <int N>
inline void activate_many(const EpilogueParams& a, __m256 (&v)[N]) {
  if (a.act == kActSilu || a.act == kActSigmoid) {
    __m256 e[N];
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) e[i] = _mm256_or_ps(v[i], splat(-0.0f));  // -|x|
    exp_many<N>(e);
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) {
      const __m256 r = reciprocal_1_to_2(_mm256_add_ps(splat(1.0f), e[i]));
      const __m256 sig = _mm256_blendv_ps(_mm256_mul_ps(e[i], r), r, _mm256_cmp_ps(v[i], _mm256_setzero_ps(), _CMP_GE_OQ));
      v[i] = a.act == kActSilu ? _mm256_mul_ps(v[i], sig) : sig;
      if (a.affine) v[i] = _mm256_add_ps(_mm256_mul_ps(v[i], splat(a.out_scale)), splat(a.out_shift));
    }
    return;
  }
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) v[i] = activate(a, v[i]);
}

// conv + bias -> y with the residual (null: none) before or after the activation.
inline __m256 epilogue(const EpilogueParams& a, __m256 v, const float* residual, int64_t valid, __m256i mask) {
  if (residual && a.sum_first) v = _mm256_add_ps(v, load8(residual, valid, mask));
  v = activate(a, v);
  if (residual && !a.sum_first) v = _mm256_add_ps(v, load8(residual, valid, mask));
  return v;
}

// acc[R][2] = A[R x K] * B[K x 16]: A rows lda apart, B packed 16 wide (K rows of 16). The sums
// live in local variables during the loop: accumulating into the caller's arrays made the
// compiler store all twelve to the stack on every step (19 instead of 30 GFLOP/s per core).
template <int R>
inline void gemm_tile(const float* __restrict a, int64_t lda, const float* __restrict b, int64_t k, __m256 (&acc0)[R],
                      __m256 (&acc1)[R]) {
  __m256 c0[R], c1[R];
  const float* row[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    c0[r] = c1[r] = _mm256_setzero_ps();
    row[r] = a + r * lda;
  }
  for (int64_t i = 0; i < k; ++i) {
    const __m256 b0 = _mm256_loadu_ps(b + i * 16), b1 = _mm256_loadu_ps(b + i * 16 + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_broadcast_ss(row[r] + i);
      c0[r] = _mm256_fmadd_ps(x, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(x, b1, c1[r]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    acc0[r] = c0[r];
    acc1[r] = c1[r];
  }
}

}  // namespace ez::ops::x86::avx2
