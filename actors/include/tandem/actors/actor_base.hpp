#pragma once

#include <tandem/actors/actor.hpp>
#include <tandem/actors/behavior.hpp>
#include <tandem/actors/detail/message.hpp>
#include <tandem/actors/detail/spinlock.hpp>
#include <tandem/actors/messages.hpp>
#include <tandem/actors/missed_tick_policy.hpp>
#include <tandem/actors/pending_request.hpp>
#include <tandem/actors/response_promise.hpp>
#include <tandem/actors/spawn_options.hpp>
#include <tandem/mailbox/intrusive_mpsc.hpp>
#include <tandem/runtime/detail/handoff.hpp>
#include <tandem/runtime/detail/local_run_queue.hpp>
#include <tandem/runtime/detail/unique_function.hpp>
#include <tandem/runtime/expected.hpp>
#include <tandem/runtime/resumable.hpp>
#include <tandem/runtime/scheduler.hpp>
#include <tandem/timers/timer_service.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tandem {

class actor_system;

/// What a new actor is told about itself; class-based actors pass it on to
/// actor_base's constructor: `explicit account(actor_config& cfg) : actor_base(cfg) {}`.
struct actor_config {
  actor_system* system;
  spawn_options options;
};

namespace detail {
struct actor_extras;
} // namespace detail

/// A running actor, and the `self` its handlers talk to. Class-based actors
/// derive from it and override make_behavior(); function-based actors receive
/// a pointer to it (or to a stateful_actor<State>).
///
/// An actor runs until it quits, fails (a handler threw) or its system stops
/// it; handles keep only its memory alive. Its handlers never run
/// concurrently, and none runs after it terminated.
///
/// Actors are cache-line aligned and laid out by who writes what: the first
/// line holds the mailbox's writers' end, the lines after it what the actor's
/// own thread writes per message. A sender and a receiver on two cores then
/// share no line but the messages themselves.
class alignas(64) actor_base : public resumable {
public:
  explicit actor_base(actor_config& cfg);
  virtual ~actor_base();

  // Whole cache lines from the small-object pool: aligned as the layout
  // needs, and a slot of the actor's exact size (no allocator header).
  static void* operator new(std::size_t size, std::align_val_t) {
    return detail::allocate_lines(size);
  }
  static void operator delete(void* p, std::size_t size, std::align_val_t) noexcept {
    detail::free_lines(p, size);
  }

  actor_id id() const noexcept { return id_; }
  const std::string& name() const noexcept;
  actor_system& system() const noexcept { return *system_; }
  /// A handle to this actor, e.g. to pass to others.
  actor this_actor() noexcept { return actor{this}; }

  // -- messaging --------------------------------------------------------------

  /// Sends `msg` to `dest` (a handle, or an actor pointer). Returns an error
  /// if it was not queued: the receiver terminated, or its bounded mailbox
  /// refused or dropped it.
  template <class Dest, class T>
  error send(const Dest& dest, T&& msg);

  /// Sends `msg` as a request; say what to do with the answer with `.then`.
  template <class Dest, class T>
  auto request(const Dest& dest, T&& msg);

  /// A request that fails with errc::request_timeout unless answered within
  /// `timeout`. The timeout is a delayed message to this actor; an answer
  /// arriving later is dropped by request id; an answer in time cancels it.
  template <class Dest, class T>
  auto request(const Dest& dest, duration timeout, T&& msg);

  /// Sends `msg` to `dest` after `delay`; the handle cancels it (O(1)).
  template <class Dest, class T>
  timer_handle delayed_send(const Dest& dest, duration delay, T&& msg);

  /// Sends a copy of `msg` to `dest` every `period`, the first after one
  /// period, on a fixed-rate grid (no drift); ends when the handle cancels
  /// it or `dest` terminates.
  template <class Dest, class T>
  timer_handle send_periodically(const Dest& dest, duration period, T msg,
                                 missed_tick_policy policy = missed_tick_policy::skip);

  /// The time on the system's clock (virtual on the deterministic backend).
  time_point now() const { return scheduler_->now(); }

  /// Runs `fn` on this actor after `delay` (a delayed message underneath, so
  /// it never runs concurrently with a handler, and not at all once the actor
  /// has terminated). The handle cancels it. Unlike an awaited response, a
  /// pending continuation does not keep an actor without behavior alive.
  timer_handle run_later(duration delay, detail::unique_function<void()> fn);

  /// When the actor has received nothing for `after`, it is sent `msg` — and
  /// again every `after` while it stays idle (Akka's receive timeout). A
  /// later call replaces it; clear_idle_timeout() ends it.
  template <class T>
  void set_idle_timeout(duration after, T msg);
  void clear_idle_timeout();

  /// Takes over answering the request being handled, to answer it later.
  template <class R>
  response_promise<R> make_response_promise();

  // -- lifecycle --------------------------------------------------------------

  /// Terminates after the current handler; an empty reason is a normal exit.
  void quit(error reason = {});

  /// Receive a down_msg when `other` terminates (at once if it already has).
  void monitor(const actor& other);
  void demonitor(const actor& other);

  /// Link both ways: when either terminates with a non-normal reason, the
  /// other receives an exit_msg and, unless it traps exits, terminates too.
  void link_to(const actor& other);
  void unlink_from(const actor& other);

  /// Whether exit_msg from links goes to the behavior instead of terminating.
  void trap_exit(bool enabled) noexcept { trap_exit_ = enabled; }

  /// Replaces the behavior after the current handler. With an empty behavior
  /// the actor quits once no response it awaits is outstanding (like CAF).
  void become(behavior next);
  template <class... Sigs>
  void become(typed_behavior<Sigs...> next) {
    become(std::move(next.unbox()));
  }

  /// Spawns another actor in the same system (see actor_system::spawn).
  template <class F, class... Ts>
    requires(!std::is_base_of_v<actor_base, std::decay_t<F>>)
  auto spawn(F&& f, Ts&&... xs);
  template <class C, class... Ts>
    requires std::is_base_of_v<actor_base, C>
  auto spawn(Ts&&... xs);

  // -- customization for class-based actors ----------------------------------

  /// The initial behavior of a class-based actor.
  virtual behavior make_behavior();
  /// Runs once when the actor terminates, with the reason. A class-based
  /// actor that keeps handles to other actors in members should drop them
  /// here, or two actors holding each other's handles keep each other's
  /// memory alive (their state is freed with their last handle).
  virtual void on_exit(const error& reason);

protected:
  /// Frees what the actor owns as soon as it terminates, after on_exit.
  virtual void release_state() {}

public:
  // -- resumable --------------------------------------------------------------

  resume_result resume(std::size_t budget) final;
  resume_result resume_then_release(std::size_t budget) final;
  void add_ref() noexcept final { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept final {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

  // -- tandem's internals ---------------------------------------------------

  /// Queues `msg` (ownership taken) at `dest`, scheduling it if it was idle.
  /// On failure the message is disposed of: a request is answered with the
  /// error, anything else dropped. Returns the error.
  static error deliver(actor_base* dest, detail::message* msg);
  /// deliver()'s slow path: disposes of a message the mailbox did not take.
  static error refused(actor_base* dest, detail::message* msg, push_result result);

  /// Queued messages, for tests and diagnostics.
  std::size_t mailbox_size() const noexcept { return mailbox_.size(); }
  /// Whether the actor has terminated.
  bool terminated() const noexcept { return terminated_flag_.load(std::memory_order_acquire); }

  /// Starts the actor with the behavior `init` makes (runs on the spawner's
  /// thread, before anyone else can see the actor).
  template <class Init>
  void start(Init&& init);

  /// Asks the actor to terminate with `reason` code at its next message
  /// boundary, ahead of whatever is queued. Thread-safe.
  void kill(errc reason) noexcept;

  /// Answers the request being handled (if it is one and still unanswered).
  template <class T>
  void respond(T&& value);
  void respond_error(error reason);

  /// Registers a continuation for response `id`.
  void await_response(detail::request_id id,
                      detail::unique_function<void(detail::message&)> continuation);
  detail::request_id next_request_id() noexcept;

  /// Sends an error to this actor's own mailbox as the answer to request id.
  void fail_request_locally(detail::request_id id, error reason);

  /// Arms a timer entry on the system's timer service, to fire `delay` from
  /// now (timer_service::arm_after: one clock read per handler).
  timer_handle arm_timer_after(timer_entry* entry, duration delay);
  void start_idle_timeout(duration after, detail::unique_function<detail::message*()> make);
  void arm_request_timeout(detail::request_id id, duration timeout);

private:
  void install(behavior b);
  resume_result run_messages(std::size_t budget);
  bool done_waiting() const noexcept;
  void handle(detail::message& msg);
  void handle_other(detail::message& msg);
  void handle_response(detail::message& msg);
  void handle_unexpected(detail::message& msg);
  void handle_system_call(detail::message& msg);
  void arm_idle_check();
  void terminate(error reason);
  error take_quit_reason();
  void fail_with_exception(const char* what);
  void register_promise(const std::shared_ptr<detail::promise_state>& state);
  void remove_link(actor_base* other);
  /// Adds this actor to `other`'s watchers (or links) unless `other` has
  /// exited; then returns its exit reason instead.
  std::optional<error> enlist_with(actor_base* other, bool as_link);
  void drop_overflow(detail::message* msg);
  static error bounce(detail::message* msg, error reason);
  detail::actor_extras& shared_extras_locked();
  struct owner_state;
  owner_state& owned();

  // First, right after the resumable's words: the mailbox, whose reader
  // fields then start the second cache line (checked in actor_base.cpp).
  intrusive_mpsc<detail::message> mailbox_;
  // What the actor's own turn reads or writes per message, and (packed in
  // beside it) what others write rarely: a wake's reference, a monitor.
  std::atomic<int> kill_code_{0};
  std::atomic<std::uint32_t> refs_{1}; // the actor's own reference while alive
  std::atomic<bool> terminated_flag_{false};
  bool terminated_ = false;
  bool answered_ = false;
  bool trap_exit_ = false;
  bool quit_requested_ = false;
  mutable detail::spinlock lock_; // guards extras_ (the pointer and its links and monitors), exited_
  bool exited_ = false;
  unhandled_policy unhandled_;
  std::unique_ptr<detail::behavior_impl_base> behavior_;
  detail::message* current_ = nullptr;
  std::unique_ptr<owner_state> owner_; // touched by the actor only
  std::unique_ptr<detail::actor_extras> extras_; // shared: guarded by lock_
  actor_id id_;
  actor_system* system_;
  scheduler* scheduler_;

public:
  // System registry links (guarded by the system's registry lock).
  actor_base* registry_prev = nullptr;
  actor_base* registry_next = nullptr;

private:
  friend class actor_system;
};

// Inline: every send comes here, and the common outcomes are a push and
// perhaps a schedule. A call less per message matters most to WebAssembly,
// where every live value is spilled around a call.
inline error actor_base::deliver(actor_base* dest, detail::message* msg) {
  auto result = dest->mailbox_.push(msg, detail::droppable(*msg));
  if (result == push_result::accepted) {
    // The sender goes on sending: whoever it woke before must not wait for it
    // in a hand-off slot that other threads cannot see.
    detail::publish_handoff();
    return {};
  }
  if (result == push_result::wake_reader) {
    dest->add_ref(); // handed over to the scheduler
    detail::schedule_on(*dest->scheduler_, dest);
    return {};
  }
  return refused(dest, msg, result);
}

inline void intrusive_ptr_add_ref(actor_base* p) noexcept { p->add_ref(); }
inline void intrusive_ptr_release(actor_base* p) noexcept { p->release(); }

namespace detail {

template <class Dest, class T>
constexpr void check_accepts() {
  static_assert(handle_traits<Dest>::template accepts<T>,
                "this typed actor has no handler for that message type");
}

template <class Dest, class T, bool Typed = handle_traits<Dest>::is_typed>
struct request_response {
  using type = dynamic_response;
};
template <class Dest, class T>
struct request_response<Dest, T, true> {
  using type = typename handle_traits<Dest>::template response_type<T>;
};

template <class T>
message* make_message(T&& value) {
  return new message_of<std::decay_t<T>>(std::forward<T>(value));
}

/// What a send to an empty handle returns. Out of line (and cold) so that
/// the text it builds is not part of every send: a send small enough to
/// inline into its handler is one call less per message.
[[gnu::cold]] error empty_handle_send();

} // namespace detail

/// Sends `msg` to `dest` from outside any actor (or without naming a sender).
/// Always inline: a send is an allocation, a push and perhaps a wake, and
/// compilers left it a call wherever a handler sends from two places --
/// in WebAssembly a call per message costs more than the send's own work.
template <class Dest, class T>
[[gnu::always_inline]] inline error send(const Dest& dest, T&& msg) {
  detail::check_accepts<Dest, T>();
  auto* target = detail::cell_of(dest);
  if (target == nullptr) [[unlikely]]
    return detail::empty_handle_send();
  return actor_base::deliver(target, detail::make_message(std::forward<T>(msg)));
}

template <class Dest, class T>
[[gnu::always_inline]] inline error actor_base::send(const Dest& dest, T&& msg) {
  return tandem::send(dest, std::forward<T>(msg));
}

template <class Dest, class T>
auto actor_base::request(const Dest& dest, T&& msg) {
  detail::check_accepts<Dest, T>();
  using response = typename detail::request_response<Dest, T>::type;
  auto id = next_request_id();
  auto* target = detail::cell_of(dest);
  if (target == nullptr) {
    fail_request_locally(id, error{errc::invalid_argument, "request to an empty actor handle"});
  } else {
    auto* m = detail::make_message(std::forward<T>(msg));
    m->kind = detail::message_kind::request;
    m->id = id;
    m->sender = detail::intrusive_ptr<actor_base>{this};
    deliver(target, m);
  }
  return pending_request<response>{this, id};
}

template <class Dest, class T>
auto actor_base::request(const Dest& dest, duration timeout, T&& msg) {
  auto pending = request(dest, std::forward<T>(msg));
  arm_request_timeout(pending.id(), timeout);
  return pending;
}

template <class T>
void actor_base::set_idle_timeout(duration after, T msg) {
  start_idle_timeout(after, [msg = std::move(msg)]() -> detail::message* {
    return detail::make_message(T{msg});
  });
}

template <class R>
response_promise<R> actor_base::make_response_promise() {
  auto* msg = current_;
  if (msg == nullptr || answered_ || !msg->expects_response())
    return response_promise<R>{};
  answered_ = true;
  auto state = std::make_shared<detail::promise_state>(std::move(msg->sender), msg->id);
  register_promise(state);
  return response_promise<R>{std::move(state)};
}

template <class T>
void actor_base::respond(T&& value) {
  auto* msg = current_;
  if (msg == nullptr || answered_ || !msg->expects_response())
    return;
  answered_ = true;
  auto* r = detail::make_message(std::forward<T>(value));
  r->kind = detail::message_kind::response;
  r->id = msg->id;
  deliver(msg->sender.get(), r);
}

template <class Init>
void actor_base::start(Init&& init) {
  behavior initial;
  try {
    initial = init();
  } catch (const std::exception& e) {
    fail_with_exception(e.what());
    return;
  } catch (...) {
    fail_with_exception("unknown exception");
    return;
  }
  install(std::move(initial));
}

} // namespace tandem

#include <tandem/actors/detail/behavior_impl.hpp>
#include <tandem/actors/detail/pending_request_impl.hpp>
#include <tandem/actors/detail/timer_entries.hpp>
