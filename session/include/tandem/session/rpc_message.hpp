#pragma once

#include <tandem/session/json.hpp>
#include <tandem/session/rpc_error.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tandem::session {

/// A call (with an id) or a notification (without one). `params` is null
/// when absent; otherwise an array (positional) or an object (named).
struct rpc_request {
  std::optional<json> id;
  std::string method;
  json params;

  bool is_notification() const noexcept { return !id.has_value(); }
};

/// The answer to a call: a result or an error, for `id`.
struct rpc_response {
  json id;
  json result;
  std::optional<rpc_error> error;
};

/// Something received that must be answered with `error` (for `id`, null when
/// it could not be known): unparsable text, an invalid request object.
struct rpc_invalid {
  json id;
  rpc_error error;
};

using rpc_message = std::variant<rpc_request, rpc_response, rpc_invalid>;

/// What one frame held, in order.
struct decoded_frame {
  std::vector<rpc_message> messages;
  /// The frame was a batch: its answers go back as one batch.
  bool batch = false;
  /// Nothing can be answered (an oversized frame without a readable id): the
  /// connection should be closed, for `close_reason`.
  bool close = false;
  std::string close_reason;
};

} // namespace tandem::session
