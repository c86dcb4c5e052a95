// edgezoo: the command line. Thin: parses arguments and calls the library layers.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tools/edgezoo/cli.h"

namespace {

constexpr const char* kSpinCount = "20000";

// OpenMP threads (ours and oneDNN's) spin at every barrier by default. On a board or a machine
// shared with other work, a spinning thread keeps the core its partner needs: measured here with
// two compile jobs running, YOLOX-Nano at 2 threads took 48-1094 ms (median) instead of 15-22 ms.
// libgomp reads its wait policy once, when it is loaded, so the only way to choose it for this
// process is in the environment before start: re-execute once with a short spin unless the user
// set a policy. Library users set OMP_WAIT_POLICY / GOMP_SPINCOUNT themselves (see README).
void choose_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT") || std::getenv("EDGEZOO_REEXECUTED")) return;
  setenv("GOMP_SPINCOUNT", kSpinCount, 1);
  setenv("EDGEZOO_REEXECUTED", "1", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run with the default policy
  unsetenv("GOMP_SPINCOUNT");
}

}  // namespace

int main(int argc, char** argv) {
  choose_openmp_wait_policy(argv);
  CLI::App app{"edgezoo: convert, quantize, run and evaluate ONNX vision models on any CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgezoo 0.1.0");
  ez::cli::add_info(app);
  ez::cli::add_run(app);
  ez::cli::add_bench(app);
  ez::cli::add_detect(app);
  ez::cli::add_eval(app);
  ez::cli::add_convert(app);
  ez::cli::add_quantize(app);
  ez::cli::add_analyze(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ez::cli::exit_code();
}
