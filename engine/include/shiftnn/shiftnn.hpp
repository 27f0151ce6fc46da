#pragma once
#include "shiftnn/error.hpp"
#include "shiftnn/grid_sample.hpp"
#include "shiftnn/npy.hpp"
#include "shiftnn/shift.hpp"
#include "shiftnn/shift_spec.hpp"
#include "shiftnn/system_info.hpp"
#include "shiftnn/tensor.hpp"
