#pragma once

#include <tandem/runtime/resumable.hpp>
#include <tandem/runtime/time.hpp>

#include <functional>

namespace tandem {

/// What the timer layer gives a backend: it fires every timer due at `now`
/// and says when the next one is due (time_point::max() if none).
class timer_handler {
public:
  virtual time_point expire(time_point now) = 0;

protected:
  ~timer_handler() = default;
};

/// The scheduler seam: what the actor layer needs from a backend. tandem ships
/// three (caf_pool, cooperative_loop, deterministic_scheduler); an application
/// may bring its own by implementing this interface.
class scheduler {
public:
  virtual ~scheduler() = default;

  /// Makes `job` runnable. Takes over one reference, which the scheduler drops
  /// once `job->resume()` has returned `awaiting` or `done`. Thread-safe for
  /// threaded backends; loop backends accept calls from other threads too.
  virtual void schedule(resumable* job) = 0;

  /// The scheduler's clock (virtual time for the deterministic backend).
  virtual time_point now() const = 0;

  /// Returns once `done()` holds. A threaded backend blocks the caller until
  /// `notify_waiters()` makes `done()` true; a loop backend runs queued work
  /// and due timers on the calling thread (sleeping until the next deadline,
  /// or skipping to it in virtual time) and also returns when it has nothing
  /// left to run and no timer armed (waiting longer would hang). Whoever makes
  /// `done()` true calls `notify_waiters()`: backends need not ask `done()`
  /// again before that, except when they run out of work.
  virtual void run_until(const std::function<bool()>& done) = 0;

  /// Wakes callers blocked in run_until() to re-check their condition.
  virtual void notify_waiters() = 0;

  /// Who fires timers: the backend calls `handler->expire(now)` once time
  /// reaches an armed deadline. Set once, before any arm_timer(); nullptr
  /// detaches (and waits for a running expire() to return).
  virtual void set_timer_handler(timer_handler* handler) = 0;

  /// A timer is due at `deadline`: call the handler's expire() at or after
  /// it. Keeps the earliest armed deadline; after expire() the backend arms
  /// what it returned. Thread-safe.
  virtual void arm_timer(time_point deadline) = 0;
};

} // namespace tandem
