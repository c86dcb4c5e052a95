// Shared by the QLinear* reference kernels: quantization parameters read once from their small
// constant inputs, integer products accumulated in int32, and requantisation of the int32 sums
//   y = saturate(round_half_even(acc * (s_x * s_w / s_y)) + y_zero_point)
// as the ONNX reference implementation and ONNX Runtime do (the multiplier in float32).
#pragma once

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ops/op_util.h"

namespace ez::ops::qlinear {

// A scale + zero point pair: one value (per tensor) or one per channel.
struct QParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;  // same length as scale
  bool per_channel() const { return scale.size() > 1; }
  float s(int64_t i) const { return scale.size() == 1 ? scale[0] : scale[i]; }
  int32_t z(int64_t i) const { return zero_point.size() == 1 ? zero_point[0] : zero_point[i]; }
};

// Reads scale (float32) and optional zero point (uint8/int8; absent -> 0 of `absent_dtype`)
// tensors with `expected` values (1 = per tensor, or `channels` = per channel when allowed).
inline Result<QParams> read_qparams(const Tensor& scale, const Tensor* zp, int64_t channels, const std::string& what) {
  QParams q;
  const int64_t n = scale.numel();
  if (scale.rank() > 1 || (n != 1 && n != channels))
    return invalid_model(what + " scale has shape " + shape_to_string(scale.shape()) + ", expected a scalar" +
                         (channels > 1 ? " or " + std::to_string(channels) + " values" : std::string()));
  if (scale.dtype() != DType::kFloat32) return invalid_model(what + " scale must be float32");
  if (zp && zp->numel() != 0 && zp->numel() != n)
    return invalid_model(what + " zero point has " + std::to_string(zp->numel()) + " values, scale has " + std::to_string(n));
  for (int64_t i = 0; i < n; ++i) {
    q.scale.push_back(scale.data<float>()[i]);
    q.zero_point.push_back(zp && zp->numel() ? static_cast<int32_t>(zp->at_int(i)) : 0);
  }
  return q;
}

inline bool is_8bit(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// Output dtype from the optional y_zero_point input (uint8 when absent).
inline DType output_dtype(const std::vector<KernelInput>& in, size_t zp_index) {
  return in.size() > zp_index && in[zp_index].present() ? in[zp_index].desc.dtype : DType::kUInt8;
}

template <typename Q>
inline Q requantize(int32_t acc, float multiplier, int32_t zp) {
  const float r = std::nearbyint(static_cast<float>(acc) * multiplier) + static_cast<float>(zp);
  const float lo = std::numeric_limits<Q>::min(), hi = std::numeric_limits<Q>::max();
  return static_cast<Q>(r < lo ? lo : (r > hi ? hi : r));
}

// Writes one row of int32 sums as uint8 / int8.
inline void requantize_row(const int32_t* acc, int64_t n, float multiplier, int32_t zp, DType t, void* dst) {
  if (t == DType::kUInt8) {
    uint8_t* y = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) y[i] = requantize<uint8_t>(acc[i], multiplier, zp);
  } else {
    int8_t* y = static_cast<int8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) y[i] = requantize<int8_t>(acc[i], multiplier, zp);
  }
}

// Element i of a uint8 / int8 tensor minus a zero point, as int32.
inline void to_int32(const Tensor& t, int64_t offset, int64_t n, int32_t zp, int32_t* out) {
  if (t.dtype() == DType::kUInt8) {
    const uint8_t* p = t.data<uint8_t>() + offset;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(p[i]) - zp;
  } else {
    const int8_t* p = t.data<int8_t>() + offset;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(p[i]) - zp;
  }
}

// C[M,N] (+)= A[M,K] * B[K,N], all int32, row-major with the given leading dims.
inline void int_gemm(int64_t M, int64_t N, int64_t K, const int32_t* A, const int32_t* B, int32_t* C) {
  for (int64_t m = 0; m < M; ++m) {
    int32_t* c = C + m * N;
    std::memset(c, 0, sizeof(int32_t) * N);
    for (int64_t k = 0; k < K; ++k) {
      const int32_t a = A[m * K + k];
      if (a == 0) continue;
      const int32_t* b = B + k * N;
      for (int64_t n = 0; n < N; ++n) c[n] += a * b[n];
    }
  }
}

}  // namespace ez::ops::qlinear

namespace ez::ops {

// QuantizeLinear's kernel on n floats, per-tensor scale and zero point, 8- or 16-bit t (the same values
// as the QuantizeLinear node: kernels that take such a node in produce them with this).
void quantize_per_tensor(const float* x, int64_t n, float scale, int32_t zp, DType t, void* y, const ThreadPool* pool);

}  // namespace ez::ops
