# check.cmake -- run with `cmake -P`: install a tandem build tree into a
# scratch prefix, build tests/downstream against it with find_package(tandem),
# and run the resulting program.
#
# Required: -DTANDEM_BUILD_DIR=<tandem build tree>
#           -DDOWNSTREAM_SOURCE_DIR=<this folder>
#           -DWORK_DIR=<scratch folder, wiped first>
# Optional: -DGENERATOR= -DBUILD_TYPE= -DCXX_COMPILER= -DCXX_FLAGS=
#           -DEXE_LINKER_FLAGS=   (so sanitizer builds link their runtimes)

foreach(_var TANDEM_BUILD_DIR DOWNSTREAM_SOURCE_DIR WORK_DIR)
  if(NOT ${_var})
    message(FATAL_ERROR "check.cmake: -D${_var}=... is required")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()

set(_prefix "${WORK_DIR}/prefix")
set(_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(_step name)
  message(STATUS "downstream: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "downstream: ${name} failed (${_rc})")
  endif()
endfunction()

_step("install ${TANDEM_BUILD_DIR} into ${_prefix}"
  "${CMAKE_COMMAND}" --install "${TANDEM_BUILD_DIR}" --prefix "${_prefix}" --config "${BUILD_TYPE}")

if(NOT EXISTS "${_prefix}/include/tandem/tandem.hpp")
  message(FATAL_ERROR "downstream: ${_prefix}/include/tandem/tandem.hpp was not installed")
endif()

set(_configure_args
  -S "${DOWNSTREAM_SOURCE_DIR}" -B "${_build}"
  "-DCMAKE_PREFIX_PATH=${_prefix}"
  "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
  # Only the scratch prefix may provide tandem: not the build tree, not a
  # package registry.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND _configure_args -G "${GENERATOR}")
endif()
if(CXX_COMPILER)
  list(APPEND _configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(CXX_FLAGS)
  list(APPEND _configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(EXE_LINKER_FLAGS)
  list(APPEND _configure_args "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
endif()

_step("configure" "${CMAKE_COMMAND}" ${_configure_args})
_step("build" "${CMAKE_COMMAND}" --build "${_build}" --config "${BUILD_TYPE}")

set(_exe "${_build}/tandem_downstream")
if(NOT EXISTS "${_exe}" AND EXISTS "${_build}/${BUILD_TYPE}/tandem_downstream")
  set(_exe "${_build}/${BUILD_TYPE}/tandem_downstream")
endif()
_step("run ${_exe}" "${_exe}")
message(STATUS "downstream: find_package(tandem) + tandem::tandem OK")
