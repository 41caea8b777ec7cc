# Checks the rule of cpu/src/kernels/isa_namespace.h on compiled kernel objects: every
# symbol a per-path object could share with another object (weak, or GNU unique) lives
# in that path's namespace, so the linker can never hand the AVX-512 copy of some
# inline function to the baseline path.
#   cmake -DOBJECTS=<a.o;b.o> -DISA=<avx512|avx2|baseline> -P isa_symbols.cmake
set(violations "")
foreach(object ${OBJECTS})
  execute_process(COMMAND nm -C --defined-only ${object} OUTPUT_VARIABLE symbols
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "nm failed on ${object}")
  endif()
  string(REPLACE "\n" ";" lines "${symbols}")
  foreach(line ${lines})
    # "<address> <type> <name>"; weak (W, V) and unique (u) symbols can be merged.
    if(line MATCHES "^[0-9a-f]+ ([WVu]) (.*)$")
      set(name "${CMAKE_MATCH_2}")
      # DW.ref.__gxx_personality_v0 is a pointer to the C++ runtime, not code.
      if(NOT name MATCHES "^(typeinfo (name )?for |vtable for )?tandem::cpu::${ISA}::"
         AND NOT name STREQUAL "DW.ref.__gxx_personality_v0")
        list(APPEND violations "${object}: ${line}")
      endif()
    endif()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "symbols outside tandem::cpu::${ISA} that the linker may merge:\n  ${text}")
endif()
list(LENGTH OBJECTS count)
message(STATUS "${count} object(s) of cpu.${ISA}: no mergeable symbols outside tandem::cpu::${ISA}")
