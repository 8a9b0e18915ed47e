#pragma once

#include <tandem/actors/detail/callable_traits.hpp>
#include <tandem/actors/detail/message.hpp>
#include <tandem/actors/messages.hpp>
#include <tandem/runtime/error.hpp>
#include <tandem/runtime/time.hpp>

#include <type_traits>
#include <utility>

namespace tandem {

class actor_base;

namespace detail {

/// Response type of a request to a dynamically typed actor: taken from the
/// parameter of the value handler.
struct dynamic_response {};

} // namespace detail

/// A request on its way. `then` says what to run with the answer — on the
/// requesting actor, as a message, never concurrently with its handlers.
template <class R>
class pending_request {
public:
  pending_request(actor_base* self, detail::request_id id) noexcept : self_(self), id_(id) {}

  /// `on_value(R)` runs with the response, `on_error(error)` with a failure:
  /// the receiver was dead or died, had no handler, answered with an error,
  /// or (dynamic handles) answered with another type than on_value takes.
  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error);

  /// As above; an error fails the requesting actor with that error.
  template <class OnValue>
  void then(OnValue on_value);

  /// Fails the request with errc::request_timeout unless answered within
  /// `timeout` (the same as request(dest, timeout, msg)).
  pending_request& within(duration timeout);

  detail::request_id id() const noexcept { return id_; }

private:
  actor_base* self_;
  detail::request_id id_;
};

/// Seeds-style spelling of `req.within(d)`:
/// `tandem::timeout(2s, self->request(dest, msg)).then(...)`.
template <class R>
pending_request<R> timeout(duration d, pending_request<R> req) {
  req.within(d);
  return req;
}

} // namespace tandem
