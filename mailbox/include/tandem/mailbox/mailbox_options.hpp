#pragma once

#include <cstddef>

namespace tandem {

/// What a bounded mailbox does with a message that arrives while it is full.
enum class overflow_policy {
  reject,      ///< the sender gets an error (mailbox_full); the message is returned
  drop_newest, ///< the arriving message is discarded (requests get message_dropped)
  drop_oldest, ///< the oldest queued message is discarded (requests get message_dropped)
};

/// Capacity 0 means unbounded (the default).
struct mailbox_options {
  std::size_t capacity = 0;
  overflow_policy policy = overflow_policy::reject;

  bool bounded() const noexcept { return capacity != 0; }
};

/// A bounded mailbox of `capacity` messages.
inline mailbox_options bounded(std::size_t capacity,
                               overflow_policy policy = overflow_policy::reject) {
  return {capacity, policy};
}

} // namespace tandem
