#pragma once
// SHIFTNN_VERBOSE=1: one line on stderr per executed operation, naming the
// strategy and kernel that ran and its time, like ONEDNN_VERBOSE.
#include <string>

namespace shiftnn::detail {

bool verbose();  // read once from the environment
void verbose_log(const std::string& line);

}  // namespace shiftnn::detail
