#pragma once
// What the subcommands share: .npy tensors in either layout. The output rule of
// SPEC §4 (no partial or stale output file after an error) is kept by main().
#include <string>

#include <CLI/CLI.hpp>

#include "shiftnn/tensor.hpp"

namespace shiftnn::cli {

// X.npy must be float32, 4-D: N,C,H,W for nchw, N,H,W,C for nhwc.
Tensor load_tensor(const std::string& path, Layout layout);
void save_tensor(const std::string& path, const Tensor& t);

void add_info_command(CLI::App& app);
void add_shift_command(CLI::App& app);
void add_grid_sample_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_wisdom_command(CLI::App& app);
void add_run_command(CLI::App& app);

}  // namespace shiftnn::cli
