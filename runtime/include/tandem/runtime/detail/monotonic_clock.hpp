#pragma once

#include <tandem/runtime/time.hpp>

#include <chrono>

namespace tandem::detail {

/// The machine's monotonic clock on tandem's time_point (steady_clock's
/// epoch): what the real-time backends return from now().
#if defined(__EMSCRIPTEN__)
/// In WebAssembly one call into JavaScript (runtime/src/wasm) for the clock
/// behind libc's: clock_gettime reaches it through a shim that splits it into
/// seconds and nanoseconds with a double modulo, and in a page looks up the
/// global `performance` every time -- each cost more than the clock read
/// itself, and a delayed send reads the clock once per timer.
time_point monotonic_now() noexcept;
#else
inline time_point monotonic_now() noexcept {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}
#endif

} // namespace tandem::detail
