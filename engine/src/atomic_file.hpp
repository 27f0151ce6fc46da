#pragma once
#include <string>

namespace shiftnn::detail {

// Writes `bytes` to a temporary file beside `path`, then renames it into place: readers
// see the old file or the new one, never a partial one. Throws Error naming the path.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace shiftnn::detail
