#pragma once

#include <tandem/runtime/detail/small_object_pool.hpp>
#include <tandem/runtime/scheduler.hpp>
#include <tandem/timers/timer_wheel.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace tandem {

class timer_service;

class timer_entry;

namespace detail {
struct timer_core;

/// The timers armed on this thread inside an open timer_batch, in arming
/// order; a slot is null once its timer was cancelled here. Trivial to
/// construct and destroy (no allocation, nothing to free at thread exit).
struct deferred_arms {
  static constexpr std::uint32_t capacity = 256;
  std::uint32_t depth = 0; // open timer_batch scopes
  std::uint32_t count = 0; // slots used
  std::uint32_t relative = 0; // nonzero: some entry was armed by delay (deadline = the delay)
  timer_core* core = nullptr; // the service of every entry in the batch
  timer_entry* entries[capacity] = {};
};

/// This thread's batch. In the header so that the batch's scope and
/// publish() are inline: every handler opens and publishes one, and most arm
/// nothing -- in WebAssembly, where a call spills every live value, the three
/// calls that cost were a tenth of a message between two actors.
inline constinit thread_local deferred_arms this_thread_arms;

/// While one is open on a thread (an actor's turn opens one), timers armed on
/// that thread wait there and reach their service's wheel when publish() is
/// called -- after each handler -- or the scope closes. Why: a timer armed
/// and cancelled in the same handler (a request answered at once, a delayed
/// send taken back) then costs no atomic push and no work on the timer
/// thread, and the arming thread, whose entries are still in its cache, does
/// the wheel inserts for the rest instead of one timer thread digesting every
/// worker's arms cold. A timer armed in a handler can only fire after that
/// handler has returned (or armed 256 more timers); nested scopes are one.
/// The delays of the timers armed through timer_service::arm_after count
/// from one clock read taken when the batch is handed over (see there).
class timer_batch {
public:
  timer_batch() noexcept { ++this_thread_arms.depth; }
  ~timer_batch() {
    if (--this_thread_arms.depth == 0)
      publish();
  }
  timer_batch(const timer_batch&) = delete;
  timer_batch& operator=(const timer_batch&) = delete;

  /// Hands this thread's waiting timers to their wheel. No call when none
  /// wait.
  static void publish() noexcept {
    if (this_thread_arms.count != 0)
      publish_waiting();
  }

private:
  static void publish_waiting() noexcept;
};
} // namespace detail

/// One armed timer. The timer layer knows nothing of what firing means: a
/// derived class (a delayed message, a request timeout, an interval tick)
/// says it in fire(). Reference counted: the service holds it while it is
/// armed, a timer_handle while the caller keeps one.
///
/// Arming outside an actor's handler and cancelling take no lock: arm pushes
/// the entry on the service's lock-free inbox, cancel flips the entry's state
/// with one CAS; the thread that expires timers moves inbox entries into the
/// wheel (and cancelled ones out of it). Timers armed inside a handler are
/// kept on the arming thread until the handler returns (see
/// detail::timer_batch): one cancelled meanwhile never leaves it, the others
/// are put into the wheel by that thread, in one short locked step -- so the
/// thread that expires timers only fires them, however fast they are armed.
class timer_entry : public timer_node {
public:
  timer_entry() = default;
  explicit timer_entry(time_point deadline) : timer_node(deadline) {}
  virtual ~timer_entry() = default;

  /// Runs once per expiry, on the thread that expires timers, outside any
  /// timer lock. Returns the next deadline to re-arm at (an interval), or
  /// time_point::max() for none.
  virtual time_point fire(time_point now) = 0;

  /// Called once the timer is cancelled: frees what it carries (a message, a
  /// reference to its receiver), so a handle kept somewhere holds nothing but
  /// the empty entry — no cycles through timers. Never concurrent with fire().
  virtual void discard() noexcept {}

  // Entries come and go by the million, made on an actor's worker and freed
  // by the timer driver: the small-object pool sends each back to the thread
  // that made it. Both threads write an entry in turn, so it gets whole cache
  // lines of its own (two for a delayed message, not three).
  static void* operator new(std::size_t size) {
    return detail::allocate_small(detail::whole_lines(size));
  }
  static void operator delete(void* p, std::size_t size) noexcept {
    detail::free_small(p, detail::whole_lines(size));
  }

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // Whoever holds the last reference is alone: nobody can add one, so it
    // needs no read-modify-write (about 20 cycles) to find that out.
    if (refs_.load(std::memory_order_acquire) == 1
        || refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

protected:
  /// An interval: cancel() also succeeds while it is firing (no next tick).
  void set_periodic() noexcept { periodic_ = true; }

private:
  friend class timer_service;
  friend class timer_handle;
  friend struct detail::timer_core;

  enum state : std::uint8_t {
    queued,    ///< in the service's inbox, not yet in the wheel
    armed,     ///< in the wheel
    firing,    ///< an interval being fired; re-queued after
    done,      ///< fired (a one-shot), or the service closed
    cancelled, ///< cancel() won; its payload is discarded
  };

  std::atomic<std::uint32_t> refs_{1};
  std::atomic<std::uint8_t> state_{queued};
  bool periodic_ = false;
  // Armed by arm_after() into a timer_batch: `deadline` holds the delay
  // until the batch is handed over and reads the clock once for all.
  bool relative_ = false;
  detail::timer_core* core_ = nullptr; // set by arm()
  timer_entry* inbox_next_ = nullptr;  // link in the service's inbox
  // While it waits in a timer_batch (state queued), the entry's index there
  // is kept in timer_node::seq, which the wheel sets only on insert: a cancel
  // on the arming thread takes it out at once.
};

/// Cancels a timer. Cheap to keep and to drop (dropping does not cancel);
/// usable after its actor system is gone (it then cancels nothing).
class timer_handle {
public:
  timer_handle() = default;
  timer_handle(const timer_handle& other) noexcept;
  timer_handle(timer_handle&& other) noexcept : entry_(std::exchange(other.entry_, nullptr)) {}
  timer_handle& operator=(timer_handle other) noexcept {
    std::swap(entry_, other.entry_);
    return *this;
  }
  ~timer_handle() {
    if (entry_ != nullptr)
      entry_->release();
  }

  /// O(1), lock-free. True if the timer was armed and will now never fire
  /// (for an interval: no further tick, even if one is being delivered right
  /// now). False if it had already fired (a one-shot whose expiry has begun:
  /// its message is, or is about to be, in the mailbox), was cancelled
  /// before, its service has closed, or the handle is empty. Exactly one of
  /// cancel() and the expiry wins, whatever threads they run on.
  bool cancel() noexcept;

  /// True while the timer is armed (not fired, not cancelled).
  bool pending() const noexcept;

  explicit operator bool() const noexcept { return entry_ != nullptr; }

private:
  friend class timer_service;
  explicit timer_handle(timer_entry* entry) noexcept : entry_(entry) {}

  timer_entry* entry_ = nullptr;
};

/// All timers of one actor system: one timer wheel, driven by the system's
/// backend through the scheduler seam (a timer thread natively, the loop
/// itself on the cooperative and deterministic backends).
class timer_service final : public timer_handler {
public:
  explicit timer_service(scheduler& backend);
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  /// Arms `entry` (taking over its one reference) at entry->deadline.
  /// Lock-free; wakes the backend's timer driver only for a new earliest
  /// deadline.
  timer_handle arm(timer_entry* entry);

  /// Arms `entry` (taking over its one reference) to fire `delay` from now;
  /// sets entry->deadline. Outside a handler that is now() + delay at the
  /// call. Inside a handler (an open timer_batch) the clock is read once for
  /// all the timers the handler arms, when they are handed to the wheel:
  /// after the call, at the latest when the handler returns (or 256 timers
  /// wait). So a timer never fires before `delay` has passed since the call
  /// -- it could not fire before its handler returned anyway -- and a
  /// handler that keeps running after arming one makes it that much later.
  /// Why: a clock read costs about as much as the rest of arming a timer
  /// (~25 ns natively), and handlers that arm many (a request per message,
  /// a timeout per call) pay it once.
  timer_handle arm_after(timer_entry* entry, duration delay);

  /// Timers armed and not yet fired or cancelled (including those this
  /// thread's open timer_batch holds; not those of other threads' batches).
  std::size_t pending() const;

  time_point expire(time_point now) override;

  time_point now() const { return backend_.now(); }

private:
  scheduler& backend_;
  std::unique_ptr<detail::timer_core> core_;
};

} // namespace tandem
