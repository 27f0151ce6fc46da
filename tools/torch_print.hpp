#pragma once
// Prints a 4-D tensor the way PyTorch prints it (as the seed article shows it).
#include <string>

#include "shiftnn/tensor.hpp"

namespace shiftnn::cli {

std::string torch_format(const Tensor& t);  // nchw logical order

}  // namespace shiftnn::cli
