// cuBLAS handles: one per (thread, device), created on first use, destroyed when the
// thread ends. Each call sets the stream and the math mode: pedantic FP32 for SGEMM (no
// TF32, so FP32 comparisons with the other kernels are fair), the default for the int8
// anchor (exact either way; pedantic could keep it off the tensor cores). Failed cuBLAS
// calls are DeviceErrors naming the call and cublasGetStatusString.
#pragma once

#include <cublas_v2.h>

#include <tandem/cuda/runtime.h>

namespace tandem::cuda::detail {

void cublas_check(cublasStatus_t status, const char* call);

// The calling thread's handle for stream.device(), bound to `stream`, in `math_mode`.
// The stream's device must be current (a DeviceScope).
cublasHandle_t cublas_handle(const Stream& stream, cublasMath_t math_mode);

}  // namespace tandem::cuda::detail

#define TANDEM_CUBLAS_CHECK(call) ::tandem::cuda::detail::cublas_check((call), #call)
