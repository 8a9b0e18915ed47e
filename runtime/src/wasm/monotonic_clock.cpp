#include <tandem/runtime/detail/monotonic_clock.hpp>

#include <emscripten/emscripten.h>

// Milliseconds from the source of emscripten_get_now() -- and so of libc's
// CLOCK_MONOTONIC: steady_clock::now() and condition_variable deadlines
// agree with it to the nanosecond's rounding. Node: process.hrtime(). Pages:
// performance.now(), through a reference taken on the first call: looking up
// the global `performance` costs Chromium more than the clock read itself.
EM_JS(double, tandem_monotonic_ms, (), {
  var now = Module["tandemMonotonicMs"];
  if (!now) {
    if (typeof process == "object" && typeof process.versions == "object"
        && typeof process.versions.node == "string") {
      now = function() {
        var t = process.hrtime();
        return t[0] * 1e3 + t[1] / 1e6;
      };
    } else {
      var perf = performance;
      now = function() { return perf.now(); };
    }
    Module["tandemMonotonicMs"] = now;
  }
  return now();
});

namespace tandem::detail {

time_point monotonic_now() noexcept {
  return time_point{duration{static_cast<duration::rep>(tandem_monotonic_ms() * 1e6)}};
}

} // namespace tandem::detail
