// The gain that justifies the oneDNN fast paths: reference vs fast kernel on the convolutions that
// dominate YOLO-family detectors at 416x416 / 640x640 (3x3 stride 1 and 2, 1x1, depthwise 3x3),
// the FusedConv (conv + SiLU) that the fusion passes produce, and a classifier-head Gemm.
// Run: ./build/bench/conv_bench [--benchmark_filter=Conv] ; arguments are (case, threads, fast).
// Each benchmark reports wall time and GFLOP/s (2 * MACs) so that cases of different sizes compare.
// On a shared 2-core machine the 2-thread rows are only meaningful when nothing else runs: an
// OpenMP team whose second thread is descheduled waits a whole time slice at every barrier.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ops/channels_last.h"
#include "ops/registry.h"
#include "ops/x86/conv1x1.h"
#include "ops/x86/cpu_features.h"
#include "ops/x86/winograd_f43.h"

namespace {

using namespace ez;
using namespace ez::ops;

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute one_int(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute str(const std::string& s) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = s;
  return a;
}

Tensor random_tensor(Shape s) {
  static std::mt19937 rng(1);
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(s));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

struct ConvCase {
  const char* name;
  int64_t c, hw, m, k, stride, group;
};

// Shapes taken from yolov8n / yolox_nano: stem, C2f bottlenecks, downsampling, 1x1 mixing, the
// depthwise convs of yolox-nano, and the 80-class head.
const ConvCase kConvs[] = {
    {"stem 3->16 3x3 s2 @416", 3, 416, 16, 3, 2, 1},
    {"32->32 3x3 @104", 32, 104, 32, 3, 1, 1},
    {"64->64 3x3 @52", 64, 52, 64, 3, 1, 1},
    {"64->128 3x3 s2 @52", 64, 52, 128, 3, 2, 1},
    {"128->128 1x1 @26", 128, 26, 128, 1, 1, 1},
    {"dw 64 3x3 @104", 64, 104, 64, 3, 1, 64},
    {"head 64->80 1x1 @52", 64, 52, 80, 1, 1, 1},
};

// Builds, prepares (weights constant, as in a model) and runs one kernel repeatedly.
void run_kernel(benchmark::State& state, const KernelConfig& cfg, const std::vector<Tensor>& in,
                const std::vector<bool>& constant, double flops, const std::string& label, bool always_fast = false) {
  const int threads = static_cast<int>(state.range(1));
  const bool fast = always_fast || state.range(2) != 0;
  auto k = create_kernel(cfg, fast ? KernelChoice::kFast : KernelChoice::kReference);
  if (!k.ok()) return state.SkipWithError(k.status().to_string().c_str());
  std::vector<KernelInput> kin(in.size());
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    kin[i].desc = in[i].desc();
    if (constant[i]) kin[i].value = &in[i];
    ptrs.push_back(&in[i]);
  }
  std::vector<TensorDesc> descs(1);
  Status s = (*k)->infer(kin, &descs);
  if (s.ok()) s = (*k)->prepare(kin);
  if (!s.ok()) return state.SkipWithError(s.to_string().c_str());
  std::vector<Tensor> out = {Tensor::zeros(descs[0].dtype, descs[0].shape)};
  ThreadPool pool(threads);
  pool.activate();  // oneDNN sizes its OpenMP team from the calling thread, as the Session does
  const RunContext ctx{&pool};
  for (auto _ : state) {
    if (!(*k)->run(ptrs, out, ctx).ok()) return state.SkipWithError("run failed");
    benchmark::DoNotOptimize(out[0].raw());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(label + " [" + (*k)->impl_name() + ", " + std::to_string(threads) + "T]");
}

KernelConfig conv_config(const ConvCase& cc, const char* op) {
  KernelConfig cfg;
  cfg.op_type = op;
  cfg.num_inputs = 3;
  const int64_t p = cc.k / 2;
  cfg.attrs.set("kernel_shape", ints({cc.k, cc.k}));
  cfg.attrs.set("strides", ints({cc.stride, cc.stride}));
  cfg.attrs.set("pads", ints({p, p, p, p}));
  cfg.attrs.set("group", one_int(cc.group));
  return cfg;
}

double conv_flops(const ConvCase& cc) {
  const int64_t out = (cc.hw + 2 * (cc.k / 2) - cc.k) / cc.stride + 1;
  return 2.0 * out * out * cc.m * (cc.c / cc.group) * cc.k * cc.k;
}

void BM_Conv(benchmark::State& state) {
  const ConvCase& cc = kConvs[state.range(0)];
  KernelConfig cfg = conv_config(cc, "Conv");
  const std::vector<Tensor> in = {random_tensor({1, cc.c, cc.hw, cc.hw}), random_tensor({cc.m, cc.c / cc.group, cc.k, cc.k}),
                                  random_tensor({cc.m})};
  run_kernel(state, cfg, in, {false, true, true}, conv_flops(cc), cc.name);
}

// Conv + SiLU as one kernel (the fast path applies SiLU as a oneDNN post-op, the reference as a loop).
void BM_FusedConvSilu(benchmark::State& state) {
  const ConvCase& cc = kConvs[state.range(0)];
  KernelConfig cfg = conv_config(cc, "FusedConv");
  cfg.attrs.set("activation", str("Silu"));
  const std::vector<Tensor> in = {random_tensor({1, cc.c, cc.hw, cc.hw}), random_tensor({cc.m, cc.c / cc.group, cc.k, cc.k}),
                                  random_tensor({cc.m})};
  run_kernel(state, cfg, in, {false, true, true}, conv_flops(cc), cc.name);
}

// [1, 1280] x [1000, 1280]^T + [1000]: memory bound, so the gain comes from packed weights.
void BM_GemmClassifierHead(benchmark::State& state) {
  KernelConfig cfg;
  cfg.op_type = "Gemm";
  cfg.num_inputs = 3;
  cfg.attrs.set("transB", one_int(1));
  const std::vector<Tensor> in = {random_tensor({1, 1280}), random_tensor({1000, 1280}), random_tensor({1000})};
  run_kernel(state, cfg, in, {false, true, true}, 2.0 * 1280 * 1000, "1x1280 * 1280x1000");
}

// Attention-style batched MatMul: [12, 197, 64] x [12, 64, 197] (both operands computed at run time).
void BM_MatMulBatched(benchmark::State& state) {
  KernelConfig cfg;
  cfg.op_type = "MatMul";
  cfg.num_inputs = 2;
  const std::vector<Tensor> in = {random_tensor({12, 197, 64}), random_tensor({12, 64, 197})};
  run_kernel(state, cfg, in, {false, false}, 2.0 * 12 * 197 * 64 * 197, "12x197x64 * 12x64x197");
}

// 3x3 stride-1 FusedConv + SiLU on NHWC (how sessions run them): oneDNN's direct kernel against
// Winograd F(4,3). Shapes of YOLOv8n at 640 (C2f bottlenecks, detection heads) and smaller ones
// near the threshold of winograd::worthwhile(). Args: (case, threads, winograd).
struct NhwcCase {
  const char* name;
  int64_t c, hw, m;
};
const NhwcCase kNhwc3x3[] = {
    {"8->16 @160", 8, 160, 16},       {"12->16 @208", 12, 208, 16},    {"16->16 @160", 16, 160, 16},    {"32->32 @80", 32, 80, 32},
    {"64->64 @80", 64, 80, 64},       {"80->80 @80", 80, 80, 80},      {"64->64 @40", 64, 40, 64},
    {"128->80 @40", 128, 40, 80},     {"128->128 @20", 128, 20, 128},  {"256->64 @20", 256, 20, 64},
    {"256->256 @10", 256, 10, 256},   {"32->32 @8", 32, 8, 32},
};

void BM_Conv3x3Nhwc(benchmark::State& state) {
  const NhwcCase& cc = kNhwc3x3[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const bool wino = state.range(2) != 0;
  const double flops = 2.0 * cc.hw * cc.hw * cc.m * cc.c * 9;
  const Tensor x = random_tensor({1, cc.hw, cc.hw, cc.c}), w = random_tensor({cc.m, cc.c, 3, 3}), b = random_tensor({cc.m});
  ThreadPool pool(threads);
  pool.activate();
  if (wino) {
    if (!x86::has_avx2_fma()) return state.SkipWithError("no AVX2+FMA");
    winograd::ConvShape s;
    s.in_h = s.in_w = cc.hw, s.in_c = cc.c, s.out_c = cc.m;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    winograd::Epilogue e;
    e.act.kind = Activation::kSilu;
    const winograd::F43Conv conv(s, w.data<float>(), b.data<float>(), e);
    Tensor y = Tensor::zeros(DType::kFloat32, {1, cc.hw, cc.hw, cc.m});
    for (auto _ : state) {
      conv.run(x.data<float>(), nullptr, y.data<float>(), &pool);
      benchmark::DoNotOptimize(y.raw());
    }
    state.SetLabel(std::string(cc.name) + " [winograd" + (winograd::worthwhile(s) ? "" : ", not chosen") + ", " +
                   std::to_string(threads) + "T]");
  } else {
    // main() turned Winograd off for the kernel factories, so this is oneDNN's direct kernel.
    KernelConfig cfg = conv_config({cc.name, cc.c, cc.hw, cc.m, 3, 1, 1}, "FusedConv");
    cfg.attrs.set("activation", str("Silu"));
    cfg.attrs.set(kChannelsLastAttr, one_int(1));
    run_kernel(state, cfg, {x, w, b}, {false, true, true}, flops, cc.name, /*always_fast=*/true);
    return;
  }
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// 1x1 stride-1 FusedConv + SiLU on NHWC: oneDNN's jit_1x1 with the SiLU post-op against the
// GEMM with the epilogue in registers. YOLOX-Nano / YOLOv8n shapes. Args: (case, threads, ours).
const NhwcCase kNhwc1x1[] = {
    {"16->16 @104", 16, 104, 16}, {"32->32 @52", 32, 52, 32},     {"64->64 @52", 64, 52, 64},
    {"128->64 @26", 128, 26, 64}, {"256->128 @13", 256, 13, 128}, {"64->80 @52", 64, 52, 80},
    {"192->128 @40", 192, 40, 128},
};

void BM_Conv1x1Nhwc(benchmark::State& state) {
  const NhwcCase& cc = kNhwc1x1[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const double flops = 2.0 * cc.hw * cc.hw * cc.m * cc.c;
  const Tensor x = random_tensor({1, cc.hw, cc.hw, cc.c}), w = random_tensor({cc.m, cc.c, 1, 1}), b = random_tensor({cc.m});
  if (state.range(2) == 0) {
    KernelConfig cfg = conv_config({cc.name, cc.c, cc.hw, cc.m, 1, 1, 1}, "FusedConv");
    cfg.attrs.set("activation", str("Silu"));
    cfg.attrs.set(kChannelsLastAttr, one_int(1));
    return run_kernel(state, cfg, {x, w, b}, {false, true, true}, flops, cc.name, /*always_fast=*/true);
  }
  if (!x86::has_avx2_fma()) return state.SkipWithError("no AVX2+FMA");
  ThreadPool pool(threads);
  pool.activate();
  ActivationSpec silu;
  silu.kind = Activation::kSilu;
  const conv1x1::Conv1x1 conv({cc.hw * cc.hw, cc.c, cc.m}, w.data<float>(), b.data<float>(), silu, false, false);
  Tensor y = Tensor::zeros(DType::kFloat32, {1, cc.hw, cc.hw, cc.m});
  for (auto _ : state) {
    conv.run(x.data<float>(), nullptr, y.data<float>(), &pool);
    benchmark::DoNotOptimize(y.raw());
  }
  state.SetLabel(std::string(cc.name) + " [avx2-1x1, " + std::to_string(threads) + "T]");
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// int8 3x3 depthwise in the form edgezoo's quantizer writes (u8 NHWC in and out, float
// accumulator, SiLU or none): oneDNN's jit_int8 kernel (impl 0, EDGEZOO_DW_INT8=0) against
// edgezoo's AVX-512 kernel (impl 1). Arguments: (case, threads, impl, silu).
struct DwCase {
  const char* name;
  int64_t c, hw, stride;
};
const DwCase kDepthwise[] = {{"dw 64 @52", 64, 52, 1}, {"dw 16 @104", 16, 104, 1}, {"dw 64 s2 @52", 64, 52, 2}, {"dw 128 @13", 128, 13, 1}};

// A QLinearConv in the form edgezoo's quantizer writes (uint8 NHWC in and out, float
// accumulator, SiLU when state.range(3)) on random data, run with `disable` set to 0 in the
// environment when state.range(2) is 0 (oneDNN's kernels) and unset otherwise (edgezoo's).
void run_int8_conv(benchmark::State& state, const ConvCase& cc, float w_scale, const char* disable, const std::string& label) {
  KernelConfig cfg = conv_config(cc, "QLinearConv");
  cfg.num_inputs = 9;
  cfg.attrs.set("float_accumulator", one_int(1));
  cfg.attrs.set(kChannelsLastAttr, one_int(1));
  if (state.range(3)) cfg.attrs.set("activation", str("Silu"));
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> u8(0, 255), s8(-60, 60), b32(-2000, 2000);
  Tensor x = Tensor::zeros(DType::kUInt8, {1, cc.hw, cc.hw, cc.c});
  Tensor w = Tensor::zeros(DType::kInt8, {cc.m, cc.c / cc.group, cc.k, cc.k});
  Tensor b = Tensor::zeros(DType::kInt32, {cc.m}), ws = Tensor::zeros(DType::kFloat32, {cc.m}), wz = Tensor::zeros(DType::kInt8, {cc.m});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(u8(rng));
  for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(s8(rng));
  for (int64_t i = 0; i < cc.m; ++i) b.data<int32_t>()[i] = b32(rng), ws.data<float>()[i] = w_scale;
  auto scalar = [](DType t, double v) {
    Tensor s = Tensor::zeros(t, {});
    if (t == DType::kFloat32) s.data<float>()[0] = static_cast<float>(v);
    else s.data<uint8_t>()[0] = static_cast<uint8_t>(v);
    return s;
  };
  const std::vector<Tensor> in = {x, scalar(DType::kFloat32, 0.02), scalar(DType::kUInt8, 30), w, ws, wz,
                                  scalar(DType::kFloat32, 0.05), scalar(DType::kUInt8, 10), b};
  if (state.range(2) == 0) setenv(disable, "0", 1);
  std::vector<bool> constant(in.size(), true);
  constant[0] = false;  // x
  run_kernel(state, cfg, in, constant, conv_flops(cc), label + (state.range(3) ? " silu" : ""),
             /*always_fast=*/true);
  unsetenv(disable);
}

void BM_DepthwiseInt8(benchmark::State& state) {
  const DwCase& dc = kDepthwise[state.range(0)];
  run_int8_conv(state, {dc.name, dc.c, dc.hw, dc.c, 3, dc.stride, dc.c}, 0.01f, "EDGEZOO_DW_INT8", dc.name);
}

// int8 dense convolutions in the same form: oneDNN (impl 0, EDGEZOO_CONV_INT8=0) against
// edgezoo's VNNI kernel (impl 1; 1x1 in place, other windows over a padded copy). Arguments:
// (case, threads, impl, silu).
struct DenseCase {
  const char* name;
  int64_t c, hw, m, k, stride;
};
const DenseCase kDenseInt8[] = {{"1x1 64->64 @52", 64, 52, 64, 1, 1},     {"1x1 32->32 @52", 32, 52, 32, 1, 1},
                                {"1x1 128->64 @26", 128, 26, 64, 1, 1},   {"1x1 256->256 @13", 256, 13, 256, 1, 1},
                                {"1x1 64->80 @52", 64, 52, 80, 1, 1},     {"stem 3x3 12->16 @208", 12, 208, 16, 3, 1},
                                {"stem 3x3 s2 3->16 @640", 3, 640, 16, 3, 2}};

void BM_ConvInt8(benchmark::State& state) {
  const DenseCase& cc = kDenseInt8[state.range(0)];
  run_int8_conv(state, {cc.name, cc.c, cc.hw, cc.m, cc.k, cc.stride, 1}, 0.001f, "EDGEZOO_CONV_INT8", cc.name);
}

void dense_int8_args(benchmark::internal::Benchmark* b) {
  for (int64_t c = 0; c < static_cast<int64_t>(std::size(kDenseInt8)); ++c)
    for (int64_t threads : {1, 2})
      for (int64_t silu : {0, 1})
        for (int64_t ours : {0, 1}) b->Args({c, threads, ours, silu});
}

void depthwise_args(benchmark::internal::Benchmark* b) {
  for (int64_t c = 0; c < static_cast<int64_t>(std::size(kDepthwise)); ++c)
    for (int64_t threads : {1, 2})
      for (int64_t silu : {0, 1})
        for (int64_t ours : {0, 1}) b->Args({c, threads, ours, silu});
}

void nhwc1x1_args(benchmark::internal::Benchmark* b) {
  for (int64_t c = 0; c < static_cast<int64_t>(std::size(kNhwc1x1)); ++c)
    for (int64_t threads : {1, 2})
      for (int64_t ours : {0, 1}) b->Args({c, threads, ours});
}

void nhwc_args(benchmark::internal::Benchmark* b) {
  for (int64_t c = 0; c < static_cast<int64_t>(std::size(kNhwc3x3)); ++c)
    for (int64_t threads : {1, 2})
      for (int64_t wino : {0, 1}) b->Args({c, threads, wino});
}

void conv_args(benchmark::internal::Benchmark* b) {
  for (int64_t c = 0; c < static_cast<int64_t>(std::size(kConvs)); ++c)
    for (int64_t threads : {1, 2})
      for (int64_t fast : {0, 1}) b->Args({c, threads, fast});
}
void other_args(benchmark::internal::Benchmark* b) {
  for (int64_t threads : {1, 2})
    for (int64_t fast : {0, 1}) b->Args({0, threads, fast});
}

BENCHMARK(BM_Conv)->Apply(conv_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FusedConvSilu)->Apply(conv_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv3x3Nhwc)->Apply(nhwc_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv1x1Nhwc)->Apply(nhwc1x1_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ConvInt8)->Apply(dense_int8_args)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_DepthwiseInt8)->Apply(depthwise_args)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_GemmClassifierHead)->Apply(other_args)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MatMulBatched)->Apply(other_args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // The kernel factories' fast path is oneDNN's; the NHWC rows call edgezoo's own kernels directly.
  setenv("EDGEZOO_WINOGRAD", "0", 1);
  setenv("EDGEZOO_CONV1X1", "0", 1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
