// Selection, in order:
//  1. a forced implementation (Options::implementation) runs, or the call fails
//     saying why it cannot;
//  2. otherwise the device: the one requested (Options::device, else TANDEM_DEVICE),
//     checked against where the data lives; or, on "auto", the data's device, except
//     that host data goes to GPU 0 when the cost model predicts that the best GPU
//     kernel plus the transfers beats the best CPU kernel;
//  3. on that device the first available candidate, in the registry's order or, when
//     the profile measured this op, in order of predicted time.
// Reasons are strings only when someone reads them (verbose log, errors): the common
// path allocates nothing.
#include "dispatcher.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <tandem/cost_model.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/log.h>

#include "checks.h"
#include "registry.h"

namespace tandem::detail {
namespace {

std::string op_prefix(const Call& call) { return std::string(op_name(call.op)) + ": "; }

std::string shapes_of(const Call& call) { return call.shapes(); }

// TANDEM_DEVICE, parsed once: nullopt for unset or "auto"; a bad value is kept as an
// error raised by every call that would use it.
struct EnvDevice {
  std::optional<Device> device;
  std::string error;
};

const EnvDevice& env_device() {
  static const EnvDevice parsed = [] {
    EnvDevice e;
    const char* text = std::getenv("TANDEM_DEVICE");
    if (text == nullptr || std::string(text).empty() || std::string(text) == "auto") return e;
    try {
      e.device = Device::parse(text);
    } catch (const Error& error) {
      e.error = std::string("TANDEM_DEVICE: ") + error.what() + " (cpu, cuda, cuda:N or auto)";
    }
    return e;
  }();
  return parsed;
}

// The device asked for, and by whom (for messages); nullopt: auto.
struct Request {
  std::optional<Device> device;
  const char* by = "";
};

Request requested_device(const Call& call, const Options& options) {
  if (options.device) return {options.device, "Options::device"};
  const EnvDevice& env = env_device();
  if (!env.error.empty()) throw ArgumentError(op_prefix(call) + env.error);
  return {env.device, "TANDEM_DEVICE"};
}

void require_gpu(const Call& call, Device device, const char* by) {
  const int count = cuda::device_count();
  if (count == 0) {
    throw DeviceError(op_prefix(call) + device.str() + " requested by " + by +
                      ", but no GPU is usable: " +
                      (cuda::built_with_cuda() ? cuda::unavailable_reason()
                                               : std::string("Tandem was built without CUDA")));
  }
  if (device.index < 0 || device.index >= count) {
    throw DeviceError(op_prefix(call) + device.str() + " requested by " + by + ", but there " +
                      (count == 1 ? "is 1 GPU" : "are " + std::to_string(count) + " GPUs"));
  }
}

// The candidates of one device in the order to try them: the registry's, or by
// predicted time when the profile measured this op (unmeasured ones after, in the
// registry's order). Sorted in place without allocating when there are at most
// kInline candidates (every op today), in a vector beyond that.
struct Ordered {
  static constexpr std::size_t kInline = 16;
  std::span<const KernelEntry* const> registry_order;
  std::array<const KernelEntry*, kInline> inline_sorted{};
  std::vector<const KernelEntry*> spilled;
  std::size_t sorted_size = 0;  // 0: the registry's order
  std::span<const KernelEntry* const> entries() const {
    if (sorted_size == 0) return registry_order;
    if (sorted_size <= kInline) return {inline_sorted.data(), sorted_size};
    return spilled;
  }
};

Ordered ordered_candidates(const Call& call, DeviceKind device, const CostModel& model) {
  Ordered o;
  o.registry_order = candidates(call.op, device);
  if (!model.measured(call.op)) return o;
  const std::size_t n = o.registry_order.size();
  std::span<const KernelEntry*> slots;
  if (n <= Ordered::kInline) {
    slots = std::span<const KernelEntry*>(o.inline_sorted.data(), n);
  } else {
    o.spilled.resize(n);
    slots = o.spilled;
  }
  // Each candidate's prediction once, then a stable sort of (time, registry index).
  using Keyed = std::pair<double, std::size_t>;
  std::array<Keyed, Ordered::kInline> inline_keys{};
  std::vector<Keyed> spilled_keys;
  std::span<Keyed> keys(inline_keys.data(), std::min(n, Ordered::kInline));
  if (n > Ordered::kInline) {
    spilled_keys.resize(n);
    keys = spilled_keys;
  }
  const double work = call.work();
  for (std::size_t i = 0; i < n; ++i) {
    const KernelEntry* e = o.registry_order[i];
    keys[i] = {model.measured(call.op, e->implementation)
                   ? model.predict_us(call.op, e->implementation, device, work)
                   : std::numeric_limits<double>::infinity(),
               i};
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const Keyed& x, const Keyed& y) { return x.first < y.first; });
  for (std::size_t i = 0; i < n; ++i) slots[i] = o.registry_order[keys[i].second];
  o.sorted_size = n;
  return o;
}

// The first available candidate; its predecessors' reasons appended to *why if given.
const KernelEntry* first_available(const Ordered& o, std::string* why) {
  for (const KernelEntry* e : o.entries()) {
    if (e->available()) return e;
    if (why != nullptr)
      *why += "; passed over " + e->implementation + ": " + e->unavailable_reason();
  }
  return nullptr;
}

// Says that the profile, not the registry, ordered the candidates.
std::string measured_order(const Call& call, const CostModel& model) {
  return model.measured(call.op) ? "; ordered by measured times (" + model.source() + ")"
                                 : std::string();
}

struct Choice {
  const KernelEntry* kernel = nullptr;
  Device device;
  std::string reason;  // filled only when wanted
};

std::string fixed(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// Host data on "auto": stays on the CPU unless offloading is predicted to pay.
Choice choose_for_host_data(const Call& call, const CostModel& model, bool explain) {
  Choice c{nullptr, Device::cpu(), {}};
  const Ordered on_cpu = ordered_candidates(call, DeviceKind::cpu, model);
  std::string cpu_why;
  const KernelEntry* cpu_kernel = first_available(on_cpu, explain ? &cpu_why : nullptr);
  const auto gpu_list = candidates(call.op, DeviceKind::cuda);
  if (gpu_list.empty() || cuda::device_count() == 0) {
    if (explain) {
      c.reason = gpu_list.empty() ? std::string("auto: host data, no GPU kernel for this op")
                                  : "auto: host data, no GPU (" +
                                        (cuda::built_with_cuda()
                                             ? cuda::unavailable_reason()
                                             : std::string("Tandem was built without CUDA")) +
                                        ")";
      c.reason += measured_order(call, model) + cpu_why;
    }
    c.kernel = cpu_kernel;
    return c;
  }
  const Ordered on_gpu = ordered_candidates(call, DeviceKind::cuda, model);
  std::string gpu_why;
  const KernelEntry* gpu_kernel = first_available(on_gpu, explain ? &gpu_why : nullptr);
  const double work = call.work();
  const double cpu_us =
      model.predict_us(call.op, cpu_kernel->implementation, DeviceKind::cpu, work);
  std::size_t in_bytes = 0;
  for (const std::size_t bytes : call.in_bytes) in_bytes += bytes;
  const double to_device = static_cast<double>(in_bytes + (call.out_read ? call.out_bytes : 0));
  const double move_us = model.transfer_us(to_device, static_cast<double>(call.out_bytes));
  const double gpu_us =
      model.predict_us(call.op, gpu_kernel->implementation, DeviceKind::cuda, work) + move_us;
  const bool offload = gpu_us < cpu_us;
  c.kernel = offload ? gpu_kernel : cpu_kernel;
  c.device = offload ? Device::cuda(0) : Device::cpu();
  if (explain) {
    c.reason = "auto: " + cpu_kernel->implementation + " " + fixed(cpu_us) + " us " +
               (offload ? ">" : "<=") + " " + gpu_kernel->implementation + " " +
               fixed(gpu_us - move_us) + " us + " + fixed(move_us) + " us transfer (" +
               model.source() + ")" + (offload ? ": offloaded host data" : "") +
               (offload ? gpu_why : cpu_why);
  }
  return c;
}

Choice choose(const Call& call, Device data, const Options& options, bool explain) {
  const CostModel& model = cost_model();
  // 1. A forced implementation.
  if (!options.implementation.empty()) {
    const KernelEntry* e = find_kernel(call.op, options.implementation);
    if (e == nullptr) {
      std::string names;
      for (const DeviceKind d : {DeviceKind::cpu, DeviceKind::cuda}) {
        for (const KernelEntry* k : candidates(call.op, d)) {
          names += (names.empty() ? "" : ", ") + k->implementation;
        }
      }
      throw ArgumentError(op_prefix(call) + "unknown implementation '" + options.implementation +
                          "' for " + shapes_of(call) + " (" + std::string(op_name(call.op)) +
                          " has " + names + ")");
    }
    if (options.device && options.device->kind != e->device) {
      throw ArgumentError(op_prefix(call) + "Options::device " + options.device->str() +
                          " contradicts the forced implementation " + e->implementation);
    }
    if (!e->available()) {
      throw DeviceError(op_prefix(call) + e->implementation +
                        " cannot run here: " + e->unavailable_reason());
    }
    Device run = Device::cpu();
    if (e->device == DeviceKind::cuda) {
      run = data.is_cuda()
                ? data
                : (options.device && options.device->is_cuda() ? *options.device : Device::cuda(0));
    }
    if (data.is_cuda() && run != data) {
      throw DeviceError(op_prefix(call) + e->implementation + " cannot run on data on " +
                        data.str() + " (" + shapes_of(call) + "); move it with to()");
    }
    if (run.is_cuda()) require_gpu(call, run, "the forced implementation");
    return {e, run, explain ? "forced by Options::implementation" : std::string()};
  }
  // 2. The device.
  const Request request = requested_device(call, options);
  Device run = data;
  std::string why;
  if (request.device) {
    const Device want = *request.device;
    if (data.is_cuda() && want != data) {
      throw DeviceError(op_prefix(call) + want.str() + " requested by " + request.by +
                        ", but the data is on " + data.str() + " (" + shapes_of(call) +
                        "); move it with to()");
    }
    if (want.is_cuda()) {
      require_gpu(call, want, request.by);
      if (candidates(call.op, DeviceKind::cuda).empty()) {
        throw DeviceError(op_prefix(call) + "no GPU kernel for " + shapes_of(call) + " (" +
                          want.str() + " requested by " + request.by + ")");
      }
    }
    run = want;
    if (explain) why = want.str() + " requested by " + request.by;
  } else if (data.is_cpu()) {
    return choose_for_host_data(call, model, explain);
  } else if (explain) {
    why = "data on " + data.str();
  }
  // 3. The implementation.
  const Ordered list = ordered_candidates(call, run.kind, model);
  if (explain) why += measured_order(call, model);
  const KernelEntry* e = first_available(list, explain ? &why : nullptr);
  if (e == nullptr) {
    std::string reasons;
    first_available(list, &reasons);
    throw DeviceError(op_prefix(call) + "no implementation can run " + shapes_of(call) + " on " +
                      run.str() + reasons);
  }
  return {e, run, std::move(why)};
}

// Host operands to the GPU, the kernel, the outputs back.
void run_offloaded(const KernelEntry& kernel, Call& call, int device) {
  Call on_gpu = call;
  on_gpu.cuda_device = device;
  cuda::DeviceBuffer in[Call::kInputs];
  for (int i = 0; i < Call::kInputs; ++i) {
    if (call.in[i] == nullptr || call.in_bytes[i] == 0) continue;
    in[i] = cuda::DeviceBuffer(device, call.in_bytes[i]);
    cuda::copy_host_to_device(device, in[i].get(), call.in[i], call.in_bytes[i]);
    on_gpu.in[i] = in[i].get();
  }
  cuda::DeviceBuffer out;
  if (call.out != nullptr && call.out_bytes > 0) {
    out = cuda::DeviceBuffer(device, call.out_bytes);
    if (call.out_read) cuda::copy_host_to_device(device, out.get(), call.out, call.out_bytes);
    on_gpu.out = out.get();
  }
  kernel.run(on_gpu);
  if (out.get() != nullptr) cuda::copy_device_to_host(device, call.out, out.get(), call.out_bytes);
  call.result = on_gpu.result;
  call.scale = on_gpu.scale;
}

// A CSV field: quoted when it holds a comma, a quote or a newline.
std::string csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string q = "\"";
  for (const char ch : field) {
    q += ch;
    if (ch == '"') q += '"';
  }
  return q + "\"";
}

void log_call(const Call& call, const Choice& choice, double us) {
  static std::once_flag header;
  spdlog::logger& log = dispatch_logger();
  std::call_once(header, [&] { log.info(kDispatchLogHeader); });
  log.info("{},{},{},{},{},{},{}", op_name(call.op), choice.device.str(),
           choice.kernel->implementation, csv(call.dtypes), csv(shapes_of(call)),
           csv(choice.reason), fixed(us));
}

}  // namespace

void dispatch(Call& call, Device data_device, const Options& options) {
  const bool explain = verbose();
  const auto start =
      explain ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  require_valid_options(op_name(call.op).data(), options);
  call.threads = options.threads;
  call.blocking = options.blocking;
  const Choice choice = choose(call, data_device, options, explain);
  if (choice.device.is_cuda() && data_device.is_cpu()) {
    run_offloaded(*choice.kernel, call, choice.device.index);
  } else {
    call.cuda_device = choice.device.index;
    choice.kernel->run(call);
  }
  if (explain) {
    const std::chrono::duration<double, std::micro> us = std::chrono::steady_clock::now() - start;
    log_call(call, choice, us.count());
  }
}

}  // namespace tandem::detail
