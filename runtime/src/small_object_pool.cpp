#include <tandem/runtime/detail/small_object_pool.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>

namespace tandem::detail {

#if TANDEM_SMALL_OBJECT_POOL

namespace {

constexpr std::size_t granule = pool_granule;
constexpr std::size_t class_count = pool_size_classes;
constexpr std::size_t largest = pool_largest;
constexpr std::size_t chunk_size = pool_chunk_size;
constexpr std::size_t chunk_header = 64;

using free_block = pool_block;

struct heap;

// The first word is what the inline free_small() reads.
struct chunk {
  pool_free_lists* lists;
  heap* owner;
};

struct alignas(64) size_class {
  char* bump = nullptr;        // owner only: the rest of the current chunk
  char* end = nullptr;
  // Blocks other threads freed, pushed with a CAS; the owner takes all at once.
  alignas(64) std::atomic<free_block*> remote{nullptr};
};

// Chunks are cut from slabs of this many: each aligned allocation from the
// system touches a page or two of bookkeeping around it (glibc maps 64 KiB
// aligned to 64 KiB as 128 KiB and writes headers on both sides), which on a
// 64 KiB chunk alone was 24 bytes per 192-byte actor.
constexpr std::size_t slab_chunks = 16;

struct heap {
  pool_free_lists local; // owner only: the free list of each size class
  size_class classes[class_count];
  char* slab_next = nullptr; // owner only: the rest of the current slab
  char* slab_end = nullptr;
  heap* next_orphan = nullptr;
  // The fallback heap (for threads past their pool's teardown) is shared:
  // allocating from it takes this lock; freeing into it is a remote push
  // (it is no thread's this_heap).
  std::mutex lock;
};

struct globals {
  std::mutex orphans_lock;
  heap* orphans = nullptr;
  heap fallback;
};

globals& global() {
  // Never destroyed: threads may free messages during static destruction.
  static auto* g = new globals;
  return *g;
}

// The calling thread's own heap (never the shared fallback).
thread_local heap* this_heap = nullptr;
thread_local bool heap_torn_down = false;

// Blocks this thread freed for other threads' heaps, not yet pushed back:
// per size class, a chain for each of up to chain_ways owners. A consumer
// that frees every message its producer made would otherwise CAS the
// producer's stack once per message while the producer takes it as fast,
// one or two blocks at a time: the stack's cache line then crosses cores
// twice per message (most of a message's cost when the two run side by
// side). A chain of remote_batch blocks costs one CAS and gives the owner a
// batch. Several owners per class, because a thread often frees for a few
// at once, interleaved (the timer thread frees the entries of every worker
// an actor has armed timers on): with one chain per class, every change of
// owner would flush a chain of one or two.
constexpr unsigned remote_batch = 32;
constexpr unsigned chain_ways = 4;

struct pending_chain {
  heap* owner = nullptr; // kept across flushes, until another owner needs the way
  free_block* first = nullptr;
  free_block* last = nullptr;
  unsigned count = 0;
  // The last pool_prefetch_distance blocks put in front of this owner's
  // chains: the block pushed that many pushes ago is that far down the
  // owner's list (the `ahead` hint) -- also across a flush, since the next
  // chain lands right on top of the last one, unless another thread's chain
  // came in between (then the hint is merely stale). Restarting at each
  // flush would leave the first blocks of every chain unfetched.
  free_block* recent[pool_prefetch_distance] = {};
  unsigned pushes = 0;
};

struct pending_frees {
  pending_chain chains[class_count][chain_ways];
  std::uint8_t victim[class_count] = {}; // the way to give up next, per class
  std::uint64_t nonempty = 0;            // bit index * chain_ways + way: holds blocks
  static_assert(class_count * chain_ways <= 64);
};

thread_local pending_frees this_thread_pending;
// Set once this thread's pending chains were flushed at its exit: later
// frees (from other thread-local destructors) push one by one.
thread_local bool pending_torn_down = false;

void push_remote(size_class& c, free_block* first, free_block* last) noexcept {
  auto* head = c.remote.load(std::memory_order_relaxed);
  do {
    last->next = head;
  } while (!c.remote.compare_exchange_weak(head, first, std::memory_order_release,
                                           std::memory_order_relaxed));
}

void flush_chain(pending_frees& p, std::size_t index, unsigned way) noexcept {
  auto& chain = p.chains[index][way];
  push_remote(chain.owner->classes[index], chain.first, chain.last);
  chain.first = chain.last = nullptr;
  chain.count = 0;
  p.nonempty &= ~(std::uint64_t{1} << (index * chain_ways + way));
}

void flush_all(pending_frees& p) noexcept {
  while (p.nonempty != 0) {
    auto bit = static_cast<unsigned>(__builtin_ctzll(p.nonempty));
    flush_chain(p, bit / chain_ways, bit % chain_ways);
  }
}

/// The way of size class `index` that collects `owner`'s blocks: the one it
/// already has, or one given up by another owner (its chain flushed).
pending_chain& chain_for(pending_frees& p, std::size_t index, heap* owner) noexcept {
  auto* ways = p.chains[index];
  for (unsigned w = 0; w < chain_ways; ++w)
    if (ways[w].owner == owner)
      return ways[w];
  unsigned w = 0;
  while (w < chain_ways && ways[w].owner != nullptr)
    ++w;
  if (w == chain_ways) {
    w = p.victim[index];
    p.victim[index] = static_cast<std::uint8_t>((w + 1) % chain_ways);
    if (ways[w].count != 0)
      flush_chain(p, index, w);
  }
  ways[w] = pending_chain{};
  ways[w].owner = owner;
  return ways[w];
}

// Hands the thread's heap on when the thread exits; later allocations of
// this thread (other thread-local destructors) use the shared fallback.
struct heap_owner {
  ~heap_owner() {
    flush_all(this_thread_pending);
    pending_torn_down = true;
    auto* h = this_heap;
    auto& g = global();
    this_heap = nullptr;
    this_thread_free_lists = nullptr;
    heap_torn_down = true;
    if (h == nullptr)
      return;
    std::lock_guard<std::mutex> guard{g.orphans_lock};
    h->next_orphan = g.orphans;
    g.orphans = h;
  }
};
thread_local heap_owner this_heap_owner;

heap* attach_heap() {
  (void)&this_heap_owner; // registers the destructor for this thread
  auto& g = global();
  heap* h = nullptr;
  {
    std::lock_guard<std::mutex> guard{g.orphans_lock};
    if (g.orphans != nullptr) {
      h = g.orphans;
      g.orphans = h->next_orphan;
      h->next_orphan = nullptr;
    }
  }
  if (h == nullptr)
    h = new heap;
  this_heap = h;
  this_thread_free_lists = &h->local;
  return h;
}

// Freed blocks are cold -- usually last written by another core, the
// receiver's worker or the timer driver -- and the free list is linked
// through them: without this, each allocation would first wait for a cache
// miss just to find the next block. The caller writes the block it got at
// once, so that miss is paid anyway; the next one now overlaps with work.
inline free_block* pop(free_block*& list, free_block* b, std::size_t block) noexcept {
  list = b->next;
  prefetch_ahead(b, list, block);
  return b;
}

void* refill(heap* h, size_class& c, std::size_t block) {
  if (h->slab_next == h->slab_end) {
    auto* slab = static_cast<char*>(std::aligned_alloc(chunk_size, chunk_size * slab_chunks));
    if (slab == nullptr)
      throw std::bad_alloc{};
    h->slab_next = slab;
    h->slab_end = slab + chunk_size * slab_chunks;
  }
  void* mem = h->slab_next;
  h->slab_next += chunk_size;
  auto* ch = static_cast<chunk*>(mem);
  ch->lists = &h->local;
  ch->owner = h;
  c.bump = static_cast<char*>(mem) + chunk_header;
  c.end = static_cast<char*>(mem) + chunk_size;
  void* p = c.bump;
  c.bump += block;
  return p;
}

void* allocate_from(heap* h, std::size_t index) {
  auto& c = h->classes[index];
  auto*& local = h->local.head[index];
  auto block = (index + 1) * granule;
  if (auto* b = local)
    return pop(local, b, block);
  if (c.remote.load(std::memory_order_relaxed) != nullptr) {
    // acquire: pairs with the release push, so the freeing thread's last
    // writes to these blocks happen before they are reused here.
    if (auto* b = c.remote.exchange(nullptr, std::memory_order_acquire))
      return pop(local, b, block);
  }
  if (c.bump != nullptr && c.bump + block <= c.end) {
    void* p = c.bump;
    c.bump += block;
    return p;
  }
  return refill(h, c, block);
}

} // namespace

void* allocate_small_slow(std::size_t size) {
  if (size > largest)
    return ::operator new(size);
  auto index = (size - 1) / granule;
  auto* h = this_heap;
  if (h == nullptr && heap_torn_down) {
    auto& fallback = global().fallback;
    std::lock_guard<std::mutex> guard{fallback.lock};
    return allocate_from(&fallback, index);
  }
  if (h == nullptr)
    h = attach_heap();
  return allocate_from(h, index);
}

void free_small_slow(void* p, std::size_t size) noexcept {
  if (p == nullptr)
    return;
  if (size > largest) {
    ::operator delete(p); // unsized: clang has sized deallocation off by default
    return;
  }
  auto* owner =
    reinterpret_cast<chunk*>(reinterpret_cast<std::uintptr_t>(p) & ~(chunk_size - 1))->owner;
  auto* b = static_cast<free_block*>(p);
  auto index = (size - 1) / granule;
  auto& c = owner->classes[index];
  if (owner == this_heap) {
    push_free_block(owner->local.head[index], b);
    return;
  }
  if (pending_torn_down) {
    b->ahead = nullptr;
    push_remote(c, b, b);
    return;
  }
  auto& pending = this_thread_pending;
  if (pending.nonempty == 0)
    (void)&this_heap_owner; // registers the flush at this thread's exit
  auto& chain = chain_for(pending, index, owner);
  auto way = static_cast<unsigned>(&chain - pending.chains[index]);
  if (chain.count == 0) {
    chain.last = b;
    pending.nonempty |= std::uint64_t{1} << (index * chain_ways + way);
  }
  b->next = chain.first;
  auto& recent = chain.recent[chain.pushes++ % pool_prefetch_distance];
  b->ahead = recent;
  recent = b;
  chain.first = b;
  if (++chain.count == remote_batch)
    flush_chain(pending, index, way);
}

void flush_remote_frees() noexcept {
  if (this_thread_pending.nonempty != 0)
    flush_all(this_thread_pending);
}

bool small_object_pool_enabled() noexcept {
  return true;
}

void* allocate_lines(std::size_t size) {
  auto lines = whole_lines(size);
  if (lines <= largest)
    return allocate_small(lines); // blocks of 64k bytes sit at 64 + i * 64k
  return ::operator new(size, std::align_val_t{64});
}

void free_lines(void* p, std::size_t size) noexcept {
  auto lines = whole_lines(size);
  if (lines <= largest)
    free_small(p, lines);
  else
    ::operator delete(p, std::align_val_t{64});
}

#else // AddressSanitizer: every object its own allocation

bool small_object_pool_enabled() noexcept {
  return false;
}

void* allocate_small_slow(std::size_t size) {
  return ::operator new(size);
}

void free_small_slow(void* p, std::size_t) noexcept {
  ::operator delete(p);
}

void flush_remote_frees() noexcept {}

void* allocate_lines(std::size_t size) {
  return ::operator new(size, std::align_val_t{64});
}

void free_lines(void* p, std::size_t) noexcept {
  ::operator delete(p, std::align_val_t{64});
}

#endif

} // namespace tandem::detail
