#pragma once
// What every oneDNN adapter shares: one CPU engine, one stream per calling thread, and
// the OpenMP thread count oneDNN reads from the calling thread.
#include <cstdint>
#include <dnnl.hpp>
#include <unordered_map>

namespace shiftnn::kernels {

const dnnl::engine& cpu_engine();

// A stream must not be used by two threads at once: one per thread.
dnnl::stream& thread_stream();

// oneDNN with the OpenMP runtime takes its thread count from the calling thread's
// omp_get_max_threads(), both when a primitive is created and when it runs.
class OmpThreadsScope {
 public:
  explicit OmpThreadsScope(int threads);
  ~OmpThreadsScope();
  OmpThreadsScope(const OmpThreadsScope&) = delete;
  OmpThreadsScope& operator=(const OmpThreadsScope&) = delete;

 private:
  int saved_;
};

// A new f32 memory (format a) holding a copy of values[0, count): biases, scales, shifts.
dnnl::memory copy_to_memory(const float* values, int64_t count);

// A u8 memory over `bytes` of caller scratch, for DNNL_ARG_SCRATCHPAD (user mode).
dnnl::memory scratchpad_memory(void* scratch, size_t bytes);

// Runs prim on the calling thread's stream and waits. scratch (scratch_bytes bytes, user
// scratchpad) goes in only when the primitive asked for some: it may be null otherwise.
void execute_with_scratch(const dnnl::primitive& prim, std::unordered_map<int, dnnl::memory> args,
                          void* scratch, size_t scratch_bytes);

}  // namespace shiftnn::kernels
