#pragma once

// An io_context with the thread that runs it, shared by a server (or one
// client connection) and every socket created on it. Sockets hold a
// shared_ptr so that the io_context outlives them wherever the session actor
// drops its connection; `post` is gated so that nothing is queued once the
// thread has been told to finish, which keeps handlers (and the connections
// they hold) from being stranded in a stopped io_context.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace tandem::session::native {

class io_thread {
public:
  /// `idle_spin` > 0: after handling something the thread keeps polling
  /// (non-blocking epoll) for that long before it blocks, so that what
  /// arrives meanwhile is handled without a wake-up (server_options::idle_spin).
  explicit io_thread(std::chrono::nanoseconds idle_spin = {})
      : idle_spin_(idle_spin), work_(std::in_place, io_.get_executor()) {}
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;
  ~io_thread() { finish(); }

  boost::asio::io_context& context() noexcept { return io_; }

  void run() {
    thread_ = std::thread{[this] {
      id_.store(std::this_thread::get_id(), std::memory_order_release);
      if (idle_spin_ > std::chrono::nanoseconds::zero())
        run_spinning();
      else
        io_.run();
    }};
  }

  /// Runs `fn` on the I/O thread; false once finish() has begun.
  template <class Executor, class F>
  bool post(const Executor& ex, F&& fn) {
    std::lock_guard<std::mutex> lock{mutex_};
    if (!open_)
      return false;
    boost::asio::post(ex, std::forward<F>(fn));
    return true;
  }

  /// Stops accepting posts and lets the thread run out of work (every socket
  /// must have been closed by then, or be closing), then joins it. Never call
  /// it from the I/O thread.
  void finish() {
    {
      std::lock_guard<std::mutex> lock{mutex_};
      open_ = false;
      work_.reset();
    }
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id()) {
        thread_.detach(); // last reference dropped by a handler: cannot join
        return;
      }
      thread_.join();
    }
  }

  /// Code running here is serialized with every handler and strand of this
  /// io_context (one thread runs it).
  bool on_io_thread() const noexcept { return id_.load(std::memory_order_acquire) == std::this_thread::get_id(); }

private:
  // Spin, then block: poll() runs every ready handler (and the reactor with a
  // zero timeout) without sleeping; once nothing has been handled for
  // idle_spin_, run_one() sleeps in epoll until the next event, so an idle
  // server costs nothing after the window. Both return 0 and leave the
  // io_context stopped once it runs out of work (finish()).
  void run_spinning() {
    using clock = std::chrono::steady_clock;
    auto last_activity = clock::now();
    for (;;) {
      if (io_.poll() > 0) {
        last_activity = clock::now();
        continue;
      }
      if (io_.stopped())
        return;
      if (clock::now() - last_activity < idle_spin_)
        continue;
      if (io_.run_one() == 0)
        return;
      last_activity = clock::now();
    }
  }

  std::chrono::nanoseconds idle_spin_;
  boost::asio::io_context io_{1};
  std::mutex mutex_;
  bool open_ = true;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> id_{};
};

} // namespace tandem::session::native
