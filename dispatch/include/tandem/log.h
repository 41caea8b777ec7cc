// Tandem's logger: spdlog's "tandem", at the level TANDEM_LOG_LEVEL names (trace,
// debug, info, warn, error, critical, off; default warn, so normal calls print
// nothing). spdlog stays out of this header: include <spdlog/spdlog.h> to use it.
#pragma once

namespace spdlog {
class logger;
}

namespace tandem {

spdlog::logger& logger();

}  // namespace tandem
