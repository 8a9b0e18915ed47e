#pragma once

#include <cstddef>

namespace tandem::detail {

/// Memory for timer entries. A timer is armed on one thread (an actor's
/// worker) and usually freed on another (the timer driver, after it fired or
/// was cancelled), in bursts of thousands: the pattern general-purpose
/// allocators serve worst (glibc's per-thread cache holds 7 blocks per size;
/// past that each malloc and free takes the slow path, ~150 instructions).
/// Blocks of up to `block_size` bytes are recycled instead: a free goes to
/// the freeing thread's own list, or past a bound to a lock-free shared
/// stack; an allocation takes from its thread's list, refilled by taking the
/// whole shared stack at once (no ABA: nobody pops single blocks from it).
/// Larger entries, and ASan builds (so ASan still sees every use-after-free),
/// use operator new.
struct entry_pool {
  static constexpr std::size_t block_size = 128;

  static void* allocate(std::size_t size);
  static void deallocate(void* p, std::size_t size) noexcept;
};

} // namespace tandem::detail
