#pragma once

#include <tandem/runtime/resumable.hpp>
#include <tandem/runtime/time.hpp>

#include <functional>

namespace tandem {

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
  /// `notify_waiters()` makes `done()` true; a loop backend runs queued work on
  /// the calling thread and also returns when it has nothing left to run (it
  /// cannot make progress, so waiting longer would hang).
  virtual void run_until(const std::function<bool()>& done) = 0;

  /// Wakes callers blocked in run_until() to re-check their condition.
  virtual void notify_waiters() = 0;
};

} // namespace tandem
