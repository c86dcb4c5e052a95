// edgezoo run MODEL [--input NAME=file.npy] [--shape NAME=dims] [--output-dir DIR]
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/npy.h"
#include "tools/edgezoo/cli.h"

namespace ez::cli {
namespace {

struct RunArgs : ModelArgs {
  std::vector<std::string> inputs;  // NAME=file.npy
  std::string output_dir;
};

// A deterministic input (the same on every machine): floats uniform in [0,1) from a 64-bit LCG,
// integers in [0,10), bools alternating.
Tensor synthetic_input(const TensorDesc& d) {
  Tensor t = Tensor::zeros(d.dtype, d.shape);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / static_cast<double>(1ull << 53);
  };
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double u = next();
    switch (d.dtype) {
      case DType::kFloat32: t.data<float>()[i] = static_cast<float>(u); break;
      case DType::kFloat64: t.data<double>()[i] = u; break;
      case DType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(u * 10); break;
      case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(u * 10); break;
      case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(u * 256); break;
      case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(u * 256 - 128); break;
      case DType::kBool: t.data<bool>()[i] = (i % 2) == 0; break;
      default: break;  // zeros
    }
  }
  return t;
}

std::string file_safe(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  return s;
}

int run_model(RunArgs& args) {
  auto opts = args.session_options();
  if (!opts.ok()) return report(opts.status());
  std::map<std::string, Tensor> given;
  for (const std::string& spec : args.inputs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) return report(invalid_argument("bad --input '" + spec + "': expected NAME=file.npy"));
    auto t = read_npy(spec.substr(eq + 1));
    if (!t.ok()) return report(t.status());
    // A given tensor fixes its input's shape unless --shape already did.
    opts->input_shapes.emplace(spec.substr(0, eq), t->shape());
    given[spec.substr(0, eq)] = std::move(t).value();
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto session = Session::load_file(args.model, *opts);
  if (!session.ok()) return report(session.status());
  const auto t1 = std::chrono::steady_clock::now();
  Session& s = **session;
  for (const auto& kv : given)
    if (s.input_index(kv.first) < 0) return report(not_found("--input names '" + kv.first + "', which is not an input of the model"));
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    const IOInfo& io = s.inputs()[i];
    auto it = given.find(io.name);
    const Tensor value = it != given.end() ? it->second : synthetic_input(io.desc);
    if (it == given.end()) std::printf("input  %-20s %s (synthetic, uniform [0,1))\n", io.name.c_str(), io.desc.to_string().c_str());
    else std::printf("input  %-20s %s\n", io.name.c_str(), io.desc.to_string().c_str());
    Status st = s.set_input(static_cast<int>(i), value);
    if (!st.ok()) return report(st);
  }
  Status st = s.run();
  if (!st.ok()) return report(st);
  const auto t2 = std::chrono::steady_clock::now();
  if (!args.output_dir.empty()) {
    struct stat sb;
    if (stat(args.output_dir.c_str(), &sb) != 0 && mkdir(args.output_dir.c_str(), 0755) != 0)
      return report(io_error("cannot create output folder '" + args.output_dir + "'"));
  }
  for (size_t o = 0; o < s.outputs().size(); ++o) {
    const Tensor& out = s.output(static_cast<int>(o));
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t i = 0; i < out.numel(); ++i) {
      const double v = out.at_double(i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    std::printf("output %-20s %s min %.6g max %.6g mean %.6g\n", s.outputs()[o].name.c_str(), out.desc().to_string().c_str(),
                lo, hi, out.numel() ? sum / out.numel() : 0.0);
    if (!args.output_dir.empty()) {
      st = write_npy(args.output_dir + "/" + file_safe(s.outputs()[o].name) + ".npy", out);
      if (!st.ok()) return report(st);
    }
  }
  std::printf("load %.1f ms, run %.1f ms, threads %d, activations %.2f MB\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              std::chrono::duration<double, std::milli>(t2 - t1).count(), s.num_threads(), s.stats().arena_bytes / 1e6);
  return 0;
}

}  // namespace

void add_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "run a model once on given (.npy) or synthetic inputs and save the outputs");
  auto args = std::make_shared<RunArgs>();
  args->add_to(cmd);
  cmd->add_option("--input", args->inputs, "input NAME=file.npy; repeatable (default: synthetic)");
  cmd->add_option("--output-dir,-o", args->output_dir, "write each output as DIR/<name>.npy");
  cmd->callback([args] { exit_code() = run_model(*args); });
}

}  // namespace ez::cli
