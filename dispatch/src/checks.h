// Input checks shared by the operations. Each throws the documented error type with
// a message that starts with the operation's name and shows the shapes.
#pragma once

#include <tandem/dtype.h>
#include <tandem/ops.h>
#include <tandem/options.h>
#include <tandem/tensor.h>

namespace tandem::detail {

// "[128, 64] f32 on cpu"
std::string describe(const Tensor& t);

void require_defined(const char* op, const Tensor& t);
void require_dtype(const char* op, const Tensor& t, DType dtype);
void require_rank(const char* op, const Tensor& t, std::int64_t rank);
void require_same_shape(const char* op, const Tensor& a, const Tensor& b);
void require_same_device(const char* op, const Tensor& a, const Tensor& b);
// defined and f32: what every float operation asks of each input.
void require_f32_input(const char* op, const Tensor& t);
// The uint8 quantized ops run on the host only (so far): a DeviceError elsewhere.
void require_host(const char* op, const Tensor& t);
// Defined values of a quantized dtype (i8, i16, u8) with a zero point that fits it: 0
// for the symmetric types, [0, 255] for u8.
void require_quantized(const char* op, const QuantizedTensor& q);
// require_f32_input for both, equal shapes, same device.
void require_f32_pair(const char* op, const Tensor& a, const Tensor& b);

// Options a call may run with: threads and blocking values not negative. Also reads
// the environment the CPU kernels run under (TANDEM_MAX_CPU_ISA), so that a bad value
// there is reported as this op's error.
void require_valid_options(const char* op, const Options& options);

}  // namespace tandem::detail
