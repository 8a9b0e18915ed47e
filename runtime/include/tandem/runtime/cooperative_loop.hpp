#pragma once

#include <tandem/runtime/detail/job_queue.hpp>
#include <tandem/runtime/scheduler.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace tandem {

/// Single-threaded backend: work runs only when the owner drives the loop
/// (run, run_once, run_for, run_until_idle), so it embeds in a host's event
/// loop — a GUI, a game, a test, the browser. Other threads may schedule work
/// into it (an I/O thread posting a frame); that wakes a sleeping run().
class cooperative_loop final : public scheduler {
public:
  struct options {
    /// Messages an actor may process per turn before the next actor runs.
    std::size_t throughput = 100;
  };

  cooperative_loop();
  explicit cooperative_loop(options opts);
  ~cooperative_loop() override;

  void schedule(resumable* job) override;
  time_point now() const override;
  /// Runs turns until done() holds. done() is checked at the start, after a
  /// turn in which notify_waiters() was called (actor_system does when its
  /// last actor terminates), and whenever nothing is runnable.
  void run_until(const std::function<bool()>& done) override;
  void notify_waiters() override;
  void set_timer_handler(timer_handler* handler) override { timers_ = handler; }
  void arm_timer(time_point deadline) override;

  /// Fires due timers, then runs one turn of one runnable resumable; false
  /// if nothing was runnable.
  bool run_once();
  /// Fires due timers once, then runs up to `max_turns` turns; returns the
  /// turns run (0: nothing was runnable). For hosts that slice their time
  /// (event_loop_driver): one clock read per batch instead of per turn —
  /// where reading the clock is a call into JavaScript, that is most of the
  /// cost of a short turn. Timers falling due during the batch fire at the
  /// next batch or run_once().
  std::size_t run_turns(std::size_t max_turns);
  /// Runs until nothing is runnable; returns the number of turns run.
  std::size_t run_until_idle();
  /// Runs until stop() is called, sleeping while there is nothing to do.
  void run();
  /// Like run(), but returns after `d` at the latest.
  void run_for(duration d);
  /// Makes run() / run_for() return; callable from any thread.
  void stop();

  /// For a host event loop that drives this loop (a browser, a GUI): `fn` is
  /// called whenever work is scheduled from outside a turn, or a timer is
  /// armed earlier than any before, so the host knows to come back. It may
  /// be called from any thread that schedules; it should only note the need
  /// (post a task), not run the loop. See event_loop_driver for WebAssembly.
  void set_wakeup(std::function<void()> fn) { wakeup_ = std::move(fn); }

  /// Resumables waiting for a turn.
  std::size_t runnable() const;
  /// The earliest armed timer deadline (time_point::max() if none).
  time_point next_deadline() const noexcept {
    return time_point{duration{armed_.load(std::memory_order_acquire)}};
  }

private:
  void take_remote();
  bool run_turn();
  bool run_loop_until(time_point deadline);
  void fire_due_timers();
  void expire_timers();
  void wait_for_work(time_point until);

  options opts_;
  detail::job_queue local_;
  mutable std::mutex remote_mutex_;
  std::condition_variable remote_cv_;
  detail::job_queue remote_;
  std::atomic<bool> remote_pending_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> waiters_notified_{false};
  timer_handler* timers_ = nullptr;
  std::function<void()> wakeup_;
  std::atomic<duration::rep> armed_{time_point::max().time_since_epoch().count()};
};

} // namespace tandem
