#include "options.h"

#include <cstdint>
#include <string>
#include <tuple>

#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <tandem/error.h>

namespace tandem::python {

namespace nb = nanobind;

namespace {

template <typename T>
T cast_option(const char* op, const std::string& name, nb::handle value, const char* expected) {
  T result{};
  if (!nb::try_cast(value, result)) {
    const std::string got = nb::str(value.type().attr("__name__")).c_str();
    throw nb::type_error(
        (std::string(op) + "(): " + name + " must be " + expected + ", got " + got).c_str());
  }
  return result;
}

}  // namespace

Options parse_options(const char* op, const nb::kwargs& kwargs) {
  Options options;
  for (auto [key, value] : kwargs) {
    const std::string name = nb::str(key).c_str();
    if (name == "device") {
      if (!value.is_none())
        options.device = Device::parse(cast_option<std::string>(op, name, value, "a str"));
    } else if (name == "implementation") {
      if (!value.is_none())
        options.implementation = cast_option<std::string>(op, name, value, "a str");
    } else if (name == "threads") {
      options.threads = cast_option<int>(op, name, value, "an int");
    } else if (name == "blocking") {
      if (!value.is_none()) {
        using Triple = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
        const auto [mc, kc, nc] = cast_option<Triple>(op, name, value, "(mc, kc, nc)");
        options.blocking = {mc, kc, nc};
      }
    } else {
      throw nb::type_error((std::string(op) + "() got an unexpected keyword argument '" + name +
                            "' (options: device, implementation, threads, blocking)")
                               .c_str());
    }
  }
  return options;
}

}  // namespace tandem::python
