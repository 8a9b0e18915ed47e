#include <tandem/runtime/deterministic.hpp>

namespace tandem {

deterministic_scheduler::deterministic_scheduler(std::uint64_t seed)
    : seed_(seed), rng_(seed) {}

deterministic_scheduler::~deterministic_scheduler() {
  for (auto* job : runnable_)
    job->release();
}

void deterministic_scheduler::schedule(resumable* job) {
  runnable_.push_back(job);
}

void deterministic_scheduler::fire_due_timers() {
  if (timers_ == nullptr || armed_ > now_)
    return;
  armed_ = time_point::max();
  arm_timer(timers_->expire(now_));
}

bool deterministic_scheduler::step() {
  fire_due_timers();
  if (runnable_.empty())
    return false;
  // `rng() % n`, not a distribution: std distributions differ between
  // libstdc++ and libc++, and traces must match natively and under wasm.
  auto index = static_cast<std::size_t>(rng_() % runnable_.size());
  auto* job = runnable_[index];
  runnable_.erase(runnable_.begin() + static_cast<std::ptrdiff_t>(index));
  switch (job->resume(1)) {
    case resume_result::resume_later:
      runnable_.push_back(job);
      break;
    case resume_result::awaiting:
    case resume_result::done:
      job->release();
      break;
  }
  return true;
}

std::size_t deterministic_scheduler::run_until_idle() {
  std::size_t steps = 0;
  while (step())
    ++steps;
  return steps;
}

bool deterministic_scheduler::advance_to_next_deadline() {
  if (armed_ == time_point::max())
    return false;
  if (armed_ > now_)
    now_ = armed_;
  fire_due_timers();
  return true;
}

std::size_t deterministic_scheduler::run_until_quiet() {
  std::size_t steps = 0;
  for (;;) {
    steps += run_until_idle();
    if (!advance_to_next_deadline())
      return steps;
  }
}

void deterministic_scheduler::advance(duration d) {
  auto target = now_ + d;
  run_until_idle();
  while (armed_ <= target) {
    advance_to_next_deadline();
    run_until_idle();
  }
  now_ = target;
}

void deterministic_scheduler::run_until(const std::function<bool()>& done) {
  while (!done()) {
    if (step())
      continue;
    if (!advance_to_next_deadline())
      return;
  }
}

} // namespace tandem
