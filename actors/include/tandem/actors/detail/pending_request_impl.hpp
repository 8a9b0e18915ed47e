#pragma once

// Included at the end of actor_base.hpp.

#include <tandem/actors/actor_base.hpp>

#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace tandem::detail {

template <class R, class OnValue>
void run_on_value(OnValue& f, message& m, error& mismatch) {
  if constexpr (!std::is_same_v<R, dynamic_response>) {
    // Typed: the interface fixed the type; generic lambdas work too.
    using payload = std::conditional_t<std::is_void_v<R>, unit, R>;
    auto& value = static_cast<message_of<payload>&>(m).value;
    if constexpr (std::is_void_v<R> && std::is_invocable_v<OnValue&>)
      f();
    else
      f(std::move(value));
    (void) mismatch;
  } else if constexpr (callable_traits<OnValue>::arity == 0) {
    f();
    (void) m;
    (void) mismatch;
  } else {
    using arg = std::decay_t<first_arg_t<OnValue>>;
    if (m.type == type_key_of<arg>())
      f(std::move(static_cast<message_of<arg>&>(m).value));
    else
      mismatch = error{errc::unexpected_response,
                       "expected a response of type " + demangle(typeid(arg).name()) + ", got "
                         + m.type_name()};
  }
}

} // namespace tandem::detail

namespace tandem {

template <class R>
template <class OnValue, class OnError>
void pending_request<R>::then(OnValue on_value, OnError on_error) {
  self_->await_response(
    id_, [f = std::move(on_value), g = std::move(on_error)](detail::message& m) mutable {
      if (m.kind == detail::message_kind::failure) {
        g(std::move(static_cast<detail::message_of<error>&>(m).value));
        return;
      }
      error mismatch;
      detail::run_on_value<R>(f, m, mismatch);
      if (mismatch)
        g(std::move(mismatch));
    });
}

template <class R>
template <class OnValue>
void pending_request<R>::then(OnValue on_value) {
  then(std::move(on_value), [self = self_](error reason) { self->quit(std::move(reason)); });
}

template <class R>
pending_request<R>& pending_request<R>::within(duration timeout) {
  self_->arm_request_timeout(id_, timeout);
  return *this;
}

} // namespace tandem
