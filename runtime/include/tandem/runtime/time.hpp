#pragma once

#include <chrono>

namespace tandem {

/// Time on tandem's clock: monotonic, nanosecond resolution. The deterministic
/// backend's virtual clock uses the same types, so code that reads `now()` does
/// not care which backend runs it.
using duration = std::chrono::nanoseconds;
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

} // namespace tandem
