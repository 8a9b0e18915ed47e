#pragma once

#include <tandem/actors/detail/intrusive_ptr.hpp>
#include <tandem/actors/detail/message.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>

namespace tandem {

class actor_base;
using actor_id = std::uint64_t;

/// A dynamically typed handle to an actor: any message type may be sent; one
/// the actor does not handle is answered with errc::unexpected_message (for
/// requests) or dropped as its spawn options say (for sends). Cheap to copy;
/// keeps the actor's memory alive, not the actor (it runs until it quits).
class actor {
public:
  actor() noexcept = default;
  explicit actor(actor_base* cell) noexcept : cell_(cell) {}

  explicit operator bool() const noexcept { return static_cast<bool>(cell_); }

  actor_id id() const noexcept;
  std::string name() const;

  /// The running actor behind this handle (tandem's internals use it).
  actor_base* cell() const noexcept { return cell_.get(); }

  friend bool operator==(const actor& a, const actor& b) noexcept { return a.cell_ == b.cell_; }
  friend bool operator!=(const actor& a, const actor& b) noexcept { return !(a == b); }
  friend bool operator<(const actor& a, const actor& b) noexcept { return a.cell_ < b.cell_; }

private:
  detail::intrusive_ptr<actor_base> cell_;
};

namespace detail {

template <class Signature>
struct signature_traits;

/// `R(M)`: handles message type M and answers a request with an R.
template <class R, class M>
struct signature_traits<R(M)> {
  using input = M;
  using output = R;
};

template <class T, class... Sigs>
struct response_of;

template <class T>
struct response_of<T> {
  using type = void;
  static constexpr bool found = false;
};

template <class T, class Sig, class... Sigs>
struct response_of<T, Sig, Sigs...> {
  static constexpr bool here = std::is_same_v<std::decay_t<T>, typename signature_traits<Sig>::input>;
  using type = std::conditional_t<here, typename signature_traits<Sig>::output,
                                  typename response_of<T, Sigs...>::type>;
  static constexpr bool found = here || response_of<T, Sigs...>::found;
};

} // namespace detail

/// A statically typed handle. Each signature `R(M)` says the actor handles M
/// and answers with R; sending a type the actor does not handle does not
/// compile. Converts implicitly to `actor`.
template <class... Sigs>
class typed_actor {
public:
  typed_actor() noexcept = default;

  /// Unchecked conversion from a dynamic handle (see actor_cast).
  explicit typed_actor(actor handle) noexcept : handle_(std::move(handle)) {}

  operator const actor&() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

  actor_id id() const noexcept { return handle_.id(); }
  std::string name() const { return handle_.name(); }
  actor_base* cell() const noexcept { return handle_.cell(); }
  const actor& as_actor() const noexcept { return handle_; }

  template <class T>
  static constexpr bool accepts = detail::response_of<T, Sigs...>::found;

  template <class T>
  using response_type = typename detail::response_of<T, Sigs...>::type;

  friend bool operator==(const typed_actor& a, const typed_actor& b) noexcept {
    return a.handle_ == b.handle_;
  }

private:
  actor handle_;
};

/// Reinterprets a handle as another handle type, unchecked (like CAF's).
template <class Handle>
Handle actor_cast(const actor& a) {
  if constexpr (std::is_same_v<Handle, actor>)
    return a;
  else
    return Handle{a};
}

namespace detail {

/// What a destination says about the messages it accepts.
template <class Dest>
struct handle_traits {
  static constexpr bool is_typed = false;
  template <class T>
  static constexpr bool accepts = true;
};

template <class... Sigs>
struct handle_traits<typed_actor<Sigs...>> {
  static constexpr bool is_typed = true;
  template <class T>
  static constexpr bool accepts = typed_actor<Sigs...>::template accepts<T>;
  template <class T>
  using response_type = typename typed_actor<Sigs...>::template response_type<T>;
};

inline actor_base* cell_of(const actor& a) noexcept { return a.cell(); }
template <class... Sigs>
actor_base* cell_of(const typed_actor<Sigs...>& a) noexcept {
  return a.cell();
}
template <class T, class = std::enable_if_t<std::is_base_of_v<actor_base, T>>>
actor_base* cell_of(T* self) noexcept {
  return self;
}

} // namespace detail
} // namespace tandem

template <>
struct std::hash<tandem::actor> {
  std::size_t operator()(const tandem::actor& a) const noexcept {
    return std::hash<const void*>{}(a.cell());
  }
};
