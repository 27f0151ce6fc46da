#pragma once
// Runs the shiftnn binary (path from the SHIFTNN_CLI compile definition) through the
// shell, capturing its exit status, stdout and stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "support/test_support.hpp"

namespace shiftnn::test {

struct CliResult {
  int status = -1;  // exit status, or -1 when it did not exit normally
  std::string out, err;
};

// `env` is prefixed to the command line (e.g. "SHIFTNN_MAX_ISA=sse2"); `args` is
// passed through the shell as written. Paths from TempDir need no quoting.
inline CliResult run_cli(const TempDir& dir, const std::string& args, const std::string& env = "") {
  const std::string out = dir.file("cli.stdout"), err = dir.file("cli.stderr");
  const std::string cmd = (env.empty() ? "" : "env " + env + " ") + SHIFTNN_TEST_LAUNCHER " '" +
                          SHIFTNN_CLI + "' " + args + " >" + out + " 2>" + err;
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

inline int count_lines(const std::string& text) {
  int n = 0;
  for (char ch : text) n += ch == '\n';
  return n;
}

}  // namespace shiftnn::test
