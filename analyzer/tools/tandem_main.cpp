// The `tandem` command: info, analyze, calibrate. Usage errors exit 2, failures 1.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <tandem/analyzer/analysis.h>
#include <tandem/analyzer/system_report.h>
#include <tandem/cost_model.h>
#include <tandem/error.h>
#include <tandem/version.h>

namespace fs = std::filesystem;
namespace analyzer = tandem::analyzer;

namespace {

// Progress on stderr: the step and the seconds since the command started.
std::function<void(const std::string&)> progress_printer() {
  const auto start = std::chrono::steady_clock::now();
  return [start](const std::string& step) {
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
    std::fprintf(stderr, "[%6.1f s] %s\n", t.count(), step.c_str());
  };
}

// Written beside the path, then renamed over it: a reader (or a crash) never sees a
// half-written report or profile, and a failed write leaves the old file as it was.
// A failure here (a full disk, a folder removed while measuring) is not a usage error:
// it exits 1, not 2.
void write_file(const fs::path& path, const std::string& text) {
  const fs::path partial = path.string() + ".partial";
  std::ofstream out(partial, std::ios::binary);
  const int open_errno = errno;
  out << text;
  out.close();
  std::error_code ec;
  if (!out) {
    const int failure = errno != 0 ? errno : open_errno;
    fs::remove(partial, ec);
    throw tandem::Error("cannot write " + path.string() + ": " + std::strerror(failure));
  }
  fs::rename(partial, path, ec);
  if (ec) throw tandem::Error("cannot write " + path.string() + ": " + ec.message());
}

// The plot script: installed beside the executable (bin/../share/tandem), else the
// source tree's (a build tree's executable).
fs::path plot_script() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share/tandem/plot_report.py";
    if (fs::exists(installed, ec)) return installed;
  }
  return TANDEM_PLOT_SCRIPT;
}

// A folder that exists (made if needed) and can be written to.
void prepare_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw tandem::ArgumentError("cannot create the output folder " + dir.string() + ": " +
                                (ec ? ec.message() : "not a folder"));
  }
  const fs::path probe = dir / ".tandem-write-test";
  errno = 0;
  std::ofstream test(probe);
  if (!test) {
    throw tandem::ArgumentError("the output folder " + dir.string() +
                                " is not writable: " + std::strerror(errno != 0 ? errno : EACCES));
  }
  test.close();
  fs::remove(probe, ec);
}

// An existing file the run would replace must be one this user may write: replacing a
// read-only file by renaming over it would be legal, and a surprise.
void require_replaceable(const fs::path& file) {
  if (::access(file.c_str(), F_OK) == 0 && ::access(file.c_str(), W_OK) != 0) {
    throw tandem::ArgumentError(file.string() +
                                " exists and is not writable: " + std::strerror(errno));
  }
}

std::optional<tandem::Device> parse_device(const std::string& text) {
  if (text.empty() || text == "all") return std::nullopt;
  return tandem::Device::parse(text);
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run_analyze(bool quick, bool unchecked, const std::string& device, const std::string& output) {
  analyzer::AnalyzeOptions options;
  options.quick = quick;
  options.device = parse_device(device);
  options.progress = progress_printer();
  const fs::path dir(output);
  prepare_folder(dir);
  for (const char* name : {"report.json", "report.md"}) require_replaceable(dir / name);
  // A report that breaks a physical invariant says something untrue: kept for
  // inspection under another name, never written as the report. A shared VM can steal a
  // core for the length of one ceiling's measurement, so the whole analysis is run once
  // more before giving up; the attempt that failed is reported either way.
  constexpr int kAttempts = 2;
  nlohmann::json report;
  for (int attempt = 1;; ++attempt) {
    report = analyzer::analyze(options);
    const std::vector<std::string> violations = analyzer::report_violations(report);
    if (violations.empty()) break;
    if (unchecked) {
      std::fprintf(stderr, "tandem: --unchecked: writing a report that breaks %zu invariant(s)\n",
                   violations.size());
      break;
    }
    write_file(dir / "report.rejected.json", report.dump(2) + "\n");
    std::fprintf(stderr, "tandem: the measurements break %zu invariant(s):\n", violations.size());
    for (const std::string& v : violations) std::fprintf(stderr, "  %s\n", v.c_str());
    if (attempt == kAttempts) {
      std::fprintf(stderr,
                   "tandem: no report written; the rejected one is %s (a busy machine is the "
                   "usual cause: see its noise.load_average_*)\n",
                   (dir / "report.rejected.json").c_str());
      return 1;
    }
    std::fprintf(stderr, "tandem: measuring again (attempt %d of %d)\n", attempt + 1, kAttempts);
  }
  write_file(dir / "report.json", report.dump(2) + "\n");
  write_file(dir / "report.md", analyzer::format_markdown(report));
  options.progress("plots (matplotlib)");
  const std::string command =
      fmt::format("{} {} {} {} > {} 2>&1", quoted(TANDEM_PYTHON3), quoted(plot_script().string()),
                  quoted((dir / "report.json").string()), quoted(dir.string()),
                  quoted((dir / "plots.log").string()));
  const int plot_status = std::system(command.c_str());
  std::fputs(analyzer::format_summary(report).c_str(), stdout);
  std::printf("wrote %s, %s and the plots listed in %s\n", (dir / "report.md").c_str(),
              (dir / "report.json").c_str(), (dir / "plots.log").c_str());
  if (plot_status != 0) {
    std::fprintf(stderr,
                 "tandem: the plot step failed (see %s); is python3-matplotlib installed?\n",
                 (dir / "plots.log").c_str());
    return 1;
  }
  return 0;
}

int run_calibrate(bool quick, const std::string& device, const std::string& output) {
  analyzer::AnalyzeOptions options;
  options.quick = quick;
  options.device = parse_device(device);
  options.progress = progress_printer();
  const fs::path path(output.empty() ? tandem::CostModel::default_path() : output);
  if (path.empty()) throw tandem::ArgumentError("no output path: give --output or set HOME");
  // The output is checked before minutes of measuring, not after.
  if (fs::is_directory(path) || !path.has_filename()) {  // "dir/" names a folder too
    throw tandem::ArgumentError("calibrate: --output " + path.string() +
                                " is a folder; give the profile's file path");
  }
  prepare_folder(path.parent_path().empty() ? fs::path(".") : path.parent_path());
  require_replaceable(path);
  const nlohmann::json profile = analyzer::calibrate(options);
  write_file(path, profile.dump(2) + "\n");
  std::printf(
      "wrote the cost profile %s (%zu kernels); the dispatcher loads it from "
      "TANDEM_PROFILE or the default path %s\n",
      path.c_str(), profile["kernels"].size(), tandem::CostModel::default_path().c_str());
  return 0;
}

}  // namespace

// The exit code of a usage error (as CLI11's own tools and most Unix tools use).
constexpr int kUsageError = 2;

int main(int argc, char** argv) {
  CLI::App app{"Tandem: CPU and CUDA kernels for core ML operations, measured"};
  app.name("tandem");
  app.set_version_flag("--version", std::string("tandem ") + TANDEM_VERSION_STRING);
  app.require_subcommand(0, 1);

  bool json = false;
  CLI::App* info = app.add_subcommand(
      "info", "The detected CPU (ISA, cores, caches), GPUs, and the kernel registry");
  info->add_flag("--json", json, "Print JSON instead of text");

  bool quick = false;
  std::string device;
  std::string output = "tandem-report";
  CLI::App* analyze = app.add_subcommand(
      "analyze",
      "Measure every target (ceilings, matmul scaling, cache, vectorization, threads, "
      "quantization, roofline) and write report.md, report.json and PNG plots");
  analyze->add_flag("--quick", quick, "Small sizes and budgets (seconds)");
  bool unchecked = false;
  analyze->add_flag("--unchecked", unchecked,
                    "Write the report even when it breaks a physical invariant (for "
                    "instrumented builds, such as sanitizers, whose timings mean nothing)");
  analyze->add_option("--device", device, "cpu, cuda:N or all (default: all)");
  analyze->add_option("--output", output, "Folder for the report (default: tandem-report)");

  bool cal_quick = false;
  std::string cal_device;
  std::string cal_output;
  CLI::App* calibrate = app.add_subcommand(
      "calibrate", "Measure every implementation and write the dispatcher's cost profile");
  calibrate->add_flag("--quick", cal_quick, "Fewer sizes and shorter budgets");
  calibrate->add_option("--device", cal_device, "cpu, cuda:N or all (default: all)");
  calibrate->add_option("--output", cal_output,
                        "Profile path (default: $TANDEM_PROFILE, else "
                        "$XDG_CONFIG_HOME/tandem/profile.json or ~/.config/tandem/profile.json)");

  const auto is_command = [&](const std::string& word) {
    return word == info->get_name() || word == analyze->get_name() || word == calibrate->get_name();
  };
  if (argc >= 2 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr, "tandem: unknown command '%s' (commands: info, analyze, calibrate)\n",
                 argv[1]);
    return kUsageError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "tandem: %s\nrun 'tandem --help' for usage\n", e.what());
    return kUsageError;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    if (info->parsed()) {
      const auto report = analyzer::collect_system_report();
      const std::string text = json ? analyzer::format_json(report) : analyzer::format_text(report);
      std::fputs(text.c_str(), stdout);
      return 0;
    }
    if (analyze->parsed()) return run_analyze(quick, unchecked, device, output);
    if (calibrate->parsed()) return run_calibrate(cal_quick, cal_device, cal_output);
  } catch (const tandem::ArgumentError& e) {
    std::fprintf(stderr, "tandem: %s\n", e.what());
    return kUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem: %s\n", e.what());
    return 1;
  }
  return 0;
}
