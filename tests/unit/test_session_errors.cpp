// Bad input never crashes: each case gives a clear error naming what was wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "runtime/session.h"
#include "util/onnx_builder.h"

namespace ez {
namespace {

using test::OnnxBuilder;

std::string temp_dir() {
  char tmpl[] = "/tmp/edgezoo_test_XXXXXX";
  return mkdtemp(tmpl);
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

OnnxBuilder identity_model() {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Identity", {"x"}, {"y"});
  return b;
}

TEST(SessionErrors, MissingFileIsNotFound) {
  auto s = Session::load_file("/nonexistent/model.onnx");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("/nonexistent/model.onnx"), std::string::npos);
}

TEST(SessionErrors, TruncatedModelIsInvalid) {
  const std::string bytes = identity_model().bytes();
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3, size_t(5)}) {
    auto s = Session::load_bytes(bytes.data(), cut);
    ASSERT_FALSE(s.ok()) << cut;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidModel) << s.status().to_string();
  }
}

TEST(SessionErrors, NonOnnxFileIsInvalid) {
  const std::string text = "this is a text file, not a model\n";
  auto s = Session::load_bytes(text.data(), text.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidModel);
  EXPECT_NE(s.status().message().find("not"), std::string::npos);
  auto e = Session::load_bytes("", 0);
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidModel);
}

TEST(SessionErrors, UnsupportedOperatorIsNamedWithItsNode) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("FrobnicateTensor", {"x"}, {"y"}, "the_node");
  const std::string bytes = b.bytes();
  auto s = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("FrobnicateTensor"), std::string::npos);
  EXPECT_NE(s.status().message().find("the_node"), std::string::npos);
}

TEST(SessionErrors, CustomDomainOperatorIsRefused) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Identity", {"x"}, {"y"}, "ms_node").set_domain("com.microsoft");
  const std::string bytes = b.bytes();
  auto s = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("com.microsoft"), std::string::npos);
}

TEST(SessionErrors, WrongInputShapeAndDtypeAreRejected) {
  const std::string bytes = identity_model().bytes();
  auto s = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  Status st = (*s)->set_input(0, Tensor::zeros(DType::kFloat32, {1, 5}));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("[1,4]"), std::string::npos) << st.message();
  st = (*s)->set_input(0, Tensor::zeros(DType::kInt64, {1, 4}));
  EXPECT_NE(st.message().find("float32"), std::string::npos) << st.message();
  EXPECT_FALSE((*s)->set_input(3, Tensor::zeros(DType::kFloat32, {1, 4})).ok());
}

TEST(SessionErrors, DynamicInputNeedsAShapeAndGivenShapeMustFit) {
  OnnxBuilder b;
  b.input("x", {-1, 3}).output("y");
  b.node("Identity", {"x"}, {"y"});
  const std::string bytes = b.bytes();
  auto s = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--shape x="), std::string::npos) << s.status().message();
  SessionOptions opts;
  opts.input_shapes["x"] = {2, 4};  // dim 1 is fixed at 3
  EXPECT_FALSE(Session::load_bytes(bytes.data(), bytes.size(), opts).ok());
  opts.input_shapes["x"] = {2, 3};
  auto ok = Session::load_bytes(bytes.data(), bytes.size(), opts);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ((*ok)->inputs()[0].desc.shape, (Shape{2, 3}));
  opts.input_shapes = {{"nope", {1}}};
  auto bad = Session::load_bytes(bytes.data(), bytes.size(), opts);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos);
}

// A model whose initializer lives in an external file at `location`.
std::string external_model(const std::string& location) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  auto& w = b.initializer("w", {1, 4}, {});
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = w.add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  b.node("Identity", {"w"}, {"y"});
  return b.bytes();
}

TEST(SessionErrors, HostileExternalDataPathsAreRefused) {
  const std::string dir = temp_dir();
  const std::string outside = temp_dir();
  const float secret[4] = {1, 2, 3, 4};
  write(outside + "/secret.bin", std::string(reinterpret_cast<const char*>(secret), sizeof secret));
  symlink((outside + "/secret.bin").c_str(), (dir + "/link.bin").c_str());
  for (const std::string& loc : std::vector<std::string>{"/etc/passwd", "../" + outside.substr(5) + "/secret.bin", "a/../../secret.bin", "link.bin"}) {
    write(dir + "/model.onnx", external_model(loc));
    auto s = Session::load_file(dir + "/model.onnx");
    ASSERT_FALSE(s.ok()) << loc;
    EXPECT_NE(s.status().message().find("refused"), std::string::npos) << loc << ": " << s.status().message();
    EXPECT_NE(s.status().message().find("'w'"), std::string::npos) << s.status().message();
  }
}

TEST(SessionErrors, ExternalDataInsideTheFolderLoadsAndShortFileIsAnError) {
  const std::string dir = temp_dir();
  const float w[4] = {1, 2, 3, 4};
  write(dir + "/weights.bin", std::string(reinterpret_cast<const char*>(w), sizeof w));
  write(dir + "/model.onnx", external_model("weights.bin"));
  auto s = Session::load_file(dir + "/model.onnx");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  ASSERT_TRUE((*s)->set_input(0, Tensor::zeros(DType::kFloat32, {1, 4})).ok());
  ASSERT_TRUE((*s)->run().ok());
  EXPECT_EQ((*s)->output(0).data<float>()[3], 4.0f);
  write(dir + "/weights.bin", std::string(reinterpret_cast<const char*>(w), 8));
  auto t = Session::load_file(dir + "/model.onnx");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("too short"), std::string::npos) << t.status().message();
  // From memory, external data needs an explicit folder.
  const std::string bytes = external_model("weights.bin");
  EXPECT_FALSE(Session::load_bytes(bytes.data(), bytes.size()).ok());
}

TEST(SessionErrors, UndefinedInputAndCycleAreInvalid) {
  OnnxBuilder b;
  b.input("x", {1}).output("y");
  b.node("Identity", {"ghost"}, {"y"}, "reader");
  std::string bytes = b.bytes();
  auto s = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("ghost"), std::string::npos);

  OnnxBuilder c;
  c.input("x", {1}).output("b");
  c.node("Identity", {"b"}, {"a"}, "n1");
  c.node("Identity", {"a"}, {"b"}, "n2");
  bytes = c.bytes();
  auto t = Session::load_bytes(bytes.data(), bytes.size());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("cycle"), std::string::npos) << t.status().message();
}

}  // namespace
}  // namespace ez
