#include <tandem/runtime/detail/monotonic_clock.hpp>

#include <emscripten/emscripten.h>

namespace tandem::detail {

time_point monotonic_now() noexcept {
  // Milliseconds as a double: the source of libc's CLOCK_MONOTONIC (so this
  // and steady_clock::now() agree to the nanosecond's rounding).
  return time_point{duration{static_cast<duration::rep>(emscripten_get_now() * 1e6)}};
}

} // namespace tandem::detail
