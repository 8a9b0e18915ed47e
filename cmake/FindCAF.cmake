# FindCAF.cmake -- locate the C++ Actor Framework (CAF 0.17) as packaged by
# Debian (libcaf-dev), which ships neither a CMake package config nor a
# pkg-config file.
#
# Components: core (always searched), io, openssl.
#
# Imported targets (names as upstream CAF's own CMake package uses them):
#   CAF::core     libcaf_core + Threads::Threads
#   CAF::io       libcaf_io (depends on CAF::core)
#   CAF::openssl  libcaf_openssl (depends on CAF::io)
#
# Result variables:
#   CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIRS, CAF_LIBRARIES,
#   CAF_<comp>_FOUND, CAF_<COMP>_LIBRARY
#
# Hints: CAF_ROOT (CMake >= 3.12 honours <Pkg>_ROOT) or CMAKE_PREFIX_PATH.
#
# Notes for this code base (checked with g++ 12 and CAF 0.17.6):
# - CAF 0.17's headers compile cleanly with -std=c++20 -Wall -Wextra
#   -Wpedantic; no extra flag is needed.
# - The include directory is /usr/include on Debian, so it is an implicit
#   (system) include directory: CAF's headers never produce warnings in our
#   targets. Should CAF live elsewhere, the include directory is still marked
#   SYSTEM (imported targets' include directories are SYSTEM by default).

include(FindPackageHandleStandardArgs)

find_path(CAF_INCLUDE_DIR
  NAMES caf/config.hpp
  DOC "Directory containing caf/config.hpp")

set(CAF_VERSION "")
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  if(_caf_version_line MATCHES "CAF_VERSION ([0-9]+)")
    set(_caf_v "${CMAKE_MATCH_1}")
    math(EXPR _caf_major "${_caf_v} / 10000")
    math(EXPR _caf_minor "(${_caf_v} / 100) % 100")
    math(EXPR _caf_patch "${_caf_v} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
  endif()
  unset(_caf_version_line)
  unset(_caf_v)
endif()

# core is always looked for; it is what every other component builds on.
set(_caf_components core ${CAF_FIND_COMPONENTS})
list(REMOVE_DUPLICATES _caf_components)

foreach(_comp IN LISTS _caf_components)
  string(TOUPPER "${_comp}" _COMP)
  find_library(CAF_${_COMP}_LIBRARY
    NAMES caf_${_comp}
    DOC "Path to libcaf_${_comp}")
  mark_as_advanced(CAF_${_COMP}_LIBRARY)
  if(CAF_${_COMP}_LIBRARY AND CAF_INCLUDE_DIR)
    set(CAF_${_comp}_FOUND TRUE)
  else()
    set(CAF_${_comp}_FOUND FALSE)
  endif()
endforeach()
mark_as_advanced(CAF_INCLUDE_DIR)

# CAF::core needs threads (its scheduler runs worker threads).
if(NOT TARGET Threads::Threads)
  set(THREADS_PREFER_PTHREAD_FLAG ON)
  if(CAF_FIND_QUIETLY)
    find_package(Threads QUIET)
  else()
    find_package(Threads)
  endif()
endif()

find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_CORE_LIBRARY CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
  set(CAF_LIBRARIES "")

  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  list(APPEND CAF_LIBRARIES CAF::core)

  if(CAF_io_FOUND AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_io_FOUND)
    list(APPEND CAF_LIBRARIES CAF::io)
  endif()

  if(CAF_openssl_FOUND AND NOT TARGET CAF::openssl)
    add_library(CAF::openssl UNKNOWN IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
  if(CAF_openssl_FOUND)
    list(APPEND CAF_LIBRARIES CAF::openssl)
  endif()
endif()

unset(_caf_components)
unset(_comp)
unset(_COMP)
