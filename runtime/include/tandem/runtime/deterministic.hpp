#pragma once

#include <tandem/runtime/scheduler.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace tandem {

/// Test backend: one thread, virtual time that moves only when the test says
/// so, and a seeded choice of which runnable resumable goes next. A step runs
/// one message of one actor, so a test can walk an interleaving message by
/// message; the same seed always gives the same interleaving (on every
/// platform: the choice uses only the standard's exactly specified mt19937_64).
/// Not thread-safe: everything runs on the test's thread.
class deterministic_scheduler final : public scheduler {
public:
  explicit deterministic_scheduler(std::uint64_t seed = 0);
  ~deterministic_scheduler() override;

  void schedule(resumable* job) override;
  time_point now() const override { return now_; }
  /// Steps until `done()`, skipping virtual time ahead to the next timer
  /// whenever nothing is runnable.
  void run_until(const std::function<bool()>& done) override;
  void notify_waiters() override {}
  void set_timer_handler(timer_handler* handler) override { timers_ = handler; }
  void arm_timer(time_point deadline) override {
    if (deadline < armed_)
      armed_ = deadline;
  }

  /// Fires timers due now, then runs one message of one runnable resumable,
  /// picked by the seeded generator; false if nothing was runnable.
  bool step();
  /// Steps until nothing is runnable (virtual time stands still); returns
  /// the number of steps.
  std::size_t run_until_idle();
  /// Like run_until_idle(), but when nothing is runnable jumps to the next
  /// timer deadline and goes on, until no timer is left either.
  std::size_t run_until_quiet();
  /// Resumables waiting for a turn.
  std::size_t runnable() const noexcept { return runnable_.size(); }

  /// Moves virtual time forward by `d`, stopping at every timer deadline on
  /// the way: the timers due there fire (in deadline order, ties in the order
  /// they were armed) and the messages they cause run before time moves on.
  void advance(duration d);
  /// Moves virtual time forward by `d` at once, as if the process had been
  /// suspended: timers due on the way fire late, at the new time, on the
  /// next step (what missed-tick policies are for).
  void jump(duration d) { now_ += d; }
  /// Jumps to the next timer deadline and fires what is due there; false if
  /// no timer is armed.
  bool advance_to_next_deadline();
  /// The earliest armed timer deadline (time_point::max() if none).
  time_point next_deadline() const noexcept { return armed_; }

  std::uint64_t seed() const noexcept { return seed_; }

private:
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  void fire_due_timers();

  time_point now_{};
  std::vector<resumable*> runnable_;
  timer_handler* timers_ = nullptr;
  time_point armed_ = time_point::max();
};

} // namespace tandem
