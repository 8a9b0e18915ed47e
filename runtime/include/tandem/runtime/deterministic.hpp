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
  void run_until(const std::function<bool()>& done) override;
  void notify_waiters() override {}

  /// Runs one message of one runnable resumable, picked by the seeded
  /// generator; false if nothing was runnable.
  bool step();
  /// Steps until nothing is runnable; returns the number of steps.
  std::size_t run_until_idle();
  /// Resumables waiting for a turn.
  std::size_t runnable() const noexcept { return runnable_.size(); }

  /// Moves virtual time forward.
  void advance(duration d) { now_ += d; }

  std::uint64_t seed() const noexcept { return seed_; }

private:
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  time_point now_{};
  std::vector<resumable*> runnable_;
};

} // namespace tandem
