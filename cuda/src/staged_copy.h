// Host<->device copies of pageable host memory through pinned staging buffers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace tandem::cuda::detail {

// Copies bytes between pageable host memory and the current device, kind being
// cudaMemcpyHostToDevice or cudaMemcpyDeviceToHost; complete on return. Copies from
// or to page-locked memory, and small ones, go straight to cudaMemcpy.
void staged_copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind);

}  // namespace tandem::cuda::detail
