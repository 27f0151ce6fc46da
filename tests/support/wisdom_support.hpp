#pragma once
// For the planner and wisdom tests: a private wisdom directory, so that nothing a test
// does (including the default planner behind Strategy::automatic) reaches ~/.cache.
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "kernels/isa.hpp"
#include "shiftnn/planner.hpp"

namespace shiftnn::test {

struct TempWisdomDir {
  std::string dir;
  explicit TempWisdomDir(const std::string& prefix) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    dir = mkdtemp(tmpl.data());
    setenv("SHIFTNN_WISDOM", (dir + "/default.json").c_str(), 1);
  }
  ~TempWisdomDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string file(const std::string& name) const { return dir + "/" + name; }
};

inline std::string isa() {
  return kernels::isa_name(kernels::active_isa());
}

// Options that plan from the wisdom file at path alone, measuring nothing.
inline PlannerOptions reading(const std::string& path) {
  PlannerOptions o;
  o.mode = PlanMode::wisdom_only;
  o.wisdom_path = path;
  return o;
}

}  // namespace shiftnn::test
