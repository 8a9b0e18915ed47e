#pragma once

#include <tandem/actors/detail/callable_traits.hpp>
#include <tandem/session/call_context.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tandem::session {

namespace detail {

/// What a handler did: answered now, or will answer through a promise.
struct handler_result {
  bool deferred = false;
  call_outcome outcome;
};

template <class T>
struct is_rpc_promise : std::false_type {};
template <class R>
struct is_rpc_promise<rpc_promise<R>> : std::true_type {};

template <class T>
struct is_expected : std::false_type {};
template <class T>
struct is_expected<expected<T>> : std::true_type {};

template <class T>
call_outcome to_outcome(T&& value) {
  return call_outcome::value(json(std::forward<T>(value)));
}

/// Turns what a handler returned into its answer.
template <class Ret>
handler_result finish(call_context& ctx, Ret&& ret) {
  using R = std::decay_t<Ret>;
  if constexpr (is_rpc_promise<R>::value) {
    return {true, {}};
  } else if constexpr (std::is_same_v<R, expected<void>>) {
    if (!ret.has_value())
      return {false, call_outcome::failure(rpc_error::from(ret.error_value()))};
    return {false, call_outcome::value(nullptr)};
  } else if constexpr (is_expected<R>::value) {
    if (!ret.has_value())
      return {false, call_outcome::failure(rpc_error::from(ret.error_value()))};
    return {false, to_outcome(std::move(ret).value())};
  } else if constexpr (std::is_same_v<R, rpc_error>) {
    return {false, call_outcome::failure(std::forward<Ret>(ret))};
  } else if constexpr (std::is_same_v<R, error>) {
    if (ret)
      return {false, call_outcome::failure(rpc_error::from(ret))};
    return {false, call_outcome::value(nullptr)};
  } else {
    (void) ctx;
    return {false, to_outcome(std::forward<Ret>(ret))};
  }
}

} // namespace detail

/// Methods by name, with typed handlers. One service may be shared by many
/// sessions (a server's connections): handlers then run concurrently on
/// different session actors, so they must not share unsynchronized state.
///
/// A handler is one of
///   R(P params)    R(P params, call_context&)    R()    R(call_context&)
/// where P converts from the call's params with from_json (a failure answers
/// -32602; `json` takes them as they are) and R is a value converting with
/// to_json, void (null), expected<T>, rpc_error, tandem::error, or an
/// rpc_promise<T> from ctx.promise<T>() to answer later. Throwing rpc_error
/// answers that error; any other exception answers -32603. Either way the
/// session lives on.
class service {
public:
  using handler = std::function<detail::handler_result(call_context&, json&&)>;

  /// Registers `fn` for `method` (replacing an earlier one).
  template <class F>
  service& add(std::string method, F fn);

  /// The handler of `method`, or nullptr.
  const handler* find(std::string_view method) const {
    auto i = handlers_.find(method);
    return i == handlers_.end() ? nullptr : &i->second;
  }

  bool has(std::string_view method) const { return find(method) != nullptr; }

private:
  std::map<std::string, handler, std::less<>> handlers_;
};

// -- implementation -----------------------------------------------------------

namespace detail {

template <class F, std::size_t I>
constexpr bool is_context_arg() {
  using A = std::decay_t<tandem::detail::nth_arg_t<F, I>>;
  return std::is_same_v<A, call_context>;
}

handler_result internal_error(const char* what);

template <class F>
handler_result invoke_handler(const F& f, call_context& ctx, json&& params) {
  using traits = tandem::detail::callable_traits<F>;
  constexpr std::size_t arity = traits::arity;
  static_assert(arity <= 2, "an RPC handler takes (params), (params, call_context&), () or (call_context&)");
  constexpr bool has_ctx = arity > 0 && is_context_arg<F, arity - 1>();
  constexpr bool has_params = arity == 2 || (arity == 1 && !has_ctx);
  static_assert(arity != 2 || has_ctx, "a two-parameter RPC handler takes (params, call_context&)");
  using result = typename traits::result_type;

  auto call = [&](auto&&... args) -> handler_result {
    if constexpr (std::is_void_v<result>) {
      f(std::forward<decltype(args)>(args)...);
      if (ctx.promised())
        return {true, {}};
      return {false, call_outcome::value(nullptr)};
    } else {
      return finish(ctx, f(std::forward<decltype(args)>(args)...));
    }
  };

  try {
    if constexpr (has_params) {
      using P = std::decay_t<tandem::detail::nth_arg_t<F, 0>>;
      if constexpr (std::is_same_v<P, json>) {
        if constexpr (has_ctx)
          return call(std::move(params), ctx);
        else
          return call(std::move(params));
      } else {
        std::optional<P> p;
        try {
          p.emplace(params.template get<P>());
        } catch (const std::exception& e) {
          return {false, call_outcome::failure(rpc_error{
                           rpc_code::invalid_params, std::string{"Invalid params: "} + e.what()})};
        }
        if constexpr (has_ctx)
          return call(std::move(*p), ctx);
        else
          return call(std::move(*p));
      }
    } else if constexpr (has_ctx) {
      return call(ctx);
    } else {
      return call();
    }
  } catch (const rpc_error& e) {
    return {false, call_outcome::failure(e)};
  } catch (const std::exception& e) {
    return internal_error(e.what());
  } catch (...) {
    return internal_error("unknown exception");
  }
}

} // namespace detail

template <class F>
service& service::add(std::string method, F fn) {
  handlers_.insert_or_assign(std::move(method), handler{[f = std::move(fn)](call_context& ctx, json&& params) {
                               return detail::invoke_handler(f, ctx, std::move(params));
                             }});
  return *this;
}

} // namespace tandem::session
