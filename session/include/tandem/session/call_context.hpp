#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/session/detail/call_state.hpp>
#include <tandem/session/rpc_promise.hpp>
#include <tandem/session/session_handle.hpp>

#include <memory>
#include <string>
#include <utility>

namespace tandem::session {

/// What a handler knows about the call it serves, given as its last
/// parameter when it asks for one. Handlers run on the session actor; this
/// context is valid during the handler only (keep a promise to answer later).
class call_context {
public:
  call_context(std::shared_ptr<detail::call_state> state, actor_base* self, session_handle peer)
      : state_(std::move(state)), self_(self), peer_(std::move(peer)) {}

  /// The call's id (null for a notification).
  const json& id() const noexcept { return state_->id; }
  bool is_notification() const noexcept { return state_->notification; }
  const std::string& method() const noexcept { return state_->method; }

  /// The session actor, for timers (`self()->run_later(...)`,
  /// `delayed_send`) and requests to other actors; continuations run on it.
  actor_base* self() const noexcept { return self_; }

  /// The same session, for calls back to the peer (both ends may call).
  const session_handle& peer() const noexcept { return peer_; }

  /// Takes over answering: the handler's return value no longer answers (a
  /// handler returning the promise, or void, answers through it).
  template <class R = json>
  rpc_promise<R> promise() {
    state_->promised = true;
    auto guard = state_->guard.lock();
    if (!guard) {
      guard = std::make_shared<detail::promise_guard>(state_);
      state_->guard = guard;
    }
    return rpc_promise<R>{std::move(guard)};
  }

  /// A notification to the caller before the answer (in order with it).
  bool notify(std::string method, json params = nullptr) {
    return detail::notify_caller(*state_, std::move(method), std::move(params));
  }

  /// One item of the call's stream (`$/stream` {"id": <call id>, "value":
  /// value}): a tandem caller receives it in its on_stream callback.
  bool stream(json value) { return detail::stream_to_caller(*state_, std::move(value)); }

  /// Whether the peer cancelled the call (or the session closed).
  bool cancelled() const noexcept { return state_->cancelled.load(std::memory_order_acquire); }

  /// Runs `fn` on the session actor when the peer cancels this call or the
  /// connection closes before it was answered (e.g. to cancel a timer). Call
  /// it from the session actor (the handler, or a continuation on self()).
  void on_cancel(tandem::detail::unique_function<void()> fn) {
    if (cancelled())
      fn();
    else
      state_->on_cancel.push_back(std::move(fn));
  }

  /// tandem's internals: whether the handler took a promise.
  bool promised() const noexcept { return state_->promised; }

private:
  std::shared_ptr<detail::call_state> state_;
  actor_base* self_;
  session_handle peer_;
};

} // namespace tandem::session
