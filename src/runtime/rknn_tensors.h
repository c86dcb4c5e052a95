// Tensors between the RKNN-compatible API's buffers and edgezoo's (rknn_api.cpp): type names and
// sizes, the normalisation lists of the model's metadata, input staging (layout, type,
// (x - mean) / std) and output conversion to float, and the error report every call shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgezoo/edgezoo.h"
#include "edgezoo/rknn_api.h"

namespace ez::rknn {

// Records `message` for rknn_last_error(), prints "E RKNN: ..." (unless RKNN_LOG_LEVEL=0) and
// returns `code`.
int fail(int code, const std::string& message);
const char* last_error();

// A model input and what rknn_inputs_set gives the session for it.
struct Input {
  ez_tensor_info info{};
  std::vector<float> mean, std;  // per channel, from the model's metadata (empty: none)
  std::vector<unsigned char> staged;  // the converted buffer given to the session
};

// "a,b,c;d,e,f" -> per input, per channel; false when an entry is not a number.
bool parse_lists(const std::string& text, std::vector<std::vector<float>>* out);

size_t dtype_bytes(rknn_tensor_type t);  // 0 for INT4 and unknown types
bool to_rknn_type(ez_dtype t, rknn_tensor_type* r);
const char* type_name(rknn_tensor_type t);
size_t numel(const ez_tensor_info& info);

// The attributes of a tensor as the model has it (attr->index kept).
void fill_attr(const ez_tensor_info& info, rknn_tensor_attr* attr);

// One rknn_input into in.staged (the model's type and NCHW layout, normalised); RKNN_SUCC or the
// error code, reported.
int stage_input(Input& in, const rknn_input& r);

// n values of type t (a model output) as float32.
void to_float(const void* data, rknn_tensor_type t, size_t n, float* dst);

}  // namespace ez::rknn
