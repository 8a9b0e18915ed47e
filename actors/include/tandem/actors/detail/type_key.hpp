#pragma once

#include <string>
#include <type_traits>

namespace tandem::detail {

/// Identity of a message type without RTTI lookups: the address of a variable
/// template instance, unique per type in a program.
using type_key = const void*;

template <class T>
inline constexpr char type_key_anchor = 0;

template <class T>
constexpr type_key type_key_of() noexcept {
  return &type_key_anchor<std::decay_t<T>>;
}

/// Readable name of a type, for error messages only.
std::string demangle(const char* mangled);

} // namespace tandem::detail
