#pragma once
#include <string>

namespace shiftnn {

struct SystemInfo {
  std::string cpu_model;
  std::string detected_isa;  // best ISA the CPU and OS support
  std::string kernel_isa;    // ISA the kernels run (after SHIFTNN_MAX_ISA)
  std::string onednn_version;
  int max_threads = 1;
};

SystemInfo system_info();
const char* version();

}  // namespace shiftnn
