// Per-call options of the operations. The defaults choose everything.
#pragma once

#include <optional>
#include <string>

#include <tandem/cpu/kernels.h>
#include <tandem/device.h>

namespace tandem {

struct Options {
  // Where the kernel runs. nullopt is "auto": TANDEM_DEVICE if set, else the data's
  // device, except that host data may be offloaded to a GPU when the cost model
  // predicts that it pays (transfers included). Outputs always live where the
  // inputs live.
  std::optional<Device> device;
  // Force an implementation by name ("reference", "cpu.avx2", "cuda.cublas", ...;
  // `tandem info` lists them). Empty: the first candidate that accepts the call.
  std::string implementation;
  // CPU threads; 0 is OpenMP's default. (Small inputs run on fewer, see cpu/kernels.h.)
  // At most cpu::max_threads() (threads_used.h) run; negative is an ArgumentError.
  int threads = 0;
  // Cache blocking of the CPU GEMMs, in elements; zeros derive it from the caches.
  // Each value is capped at its dimension (mc at M, kc at K, nc at N); negative values
  // are an ArgumentError.
  cpu::GemmBlocking blocking;

  static Options on(Device d) {
    Options o;
    o.device = d;
    return o;
  }
  static Options using_implementation(std::string name) {
    Options o;
    o.implementation = std::move(name);
    return o;
  }
};

}  // namespace tandem
