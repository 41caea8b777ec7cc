# Runs COMMAND (a ;-list) and passes when it exits non-zero with output matching
# EXPECT: a CLI error must be both a clear message and a failing exit code (exactly
# EXPECT_CODE when given: 2 for usage errors).
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(status EQUAL 0)
  message(FATAL_ERROR "exit code 0 from: ${COMMAND}\n${out}${err}")
endif()
if(NOT "${EXPECT_CODE}" STREQUAL "" AND NOT status EQUAL "${EXPECT_CODE}")
  message(FATAL_ERROR "exit code ${status}, not ${EXPECT_CODE}, from: ${COMMAND}\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}':\n${out}${err}")
endif()
