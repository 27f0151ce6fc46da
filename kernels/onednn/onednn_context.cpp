#include "kernels/onednn/onednn_context.hpp"

#include <omp.h>

#include <algorithm>
#include <cassert>

namespace shiftnn::kernels {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

OmpThreadsScope::OmpThreadsScope(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}

OmpThreadsScope::~OmpThreadsScope() {
  omp_set_num_threads(saved_);
}

dnnl::memory copy_to_memory(const float* values, int64_t count) {
  dnnl::memory m({{count}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a},
                 cpu_engine());
  std::copy(values, values + count, static_cast<float*>(m.get_data_handle()));
  return m;
}

dnnl::memory scratchpad_memory(void* scratch, size_t bytes) {
  const dnnl::memory::desc md({static_cast<dnnl::memory::dim>(bytes)}, dnnl::memory::data_type::u8,
                              dnnl::memory::format_tag::a);
  return dnnl::memory(md, cpu_engine(), scratch);
}

void execute_with_scratch(const dnnl::primitive& prim, std::unordered_map<int, dnnl::memory> args,
                          void* scratch, size_t scratch_bytes) {
  assert(scratch_bytes == 0 || scratch != nullptr);
  if (scratch_bytes > 0) {
    args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratch, scratch_bytes));
  }
  dnnl::stream& stream = thread_stream();
  prim.execute(stream, args);
  stream.wait();
}

}  // namespace shiftnn::kernels
