// The `tandem` command.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include <tandem/analyzer/system_report.h>
#include <tandem/error.h>

int main(int argc, char** argv) {
  CLI::App app{"Tandem: CPU and CUDA kernels for core ML operations, measured"};
  app.require_subcommand(1);

  bool json = false;
  CLI::App* info = app.add_subcommand(
      "info", "The detected CPU (ISA, cores, caches), GPUs, and the kernels available");
  info->add_flag("--json", json, "Print JSON instead of text");

  CLI11_PARSE(app, argc, argv);
  try {
    if (info->parsed()) {
      const auto report = tandem::analyzer::collect_system_report();
      const std::string text =
          json ? tandem::analyzer::format_json(report) : tandem::analyzer::format_text(report);
      std::fputs(text.c_str(), stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem: %s\n", e.what());
    return 1;
  }
  return 0;
}
