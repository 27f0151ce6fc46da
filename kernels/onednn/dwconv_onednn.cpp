// PLACEHOLDER: being written (strategy dwconv).
#include "kernels/onednn/dwconv_onednn.hpp"
namespace shiftnn::kernels {
struct DwconvShift::Impl {};
DwconvShift::DwconvShift(const ShiftGeometry&, int) : impl_(std::make_unique<Impl>()) {}
DwconvShift::~DwconvShift() = default;
void DwconvShift::run(const float*, float*) const {}
std::string DwconvShift::name() const { return "dwconv_onednn"; }
}  // namespace shiftnn::kernels
