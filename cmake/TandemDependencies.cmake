# Every dependency is a Debian package (scripts/setup.sh installs them); nothing is
# downloaded at build time.
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
# Debian's cpuinfo CMake package points at /usr/lib/lib/... and cannot be used;
# the header and library themselves are fine.
find_path(TANDEM_CPUINFO_INCLUDE_DIR cpuinfo.h REQUIRED)
find_library(TANDEM_CPUINFO_LIBRARY cpuinfo REQUIRED)
add_library(tandem_cpuinfo INTERFACE IMPORTED)
target_include_directories(tandem_cpuinfo INTERFACE ${TANDEM_CPUINFO_INCLUDE_DIR})
target_link_libraries(tandem_cpuinfo INTERFACE ${TANDEM_CPUINFO_LIBRARY})
find_package(nlohmann_json 3 REQUIRED)

if(TANDEM_BUILD_TOOLS)
  find_package(CLI11 REQUIRED)
endif()
if(TANDEM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TANDEM_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  # Benchmark anchors only: the library itself never links them.
  find_package(OpenBLAS REQUIRED)
  add_library(tandem_openblas INTERFACE)
  target_include_directories(tandem_openblas SYSTEM INTERFACE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(tandem_openblas INTERFACE ${OpenBLAS_LIBRARIES})
  # oneDNN (Debian's libdnnl-dev 2.6): its CPU threading runtime is OpenMP (libgomp,
  # the same runtime as ours), so omp_set_num_threads sets its thread count.
  # Found by its header and library, not by Debian's dnnl-config.cmake: that package
  # calls find_package(OpenCL REQUIRED) for a GPU runtime Tandem never uses, and the
  # OpenCL headers and loader are only a recommended package of libdnnl-dev.
  find_path(TANDEM_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
  find_library(TANDEM_DNNL_LIBRARY dnnl REQUIRED)
  add_library(tandem_onednn INTERFACE)
  target_include_directories(tandem_onednn SYSTEM INTERFACE ${TANDEM_DNNL_INCLUDE_DIR})
  target_link_libraries(tandem_onednn INTERFACE ${TANDEM_DNNL_LIBRARY})
  # BLIS (Debian's libblis-dev 0.9; its OpenMP build unless another is installed):
  # Debian ships no CMake package for it, so its header and library. libblis uses
  # libm without linking it.
  find_path(TANDEM_BLIS_INCLUDE_DIR blis.h REQUIRED)
  find_library(TANDEM_BLIS_LIBRARY blis REQUIRED)
  add_library(tandem_blis INTERFACE)
  target_include_directories(tandem_blis SYSTEM INTERFACE ${TANDEM_BLIS_INCLUDE_DIR})
  target_link_libraries(tandem_blis INTERFACE ${TANDEM_BLIS_LIBRARY} m)
endif()
