#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
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

// The dispatch log prints bare CSV lines, and its header once, before the first line.
std::shared_ptr<spdlog::logger> make_dispatch_logger() {
  auto log = spdlog::get("tandem.dispatch");
  if (!log) log = spdlog::stderr_logger_mt("tandem.dispatch");
  log->set_pattern("%v");
  log->set_level(spdlog::level::info);
  return log;
}

// TANDEM_VERBOSE: a count (0 off, any positive level on) or a word (true/false,
// yes/no, on/off, in any case). Anything else leaves the log off and says so.
bool verbose_from_env() {
  const char* env = std::getenv("TANDEM_VERBOSE");
  if (env == nullptr || *env == '\0') return false;
  std::string value(env);
  for (char& ch : value) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (value == "true" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "no" || value == "off") return false;
  if (std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return value.find_first_not_of('0') != std::string::npos;
  }
  logger().warn(
      "TANDEM_VERBOSE='{}' is neither a level (0, 1, 2, ...) nor true/false, yes/no, "
      "on/off; the dispatch log stays off",
      env);
  return false;
}

std::atomic<bool>& verbose_flag() {
  static std::atomic<bool> flag{verbose_from_env()};
  return flag;
}

}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> log = make_logger();
  return *log;
}

spdlog::logger& dispatch_logger() {
  static const std::shared_ptr<spdlog::logger> log = make_dispatch_logger();
  return *log;
}

bool verbose() { return verbose_flag().load(std::memory_order_relaxed); }

void set_verbose(bool on) { verbose_flag().store(on, std::memory_order_relaxed); }

}  // namespace tandem
