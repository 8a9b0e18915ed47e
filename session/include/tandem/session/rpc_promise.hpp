#pragma once

#include <tandem/runtime/error.hpp>
#include <tandem/session/detail/call_state.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace tandem::session {

class call_context;

/// Answers an incoming call later: after a delayed message, another request,
/// an I/O event. Copyable and thread-safe; the first answer wins (a call the
/// peer cancelled has already been answered with -32800). Dropping every copy
/// unanswered answers -32603. Also sends notifications to the caller (a
/// stream) while the call is open.
template <class R>
class rpc_promise {
public:
  rpc_promise() = default;

  /// Answers with `value` (converted by to_json; a conversion that throws
  /// answers -32603). False if the call was already answered.
  template <class T = R, class = std::enable_if_t<!std::is_void_v<T>>>
  bool deliver(T value) {
    if (!guard_)
      return false;
    json j;
    try {
      j = std::move(value);
    } catch (const std::exception& e) {
      return fail(rpc_error{rpc_code::internal_error,
                            std::string{"Internal error: result does not convert to JSON: "} + e.what()});
    }
    return detail::answer_call(*guard_->state, detail::call_outcome::value(std::move(j)));
  }

  /// Answers a call whose result is void (JSON null).
  template <class T = R, class = std::enable_if_t<std::is_void_v<T>>>
  bool deliver() {
    return guard_ && detail::answer_call(*guard_->state, detail::call_outcome::value(nullptr));
  }

  /// Answers with an error.
  bool fail(rpc_error e) {
    return guard_ && detail::answer_call(*guard_->state, detail::call_outcome::failure(std::move(e)));
  }
  bool fail(const error& e) { return fail(rpc_error::from(e)); }

  /// A notification to the caller, before the answer; false once answered.
  bool notify(std::string method, json params = nullptr) {
    return guard_ && detail::notify_caller(*guard_->state, std::move(method), std::move(params));
  }

  /// One item of the call's stream: notification `$/stream` with params
  /// {"id": <call id>, "value": value}, delivered to the caller's on_stream.
  bool stream(json value) {
    return guard_ && detail::stream_to_caller(*guard_->state, std::move(value));
  }

  /// Whether the peer cancelled the call (or the session closed).
  bool cancelled() const noexcept {
    return guard_ && guard_->state->cancelled.load(std::memory_order_acquire);
  }
  /// Whether the call still waits for an answer.
  bool pending() const noexcept {
    return guard_ && !guard_->state->answered.load(std::memory_order_acquire);
  }
  /// The call's id (null for a notification).
  const json& id() const { return guard_->state->id; }

private:
  friend class call_context;
  explicit rpc_promise(std::shared_ptr<detail::promise_guard> g) : guard_(std::move(g)) {}

  std::shared_ptr<detail::promise_guard> guard_;
};

} // namespace tandem::session
