#include <cstdlib>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <tandem/log.h>

namespace tandem {
namespace {

std::shared_ptr<spdlog::logger> make_logger() {
  auto log = spdlog::get("tandem");
  if (!log) log = spdlog::stderr_color_mt("tandem");
  log->set_level(spdlog::level::warn);
  if (const char* env = std::getenv("TANDEM_LOG_LEVEL")) {
    const auto level = spdlog::level::from_str(env);
    // from_str answers "off" for a name it does not know; only "off" itself means off.
    if (level != spdlog::level::off || std::string(env) == "off") {
      log->set_level(level);
    } else {
      log->warn("TANDEM_LOG_LEVEL='{}' is not a level; using warn", env);
    }
  }
  return log;
}

}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> log = make_logger();
  return *log;
}

}  // namespace tandem
