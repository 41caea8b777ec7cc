#include "anchor_context.h"

#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <tandem/cpu/cpu_info.h>

#include "blis_anchor.h"

namespace tandem::bench {
namespace {

// Set, with the core OpenBLAS had picked itself, in the environment of the re-executed
// process only: it says that Tandem set OPENBLAS_CORETYPE, and stops a second re-exec.
constexpr const char* kReexecMarker = "TANDEM_BENCH_OPENBLAS_DETECTED";

// Who chose OpenBLAS's core, for the context; set by select_openblas_core.
std::string core_chosen_by = "openblas";

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// How good a core's f32 GEMM is, by the instruction set of its kernels: 3 AVX-512,
// 2 AVX2 with FMA, 1 AVX, 0 SSE; -1 for any other name (a newer library's core, left
// alone).
int core_rank(std::string_view core) {
  const auto any_of = [&](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return iequal(core, n); });
  };
  if (any_of({"SkylakeX", "Cooperlake", "SapphireRapids"})) return 3;
  if (any_of({"Haswell", "Zen"})) return 2;
  if (any_of({"Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator"})) return 1;
  if (any_of({"Unknown", "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2",
              "Penryn", "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona",
              "Nano", "Bobcat"})) {
    return 0;
  }
  return -1;
}

// The best core OPENBLAS_CORETYPE can select in 0.3.21 for this CPU, or nullptr.
// SkylakeX for AVX-512: 0.3.21 has no SapphireRapids, and its Cooperlake cannot be
// forced (force_coretype's search stops one name short of it) but has the same f32
// kernels (KERNEL.COOPERLAKE includes KERNEL.SKYLAKEX, adding only bf16 ones).
// Haswell for AVX2 on any vendor: Zen's f32 GEMM kernel is Haswell's.
const char* best_core() {
  const auto& cpu = cpu::cpu_info();
  if (cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx512vl) return "SkylakeX";
  if (cpu.avx2 && cpu.fma3) return "Haswell";
  if (cpu.avx) return "Sandybridge";
  return nullptr;
}

std::string onednn_isa_name(dnnl::cpu_isa isa) {
  using dnnl::cpu_isa;
  switch (isa) {
    case cpu_isa::all:
      return "all";
    case cpu_isa::sse41:
      return "sse41";
    case cpu_isa::avx:
      return "avx";
    case cpu_isa::avx2:
      return "avx2";
    case cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case cpu_isa::avx512_mic:
      return "avx512_mic";
    case cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case cpu_isa::avx512_core:
      return "avx512_core";
    case cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
  }
  return "unknown (" + std::to_string(static_cast<int>(isa)) + ")";
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  std::string s =
      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  if (v->hash != nullptr && *v->hash != '\0' && std::strcmp(v->hash, "N/A") != 0) {
    s += std::string(" (") + v->hash + ")";
  }
  return s;
}

}  // namespace

void select_openblas_core(char** argv) {
  const std::string running = openblas_get_corename();
  if (const char* detected = std::getenv(kReexecMarker)) {
    core_chosen_by = std::string("tandem (OpenBLAS picked ") + detected + " itself)";
    if (const char* set = std::getenv("OPENBLAS_CORETYPE");
        set == nullptr || !iequal(set, running)) {
      core_chosen_by += ", not honoured";
    }
    unsetenv(kReexecMarker);  // not inherited by anything this process starts
    return;
  }
  if (const char* user = std::getenv("OPENBLAS_CORETYPE"); user != nullptr && *user != '\0') {
    core_chosen_by = std::string("user (OPENBLAS_CORETYPE=") + user + ", " +
                     (iequal(user, running) ? "honoured)" : "not honoured)");
    return;
  }
  // Without DYNAMIC_ARCH the library has a single core and ignores the variable.
  if (std::strstr(openblas_get_config(), "DYNAMIC_ARCH") == nullptr) return;
  const char* best = best_core();
  if (best == nullptr) return;
  if (const int rank = core_rank(running); rank < 0 || rank >= core_rank(best)) {
    core_chosen_by = rank < 0 ? "openblas (a core newer than Tandem's list: left alone)"
                              : "openblas (no better core for this CPU than its own)";
    return;
  }
  std::fprintf(stderr,
               "tandem_bench: OpenBLAS picked its %s core on this CPU; re-running with "
               "OPENBLAS_CORETYPE=%s\n",
               running.c_str(), best);
  std::fflush(stderr);
  setenv("OPENBLAS_CORETYPE", best, 1);
  setenv(kReexecMarker, running.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Only on failure: carry on with OpenBLAS's own core, and say so.
  const int error = errno;
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kReexecMarker);
  core_chosen_by = std::string("openblas (re-running with OPENBLAS_CORETYPE=") + best +
                   " failed: " + std::strerror(error) + ")";
}

bool add_anchor_context() {
  // libblis exports a cblas_sgemm too: the OpenBLAS anchor's must be OpenBLAS's own,
  // the library that defines openblas_get_config.
  Dl_info cblas{}, openblas{};
  if (dladdr(reinterpret_cast<void*>(&cblas_sgemm), &cblas) == 0 ||
      dladdr(reinterpret_cast<void*>(&openblas_get_config), &openblas) == 0 ||
      cblas.dli_fbase != openblas.dli_fbase) {
    std::fprintf(stderr, "tandem_bench: cblas_sgemm comes from %s, not from OpenBLAS (%s)\n",
                 cblas.dli_fname != nullptr ? cblas.dli_fname : "?",
                 openblas.dli_fname != nullptr ? openblas.dli_fname : "?");
    return false;
  }
  benchmark::AddCustomContext("openblas_library", openblas.dli_fname);
  benchmark::AddCustomContext("openblas_corename", openblas_get_corename());
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
  benchmark::AddCustomContext("openblas_core_chosen_by", core_chosen_by);
  benchmark::AddCustomContext("onednn_version", onednn_version());
  benchmark::AddCustomContext("onednn_isa", onednn_isa_name(dnnl::get_effective_cpu_isa()));
  benchmark::AddCustomContext("blis_version", blis_version());
  benchmark::AddCustomContext("blis_arch", blis_arch());
  return true;
}

}  // namespace tandem::bench
