#include "kernels/reference/layer_reference.hpp"
