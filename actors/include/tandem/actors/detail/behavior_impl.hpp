#pragma once

// Included at the end of actor_base.hpp: handlers talk to a complete actor_base.

#include <tandem/actors/actor_base.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace tandem::detail {

template <class T>
struct is_response_promise : std::false_type {};
template <class R>
struct is_response_promise<response_promise<R>> : std::true_type {};

template <class T>
struct is_expected : std::false_type {};
template <class T>
struct is_expected<expected<T>> : std::true_type {};

/// Turns what a handler returned into the answer to the current request.
template <class Ret>
void answer(actor_base& self, Ret&& ret) {
  using R = std::decay_t<Ret>;
  if constexpr (is_response_promise<R>::value) {
    // Answered through the promise; a promise that was never made (e.g. a
    // default-constructed one) must not leave the requester waiting.
    self.respond_error(error{errc::broken_promise, "handler returned an empty response_promise"});
  } else if constexpr (is_expected<R>::value) {
    if (ret.has_value())
      self.respond(std::move(ret).value());
    else
      self.respond_error(std::move(ret).error_value());
  } else if constexpr (std::is_same_v<R, error>) {
    if (ret)
      self.respond_error(std::move(ret));
    else
      self.respond(unit{});
  } else {
    self.respond(std::forward<Ret>(ret));
  }
}

template <class F>
bool invoke_handler(F& f, actor_base& self, message& msg) {
  static_assert(callable_traits<F>::arity == 1,
                "a message handler takes exactly one parameter: the message");
  using param = first_arg_t<F>;
  using arg = std::decay_t<param>;
  if (msg.type != type_key_of<arg>())
    return false;
  auto& value = static_cast<message_of<arg>&>(msg).value;
  auto call = [&]() -> decltype(auto) {
    if constexpr (std::is_lvalue_reference_v<param>)
      return f(value);
    else
      return f(std::move(value));
  };
  if constexpr (std::is_void_v<result_of_t<F>>) {
    call();
    if (msg.kind == message_kind::request) // skip building a reply for sends
      self.respond(unit{});
  } else {
    answer(self, call());
  }
  return true;
}

template <class... Fs>
class behavior_impl final : public behavior_impl_base {
public:
  explicit behavior_impl(Fs... fs) : fs_(std::move(fs)...) {}

  bool invoke(actor_base& self, message& msg) override {
    return std::apply([&](auto&... f) { return (invoke_handler(f, self, msg) || ...); }, fs_);
  }

private:
  std::tuple<Fs...> fs_;
};

} // namespace tandem::detail

namespace tandem {

template <class F, class... Fs, class>
behavior::behavior(F f, Fs... fs)
    : impl_(std::make_unique<detail::behavior_impl<F, Fs...>>(std::move(f), std::move(fs)...)) {}

} // namespace tandem
