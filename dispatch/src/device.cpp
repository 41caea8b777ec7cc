#include <charconv>
#include <string>

#include <tandem/device.h>
#include <tandem/error.h>

namespace tandem {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(std::string_view text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  constexpr std::string_view prefix = "cuda:";
  if (text.starts_with(prefix)) {
    const std::string_view digits = text.substr(prefix.size());
    int index = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
        index >= 0) {
      return cuda(index);
    }
  }
  throw ArgumentError("device: cannot parse '" + std::string(text) +
                      "' (expected cpu, cuda or cuda:N)");
}

}  // namespace tandem
