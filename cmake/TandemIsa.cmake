# The CPU paths Tandem compiles its kernels for, best first, and the flags of each:
# configuration as data. A kernel family is one source file compiled once per path;
# the copies live in namespaces tandem::cpu::<isa> (see cpu/src/kernels/isa_namespace.h).
# The list itself is the C++ one, TANDEM_CPU_ISA_LIST in tandem/cpu/isa_list.h, read here.
file(STRINGS ${PROJECT_SOURCE_DIR}/cpu/include/tandem/cpu/isa_list.h tandem_isa_line
     REGEX "^#define TANDEM_CPU_ISA_LIST\\(X\\)")
string(REGEX MATCHALL "X\\(([a-z0-9_]+)\\)" tandem_isa_items "${tandem_isa_line}")
set(TANDEM_CPU_ISAS "")
foreach(item ${tandem_isa_items})
  string(REGEX REPLACE "X\\(([a-z0-9_]+)\\)" "\\1" isa "${item}")
  list(APPEND TANDEM_CPU_ISAS ${isa})
endforeach()
if(NOT TANDEM_CPU_ISAS)
  message(FATAL_ERROR "cannot read TANDEM_CPU_ISA_LIST from cpu/include/tandem/cpu/isa_list.h")
endif()
set(TANDEM_ISA_FLAGS_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c -mbmi2)
set(TANDEM_ISA_FLAGS_avx2 -mavx2 -mfma -mf16c -mbmi2)
set(TANDEM_ISA_FLAGS_baseline "")
foreach(isa ${TANDEM_CPU_ISAS})
  if(NOT DEFINED TANDEM_ISA_FLAGS_${isa})
    message(FATAL_ERROR "TANDEM_CPU_ISA_LIST names ${isa}, which has no TANDEM_ISA_FLAGS_${isa} here")
  endif()
endforeach()

# One copy of a kernel source: compiled with `flags`, TANDEM_CPU_ISA=<name> (so that
# everything it defines lives in tandem::cpu::<name>), and added to <target>.
function(tandem_cpu_kernel_objects target source name)
  get_filename_component(family ${source} NAME_WE)
  set(objects ${target}_${family}_${name})
  add_library(${objects} OBJECT ${source})
  # -ffp-contract=off: a * b + c stays two roundings unless a kernel asks for an FMA,
  # so that stores such as float(sum) * scale + bias round as the reference does.
  target_compile_options(${objects} PRIVATE ${ARGN} -ffp-contract=off)
  target_compile_definitions(${objects} PRIVATE TANDEM_CPU_ISA=${name})
  target_include_directories(${objects} PRIVATE
    $<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES> ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${objects} PRIVATE OpenMP::OpenMP_CXX tandem_core)
  tandem_target_warnings(${objects})
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${objects}>)
  set_property(GLOBAL APPEND PROPERTY TANDEM_ISA_OBJECT_LIBRARIES ${objects})
  set_property(TARGET ${objects} PROPERTY TANDEM_ISA ${name})
endfunction()

# tandem_cpu_kernel_family(<target> <source> [EXTRA_<isa> flags...])
# Compiles <source> once per path into <target>, each copy with its path's flags,
# TANDEM_CPU_ISA=<isa>, and any extra flags given for that path (for example
# EXTRA_avx512 -mavx512vnni for the integer GEMM).
function(tandem_cpu_kernel_family target source)
  set(extra_keywords "")
  foreach(isa ${TANDEM_CPU_ISAS})
    list(APPEND extra_keywords EXTRA_${isa})
  endforeach()
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "${extra_keywords}")
  foreach(isa ${TANDEM_CPU_ISAS})
    tandem_cpu_kernel_objects(${target} ${source} ${isa} ${TANDEM_ISA_FLAGS_${isa}}
                              ${ARG_EXTRA_${isa}})
  endforeach()
endfunction()

# tandem_cpu_kernel_unit(<target> <source> <unit> <path> [flags...])
# Compiles <source> once more as a unit of <path> that only some of the path's CPUs
# have: the path's flags plus the unit's, in namespace tandem::cpu::<unit>, apart from
# the path's own copy, so that no code of the unit's can reach a CPU without it.
function(tandem_cpu_kernel_unit target source unit path)
  tandem_cpu_kernel_objects(${target} ${source} ${unit} ${TANDEM_ISA_FLAGS_${path}} ${ARGN})
endfunction()
