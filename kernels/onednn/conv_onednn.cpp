#include "kernels/onednn/conv_onednn.hpp"
