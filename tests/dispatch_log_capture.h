// Captures the verbose dispatch log of the calls made while it lives, as CSV rows.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <tandem/log.h>

namespace tandem::testing {

// Splits one CSV line ("a,\"b, c\",d" -> a | b, c | d); "" inside quotes is a quote.
inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted && ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += ch;
    }
  }
  return fields;
}

class DispatchLogCapture {
 public:
  DispatchLogCapture()
      : was_verbose_(verbose()),
        saved_sinks_(dispatch_logger().sinks()),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    sink_->set_pattern("%v");
    dispatch_logger().sinks() = {sink_};
    set_verbose(true);
  }
  ~DispatchLogCapture() {
    set_verbose(was_verbose_);
    dispatch_logger().sinks() = saved_sinks_;
  }
  DispatchLogCapture(const DispatchLogCapture&) = delete;
  DispatchLogCapture& operator=(const DispatchLogCapture&) = delete;

  // The logged calls (the header line, if it came now, left out), as fields.
  std::vector<std::vector<std::string>> rows() const {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text_.str());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line == kDispatchLogHeader) continue;
      out.push_back(csv_fields(line));
    }
    return out;
  }
  std::vector<std::string> last() const {
    const auto all = rows();
    return all.empty() ? std::vector<std::string>() : all.back();
  }

 private:
  bool was_verbose_;
  std::vector<spdlog::sink_ptr> saved_sinks_;
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// Column indices of kDispatchLogHeader.
enum Column { kOp = 0, kDevice, kImplementation, kDtype, kShapes, kReason, kTimeUs, kColumns };

}  // namespace tandem::testing
