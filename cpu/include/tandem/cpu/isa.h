// The CPU instruction-set paths. Every kernel family is compiled once per path with
// that path's compiler flags; at run time the best path that was built and that this
// CPU supports is used, unless capped.
//
// The cap comes from TANDEM_MAX_CPU_ISA=avx512|avx2|baseline or set_max_isa(), and
// is fixed the first time best_isa() is asked (as oneDNN's ONEDNN_MAX_CPU_ISA is).
// Kernels can also be called on an explicit path, which is how the tests run every
// path this CPU supports in one process. last_isa() says which path the calling
// thread's last kernel really ran on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tandem/cpu/isa_list.h>

namespace tandem::cpu {

namespace detail {
// Positions in TANDEM_CPU_ISA_LIST, best first.
#define TANDEM_ISA_POSITION(isa) isa##_position,
enum IsaPosition : std::uint8_t { TANDEM_CPU_ISA_LIST(TANDEM_ISA_POSITION) kIsaCount };
#undef TANDEM_ISA_POSITION
}  // namespace detail

// The paths, ordered so that a better path compares greater (baseline lowest).
#define TANDEM_ISA_ENUMERATOR(isa) isa = detail::kIsaCount - 1 - detail::isa##_position,
enum class Isa : std::uint8_t { TANDEM_CPU_ISA_LIST(TANDEM_ISA_ENUMERATOR) };
#undef TANDEM_ISA_ENUMERATOR

// Best first: the order of TANDEM_CPU_ISA_LIST.
std::span<const Isa> all_isas();

std::string_view isa_name(Isa isa);  // "avx512", "avx2", "baseline"
// Accepts isa_name()'s names; nullopt for anything else.
std::optional<Isa> parse_isa(std::string_view name);

// What each path needs of the CPU (checked with cpuinfo, which also checks that the
// OS saves the registers): avx2 = AVX2 + FMA3; avx512 = AVX-512 F, BW, DQ and VL.
bool isa_supported(Isa isa);
// AVX-512 VNNI, which the avx512 path of the integer GEMM needs in addition.
bool has_avx512_vnni();
// AMX-TILE and AMX-INT8, with the tile state enabled by the OS and granted to this
// process (Linux 5.16+ hands it out on request: asked once, here): the int8 GEMM's
// cpu.amx kernels, which also need the avx512 path.
bool has_amx_int8();
// AVX-VNNI (vpdpbusd and vpdpwssd on 256-bit vectors, VEX-encoded): the avx2 path's
// cpu.avx2_vnni integer GEMM, for CPUs with AVX2 and AVX-VNNI but no AVX-512 (Intel's
// client cores since Alder Lake); cpuinfo does not report it.
bool has_avx_vnni();

// The integer GEMM's units: the path's own vectors, or one of the two units a path has
// only on some CPUs, each with its own kernels and packed layout:
//   amx       int8 on AMX tiles (avx512 path; int16 stays on its VNNI vectors)
//   avx_vnni  int8 and int16 on AVX-VNNI (avx2 path)
enum class IgemmUnit : std::uint8_t { vectors, avx_vnni, amx };
// The path the unit belongs to, or nullopt for vectors (every path).
std::optional<Isa> igemm_unit_path(IgemmUnit unit);
// Whether the integer GEMM can run on `isa` with `unit` here: the path supported (with
// AVX-512 VNNI on avx512), and a unit other than vectors belongs to it and is present.
bool igemm_unit_supported(Isa isa, IgemmUnit unit);
// The implementation's name: "cpu.amx", "cpu.avx2_vnni", or "cpu.<isa>" (vectors).
std::string igemm_implementation(Isa isa, IgemmUnit unit);

// The cap (default avx512, or TANDEM_MAX_CPU_ISA). An unknown TANDEM_MAX_CPU_ISA
// value is an ArgumentError when the cap is first read.
Isa max_isa();
// Sets the cap; an ArgumentError once best_isa() has been fixed.
void set_max_isa(Isa cap);

// The best path supported here and not above the cap; chosen once, then cached.
Isa best_isa();

// The path the calling thread's most recent kernel ran on; nullopt before any.
std::optional<Isa> last_isa();
// The unit the calling thread's most recent integer GEMM ran on (vectors before any).
IgemmUnit last_igemm_unit();

namespace detail {
void set_last_isa(Isa isa);
void set_last_igemm_unit(IgemmUnit unit);
}  // namespace detail

}  // namespace tandem::cpu
