// shiftnn: the command line of SPEC §4. Any bad argument or input: one line on
// stderr, exit status 2, and no output file left behind.
#include <cstdio>
#include <exception>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "cli_support.hpp"

int main(int argc, char** argv) {
  CLI::App app{"shiftnn: spatial-shift inference engine"};
  app.require_subcommand(1);
  shiftnn::cli::add_info_command(app);
  shiftnn::cli::add_shift_command(app);
  shiftnn::cli::add_grid_sample_command(app);
  shiftnn::cli::add_demo_command(app);
  shiftnn::cli::add_tune_command(app);
  shiftnn::cli::add_wisdom_command(app);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "shiftnn: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shiftnn: %s\n", e.what());
  }
  const std::string& out = shiftnn::cli::output_path();
  if (!out.empty()) {
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
  }
  return 2;
}
