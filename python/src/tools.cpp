// What is around the ops: info(), the verbose dispatch log, time_kernel with its
// statistics, and batch_apply with a Python function.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <tandem/analyzer/system_report.h>
#include <tandem/error.h>
#include <tandem/log.h>
#include <tandem/ops.h>
#include <tandem/timing.h>
#include <tandem/version.h>

#include "arrays.h"
#include "bindings.h"
#include "options.h"

namespace tandem::python {
namespace {

using namespace nb::literals;

// A Python exception raised by batch_apply's function on a worker thread, carried to
// the calling thread (only its GIL-holding part touches it).
struct CallbackFailed : std::exception {
  const char* what() const noexcept override { return "batch_apply: the function raised"; }
};

nb::object batch_apply_py(nb::handle batch, nb::callable fn, int workers,
                          const nb::kwargs& kwargs) {
  const Options options = parse_options("batch_apply", kwargs);
  const Borrowed bb = borrow("batch_apply", "batch", batch);
  const Shape& shape = bb.tensor.shape();
  const std::int64_t row_elements =
      shape.rank() == 0 || shape[0] == 0 ? 1 : shape.numel() / shape[0];
  std::optional<nb::python_error> raised;  // touched with the GIL held only
  const RowFunction row_function = [&](const float* x, float* y, std::int64_t n) {
    nb::gil_scoped_acquire gil;
    try {
      // The block as a read-only array of whole rows over the batch's own memory
      // (the batch array owns it, so the view stays valid if fn keeps it).
      std::vector<std::size_t> dims(shape.dims().begin(), shape.dims().end());
      dims[0] = static_cast<std::size_t>(n / row_elements);
      const nb::ndarray<nb::numpy, const float> block(x, dims.size(), dims.data(), batch);
      nb::object result = fn(block);
      nb::ndarray<const float, nb::c_contig, nb::device::cpu> values;
      if (!nb::try_cast(result, values, true)) {
        throw DTypeError("batch_apply: the function returned a " +
                         std::string(nb::str(result.type().attr("__name__")).c_str()) +
                         ", not an array convertible to float32");
      }
      if (values.size() != static_cast<std::size_t>(n)) {
        throw ShapeError("batch_apply: the function returned " + std::to_string(values.size()) +
                         " elements for a block of " + std::to_string(n) +
                         " (it must keep the shape)");
      }
      std::memcpy(y, values.data(), static_cast<std::size_t>(n) * sizeof(float));
    } catch (nb::python_error& e) {
      if (!raised) raised.emplace(std::move(e));
      throw CallbackFailed();
    }
  };
  try {
    Tensor out;
    {
      nb::gil_scoped_release release;
      out = batch_apply(bb.tensor, row_function, workers, options);
    }
    return to_array(out, bb.framework);
  } catch (const CallbackFailed&) {
    raised->restore();
    throw nb::python_error();
  }
}

nb::tuple time_kernel_py(nb::callable fn, nb::args args, std::optional<TimingOptions> timing,
                         const nb::kwargs& kwargs) {
  auto timed = time_kernel([&] { return fn(*args, **kwargs); }, timing.value_or(TimingOptions{}));
  return nb::make_tuple(std::move(timed.result), timed.stats);
}

}  // namespace

void bind_tools(nb::module_& m) {
  m.attr("__version__") = TANDEM_VERSION_STRING;

  m.def(
      "_info_json", [] { return analyzer::format_json(analyzer::collect_system_report()); },
      "What `tandem info` reports, as JSON text.");
  m.def(
      "_info_text", [] { return analyzer::format_text(analyzer::collect_system_report()); },
      "What `tandem info` prints.");
  m.def("set_verbose", &set_verbose, "on"_a,
        "Log every dispatched call as one CSV line on stderr (op, device, implementation, "
        "dtype, shapes, reason, time_us), as TANDEM_VERBOSE=1 does.");
  m.def("verbose", &verbose, "Whether dispatched calls are logged.");

  nb::class_<TimingOptions>(m, "TimingOptions",
                            "How time_kernel repeats: warm-ups, then at "
                            "least min_repetitions and min_seconds.")
      .def(
          "__init__",
          [](TimingOptions* self, int warmups, int min_repetitions, double min_seconds,
             int max_repetitions) {
            new (self) TimingOptions{warmups, min_repetitions, min_seconds, max_repetitions};
          },
          nb::kw_only(), "warmups"_a = 2, "min_repetitions"_a = 5, "min_seconds"_a = 0.05,
          "max_repetitions"_a = 1'000'000)
      .def_rw("warmups", &TimingOptions::warmups)
      .def_rw("min_repetitions", &TimingOptions::min_repetitions)
      .def_rw("min_seconds", &TimingOptions::min_seconds)
      .def_rw("max_repetitions", &TimingOptions::max_repetitions);

  nb::class_<TimingStats>(m, "TimingStats", "Per-call times in microseconds.")
      .def_ro("min_us", &TimingStats::min_us)
      .def_ro("median_us", &TimingStats::median_us)
      .def_ro("mean_us", &TimingStats::mean_us)
      .def_ro("stddev_us", &TimingStats::stddev_us)
      .def_ro("max_us", &TimingStats::max_us)
      .def_ro("repetitions", &TimingStats::repetitions)
      .def("__repr__", [](const TimingStats& s) {
        return "TimingStats(median_us=" + std::to_string(s.median_us) +
               ", min_us=" + std::to_string(s.min_us) + ", mean_us=" + std::to_string(s.mean_us) +
               ", stddev_us=" + std::to_string(s.stddev_us) +
               ", max_us=" + std::to_string(s.max_us) +
               ", repetitions=" + std::to_string(s.repetitions) + ")";
      });

  m.def("time_kernel", &time_kernel_py, "fn"_a, "args"_a, nb::kw_only(), "timing"_a = nb::none(),
        "kwargs"_a,
        "Calls fn(*args, **kwargs): warm-ups, then repetitions each timed on its own; returns "
        "(the last call's result, TimingStats).");
  m.def("timer_overhead_us", &timer_overhead_us,
        "The median time of timing an empty call: the floor under every time_kernel figure.");

  m.def("batch_apply", &batch_apply_py, "batch"_a, "fn"_a, "workers"_a, "options"_a,
        "fn applied to row blocks of batch (float32, rank >= 1, rows along axis 0), split "
        "into `workers` blocks run in parallel; fn takes a read-only float32 array of whole "
        "rows and returns an array of the same shape. The result equals fn on the whole "
        "batch for any row-wise fn.");
}

}  // namespace tandem::python
