#include <tandem/runtime/caf_pool.hpp>
#include <tandem/runtime/detail/handoff.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>

#if defined(__SANITIZE_THREAD__)
#  define TANDEM_TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define TANDEM_TSAN 1
#  endif
#endif
#ifdef TANDEM_TSAN
#  include <sanitizer/tsan_interface.h>
#endif

namespace tandem {

namespace {

// Set while a worker runs one of our jobs: scheduling from there goes to that
// worker (cheaper, and keeps woken actors near their data).
thread_local caf::execution_unit* current_worker = nullptr;

// Jobs a worker runs from its hand-off slot before it returns to CAF's loop.
// Each hand-off saves CAF's per-job cost (its queue node, its logging
// bookkeeping per resume: ~800 instructions); the bound keeps the worker's
// own queue moving when actors keep waking each other.
constexpr int max_handoffs = 64;

// A tandem resumable seen through CAF's interface. It lives in the resumable's
// scheduler storage, so each schedule() is two stores, not an allocation.
class caf_job final : public caf::resumable {
public:
  explicit caf_job(tandem::resumable* job) : job_(job) {}

  subtype_t subtype() const override { return function_object; }

  resume_result resume(caf::execution_unit* unit, size_t max_throughput) override {
#ifdef TANDEM_TSAN
    // CAF's queues are not instrumented: tell TSan about the hand-over (keyed
    // on the adapter's address: reading job_ first would itself be the race).
    __tsan_acquire(this);
#endif
    auto previous = current_worker;
    current_worker = unit;
    auto result = job_->resume(max_throughput);
#ifdef TANDEM_TSAN
    if (result == tandem::resume_result::resume_later)
      __tsan_release(this);
#endif
    run_handoffs(unit, max_throughput);
    current_worker = previous;
    switch (result) {
      case tandem::resume_result::resume_later:
        return caf::resumable::resume_later;
      case tandem::resume_result::awaiting:
        return caf::resumable::awaiting_message;
      case tandem::resume_result::done:
        break;
    }
    return caf::resumable::done;
  }

  void intrusive_ptr_add_ref_impl() override { job_->add_ref(); }
  void intrusive_ptr_release_impl() override { job_->release(); }

  /// Puts the job on this worker's queue, where other workers can steal it.
  static void publish(void* adapter) {
    current_worker->exec_later(static_cast<caf_job*>(adapter));
  }

private:
  // Runs the jobs that the turn just finished woke last, on this thread, as
  // CAF's worker would: the slot holds the reference the wake handed over.
  static void run_handoffs(caf::execution_unit* unit, size_t max_throughput) {
    auto& slot = detail::this_thread_handoff;
    for (int i = 0; i < max_handoffs && slot.job != nullptr; ++i) {
      auto* next = static_cast<caf_job*>(slot.job);
      slot.job = nullptr;
#ifdef TANDEM_TSAN
      __tsan_acquire(next);
#endif
      switch (next->job_->resume(max_throughput)) {
        case tandem::resume_result::resume_later:
#ifdef TANDEM_TSAN
          __tsan_release(next);
#endif
          unit->exec_later(next);
          break;
        case tandem::resume_result::awaiting:
        case tandem::resume_result::done:
          next->job_->release();
          break;
      }
    }
    detail::publish_handoff();
  }

  tandem::resumable* job_;
};

} // namespace

struct caf_pool::impl {
  static caf::actor_system_config make_config(const options& opts) {
    caf::actor_system_config cfg;
    cfg.set("scheduler.policy", caf::atom("stealing"));
    cfg.set("scheduler.max-threads", opts.workers);
    cfg.set("scheduler.max-throughput", opts.throughput);
    cfg.set("work-stealing.relaxed-sleep-duration",
            caf::timespan{std::chrono::duration_cast<caf::timespan>(opts.idle_sleep)});
    if (opts.prompt_external_wakeup) {
      // CAF's moderate phase sleeps 50 us at a time for 25 ms in sleep_for,
      // which no enqueue can interrupt; without it an idle worker goes from
      // spinning straight to its condition variable, which external_enqueue
      // signals.
      cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
    }
    return cfg;
  }

  explicit impl(const options& opts) : cfg(make_config(opts)), system(cfg) {}

  ~impl() {
    {
      std::lock_guard<std::mutex> guard{timer_mutex};
      timer_stopping = true;
    }
    timer_cv.notify_all();
    if (timer_thread.joinable())
      timer_thread.join();
  }

  void run_timers() {
    std::unique_lock<std::mutex> lock{timer_mutex};
    while (!timer_stopping) {
      if (handler == nullptr || armed == time_point::max()) {
        timer_cv.wait(lock);
        continue;
      }
      auto now = std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
      if (now < armed) {
        timer_cv.wait_until(lock, armed);
        continue;
      }
      // Disarm first: deadlines armed during expire() keep their place.
      armed = time_point::max();
      auto* h = handler;
      expiring = true;
      lock.unlock();
      auto next = h->expire(now);
      lock.lock();
      expiring = false;
      if (next < armed)
        armed = next;
      timer_cv.notify_all(); // set_timer_handler may wait for expiring == false
    }
  }

  caf::actor_system_config cfg;
  caf::actor_system system;
  std::mutex wait_mutex;
  std::condition_variable wait_cv;

  std::mutex timer_mutex;
  std::condition_variable timer_cv;
  std::thread timer_thread;
  timer_handler* handler = nullptr;
  time_point armed = time_point::max();
  bool expiring = false;
  bool timer_stopping = false;
};

caf_pool::caf_pool() : caf_pool(options{}) {}

caf_pool::caf_pool(options opts) {
  if (opts.workers == 0)
    opts.workers = std::max(1u, std::thread::hardware_concurrency());
  if (opts.throughput == 0)
    opts.throughput = 1;
  impl_ = std::make_unique<impl>(opts);
}

caf_pool::~caf_pool() = default;

std::size_t caf_pool::workers() const noexcept {
  return impl_->system.scheduler().num_workers();
}

void caf_pool::schedule(resumable* job) {
  static_assert(sizeof(caf_job) <= resumable::scheduler_storage_size);
  // The adapter is built on the first schedule only and never rewritten: a
  // worker may still be releasing it (after the actor went idle) while
  // another thread already wakes the actor again.
  auto* slot = job->scheduler_storage();
  void* first_word;
  std::memcpy(&first_word, slot, sizeof first_word);
  auto* adapter = first_word == nullptr ? new (slot) caf_job(job)
                                        : std::launder(static_cast<caf_job*>(slot));
#ifdef TANDEM_TSAN
  __tsan_release(adapter);
#endif
  if (current_worker != nullptr && &current_worker->system() == &impl_->system) {
    // The newest wake waits in the slot (the one before goes to the queue):
    // if the running job's turn ends now, this worker runs it next.
    auto& slot = detail::this_thread_handoff;
    if (slot.job != nullptr)
      current_worker->exec_later(static_cast<caf_job*>(slot.job));
    slot.job = adapter;
    slot.publish = &caf_job::publish;
  } else {
    impl_->system.scheduler().enqueue(adapter);
  }
}

time_point caf_pool::now() const {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

void caf_pool::run_until(const std::function<bool()>& done) {
  std::unique_lock<std::mutex> lock{impl_->wait_mutex};
  impl_->wait_cv.wait(lock, done);
}

void caf_pool::set_timer_handler(timer_handler* handler) {
  std::unique_lock<std::mutex> lock{impl_->timer_mutex};
  // Detaching must not return while the old handler is still running.
  impl_->timer_cv.wait(lock, [this] { return !impl_->expiring; });
  impl_->handler = handler;
  if (handler == nullptr)
    impl_->armed = time_point::max();
  if (handler != nullptr && !impl_->timer_thread.joinable())
    impl_->timer_thread = std::thread{[this] { impl_->run_timers(); }};
}

void caf_pool::arm_timer(time_point deadline) {
  {
    std::lock_guard<std::mutex> guard{impl_->timer_mutex};
    if (deadline >= impl_->armed)
      return;
    impl_->armed = deadline;
  }
  impl_->timer_cv.notify_all();
}

void caf_pool::notify_waiters() {
  // Taking the lock orders this notification after a waiter's predicate check.
  { std::lock_guard<std::mutex> guard{impl_->wait_mutex}; }
  impl_->wait_cv.notify_all();
}

} // namespace tandem
