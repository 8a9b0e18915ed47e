#pragma once

#include <tandem/actors/detail/message.hpp>
#include <tandem/actors/messages.hpp>
#include <tandem/runtime/error.hpp>

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

namespace tandem {

namespace detail {

/// The answer slot of one request. Completes once: by deliver, by an error,
/// or — if every copy of the promise is dropped — with errc::broken_promise.
/// The actor that made it also fails it with errc::receiver_down when it
/// terminates first, so a requester never waits on a dead responder.
class promise_state {
public:
  promise_state(intrusive_ptr<actor_base> reply_to, request_id id) noexcept
      : reply_to_(std::move(reply_to)), id_(id) {}
  promise_state(const promise_state&) = delete;
  promise_state& operator=(const promise_state&) = delete;
  ~promise_state();

  bool pending() const noexcept { return !done_.load(std::memory_order_acquire); }

  /// Sends `response` (ownership taken) unless already completed.
  bool complete(message* response) noexcept;
  bool fail(error reason);

private:
  std::atomic<bool> done_{false};
  intrusive_ptr<actor_base> reply_to_;
  request_id id_;
};

} // namespace detail

/// Lets a handler answer a request later (after a delayed message, another
/// request, an I/O event). Copyable; the first deliver wins, later ones are
/// ignored. Thread-safe. For a message that was not a request, delivering
/// does nothing.
template <class R>
class response_promise {
public:
  response_promise() = default;
  explicit response_promise(std::shared_ptr<detail::promise_state> state)
      : state_(std::move(state)) {}

  template <class T = R, class = std::enable_if_t<!std::is_void_v<T>>>
  bool deliver(T value) {
    if (!state_)
      return false;
    return state_->complete(new detail::message_of<T>(std::move(value)));
  }

  template <class T = R, class = std::enable_if_t<std::is_void_v<T>>>
  bool deliver() {
    if (!state_)
      return false;
    return state_->complete(new detail::message_of<unit>());
  }

  bool deliver(error reason) {
    if (!state_)
      return false;
    return state_->fail(std::move(reason));
  }

  bool pending() const noexcept { return state_ && state_->pending(); }

private:
  std::shared_ptr<detail::promise_state> state_;
};

} // namespace tandem
