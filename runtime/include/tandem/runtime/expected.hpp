#pragma once

#include <tandem/runtime/error.hpp>

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace tandem {

/// A value or an error (C++23's std::expected is not available in every
/// toolchain tandem supports).
template <class T>
class expected {
public:
  expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  expected(error err) : state_(std::in_place_index<1>, std::move(err)) {
    assert(std::get<1>(state_) && "expected<T> built from an empty error");
  }
  expected(errc code, std::string message = {})
      : expected(error{code, std::move(message)}) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& error_value() const& { return std::get<1>(state_); }
  error&& error_value() && { return std::get<1>(std::move(state_)); }

private:
  std::variant<T, error> state_;
};

template <>
class expected<void> {
public:
  expected() = default;
  expected(error err) : err_(std::move(err)) {}
  expected(errc code, std::string message = {}) : err_(code, std::move(message)) {}

  bool has_value() const noexcept { return !err_; }
  explicit operator bool() const noexcept { return has_value(); }
  const error& error_value() const& { return err_; }

private:
  error err_;
};

} // namespace tandem
