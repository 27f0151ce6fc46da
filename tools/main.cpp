// shiftnn: the command line of SPEC §4. Any bad argument or input: one line on
// stderr, exit status 2, and no output file left behind.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_support.hpp"

namespace {

// The values of --output on the command line (also when parsing failed and no command
// ran), removed after an error; except those naming a file the command reads.
std::vector<std::string> output_arguments(int argc, char** argv) {
  std::vector<std::string> outputs, inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    for (const char* flag : {"--output", "--input", "--grid"}) {
      const std::string f = flag;
      std::string value;
      if (arg == f && i + 1 < argc) {
        value = argv[i + 1];
      } else if (arg.rfind(f + "=", 0) == 0) {
        value = arg.substr(f.size() + 1);
      } else {
        continue;
      }
      (f == "--output" ? outputs : inputs).push_back(value);
    }
  }
  std::vector<std::string> removable;
  for (const std::string& out : outputs) {
    bool read = false;
    for (const std::string& in : inputs) {
      std::error_code ec;
      read = read || in == out || std::filesystem::equivalent(in, out, ec);
    }
    if (!read) removable.push_back(out);
  }
  return removable;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shiftnn: spatial-shift inference engine"};
  app.require_subcommand(1);
  shiftnn::cli::add_info_command(app);
  shiftnn::cli::add_shift_command(app);
  shiftnn::cli::add_grid_sample_command(app);
  shiftnn::cli::add_demo_command(app);
  shiftnn::cli::add_tune_command(app);
  shiftnn::cli::add_wisdom_command(app);
  shiftnn::cli::add_run_command(app);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "shiftnn: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shiftnn: %s\n", e.what());
  }
  for (const std::string& out : output_arguments(argc, argv)) {
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
  }
  return 2;
}
