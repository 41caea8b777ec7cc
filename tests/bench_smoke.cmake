# Runs the smallest matmul benchmarks and checks that the JSON holds the reference
# and the OpenBLAS anchor side by side, each with its GFLOP/s counter.
execute_process(
  COMMAND ${BENCH} --benchmark_filter=^matmul/f32/.*/64x64x64$ --benchmark_min_time=0.01
          --benchmark_out=${OUT} --benchmark_out_format=json
  RESULT_VARIABLE status OUTPUT_QUIET)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "tandem_bench exited with ${status}")
endif()
file(READ ${OUT} json)
foreach(impl reference openblas)
  string(JSON count LENGTH "${json}" benchmarks)
  set(found FALSE)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON bench_name GET "${json}" benchmarks ${i} name)
    if(bench_name STREQUAL "matmul/f32/${impl}/64x64x64")
      string(JSON gflops GET "${json}" benchmarks ${i} "GFLOP/s")
      if(gflops GREATER 0)
        set(found TRUE)
      endif()
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "no matmul/f32/${impl}/64x64x64 with a GFLOP/s counter in ${OUT}")
  endif()
endforeach()
message(STATUS "reference and openblas matmul found in ${OUT}")
