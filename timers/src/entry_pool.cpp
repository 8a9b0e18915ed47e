#include <tandem/timers/detail/entry_pool.hpp>

#include <atomic>
#include <cstdint>
#include <new>

// Under ASan, recycling would hide use-after-free of entries. (TSan keeps
// the pool: its hand-over between threads is what TSan should check.)
#if defined(__SANITIZE_ADDRESS__)
#define TANDEM_ENTRY_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TANDEM_ENTRY_POOL 0
#endif
#endif
#ifndef TANDEM_ENTRY_POOL
#define TANDEM_ENTRY_POOL 1
#endif

namespace tandem::detail {

#if TANDEM_ENTRY_POOL

namespace {

struct free_block {
  free_block* next;
};

// Bounds: what a thread keeps for itself, and what the shared stack holds
// (beyond that, blocks go back to operator delete, so a burst of a million
// timers does not pin its memory forever).
constexpr std::size_t local_limit = 4096;
constexpr std::size_t shared_limit = 1u << 16;

struct shared_stack {
  std::atomic<free_block*> head{nullptr};
  std::atomic<std::size_t> count{0}; // approximate: only bounds growth

  ~shared_stack() {
    free_block* b = head.exchange(nullptr);
    while (b != nullptr) {
      free_block* next = b->next;
      ::operator delete(b);
      b = next;
    }
  }
};

shared_stack& shared() {
  static shared_stack s;
  return s;
}

struct local_list {
  free_block* head = nullptr;
  std::size_t count = 0;

  ~local_list() {
    while (head != nullptr) {
      free_block* next = head->next;
      ::operator delete(head);
      head = next;
    }
  }
};

thread_local local_list local;

} // namespace

void* entry_pool::allocate(std::size_t size) {
  if (size > block_size)
    return ::operator new(size);
  auto& l = local;
  if (l.head == nullptr) {
    auto& s = shared();
    if (s.head.load(std::memory_order_relaxed) != nullptr) {
      l.head = s.head.exchange(nullptr, std::memory_order_acquire);
      s.count.store(0, std::memory_order_relaxed);
      l.count = 0; // unknown; only bounds what this thread keeps
    }
    if (l.head == nullptr)
      return ::operator new(block_size);
  }
  free_block* b = l.head;
  l.head = b->next;
  if (l.count > 0)
    --l.count;
  return b;
}

void entry_pool::deallocate(void* p, std::size_t size) noexcept {
  if (size > block_size) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<free_block*>(p);
  auto& l = local;
  if (l.count < local_limit) {
    b->next = l.head;
    l.head = b;
    ++l.count;
    return;
  }
  auto& s = shared();
  if (s.count.load(std::memory_order_relaxed) >= shared_limit) {
    ::operator delete(p);
    return;
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  free_block* head = s.head.load(std::memory_order_relaxed);
  do {
    b->next = head;
  } while (!s.head.compare_exchange_weak(head, b, std::memory_order_release,
                                         std::memory_order_relaxed));
}

#else

void* entry_pool::allocate(std::size_t size) {
  return ::operator new(size);
}

void entry_pool::deallocate(void* p, std::size_t) noexcept {
  ::operator delete(p);
}

#endif

} // namespace tandem::detail
