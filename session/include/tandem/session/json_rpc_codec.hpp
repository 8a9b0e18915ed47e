#pragma once

#include <tandem/session/codec.hpp>

#include <cstddef>

namespace tandem::session {

/// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) on nlohmann-json:
/// text frames, one message or batch each.
///
/// Beyond the specification: JSON nested deeper than `max_depth` is refused
/// with -32600 (parsing, copying and printing JSON recurse, so unbounded
/// nesting would let a peer exhaust the stack); an oversized frame is answered
/// with -32600 if its top-level "id" can be read without parsing it whole, and
/// otherwise decoded as `close`; a batch of more than `max_batch` messages is
/// refused with one -32600 (a 1 MiB batch of `1`s would otherwise be answered
/// with some 50 MB of errors).
class json_rpc_codec final : public codec {
public:
  struct options {
    std::size_t max_depth = 128;
    std::size_t max_batch = 1000;
  };

  json_rpc_codec() = default;
  explicit json_rpc_codec(options opts) : opts_(opts) {}

  decoded_frame decode(std::string_view frame, std::size_t max_frame_bytes) const override;
  expected<std::string> encode(const rpc_message& msg) const override;
  std::string encode_batch(const std::vector<std::string>& encoded) const override;

private:
  options opts_{};
};

} // namespace tandem::session
