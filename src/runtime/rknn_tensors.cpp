#include "runtime/rknn_tensors.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace ez::rknn {
namespace {

thread_local std::string g_last_error;

// librknnrt prints its errors; RKNN_LOG_LEVEL=0 silences them as it does there.
bool log_errors() {
  static const bool on = [] {
    const char* level = std::getenv("RKNN_LOG_LEVEL");
    return !(level && std::strcmp(level, "0") == 0);
  }();
  return on;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (m & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Element i of a buffer of type t, as float.
float element(const void* buf, rknn_tensor_type t, size_t i) {
  switch (t) {
    case RKNN_TENSOR_FLOAT32: return static_cast<const float*>(buf)[i];
    case RKNN_TENSOR_FLOAT16: return half_to_float(static_cast<const uint16_t*>(buf)[i]);
    case RKNN_TENSOR_INT8: return static_cast<const int8_t*>(buf)[i];
    case RKNN_TENSOR_UINT8: return static_cast<const uint8_t*>(buf)[i];
    case RKNN_TENSOR_INT16: return static_cast<const int16_t*>(buf)[i];
    case RKNN_TENSOR_UINT16: return static_cast<const uint16_t*>(buf)[i];
    default: return 0;
  }
}

}  // namespace

int fail(int code, const std::string& message) {
  g_last_error = message;
  if (log_errors()) std::fprintf(stderr, "E RKNN: %s\n", message.c_str());
  return code;
}

bool parse_lists(const std::string& text, std::vector<std::vector<float>>* out) {
  std::stringstream inputs(text);
  std::string one;
  while (std::getline(inputs, one, ';')) {
    std::vector<float> v;
    std::stringstream values(one);
    std::string item;
    while (std::getline(values, item, ',')) {
      char* end = nullptr;
      const float f = std::strtof(item.c_str(), &end);
      if (end == item.c_str()) return false;
      while (*end == ' ') ++end;
      if (*end != '\0') return false;
      v.push_back(f);
    }
    out->push_back(v);
  }
  return true;
}

size_t dtype_bytes(rknn_tensor_type t) {
  switch (t) {
    case RKNN_TENSOR_FLOAT32: case RKNN_TENSOR_INT32: case RKNN_TENSOR_UINT32: return 4;
    case RKNN_TENSOR_FLOAT16: case RKNN_TENSOR_INT16: case RKNN_TENSOR_UINT16: case RKNN_TENSOR_BFLOAT16: return 2;
    case RKNN_TENSOR_INT8: case RKNN_TENSOR_UINT8: case RKNN_TENSOR_BOOL: return 1;
    case RKNN_TENSOR_INT64: return 8;
    default: return 0;
  }
}

bool to_rknn_type(ez_dtype t, rknn_tensor_type* r) {
  switch (t) {
    case EZ_DTYPE_FLOAT32: *r = RKNN_TENSOR_FLOAT32; return true;
    case EZ_DTYPE_FLOAT16: *r = RKNN_TENSOR_FLOAT16; return true;
    case EZ_DTYPE_INT8: *r = RKNN_TENSOR_INT8; return true;
    case EZ_DTYPE_UINT8: *r = RKNN_TENSOR_UINT8; return true;
    case EZ_DTYPE_INT16: *r = RKNN_TENSOR_INT16; return true;
    case EZ_DTYPE_UINT16: *r = RKNN_TENSOR_UINT16; return true;
    case EZ_DTYPE_INT32: *r = RKNN_TENSOR_INT32; return true;
    case EZ_DTYPE_UINT32: *r = RKNN_TENSOR_UINT32; return true;
    case EZ_DTYPE_INT64: *r = RKNN_TENSOR_INT64; return true;
    case EZ_DTYPE_BOOL: *r = RKNN_TENSOR_BOOL; return true;
    case EZ_DTYPE_BFLOAT16: *r = RKNN_TENSOR_BFLOAT16; return true;
    default: return false;
  }
}

const char* type_name(rknn_tensor_type t) {
  static const char* names[] = {"FP32", "FP16", "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "BOOL", "INT4", "BF16"};
  return t >= 0 && t < RKNN_TENSOR_TYPE_MAX ? names[t] : "UNKNOWN";
}

size_t numel(const ez_tensor_info& info) {
  size_t n = 1;
  for (int d = 0; d < info.rank; ++d) n *= static_cast<size_t>(info.dims[d]);
  return n;
}

void fill_attr(const ez_tensor_info& info, rknn_tensor_attr* a) {
  const uint32_t index = a->index;
  std::memset(a, 0, sizeof(*a));
  a->index = index;
  a->n_dims = static_cast<uint32_t>(info.rank);
  for (int d = 0; d < info.rank; ++d) a->dims[d] = static_cast<uint32_t>(info.dims[d]);
  std::snprintf(a->name, sizeof(a->name), "%s", info.name);
  a->n_elems = static_cast<uint32_t>(numel(info));
  a->size = static_cast<uint32_t>(info.bytes);
  a->fmt = info.rank == 4 ? RKNN_TENSOR_NCHW : RKNN_TENSOR_UNDEFINED;
  if (!to_rknn_type(info.dtype, &a->type)) a->type = RKNN_TENSOR_TYPE_MAX;
  a->qnt_type = RKNN_TENSOR_QNT_NONE;
  a->scale = 1.0f;
  a->h_stride = info.rank == 4 ? static_cast<uint32_t>(info.dims[2]) : 0;
  a->w_stride = info.rank == 4 ? static_cast<uint32_t>(info.dims[3]) : 0;
  a->size_with_stride = a->size;
}

// One input into its staged float (or native) buffer.
int stage_input(Input& in, const rknn_input& r) {
  const std::string name = std::string("input ") + std::to_string(r.index) + " '" + in.info.name + "'";
  if (!r.buf) return fail(RKNN_ERR_PARAM_INVALID, name + ": buf is NULL");
  in.staged.resize(in.info.bytes);
  if (r.pass_through) {
    if (r.size != in.info.bytes)
      return fail(RKNN_ERR_INPUT_INVALID, name + ": pass_through needs " + std::to_string(in.info.bytes) + " bytes, got " + std::to_string(r.size));
    std::memcpy(in.staged.data(), r.buf, in.info.bytes);
    return RKNN_SUCC;
  }
  const size_t n = numel(in.info), width = dtype_bytes(r.type);
  if (in.info.dtype != EZ_DTYPE_FLOAT32) {  // integer inputs (token ids...): the buffer as the model has it
    rknn_tensor_type native = RKNN_TENSOR_TYPE_MAX;
    if (!to_rknn_type(in.info.dtype, &native) || r.type != native || r.size != in.info.bytes)
      return fail(RKNN_ERR_INPUT_INVALID, name + " is " + type_name(native) + " (" + std::to_string(in.info.bytes) +
                                              " bytes): give that type and size, got " + type_name(r.type) + ", " + std::to_string(r.size) + " bytes");
    std::memcpy(in.staged.data(), r.buf, in.info.bytes);
    return RKNN_SUCC;
  }
  if (width == 0 || r.type == RKNN_TENSOR_INT32 || r.type == RKNN_TENSOR_UINT32 || r.type == RKNN_TENSOR_INT64 ||
      r.type == RKNN_TENSOR_BOOL || r.type == RKNN_TENSOR_BFLOAT16)
    return fail(RKNN_ERR_INPUT_INVALID, name + ": type " + type_name(r.type) + " is not supported (FP32, FP16, INT8, UINT8, INT16, UINT16 are)");
  if (r.size != n * width)
    return fail(RKNN_ERR_INPUT_INVALID, name + " has " + std::to_string(n) + " elements: " + type_name(r.type) + " needs " +
                                            std::to_string(n * width) + " bytes, got " + std::to_string(r.size));
  const bool four_d = in.info.rank == 4;
  if (r.fmt != RKNN_TENSOR_NCHW && r.fmt != RKNN_TENSOR_NHWC && r.fmt != RKNN_TENSOR_UNDEFINED)
    return fail(RKNN_ERR_INPUT_INVALID, name + ": format " + std::to_string(r.fmt) + " is not supported (NCHW, NHWC)");
  if (r.fmt == RKNN_TENSOR_NHWC && !four_d) return fail(RKNN_ERR_INPUT_INVALID, name + " is not 4-D: NHWC does not apply");
  float* dst = reinterpret_cast<float*>(in.staged.data());
  const bool normalise = !in.mean.empty();
  if (r.fmt == RKNN_TENSOR_NHWC) {
    const size_t N = in.info.dims[0], C = in.info.dims[1], HW = static_cast<size_t>(in.info.dims[2] * in.info.dims[3]);
    for (size_t b = 0; b < N; ++b)
      for (size_t p = 0; p < HW; ++p)
        for (size_t c = 0; c < C; ++c) {
          const float v = element(r.buf, r.type, (b * HW + p) * C + c);
          dst[(b * C + c) * HW + p] = normalise ? (v - in.mean[c]) / in.std[c] : v;
        }
    return RKNN_SUCC;
  }
  const size_t C = normalise ? in.mean.size() : 1, inner = normalise ? n / (static_cast<size_t>(in.info.dims[0]) * C) : n;
  for (size_t i = 0; i < n; ++i) {
    const float v = element(r.buf, r.type, i);
    const size_t c = normalise ? (i / inner) % C : 0;
    dst[i] = normalise ? (v - in.mean[c]) / in.std[c] : v;
  }
  return RKNN_SUCC;
}

void to_float(const void* data, rknn_tensor_type t, size_t n, float* dst) {
  for (size_t i = 0; i < n; ++i) {
    switch (t) {
      case RKNN_TENSOR_INT32: dst[i] = static_cast<float>(static_cast<const int32_t*>(data)[i]); break;
      case RKNN_TENSOR_UINT32: dst[i] = static_cast<float>(static_cast<const uint32_t*>(data)[i]); break;
      case RKNN_TENSOR_INT64: dst[i] = static_cast<float>(static_cast<const int64_t*>(data)[i]); break;
      case RKNN_TENSOR_BOOL: dst[i] = static_cast<const uint8_t*>(data)[i] ? 1.0f : 0.0f; break;
      case RKNN_TENSOR_BFLOAT16: {
        const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(data)[i]) << 16;
        std::memcpy(&dst[i], &bits, 4);
        break;
      }
      default: dst[i] = element(data, t, i);
    }
  }
}

const char* last_error() { return g_last_error.c_str(); }

}  // namespace ez::rknn
