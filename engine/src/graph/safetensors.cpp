#include "safetensors.hpp"
