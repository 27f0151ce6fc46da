#pragma once
#include <string>

namespace shiftnn::cli {

// The bundled digits model in `dir` on its held-out split (skipped when it is missing).
void show_digits_model(const std::string& dir, int threads);

}  // namespace shiftnn::cli
