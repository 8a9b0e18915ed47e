#pragma once

// Shared by the test sources: which backends this platform has, and small
// helpers. The same test sources run natively and under WebAssembly (node);
// the CAF pool and real threads exist only natively.

#include <tandem/runtime/cooperative_loop.hpp>
#include <tandem/runtime/deterministic.hpp>
#include <tandem/tandem.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#if !defined(__EMSCRIPTEN__)
#  define TANDEM_TEST_HAS_THREADS 1
#  include <tandem/runtime/caf_pool.hpp>
#endif

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#  define TANDEM_TEST_SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#    define TANDEM_TEST_SANITIZED 1
#  endif
#endif

namespace tandem_test {

struct backend_case {
  std::string name;
  std::function<std::unique_ptr<tandem::scheduler>()> make;
};

/// Every backend of this platform: the CAF pool (2 workers) natively, the
/// cooperative loop, and the deterministic scheduler.
inline std::vector<backend_case> all_backends() {
  std::vector<backend_case> out;
#if TANDEM_TEST_HAS_THREADS
  out.push_back({"caf_pool", [] {
                   return std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100});
                 }});
#endif
  out.push_back({"cooperative_loop", [] { return std::make_unique<tandem::cooperative_loop>(); }});
  out.push_back({"deterministic", [] { return std::make_unique<tandem::deterministic_scheduler>(7); }});
  return out;
}

/// A thread-safe list that actors append to and the test reads afterwards.
template <class T>
class collector {
public:
  void push(T value) {
    std::lock_guard<std::mutex> guard{mutex_};
    items_.push_back(std::move(value));
  }
  std::vector<T> items() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return items_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return items_.size();
  }

private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

struct stop {};

} // namespace tandem_test
