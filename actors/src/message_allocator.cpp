// Memory for messages. A message is typically allocated by one thread and
// freed by another (the receiver's worker), which general-purpose allocators
// handle slowly (glibc: ~300 instructions per message pair, much of it on
// arena locks). Here each thread keeps a magazine of free blocks per size
// class; a full magazine goes to a shared depot, an empty one is refilled
// from it, so the lock is taken once per `magazine_capacity` messages and
// blocks flow from the consumer back to the producer.

#include <tandem/actors/detail/message.hpp>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define TANDEM_PLAIN_MESSAGE_ALLOCATION 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define TANDEM_PLAIN_MESSAGE_ALLOCATION 1
#  endif
#endif

namespace tandem::detail {

#ifdef TANDEM_PLAIN_MESSAGE_ALLOCATION

// Sanitizers must see every allocation and free: no recycling.
void* message::operator new(std::size_t size) {
  return ::operator new(size);
}
void message::operator delete(void* p, std::size_t) noexcept {
  ::operator delete(p);
}

#else

namespace {

// Block sizes 16k+8 (..., 56, 72, 88, ... 264): the sizes whose malloc chunks
// waste nothing (glibc adds 8 bytes and rounds to 16), so a fresh block costs
// no more memory than a plain allocation would.
constexpr std::size_t largest_block = 264;
constexpr std::size_t size_classes = largest_block / 16 + 1;
constexpr std::size_t magazine_capacity = 128;
constexpr std::size_t depot_capacity = 64; // magazines kept per class

struct free_block {
  free_block* next;
};

struct magazine {
  free_block* head = nullptr;
  std::size_t count = 0;

  void release_all() noexcept {
    while (head != nullptr) {
      auto* next = head->next;
      ::operator delete(head);
      head = next;
    }
    count = 0;
  }
};

struct depot {
  std::mutex mutex;
  std::vector<magazine> full[size_classes];
  // Lets an allocation skip the lock while the depot has nothing to give
  // (a burst of sends before any receiver has freed anything).
  std::atomic<std::size_t> available[size_classes] = {};
};

// Never destroyed: threads (and their caches) may outlive static destruction.
depot& shared_depot() {
  static depot* d = new depot;
  return *d;
}

// The magazines are plain thread-locals (no guard on the fast path); a second
// thread-local with a destructor returns them to the depot at thread exit. It
// is touched whenever a magazine goes from empty to non-empty, so a thread
// that holds blocks has always registered it.
thread_local magazine loaded[size_classes];

void flush(std::size_t c) noexcept {
  auto& d = shared_depot();
  {
    std::lock_guard<std::mutex> guard{d.mutex};
    if (d.full[c].size() < depot_capacity) {
      try {
        d.full[c].push_back(loaded[c]);
        d.available[c].store(d.full[c].size(), std::memory_order_relaxed);
        loaded[c] = {};
        return;
      } catch (...) {
        // fall through: give the blocks back to the system
      }
    }
  }
  loaded[c].release_all();
}

struct cache_cleanup {
  bool armed = false;
  ~cache_cleanup() {
    for (std::size_t c = 0; c < size_classes; ++c)
      if (loaded[c].count != 0)
        flush(c);
  }
};

thread_local cache_cleanup cleanup;

void arm_cleanup() noexcept {
  cleanup.armed = true;
}

bool refill(std::size_t c) noexcept {
  auto& d = shared_depot();
  if (d.available[c].load(std::memory_order_relaxed) == 0)
    return false;
  std::lock_guard<std::mutex> guard{d.mutex};
  if (d.full[c].empty())
    return false;
  loaded[c] = d.full[c].back();
  d.full[c].pop_back();
  d.available[c].store(d.full[c].size(), std::memory_order_relaxed);
  arm_cleanup();
  return true;
}

std::size_t class_of(std::size_t size) noexcept {
  return (size + 7) / 16;
}

std::size_t block_size(std::size_t c) noexcept {
  return c * 16 + 8;
}

} // namespace

void* message::operator new(std::size_t size) {
  if (size > largest_block)
    return ::operator new(size);
  auto c = class_of(size);
  auto& m = loaded[c];
  if (m.head == nullptr && !refill(c))
    return ::operator new(block_size(c));
  auto* block = m.head;
  m.head = block->next;
  --m.count;
  return block;
}

void message::operator delete(void* p, std::size_t size) noexcept {
  if (size > largest_block) {
    ::operator delete(p);
    return;
  }
  auto c = class_of(size);
  auto& m = loaded[c];
  if (m.count == magazine_capacity)
    flush(c);
  if (m.count == 0)
    arm_cleanup();
  auto* block = static_cast<free_block*>(p);
  block->next = m.head;
  m.head = block;
  ++m.count;
}

#endif

void* message::operator new(std::size_t size, std::align_val_t align) {
  return ::operator new(size, align);
}

void message::operator delete(void* p, std::size_t, std::align_val_t align) noexcept {
  ::operator delete(p, align);
}

} // namespace tandem::detail
