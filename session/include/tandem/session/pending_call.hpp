#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/detail/callable_traits.hpp>
#include <tandem/session/detail/call_outcome.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace tandem::session {

namespace detail {

/// The result of a call as the caller's type (void: ignored).
template <class R>
auto convert_result(json& result) {
  if constexpr (std::is_void_v<R> || std::is_same_v<R, unit>) {
    (void) result;
    return expected<unit>{unit{}};
  } else if constexpr (std::is_same_v<R, json>) {
    return expected<json>{std::move(result)};
  } else {
    try {
      return expected<R>{result.template get<R>()};
    } catch (const std::exception& e) {
      return expected<R>{error{errc::unexpected_response,
                               std::string{"result does not convert: "} + e.what()}};
    }
  }
}

} // namespace detail

/// A call on its way (from session_handle::call). `then` says what to run with
/// the outcome — on the calling actor, as a message, exactly once.
template <class R>
class pending_call {
public:
  pending_call(actor_base* self, pending_request<tandem::detail::dynamic_response> req,
               std::int64_t id)
      : self_(self), req_(std::move(req)), id_(id) {}

  /// `on_value(R)` (or `on_value()` for void) with the result; `on_error`
  /// with an rpc_error (or a tandem::error: it converts) otherwise.
  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error) {
    // Exactly one of the two runs: they share the error handler.
    auto g = std::make_shared<OnError>(std::move(on_error));
    req_.then(
      [f = std::move(on_value), g](detail::call_outcome o) mutable {
        if (o.error) {
          (*g)(std::move(*o.error));
          return;
        }
        auto value = detail::convert_result<R>(o.result);
        if (!value) {
          (*g)(rpc_error{value.error_value().code(), value.error_value().message()});
          return;
        }
        if constexpr (std::is_void_v<R>)
          f();
        else
          f(std::move(*value));
      },
      [g](error e) mutable { (*g)(rpc_error{e}); });
  }

  /// As above; an error fails the calling actor with that error.
  template <class OnValue>
  void then(OnValue on_value) {
    then(std::move(on_value), [self = self_](const rpc_error& e) { self->quit(e.to_error()); });
  }

  /// The call's JSON-RPC id (for session_handle::cancel).
  std::int64_t id() const noexcept { return id_; }

private:
  actor_base* self_;
  pending_request<tandem::detail::dynamic_response> req_;
  std::int64_t id_;
};

} // namespace tandem::session
