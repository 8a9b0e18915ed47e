# TandemHelpers.cmake -- small helpers shared by the project's CMakeLists.

# tandem_target_warnings(<target>)
#   Turns on the project's warning set for one of *our* targets. A function
#   rather than an INTERFACE target, so that the exported tandem::tandem does
#   not drag a build-only target into its link interface.
function(tandem_target_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4)
  endif()
  if(TANDEM_WARNINGS_AS_ERRORS)
    if(MSVC)
      target_compile_options(${target} PRIVATE /WX)
    else()
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# tandem_add_wasm_includes(<target> <PRIVATE|PUBLIC|INTERFACE>)
#   Under emscripten, adds the build-dir folder of symlinks to header-only
#   libraries (boost, nlohmann, rapidjson) -- never /usr/include itself.
function(tandem_add_wasm_includes target scope)
  if(EMSCRIPTEN)
    target_include_directories(${target} SYSTEM ${scope}
      "$<BUILD_INTERFACE:${tandem_wasm_include_dir}>")
  endif()
endfunction()
