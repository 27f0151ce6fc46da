// PLACEHOLDER: being written (grid sample reference).
#include "kernels/reference/reference.hpp"
namespace shiftnn::kernels::reference {
void grid_sample(const GridSampleArgs&) {}
}  // namespace shiftnn::kernels::reference
