#pragma once

#include <tandem/session/json.hpp>
#include <tandem/session/rpc_error.hpp>

#include <optional>
#include <utility>

namespace tandem::session::detail {

/// How a call ended: a result, or an error.
struct call_outcome {
  json result;
  std::optional<rpc_error> error;

  static call_outcome value(json v) { return call_outcome{std::move(v), std::nullopt}; }
  static call_outcome failure(rpc_error e) { return call_outcome{nullptr, std::move(e)}; }
};

} // namespace tandem::session::detail
