# `tandem analyze --quick` end to end: it succeeds (its physical invariants held: it
# checks them itself), its report.json validates against the schema
# (tests/validate_report.py), report.md exists, and every plot it lists is a non-empty PNG.
file(REMOVE_RECURSE "${OUT}")
# Under a sanitizer (TANDEM_SANITIZED set) timings are distorted: the invariants that
# tandem analyze checks cannot hold, and only the schema is checked.
set(analyze_mode "")
if(DEFINED ENV{TANDEM_SANITIZED})
  set(analyze_mode --unchecked)
endif()
execute_process(COMMAND "${TANDEM}" analyze --quick ${analyze_mode} --output "${OUT}" RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "tandem analyze --quick failed (${status}):\n${out}${err}")
endif()
execute_process(COMMAND "${PYTHON}" "${VALIDATOR}" "${OUT}/report.json" "${SCHEMA}"
                RESULT_VARIABLE status OUTPUT_VARIABLE vout ERROR_VARIABLE verr)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "report.json is invalid:\n${vout}${verr}")
endif()
message(STATUS "${vout}")
if(NOT EXISTS "${OUT}/report.md")
  message(FATAL_ERROR "no report.md")
endif()
file(STRINGS "${OUT}/plots.log" plots REGEX "\\.png$")
list(LENGTH plots count)
if(count LESS 5)
  message(FATAL_ERROR "expected 5 plots, got ${count}: ${plots}")
endif()
foreach(png ${plots})
  file(SIZE "${png}" size)
  file(READ "${png}" magic LIMIT 4 HEX)
  if(size LESS 1000 OR NOT magic STREQUAL "89504e47")
    message(FATAL_ERROR "${png} is not a non-empty PNG (${size} bytes, magic ${magic})")
  endif()
endforeach()
