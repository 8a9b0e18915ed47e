#pragma once

// Native only: a network server whose every accepted connection gets a
// session actor of its own, spawned in the given actor system.

#include <tandem/session/network_server.hpp>
#include <tandem/session/spawn_session.hpp>

namespace tandem::session {

/// Starts the listeners of `options` and spawns, per connection, a session
/// serving `session.methods` (its limits are the server's) in `sys`, or on
/// the server's I/O thread with options.sessions == session_thread::io_thread
/// (then `sys` is where `session.notifications` and other application actors
/// live, and the handlers must not block). The system must outlive the server.
expected<std::unique_ptr<network_server>> serve(actor_system& sys, server_options options,
                                                session_options session = {});

} // namespace tandem::session
