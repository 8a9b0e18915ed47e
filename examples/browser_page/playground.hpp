#pragma once

// The page's actor playground: a ring of N actors passing a token M times
// (Savina's ThreadRing). Plain tandem actor code, the same natively and in
// the browser; the JavaScript binding only forwards its callbacks.

#include <tandem/tandem.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace tandem::playground {

struct ring_options {
  std::size_t actors = 100;
  std::uint64_t messages = 1'000'000;
  /// How often progress is reported while the token travels.
  duration progress_interval = std::chrono::milliseconds(100);
};

struct ring_progress {
  std::uint64_t messages = 0;
  double elapsed_ms = 0;
  /// Over the last interval.
  double messages_per_second = 0;
};

struct ring_result {
  std::uint64_t messages = 0; ///< token hops delivered
  std::size_t actors = 0;
  /// Index of the member that received the last hop: (messages - 1) % actors
  /// when the ring ran to the end.
  std::size_t last_actor = 0;
  /// Per-member hop counts, asked from every member at the end (a request to
  /// each): their sum must equal `messages`; min and max differ by at most 1.
  std::uint64_t counts_sum = 0;
  std::uint64_t counts_min = 0;
  std::uint64_t counts_max = 0;
  double elapsed_ms = 0;
  double messages_per_second = 0;
  bool stopped = false; ///< stopped before the end (counts are not collected)
};

struct ring_callbacks {
  std::function<void(const ring_progress&)> on_progress;
  /// Called exactly once: at the end, when stopped, or when the system shuts
  /// the ring down.
  std::function<void(const ring_result&)> on_done;
};

/// Spawns the ring and starts the token; returns the coordinator. Invalid
/// options (no actors, no messages) complete at once through on_done with an
/// empty result and give an empty handle.
actor start_ring(actor_system& sys, ring_options opts, ring_callbacks callbacks);

/// Stops a running ring: on_done gets what was counted so far, stopped=true.
void stop_ring(const actor& coordinator);

} // namespace tandem::playground
