#pragma once

#include <tandem/runtime/expected.hpp>
#include <tandem/session/rpc_message.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::session {

/// Turns frames into messages and back. The session logic sees only
/// rpc_message values, so another encoding can replace JSON-RPC's text
/// without touching it. Implementations are immutable and thread-safe (one
/// codec may serve every session of a server).
class codec {
public:
  virtual ~codec() = default;

  /// Every message of one frame. Never throws: bad input becomes rpc_invalid
  /// entries (or `close` for an oversized frame whose id cannot be read).
  virtual decoded_frame decode(std::string_view frame, std::size_t max_frame_bytes) const = 0;

  /// One message as a frame, or an error if it cannot be encoded (e.g. a
  /// string that is not valid UTF-8). Never throws.
  virtual expected<std::string> encode(const rpc_message& msg) const = 0;

  /// A batch frame from messages encoded one by one with encode().
  virtual std::string encode_batch(const std::vector<std::string>& encoded) const = 0;
};

} // namespace tandem::session
