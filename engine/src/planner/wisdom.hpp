#pragma once
// The wisdom file: measured decisions and the machine's bandwidth table, as JSON.
// Readers never lock (the file is only ever replaced by rename, so a reader sees a
// whole old or a whole new file); writers take an advisory lock on PATH.lock, re-read,
// merge, write PATH.tmp.* and rename it over PATH.
#include <map>
#include <optional>
#include <string>

#include "cost_model.hpp"
#include "shiftnn/planner.hpp"

namespace shiftnn::detail {

struct WisdomEntry {
  Candidate candidate;
  double microseconds = 0;  // the winner's median when it was tuned
  PlanMode mode = PlanMode::measure;
};

struct WisdomData {
  std::map<std::string, WisdomEntry> entries;  // by problem_key()
  std::optional<MachineProfile> machine;
};

enum class WisdomStatus { ok, missing, corrupt, mismatch };

struct WisdomLoad {
  WisdomData data;  // empty unless status is ok
  WisdomStatus status = WisdomStatus::missing;
  std::string reason;  // corrupt, mismatch: one line saying why
};

// Never throws for a bad file: corrupt and mismatched files load as empty.
WisdomLoad load_wisdom(const std::string& path);
// Warns once per process about a corrupt or mismatched load (one line on stderr).
void warn_about(const std::string& path, const WisdomLoad& load);

// Under the lock: re-reads PATH, overlays `mine` (its entries replace those with the same
// key; its machine table, if any, replaces the file's) and replaces PATH atomically. A
// corrupt or mismatched file is set aside as PATH.bad first. Returns what was written.
// Throws Error when the directory or file cannot be written.
WisdomData merge_wisdom(const std::string& path, const WisdomData& mine);

// Under the lock: removes PATH. Returns how many entries it held (0 if none or unusable).
size_t remove_wisdom(const std::string& path);

}  // namespace shiftnn::detail
