#include <cstdio>

#include "cli_support.hpp"
#include "shiftnn/system_info.hpp"

namespace shiftnn::cli {

void add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info", "CPU, detected ISA, kernel ISA, oneDNN, threads");
  cmd->callback([] {
    const SystemInfo info = system_info();
    std::printf("shiftnn %s\n", version());
    std::printf("cpu:            %s\n", info.cpu_model.c_str());
    std::printf("detected isa:   %s\n", info.detected_isa.c_str());
    std::printf("kernel isa:     %s\n", info.kernel_isa.c_str());
    std::printf("onednn:         %s\n", info.onednn_version.c_str());
    std::printf("threads:        %d\n", info.max_threads);
  });
}

}  // namespace shiftnn::cli
