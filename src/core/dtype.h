// Element types. The numeric codes are ONNX's TensorProto.DataType values so that import is a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace ez {

enum class DType : int {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // not supported by kernels; named so that errors can say so
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

size_t dtype_size(DType t);           // bytes per element; 0 for undefined/string
const char* dtype_name(DType t);      // "float32", "int64", ...
bool dtype_is_float(DType t);         // float16/bfloat16/float32/float64
bool dtype_from_onnx(int code, DType* out);  // false for codes edgezoo cannot hold

// IEEE half and bfloat16 storage types: kernels convert to float to compute.
struct Half {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);  // round to nearest even
inline float bf16_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t float_to_bf16(float f);  // round to nearest even

// Any element as double (for non-hot paths: shape inputs, printing, tests).
template <typename T> inline double to_double(T v) { return static_cast<double>(v); }
inline double to_double(Half v) { return half_to_float(v.bits); }
inline double to_double(BFloat16 v) { return bf16_to_float(v.bits); }

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUInt16; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUInt32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <typename T> constexpr DType dtype_of() { return DTypeOf<T>::value; }

}  // namespace ez

// Calls BODY with `T` bound to the C++ type of DTYPE. Only the listed families are instantiated,
// which keeps binaries small (a switch per kernel, not a template per dtype pair).
// Usage: EZ_DISPATCH_REAL(t.dtype(), T, return unsupported(...), { ... uses T ... });
// The body comes last (variadic) so that commas inside it need no protection.
#define EZ_DISPATCH_CASE(DT, CT, T, ...) \
  case DT: {                             \
    using T = CT;                        \
    __VA_ARGS__;                         \
    break;                               \
  }

// float32, float64, all integer types (no bool, no half).
#define EZ_DISPATCH_REAL(DTYPE, T, ON_UNSUPPORTED, ...)               \
  switch (DTYPE) {                                                     \
    EZ_DISPATCH_CASE(::ez::DType::kFloat32, float, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kFloat64, double, T, __VA_ARGS__)           \
    EZ_DISPATCH_CASE(::ez::DType::kInt8, int8_t, T, __VA_ARGS__)              \
    EZ_DISPATCH_CASE(::ez::DType::kUInt8, uint8_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kInt16, int16_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt16, uint16_t, T, __VA_ARGS__)          \
    EZ_DISPATCH_CASE(::ez::DType::kInt32, int32_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt32, uint32_t, T, __VA_ARGS__)          \
    EZ_DISPATCH_CASE(::ez::DType::kInt64, int64_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt64, uint64_t, T, __VA_ARGS__)          \
    default: ON_UNSUPPORTED;                                           \
  }

// float32 and float64 only.
#define EZ_DISPATCH_FLOAT(DTYPE, T, ON_UNSUPPORTED, ...)              \
  switch (DTYPE) {                                                     \
    EZ_DISPATCH_CASE(::ez::DType::kFloat32, float, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kFloat64, double, T, __VA_ARGS__)           \
    default: ON_UNSUPPORTED;                                           \
  }

// Every fixed-size type including bool, half and bfloat16 (for data movement: copy, gather, concat).
// Data movement only needs the element size, so ops that move data should prefer dtype_size().
#define EZ_DISPATCH_ALL(DTYPE, T, ON_UNSUPPORTED, ...)                \
  switch (DTYPE) {                                                     \
    EZ_DISPATCH_CASE(::ez::DType::kFloat32, float, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kFloat64, double, T, __VA_ARGS__)           \
    EZ_DISPATCH_CASE(::ez::DType::kInt8, int8_t, T, __VA_ARGS__)              \
    EZ_DISPATCH_CASE(::ez::DType::kUInt8, uint8_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kInt16, int16_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt16, uint16_t, T, __VA_ARGS__)          \
    EZ_DISPATCH_CASE(::ez::DType::kInt32, int32_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt32, uint32_t, T, __VA_ARGS__)          \
    EZ_DISPATCH_CASE(::ez::DType::kInt64, int64_t, T, __VA_ARGS__)            \
    EZ_DISPATCH_CASE(::ez::DType::kUInt64, uint64_t, T, __VA_ARGS__)          \
    EZ_DISPATCH_CASE(::ez::DType::kBool, bool, T, __VA_ARGS__)                \
    EZ_DISPATCH_CASE(::ez::DType::kFloat16, ::ez::Half, T, __VA_ARGS__)       \
    EZ_DISPATCH_CASE(::ez::DType::kBFloat16, ::ez::BFloat16, T, __VA_ARGS__)  \
    default: ON_UNSUPPORTED;                                           \
  }
