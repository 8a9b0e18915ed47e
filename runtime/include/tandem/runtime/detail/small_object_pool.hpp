#pragma once

#include <cstddef>

namespace tandem::detail {

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
void* allocate_small(std::size_t size);
void free_small(void* p, std::size_t size) noexcept;

/// Blocks freed for another thread's pool are handed back in chains of 32
/// (one CAS each), not one by one. Until its chain fills, a block waits on
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
