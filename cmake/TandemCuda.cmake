# TANDEM_CUDA=AUTO|ON|OFF. AUTO turns CUDA on when a CUDA compiler is found.
# Having the toolkit says nothing about having a GPU: that is found at run time.
set(TANDEM_CUDA AUTO CACHE STRING "Build the CUDA kernels: AUTO, ON or OFF")
set_property(CACHE TANDEM_CUDA PROPERTY STRINGS AUTO ON OFF)

# H100 machine code, plus PTX that the driver can JIT for any newer GPU.
set(TANDEM_DEFAULT_CUDA_ARCHITECTURES "90-real;80-virtual")

set(TANDEM_HAVE_CUDA OFF)
if(TANDEM_CUDA STREQUAL "OFF")
  set(TANDEM_CUDA_STATUS "disabled by TANDEM_CUDA=OFF")
else()
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES ${TANDEM_DEFAULT_CUDA_ARCHITECTURES})
    endif()
    enable_language(CUDA)
    # CMake 3.25 knows no CUDA dialect past 17 for nvcc; nvcc 12+ accepts C++20,
    # so tell CMake the flag (a no-op for newer CMake, which knows it already).
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(TANDEM_HAVE_CUDA ON)
    set(TANDEM_CUDA_STATUS "nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}")
  elseif(TANDEM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TANDEM_CUDA=ON but no CUDA compiler was found (set CUDACXX or put nvcc on PATH)")
  else()
    set(TANDEM_CUDA_STATUS "no CUDA compiler found")
  endif()
endif()

