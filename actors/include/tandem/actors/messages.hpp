#pragma once

#include <tandem/actors/actor.hpp>
#include <tandem/runtime/error.hpp>

namespace tandem {

/// The response of a handler that returns nothing.
struct unit {};

/// Sent to a monitoring actor when the monitored actor terminates.
/// `reason` is empty for a normal exit.
struct down_msg {
  actor source;
  error reason;
};

/// Sent to a linked actor when its partner terminates. Unless the receiver
/// traps exits, a non-normal reason terminates it with the same reason.
struct exit_msg {
  actor source;
  error reason;
};

} // namespace tandem
