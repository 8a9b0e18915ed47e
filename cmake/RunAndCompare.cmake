# cmake -DPROGRAM=<exe> [-DEMULATOR=<list>] -DEXPECTED=<file> -P RunAndCompare.cmake
# Runs PROGRAM (through EMULATOR, e.g. node for wasm) and fails unless it
# exits 0 and its standard output equals EXPECTED exactly.
execute_process(COMMAND ${EMULATOR} ${PROGRAM}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}\n${out}\n${err}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "output differs from ${EXPECTED}\n--- got:\n${out}\n--- expected:\n${expected}")
endif()
message(STATUS "output matches ${EXPECTED}")
