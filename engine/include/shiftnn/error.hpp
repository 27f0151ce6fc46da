#pragma once
#include <stdexcept>
#include <string>

namespace shiftnn {

// Every error raised at the library boundary: a one-line message naming what is wrong.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace shiftnn
