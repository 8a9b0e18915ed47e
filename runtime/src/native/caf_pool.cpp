#include <tandem/runtime/caf_pool.hpp>
#include <tandem/runtime/detail/handoff.hpp>
#include <tandem/runtime/detail/small_object_pool.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/thread_hook.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <memory>
#include <vector>
#include <atomic>
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

class caf_job;
struct overflow_queue;

// Set while a worker runs one of our jobs: scheduling from there goes to that
// worker (cheaper, and keeps woken actors near their data).
thread_local caf::execution_unit* current_worker = nullptr;
// The overflow queue of the pool whose worker this thread is (set by a CAF
// thread hook when the thread starts).
thread_local overflow_queue* worker_overflow = nullptr;
// Jobs this worker put on its CAF queue since it last came out of CAF's loop.
thread_local int local_pushes = 0;

// Jobs a worker runs from its hand-off slot before it returns to CAF's loop.
// Each hand-off saves CAF's per-job cost (its queue node, its logging
// bookkeeping per resume: ~800 instructions); the bound keeps the worker's
// own queue moving when actors keep waking each other.
constexpr int max_handoffs = 64;

// Jobs one turn may put on its worker's CAF queue; the rest of a burst of
// wakes goes to the pool's overflow queue. CAF 0.17 steals from the far end
// of a singly linked deque by walking all of it (double_ended_queue::
// take_tail), so a queue of 200,000 woken actors made every steal O(n) and
// spawning them quadratic.
constexpr int max_local_pushes = 8;

// Jobs a drainer takes from the overflow queue per lock.
constexpr std::size_t drain_batch = 32;

// Sets the per-thread context for the duration of one CAF job.
class worker_scope {
public:
  explicit worker_scope(caf::execution_unit* unit)
      : unit_(current_worker), pushes_(local_pushes) {
    current_worker = unit;
    local_pushes = 0;
  }
  ~worker_scope() {
    current_worker = unit_;
    local_pushes = pushes_;
  }
  worker_scope(const worker_scope&) = delete;
  worker_scope& operator=(const worker_scope&) = delete;

private:
  caf::execution_unit* unit_;
  int pushes_;
};

void push_from_worker(caf_job* job);

// A tandem resumable seen through CAF's interface. It lives in the resumable's
// scheduler storage, so each schedule() is two stores, not an allocation.
class caf_job final : public caf::resumable {
public:
  explicit caf_job(tandem::resumable* job) : job_(job) {}

  subtype_t subtype() const override { return function_object; }

  resume_result resume(caf::execution_unit* unit, size_t max_throughput) override;

  void intrusive_ptr_add_ref_impl() override { job_->add_ref(); }
  void intrusive_ptr_release_impl() override { job_->release(); }

  /// Runs one turn on this worker as CAF's loop would, after the job came
  /// out of a slot or the overflow queue (holding the scheduler's reference),
  /// then whatever it woke last.
  void run_detached(size_t max_throughput) {
#ifdef TANDEM_TSAN
    __tsan_acquire(this);
#endif
    finish(job_->resume(max_throughput));
    run_handoffs(max_throughput);
  }

  /// Puts a job from the hand-off slot where other workers can take it.
  static void publish(void* adapter) { push_from_worker(static_cast<caf_job*>(adapter)); }

  // Runs the jobs that the turn just finished woke last, on this thread, as
  // CAF's worker would: the slot holds the reference the wake handed over.
  static void run_handoffs(size_t max_throughput) {
    auto& slot = detail::this_thread_handoff;
    for (int i = 0; i < max_handoffs && slot.job != nullptr; ++i) {
      auto* next = static_cast<caf_job*>(slot.job);
      slot.job = nullptr;
#ifdef TANDEM_TSAN
      __tsan_acquire(next);
#endif
      next->finish(next->job_->resume(max_throughput));
    }
    detail::publish_handoff();
  }

private:
  // After a detached turn: requeue, or drop the scheduler's reference.
  void finish(tandem::resume_result result) {
    switch (result) {
      case tandem::resume_result::resume_later:
#ifdef TANDEM_TSAN
        __tsan_release(this);
#endif
        push_from_worker(this);
        break;
      case tandem::resume_result::awaiting:
      case tandem::resume_result::done:
        job_->release();
        break;
    }
  }

  tandem::resumable* job_;
};

// The rest of a burst of wakes, shared by all workers (FIFO), run by up to
// one drainer job per worker that CAF schedules (and steals) like any job.
struct overflow_queue {
  class drainer final : public caf::resumable {
  public:
    explicit drainer(overflow_queue& q) : q_(q) {}
    subtype_t subtype() const override { return function_object; }
    resume_result resume(caf::execution_unit* unit, size_t max_throughput) override {
      worker_scope scope{unit};
      caf_job* batch[drain_batch];
      auto n = q_.take(batch);
      for (std::size_t i = 0; i < n; ++i)
        batch[i]->run_detached(max_throughput);
      detail::flush_remote_frees();
      if (!q_.empty())
        return resume_later;
      queued.store(false, std::memory_order_seq_cst);
      // A push that saw this drainer still queued did not start another.
      if (!q_.empty() && !queued.exchange(true, std::memory_order_seq_cst))
        return resume_later;
      return awaiting_message;
    }
    // Owned by the queue; CAF's references do not manage it.
    void intrusive_ptr_add_ref_impl() override {}
    void intrusive_ptr_release_impl() override {}

    std::atomic<bool> queued{false};

  private:
    overflow_queue& q_;
  };

  explicit overflow_queue(std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i)
      drainers.push_back(std::make_unique<drainer>(*this));
  }
  ~overflow_queue() {
    for (auto* job : jobs) // the scheduler's references (a pool torn down while busy)
      job->intrusive_ptr_release_impl();
  }

  void push(caf_job* job) {
    {
      std::lock_guard<std::mutex> guard{mutex};
      jobs.push_back(job);
      size.store(jobs.size(), std::memory_order_seq_cst);
    }
    for (auto& d : drainers) {
      if (!d->queued.load(std::memory_order_seq_cst) && !d->queued.exchange(true)) {
        current_worker->exec_later(d.get());
        return;
      }
    }
  }

  std::size_t take(caf_job* (&out)[drain_batch]) {
    std::lock_guard<std::mutex> guard{mutex};
    std::size_t n = 0;
    while (n < drain_batch && !jobs.empty()) {
      out[n++] = jobs.front();
      jobs.pop_front();
    }
    size.store(jobs.size(), std::memory_order_seq_cst);
    return n;
  }

  bool empty() const { return size.load(std::memory_order_seq_cst) == 0; }

  std::mutex mutex;
  std::deque<caf_job*> jobs;
  std::atomic<std::size_t> size{0};
  std::vector<std::unique_ptr<drainer>> drainers;
};

// Tells each thread of a pool's CAF system which overflow queue is its own.
class overflow_hook final : public caf::thread_hook {
public:
  explicit overflow_hook(overflow_queue* q) : q_(q) {}
  void init(caf::actor_system&) override {}
  void thread_started() override { worker_overflow = q_; }
  void thread_terminates() override { worker_overflow = nullptr; }

private:
  overflow_queue* q_;
};

void push_from_worker(caf_job* job) {
  if (local_pushes < max_local_pushes) {
    ++local_pushes;
    current_worker->exec_later(job);
  } else {
    worker_overflow->push(job);
  }
}

caf::resumable::resume_result caf_job::resume(caf::execution_unit* unit, size_t max_throughput) {
#ifdef TANDEM_TSAN
  // CAF's queues are not instrumented: tell TSan about the hand-over (keyed
  // on the adapter's address: reading job_ first would itself be the race).
  __tsan_acquire(this);
#endif
  worker_scope scope{unit};
  auto result = job_->resume(max_throughput);
#ifdef TANDEM_TSAN
  if (result == tandem::resume_result::resume_later)
    __tsan_release(this);
#endif
  run_handoffs(max_throughput);
  // Blocks this turn freed for other workers go back before the worker
  // looks for other work (or sleeps): they never wait on an idle thread.
  detail::flush_remote_frees();
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

} // namespace

struct caf_pool::impl {
  static caf::actor_system_config make_config(const options& opts, overflow_queue* overflow) {
    caf::actor_system_config cfg;
    cfg.add_thread_hook<overflow_hook>(overflow);
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

  explicit impl(const options& opts)
      : overflow(opts.workers), cfg(make_config(opts, &overflow)), system(cfg) {}

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
      detail::flush_remote_frees(); // entries the expiry freed go home now
      lock.lock();
      expiring = false;
      if (next < armed)
        armed = next;
      timer_cv.notify_all(); // set_timer_handler may wait for expiring == false
    }
  }

  overflow_queue overflow; // outlives the system: its threads may use it to the end
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
      push_from_worker(static_cast<caf_job*>(slot.job));
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
  // Under the lock: it orders this notification after a waiter's predicate
  // check, and a waiter that sees the last actor gone (and may destroy the
  // pool) cannot return before this worker is done with the condition
  // variable.
  std::lock_guard<std::mutex> guard{impl_->wait_mutex};
  impl_->wait_cv.notify_all();
}

} // namespace tandem
