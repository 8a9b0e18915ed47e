#pragma once

namespace tandem::detail {

/// A threaded backend may keep the job that the running job woke last in a
/// per-thread slot and run it on the same thread right after the current
/// turn (Go's runnext, Tokio's LIFO slot): a message to an idle actor then
/// costs no queue round trip. The slot is invisible to other threads, so it
/// may only hold a job while the waker is about to finish its turn. A waker
/// that goes on sending (a producer filling a mailbox) must publish the slot
/// to its backend's shared queues, or the woken job would wait for the whole
/// burst: the actor layer calls publish_handoff() whenever a send found its
/// receiver already running or scheduled.
struct handoff_slot {
  void* job = nullptr;                ///< backend-specific; null when empty
  void (*publish)(void* job) = nullptr; ///< hands `job` to the shared queues
};

inline thread_local handoff_slot this_thread_handoff;

/// Makes a job waiting in this thread's slot visible to other threads.
inline void publish_handoff() {
  auto& slot = this_thread_handoff;
  if (slot.job != nullptr) {
    auto* job = slot.job;
    slot.job = nullptr;
    slot.publish(job);
  }
}

} // namespace tandem::detail
