#pragma once

#include <cstddef>
#include <cstdint>

// Under AddressSanitizer the pool is off, so that the sanitizer sees every
// object's lifetime.
#if defined(__SANITIZE_ADDRESS__)
#  define TANDEM_SMALL_OBJECT_POOL 0
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define TANDEM_SMALL_OBJECT_POOL 0
#  endif
#endif
#ifndef TANDEM_SMALL_OBJECT_POOL
#  define TANDEM_SMALL_OBJECT_POOL 1
#endif

namespace tandem::detail {

// The pool's layout, for the inline fast paths below.
inline constexpr std::size_t pool_granule = 16;
inline constexpr std::size_t pool_size_classes = 16; // blocks of 16, 32, ..., 256 bytes
inline constexpr std::size_t pool_largest = pool_granule * pool_size_classes;
/// Chunks are aligned to their size, so a block finds its chunk's header
/// (which names the owner's free lists) by masking its address.
inline constexpr std::size_t pool_chunk_size = 64 * 1024;

/// How far down its free list a free block's `ahead` hint points.
inline constexpr unsigned pool_prefetch_distance = 4;

struct pool_block {
  pool_block* next;
  // A block about pool_prefetch_distance places further down the list, or
  // null: only a hint for prefetching. It may be stale -- a prefetch never
  // faults, and pool memory stays mapped. (Not kept in WebAssembly, which
  // has no prefetch.)
  pool_block* ahead;
};

/// Freed blocks are cold -- last written by another core, often long ago (a
/// timer entry freed by the timer thread) -- and a free list is linked
/// through them. Fetching the next block as this one is handed out is too
/// late when allocations follow closely (a handler arming timers, ~50 ns
/// apart, against ~100-200 ns for a miss to memory here), so a pop fetches
/// the block pool_prefetch_distance places down, every line of it: whoever
/// gets a block writes it whole at once.
inline void prefetch_ahead([[maybe_unused]] const pool_block* popped,
                           [[maybe_unused]] const pool_block* next,
                           [[maybe_unused]] std::size_t size) noexcept {
#if !defined(__wasm__)
  if (const auto* far = popped->ahead != nullptr ? popped->ahead : next) {
    const auto* p = reinterpret_cast<const char*>(far);
    for (std::size_t line = 0; line < size; line += 64)
      __builtin_prefetch(p + line, 1);
  }
#endif
}

/// A block freed on its owner's thread goes in front of `head`, and is mostly
/// reused at once (LIFO): `head` is in cache, and its hint is about as far
/// down as this one's should be.
inline void push_free_block(pool_block*& head, pool_block* b) noexcept {
  b->next = head;
#if !defined(__wasm__)
  b->ahead = head != nullptr ? head->ahead : nullptr;
#endif
  head = b;
}

/// A thread's private free lists, one per size class: touched by the owner
/// only. The first member of the thread's pool.
struct pool_free_lists {
  pool_block* head[pool_size_classes] = {};
};

/// The calling thread's free lists; null until it first allocates (and
/// after its pool was handed on at thread exit).
inline constinit thread_local pool_free_lists* this_thread_free_lists = nullptr;

/// What the inline paths fall back to: refills, other threads' blocks, sizes
/// beyond the largest class.
void* allocate_small_slow(std::size_t size);
void free_small_slow(void* p, std::size_t size) noexcept;

/// Memory for the runtime's small, short-lived objects: messages and timer
/// entries.
///
/// Both come by the million, of few sizes, and are usually freed on another
/// thread than the one that made them (a message by its receiver's worker, a
/// timer entry by the timer driver). Each thread allocates from a pool of its
/// own: per size class (16-byte steps up to 256 bytes) a private free list,
/// fresh blocks cut from 64 KiB chunks, and a lock-free stack on which other
/// threads return its blocks; the owner takes that stack whole when its free
/// list runs dry. So an allocation is a pop or a bump, a free a push (a CAS
/// when it crosses threads), a producer that sends a burst of a million
/// messages or arms a million timers pays for no allocator slow path, and a
/// block always goes back to the thread that will reuse it.
///
/// Blocks sit at 64 + k * size in their chunk: a size that is a multiple of
/// 64 gets cache-line-aligned blocks (see allocate_lines).
///
/// Chunks are kept for reuse, not returned to the system; the pool of a
/// thread that exits goes to the next thread that starts allocating. Under
/// AddressSanitizer the pool is off (plain new/delete), so the sanitizer
/// still sees every object's lifetime.
///
/// A message is made and freed per send, so the common case of each -- this
/// thread's free list has a block; the block is this thread's own -- is
/// inline and costs no call. (In WebAssembly a call costs several times what
/// it costs natively: every live value is spilled around it.)
inline void* allocate_small(std::size_t size) {
#if TANDEM_SMALL_OBJECT_POOL
  if (auto* lists = this_thread_free_lists; lists != nullptr && size <= pool_largest) {
    auto*& head = lists->head[(size - 1) / pool_granule];
    if (auto* b = head) {
      head = b->next;
      prefetch_ahead(b, head, size);
      return b;
    }
  }
#endif
  return allocate_small_slow(size);
}

inline void free_small(void* p, std::size_t size) noexcept {
#if TANDEM_SMALL_OBJECT_POOL
  if (p != nullptr && size <= pool_largest) {
    auto* owner = *reinterpret_cast<pool_free_lists* const*>(reinterpret_cast<std::uintptr_t>(p)
                                                             & ~(pool_chunk_size - 1));
    if (owner == this_thread_free_lists) {
      push_free_block(owner->head[(size - 1) / pool_granule], static_cast<pool_block*>(p));
      return;
    }
  }
#endif
  free_small_slow(p, size);
}

/// Blocks freed for another thread's pool are handed back in chains of 32
/// (one CAS each), not one by one; a freeing thread keeps a chain for each of
/// up to 4 owners per size class. Until its chain fills, a block waits on
/// the freeing thread -- until that thread calls this, or exits. Threads that
/// free other threads' blocks call it when a unit of work ends (a pool worker
/// after each job, the timer driver after each expiry), so nothing waits
/// longer than that.
void flush_remote_frees() noexcept;

/// `size` rounded up to whole cache lines. For objects touched by two
/// threads in turn (timer entries): they then span as few lines as they can,
/// and share none with a neighbour.
constexpr std::size_t whole_lines(std::size_t size) noexcept {
  return (size + 63) / 64 * 64;
}

/// Cache-line-aligned memory for `size` bytes, in whole lines (objects
/// whose layout is planned by cache line: actors). From the pool up to its
/// largest size class, from aligned operator new beyond.
void* allocate_lines(std::size_t size);
void free_lines(void* p, std::size_t size) noexcept;

/// False when the pool is compiled out (AddressSanitizer builds).
bool small_object_pool_enabled() noexcept;

} // namespace tandem::detail
