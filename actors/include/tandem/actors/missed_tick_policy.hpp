#pragma once

namespace tandem {

/// What an interval does when ticks were missed (the receiver's system was
/// stalled for more than a period). Ticks stay on the fixed-rate grid
/// start + k * period in every case except `delay`.
enum class missed_tick_policy {
  skip,  ///< default: one tick now, then continue on the grid (no burst)
  burst, ///< deliver every missed tick at once, then continue on the grid
  delay, ///< one tick now, then restart the grid from now (drifts by the stall)
};

} // namespace tandem
