// The C API end to end on a small in-memory model: y = relu(x + bias).
#include <gtest/gtest.h>

#include <cstring>

#include "edgezoo/edgezoo.h"
#include "util/onnx_builder.h"

namespace {

std::string add_relu_model() {
  ez::test::OnnxBuilder b;
  b.input("x", {1, -1}).output("y");
  b.initializer("bias", {1, 3}, {1.0f, -5.0f, 0.5f});
  b.node("Add", {"x", "bias"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  return b.bytes();
}

TEST(CApi, CreateQueryRunRead) {
  const std::string model = add_relu_model();
  const char* names[] = {"x"};
  const int64_t dims[] = {1, 3};
  const int64_t* dim_ptrs[] = {dims};
  const int ranks[] = {2};
  ez_options opts;
  ez_options_init(&opts);
  opts.num_threads = 1;
  opts.num_input_shapes = 1;
  opts.input_shape_names = names;
  opts.input_shape_dims = dim_ptrs;
  opts.input_shape_ranks = ranks;
  ez_session* s = nullptr;
  ASSERT_EQ(ez_session_create_from_memory(model.data(), model.size(), nullptr, &opts, &s), EZ_OK) << ez_last_error();
  int n = 0;
  ASSERT_EQ(ez_session_input_count(s, &n), EZ_OK);
  EXPECT_EQ(n, 1);
  ez_tensor_info info;
  ASSERT_EQ(ez_session_input_info(s, 0, &info), EZ_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, EZ_DTYPE_FLOAT32);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[1], 3);
  EXPECT_EQ(info.bytes, 12u);

  const float x[3] = {2.0f, 3.0f, -1.0f};
  ASSERT_EQ(ez_session_set_input(s, 0, x, sizeof x), EZ_OK);
  ASSERT_EQ(ez_session_run(s), EZ_OK) << ez_last_error();
  const void* out = nullptr;
  ASSERT_EQ(ez_session_get_output(s, 0, &out, &info), EZ_OK);
  EXPECT_STREQ(info.name, "y");
  const float* y = static_cast<const float*>(out);
  EXPECT_FLOAT_EQ(y[0], 3.0f);   // 2 + 1
  EXPECT_FLOAT_EQ(y[1], 0.0f);   // relu(3 - 5)
  EXPECT_FLOAT_EQ(y[2], 0.0f);   // relu(-1 + 0.5)
  size_t peak = 0;
  EXPECT_EQ(ez_session_peak_memory(s, &peak), EZ_OK);
  const char* value = nullptr;
  EXPECT_EQ(ez_session_metadata(s, "rknn.mean_values", &value), EZ_ERROR_NOT_FOUND);
  EXPECT_NE(std::strstr(ez_last_error(), "rknn.mean_values"), nullptr) << ez_last_error();
  EXPECT_EQ(ez_session_metadata(s, nullptr, &value), EZ_ERROR_INVALID_ARGUMENT);
  ez_session_destroy(s);
}

// metadata_props entries as the model carries them (edgezoo convert / quantize write some).
TEST(CApi, ModelMetadata) {
  ez::test::OnnxBuilder b;
  b.input("x", {1, 3}).output("y");
  b.node("Relu", {"x"}, {"y"});
  auto* kv = b.proto().add_metadata_props();
  kv->set_key("rknn.std_values");
  kv->set_value("255,255,255");
  const std::string model = b.bytes();
  ez_session* s = nullptr;
  ASSERT_EQ(ez_session_create_from_memory(model.data(), model.size(), nullptr, nullptr, &s), EZ_OK) << ez_last_error();
  const char* value = nullptr;
  ASSERT_EQ(ez_session_metadata(s, "rknn.std_values", &value), EZ_OK);
  EXPECT_STREQ(value, "255,255,255");
  ez_session_destroy(s);
}

TEST(CApi, ErrorsAreStatusesWithMessages) {
  ez_session* s = nullptr;
  EXPECT_EQ(ez_session_create("/no/such/model.onnx", nullptr, &s), EZ_ERROR_NOT_FOUND);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::strstr(ez_last_error(), "/no/such/model.onnx"), nullptr);
  EXPECT_EQ(ez_session_create(nullptr, nullptr, &s), EZ_ERROR_INVALID_ARGUMENT);
  const char junk[] = "not a model";
  EXPECT_EQ(ez_session_create_from_memory(junk, sizeof junk, nullptr, nullptr, &s), EZ_ERROR_INVALID_MODEL);

  const std::string model = add_relu_model();  // dynamic dim without a shape
  EXPECT_EQ(ez_session_create_from_memory(model.data(), model.size(), nullptr, nullptr, &s), EZ_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ez_last_error(), "dynamic"), nullptr) << ez_last_error();
  EXPECT_EQ(ez_session_run(nullptr), EZ_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, WrongInputSizeIsRejected) {
  const std::string model = add_relu_model();
  const char* names[] = {"x"};
  const int64_t dims[] = {1, 3};
  const int64_t* dim_ptrs[] = {dims};
  const int ranks[] = {2};
  ez_options opts;
  ez_options_init(&opts);
  opts.num_input_shapes = 1;
  opts.input_shape_names = names;
  opts.input_shape_dims = dim_ptrs;
  opts.input_shape_ranks = ranks;
  ez_session* s = nullptr;
  ASSERT_EQ(ez_session_create_from_memory(model.data(), model.size(), nullptr, &opts, &s), EZ_OK);
  const float x[4] = {};
  EXPECT_EQ(ez_session_set_input(s, 0, x, sizeof x), EZ_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ez_last_error(), "12 bytes"), nullptr) << ez_last_error();
  EXPECT_EQ(ez_session_set_input(s, 5, x, 12), EZ_ERROR_INVALID_ARGUMENT);
  ez_session_destroy(s);
}

}  // namespace
