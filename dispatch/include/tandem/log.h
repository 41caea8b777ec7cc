// Tandem's loggers, both spdlog (which stays out of this header: include
// <spdlog/spdlog.h> to use them):
//  - "tandem": diagnostics, at the level TANDEM_LOG_LEVEL names (trace, debug, info,
//    warn, error, critical, off; default warn, so normal calls print nothing);
//  - "tandem.dispatch": the verbose dispatch log. With TANDEM_VERBOSE=1 (or
//    set_verbose(true)) every dispatched call writes one CSV line to stderr, after
//    a header line naming the columns (kDispatchLogHeader):
//      op,device,implementation,dtype,shapes,reason,time_us
//    device is where the kernel ran; reason says why this device and implementation
//    were chosen and why the ones before it were passed over; time_us is the wall time
//    of the whole call, transfers included. Fields with commas or quotes are quoted.
#pragma once

namespace spdlog {
class logger;
}

namespace tandem {

spdlog::logger& logger();

inline constexpr const char* kDispatchLogHeader =
    "op,device,implementation,dtype,shapes,reason,time_us";

spdlog::logger& dispatch_logger();
// Whether dispatched calls are logged: TANDEM_VERBOSE at start-up (1 or any positive
// level, true, yes, on; 0, false, no, off; anything else warns), or set_verbose().
bool verbose();
void set_verbose(bool on);

}  // namespace tandem
