// The Boost.Test module of tandem_tests. Every other tests/*.cpp is one more
// translation unit of the same executable and includes
// <boost/test/unit_test.hpp> as usual.
//
// Natively the shared Boost.Test library is linked (BOOST_TEST_DYN_LINK is
// set by CMake). Under emscripten the header-only variant is compiled into
// this translation unit (CMake sets TANDEM_BOOST_TEST_HEADER_ONLY).
#define BOOST_TEST_MODULE tandem

#if defined(TANDEM_BOOST_TEST_HEADER_ONLY)
#if defined(__EMSCRIPTEN__)
// No signals in WebAssembly: Boost.Test's sigaction-based monitor only adds
// sigsetjmp/siglongjmp, which emscripten cannot combine with wasm exceptions
// in one function. Without BOOST_HAS_SIGACTION it uses its plain monitor.
#include <boost/config.hpp>
#undef BOOST_HAS_SIGACTION
#endif
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

// Sanitizer builds: defaults for running tandem_tests by hand, outside CTest
// (CMake defines these from the sanitizer flags). UBSAN_OPTIONS / TSAN_OPTIONS
// in the environment, as the test presets set them, take precedence.
#if defined(TANDEM_UBSAN_DEFAULT_OPTIONS)
extern "C" __attribute__((visibility("default"), used))
const char* __ubsan_default_options() { return TANDEM_UBSAN_DEFAULT_OPTIONS; }
#endif
#if defined(TANDEM_TSAN_DEFAULT_OPTIONS)
extern "C" __attribute__((visibility("default"), used))
const char* __tsan_default_options() { return TANDEM_TSAN_DEFAULT_OPTIONS; }
#endif
