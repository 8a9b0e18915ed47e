#pragma once

#include <memory>
#include <string>
#include <utility>

namespace tandem {

/// tandem's own error codes. Application code may use any other integer
/// (sessions carry JSON-RPC codes, which are negative).
enum class errc : int {
  none = 0,
  unexpected_message = 1, ///< the receiver has no handler for the message type
  unexpected_response,    ///< a response had another type than expected
  request_timeout,        ///< no response in time
  broken_promise,         ///< a promise or oneshot was dropped unfulfilled
  receiver_down,          ///< the receiver had terminated or terminated first
  mailbox_full,           ///< a bounded mailbox rejected the message
  message_dropped,        ///< a bounded mailbox dropped the message
  unhandled_exception,    ///< a handler threw; the actor failed
  killed,                 ///< the actor was killed from outside
  system_shutdown,        ///< the actor system stopped the actor
  channel_closed,         ///< the other end of a channel is gone
  invalid_argument,       ///< a caller passed something unusable
};

/// The textual name of a code (for logs and error messages).
const char* to_string(errc code) noexcept;

/// What an error carries beyond its code and message, for code that knows its
/// type (e.g. a JSON-RPC error's `data`, so it survives passing through
/// expected<T> and oneshots). Immutable and shared by an error's copies.
class error_context {
public:
  virtual ~error_context() = default;
};

/// An error value: a code, a human-readable message and optionally a context.
/// A default-constructed error means "no error"; as an exit reason it means a
/// normal exit.
class error {
public:
  error() = default;
  error(errc code, std::string message = {})
      : code_(static_cast<int>(code)), message_(std::move(message)) {}
  error(int code, std::string message)
      : code_(code), message_(std::move(message)) {}
  error(int code, std::string message, std::shared_ptr<const error_context> context)
      : code_(code), message_(std::move(message)), context_(std::move(context)) {}

  int code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// The context if it is a T (or derives from one), else nullptr.
  template <class T>
  const T* context() const noexcept {
    return dynamic_cast<const T*>(context_.get());
  }

  /// True when this holds an error.
  explicit operator bool() const noexcept { return code_ != 0; }

  friend bool operator==(const error& e, errc c) noexcept {
    return e.code_ == static_cast<int>(c);
  }
  /// Code and message; the context is not compared.
  friend bool operator==(const error& a, const error& b) noexcept {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

private:
  int code_ = 0;
  std::string message_;
  std::shared_ptr<const error_context> context_;
};

/// "code: message" for printing.
std::string to_string(const error& e);

} // namespace tandem
