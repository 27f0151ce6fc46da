#include "kernels/layer_ops.hpp"
