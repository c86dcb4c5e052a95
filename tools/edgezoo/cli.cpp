#include "tools/edgezoo/cli.h"

#include <cstdio>
#include <cstdlib>

namespace ez::cli {

void ModelArgs::add_to(CLI::App* cmd) {
  cmd->add_option("model", model, "ONNX model file")->required();
  cmd->add_option("--shape", shapes, "input shape NAME=DIMS (e.g. images=1x3x640x640); repeatable");
  cmd->add_option("--threads", threads, "worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--cpus", cpus, "pin to these CPUs, e.g. 4-7 or 0,2");
  cmd->add_flag("--reference", reference, "use the plain reference kernels only");
}

namespace {
Result<std::vector<int>> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string tok = text.substr(pos, end - pos);
    const size_t dash = tok.find('-');
    char* e1 = nullptr;
    char* e2 = nullptr;
    const long a = std::strtol(tok.c_str(), &e1, 10);
    long b = a;
    if (dash != std::string::npos) b = std::strtol(tok.c_str() + dash + 1, &e2, 10);
    if (tok.empty() || a < 0 || b < a || (dash == std::string::npos ? *e1 != '\0' : (*e2 != '\0' || e1 != tok.c_str() + dash)))
      return invalid_argument("bad --cpus '" + text + "': expected a list like 0,2 or 4-7");
    for (long c = a; c <= b; ++c) cpus.push_back(static_cast<int>(c));
    pos = end + 1;
  }
  return cpus;
}
}  // namespace

Result<SessionOptions> ModelArgs::session_options() const {
  SessionOptions o;
  o.num_threads = threads;
  o.kernels = reference ? ops::KernelChoice::kReference : ops::KernelChoice::kFast;
  for (const std::string& s : shapes) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) return invalid_argument("bad --shape '" + s + "': expected NAME=1x3x640x640");
    EZ_ASSIGN_OR_RETURN(Shape shape, parse_shape(s.substr(eq + 1)));
    o.input_shapes[s.substr(0, eq)] = shape;
  }
  if (!cpus.empty()) {
    EZ_ASSIGN_OR_RETURN(std::vector<int> list, parse_cpu_list(cpus));
    if (!pin_to_cpus(list)) return invalid_argument("cannot pin to CPUs '" + cpus + "' (not present on this machine?)");
    if (o.num_threads == 0) o.num_threads = static_cast<int>(list.size());
  }
  return o;
}

int& exit_code() {
  static int code = 0;
  return code;
}

int report(const Status& s) {
  std::fprintf(stderr, "edgezoo: %s\n", s.to_string().c_str());
  return 1;
}

}  // namespace ez::cli
