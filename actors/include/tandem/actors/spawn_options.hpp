#pragma once

#include <tandem/mailbox/mailbox_options.hpp>

#include <cstdint>

#include <string>

namespace tandem {

/// What an actor does with a plain send it has no handler for. (A request it
/// has no handler for is always answered with errc::unexpected_message.)
enum class unhandled_policy : std::uint8_t {
  log_and_drop, ///< drop it and say so through the system's log
  drop,         ///< drop it silently
  fail,         ///< terminate the actor with errc::unexpected_message
};

struct spawn_options {
  std::string name{};
  mailbox_options mailbox{};
  unhandled_policy unhandled = unhandled_policy::log_and_drop;
};

} // namespace tandem
