#pragma once

#include <tandem/runtime/detail/unique_function.hpp>
#include <tandem/runtime/expected.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace tandem {

template <class T>
class oneshot_sender;
template <class T>
class oneshot_receiver;

namespace detail {

// Shared by one sender and one receiver. Guarded by a mutex: a oneshot
// completes once, so the lock is off every hot path, and it makes "complete
// vs. register a waiter" trivially race-free.
template <class T>
struct oneshot_state {
  std::mutex mutex;
  std::optional<expected<T>> result;
  bool taken = false;
  bool receiver_gone = false;
  unique_function<void(expected<T>)> waiter;

  // Returns false if already completed (the second completion is ignored).
  bool complete(expected<T> value) {
    unique_function<void(expected<T>)> to_call;
    {
      std::lock_guard<std::mutex> guard{mutex};
      if (result || taken)
        return false;
      if (receiver_gone) {
        taken = true;
        return true;
      }
      if (waiter) {
        to_call = std::move(waiter);
        taken = true;
      } else {
        result.emplace(std::move(value));
        return true;
      }
    }
    // Run outside the lock: the waiter may do anything (e.g. send a message).
    to_call(std::move(value));
    return true;
  }
};

} // namespace detail

/// The writing end of a oneshot: completes the slot once. Dropping it
/// unfulfilled completes the receiver with errc::broken_promise.
template <class T>
class oneshot_sender {
public:
  oneshot_sender() = default;
  oneshot_sender(oneshot_sender&&) noexcept = default;
  oneshot_sender& operator=(oneshot_sender&& other) noexcept {
    if (this != &other) {
      abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~oneshot_sender() { abandon(); }

  /// Completes the slot with a value; false if it was already completed.
  bool send(T value) { return finish(expected<T>{std::move(value)}); }
  /// Completes the slot with an error; false if it was already completed.
  bool fail(error err) { return finish(expected<T>{std::move(err)}); }

  /// False once completed, or for a moved-from sender.
  bool pending() const noexcept { return state_ != nullptr; }

private:
  template <class U>
  friend std::pair<oneshot_sender<U>, oneshot_receiver<U>> make_oneshot();

  explicit oneshot_sender(std::shared_ptr<detail::oneshot_state<T>> s) : state_(std::move(s)) {}

  bool finish(expected<T> value) {
    if (!state_)
      return false;
    auto state = std::move(state_);
    return state->complete(std::move(value));
  }

  void abandon() {
    if (state_)
      finish(expected<T>{error{errc::broken_promise, "oneshot sender dropped"}});
  }

  std::shared_ptr<detail::oneshot_state<T>> state_;
};

/// The reading end of a oneshot: poll it, or register a waiter that runs once
/// when the slot completes (on the completing thread, or at once if done).
template <class T>
class oneshot_receiver {
public:
  oneshot_receiver() = default;
  oneshot_receiver(oneshot_receiver&&) noexcept = default;
  oneshot_receiver& operator=(oneshot_receiver&&) noexcept = default;
  ~oneshot_receiver() {
    if (state_) {
      std::lock_guard<std::mutex> guard{state_->mutex};
      state_->receiver_gone = true;
    }
  }

  /// The result once the slot completed (then the receiver is spent),
  /// std::nullopt while it has not.
  std::optional<expected<T>> try_receive() {
    if (!state_)
      return expected<T>{error{errc::channel_closed, "oneshot receiver already used"}};
    std::lock_guard<std::mutex> guard{state_->mutex};
    if (!state_->result)
      return std::nullopt;
    std::optional<expected<T>> out{std::move(state_->result)};
    state_->result.reset();
    state_->taken = true;
    return out;
  }

  bool ready() const {
    if (!state_)
      return false;
    std::lock_guard<std::mutex> guard{state_->mutex};
    return state_->result.has_value();
  }

  /// Runs `fn` exactly once with the result. Spends the receiver.
  template <class F>
  void on_complete(F&& fn) {
    auto state = std::move(state_);
    if (!state) {
      fn(expected<T>{error{errc::channel_closed, "oneshot receiver already used"}});
      return;
    }
    std::unique_lock<std::mutex> lock{state->mutex};
    if (state->result) {
      auto value = std::move(*state->result);
      state->result.reset();
      state->taken = true;
      lock.unlock();
      fn(std::move(value));
      return;
    }
    state->waiter = std::forward<F>(fn);
  }

private:
  template <class U>
  friend std::pair<oneshot_sender<U>, oneshot_receiver<U>> make_oneshot();

  explicit oneshot_receiver(std::shared_ptr<detail::oneshot_state<T>> s) : state_(std::move(s)) {}

  std::shared_ptr<detail::oneshot_state<T>> state_;
};

/// A fresh single-assignment slot: `auto [tx, rx] = make_oneshot<int>();`
template <class T>
std::pair<oneshot_sender<T>, oneshot_receiver<T>> make_oneshot() {
  auto state = std::make_shared<detail::oneshot_state<T>>();
  return {oneshot_sender<T>{state}, oneshot_receiver<T>{state}};
}

} // namespace tandem
