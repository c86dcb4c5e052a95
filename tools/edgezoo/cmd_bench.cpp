// edgezoo bench MODEL: model-only latency (min/median/p90/p99), throughput, load time, memory and
// a per-operator profile. Plain table by default, --json for machines.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <nlohmann/json.hpp>

#include "tools/edgezoo/cli.h"
#include "vision/image_io.h"
#include "zoo/pipeline/detector_pipeline.h"

namespace ez::cli {
namespace {

struct BenchArgs : ModelArgs {
  int runs = 50;
  int warmup = 5;
  bool json = false;
  int top = 10;
  std::string e2e_image;  // end-to-end mode: decode + pre-processing + inference + post-processing
  std::string family;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

double median_of(std::vector<double> v) { return percentile(std::move(v), 0.5); }

// A stream of frames (the same file again and again) as `eval` and video loops run it: the next
// frame is read and decoded on another thread while this one is pre-processed, inferred and
// post-processed. Returns the median wall time per frame and the median inference time within.
Result<std::pair<double, double>> pipelined_frame_ms(zoo::Detector& det, const BenchArgs& args) {
  auto decode = [&] { return vision::decode_image(args.e2e_image); };
  std::future<Result<vision::Image>> next = std::async(std::launch::async, decode);
  std::vector<double> frame, inf;
  for (int i = 0; i < args.warmup + args.runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    Result<vision::Image> img = next.get();
    if (!img.ok()) return img.status();
    next = std::async(std::launch::async, decode);
    auto r = det.detect(*img);
    if (!r.ok()) return r.status();
    if (i < args.warmup) continue;
    frame.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    inf.push_back(r->times.inference_ms);
  }
  next.wait();
  return std::make_pair(median_of(frame), median_of(inf));
}

// End to end on one picture, as an application sees it: every stage timed separately.
int run_e2e(const BenchArgs& args, const SessionOptions& sopts) {
  zoo::DetectorOptions opts;
  opts.session = sopts;
  opts.family = args.family;
  auto det = zoo::Detector::create(args.model, opts);
  if (!det.ok()) return report(det.status());
  std::vector<double> dec, pre, inf, post;
  for (int i = 0; i < args.warmup + args.runs; ++i) {
    auto r = (*det)->detect_file(args.e2e_image);
    if (!r.ok()) return report(r.status());
    if (i < args.warmup) continue;
    dec.push_back(r->times.decode_ms);
    pre.push_back(r->times.preprocess_ms);
    inf.push_back(r->times.inference_ms);
    post.push_back(r->times.postprocess_ms);
  }
  // Stage medians; the total is their sum so that the shares add up.
  const double d = median_of(dec), p = median_of(pre), n = median_of(inf), q = median_of(post), t = d + p + n + q;
  auto stream = pipelined_frame_ms(**det, args);
  if (!stream.ok()) return report(stream.status());
  const double frame = stream->first, stream_inf = stream->second;
  nlohmann::json j = {{"model", args.model}, {"image", args.e2e_image}, {"threads", (*det)->session().num_threads()},
                      {"runs", args.runs}, {"decode_ms", d}, {"preprocess_ms", p}, {"inference_ms", n},
                      {"postprocess_ms", q}, {"total_ms", t}, {"overhead_over_inference", (d + p + q) / n},
                      {"pipelined_frame_ms", frame}, {"pipelined_inference_ms", stream_inf},
                      {"pipelined_overhead_over_inference", (frame - stream_inf) / stream_inf}};
  if (args.json) {
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("end to end on %s (%s), median of %d runs, %d threads\n", args.e2e_image.c_str(),
              (*det)->layout().description.c_str(), args.runs, (*det)->session().num_threads());
  std::printf("  | stage | ms | share |\n  | --- | --- | --- |\n");
  for (auto [name, v] : std::vector<std::pair<const char*, double>>{{"decode", d}, {"pre-process", p}, {"inference", n}, {"post-process", q}})
    std::printf("  | %s | %.2f | %.1f%% |\n", name, v, 100 * v / t);
  std::printf("  | total | %.2f | |\n  overhead (decode + pre + post) = %.1f%% of inference\n", t, 100 * (d + p + q) / n);
  std::printf("  pipelined (next frame decoded during this one, as eval does): %.2f ms per frame, inference %.2f ms, "
              "overhead %.1f%% of inference\n", frame, stream_inf, 100 * (frame - stream_inf) / stream_inf);
  return 0;
}

int run_bench(const BenchArgs& args) {
  auto opts = args.session_options();
  if (!opts.ok()) return report(opts.status());
  opts->profile = false;
  if (!args.e2e_image.empty()) return run_e2e(args, *opts);
  const auto t0 = std::chrono::steady_clock::now();
  auto loaded = Session::load_file(args.model, *opts);
  if (!loaded.ok()) return report(loaded.status());
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  Session& s = **loaded;
  for (size_t i = 0; i < s.inputs().size(); ++i) {  // inputs: fixed pseudo-random data (values do not change timing)
    Tensor t = s.input_buffer(static_cast<int>(i));
    if (t.dtype() == DType::kFloat32)
      for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = static_cast<float>((k * 2654435761u) % 1000) / 1000.0f;
  }
  for (int i = 0; i < args.warmup; ++i) {
    Status st = s.run();
    if (!st.ok()) return report(st);
  }
  std::vector<double> lat;
  for (int i = 0; i < args.runs; ++i) {
    const auto a = std::chrono::steady_clock::now();
    Status st = s.run();
    if (!st.ok()) return report(st);
    lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  // A separate profiled pass (timing each operator adds a little overhead of its own).
  auto prof_opts = *opts;
  prof_opts.profile = true;
  auto profiled = Session::load_file(args.model, prof_opts);
  std::vector<StepProfile> steps;
  if (profiled.ok()) {
    for (int i = 0; i < std::max(1, args.warmup); ++i)  // first runs pay one-time costs: not profiled
      if (!(*profiled)->run().ok()) break;
    (*profiled)->reset_profile();
    for (int i = 0; i < std::max(3, args.runs / 5); ++i)
      if (!(*profiled)->run().ok()) break;
    steps = (*profiled)->profile();
  }
  std::map<std::string, std::pair<double, int>> by_op;
  double prof_total = 0;
  for (const auto& p : steps) {
    const double per_run = p.calls ? p.total_ms / p.calls : 0;
    by_op[p.op].first += per_run;
    by_op[p.op].second++;
    prof_total += per_run;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> ops(by_op.begin(), by_op.end());
  std::sort(ops.begin(), ops.end(), [](auto& a, auto& b) { return a.second.first > b.second.first; });
  std::sort(steps.begin(), steps.end(), [](const StepProfile& a, const StepProfile& b) {
    return a.total_ms / std::max(1, a.calls) > b.total_ms / std::max(1, b.calls);
  });
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double med = percentile(lat, 0.5);
  nlohmann::json j = {
      {"model", args.model},
      {"threads", s.num_threads()},
      {"runs", args.runs},
      {"load_ms", load_ms},
      {"load_breakdown_ms", {{"import", s.stats().load.import_ms}, {"shapes", s.stats().load.shapes_ms},
                             {"passes", s.stats().load.passes_ms}, {"kernels", s.stats().load.kernels_ms},
                             {"memory", s.stats().load.memory_ms}}},
      {"median_ms", med},
      {"latency_ms", {{"min", *std::min_element(lat.begin(), lat.end())}, {"median", med},
                      {"p90", percentile(lat, 0.9)}, {"p99", percentile(lat, 0.99)}}},
      {"throughput_per_s", 1000.0 / med},
      {"peak_activation_bytes", s.stats().arena_bytes},
      {"peak_rss_bytes", static_cast<int64_t>(ru.ru_maxrss) * 1024},
  };
  for (const auto& o : ops) j["profile_by_op"].push_back({{"op", o.first}, {"ms", o.second.first}, {"nodes", o.second.second}});
  for (int i = 0; i < std::min<int>(args.top, static_cast<int>(steps.size())); ++i)
    j["top_nodes"].push_back({{"node", steps[i].node}, {"op", steps[i].op}, {"impl", steps[i].impl},
                              {"shape", steps[i].shape}, {"ms", steps[i].total_ms / std::max(1, steps[i].calls)}});
  if (args.json) {
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  const LoadTimes& lt = s.stats().load;
  std::printf("model        %s\nthreads      %d\nload         %.1f ms  (import %.1f, shapes %.1f, passes %.1f, kernels %.1f, memory %.1f)\n",
              args.model.c_str(), s.num_threads(), load_ms, lt.import_ms, lt.shapes_ms, lt.passes_ms, lt.kernels_ms, lt.memory_ms);
  std::printf("latency      min %.2f  median %.2f  p90 %.2f  p99 %.2f ms  (%d runs after %d warm-up)\n",
              j["latency_ms"]["min"].get<double>(), med, j["latency_ms"]["p90"].get<double>(),
              j["latency_ms"]["p99"].get<double>(), args.runs, args.warmup);
  std::printf("throughput   %.1f inferences/s\n", 1000.0 / med);
  std::printf("memory       activations %.2f MB, peak RSS %.1f MB\n", s.stats().arena_bytes / 1e6, ru.ru_maxrss / 1024.0);
  std::printf("\nby operator (profiled run, %.2f ms in all)\n", prof_total);
  for (const auto& o : ops)
    std::printf("  %-20s %8.3f ms %5.1f%%  (%d nodes)\n", o.first.c_str(), o.second.first,
                prof_total > 0 ? 100 * o.second.first / prof_total : 0.0, o.second.second);
  std::printf("\ntop nodes\n");
  for (int i = 0; i < std::min<int>(args.top, static_cast<int>(steps.size())); ++i)
    std::printf("  %-28s %-14s %-5s %-20s %8.3f ms\n", steps[i].node.c_str(), steps[i].op.c_str(), steps[i].impl.c_str(),
                steps[i].shape.c_str(), steps[i].total_ms / std::max(1, steps[i].calls));
  return 0;
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "measure model-only latency, throughput, memory and a per-operator profile");
  auto args = std::make_shared<BenchArgs>();
  args->add_to(cmd);
  cmd->add_option("--runs", args->runs, "timed runs")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  cmd->add_option("--top", args->top, "nodes listed in the profile");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_option("--e2e", args->e2e_image, "end to end on this picture: decode, pre-process, inference, post-process");
  cmd->add_option("--family", args->family, "with --e2e: force the detector family");
  cmd->callback([args] { exit_code() = run_bench(*args); });
}

}  // namespace ez::cli
