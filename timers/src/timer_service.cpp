#include <tandem/timers/timer_service.hpp>

#include <algorithm>
#include <mutex>

namespace tandem {

namespace detail {

struct timer_core;

// The lock-free front (inbox, announced deadline) that arming and cancelling
// threads touch, and the wheel behind it, under `driver`: the expiring thread
// (the "driver": a timer thread natively, the loop on the other backends)
// takes the lock to drain the inbox and take due entries out, a thread
// publishing its timer_batch to insert the batch. Neither holds it long:
// firing happens outside it, and a batch is at most 256 entries.
//
// Who owns an entry: the service holds one reference from arm() until the
// driver is done with it; a handle holds another. The entry's state decides
// races: exactly one of cancel() (queued/armed -> cancelled) and expiry
// (armed -> done, or firing for an interval) wins, by CAS.
struct timer_core {
  timer_core(scheduler& b, time_point origin) : backend(b), wheel(origin) {}

  scheduler& backend;
  // A Treiber stack of entries to put into the wheel (state queued) or to
  // take out of it (state cancelled while armed). Only the driver pops, all
  // at once, so there is no ABA.
  std::atomic<timer_entry*> inbox{nullptr};
  // The earliest deadline the driver was told of (it calls expire by then).
  // An arm with an earlier deadline lowers it and wakes the driver.
  std::atomic<time_point::rep> announced{time_point::max().time_since_epoch().count()};
  std::atomic<bool> closed{false};

  std::mutex driver;
  timer_wheel wheel; // guarded by driver
  // Held by expire() while it fires what it took out of the wheel (taken
  // before `driver` is let go), so that pending() can wait for that round:
  // pending() == 0 then means every fired message is in its mailbox.
  std::mutex firing_round;

  void push(timer_entry* e) noexcept {
    timer_entry* head = inbox.load(std::memory_order_relaxed);
    do {
      e->inbox_next_ = head;
    } while (!inbox.compare_exchange_weak(head, e, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
  }

  /// Lowers `announced` to `at` if it is earlier; true if it did.
  bool lower_announced(time_point::rep at) noexcept {
    auto a = announced.load(std::memory_order_seq_cst);
    while (at < a)
      if (announced.compare_exchange_weak(a, at, std::memory_order_seq_cst))
        return true;
    return false;
  }

  /// With `driver` held: moves the inbox into the wheel, in arming order (so
  /// timers with equal deadlines fire in the order they were armed).
  void drain_locked() noexcept {
    timer_entry* stack = inbox.exchange(nullptr, std::memory_order_acquire);
    timer_entry* fifo = nullptr;
    while (stack != nullptr) {
      timer_entry* next = stack->inbox_next_;
      stack->inbox_next_ = fifo;
      fifo = stack;
      stack = next;
    }
    while (fifo != nullptr) {
      timer_entry* e = fifo;
      // Read the link first: once armed, a canceller may push e again.
      fifo = e->inbox_next_;
      if (e->linked()) { // cancelled while armed: take it out
        wheel.remove(e);
        e->release();
        continue;
      }
      auto s = std::uint8_t{timer_entry::queued};
      if (e->state_.compare_exchange_strong(s, timer_entry::armed, std::memory_order_acq_rel))
        wheel.insert(e);
      else
        e->release(); // cancelled before it got here, or after it fired out
    }
  }

  /// Puts the batch into its wheel: one lock for the lot, taken by the arming
  /// thread, whose entries are still in its cache.
  static void publish(deferred_arms& d) noexcept {
    std::uint32_t n = d.count;
    if (n == 0)
      return;
    d.count = 0;
    timer_core& core = *d.core;
    auto earliest = time_point::max().time_since_epoch().count();
    // One clock read for the batch, after every arm in it: a relative
    // entry's deadline is then never earlier than its call's now() + delay.
    if (d.relative != 0) {
      d.relative = 0;
      auto now = core.backend.now();
      for (std::uint32_t i = 0; i < n; ++i)
        if (timer_entry* e = d.entries[i]; e != nullptr && e->relative_) {
          e->relative_ = false;
          e->deadline = now + e->deadline.time_since_epoch();
        }
    }
    {
      std::lock_guard<std::mutex> guard{core.driver};
      // Entries armed earlier outside a handler go first: equal deadlines fire
      // in arming order.
      core.drain_locked();
      bool closed = core.closed.load(std::memory_order_acquire);
      for (std::uint32_t i = 0; i < n; ++i) {
        timer_entry* e = d.entries[i];
        if (e == nullptr)
          continue; // cancelled here: already gone
        auto s = std::uint8_t{timer_entry::queued};
        if (closed) {
          if (e->state_.compare_exchange_strong(s, timer_entry::done, std::memory_order_acq_rel))
            e->discard();
          e->release();
        } else if (e->state_.compare_exchange_strong(s, timer_entry::armed,
                                                     std::memory_order_acq_rel)) {
          core.wheel.insert(e);
          earliest = std::min(earliest, e->deadline.time_since_epoch().count());
        } else {
          e->release(); // cancelled by another thread meanwhile
        }
      }
    }
    if (core.lower_announced(earliest))
      core.backend.arm_timer(time_point{duration{earliest}});
  }

  /// Appends `e` (queued; the service's reference) to this thread's batch.
  static void join_batch(deferred_arms& d, timer_core* core, timer_entry* e) noexcept {
    d.core = core;
    e->seq = d.count;
    d.entries[d.count++] = e;
  }

  /// cancel() of the timer this thread armed last, while it still waits in
  /// this thread's batch and no other handle to it exists (the handle's and
  /// the service's are its only references): a delayed send taken back or a
  /// request answered in the handler that sent it. Nobody else can see the
  /// entry -- no other thread has a handle, and the driver gets it only from
  /// this thread -- so it leaves the batch with plain stores instead of a
  /// CAS on its state and a decrement of its count. Compares pointers only
  /// before it knows the entry is this thread's (its fields may be written
  /// by the driver otherwise).
  static bool cancel_last_armed_here(timer_entry* e) noexcept {
    auto& d = this_thread_arms;
    if (d.count == 0 || d.entries[d.count - 1] != e)
      return false;
    // acquire: pairs with the release of another handle, so that handle's
    // last use of the entry is over.
    if (e->refs_.load(std::memory_order_acquire) != 2
        || e->state_.load(std::memory_order_relaxed) != timer_entry::queued)
      return false;
    e->state_.store(timer_entry::cancelled, std::memory_order_relaxed);
    e->discard();
    --d.count;
    e->refs_.store(1, std::memory_order_relaxed); // the service's is gone
    return true;
  }

  /// A cancel() that won over a timer still waiting in this thread's batch:
  /// drops it from there, so its memory is free (and reused) at once.
  static void forget(timer_entry* e) noexcept {
    auto& d = this_thread_arms;
    auto i = e->seq;
    if (i < d.count && d.entries[i] == e) {
      d.entries[i] = nullptr;
      e->release(); // the service's reference
    }
  }
};

void timer_batch::publish_waiting() noexcept {
  timer_core::publish(this_thread_arms);
}

} // namespace detail

// -- timer_handle -------------------------------------------------------------

timer_handle::timer_handle(const timer_handle& other) noexcept : entry_(other.entry_) {
  if (entry_ != nullptr)
    entry_->add_ref();
}

bool timer_handle::cancel() noexcept {
  timer_entry* e = entry_;
  if (e == nullptr)
    return false;
  if (detail::timer_core::cancel_last_armed_here(e))
    return true;
  auto s = e->state_.load(std::memory_order_acquire);
  for (;;) {
    if (s != timer_entry::queued && s != timer_entry::armed && s != timer_entry::firing)
      return false; // done or cancelled already
    if (e->state_.compare_exchange_weak(s, timer_entry::cancelled, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
      break;
  }
  if (s == timer_entry::firing)
    return true; // the driver discards it once fire() has returned
  // It will never fire now: nobody else touches its payload.
  e->discard();
  if (s == timer_entry::armed)
    e->core_->push(e); // the driver takes it out of the wheel (O(1)) and releases it
  else
    detail::timer_core::forget(e); // queued: in this thread's batch, or the inbox
  return true;
}

bool timer_handle::pending() const noexcept {
  if (entry_ == nullptr)
    return false;
  auto s = entry_->state_.load(std::memory_order_acquire);
  return s == timer_entry::queued || s == timer_entry::armed || s == timer_entry::firing;
}

// -- timer_service ------------------------------------------------------------

timer_service::timer_service(scheduler& backend)
    : backend_(backend), core_(std::make_unique<detail::timer_core>(backend, backend.now())) {
  backend_.set_timer_handler(this);
}

timer_service::~timer_service() {
  // Waits for a running expire() on a timer thread to return.
  backend_.set_timer_handler(nullptr);
  core_->closed.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> guard{core_->driver};
  core_->drain_locked();
  core_->wheel.clear([](timer_node* n) {
    auto* e = static_cast<timer_entry*>(n);
    auto s = std::uint8_t{timer_entry::armed};
    // Handles outliving the service find it cancelled and never touch it.
    if (e->state_.compare_exchange_strong(s, timer_entry::cancelled, std::memory_order_acq_rel)) {
      e->discard();
      e->release();
    } // else a cancel() just won: its removal notice releases it below
  });
  core_->drain_locked(); // what a racing cancel() pushed meanwhile
}

timer_handle timer_service::arm(timer_entry* entry) {
  entry->core_ = core_.get();
  entry->refs_.store(2, std::memory_order_relaxed); // the service's and the handle's
  timer_handle handle{entry};
  if (core_->closed.load(std::memory_order_acquire)) {
    entry->state_.store(timer_entry::done, std::memory_order_relaxed);
    entry->discard();
    entry->release(); // never armed: the service's reference goes now
    return handle;
  }
  entry->state_.store(timer_entry::queued, std::memory_order_relaxed);
  auto& d = detail::this_thread_arms;
  if (d.depth != 0) {
    if (d.count == d.capacity || (d.count != 0 && d.core != core_.get()))
      detail::timer_core::publish(d);
    detail::timer_core::join_batch(d, core_.get(), entry);
    return handle;
  }
  auto deadline = entry->deadline;
  core_->push(entry);
  // After the push (both seq_cst): either the drain of a running expire()
  // takes the entry, or this sees the "nothing" that expire() announced
  // before its drain (or something announced since) and lowers it.
  if (core_->lower_announced(deadline.time_since_epoch().count()))
    backend_.arm_timer(deadline); // only a new earliest deadline wakes the driver
  return handle;
}

timer_handle timer_service::arm_after(timer_entry* entry, duration delay) {
  auto& d = detail::this_thread_arms;
  auto* core = core_.get();
  if (d.depth == 0 || d.count == d.capacity || (d.count != 0 && d.core != core)) {
    entry->deadline = backend_.now() + delay;
    return arm(entry); // outside a handler, or a batch to hand over first
  }
  // The common case -- a handler arming a timeout -- inline: into the batch
  // (a closed service is found when the batch is handed over).
  entry->core_ = core;
  entry->refs_.store(2, std::memory_order_relaxed); // the service's and the handle's
  entry->state_.store(timer_entry::queued, std::memory_order_relaxed);
  entry->deadline = time_point{delay};
  entry->relative_ = true;
  d.relative = 1;
  detail::timer_core::join_batch(d, core, entry);
  return timer_handle{entry};
}

std::size_t timer_service::pending() const {
  if (detail::this_thread_arms.core == core_.get())
    detail::timer_core::publish(detail::this_thread_arms);
  std::lock_guard<std::mutex> guard{core_->driver};
  core_->drain_locked();
  std::lock_guard<std::mutex> round{core_->firing_round};
  return core_->wheel.size();
}

time_point timer_service::expire(time_point now) {
  auto& core = *core_;
  timer_entry* head = nullptr;
  time_point::rep next;
  std::unique_lock<std::mutex> round{core.firing_round, std::defer_lock};
  {
    std::lock_guard<std::mutex> guard{core.driver};
    // Announce "nothing" before looking at the inbox (seq_cst, like arm()'s
    // push then look): from here on, an entry this drain misses lowers the
    // announcement itself -- and wakes the backend -- so the result below
    // covers it without walking the inbox again.
    core.announced.store(time_point::max().time_since_epoch().count(),
                         std::memory_order_seq_cst);
    core.drain_locked();
    // Take the due entries out, in deadline order. One that a cancel() beat
    // to it stays the canceller's: its removal notice in the inbox releases
    // it.
    timer_entry** tail = &head;
    core.wheel.expire(now, [&](timer_node* n) {
      auto* e = static_cast<timer_entry*>(n);
      auto s = std::uint8_t{timer_entry::armed};
      auto to = e->periodic_ ? timer_entry::firing : timer_entry::done;
      if (!e->state_.compare_exchange_strong(s, to, std::memory_order_acq_rel))
        return;
      e->inbox_next_ = nullptr; // free now: nobody pushes a fired entry
      *tail = e;
      tail = &e->inbox_next_;
    });
    next = core.wheel.next_deadline().time_since_epoch().count();
    if (head != nullptr)
      round.lock();
  }
  // Fire them outside the lock, so that threads publishing their batches of
  // new timers never wait for a mailbox. Firing may arm more timers (only
  // pushes, or batches that lower the announcement themselves).
  while (head != nullptr) {
    timer_entry* e = head;
    head = e->inbox_next_;
    if (head != nullptr)
      __builtin_prefetch(head);
    auto again = e->fire(now);
    if (!e->periodic_) {
      e->release();
      continue;
    }
    auto s = std::uint8_t{timer_entry::firing};
    if (again != time_point::max() && !core.closed.load(std::memory_order_relaxed)) {
      e->deadline = again;
      if (e->state_.compare_exchange_strong(s, timer_entry::queued, std::memory_order_acq_rel)) {
        core.push(e); // the service keeps its reference
        core.lower_announced(again.time_since_epoch().count());
        continue;
      }
    } else if (e->state_.compare_exchange_strong(s, timer_entry::done,
                                                 std::memory_order_acq_rel)) {
      e->release();
      continue;
    }
    e->discard(); // cancelled while firing
    e->release();
  }
  if (round.owns_lock())
    round.unlock();
  // The wheel's next deadline, or an earlier one that an entry armed since
  // the drain announced.
  core.lower_announced(next);
  return time_point{duration{core.announced.load(std::memory_order_seq_cst)}};
}

} // namespace tandem
