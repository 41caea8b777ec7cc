# tandem_gpu_parity without a GPU must say why and exit 2, writing nothing; with one it
# must exit 0 having written cases.json. Run by CTest with -DTOOL=... -DDIR=...
file(REMOVE_RECURSE "${DIR}")
execute_process(COMMAND "${TOOL}" "${DIR}" RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(status EQUAL 2)
  if(NOT err MATCHES "^tandem_gpu_parity: no GPU: .+")
    message(FATAL_ERROR "exit 2 without the reason:\n${out}${err}")
  endif()
  if(EXISTS "${DIR}")
    message(FATAL_ERROR "exit 2, yet ${DIR} was written")
  endif()
elseif(status EQUAL 0)
  if(NOT EXISTS "${DIR}/cases.json")
    message(FATAL_ERROR "exit 0 without ${DIR}/cases.json:\n${out}${err}")
  endif()
else()
  message(FATAL_ERROR "exit ${status}:\n${out}${err}")
endif()
