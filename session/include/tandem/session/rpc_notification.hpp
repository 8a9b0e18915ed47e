#pragma once

#include <tandem/session/json.hpp>

#include <string>

namespace tandem::session {

/// A notification from the peer for which the service has no method (e.g. a
/// stream's items at a client), sent to session_options::notifications.
struct rpc_notification {
  std::string method;
  json params;
};

} // namespace tandem::session
