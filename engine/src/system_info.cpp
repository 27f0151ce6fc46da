#include "shiftnn/system_info.hpp"

#include <fstream>
#include <string>

#include <omp.h>
#include <dnnl.hpp>

#include "kernels/isa.hpp"

namespace shiftnn {
namespace {

std::string read_cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    // x86: "model name"; aarch64 kernels report no model name, only "CPU part".
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

const char* version() {
  return SHIFTNN_VERSION;
}

SystemInfo system_info() {
  SystemInfo info;
  info.cpu_model = read_cpu_model();
  info.detected_isa = kernels::isa_name(kernels::detected_isa());
  info.kernel_isa = kernels::isa_name(kernels::active_isa());
  const dnnl_version_t* v = dnnl_version();
  info.onednn_version =
      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  info.max_threads = omp_get_max_threads();
  return info;
}

}  // namespace shiftnn
