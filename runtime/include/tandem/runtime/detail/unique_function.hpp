#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tandem::detail {

template <class Signature>
class unique_function;

/// std::function for move-only callables (continuations often own a promise
/// or a unique_ptr). Callables up to `inline_size` bytes that move without
/// throwing live inside the object: a request's continuation, a run_later
/// body or a deferred call then costs no allocation of its own.
template <class R, class... Args>
class unique_function<R(Args...)> {
public:
  static constexpr std::size_t inline_size = 48;

  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_function>
                                              && std::is_invocable_r_v<R, F&, Args...>>>
  unique_function(F&& f) {
    using fn = std::decay_t<F>;
    if constexpr (fits<fn>) {
      ::new (static_cast<void*>(buffer_)) fn(std::forward<F>(f));
      ops_ = &inline_ops<fn>;
    } else {
      *reinterpret_cast<fn**>(buffer_) = new fn(std::forward<F>(f));
      ops_ = &heap_ops<fn>;
    }
  }

  unique_function(unique_function&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(other.buffer_, buffer_);
      other.ops_ = nullptr;
    }
  }

  unique_function& operator=(unique_function&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(other.buffer_, buffer_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }

  unique_function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  ~unique_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->call(buffer_, std::forward<Args>(args)...); }

private:
  struct ops_t {
    R (*call)(void* self, Args&&... args);
    void (*move)(void* from, void* to) noexcept; // leaves `from` destroyed
    void (*destroy)(void* self) noexcept;
  };

  template <class F>
  static constexpr bool fits = sizeof(F) <= inline_size
                               && alignof(F) <= alignof(std::max_align_t)
                               && std::is_nothrow_move_constructible_v<F>;

  template <class F>
  static constexpr ops_t inline_ops{
    [](void* self, Args&&... args) -> R {
      return (*static_cast<F*>(self))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) noexcept {
      auto* f = static_cast<F*>(from);
      ::new (to) F(std::move(*f));
      f->~F();
    },
    [](void* self) noexcept { static_cast<F*>(self)->~F(); }};

  template <class F>
  static constexpr ops_t heap_ops{
    [](void* self, Args&&... args) -> R {
      return (**static_cast<F**>(self))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
    [](void* self) noexcept { delete *static_cast<F**>(self); }};

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(buffer_);
      ops_ = nullptr;
    }
  }

  const ops_t* ops_ = nullptr;
  alignas(std::max_align_t) unsigned char buffer_[inline_size];
};

} // namespace tandem::detail
