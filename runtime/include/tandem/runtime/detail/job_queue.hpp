#pragma once

#include <tandem/runtime/resumable.hpp>

#include <cstddef>
#include <new>

namespace tandem::detail {

/// FIFO of resumables linked through their scheduler storage: queueing never
/// allocates. Not thread-safe.
class job_queue {
public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }

  void push_back(resumable* job) noexcept {
    link(job) = nullptr;
    if (tail_ != nullptr)
      link(tail_) = job;
    else
      head_ = job;
    tail_ = job;
    ++size_;
  }

  resumable* pop_front() noexcept {
    auto* job = head_;
    if (job == nullptr)
      return nullptr;
    head_ = link(job);
    if (head_ == nullptr)
      tail_ = nullptr;
    --size_;
    return job;
  }

  /// Moves all of `other` to the back of this queue.
  void splice_back(job_queue& other) noexcept {
    if (other.head_ == nullptr)
      return;
    if (tail_ != nullptr)
      link(tail_) = other.head_;
    else
      head_ = other.head_;
    tail_ = other.tail_;
    size_ += other.size_;
    other.head_ = other.tail_ = nullptr;
    other.size_ = 0;
  }

private:
  static resumable*& link(resumable* job) noexcept {
    return *std::launder(reinterpret_cast<resumable**>(job->scheduler_storage()));
  }

  resumable* head_ = nullptr;
  resumable* tail_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace tandem::detail
