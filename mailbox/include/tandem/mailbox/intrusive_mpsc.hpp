#pragma once

#include <tandem/mailbox/mailbox_options.hpp>
#include <tandem/mailbox/push_result.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tandem {

/// What a node needs to sit in an intrusive_mpsc: derive from it.
struct mpsc_link {
  std::atomic<mpsc_link*> next{nullptr};
};

/// The actor mailbox, and the mpsc channel under tandem's channel API: many
/// writers, one reader, FIFO per writer, no lock.
///
/// Dmitry Vyukov's intrusive MPSC queue: a writer swings `head_` to its node
/// with one CAS, then links the node it replaced to its own. The reader
/// follows the links from its end in FIFO order, so it touches each node once
/// -- a long backlog (a producer that sent 10,000 messages in one handler)
/// costs one cache miss per message, and the next node is prefetched while
/// the current one is handled. (A LIFO stack reversed by the reader, the
/// textbook alternative and CAF's, walks the whole backlog once to reverse
/// it and again to handle it: two misses per message once it outgrows the
/// cache.) A stub link marks "nothing queued"; nodes are intrusive, so a
/// push allocates nothing beyond the message itself.
///
/// `head_` doubles as the reader's state: the stub pointer tagged with bit 0
/// marks "reader idle", so the one push that finds it learns it must wake the
/// reader; a separate tag value marks "closed" and refuses pushes.
///
/// Between a writer's CAS and its link, the node is queued but not yet
/// reachable: try_pop() then waits a moment for the link, and try_block()
/// refuses to block (the reader must go on: a message is on its way).
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
  explicit intrusive_mpsc(mailbox_options opts = {}) noexcept
      : opts_(opts), reader_opts_(opts) {}

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
    mpsc_link* link = node;
    link->next.store(nullptr, std::memory_order_relaxed);
    auto* head = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (head == closed_tag()) {
        if (opts_.bounded())
          count_.fetch_sub(1, std::memory_order_relaxed);
        return push_result::closed;
      }
      // acq_rel: the writer that finds the reader idle goes on to schedule
      // it, so it must see everything the reader did before it blocked.
      if (head_.compare_exchange_weak(head, link, std::memory_order_acq_rel,
                                      std::memory_order_relaxed))
        break;
    }
    // release: the reader that follows this link sees the node's contents.
    if (head == idle_tag()) {
      stub_.next.store(link, std::memory_order_release);
      return push_result::wake_reader;
    }
    head->next.store(link, std::memory_order_release);
    return push_result::accepted;
  }

  /// Reader only. The next message, or nullptr if none is reachable.
  Node* try_pop() noexcept {
    mpsc_link* tail = tail_;
    mpsc_link* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr)
        return nullptr;
      tail = next;
      next = tail->next.load(std::memory_order_acquire);
    }
    if (next == nullptr) {
      // `tail` is the last node linked. If it is also the last one queued,
      // swing head_ back to the stub and take it; the stub is then the whole
      // queue. (Nobody writes the stub's link before head_ points to it.)
      stub_.next.store(nullptr, std::memory_order_relaxed);
      mpsc_link* expected = tail;
      if (head_.compare_exchange_strong(expected, &stub_, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
        tail_ = &stub_;
        return take(tail);
      }
      // A writer got in behind `tail`: its link follows in a moment.
      next = await_link(tail);
      if (next == nullptr) {
        tail_ = tail;
        return nullptr; // that writer is between its CAS and its link
      }
    }
    tail_ = next;
    // Handled next: its cache miss overlaps with handling this one.
    __builtin_prefetch(next);
    return take(tail);
  }

  /// Reader only, drop_oldest mode: takes the oldest message if more than
  /// capacity are queued, for the reader to discard (or, if it must not be
  /// lost, to process: it is the oldest anyway). Call before try_pop().
  Node* take_overflow() noexcept {
    if (!reader_opts_.bounded() || reader_opts_.policy != overflow_policy::drop_oldest)
      return nullptr;
    if (count_.load(std::memory_order_relaxed) <= reader_opts_.capacity)
      return nullptr;
    return try_pop();
  }

  /// Reader only: marks the reader idle if nothing is queued. Returns false if
  /// messages arrived (or are being linked), in which case the reader must go
  /// on reading.
  bool try_block() noexcept {
    if (tail_ != &stub_ || stub_.next.load(std::memory_order_acquire) != nullptr)
      return false;
    mpsc_link* expected = &stub_;
    if (head_.compare_exchange_strong(expected, idle_tag(), std::memory_order_acq_rel,
                                      std::memory_order_acquire))
      return true;
    return expected == idle_tag(); // already idle: nothing arrived since
  }

  /// Reader only: true if nothing is queued and no push is under way.
  bool empty() const noexcept {
    auto* head = head_.load(std::memory_order_acquire);
    return tail_ == &stub_ && stub_.next.load(std::memory_order_acquire) == nullptr
           && (head == &stub_ || head == idle_tag() || head == closed_tag());
  }

  /// True once the reader has blocked, until the next push wakes it.
  bool idle() const noexcept { return head_.load(std::memory_order_acquire) == idle_tag(); }

  bool closed() const noexcept { return head_.load(std::memory_order_acquire) == closed_tag(); }

  /// Reader only: refuses all further pushes and hands each message still
  /// queued to `dispose`, oldest first. Waits for writers that are between
  /// their CAS and their link (a few instructions).
  template <class F>
  void close(F&& dispose) {
    auto* last = head_.exchange(closed_tag(), std::memory_order_acq_rel);
    if (last == closed_tag())
      return;
    if (last == idle_tag())
      last = &stub_;
    mpsc_link* node = tail_;
    tail_ = &stub_;
    for (;;) {
      mpsc_link* next = nullptr;
      if (node != last)
        while ((next = node->next.load(std::memory_order_acquire)) == nullptr)
          pause();
      if (node != &stub_) {
        node->next.store(nullptr, std::memory_order_relaxed);
        dispose(static_cast<Node*>(node));
      }
      if (node == last)
        break;
      node = next;
    }
    stub_.next.store(nullptr, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
  }

  /// Messages queued right now (exact for bounded mailboxes; otherwise counts
  /// by walking the linked ones, for tests and diagnostics only).
  std::size_t size() const noexcept {
    if (opts_.bounded())
      return count_.load(std::memory_order_relaxed);
    std::size_t n = 0;
    for (auto* p = tail_; p != nullptr; p = p->next.load(std::memory_order_acquire))
      n += p == &stub_ ? 0 : 1;
    return n;
  }

  const mailbox_options& options() const noexcept { return opts_; }

  /// Starts in the "reader idle" state: the first push wakes the reader.
  void start_idle() noexcept {
    mpsc_link* expected = &stub_;
    head_.compare_exchange_strong(expected, idle_tag(), std::memory_order_acq_rel);
  }

private:
  mpsc_link* idle_tag() noexcept {
    return reinterpret_cast<mpsc_link*>(reinterpret_cast<std::uintptr_t>(&stub_) | 1u);
  }
  const mpsc_link* idle_tag() const noexcept {
    return reinterpret_cast<const mpsc_link*>(reinterpret_cast<std::uintptr_t>(&stub_) | 1u);
  }
  static mpsc_link* closed_tag() noexcept {
    return reinterpret_cast<mpsc_link*>(std::uintptr_t{2});
  }

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  Node* take(mpsc_link* node) noexcept {
    if (reader_opts_.bounded())
      count_.fetch_sub(1, std::memory_order_relaxed);
    return static_cast<Node*>(node);
  }

  // The link out of `node`, waiting briefly if a writer has swung head_ past
  // it but not linked yet; nullptr if that writer is still not done (it may
  // have been preempted: the reader should come back later, not spin).
  static mpsc_link* await_link(mpsc_link* node) noexcept {
    for (int i = 0; i < 64; ++i) {
      if (auto* next = node->next.load(std::memory_order_acquire))
        return next;
      pause();
    }
    return nullptr;
  }

public:
  /// Where the reader's own fields start, from the start of the object.
  /// Everything before is the writers' (or read by both only when a reader
  /// blocks or wakes); a container that puts reader_offset() at the start of
  /// a cache line (actor_base does) keeps a reader at a writer's heel from
  /// pulling the writers' line away on every message -- as one line, the
  /// reader's store to tail_ and the writer's CAS on head_ cost a cross-core
  /// round trip each per message (counting: 170 ns/msg instead of 40).
  static constexpr std::size_t reader_offset() noexcept;

private:
  // The writers' end.
  std::atomic<mpsc_link*> head_{&stub_};
  mailbox_options opts_;
  std::atomic<std::size_t> count_{0}; // bounded mode: both ends
  mpsc_link stub_;
  // The reader's end.
  mpsc_link* tail_ = &stub_; // the oldest node, or the stub
  mailbox_options reader_opts_; // opts_, on the reader's line
};

template <class Node>
constexpr std::size_t intrusive_mpsc<Node>::reader_offset() noexcept {
  return offsetof(intrusive_mpsc, tail_);
}

} // namespace tandem
