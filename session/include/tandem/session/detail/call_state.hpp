#pragma once

#include <tandem/actors/actor.hpp>
#include <tandem/runtime/detail/unique_function.hpp>
#include <tandem/session/detail/call_outcome.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tandem::session::detail {

class session_actor;

/// One incoming call, shared by the session and whatever answers it (the
/// handler's context, its promises). The first answer wins: `answered` is
/// claimed with an exchange, by a handler's answer, a promise, a
/// cancellation or the session closing.
struct call_state {
  json id; // null for a notification
  bool notification = false;
  std::string method;
  std::uint64_t serial = 0;
  actor session;

  /// The thread running the handler synchronously, or none: answers and
  /// notifications from that thread go straight to `core` (keeping their
  /// order with an immediate result); from anywhere else, later, they are
  /// posted to the session's mailbox.
  std::atomic<std::thread::id> sync_thread{};
  session_actor* core = nullptr;

  std::atomic<bool> answered{false};
  std::atomic<bool> cancelled{false};
  bool promised = false; // touched on the session actor only
  std::weak_ptr<struct promise_guard> guard; // session actor only: one per call
  std::vector<tandem::detail::unique_function<void()>> on_cancel; // session actor only
};

/// Answers the call unless it was already answered; false then.
bool answer_call(call_state& call, call_outcome outcome);
/// Sends a notification to the caller while the call is open; false if not.
bool notify_caller(call_state& call, std::string method, json params);

/// The method of stream items: params {"id": <the call's id>, "value": ...}.
inline constexpr const char* stream_method = "$/stream";

inline bool stream_to_caller(call_state& call, json value) {
  return notify_caller(call, stream_method, json{{"id", call.id}, {"value", std::move(value)}});
}

/// Held by the copies of one rpc_promise: when the last goes without an
/// answer, the call fails (-32603) rather than stay open forever.
struct promise_guard {
  explicit promise_guard(std::shared_ptr<call_state> s) : state(std::move(s)) {}
  promise_guard(const promise_guard&) = delete;
  promise_guard& operator=(const promise_guard&) = delete;
  ~promise_guard();
  std::shared_ptr<call_state> state;
};

} // namespace tandem::session::detail
