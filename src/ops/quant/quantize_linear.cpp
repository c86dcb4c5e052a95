// QuantizeLinear / DequantizeLinear (per tensor or per axis; uint8/int8, uint16/int16 (opset 21,
// or ONNX Runtime's com.microsoft versions of both, which its quantizer writes for 16-bit
// activations below opset 21), int32 for DequantizeLinear; round half to even, saturate) and
// DynamicQuantizeLinear (uint8, scale and zero point from the data range).
#include <algorithm>
#include <cmath>
#include <type_traits>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <limits>

#include "ops/op_util.h"
#include "ops/quant/qlinear_common.h"
#include "ops/x86/cpu_features.h"
#include "ops/x86/quantize_kernels.h"

namespace ez::ops {
namespace {

// Index of the scale / zero point for flat element i: per tensor, or along `axis`.
struct AxisIndexer {
  int64_t inner = 1, len = 1;
  bool per_axis = false;
  int64_t operator()(int64_t i) const { return per_axis ? (i / inner) % len : 0; }
};

Result<AxisIndexer> make_indexer(const Shape& x, const Shape& scale, int64_t axis, const char* op) {
  AxisIndexer ix;
  if (shape_numel(scale) <= 1 && scale.size() <= 1) return ix;
  if (scale.size() != 1) return unsupported(std::string(op) + ": blocked quantization (scale rank > 1)");
  EZ_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axis, static_cast<int64_t>(x.size()), op));
  if (x[a] != scale[0]) return invalid_model(std::string(op) + ": " + std::to_string(scale[0]) + " scales for axis of size " + std::to_string(x[a]));
  ix.per_axis = true;
  ix.len = x[a];
  for (size_t d = a + 1; d < x.size(); ++d) ix.inner *= x[d];
  return ix;
}

// Round half to even for |v| <= 2^22 without a libm call (std::nearbyint is one unless the
// build targets SSE4.1): adding and subtracting 1.5*2^23 leaves the integer the FPU's default
// rounding (to nearest, ties to even) picked, exactly as nearbyint does.
inline float round_even(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;
}

// float32 division as the spec's reference and ONNX Runtime do, so ties round alike. The value is
// clamped to +-2^22 first (beyond any 8- or 16-bit range, so saturation is unchanged; NaN goes to
// the low end) for round_even.
template <typename Q>
void quantize_scalar(const float* x, int64_t n, float scale, int32_t zp, Q* y) {
  const float lo = std::numeric_limits<Q>::min(), hi = std::numeric_limits<Q>::max(), z = static_cast<float>(zp);
  constexpr float kBig = 4194304.0f;  // 2^22
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] / scale;
    const float v = d > -kBig ? (d < kBig ? d : kBig) : -kBig;
    const float q = round_even(v) + z;
    y[i] = static_cast<Q>(static_cast<int32_t>(q < lo ? lo : (q > hi ? hi : q)));
  }
}

// This loop runs on every activation entering a quantized region, and the compiler does not
// vectorise the scalar form: SSE2 (every x86-64) does 16 values per step with the same result.
// cvtps2dq rounds half to even under the default MXCSR, the int32 -> int16 -> 8-bit packs
// saturate, and max(v, -2^22) maps NaN to -2^22 as the scalar form does.
//
// Division is what bounds the loop (divps: 4 values per ~3-5 cycles). When the scale is a power of
// two (1 for a 0-255 picture quantized as it is), x * (1/scale) is the same float as x / scale --
// both exact up to the one rounding -- and the product is several times cheaper.
//
// On AVX-512 CPUs (ops/x86/quantize_avx512.cpp) the quotient comes from the reciprocal and two
// FMA corrections, the same float as the division, at a third of its cost.
template <typename Q>
void quantize_run_impl(const float* x, int64_t n, double scale_d, int32_t zp, Q* y) {
  constexpr bool k16 = sizeof(Q) == 2;
  const float scale = static_cast<float>(scale_d);
  int exponent = 0;
  const bool power_of_two = std::isnormal(scale) && std::frexp(scale, &exponent) == 0.5f && std::isnormal(1.0f / scale);
  int64_t i = 0;
#ifdef EDGEZOO_X86
  if (x86::has_avx512f() && std::isnormal(scale) && std::isnormal(1.0f / scale))
    i = k16 ? quantize_avx512::quantize16(x, n, scale, zp, std::is_signed<Q>::value, y)
            : quantize_avx512::quantize(x, n, scale, zp, std::is_signed<Q>::value, y);
#endif
#ifdef __SSE2__
  const __m128 s = _mm_set1_ps(scale), inv = _mm_set1_ps(1.0f / scale);
  const __m128 big = _mm_set1_ps(4194304.0f), nbig = _mm_set1_ps(-4194304.0f);
  const __m128i z = _mm_set1_epi32(zp);
  // uint16 has no saturating pack before SSE4.1: the quotient is clamped to [-zp - 1, 65536 - zp]
  // (integers, so values inside are untouched and values outside round to a bound), which puts
  // q - 32768 within int16 +- 1 for packs_epi32's saturation; the xor shifts it back.
  const __m128 lo16 = _mm_set1_ps(-1.0f - static_cast<float>(zp)), hi16 = _mm_set1_ps(65536.0f - static_cast<float>(zp));
  const __m128i bias16 = _mm_set1_epi32(std::is_signed<Q>::value ? 0 : 32768);
  const __m128i flip16 = _mm_set1_epi16(std::is_signed<Q>::value ? 0 : static_cast<int16_t>(0x8000));
  auto loop = [&](auto multiply) {  // std::true_type: by the reciprocal
    auto lane = [&](const float* p) {
      __m128 d = multiply ? _mm_mul_ps(_mm_loadu_ps(p), inv) : _mm_div_ps(_mm_loadu_ps(p), s);
      d = _mm_min_ps(_mm_max_ps(d, nbig), big);
      if (k16 && !std::is_signed<Q>::value) d = _mm_min_ps(_mm_max_ps(d, lo16), hi16);
      return _mm_add_epi32(_mm_cvtps_epi32(d), z);
    };
    if constexpr (k16) {
      for (; i + 8 <= n; i += 8) {
        const __m128i a = _mm_sub_epi32(lane(x + i), bias16), b = _mm_sub_epi32(lane(x + i + 4), bias16);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm_xor_si128(_mm_packs_epi32(a, b), flip16));
      }
    } else {
      for (; i + 16 <= n; i += 16) {
        const __m128i a = _mm_packs_epi32(lane(x + i), lane(x + i + 4));
        const __m128i b = _mm_packs_epi32(lane(x + i + 8), lane(x + i + 12));
        const __m128i r = std::is_same<Q, uint8_t>::value ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), r);
      }
    }
  };
  if (power_of_two) loop(std::true_type{});
  else loop(std::false_type{});
#endif
  quantize_scalar(x + i, n - i, scale, zp, y + i);
}

void quantize_run(const float* x, int64_t n, double scale, int32_t zp, uint8_t* y) { quantize_run_impl(x, n, scale, zp, y); }
void quantize_run(const float* x, int64_t n, double scale, int32_t zp, int8_t* y) { quantize_run_impl(x, n, scale, zp, y); }
void quantize_run(const float* x, int64_t n, double scale, int32_t zp, uint16_t* y) { quantize_run_impl(x, n, scale, zp, y); }
void quantize_run(const float* x, int64_t n, double scale, int32_t zp, int16_t* y) { quantize_run_impl(x, n, scale, zp, y); }

// For 8- and 16-bit x, (x - zp) is an exact integer below 2^17, so its float product with the
// (float32) scale is the correctly rounded value, the same as computing in double and rounding
// once. int32 x (biases) may exceed float's 24 bits: computed in double.
template <typename X>
void dequantize_run(const X* x, int64_t n, double scale, int32_t zp, Tensor& y, int64_t offset) {
  if (y.dtype() == DType::kFloat32 && sizeof(X) > 2) {
    float* out = y.data<float>() + offset;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<double>(static_cast<int64_t>(x[i]) - zp) * scale);
    return;
  }
  if (y.dtype() == DType::kFloat32) {  // the scale is float32 too (the output takes its dtype)
    float* out = y.data<float>() + offset;
    const float s = static_cast<float>(scale);
    // int32 arithmetic (exact for 8- and 16-bit x) so that the compiler vectorises the loop.
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zp) * s;
    return;
  }
  double* out = y.data<double>() + offset;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(static_cast<int64_t>(x[i]) - zp) * scale;
}

class QuantizeKernel final : public Kernel {
 public:
  QuantizeKernel(bool quantize, int64_t axis) : quantize_(quantize), axis_(axis) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = quantize_ ? "QuantizeLinear" : "DequantizeLinear";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 3, op));
    EZ_ASSIGN_OR_RETURN(ix_, make_indexer(in[0].desc.shape, in[1].desc.shape, axis_, op));
    DType t;
    if (quantize_) {
      t = in.size() > 2 && in[2].present() ? in[2].desc.dtype : DType::kUInt8;
      if (t != DType::kUInt8 && t != DType::kInt8 && t != DType::kUInt16 && t != DType::kInt16)
        return unsupported(std::string("QuantizeLinear to ") + dtype_name(t));
    } else {
      t = in[1].desc.dtype;
      EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8, DType::kUInt16, DType::kInt16, DType::kInt32}, op, "x"));
    }
    (*out)[0] = {t, in[0].desc.shape};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    const Tensor& sc = *in[1];
    const Tensor* zp = in.size() > 2 ? in[2] : nullptr;
    Tensor& y = out[0];
    const int64_t n = x.numel();
    if (quantize_ && x.dtype() != DType::kFloat32) return unsupported("QuantizeLinear of " + std::string(dtype_name(x.dtype())));
    if (!quantize_ && y.dtype() != DType::kFloat32 && y.dtype() != DType::kFloat64)
      return unsupported("DequantizeLinear output dtype " + std::string(dtype_name(y.dtype())));
    // Runs of elements share one scale / zero point: the whole tensor, or `inner` elements per
    // channel. Typed loops over each run (these sit between every quantized operator).
    const int64_t run = ix_.per_axis ? ix_.inner : n, runs = n == 0 || run == 0 ? 0 : n / run;
    // Elements [b, b+len) sharing the scale / zero point at index k.
    auto span = [&](int64_t b, int64_t len, int64_t k) {
      const double scale = sc.at_double(k);
      const int32_t z = zp ? static_cast<int32_t>(zp->at_int(k)) : 0;
      if (quantize_) {
        const float* xs = x.data<float>() + b;
        if (y.dtype() == DType::kUInt8) quantize_run(xs, len, scale, z, y.data<uint8_t>() + b);
        else if (y.dtype() == DType::kInt8) quantize_run(xs, len, scale, z, y.data<int8_t>() + b);
        else if (y.dtype() == DType::kUInt16) quantize_run(xs, len, scale, z, y.data<uint16_t>() + b);
        else quantize_run(xs, len, scale, z, y.data<int16_t>() + b);
      } else if (x.dtype() == DType::kUInt8) {
        dequantize_run(x.data<uint8_t>() + b, len, scale, z, y, b);
      } else if (x.dtype() == DType::kInt8) {
        dequantize_run(x.data<int8_t>() + b, len, scale, z, y, b);
      } else if (x.dtype() == DType::kUInt16) {
        dequantize_run(x.data<uint16_t>() + b, len, scale, z, y, b);
      } else if (x.dtype() == DType::kInt16) {
        dequantize_run(x.data<int16_t>() + b, len, scale, z, y, b);
      } else {
        dequantize_run(x.data<int32_t>() + b, len, scale, z, y, b);
      }
    };
    const bool parallel = ctx.pool && n > (1 << 16);
    if (quantize_ && runs == 1) {  // one scale: the loop kernels that take a QuantizeLinear in share
      quantize_per_tensor(x.data<float>(), n, static_cast<float>(sc.at_double(0)), zp ? static_cast<int32_t>(zp->at_int(0)) : 0,
                          y.dtype(), y.raw(), ctx.pool);
    } else if (parallel && runs == 1) {  // one scale: split the tensor
      ctx.pool->parallel_for(n, 1 << 14, [&](int64_t i0, int64_t i1) { span(i0, i1 - i0, 0); });
    } else {
      auto body = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) span(r * run, run, ix_(r * run));
      };
      if (parallel) ctx.pool->parallel_for(runs, 1, body);
      else body(0, runs);
    }
    return Status::OK();
  }

 private:
  bool quantize_;
  int64_t axis_;
  AxisIndexer ix_;
};

class DynamicQuantizeKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "DynamicQuantizeLinear"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "DynamicQuantizeLinear", "x"));
    (*out)[0] = {DType::kUInt8, in[0].desc.shape};
    (*out)[1] = {DType::kFloat32, {}};
    (*out)[2] = {DType::kUInt8, {}};
    return Status::OK();
  }

  // Both passes (range, then quantization) split over the pool: this runs before every
  // ConvInteger of a dynamically quantized model, on the whole activation.
  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const float* x = in[0]->data<float>();
    const int64_t n = in[0]->numel();
    constexpr int64_t kChunk = 1 << 14;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    // The range always includes 0 so that 0 is exactly representable (ONNX spec).
    std::vector<float> lo(static_cast<size_t>(chunks), 0.0f), hi(static_cast<size_t>(chunks), 0.0f);
    auto range = [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) range_of(x + c * kChunk, std::min(kChunk, n - c * kChunk), &lo[c], &hi[c]);
    };
    if (ctx.pool && chunks > 1) ctx.pool->parallel_for(chunks, 1, range);
    else range(0, chunks);
    float l = 0, h = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      l = std::min(l, lo[c]);
      h = std::max(h, hi[c]);
    }
    const float scale = (h - l) / 255.0f;
    const float zp_f = scale == 0 ? 0.0f : std::nearbyint(std::max(0.0f, std::min(255.0f, -l / scale)));
    const uint8_t zp = static_cast<uint8_t>(zp_f);
    uint8_t* y = out[0].data<uint8_t>();
    // y = saturate(round(x / scale) + zp), as QuantizeLinear computes it.
    auto quantize = [&](int64_t i0, int64_t i1) {
      if (scale == 0) std::fill(y + i0, y + i1, zp);
      else quantize_run(x + i0, i1 - i0, scale, zp, y + i0);
    };
    if (ctx.pool && n > (1 << 16)) ctx.pool->parallel_for(n, kChunk, quantize);
    else quantize(0, n);
    out[1].data<float>()[0] = scale;
    out[2].data<uint8_t>()[0] = zp;
    return Status::OK();
  }

 private:
  // min/max of x[0..n) and 0 into *lo, *hi, with std::min/std::max's NaN rule (a NaN element is
  // skipped): SSE's min(x, m) returns m when x is NaN.
  static void range_of(const float* x, int64_t n, float* lo, float* hi) {
    float l = 0, h = 0;
    int64_t i = 0;
#ifdef __SSE2__
    __m128 vl = _mm_setzero_ps(), vh = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
      const __m128 v = _mm_loadu_ps(x + i);
      vl = _mm_min_ps(v, vl);
      vh = _mm_max_ps(v, vh);
    }
    alignas(16) float a[4], b[4];
    _mm_store_ps(a, vl);
    _mm_store_ps(b, vh);
    for (int k = 0; k < 4; ++k) {
      l = std::min(l, a[k]);
      h = std::max(h, b[k]);
    }
#endif
    for (; i < n; ++i) {
      l = std::min(l, x[i]);
      h = std::max(h, x[i]);
    }
    *lo = l;
    *hi = h;
  }
};

}  // namespace

void quantize_per_tensor(const float* x, int64_t n, float scale, int32_t zp, DType t, void* y, const ThreadPool* pool) {
  auto body = [&](int64_t i0, int64_t i1) {
    if (t == DType::kUInt8) quantize_run(x + i0, i1 - i0, scale, zp, static_cast<uint8_t*>(y) + i0);
    else if (t == DType::kInt8) quantize_run(x + i0, i1 - i0, scale, zp, static_cast<int8_t*>(y) + i0);
    else if (t == DType::kUInt16) quantize_run(x + i0, i1 - i0, scale, zp, static_cast<uint16_t*>(y) + i0);
    else quantize_run(x + i0, i1 - i0, scale, zp, static_cast<int16_t*>(y) + i0);
  };
  if (pool && n > (1 << 16)) pool->parallel_for(n, 1 << 14, body);
  else body(0, n);
}

Result<KernelPtr> create_QuantizeLinear(const KernelConfig& c) { return KernelPtr(new QuantizeKernel(true, c.attrs.get_int("axis", 1))); }
Result<KernelPtr> create_DequantizeLinear(const KernelConfig& c) { return KernelPtr(new QuantizeKernel(false, c.attrs.get_int("axis", 1))); }
Result<KernelPtr> create_DynamicQuantizeLinear(const KernelConfig&) { return KernelPtr(new DynamicQuantizeKernel()); }

}  // namespace ez::ops
