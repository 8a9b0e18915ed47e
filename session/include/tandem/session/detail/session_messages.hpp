#pragma once

// Messages between session handles, promises and the session actor.

#include <tandem/runtime/detail/unique_function.hpp>
#include <tandem/runtime/time.hpp>
#include <tandem/session/detail/call_outcome.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace tandem::session::detail {

/// A call to the peer. `complete` is empty when the call came as an actor
/// request (then the response promise answers it).
struct outgoing_call {
  std::int64_t id;
  std::string method;
  json params;
  duration timeout;
  tandem::detail::unique_function<void(call_outcome)> complete;
  /// Receives the call's stream items (`$/stream` with its id), in order, on
  /// the session actor; may be empty.
  tandem::detail::unique_function<void(json)> on_stream;
};

struct outgoing_notification {
  std::string method;
  json params;
};

struct cancel_call {
  std::int64_t id;
};

struct call_timeout {
  std::int64_t id;
};

struct close_session {};

/// An answer or a notification for incoming call `serial`, from a promise used
/// outside the handler.
struct posted_answer {
  std::uint64_t serial;
  call_outcome outcome;
};
struct posted_notification {
  std::uint64_t serial;
  std::string method;
  json params;
};

/// Shared by a session actor and its handles: call ids are taken by the
/// caller, so a call's id is known before the session sees the call.
struct session_shared {
  std::atomic<std::int64_t> last_call_id{0};
};

} // namespace tandem::session::detail
