#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/actor_system.hpp>
#include <tandem/actors/detail/request_table.hpp>
#include <tandem/actors/stateful_actor.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

namespace detail {

// What other actors touch (monitors, links) and what rarely exists (a name,
// the exit reason): kept out of line so an idle actor stays small.
struct actor_extras {
  std::string name;
  std::vector<actor> watchers;
  std::vector<actor> links;
  error exit_reason;
};

} // namespace detail

// What only the actor itself touches: no lock.
struct pending_response {
  detail::unique_function<void(detail::message&)> continuation;
  timer_handle timeout;
};

struct actor_base::owner_state {
  detail::request_table<pending_response> pending;
  detail::request_id last_request_id = 0;
  std::unique_ptr<detail::behavior_impl_base> next_behavior;
  bool has_next_behavior = false;
  error quit_reason;
  std::vector<std::weak_ptr<detail::promise_state>> promises;
  // Idle timeout: last_activity moves with every message (only for actors
  // that set one, so others never read the clock per message).
  duration idle_after{0};
  detail::unique_function<detail::message*()> idle_make;
  time_point last_activity{};
  timer_handle idle_check;
};

namespace {

using deferred_call = detail::unique_function<void()>;

} // namespace

namespace {

const std::string empty_name;

detail::message* make_failure(detail::request_id id, error reason) {
  auto* f = new detail::message_of<error>(std::move(reason));
  f->kind = detail::message_kind::failure;
  f->id = id;
  return f;
}

// A request's timeout: what it delivers is built only if it fires. Most
// requests are answered in time, and then the failure message and its text
// would be two allocations wasted per request.
class request_timeout final : public timer_entry {
public:
  request_timeout(actor_base* requester, detail::request_id id, duration after)
      : requester_(requester), id_(id), after_(after) {}

  time_point fire(time_point) override {
    auto text = "no response within " + std::to_string(after_.count() / 1000000) + " ms";
    actor_base::deliver(requester_.get(),
                        make_failure(id_, error{errc::request_timeout, std::move(text)}));
    requester_.reset();
    return time_point::max();
  }
  void discard() noexcept override { requester_.reset(); }

private:
  detail::intrusive_ptr<actor_base> requester_;
  detail::request_id id_;
  duration after_;
};

std::string describe(const actor_base& a) {
  auto s = "actor " + std::to_string(a.id());
  if (!a.name().empty())
    s += " (" + a.name() + ")";
  return s;
}

} // namespace

actor_base::actor_base(actor_config& cfg)
    : mailbox_(cfg.options.mailbox),
      unhandled_(cfg.options.unhandled),
      id_(cfg.system->next_actor_id()),
      system_(cfg.system),
      scheduler_(&cfg.system->backend()) {
#if defined(__GNUC__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Winvalid-offsetof"
#endif
  // The layout the class comment promises (64-bit targets; wasm runs one
  // thread, where no line is shared).
#if __SIZEOF_POINTER__ == 8 // a static_assert is checked even in a discarded if constexpr branch
  {
    constexpr auto reader = offsetof(actor_base, mailbox_) + decltype(mailbox_)::reader_offset();
    static_assert(reader % 64 == 0, "the mailbox's reader fields must start a cache line");
    static_assert(offsetof(actor_base, kill_code_) >= reader
                    && offsetof(actor_base, current_) >= reader,
                  "what a turn writes per message must not share the writers' line");
    static_assert(sizeof(stateful_actor<long>) == 192,
                  "a small stateful actor fits three cache lines (fjcreate's memory target)");
  }
#endif
#if defined(__GNUC__)
#  pragma GCC diagnostic pop
#endif
  if (!cfg.options.name.empty()) {
    extras_ = std::make_unique<detail::actor_extras>();
    extras_->name = std::move(cfg.options.name);
  }
}

actor_base::~actor_base() = default;

const std::string& actor_base::name() const noexcept {
  // The name is written only in the constructor, but extras_ itself may be
  // created later (by a monitor, a link or termination, on another thread):
  // read the pointer under the lock. The string it points to never changes.
  const detail::actor_extras* extras;
  {
    std::lock_guard<detail::spinlock> guard{lock_};
    extras = extras_.get();
  }
  return extras != nullptr ? extras->name : empty_name;
}

behavior actor_base::make_behavior() {
  return {};
}

void actor_base::on_exit(const error&) {}

detail::actor_extras& actor_base::shared_extras_locked() {
  if (!extras_)
    extras_ = std::make_unique<detail::actor_extras>();
  return *extras_;
}

actor_base::owner_state& actor_base::owned() {
  if (!owner_)
    owner_ = std::make_unique<owner_state>();
  return *owner_;
}

// -- delivery ----------------------------------------------------------------

error detail::empty_handle_send() {
  return error{errc::invalid_argument, "send to an empty actor handle"};
}

error actor_base::refused(actor_base* dest, detail::message* msg, push_result result) {
  switch (result) {
    case push_result::accepted:
    case push_result::wake_reader:
      return {};
    case push_result::closed:
      return bounce(msg, error{errc::receiver_down, describe(*dest) + " has terminated"});
    case push_result::full:
      return bounce(msg, error{errc::mailbox_full, "mailbox of " + describe(*dest) + " is full"});
    case push_result::dropped:
      return bounce(msg, error{errc::message_dropped,
                               "mailbox of " + describe(*dest) + " is full; message dropped"});
  }
  return {};
}

error actor_base::bounce(detail::message* msg, error reason) {
  std::unique_ptr<detail::message> owned{msg};
  if (msg->expects_response())
    deliver(msg->sender.get(), make_failure(msg->id, reason));
  return reason;
}

void actor_base::drop_overflow(detail::message* msg) {
  bounce(msg, error{errc::message_dropped,
                    "mailbox of " + describe(*this) + " was full; oldest message dropped"});
}

void actor_base::fail_request_locally(detail::request_id id, error reason) {
  deliver(this, make_failure(id, std::move(reason)));
}

void actor_base::respond_error(error reason) {
  auto* msg = current_;
  if (msg == nullptr || answered_ || !msg->expects_response())
    return;
  answered_ = true;
  deliver(msg->sender.get(), make_failure(msg->id, std::move(reason)));
}

// -- requests ----------------------------------------------------------------

detail::request_id actor_base::next_request_id() noexcept {
  return ++owned().last_request_id;
}

void actor_base::await_response(detail::request_id id,
                                detail::unique_function<void(detail::message&)> continuation) {
  if (terminated_)
    return;
  owned().pending[id].continuation = std::move(continuation);
}

timer_handle actor_base::arm_timer_after(timer_entry* entry, duration delay) {
  return system_->timers().arm_after(entry, delay);
}

timer_handle actor_base::run_later(duration delay, detail::unique_function<void()> fn) {
  return arm_timer_after(
    new detail::delayed_value<deferred_call>(this, detail::message_kind::call, std::move(fn)),
    delay);
}

void actor_base::start_idle_timeout(duration after,
                                    detail::unique_function<detail::message*()> make) {
  auto& o = owned();
  o.idle_check.cancel();
  o.idle_after = after;
  o.idle_make = std::move(make);
  o.last_activity = now();
  if (after > duration::zero())
    arm_idle_check();
}

void actor_base::clear_idle_timeout() {
  if (!owner_)
    return;
  owner_->idle_check.cancel();
  owner_->idle_check = {};
  owner_->idle_after = duration::zero();
  owner_->idle_make = nullptr;
}

void actor_base::arm_idle_check() {
  // One check timer at a time, at last_activity + idle_after: messages in
  // between only move last_activity, they never touch the timer.
  auto& o = *owner_;
  o.idle_check = run_later(o.last_activity + o.idle_after - now(), [this] {
    auto& st = *owner_;
    if (st.idle_after <= duration::zero())
      return;
    if (now() - st.last_activity >= st.idle_after) {
      deliver(this, st.idle_make());
      st.last_activity = now(); // the next notice comes `idle_after` later
    }
    arm_idle_check();
  });
}

void actor_base::arm_request_timeout(detail::request_id id, duration timeout) {
  if (terminated_)
    return;
  owned().pending[id].timeout = arm_timer_after(new request_timeout(this, id, timeout), timeout);
}

void actor_base::register_promise(const std::shared_ptr<detail::promise_state>& state) {
  auto& promises = owned().promises;
  // Prune answered promises now and then so the list tracks open ones only.
  if (promises.size() >= 16 && (promises.size() & (promises.size() - 1)) == 0)
    promises.erase(std::remove_if(promises.begin(), promises.end(),
                                  [](const auto& w) { return w.expired(); }),
                   promises.end());
  promises.push_back(state);
}

void actor_base::handle_response(detail::message& msg) {
  if (!owner_)
    return;
  pending_response entry;
  if (!owner_->pending.take(msg.id, entry))
    return; // late or unasked-for: dropped by id
  entry.timeout.cancel(); // the answer won: its timeout costs nothing more
  if (entry.continuation)
    entry.continuation(msg);
}

// -- behavior ----------------------------------------------------------------

bool actor_base::done_waiting() const noexcept {
  // Like CAF: without a behavior, an actor lives on only for its requests.
  return behavior_ == nullptr && (owner_ == nullptr || owner_->pending.empty());
}

void actor_base::install(behavior b) {
  behavior_ = std::move(b.impl());
  if (quit_requested_ || done_waiting()) {
    terminate(quit_requested_ ? take_quit_reason() : error{});
    return;
  }
  // Messages may have arrived while the behavior was being made.
  if (!mailbox_.try_block()) {
    add_ref();
    scheduler_->schedule(this);
  }
}

void actor_base::become(behavior next) {
  if (current_ == nullptr && behavior_ == nullptr) {
    behavior_ = std::move(next.impl());
    return;
  }
  auto& o = owned();
  o.next_behavior = std::move(next.impl());
  o.has_next_behavior = true;
}

void actor_base::quit(error reason) {
  if (quit_requested_)
    return;
  quit_requested_ = true;
  if (reason) // a normal exit needs no owner state
    owned().quit_reason = std::move(reason);
}

error actor_base::take_quit_reason() {
  return owner_ ? std::move(owner_->quit_reason) : error{};
}

void actor_base::handle(detail::message& msg) {
  // Sends and requests, nearly every message, go straight to the behavior;
  // kept small so that it inlines into resume().
  if (detail::droppable(msg)) {
    if (!behavior_ || !behavior_->invoke(*this, msg))
      handle_unexpected(msg);
    return;
  }
  handle_other(msg);
}

void actor_base::handle_other(detail::message& msg) {
  switch (msg.kind) {
    case detail::message_kind::response:
    case detail::message_kind::failure:
      handle_response(msg);
      return;
    case detail::message_kind::wakeup:
      return;
    case detail::message_kind::call:
      static_cast<detail::message_of<deferred_call>&>(msg).value();
      return;
    default:
      break;
  }
  if (msg.kind == detail::message_kind::system && msg.type == detail::type_key_of<exit_msg>()
      && !trap_exit_) {
    auto& exit = static_cast<detail::message_of<exit_msg>&>(msg).value;
    if (exit.reason)
      quit(exit.reason);
    return;
  }
  if (behavior_ && behavior_->invoke(*this, msg))
    return;
  handle_unexpected(msg);
}

void actor_base::handle_unexpected(detail::message& msg) {
  if (msg.kind == detail::message_kind::system)
    return; // down/exit notices nobody asked to handle
  auto what = describe(*this) + " has no handler for a message of type " + msg.type_name();
  if (msg.expects_response()) {
    respond_error(error{errc::unexpected_message, what});
    return;
  }
  switch (unhandled_) {
    case unhandled_policy::log_and_drop:
      system_->log(what + "; dropped");
      break;
    case unhandled_policy::drop:
      break;
    case unhandled_policy::fail:
      quit(error{errc::unexpected_message, what});
      break;
  }
}

// -- running -----------------------------------------------------------------

// resume()'s body, inlined into both entry points: a loop backend calls
// resume_then_release(), the pool resume(), and a call between them and this
// would be one more per turn.
[[gnu::always_inline]] inline resume_result actor_base::run_messages(std::size_t budget) {
  if (terminated_)
    return resume_result::done;
  // Timers armed by a handler reach the timer driver when it returns.
  detail::timer_batch timers_armed_here;
  int stalls = 0;
  for (std::size_t handled = 0; handled < budget;) {
    if (auto code = kill_code_.load(std::memory_order_acquire); code != 0) {
      auto reason = static_cast<errc>(code);
      terminate(error{reason, reason == errc::system_shutdown ? "actor system shut down"
                                                              : "killed"});
      return resume_result::done;
    }
    auto* raw = mailbox_.take_overflow();
    while (raw != nullptr && detail::droppable(*raw)) {
      drop_overflow(raw);
      raw = mailbox_.take_overflow();
    }
    if (raw == nullptr)
      raw = mailbox_.try_pop();
    if (raw == nullptr) {
      if (mailbox_.try_block())
        return resume_result::awaiting;
      // A sender is between the two steps of its push. Come back later
      // rather than spin: it may have been preempted.
      if (++stalls > 1)
        return resume_result::resume_later;
      continue;
    }
    stalls = 0;
    detail::message_ptr msg{raw};
    if (msg->kind == detail::message_kind::wakeup)
      continue;
    ++handled;
    current_ = msg.get();
    answered_ = false;
    try {
      handle(*msg);
    } catch (const std::exception& e) {
      fail_with_exception(e.what());
    } catch (...) {
      fail_with_exception("unknown exception");
    }
    detail::timer_batch::publish();
    if (owner_ && owner_->idle_after > duration::zero() && msg->kind != detail::message_kind::call)
      owner_->last_activity = now();
    if (!terminated_ && quit_requested_)
      terminate(take_quit_reason());
    current_ = nullptr;
    if (terminated_)
      return resume_result::done;
    if (owner_ && owner_->has_next_behavior) {
      owner_->has_next_behavior = false;
      behavior_ = std::move(owner_->next_behavior);
    }
    if (done_waiting()) {
      terminate(error{});
      return resume_result::done;
    }
  }
  return mailbox_.try_block() ? resume_result::awaiting : resume_result::resume_later;
}

resume_result actor_base::resume(std::size_t budget) {
  return run_messages(budget);
}

resume_result actor_base::resume_then_release(std::size_t budget) {
  auto result = run_messages(budget);
  if (result != resume_result::resume_later)
    release();
  return result;
}

void actor_base::fail_with_exception(const char* what) {
  terminate(error{errc::unhandled_exception, what});
}

void actor_base::kill(errc reason) noexcept {
  int expected = 0;
  kill_code_.compare_exchange_strong(expected, static_cast<int>(reason),
                                     std::memory_order_acq_rel);
  try {
    auto* wake = new detail::message_of<unit>();
    wake->kind = detail::message_kind::wakeup;
    deliver(this, wake);
  } catch (...) {
    // Out of memory: the flag still stops the actor at its next message.
  }
}

void actor_base::terminate(error reason) {
  if (terminated_)
    return;
  terminated_ = true;
  try {
    on_exit(reason);
  } catch (...) {
    // An exit hook cannot fail an actor that is already terminating.
  }
  auto as_receiver_error = [&] {
    if (reason)
      return error{errc::receiver_down, describe(*this) + " terminated: " + to_string(reason)};
    return error{errc::receiver_down, describe(*this) + " terminated"};
  };
  // The request being handled, if its handler threw or quit without answering.
  if (current_ != nullptr && !answered_ && current_->expects_response())
    respond_error(reason && reason.code() != static_cast<int>(errc::system_shutdown)
                    ? reason
                    : as_receiver_error());
  // Open promises first: destroying the behavior may drop the last copy of
  // one, and "the responder terminated" says more than "promise dropped".
  if (owner_) {
    for (auto& weak : owner_->promises)
      if (auto open = weak.lock())
        open->fail(as_receiver_error());
    owner_->promises.clear();
  }
  behavior_.reset();
  release_state();
  if (owner_) {
    owner_->idle_check.cancel();
    owner_->idle_check = {};
    owner_->idle_make = nullptr;
    owner_->pending.drain([](detail::request_id, pending_response& entry) {
      entry.timeout.cancel();
    });
    owner_->next_behavior.reset();
  }
  // Nothing queued is lost silently: each request gets an error.
  mailbox_.close([&](detail::message* rest) {
    if (rest->kind == detail::message_kind::wakeup)
      delete rest;
    else
      bounce(rest, as_receiver_error());
  });
  std::vector<actor> watchers;
  std::vector<actor> links;
  {
    std::lock_guard<detail::spinlock> guard{lock_};
    exited_ = true;
    // A normal exit of an actor nobody watches needs no extras (most
    // actors: allocating them here was a tenth of fjcreate's cost).
    if (reason || extras_) {
      auto& shared = shared_extras_locked();
      shared.exit_reason = reason;
      watchers.swap(shared.watchers);
      links.swap(shared.links);
    }
  }
  actor me{this};
  for (auto& w : watchers) {
    auto* m = detail::make_message(down_msg{me, reason});
    m->kind = detail::message_kind::system;
    deliver(w.cell(), m);
  }
  for (auto& l : links) {
    l.cell()->remove_link(this);
    auto* m = detail::make_message(exit_msg{me, reason});
    m->kind = detail::message_kind::system;
    deliver(l.cell(), m);
  }
  terminated_flag_.store(true, std::memory_order_release);
  system_->unregister_actor(this); // the last use of the system
  release();                       // the actor's own reference
}

// -- monitors and links ------------------------------------------------------

std::optional<error> actor_base::enlist_with(actor_base* other, bool as_link) {
  std::lock_guard<detail::spinlock> guard{other->lock_};
  if (other->exited_)
    return other->extras_ ? other->extras_->exit_reason : error{};
  auto& shared = other->shared_extras_locked();
  (as_link ? shared.links : shared.watchers).push_back(this_actor());
  return std::nullopt;
}

void actor_base::monitor(const actor& other) {
  auto* o = other.cell();
  if (o == nullptr || o == this)
    return;
  auto exited = enlist_with(o, false);
  if (exited) {
    auto* m = detail::make_message(down_msg{other, std::move(*exited)});
    m->kind = detail::message_kind::system;
    deliver(this, m);
  }
}

void actor_base::demonitor(const actor& other) {
  auto* o = other.cell();
  if (o == nullptr)
    return;
  std::lock_guard<detail::spinlock> guard{o->lock_};
  if (!o->extras_)
    return;
  auto& w = o->extras_->watchers;
  auto i = std::find(w.begin(), w.end(), this_actor());
  if (i != w.end())
    w.erase(i);
}

void actor_base::link_to(const actor& other) {
  auto* o = other.cell();
  if (o == nullptr || o == this)
    return;
  auto exited = enlist_with(o, true);
  if (exited) {
    auto reason = std::move(*exited);
    // Like Erlang's noproc: linking to a terminated actor is an exit signal.
    if (!reason)
      reason = error{errc::receiver_down, "linked to an actor that had already terminated"};
    auto* m = detail::make_message(exit_msg{other, std::move(reason)});
    m->kind = detail::message_kind::system;
    deliver(this, m);
    return;
  }
  std::lock_guard<detail::spinlock> guard{lock_};
  shared_extras_locked().links.push_back(other);
}

void actor_base::remove_link(actor_base* other) {
  std::lock_guard<detail::spinlock> guard{lock_};
  if (!extras_)
    return;
  auto& l = extras_->links;
  auto i = std::find_if(l.begin(), l.end(), [&](const actor& a) { return a.cell() == other; });
  if (i != l.end())
    l.erase(i);
}

void actor_base::unlink_from(const actor& other) {
  auto* o = other.cell();
  if (o == nullptr)
    return;
  o->remove_link(this);
  remove_link(o);
}

} // namespace tandem
