#include "kernels/onednn/layers_onednn.hpp"
