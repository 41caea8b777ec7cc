// Arbitrary bytes as a calibration profile: CostModel::parse either accepts them or
// throws an ArgumentError; nothing else. An accepted model predicts finite, positive
// times for every op, implementation and size.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tandem/cost_model.h>
#include <tandem/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<tandem::CostModel> model;
  try {
    model = tandem::CostModel::parse(text, "fuzz");
  } catch (const tandem::ArgumentError&) {
    return 0;
  }
  for (const tandem::Op op : tandem::all_ops()) {
    for (const auto& [key, curve] : model->curves()) {
      for (const double work : {0.0, 1.0, 1e3, 1e9, 1e15}) {
        const double us = model->predict_us(op, key.second, tandem::DeviceKind::cpu, work);
        if (!std::isfinite(us) || us < 0.0) {
          tandem::fuzz::fail("predicted " + std::to_string(us) + " us for " + key.second);
        }
      }
    }
    const double moved = model->transfer_us(1e6, 1e6);
    if (!std::isfinite(moved) || moved < 0.0) tandem::fuzz::fail("transfer time not finite");
  }
  return 0;
}
