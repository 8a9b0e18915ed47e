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

bool deterministic_scheduler::step() {
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

void deterministic_scheduler::run_until(const std::function<bool()>& done) {
  while (!done() && step()) {
  }
}

} // namespace tandem
