#pragma once

// A client that keeps one session to a server: an actor that opens a
// connection from a factory, spawns a session on it, and when the connection
// is refused or lost retries with exponential backoff (a delayed message to
// itself, so the wait is virtual time on the deterministic backend). Calls
// sent to it go to the current session; their outcomes and the peer's
// notifications come back through callbacks run on the client actor. The
// browser page's JavaScript sessions are built on it.

#include <tandem/actors/actor_system.hpp>
#include <tandem/runtime/expected.hpp>
#include <tandem/session/connection.hpp>
#include <tandem/session/json.hpp>
#include <tandem/session/rpc_error.hpp>
#include <tandem/session/rpc_notification.hpp>
#include <tandem/session/session_handle.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tandem::session {

struct reconnect_policy {
  /// The wait after the first failure; it doubles with each failed attempt
  /// in a row and starts again here once a connection opens.
  duration initial = std::chrono::milliseconds(250);
  /// The longest wait between attempts.
  duration max = std::chrono::seconds(5);
};

enum class client_state {
  connecting,   ///< an attempt is under way; calls wait for it
  open,         ///< the connection is open
  disconnected, ///< waiting to retry; calls fail at once
  closed,       ///< after client_close: the last state, the client has quit
};

/// "connecting", "open", "disconnected", "closed".
const char* to_string(client_state s) noexcept;

/// Where the client reports. Each runs on the client actor; none may be empty
/// (defaults do nothing).
struct client_events {
  /// Every change of state. `detail` says why a connection ended,
  /// `retry_in` how long until the next attempt (disconnected only).
  std::function<void(client_state state, const std::string& detail, duration retry_in)> on_state =
    [](client_state, const std::string&, duration) {};
  /// A notification from the server (e.g. the items of a stream).
  std::function<void(rpc_notification& n)> on_notification = [](rpc_notification&) {};
  /// A call's result.
  std::function<void(std::int64_t call, json& result)> on_result = [](std::int64_t, json&) {};
  /// A call's failure: the server's JSON-RPC error, -32800 once cancelled,
  /// errc::request_timeout after its timeout, errc::channel_closed when
  /// there is no connection or it closes with the call pending.
  std::function<void(std::int64_t call, const rpc_error& error)> on_error =
    [](std::int64_t, const rpc_error&) {};
};

/// Makes the connection of one attempt, or says why there is none. Transports
/// that open asynchronously (the browser's WebSocket) call `on_open` once the
/// connection is open, from any thread; those that return an open connection
/// (session::connect natively, in-process pairs) call it before returning.
using connection_factory =
  std::function<expected<std::unique_ptr<connection>>(std::function<void()> on_open)>;

struct client_options {
  connection_factory connect;
  reconnect_policy reconnect;
  client_events events;
  /// The session actors' name (logs).
  std::string name = "session-client";
};

// The messages a client handles (send them with tandem::send).

/// Calls `method`. `call` is the caller's number for it (in on_result,
/// on_error and client_cancel); numbers must not be reused while pending.
struct client_call {
  std::int64_t call = 0;
  std::string method;
  json params;
  duration timeout = no_timeout;
};
/// Cancels a pending call: it fails with -32800 and the server is told.
struct client_cancel {
  std::int64_t call = 0;
};
/// Closes the session and stops reconnecting: pending calls fail with
/// errc::channel_closed, then the state becomes closed and the client quits.
struct client_close {};

/// Spawns a client and starts its first attempt. If the client terminates
/// otherwise (its system shuts down), its session is closed.
actor spawn_session_client(actor_system& sys, client_options opts);

} // namespace tandem::session
