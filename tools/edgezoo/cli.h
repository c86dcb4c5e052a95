// Shared pieces of the `edgezoo` command line: every subcommand registers itself with add_*().
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "runtime/session.h"

namespace ez::cli {

// Options shared by commands that load a model.
struct ModelArgs {
  std::string model;
  std::vector<std::string> shapes;  // NAME=1x3x640x640
  int threads = 0;
  std::string cpus;                 // "4-7" or "0,2"
  bool reference = false;
  void add_to(CLI::App* cmd);
  // Parses the shapes and pins CPUs; returns the session options.
  Result<SessionOptions> session_options() const;
};

// The process exit code, set by the subcommand that ran.
int& exit_code();

// Prints "edgezoo: <message>" to stderr and returns the exit code for it (1).
int report(const Status& s);

void add_info(CLI::App& app);
void add_run(CLI::App& app);
void add_bench(CLI::App& app);
void add_detect(CLI::App& app);
void add_eval(CLI::App& app);
void add_quantize(CLI::App& app);
void add_convert(CLI::App& app);
void add_analyze(CLI::App& app);
void add_eval_imagenet(CLI::App& eval);  // a subcommand of `eval`

}  // namespace ez::cli
