#pragma once

namespace tandem {

/// What a push into a mailbox did. Only `wake_reader` obliges the caller to
/// do something: make the reader runnable.
enum class push_result {
  accepted,    ///< queued; the reader is already awake or scheduled
  wake_reader, ///< queued into an idle mailbox: the caller must wake the reader
  closed,      ///< the reader is gone; the message was not queued
  full,        ///< a bounded mailbox rejected the message (overflow_policy::reject)
  dropped,     ///< a bounded mailbox discarded the message (overflow_policy::drop_newest)
};

} // namespace tandem
