#pragma once

#include <tuple>
#include <type_traits>

namespace tandem::detail {

/// Signature of a function, function pointer or non-generic lambda.
template <class F>
struct callable_traits : callable_traits<decltype(&std::decay_t<F>::operator())> {};

template <class R, class... Args>
struct callable_traits<R(Args...)> {
  using result_type = R;
  using args = std::tuple<Args...>;
  static constexpr std::size_t arity = sizeof...(Args);
};
template <class R, class... Args>
struct callable_traits<R (*)(Args...)> : callable_traits<R(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...)> : callable_traits<R(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) const> : callable_traits<R(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) noexcept> : callable_traits<R(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) const noexcept> : callable_traits<R(Args...)> {};

template <class F>
using result_of_t = typename callable_traits<F>::result_type;

/// The I-th parameter type of F (void if F has fewer).
template <class F, std::size_t I, class = void>
struct nth_arg {
  using type = void;
};
template <class F, std::size_t I>
struct nth_arg<F, I, std::enable_if_t<(I < callable_traits<F>::arity)>> {
  using type = std::tuple_element_t<I, typename callable_traits<F>::args>;
};
template <class F, std::size_t I>
using nth_arg_t = typename nth_arg<F, I>::type;

template <class F>
using first_arg_t = nth_arg_t<F, 0>;

} // namespace tandem::detail
