#pragma once

// The page's RPC client: an actor that keeps one session to a server open,
// reconnecting with exponential backoff (a delayed message to itself) when
// the connection is lost or refused, and carries calls from JavaScript to
// the current session. Plain tandem code: the transport comes from a
// factory (the browser's WebSocket in the page).

#include <tandem/session.hpp>
#include <tandem/tandem.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace tandem::browser {

struct reconnect_policy {
  duration initial = std::chrono::milliseconds(250);
  duration max = std::chrono::seconds(5);
};

/// Where the client reports; all run on the client actor.
struct client_events {
  /// "connecting", "open", "disconnected" (detail: why; retry_ms: when the
  /// next attempt is), "closed" (last event).
  std::function<void(const std::string& state, const std::string& detail, double retry_ms)> on_state;
  std::function<void(const std::string& method, const std::string& params_json)> on_notification;
  std::function<void(int call, const std::string& result_json)> on_result;
  std::function<void(int call, int code, const std::string& message, const std::string& data_json)>
    on_error;
};

/// Makes a new connection; `on_open` must be called once it is open.
using connection_factory =
  std::function<std::unique_ptr<session::connection>(std::function<void()> on_open)>;

/// A call from JavaScript: `call` numbers it for on_result/on_error/cancel;
/// params as JSON text; timeout zero = none.
struct client_call {
  int call;
  std::string method;
  std::string params_json;
  duration timeout;
};
struct client_cancel {
  int call;
};
/// Closes the session and stops reconnecting; "closed" follows.
struct client_close {};

actor spawn_client(actor_system& sys, connection_factory factory, reconnect_policy policy,
                   client_events events);

} // namespace tandem::browser
