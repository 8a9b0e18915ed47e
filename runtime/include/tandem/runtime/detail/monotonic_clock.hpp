#pragma once

#include <tandem/runtime/time.hpp>

#include <chrono>

namespace tandem::detail {

/// The machine's monotonic clock on tandem's time_point (steady_clock's
/// epoch): what the real-time backends return from now().
#if defined(__EMSCRIPTEN__)
/// In WebAssembly one call of emscripten_get_now() (runtime/src/wasm): libc's
/// clock_gettime reaches the same JavaScript clock through a shim that splits
/// it into seconds and nanoseconds with a double modulo, which cost more than
/// the clock itself -- and a delayed send reads the clock once per timer.
time_point monotonic_now() noexcept;
#else
inline time_point monotonic_now() noexcept {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}
#endif

} // namespace tandem::detail
