// Paths shared by the eval tests: committed fixtures (tests/eval/data) and the shared data folder.
#pragma once

#include <cstdlib>
#include <string>

namespace ez::eval::testing {

inline std::string fixture(const std::string& name) {
  std::string here = __FILE__;  // .../tests/unit/eval_test_util.h
  return here.substr(0, here.rfind('/')) + "/../eval/data/" + name;
}

inline std::string shared_data(const std::string& rel) {
  const char* env = std::getenv("EDGEZOO_DATA");
  return std::string(env && *env ? env : EDGEZOO_DATA_DEFAULT) + "/" + rel;
}

}  // namespace ez::eval::testing
