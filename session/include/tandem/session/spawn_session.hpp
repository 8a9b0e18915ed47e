#pragma once

#include <tandem/actors/actor_system.hpp>
#include <tandem/session/codec.hpp>
#include <tandem/session/connection.hpp>
#include <tandem/session/service.hpp>
#include <tandem/session/session_handle.hpp>

#include <memory>
#include <string>

namespace tandem::session {

struct session_options {
  /// The methods this end serves (shared by any number of sessions); none:
  /// every call is answered -32601.
  std::shared_ptr<const service> methods;
  /// Receives an rpc_notification for each notification from the peer that
  /// `methods` has no handler for. None: such notifications are dropped.
  actor notifications;
  /// Frames in and out; default: JSON-RPC 2.0.
  std::shared_ptr<const codec> wire_codec;
  /// max_frame_bytes applies to every inbound frame.
  connection_limits limits;
  /// The session actor's name (logs).
  std::string name;
};

/// Spawns a session actor that owns `conn`: it serves `opts.methods` to the
/// peer and carries calls from its handles to the peer. It quits when the
/// connection closes (every call still pending then fails); its termination
/// closes the connection.
session_handle spawn_session(actor_system& sys, std::unique_ptr<connection> conn,
                             session_options opts = {});

} // namespace tandem::session
