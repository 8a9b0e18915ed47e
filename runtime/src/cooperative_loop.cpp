#include <tandem/runtime/cooperative_loop.hpp>

#include <chrono>

namespace tandem {

namespace {

// The loop currently running on this thread: schedule() from inside a turn
// skips the lock that cross-thread schedules need.
thread_local const cooperative_loop* running_loop = nullptr;

struct running_scope {
  const cooperative_loop* previous;
  explicit running_scope(const cooperative_loop* loop) : previous(running_loop) {
    running_loop = loop;
  }
  ~running_scope() { running_loop = previous; }
};

} // namespace

cooperative_loop::cooperative_loop() : cooperative_loop(options{}) {}

cooperative_loop::cooperative_loop(options opts) : opts_(opts) {
  if (opts_.throughput == 0)
    opts_.throughput = 1;
}

cooperative_loop::~cooperative_loop() {
  // Whatever is still queued holds a reference handed over by schedule().
  take_remote();
  while (auto* job = local_.pop_front())
    job->release();
}

void cooperative_loop::schedule(resumable* job) {
  if (running_loop == this) {
    local_.push_back(job);
    return;
  }
  {
    std::lock_guard<std::mutex> guard{remote_mutex_};
    remote_.push_back(job);
    remote_pending_.store(true, std::memory_order_release);
  }
  remote_cv_.notify_one();
}

time_point cooperative_loop::now() const {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

void cooperative_loop::take_remote() {
  std::lock_guard<std::mutex> guard{remote_mutex_};
  local_.splice_back(remote_);
  remote_pending_.store(false, std::memory_order_relaxed);
}

bool cooperative_loop::run_once() {
  // Checked every turn so work from other threads cannot starve behind a
  // local ping-pong; the flag keeps the lock off the common path.
  if (remote_pending_.load(std::memory_order_acquire))
    take_remote();
  auto* job = local_.pop_front();
  if (job == nullptr)
    return false;
  running_scope scope{this};
  switch (job->resume(opts_.throughput)) {
    case resume_result::resume_later:
      local_.push_back(job);
      break;
    case resume_result::awaiting:
    case resume_result::done:
      job->release();
      break;
  }
  return true;
}

std::size_t cooperative_loop::run_until_idle() {
  std::size_t turns = 0;
  while (run_once())
    ++turns;
  return turns;
}

void cooperative_loop::run_until(const std::function<bool()>& done) {
  while (!done() && run_once()) {
  }
}

bool cooperative_loop::run_loop_until(time_point deadline) {
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (run_once())
      continue;
    std::unique_lock<std::mutex> lock{remote_mutex_};
    auto wake = [this] {
      return !remote_.empty() || stop_requested_.load(std::memory_order_acquire);
    };
    if (deadline == time_point::max())
      remote_cv_.wait(lock, wake);
    else if (!remote_cv_.wait_until(lock, deadline, wake))
      return false;
  }
  return true;
}

void cooperative_loop::run() {
  run_loop_until(time_point::max());
  stop_requested_.store(false, std::memory_order_release);
}

void cooperative_loop::run_for(duration d) {
  auto deadline = now() + d;
  while (!stop_requested_.load(std::memory_order_acquire) && now() < deadline) {
    if (!run_once()) {
      run_loop_until(deadline);
      break;
    }
  }
  stop_requested_.store(false, std::memory_order_release);
}

void cooperative_loop::stop() {
  {
    std::lock_guard<std::mutex> guard{remote_mutex_};
    stop_requested_.store(true, std::memory_order_release);
  }
  remote_cv_.notify_all();
}

std::size_t cooperative_loop::runnable() const {
  std::lock_guard<std::mutex> guard{remote_mutex_};
  return local_.size() + remote_.size();
}

} // namespace tandem
