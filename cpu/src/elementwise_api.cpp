#include <cstdint>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/kernels.h>

#include "kernels/tables.h"
#include "parallel.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

const ElementwiseKernels& kernels(const char* op, Isa isa) {
  return detail::select(op, isa, kElementwiseByPath);
}

// [a, a + n) and [b, b + n) share at least one element.
bool overlap(const float* a, const float* b, std::int64_t n) {
  const auto pa = reinterpret_cast<std::uintptr_t>(a);
  const auto pb = reinterpret_cast<std::uintptr_t>(b);
  const auto bytes = static_cast<std::uintptr_t>(n) * sizeof(float);
  return pa < pb + bytes && pb < pa + bytes;
}

// Streaming stores pay only for outputs beyond the last-level cache in use, and are
// used only out of place (streaming over a line just read would evict it for nothing).
bool stream(std::int64_t n, const float* out, const float* x, const float* y) {
  return n * static_cast<std::int64_t>(sizeof(float)) >= streaming_store_min_bytes() &&
         !overlap(out, x, n) && (y == nullptr || !overlap(out, y, n));
}

template <typename Kernel>
void run_binary(Kernel kernel, const float* x, const float* y, float* out, std::int64_t n,
                const RunOptions& run) {
  detail::parallel_chunks(n, run.threads, tuning::kElementwiseMinPerThread, tuning::kFloatsPerLine,
                          [&](std::int64_t begin, std::int64_t end) {
                            kernel(x + begin, y + begin, out + begin, end - begin);
                          });
}

template <typename Kernel>
void run_binary(Kernel plain, Kernel streaming, const float* x, const float* y, float* out,
                std::int64_t n, const RunOptions& run) {
  run_binary(stream(n, out, x, y) ? streaming : plain, x, y, out, n, run);
}

}  // namespace

void relu(const float* x, float* y, std::int64_t n, const RunOptions& run) {
  const auto& k = kernels("relu", run.isa);
  const auto kernel = stream(n, y, x, nullptr) ? k.relu_stream : k.relu;
  detail::parallel_chunks(
      n, run.threads, tuning::kElementwiseMinPerThread, tuning::kFloatsPerLine,
      [&](std::int64_t begin, std::int64_t end) { kernel(x + begin, y + begin, end - begin); });
}

void add(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run) {
  const auto& k = kernels("add", run.isa);
  run_binary(k.add, k.add_stream, x, y, out, n, run);
}

void multiply(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run) {
  const auto& k = kernels("multiply", run.isa);
  run_binary(k.multiply, k.multiply_stream, x, y, out, n, run);
}

void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const RunOptions& run) {
  const auto& k = kernels("squared_difference", run.isa);
  run_binary(k.squared_difference, k.squared_difference_stream, x, y, out, n, run);
}

}  // namespace tandem::cpu
