#pragma once

#include <atomic>
#include <thread>

namespace tandem::detail {

/// One byte of lock for rarely contended, very short critical sections (an
/// actor's links and monitors): a mutex would cost 40 bytes in every actor.
class spinlock {
public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire))
      while (locked_.load(std::memory_order_relaxed))
        std::this_thread::yield();
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
  std::atomic<bool> locked_{false};
};

} // namespace tandem::detail
