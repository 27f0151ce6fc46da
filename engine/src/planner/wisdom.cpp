#include "wisdom.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kernels/isa.hpp"
#include "problem_key.hpp"
#include "shiftnn/error.hpp"
#include "shiftnn/system_info.hpp"

namespace shiftnn::detail {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;

const std::string& cpu_model() {
  static const std::string model = system_info().cpu_model;
  return model;
}

json header() {
  return {{"format", kFormatVersion},
          {"engine", version()},
          {"cpu", cpu_model()},
          {"isa", kernels::isa_name(kernels::active_isa())},
          {"candidate_set", candidate_set_signature()}};
}

// Empty when the file's header matches this process, else what differs.
std::string header_mismatch(const json& j) {
  const json mine = header();
  for (const auto& [field, value] : mine.items()) {
    if (!j.contains(field)) return "no '" + field + "' in its header";
    if (j.at(field) != value) {
      return field + " " + j.at(field).dump() + " (this process: " + value.dump() + ")";
    }
  }
  return "";
}

json profile_to_json(const MachineProfile& m) {
  json bw = json::array();
  for (const BandwidthPoint& p : m.bandwidth) bw.push_back({{"bytes", p.bytes}, {"gbps", p.gbps}});
  return {{"bandwidth", bw}, {"fork_us", m.fork_us}};
}

MachineProfile profile_from_json(const json& j) {
  MachineProfile m;
  m.measured = true;
  for (const json& p : j.at("bandwidth")) {
    m.bandwidth.push_back({p.at("bytes").get<double>(), p.at("gbps").get<std::vector<double>>()});
  }
  m.fork_us = j.at("fork_us").get<std::vector<double>>();
  bool ok = !m.bandwidth.empty() && !m.fork_us.empty();
  for (const BandwidthPoint& p : m.bandwidth) {
    ok = ok && p.bytes > 0 && !p.gbps.empty();
    for (double g : p.gbps) ok = ok && g > 0;
  }
  if (!ok) throw Error("bad machine table");
  return m;
}

json to_json(const WisdomData& d) {
  json j = header();
  if (d.machine) j["machine"] = profile_to_json(*d.machine);
  json entries = json::object();
  for (const auto& [key, e] : d.entries) {
    entries[key] = {
        {"plan", e.candidate.name()}, {"us", e.microseconds}, {"mode", plan_mode_name(e.mode)}};
  }
  j["entries"] = entries;
  return j;
}

// Throws (json or Error) when the structure is wrong; entries naming candidates this
// build cannot run are dropped.
WisdomData from_json(const json& j) {
  WisdomData d;
  if (j.contains("machine")) d.machine = profile_from_json(j.at("machine"));
  for (const auto& [key, e] : j.at("entries").items()) {
    WisdomEntry entry;
    if (!parse_candidate(e.at("plan").get<std::string>(), &entry.candidate)) continue;
    entry.microseconds = e.at("us").get<double>();
    entry.mode = parse_plan_mode(e.at("mode").get<std::string>());
    d.entries[key] = entry;
  }
  return d;
}

// Holds an exclusive advisory lock on PATH.lock (a separate file: PATH itself is
// replaced by rename, so a lock on it would not exclude the next writer).
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    const std::string lock_path = path + ".lock";
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw Error("cannot open wisdom lock " + lock_path + ": " + std::strerror(errno));
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        throw Error("cannot lock " + lock_path + ": " + std::strerror(errno));
      }
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

void ensure_parent(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw Error("cannot create directory " + parent.string() + ": " + ec.message());
}

// Writes text to a temporary file next to PATH, flushes it to disk and renames it over
// PATH, so readers see the old file or the new one, never a partial one.
void replace_file(const std::string& path, const std::string& text) {
  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  const int saved = errno;
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    throw Error("cannot write wisdom file " + path + ": " + why);
  }
}

}  // namespace

WisdomLoad load_wisdom(const std::string& path) {
  WisdomLoad load;
  std::ifstream f(path, std::ios::binary);
  if (!f) return load;  // missing
  std::ostringstream text;
  text << f.rdbuf();
  const json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    load.status = WisdomStatus::corrupt;
    load.reason = text.str().empty() ? "it is empty" : "it is not valid JSON (truncated?)";
    return load;
  }
  const std::string mismatch = header_mismatch(j);
  if (!mismatch.empty()) {
    load.status = WisdomStatus::mismatch;
    load.reason = mismatch;
    return load;
  }
  try {
    load.data = from_json(j);
    load.status = WisdomStatus::ok;
  } catch (const std::exception& e) {
    load.data = {};
    load.status = WisdomStatus::corrupt;
    load.reason = std::string("its contents are malformed (") + e.what() + ")";
  }
  return load;
}

void warn_about(const std::string& path, const WisdomLoad& load) {
  if (load.status != WisdomStatus::corrupt && load.status != WisdomStatus::mismatch) return;
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::string line = load.status == WisdomStatus::corrupt
                               ? "shiftnn: warning: wisdom file " + path +
                                     " is unusable: " + load.reason +
                                     "; ignored, it will be rebuilt"
                               : "shiftnn: warning: wisdom file " + path +
                                     " was tuned elsewhere: " + load.reason + "; set aside";
  std::lock_guard<std::mutex> lock(mutex);
  if (warned.insert(line).second) std::fprintf(stderr, "%s\n", line.c_str());
}

WisdomData merge_wisdom(const std::string& path, const WisdomData& mine) {
  ensure_parent(path);
  FileLock lock(path);
  WisdomLoad on_disk = load_wisdom(path);
  if (on_disk.status == WisdomStatus::corrupt || on_disk.status == WisdomStatus::mismatch) {
    warn_about(path, on_disk);
    std::error_code ignored;
    fs::rename(path, path + ".bad", ignored);
  }
  WisdomData merged = std::move(on_disk.data);
  for (const auto& [key, entry] : mine.entries) merged.entries[key] = entry;
  if (mine.machine) merged.machine = mine.machine;
  replace_file(path, to_json(merged).dump(2) + "\n");
  return merged;
}

size_t remove_wisdom(const std::string& path) {
  FileLock lock(path);
  const WisdomLoad load = load_wisdom(path);
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error("cannot remove " + path + ": " + ec.message());
  return load.data.entries.size();
}

}  // namespace shiftnn::detail

namespace shiftnn {

std::string describe_wisdom(const std::string& path) {
  using detail::WisdomStatus;
  const detail::WisdomLoad load = detail::load_wisdom(path);
  std::ostringstream out;
  out << "wisdom file: " << path << "\n";
  switch (load.status) {
    case WisdomStatus::missing:
      out << "no wisdom yet (shiftnn tune writes it)\n";
      return out.str();
    case WisdomStatus::corrupt:
      out << "unusable: " << load.reason << " (the next tune rebuilds it)\n";
      return out.str();
    case WisdomStatus::mismatch:
      out << "tuned elsewhere: " << load.reason << " (the next tune sets it aside)\n";
      return out.str();
    case WisdomStatus::ok:
      break;
  }
  const nlohmann::json h = detail::header();
  out << "format " << h["format"] << ", engine " << version() << ", isa "
      << kernels::isa_name(kernels::active_isa()) << ", candidate set "
      << detail::candidate_set_signature() << "\ncpu: " << detail::cpu_model() << "\n";
  char line[512];
  if (load.data.machine) {
    const detail::MachineProfile& m = *load.data.machine;
    out << "copy bandwidth (GB/s, bytes read + written), threads 1.." << m.max_threads() << ":\n";
    for (const detail::BandwidthPoint& p : m.bandwidth) {
      std::snprintf(line, sizeof line, "  %10.0f KB:", p.bytes / 1e3);
      out << line;
      for (double g : p.gbps) {
        std::snprintf(line, sizeof line, " %7.1f", g);
        out << line;
      }
      out << "\n";
    }
    out << "  parallel region (us):";
    for (double f : m.fork_us) {
      std::snprintf(line, sizeof line, " %7.2f", f);
      out << line;
    }
    out << "\n";
  } else {
    out << "copy bandwidth: not measured (estimates use the built-in table)\n";
  }
  out << load.data.entries.size() << " decision" << (load.data.entries.size() == 1 ? "" : "s")
      << ":\n";
  for (const auto& [key, e] : load.data.entries) {
    std::snprintf(line, sizeof line, "  %-64s %-22s %10.1f us  %s\n", key.c_str(),
                  e.candidate.name().c_str(), e.microseconds, plan_mode_name(e.mode));
    out << line;
  }
  return out.str();
}

size_t clear_wisdom(const std::string& path) {
  return detail::remove_wisdom(path);
}

}  // namespace shiftnn
