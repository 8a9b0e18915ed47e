#pragma once

// Native only (Boost.Asio/Beast): the client side of the network transports.

#include <tandem/runtime/expected.hpp>
#include <tandem/session/connection.hpp>

#include <chrono>
#include <memory>
#include <string_view>

namespace tandem::session {

/// Connects to "tcp://HOST:PORT" (newline-delimited JSON) or
/// "ws://HOST:PORT/PATH" (WebSocket text frames); blocks until connected or
/// failed, for at most `timeout` (name resolution, TCP connect and the
/// WebSocket handshake together). The connection owns its I/O thread; hand it
/// to a session actor and call start().
expected<std::unique_ptr<connection>> connect(std::string_view url, connection_limits limits = {},
                                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace tandem::session
