// shiftnn wisdom show | clear: what the planner remembers, and forgetting it.
#include <cstdio>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "shiftnn/planner.hpp"

namespace shiftnn::cli {

void add_wisdom_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("wisdom", "Show or clear the planner's wisdom file");
  cmd->require_subcommand(1);
  cmd->fallthrough();  // --wisdom also after show / clear
  cmd->add_option("--wisdom", *path, "wisdom file (default SHIFTNN_WISDOM or ~/.cache)");
  const auto resolved = [path] { return path->empty() ? default_wisdom_path() : *path; };
  cmd->add_subcommand("show", "header, bandwidth table and every decision")->callback([=] {
    std::printf("%s", describe_wisdom(resolved()).c_str());
  });
  cmd->add_subcommand("clear", "remove the wisdom file")->callback([=] {
    const std::string p = resolved();
    const size_t n = clear_wisdom(p);
    std::printf("removed %s (%zu decision%s)\n", p.c_str(), n, n == 1 ? "" : "s");
  });
}

}  // namespace shiftnn::cli
