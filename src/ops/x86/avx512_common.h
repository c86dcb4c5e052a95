// Helpers shared by the AVX-512F + FMA kernels (*_avx512.cpp and *_avx512vnni.cpp, built with
// -mavx512f -mfma and more): the activation epilogue over several vectors at once, and 8-bit
// quantization of the results. Include this header only from those files.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::x86::avx512 {

inline __m512 splat(float f) { return _mm512_set1_ps(f); }

// 1 / (1 + 2^u) for N vectors, u = -v log2(e) (sigmoid(v) from its exponent), stage by stage
// (the chains of different vectors fill each other's latency). 2^u = 2^n * 2^f with n = round(u),
// |f| <= 1/2, 2^f by a degree-6 polynomial (relative error 1e-7, fitted for this range) and 2^n
// by vscalefps; u is capped at 127 so that 1 + 2^u stays finite (sigmoid < 1e-38 there). The
// reciprocal is the 14-bit estimate refined by one Newton step (relative error ~1e-8): a division
// costs about as much as the rest together. oneDNN's swish post-op divides, which is why it costs
// twice this.
template <int N>
inline void sigmoid_of_exponent_many(const __m512 (&exponent)[N], __m512 (&out)[N]) {
  __m512 u[N], n[N], p[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    u[i] = _mm512_min_ps(exponent[i], splat(127.0f));
    n[i] = _mm512_roundscale_ps(u[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    u[i] = _mm512_sub_ps(u[i], n[i]);
    p[i] = _mm512_fmadd_ps(splat(1.5345805149991065e-4f), u[i], splat(1.3399930903688073e-3f));
  }
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm512_fmadd_ps(p[i], u[i], splat(9.618489071726799e-3f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm512_fmadd_ps(p[i], u[i], splat(5.550328642129898e-2f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm512_fmadd_ps(p[i], u[i], splat(2.4022646248340607e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm512_fmadd_ps(p[i], u[i], splat(6.931471824645996e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm512_fmadd_ps(p[i], u[i], splat(1.0f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const __m512 d = _mm512_add_ps(splat(1.0f), _mm512_scalef_ps(p[i], n[i]));
    const __m512 r = _mm512_rcp14_ps(d);
    out[i] = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, splat(2.0f)));
  }
}

// 1 / (1 + e^-v) for N vectors (sigmoid_of_exponent_many of -v log2(e)).
template <int N>
inline void sigmoid_many(const __m512 (&v)[N], __m512 (&out)[N]) {
  __m512 u[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) u[i] = _mm512_mul_ps(v[i], splat(kMinusLog2e));
  sigmoid_of_exponent_many<N>(u, out);
}

// The activation (and the scalar affine after it) as ops/nn/activation.cpp writes it, in place
// over N vectors.
template <int N>
inline void activate_many(const EpilogueParams& a, __m512 (&v)[N]) {
  const __m512 zero = _mm512_setzero_ps(), one = splat(1.0f);
  switch (a.act) {
    case kActRelu:
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) v[i] = _mm512_max_ps(v[i], zero);
      break;
    case kActLeakyRelu:
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i)
        v[i] = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v[i], zero, _CMP_GE_OQ), _mm512_mul_ps(v[i], splat(a.alpha)), v[i]);
      break;
    case kActClip:
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) v[i] = _mm512_min_ps(_mm512_max_ps(v[i], splat(a.alpha)), splat(a.beta));
      break;
    case kActSigmoid: sigmoid_many<N>(v, v); break;
    case kActSilu: {
      __m512 s[N];
      sigmoid_many<N>(v, s);
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) v[i] = _mm512_mul_ps(v[i], s[i]);
      break;
    }
    case kActHardSwish:
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) {
        const __m512 g = _mm512_add_ps(_mm512_div_ps(v[i], splat(6.0f)), splat(0.5f));
        v[i] = _mm512_mul_ps(v[i], _mm512_max_ps(zero, _mm512_min_ps(one, g)));
      }
      break;
    case kActHardSigmoid:
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i)
        v[i] = _mm512_max_ps(zero, _mm512_min_ps(one, _mm512_add_ps(_mm512_mul_ps(v[i], splat(a.alpha)), splat(a.beta))));
      break;
    default: break;
  }
  if (a.affine)
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) v[i] = _mm512_add_ps(_mm512_mul_ps(v[i], splat(a.out_scale)), splat(a.out_shift));
}

// An 8-bit output's quantization: 1/s, the range [lo, hi] minus the zero point, the zero point.
struct OutputQuant {
  __m512 inv_scale, lo, hi;
  __m512i zp;
  OutputQuant(float y_inv_scale, int32_t y_zp, bool y_signed)
      : inv_scale(splat(y_inv_scale)), lo(splat((y_signed ? -128.0f : 0.0f) - static_cast<float>(y_zp))),
        hi(splat((y_signed ? 127.0f : 255.0f) - static_cast<float>(y_zp))), zp(_mm512_set1_epi32(y_zp)) {}
};

// v * 1/s + zp rounded to nearest even and saturated to the 8-bit range as int32 lanes; NaN gives
// the low end, as the reference's clamp does.
inline __m512i quantize(__m512 v, const OutputQuant& q) {
  v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, q.inv_scale), q.lo), q.hi);
  return _mm512_add_epi32(_mm512_cvtps_epi32(v), q.zp);
}

// SiLU or Sigmoid of a * m, then an 8-bit output's quantization (times a channel multiplier cm
// and 1/s_y, plus the zero point), with the per-channel constants folded so that each vector costs
// two multiplications fewer than activate_many + quantize:
//   u = a * m_u, m_u = m kMinusLog2e               (the exponent: s = sigmoid_of_exponent_many(u))
//   SiLU:    y = (a * m_y) * s + zp, m_y = m cm / s_y
//   Sigmoid: y = m_y * s + zp,       m_y = cm / s_y
// then clamped to the 8-bit range and rounded to nearest even (NaN to the low end). Equal to the
// unfolded form up to the rounding of the folded products: a value at a rounding tie may land one
// step away. quantize_folded is the last line, t being a * m_y or m_y.
struct FoldedQuant {
  __m512 lo, hi, zp;  // the 8-bit range and the zero point, as floats
  FoldedQuant(int32_t y_zp, bool y_signed)
      : lo(splat(y_signed ? -128.0f : 0.0f)), hi(splat(y_signed ? 127.0f : 255.0f)), zp(splat(static_cast<float>(y_zp))) {}
};

inline __m512i quantize_folded(__m512 t, __m512 s, const FoldedQuant& q) {
  return _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(t, s, q.zp), q.lo), q.hi));
}

// QuantizeLinear's exact formula, saturate(round_half_even(v / s) + zp), without a division:
// q0 = v * r with r = 1/s correctly rounded, then two Newton-Markstein corrections q += (v - q s) r,
// each residual exact by FMA. One correction already gives the correctly rounded quotient when q0
// is within an ulp of it (Markstein's theorem); q0 can be 1.5 ulps away, so a second makes every
// case exact (the unit tests check ties and the floats beside them for the hardest reciprocals).
// Where q0 is infinite or NaN (the residual would be NaN) q0 stays, as the division has it. The
// quotient is clamped to +-2^22 (NaN to the low end) before rounding, as the scalar form does.
struct ExactQuant {
  __m512 s, r, inf, big, nbig;
  __m512i zp;
  bool is_signed = false;
  ExactQuant() = default;
  ExactQuant(float scale, int32_t zero_point, bool sgn)
      : s(splat(scale)), r(splat(1.0f / scale)), inf(splat(__builtin_inff())), big(splat(4194304.0f)), nbig(splat(-4194304.0f)),
        zp(_mm512_set1_epi32(zero_point)), is_signed(sgn) {}
};

// round(v / scale) + zp in int32 lanes, before saturation (shared by the 8- and 16-bit stores).
inline __m512i exactly_quantized_int32(__m512 v, const ExactQuant& q) {
  const __m512 q0 = _mm512_mul_ps(v, q.r);
  const __m512 q1 = _mm512_fmadd_ps(_mm512_fnmadd_ps(q0, q.s, v), q.r, q0);
  const __m512 q2 = _mm512_fmadd_ps(_mm512_fnmadd_ps(q1, q.s, v), q.r, q1);
  const __m512 d = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(q0), q.inf, _CMP_LT_OQ), q0, q2);
  return _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(d, q.nbig), q.big)), q.zp);
}

inline void store_exactly_quantized(void* p, __m512 v, const ExactQuant& q, __mmask16 mask = 0xFFFF) {
  const __m512i k = exactly_quantized_int32(v, q);
  if (q.is_signed) {
    if (mask == 0xFFFF) _mm_storeu_si128(static_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(k));
    else _mm512_mask_cvtsepi32_storeu_epi8(p, mask, k);
  } else {
    const __m512i u = _mm512_max_epi32(k, _mm512_setzero_si512());
    if (mask == 0xFFFF) _mm_storeu_si128(static_cast<__m128i*>(p), _mm512_cvtusepi32_epi8(u));
    else _mm512_mask_cvtusepi32_storeu_epi8(p, mask, u);
  }
}

// The same into 16 16-bit values (int16 when q.is_signed, else uint16).
inline void store_exactly_quantized16(void* p, __m512 v, const ExactQuant& q) {
  const __m512i k = exactly_quantized_int32(v, q);
  const __m256i r = q.is_signed ? _mm512_cvtsepi32_epi16(k) : _mm512_cvtusepi32_epi16(_mm512_max_epi32(k, _mm512_setzero_si512()));
  _mm256_storeu_si256(static_cast<__m256i*>(p), r);
}

}  // namespace ez::ops::x86::avx512
