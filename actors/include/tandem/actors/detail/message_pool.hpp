#pragma once

#include <cstddef>

namespace tandem::detail {

/// Memory for messages (detail::message and everything derived from it).
///
/// Messages are small, of few sizes, and often freed on another thread than
/// the one that made them (the receiver's worker). Each thread allocates
/// from a pool of its own: per size class (16-byte steps up to 256 bytes) a
/// private free list, fresh blocks cut from 64 KiB chunks, and a lock-free
/// stack on which other threads return its blocks; the owner takes that
/// stack whole when its free list runs dry. So an allocation is a pop or a
/// bump, a free a push (a CAS when it crosses threads), and a producer that
/// sends a burst of a million messages pays for no allocator slow path.
/// Larger messages use the global operator new.
///
/// Chunks are kept for reuse, not returned to the system; the pool of a
/// thread that exits goes to the next thread that starts allocating. Under
/// AddressSanitizer the pool is off (plain new/delete), so the sanitizer
/// still sees every message's lifetime.
void* allocate_message(std::size_t size);
void free_message(void* p, std::size_t size) noexcept;

/// False when the pool is compiled out (AddressSanitizer builds).
bool message_pool_enabled() noexcept;

} // namespace tandem::detail
