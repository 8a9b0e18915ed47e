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
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace tandem::session::native {

/// A write queue whose flush waits for the end of the drain of actors
/// running now on the I/O thread (io_thread::collect_flush).
class deferred_flush {
public:
  virtual void flush_deferred() = 0;

protected:
  ~deferred_flush() = default;
};

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

  // -- actors on this thread (io_actors); I/O thread only, or before run() ----
  //
  // A request read here would otherwise reach the socket again through three
  // hops of the io_context's queue (the actors' drain, its step back, the
  // flush), each preceded by a non-blocking epoll_wait, and the next read's
  // speculative recv (EAGAIN) would come before the answer's send; a syscall
  // costs microseconds on a VM. A read that drained its socket runs the
  // actors it woke at once instead, and their writes start when that run
  // ends: recv, session, send, and only then the next recv.

  /// Set by io_actors: runs the actors woken since their last drain.
  void set_actor_runner(std::function<void()> run) { actor_runner_ = std::move(run); }
  /// A socket handler delivered frames and found nothing more to read: run
  /// the actors they woke now (no-op without actors on this thread).
  void run_woken_actors() {
    if (actor_runner_)
      actor_runner_();
  }

  /// While actors run on this thread, writes they queue are collected here and
  /// start together when the run ends.
  class collecting_flushes {
  public:
    explicit collecting_flushes(io_thread& io) : io_(io) { ++io_.collecting_; }
    collecting_flushes(const collecting_flushes&) = delete;
    collecting_flushes& operator=(const collecting_flushes&) = delete;
    ~collecting_flushes() {
      if (--io_.collecting_ == 0)
        io_.run_collected_flushes();
    }

  private:
    io_thread& io_;
  };
  /// false outside a run of actors: the caller posts its flush instead.
  bool collect_flush(std::shared_ptr<deferred_flush> f) {
    if (collecting_ == 0)
      return false;
    flushes_.push_back(std::move(f));
    return true;
  }

private:
  void run_collected_flushes() {
    // Swapped, not iterated in place: a flush may end in a handler that
    // starts another run (the vectors' storage is reused either way).
    running_flushes_.swap(flushes_);
    for (auto& f : running_flushes_)
      f->flush_deferred();
    running_flushes_.clear();
  }

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
  std::function<void()> actor_runner_;
  int collecting_ = 0;
  std::vector<std::shared_ptr<deferred_flush>> flushes_, running_flushes_;
};

} // namespace tandem::session::native
