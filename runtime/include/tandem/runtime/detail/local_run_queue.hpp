#pragma once

#include <tandem/runtime/detail/job_queue.hpp>
#include <tandem/runtime/scheduler.hpp>

namespace tandem::detail {

/// The run queue of a loop backend that is running a turn on this thread
/// (cooperative_loop sets it for the length of the turn). A job that such a
/// turn wakes on the same scheduler -- a message to an idle actor on the loop
/// -- goes straight into it: no lock is needed, and no virtual call, which
/// costs WebAssembly several times what it costs natively and comes once per
/// woken actor.
struct local_run_queue {
  const scheduler* owner = nullptr;
  job_queue* queue = nullptr;
};

inline constinit thread_local local_run_queue this_thread_run_queue;

/// `sched.schedule(job)`, without the virtual call when `sched` is the loop
/// running a turn on this thread.
inline void schedule_on(scheduler& sched, resumable* job) {
  auto& local = this_thread_run_queue;
  if (local.owner == &sched) {
    local.queue->push_back(job);
    return;
  }
  sched.schedule(job);
}

} // namespace tandem::detail
