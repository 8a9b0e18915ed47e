#pragma once

#include <cstddef>
#include <functional>
#include <utility>

namespace tandem::detail {

/// Strong reference to an object counted by ADL functions
/// `intrusive_ptr_add_ref(T*)` and `intrusive_ptr_release(T*)`.
template <class T>
class intrusive_ptr {
public:
  intrusive_ptr() noexcept = default;
  intrusive_ptr(std::nullptr_t) noexcept {}
  /// Adds a reference unless `adopt` (taking over one already counted).
  explicit intrusive_ptr(T* p, bool adopt = false) noexcept : ptr_(p) {
    if (ptr_ != nullptr && !adopt)
      intrusive_ptr_add_ref(ptr_);
  }
  intrusive_ptr(const intrusive_ptr& other) noexcept : intrusive_ptr(other.ptr_) {}
  intrusive_ptr(intrusive_ptr&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  intrusive_ptr& operator=(intrusive_ptr other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ~intrusive_ptr() {
    if (ptr_ != nullptr)
      intrusive_ptr_release(ptr_);
  }

  T* get() const noexcept { return ptr_; }
  T* operator->() const noexcept { return ptr_; }
  T& operator*() const noexcept { return *ptr_; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }
  /// Gives up the reference without releasing it.
  T* detach() noexcept { return std::exchange(ptr_, nullptr); }
  void reset() noexcept { intrusive_ptr{}.swap(*this); }
  void swap(intrusive_ptr& other) noexcept { std::swap(ptr_, other.ptr_); }

  friend bool operator==(const intrusive_ptr& a, const intrusive_ptr& b) noexcept {
    return a.ptr_ == b.ptr_;
  }
  friend bool operator<(const intrusive_ptr& a, const intrusive_ptr& b) noexcept {
    return std::less<T*>{}(a.ptr_, b.ptr_);
  }

private:
  T* ptr_ = nullptr;
};

} // namespace tandem::detail
