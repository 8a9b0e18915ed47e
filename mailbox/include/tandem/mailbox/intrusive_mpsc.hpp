#pragma once

#include <tandem/mailbox/mailbox_options.hpp>
#include <tandem/mailbox/push_result.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tandem {

/// The actor mailbox, and the mpsc channel under tandem's channel API: many
/// writers, one reader, FIFO per writer, no lock.
///
/// Writers push onto a LIFO stack with one CAS; the reader takes the whole
/// stack with one exchange and reverses it into a private FIFO cache. The
/// stack's head doubles as the reader's state: a tag value marks "reader idle"
/// so that the one push that finds it idle learns it must wake the reader,
/// and another tag marks "closed". Nodes are intrusive (`Node* next`), so a
/// push allocates nothing beyond the message itself.
///
/// Bounded mode keeps an atomic count. `reject` and `drop_newest` refuse at
/// push time, so the mailbox never holds more than capacity messages (plus
/// writers in the middle of a push). `drop_oldest` must discard from the
/// reader's end, which only the reader touches: it accepts every push and the
/// reader discards the oldest surplus before it takes a message, so the actor
/// only ever sees the newest `capacity` messages.
template <class Node>
class intrusive_mpsc {
public:
  explicit intrusive_mpsc(mailbox_options opts = {}) noexcept : opts_(opts) {}

  intrusive_mpsc(const intrusive_mpsc&) = delete;
  intrusive_mpsc& operator=(const intrusive_mpsc&) = delete;

  /// The caller keeps ownership of `node` unless the result is accepted or
  /// wake_reader. `respect_bound = false` queues past a full bound (for
  /// messages that must not be lost: responses, down and exit notices).
  push_result push(Node* node, bool respect_bound = true) noexcept {
    if (opts_.bounded() && respect_bound && opts_.policy != overflow_policy::drop_oldest) {
      if (count_.fetch_add(1, std::memory_order_relaxed) >= opts_.capacity) {
        count_.fetch_sub(1, std::memory_order_relaxed);
        return opts_.policy == overflow_policy::reject ? push_result::full
                                                       : push_result::dropped;
      }
    } else if (opts_.bounded()) {
      count_.fetch_add(1, std::memory_order_relaxed);
    }
    auto* head = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (head == closed_tag()) {
        if (opts_.bounded())
          count_.fetch_sub(1, std::memory_order_relaxed);
        return push_result::closed;
      }
      node->next = head == idle_tag() ? nullptr : head;
      // acq_rel: the writer that finds the reader idle goes on to schedule
      // it, so it must see everything the reader did before it blocked.
      if (head_.compare_exchange_weak(head, node, std::memory_order_acq_rel,
                                      std::memory_order_relaxed))
        return head == idle_tag() ? push_result::wake_reader : push_result::accepted;
    }
  }

  /// Reader only. The next message, or nullptr if none is queued.
  Node* try_pop() noexcept {
    if (cache_ == nullptr && !fetch())
      return nullptr;
    auto* node = cache_;
    cache_ = node->next;
    node->next = nullptr;
    if (opts_.bounded())
      count_.fetch_sub(1, std::memory_order_relaxed);
    return node;
  }

  /// Reader only, drop_oldest mode: takes the oldest message if more than
  /// capacity are queued, for the reader to discard (or, if it must not be
  /// lost, to process: it is the oldest anyway). Call before try_pop().
  Node* take_overflow() noexcept {
    if (!opts_.bounded() || opts_.policy != overflow_policy::drop_oldest)
      return nullptr;
    if (count_.load(std::memory_order_relaxed) <= opts_.capacity)
      return nullptr;
    return try_pop();
  }

  /// Reader only: marks the reader idle if nothing is queued. Returns false if
  /// messages arrived, in which case the reader must go on reading.
  bool try_block() noexcept {
    if (cache_ != nullptr)
      return false;
    Node* expected = nullptr;
    if (head_.compare_exchange_strong(expected, idle_tag(), std::memory_order_acq_rel,
                                      std::memory_order_acquire))
      return true;
    return expected == idle_tag(); // already idle: nothing arrived since
  }

  /// Reader only: true if the reader's cache is empty and no push is visible.
  bool empty() const noexcept {
    auto* head = head_.load(std::memory_order_acquire);
    return cache_ == nullptr
           && (head == nullptr || head == idle_tag() || head == closed_tag());
  }

  /// True once the reader has blocked, until the next push wakes it.
  bool idle() const noexcept { return head_.load(std::memory_order_acquire) == idle_tag(); }

  bool closed() const noexcept { return head_.load(std::memory_order_acquire) == closed_tag(); }

  /// Reader only: refuses all further pushes and returns what was queued, in
  /// FIFO order, linked through `next`, for the reader to dispose of.
  Node* close() noexcept {
    auto* stack = head_.exchange(closed_tag(), std::memory_order_acq_rel);
    if (stack == idle_tag() || stack == closed_tag())
      stack = nullptr;
    // Queued order: the cache (oldest), then the stack reversed.
    Node* rest = reverse(stack);
    if (cache_ == nullptr)
      return rest;
    auto* tail = cache_;
    while (tail->next != nullptr)
      tail = tail->next;
    tail->next = rest;
    auto* all = cache_;
    cache_ = nullptr;
    return all;
  }

  /// Messages queued right now (exact for bounded mailboxes; otherwise counts
  /// by walking, for tests and diagnostics only).
  std::size_t size() const noexcept {
    if (opts_.bounded())
      return count_.load(std::memory_order_relaxed);
    std::size_t n = 0;
    for (auto* p = cache_; p != nullptr; p = p->next)
      ++n;
    auto* head = head_.load(std::memory_order_acquire);
    if (head != idle_tag() && head != closed_tag())
      for (auto* p = head; p != nullptr; p = p->next)
        ++n;
    return n;
  }

  const mailbox_options& options() const noexcept { return opts_; }

  /// Starts in the "reader idle" state: the first push wakes the reader.
  void start_idle() noexcept {
    Node* expected = nullptr;
    head_.compare_exchange_strong(expected, idle_tag(), std::memory_order_acq_rel);
  }

private:
  static Node* idle_tag() noexcept { return reinterpret_cast<Node*>(std::uintptr_t{1}); }
  static Node* closed_tag() noexcept { return reinterpret_cast<Node*>(std::uintptr_t{2}); }

  static Node* reverse(Node* stack) noexcept {
    Node* fifo = nullptr;
    while (stack != nullptr) {
      auto* next = stack->next;
      stack->next = fifo;
      fifo = stack;
      stack = next;
    }
    return fifo;
  }

  bool fetch() noexcept {
    auto* head = head_.load(std::memory_order_relaxed);
    if (head == nullptr || head == idle_tag() || head == closed_tag())
      return false;
    auto* stack = head_.exchange(nullptr, std::memory_order_acquire);
    cache_ = reverse(stack);
    return cache_ != nullptr;
  }

  std::atomic<Node*> head_{nullptr};
  Node* cache_ = nullptr;
  std::atomic<std::size_t> count_{0};
  mailbox_options opts_;
};

} // namespace tandem
