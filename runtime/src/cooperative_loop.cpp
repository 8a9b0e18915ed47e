#include <tandem/runtime/cooperative_loop.hpp>
#include <tandem/runtime/detail/local_run_queue.hpp>
#include <tandem/runtime/detail/monotonic_clock.hpp>
#include <tandem/runtime/detail/small_object_pool.hpp>

#include <algorithm>
#include <chrono>

namespace tandem {

namespace {

// Marks this loop as running a turn on this thread: schedule() from inside
// the turn skips the lock that cross-thread schedules need, and the actor
// layer queues woken actors without calling schedule() at all
// (detail::schedule_on).
struct running_scope {
  detail::local_run_queue previous;
  running_scope(const cooperative_loop* loop, detail::job_queue& queue)
      : previous(detail::this_thread_run_queue) {
    detail::this_thread_run_queue = {loop, &queue};
  }
  ~running_scope() { detail::this_thread_run_queue = previous; }
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
  if (detail::this_thread_run_queue.owner == this) {
    local_.push_back(job);
    return;
  }
  {
    std::lock_guard<std::mutex> guard{remote_mutex_};
    remote_.push_back(job);
    remote_pending_.store(true, std::memory_order_release);
  }
  remote_cv_.notify_one();
  if (wakeup_)
    wakeup_();
}

time_point cooperative_loop::now() const {
  return detail::monotonic_now();
}

void cooperative_loop::take_remote() {
  std::lock_guard<std::mutex> guard{remote_mutex_};
  local_.splice_back(remote_);
  remote_pending_.store(false, std::memory_order_relaxed);
}

namespace {

// Lowers `armed` to `deadline` if that is earlier; true if it did.
bool lower_to(std::atomic<duration::rep>& armed, time_point deadline) {
  auto want = deadline.time_since_epoch().count();
  auto seen = armed.load(std::memory_order_relaxed);
  while (want < seen)
    if (armed.compare_exchange_weak(seen, want, std::memory_order_acq_rel))
      return true;
  return false;
}

} // namespace

void cooperative_loop::arm_timer(time_point deadline) {
  if (lower_to(armed_, deadline)) {
    // A sleeping run() must wake earlier now, and so must a host loop.
    { std::lock_guard<std::mutex> guard{remote_mutex_}; }
    remote_cv_.notify_one();
    if (wakeup_)
      wakeup_();
  }
}

// Inlined into every loop below, as is run_turn(): a turn is often one
// message, and in WebAssembly a call per turn costs more than the turn's own
// bookkeeping (every live value is spilled around it).
[[gnu::always_inline]] inline void cooperative_loop::fire_due_timers() {
  // The clock is read only while a timer is armed: no cost otherwise.
  if (timers_ != nullptr && next_deadline() != time_point::max())
    expire_timers();
}

void cooperative_loop::expire_timers() {
  auto current = now();
  if (current < next_deadline())
    return;
  // Disarm first: whatever is armed during expire() survives the min below.
  armed_.store(time_point::max().time_since_epoch().count(), std::memory_order_release);
  lower_to(armed_, timers_->expire(current));
}

void cooperative_loop::wait_for_work(time_point until) {
  std::unique_lock<std::mutex> lock{remote_mutex_};
  auto wake = [this] {
    return !remote_.empty() || stop_requested_.load(std::memory_order_acquire);
  };
  auto deadline = std::min(until, next_deadline());
  if (deadline == time_point::max())
    remote_cv_.wait(lock, wake);
  else
    remote_cv_.wait_until(lock, deadline, wake);
}

[[gnu::always_inline]] inline bool cooperative_loop::run_turn() {
  // Checked every turn so work from other threads cannot starve behind a
  // local ping-pong; the flag keeps the lock off the common path.
  if (remote_pending_.load(std::memory_order_acquire))
    take_remote();
  auto* job = local_.pop_front();
  if (job == nullptr) {
    // Idle: messages from other threads (I/O, timers) that this loop freed
    // go back to their makers before it sleeps.
    detail::flush_remote_frees();
    return false;
  }
  running_scope scope{this, local_};
  if (job->resume_then_release(opts_.throughput) == resume_result::resume_later)
    local_.push_back(job);
  return true;
}

bool cooperative_loop::run_once() {
  fire_due_timers();
  return run_turn();
}

std::size_t cooperative_loop::run_turns(std::size_t max_turns) {
  fire_due_timers();
  std::size_t turns = 0;
  while (turns < max_turns && run_turn())
    ++turns;
  return turns;
}

std::size_t cooperative_loop::run_until_idle() {
  std::size_t turns = 0;
  while (run_once())
    ++turns;
  return turns;
}

void cooperative_loop::run_until(const std::function<bool()>& done) {
  // done() is asked again after a turn only if notify_waiters() was called in
  // it (as on the threaded backends, which sleep until then), and whenever
  // nothing is runnable -- not after every turn: a call through std::function
  // per message was a tenth of a message's cost in WebAssembly.
  auto satisfied = [&] {
    waiters_notified_.store(false, std::memory_order_relaxed);
    return done();
  };
  if (satisfied())
    return;
  for (;;) {
    fire_due_timers();
    if (run_turn()) {
      if (waiters_notified_.load(std::memory_order_acquire) && satisfied())
        return;
      continue;
    }
    // Nothing runnable: only a timer can still make progress.
    if (satisfied() || next_deadline() == time_point::max())
      return;
    wait_for_work(time_point::max());
  }
}

void cooperative_loop::notify_waiters() {
  waiters_notified_.store(true, std::memory_order_release);
}

bool cooperative_loop::run_loop_until(time_point deadline) {
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (run_once())
      continue;
    if (now() >= deadline)
      return false;
    wait_for_work(deadline);
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
