// edgezoo: the command line. Thin: parses arguments and calls the library layers.
#include <cstdio>

#include "tools/edgezoo/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"edgezoo: convert, quantize, run and evaluate ONNX vision models on any CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgezoo 0.1.0");
  ez::cli::add_info(app);
  ez::cli::add_run(app);
  ez::cli::add_bench(app);
  ez::cli::add_detect(app);
  ez::cli::add_eval(app);
  ez::cli::add_quantize(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ez::cli::exit_code();
}
