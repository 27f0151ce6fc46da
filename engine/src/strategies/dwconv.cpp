// dwconv: the oneDNN adapter owns the primitives; nothing to split here.
#include "executor.hpp"
#include "kernels/onednn/dwconv_onednn.hpp"

namespace shiftnn::detail {
namespace {

class DwconvExecutor final : public ShiftExecutor {
 public:
  DwconvExecutor(const kernels::ShiftGeometry& g, int threads, bool nhwc)
      : conv_(g, threads, nhwc) {}
  void run(const float* src, float* dst) const override { conv_.run(src, dst); }
  std::string kernel_name() const override { return conv_.name(); }

 private:
  kernels::DwconvShift conv_;
};

}  // namespace

std::unique_ptr<ShiftExecutor> make_dwconv_executor(const kernels::ShiftGeometry& g, int threads,
                                                    const std::string& variant) {
  return std::make_unique<DwconvExecutor>(g, threads, variant == "nhwc");
}

}  // namespace shiftnn::detail
