# TandemWasm.cmake -- settings for building tandem with Emscripten (em++).
# Included from the top-level CMakeLists.txt only when EMSCRIPTEN is set.
#
# Facts this relies on (Debian 12, emscripten 3.1.6, node 20):
# - /usr/include must never be on em++'s include path (glibc headers break the
#   emscripten sysroot). Header-only libraries from /usr/include are exposed
#   through a build-dir folder of symlinks instead (tandem_wasm_include_dir).
# - Linking at -O1 and above runs emscripten's JS optimizer in node, which needs
#   NODE_PATH=/usr/share/nodejs to find Debian's acorn module. The presets set
#   it; as a fallback for plain `cmake --build` the link step is wrapped with
#   `cmake -E env NODE_PATH=...` (CMAKE_CXX_LINKER_LAUNCHER).
# - Node 20 has a global fetch(), and the generated loader then tries to
#   fetch() the .wasm from a file path and fails: run node with
#   --no-experimental-fetch. emcmake's default emulator
#   (node;--experimental-wasm-threads) is rejected by node 20.

# -- Header-only dependencies without /usr/include ---------------------------
set(tandem_wasm_include_dir "${CMAKE_BINARY_DIR}/wasm-include")
file(MAKE_DIRECTORY "${tandem_wasm_include_dir}")
foreach(_dep IN ITEMS boost nlohmann rapidjson)
  if(EXISTS "/usr/include/${_dep}" AND NOT EXISTS "${tandem_wasm_include_dir}/${_dep}")
    file(CREATE_LINK "/usr/include/${_dep}" "${tandem_wasm_include_dir}/${_dep}" SYMBOLIC)
  endif()
endforeach()
unset(_dep)

# -- Flags for everything built in this project ------------------------------
# Exceptions: the whole program must agree, so compile and link everything
# with the same model. Default: WebAssembly's own exception handling
# (-fwasm-exceptions; node >= 17, every current browser): with emscripten's
# JS-based model (-fexceptions) every call that may unwind through a
# destructor leaves wasm for a JS trampoline (invoke_*), which made actor
# messages 3-6x slower than with native wasm exceptions (bench/run-wasm).
set(TANDEM_WASM_EXCEPTIONS "wasm" CACHE STRING
  "Exception handling under emscripten: wasm (-fwasm-exceptions) or js (-fexceptions)")
set_property(CACHE TANDEM_WASM_EXCEPTIONS PROPERTY STRINGS wasm js)
if(TANDEM_WASM_EXCEPTIONS STREQUAL "js")
  set(TANDEM_WASM_EH_FLAG -fexceptions)
elseif(TANDEM_WASM_EXCEPTIONS STREQUAL "wasm")
  set(TANDEM_WASM_EH_FLAG -fwasm-exceptions)
else()
  message(FATAL_ERROR "TANDEM_WASM_EXCEPTIONS must be wasm or js, not '${TANDEM_WASM_EXCEPTIONS}'")
endif()
add_compile_options(${TANDEM_WASM_EH_FLAG})
add_link_options(${TANDEM_WASM_EH_FLAG} -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1)
# The default stack of emscripten 3.1.6 is TOTAL_STACK=5MB, plenty for the
# tests. (From 3.1.27 on the default is 64 KiB and the option is STACK_SIZE.)

# -- NODE_PATH for the link step ---------------------------------------------
set(TANDEM_NODE_PATH "/usr/share/nodejs" CACHE PATH
  "NODE_PATH used when emscripten runs node during linking (acorn)")
if(NOT CMAKE_CXX_LINKER_LAUNCHER AND EXISTS "${TANDEM_NODE_PATH}")
  set(CMAKE_CXX_LINKER_LAUNCHER
      "${CMAKE_COMMAND};-E;env;NODE_PATH=${TANDEM_NODE_PATH}")
endif()
if(NOT DEFINED ENV{NODE_PATH} AND EXISTS "${TANDEM_NODE_PATH}")
  set(ENV{NODE_PATH} "${TANDEM_NODE_PATH}")  # for configure-time checks
endif()

# -- Test emulator: node without experimental fetch ---------------------------
# Accept whatever node the toolchain or the user found, but make sure the
# flags work with node 20.
set(_tandem_node "")
if(CMAKE_CROSSCOMPILING_EMULATOR)
  list(GET CMAKE_CROSSCOMPILING_EMULATOR 0 _tandem_node)
  get_filename_component(_tandem_node_name "${_tandem_node}" NAME)
  if(NOT _tandem_node_name MATCHES "^node(js)?$")
    set(_tandem_node "")  # a user-chosen non-node emulator: leave it alone
    set(_tandem_keep_emulator TRUE)
  endif()
endif()
if(NOT _tandem_keep_emulator)
  if(NOT _tandem_node)
    find_program(TANDEM_NODE_EXECUTABLE NAMES node nodejs REQUIRED)
    set(_tandem_node "${TANDEM_NODE_EXECUTABLE}")
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR "${_tandem_node};--no-experimental-fetch"
      CACHE STRING "Runs the wasm test programs (node)" FORCE)
endif()
unset(_tandem_node)
unset(_tandem_node_name)
unset(_tandem_keep_emulator)
