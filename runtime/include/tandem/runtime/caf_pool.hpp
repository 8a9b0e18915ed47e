#pragma once

#include <tandem/runtime/scheduler.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace tandem {

/// Native backend: runs resumables on a CAF 0.17 actor_system's work-stealing
/// coordinator. Every resumable becomes a caf::resumable (an adapter placed in
/// its scheduler storage), so scheduling allocates nothing. Scheduling from a
/// worker thread keeps the job on that worker: the job woken last waits in a
/// per-thread hand-off slot and runs right after the current turn (no trip
/// through CAF's queue); the one before goes to the worker's CAF queue, and
/// beyond 8 per turn to a shared FIFO drained by one CAF job per worker (CAF
/// 0.17 steals by walking its whole deque, so long deques made stealing
/// quadratic). From any other thread scheduling goes through CAF's central
/// enqueue.
class caf_pool final : public scheduler {
public:
  struct options {
    /// Worker threads; 0 means the hardware thread count (CAF's own default
    /// is at least 4, too many on small machines).
    std::size_t workers = 0;
    /// Messages an actor may process per turn before yielding its worker, so
    /// one busy actor cannot starve others.
    std::size_t throughput = 100;
    /// Longest sleep of an idle worker between attempts to steal work. CAF's
    /// default, 10 ms, delays the first message to an actor woken on a busy
    /// worker by up to that long; shorter costs a little idle CPU.
    std::chrono::microseconds idle_sleep{1000};
    /// Work scheduled from a thread outside the pool (an I/O thread posting a
    /// network frame) wakes an idle worker at once. Off, an idle worker spends
    /// CAF's 25 ms "moderate" phase in uninterruptible 50 us sleeps, which
    /// put ~100 us on every such hop (4x an RPC round trip on loopback).
    bool prompt_external_wakeup = true;
  };

  caf_pool();
  explicit caf_pool(options opts);
  ~caf_pool() override;

  void schedule(resumable* job) override;
  time_point now() const override;
  void run_until(const std::function<bool()>& done) override;
  void notify_waiters() override;
  /// Timers are expired on one timer thread of the pool's own (started with
  /// the first handler): it only moves due messages into mailboxes, so the
  /// workers never wait on it and the message path takes no timer lock.
  void set_timer_handler(timer_handler* handler) override;
  void arm_timer(time_point deadline) override;

  std::size_t workers() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tandem
