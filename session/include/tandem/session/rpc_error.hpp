#pragma once

#include <tandem/runtime/error.hpp>
#include <tandem/session/json.hpp>

#include <exception>
#include <optional>
#include <string>

namespace tandem::session {

/// The error codes of JSON-RPC 2.0 (section 5.1) and the LSP convention for a
/// cancelled request. Codes from -32099 to -32000 are for servers' own errors.
namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int request_cancelled = -32800;
inline constexpr int server_error_first = -32099;
inline constexpr int server_error_last = -32000;
} // namespace rpc_code

/// A JSON-RPC error's `data` as a tandem::error's context: how it survives the
/// conversion to tandem::error (oneshot results, expected<T>, error handlers
/// taking tandem::error) and back.
struct rpc_error_data final : error_context {
  explicit rpc_error_data(json d) : data(std::move(d)) {}
  json data;
};

/// A JSON-RPC error object: code, message and optional data. A handler may
/// throw it or return it to answer a call with exactly this error; callers
/// receive one for every failed call (local failures such as a timeout carry
/// tandem's own positive codes, e.g. errc::request_timeout). Converts to and
/// from tandem::error without losing data (it rides as an rpc_error_data
/// context).
class rpc_error : public std::exception {
public:
  rpc_error(int code, std::string message, std::optional<json> data = std::nullopt)
      : code_(code), message_(std::move(message)), data_(std::move(data)) {}
  rpc_error(errc code, std::string message) : rpc_error(static_cast<int>(code), std::move(message)) {}
  /// The same code, message and data (e.g. a failed oneshot call's error).
  explicit rpc_error(const error& e);

  /// The answer for a handler's tandem::error: negative codes are sent as
  /// they are (with their data), tandem's own codes as -32603.
  static rpc_error from(const error& e);

  int code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::optional<json>& data() const noexcept { return data_; }

  const char* what() const noexcept override { return message_.c_str(); }

  error to_error() const;
  operator error() const { return to_error(); }

  friend bool operator==(const rpc_error& a, const rpc_error& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.data_ == b.data_;
  }
  friend bool operator==(const rpc_error& a, errc c) noexcept { return a.code_ == static_cast<int>(c); }

private:
  int code_;
  std::string message_;
  std::optional<json> data_;
};

/// "code: message" for printing.
std::string to_string(const rpc_error& e);

} // namespace tandem::session
