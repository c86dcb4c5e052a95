// Pre-processing cost per frame: JPEG decode, letterbox to 640x640 (each resize path), and the
// fused float tensor fill. Run: ./build/bench/vision_bench [--benchmark_filter=...]
// Images: $EDGEZOO_DATA/images (bus.jpg is already 640x640, so its letterbox is a copy; the
// 810x1080 and 1280x720 photos exercise the resize).
#include <benchmark/benchmark.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/scale_argb.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "vision/image_io.h"
#include "vision/letterbox.h"
#include "vision/tensor_fill.h"

namespace {

using namespace ez::vision;

const char* kImages[] = {"bus.jpg", "bus_810x1080.jpg", "zidane.jpg"};

std::string image_path(int i) {
  const char* env = std::getenv("EDGEZOO_DATA");
  return std::string(env && *env ? env : EDGEZOO_DATA_DEFAULT) + "/images/" + kImages[i];
}

const Image& decoded(int i) {
  static std::vector<Image> cache(3);
  if (cache[i].empty()) cache[i] = decode_image(image_path(i)).value();
  return cache[i];
}

void BM_Decode(benchmark::State& state) {
  const std::string bytes = [&] {
    FILE* f = std::fopen(image_path(static_cast<int>(state.range(0))).c_str(), "rb");
    std::string b;
    char buf[65536];
    size_t n;
    while (f && (n = std::fread(buf, 1, sizeof buf, f)) > 0) b.append(buf, n);
    if (f) std::fclose(f);
    return b;
  }();
  for (auto _ : state) benchmark::DoNotOptimize(decode_image_bytes(bytes).value().pixels.data());
  state.SetLabel(kImages[state.range(0)]);
}
BENCHMARK(BM_Decode)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

// Letterbox only (decoded image in memory), per resize method.
void BM_Letterbox(benchmark::State& state) {
  const Image& src = decoded(static_cast<int>(state.range(0)));
  const auto method = static_cast<ResizeMethod>(state.range(1));
  Image out;
  LetterboxInfo info;
  for (auto _ : state) {
    if (!letterbox_into(src, LetterboxParams{640, 640}, &out, &info, method).ok()) state.SkipWithError("letterbox");
    benchmark::DoNotOptimize(out.pixels.data());
  }
  state.SetLabel(std::string(kImages[state.range(0)]) + " " + resize_method_name(method));
}
BENCHMARK(BM_Letterbox)
    ->ArgsProduct({{0, 1, 2}, {static_cast<int>(ResizeMethod::kReference), static_cast<int>(ResizeMethod::kLibyuv)}})
    ->Unit(benchmark::kMillisecond);

// libyuv through 32-bit ARGB explicitly (convert, ARGBScale, convert back), to compare with the
// RGBScale path that converts a row at a time internally.
void BM_ResizeLibyuvArgb(benchmark::State& state) {
  const Image& src = decoded(static_cast<int>(state.range(0)));
  const auto info = letterbox_geometry(src.width, src.height, LetterboxParams{640, 640}).value();
  std::vector<uint8_t> argb(static_cast<size_t>(src.width) * src.height * 4);
  std::vector<uint8_t> argb_small(static_cast<size_t>(info.resized_w) * info.resized_h * 4);
  Image out(info.resized_w, info.resized_h, 3);
  for (auto _ : state) {
    libyuv::RGB24ToARGB(src.pixels.data(), src.width * 3, argb.data(), src.width * 4, src.width, src.height);
    libyuv::ARGBScale(argb.data(), src.width * 4, src.width, src.height, argb_small.data(), info.resized_w * 4,
                      info.resized_w, info.resized_h, libyuv::kFilterBilinear);
    libyuv::ARGBToRGB24(argb_small.data(), info.resized_w * 4, out.pixels.data(), info.resized_w * 3, info.resized_w,
                        info.resized_h);
    benchmark::DoNotOptimize(out.pixels.data());
  }
  state.SetLabel(kImages[state.range(0)]);
}
BENCHMARK(BM_ResizeLibyuvArgb)->DenseRange(1, 2)->Unit(benchmark::kMillisecond);

void BM_TensorFill(benchmark::State& state) {
  Image img(640, 640, 3, 77);
  std::vector<float> tensor(640 * 640 * 3);
  TensorFillParams p;
  p.layout = state.range(0) ? TensorLayout::kNHWC : TensorLayout::kNCHW;
  for (auto _ : state) {
    if (!write_input_tensor(img, tensor.data(), p).ok()) state.SkipWithError("fill");
    benchmark::DoNotOptimize(tensor.data());
  }
  state.SetLabel(state.range(0) ? "NHWC" : "NCHW");
}
BENCHMARK(BM_TensorFill)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The whole path a detector demo runs per image: file bytes -> decode -> letterbox -> tensor.
void BM_Pipeline(benchmark::State& state) {
  const std::string path = image_path(static_cast<int>(state.range(0)));
  const auto method = static_cast<ResizeMethod>(state.range(1));
  std::vector<float> tensor(640 * 640 * 3);
  for (auto _ : state) {
    auto img = decode_image(path);
    auto lb = letterbox(img.value(), LetterboxParams{640, 640}, method);
    if (!lb.ok() || !write_input_tensor(lb->image, tensor.data(), TensorFillParams{}).ok()) state.SkipWithError("pipeline");
    benchmark::DoNotOptimize(tensor.data());
  }
  state.SetLabel(std::string(kImages[state.range(0)]) + " " + resize_method_name(method));
}
BENCHMARK(BM_Pipeline)
    ->ArgsProduct({{0, 1, 2}, {static_cast<int>(ResizeMethod::kReference), static_cast<int>(ResizeMethod::kLibyuv)}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
