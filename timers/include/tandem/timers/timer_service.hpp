#pragma once

#include <tandem/runtime/scheduler.hpp>
#include <tandem/timers/timer_wheel.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>

namespace tandem {

class timer_service;

namespace detail {
struct timer_core;
} // namespace detail

/// One armed timer. The timer layer knows nothing of what firing means: a
/// derived class (a delayed message, a request timeout, an interval tick)
/// says it in fire(). Reference counted: the service holds it while it is
/// armed, a timer_handle while the caller keeps one.
class timer_entry : public timer_node {
public:
  timer_entry() = default;
  explicit timer_entry(time_point deadline) : timer_node(deadline) {}
  virtual ~timer_entry() = default;

  /// Runs once per expiry, on the thread that expires timers, outside any
  /// timer lock. Returns the next deadline to re-arm at (an interval), or
  /// time_point::max() for none.
  virtual time_point fire(time_point now) = 0;

  /// Called once the timer is cancelled: frees what it carries (a message, a
  /// reference to its receiver), so a handle kept somewhere holds nothing but
  /// the empty entry — no cycles through timers.
  virtual void discard() noexcept {}

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

private:
  friend class timer_service;
  friend class timer_handle;
  friend struct detail::timer_core;
  std::atomic<std::uint32_t> refs_{1};
  bool cancelled_ = false; // guarded by the core's mutex
  bool armed_ = false;     // in the wheel; guarded by the core's mutex
  timer_entry* next_due_ = nullptr;
};

/// Cancels a timer. Cheap to keep and to drop (dropping does not cancel).
class timer_handle {
public:
  timer_handle() = default;
  timer_handle(const timer_handle& other);
  timer_handle(timer_handle&& other) noexcept;
  timer_handle& operator=(timer_handle other) noexcept;
  ~timer_handle();

  /// O(1). True if the timer was armed and will now never fire again (for an
  /// interval: no further tick). False if it had already fired (a one-shot
  /// whose expiry is running or done: its message is, or is about to be, in
  /// the mailbox), was cancelled before, or the handle is empty.
  bool cancel();

  /// True while the timer is armed.
  bool pending() const;

  explicit operator bool() const noexcept { return entry_ != nullptr; }

private:
  friend class timer_service;
  timer_handle(std::shared_ptr<detail::timer_core> core, timer_entry* entry) noexcept;

  std::shared_ptr<detail::timer_core> core_;
  timer_entry* entry_ = nullptr;
};

/// All timers of one actor system: one timer wheel, driven by the system's
/// backend through the scheduler seam (a timer thread natively, the loop
/// itself on the cooperative and deterministic backends).
class timer_service final : public timer_handler {
public:
  explicit timer_service(scheduler& backend);
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  /// Arms `entry` (taking over its one reference) at entry->deadline.
  timer_handle arm(timer_entry* entry);

  /// Timers armed and not yet fired or cancelled.
  std::size_t pending() const;

  time_point expire(time_point now) override;

  time_point now() const { return backend_.now(); }

private:
  scheduler& backend_;
  std::shared_ptr<detail::timer_core> core_;
};

} // namespace tandem
