#pragma once

#include <tandem/mailbox/intrusive_mpsc.hpp>
#include <tandem/runtime/expected.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace tandem {

template <class T>
class mpsc_sender;
template <class T>
class mpsc_receiver;

namespace detail {

template <class T>
struct mpsc_node : mpsc_link {
  explicit mpsc_node(T v) : value(std::move(v)) {}
  T value;
};

template <class T>
struct mpsc_state {
  explicit mpsc_state(mailbox_options opts) : queue(opts) { queue.start_idle(); }

  ~mpsc_state() { close(); }

  /// Refuses further sends and frees what is still queued.
  void close() {
    queue.close([](mpsc_node<T>* node) { delete node; });
  }

  void notify() {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> guard{notify_mutex};
      fn = on_ready;
    }
    if (fn)
      fn();
  }

  intrusive_mpsc<mpsc_node<T>> queue;
  std::atomic<std::size_t> senders{1};
  std::mutex notify_mutex;
  std::function<void()> on_ready;
};

} // namespace detail

/// A writing end of an mpsc channel; copy it to get more writers.
template <class T>
class mpsc_sender {
public:
  mpsc_sender(const mpsc_sender& other) : state_(other.state_) {
    if (state_)
      state_->senders.fetch_add(1, std::memory_order_relaxed);
  }
  mpsc_sender(mpsc_sender&&) noexcept = default;
  mpsc_sender& operator=(mpsc_sender other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~mpsc_sender() {
    if (state_ && state_->senders.fetch_sub(1, std::memory_order_acq_rel) == 1)
      state_->notify(); // the receiver may be waiting: tell it the channel ended
  }

  /// Queues a value. Errors: channel_closed (receiver gone), mailbox_full
  /// (bounded, reject), message_dropped (bounded, drop_newest).
  expected<void> send(T value) {
    if (!state_)
      return error{errc::channel_closed, "moved-from sender"};
    auto* node = new detail::mpsc_node<T>{std::move(value)};
    switch (state_->queue.push(node)) {
      case push_result::accepted:
        return {};
      case push_result::wake_reader:
        state_->notify();
        return {};
      case push_result::closed:
        delete node;
        return error{errc::channel_closed, "receiver is gone"};
      case push_result::full:
        delete node;
        return error{errc::mailbox_full, "channel is full"};
      case push_result::dropped:
        delete node;
        return error{errc::message_dropped, "channel is full; value dropped"};
    }
    return {};
  }

private:
  template <class U>
  friend std::pair<mpsc_sender<U>, mpsc_receiver<U>> make_mpsc(mailbox_options);

  explicit mpsc_sender(std::shared_ptr<detail::mpsc_state<T>> s) : state_(std::move(s)) {}

  std::shared_ptr<detail::mpsc_state<T>> state_;
};

/// The reading end of an mpsc channel: poll it with try_receive(), or set an
/// on_ready callback that runs (on the sending thread) whenever a value
/// arrives after try_receive() found the channel empty, and when the last
/// sender is gone — typically it sends a message to an actor or wakes a loop.
template <class T>
class mpsc_receiver {
public:
  mpsc_receiver(mpsc_receiver&&) noexcept = default;
  mpsc_receiver& operator=(mpsc_receiver&&) noexcept = default;
  ~mpsc_receiver() {
    if (state_)
      state_->close();
  }

  /// The next value, or std::nullopt if none is queued right now.
  std::optional<T> try_receive() {
    if (!state_)
      return std::nullopt;
    auto& q = state_->queue;
    for (;;) {
      while (auto* dropped = q.take_overflow())
        delete dropped;
      if (auto* node = q.try_pop()) {
        std::optional<T> out{std::move(node->value)};
        delete node;
        return out;
      }
      if (q.try_block())
        return std::nullopt;
    }
  }

  /// True once every sender is gone and nothing is left to receive.
  bool finished() const {
    return !state_
           || (state_->senders.load(std::memory_order_acquire) == 0 && state_->queue.empty());
  }

  void on_ready(std::function<void()> fn) {
    std::lock_guard<std::mutex> guard{state_->notify_mutex};
    state_->on_ready = std::move(fn);
  }

private:
  template <class U>
  friend std::pair<mpsc_sender<U>, mpsc_receiver<U>> make_mpsc(mailbox_options);

  explicit mpsc_receiver(std::shared_ptr<detail::mpsc_state<T>> s) : state_(std::move(s)) {}

  std::shared_ptr<detail::mpsc_state<T>> state_;
};

/// A channel with many writers and one reader:
/// `auto [tx, rx] = make_mpsc<int>();` or `make_mpsc<int>(bounded(64))`.
template <class T>
std::pair<mpsc_sender<T>, mpsc_receiver<T>> make_mpsc(mailbox_options opts = {}) {
  auto state = std::make_shared<detail::mpsc_state<T>>(opts);
  return {mpsc_sender<T>{state}, mpsc_receiver<T>{state}};
}

} // namespace tandem
