#pragma once

#include <tandem/actors/detail/callable_traits.hpp>
#include <tandem/actors/detail/message.hpp>

#include <memory>
#include <type_traits>

namespace tandem {

class actor_base;

namespace detail {

struct behavior_impl_base {
  virtual ~behavior_impl_base() = default;
  /// Runs the handler for `msg`'s type; false if there is none.
  virtual bool invoke(actor_base& self, message& msg) = 0;
};

template <class... Fs>
class behavior_impl;

} // namespace detail

/// A set of message handlers, one per message type: each is a callable taking
/// the message (by value, reference or rvalue reference). Its return value, if
/// any, answers a request: a value, an `expected<T>`, an `error`, or a
/// `response_promise<T>` to answer later. The handlers live in one allocation
/// and dispatch is a comparison per handler, no lookup table.
class behavior {
public:
  behavior() = default;

  template <class F, class... Fs,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, behavior>>>
  behavior(F f, Fs... fs);

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  std::unique_ptr<detail::behavior_impl_base>& impl() noexcept { return impl_; }

private:
  std::unique_ptr<detail::behavior_impl_base> impl_;
};

template <class R>
class response_promise;
template <class T>
class expected;

namespace detail {

// Does a handler returning Ret satisfy a signature answering R?
template <class R, class Ret>
constexpr bool answers_with() {
  if constexpr (std::is_same_v<Ret, R>)
    return true;
  else if constexpr (std::is_void_v<R>)
    return false;
  else
    return std::is_same_v<Ret, expected<R>> || std::is_same_v<Ret, response_promise<R>>
           || std::is_convertible_v<Ret, R>;
}

template <class Sig, class... Fs>
constexpr bool handled_by() {
  using in = typename signature_traits<Sig>::input;
  using out = typename signature_traits<Sig>::output;
  return ((std::is_same_v<std::decay_t<first_arg_t<Fs>>, in>
           && answers_with<out, result_of_t<Fs>>())
          || ...);
}

} // namespace detail

/// A behavior checked against a typed interface at compile time: every
/// signature `R(M)` needs a handler taking M and answering R.
template <class... Sigs>
class typed_behavior {
public:
  template <class... Fs>
  typed_behavior(Fs... fs) : behavior_(std::move(fs)...) {
    static_assert((detail::handled_by<Sigs, Fs...>() && ...),
                  "typed_behavior: a signature R(M) of the interface has no handler "
                  "taking M and returning R (or expected<R> / response_promise<R>)");
  }

  behavior& unbox() noexcept { return behavior_; }

private:
  behavior behavior_;
};

} // namespace tandem
