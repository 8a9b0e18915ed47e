#pragma once

#include <tandem/runtime/cooperative_loop.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tandem {

/// Drives a cooperative_loop from the JavaScript event loop (WebAssembly
/// builds only): the page or node program returns to its event loop and
/// tandem's actors run in between, never blocking it.
///
/// - Turns run in slices of at most `slice` per event-loop task; while work
///   remains the driver yields with emscripten_set_immediate (a message-
///   channel hop of ~0.1 ms, not setTimeout(0), which browsers clamp to 4 ms).
/// - When only timers remain it arms one emscripten_set_timeout for the next
///   deadline (re-armed when an earlier one appears), so waiting costs
///   nothing: no polling, no chain of zero timeouts.
/// - When nothing remains it sleeps until the loop's wakeup hook fires (a
///   message scheduled from a JavaScript callback, a new timer).
class event_loop_driver {
public:
  explicit event_loop_driver(cooperative_loop& loop,
                             duration slice = std::chrono::milliseconds(4));
  ~event_loop_driver();
  event_loop_driver(const event_loop_driver&) = delete;
  event_loop_driver& operator=(const event_loop_driver&) = delete;

  /// Starts driving (idempotent). Called by the wakeup hook too.
  void start();

  /// The longest stretch of turns per event-loop task. Shorter slices keep a
  /// page's frames smooth; longer ones cost fewer hops under load.
  void set_slice(duration slice) noexcept { slice_ = slice; }
  duration slice() const noexcept { return slice_; }

  /// Event-loop tasks run so far (for tests and diagnostics).
  std::size_t tasks() const noexcept { return tasks_; }
  /// True while an immediate or a timeout is pending: false means the driver
  /// is asleep and costs the event loop nothing.
  bool scheduled() const noexcept { return immediate_pending_ || timeout_pending_; }

private:
  static event_loop_driver* find(void* serial);
  void* token() const noexcept;
  static void on_immediate(void* serial);
  static void on_timeout(void* serial);
  void pump();
  void reschedule();

  cooperative_loop& loop_;
  duration slice_;
  std::uintptr_t serial_;
  bool immediate_pending_ = false;
  long immediate_id_ = 0; // node's first id is 0: immediate_pending_ says if it is live
  bool timeout_pending_ = false;
  long timeout_id_ = 0;
  time_point timeout_at_ = time_point::max();
  std::size_t tasks_ = 0;
  static constexpr std::size_t max_batch = 4096;
  std::size_t batch_ = 1; // turns per clock read; adapts in pump()
};

} // namespace tandem
