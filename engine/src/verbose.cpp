#include "verbose.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shiftnn::detail {

bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("SHIFTNN_VERBOSE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

void verbose_log(const std::string& line) {
  std::fprintf(stderr, "shiftnn: %s\n", line.c_str());
}

}  // namespace shiftnn::detail
