// What a QuantizedWeights holds (quantized_layer.h): the quantized W in the layout of
// the implementation it was prepared for, and its scales.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tandem/cpu/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/quantized_layer.h>

namespace tandem {

struct QuantizedWeights::Data {
  int bits = 8;
  std::int64_t k = 0, n = 0;
  ScaleGranularity granularity = ScaleGranularity::per_channel;
  std::vector<float> scales;   // 1 or n
  std::string implementation;  // "cpu.amx", "cpu.avx2_vnni", ..., "cuda", or "reference"
  // cpu.*: the integer GEMM's packed panels; reference: W row-major, k x n; cuda: W
  // int8 row-major, k x n, on the GPU device_values.device().
  std::optional<cpu::PackedIntegerB> packed;
  std::vector<std::int8_t> values_i8;
  std::vector<std::int16_t> values_i16;
  cuda::DeviceBuffer device_values;
};

}  // namespace tandem
