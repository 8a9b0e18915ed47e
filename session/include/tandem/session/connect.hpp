#pragma once

// Native only (Boost.Asio/Beast): the client side of the network transports.

#include <tandem/runtime/expected.hpp>
#include <tandem/session/connection.hpp>

#include <memory>
#include <string_view>

namespace tandem::session {

/// Connects to "tcp://HOST:PORT" (newline-delimited JSON) or
/// "ws://HOST:PORT/PATH" (WebSocket text frames); blocks until connected or
/// failed. The connection owns its I/O thread; hand it to a session actor
/// and call start().
expected<std::unique_ptr<connection>> connect(std::string_view url, connection_limits limits = {});

} // namespace tandem::session
