#pragma once

#include <tandem/session/connection.hpp>

#include <memory>
#include <utility>

namespace tandem::session {

/// Two connected ends: a frame written on one arrives as an inbound_frame at
/// the session of the other (frames written before that session started are
/// kept until it does). Closing either end closes both. Works on every
/// backend, including the deterministic one; frames still go through the
/// codec, as on the network.
std::pair<std::unique_ptr<connection>, std::unique_ptr<connection>> make_in_process_pair();

} // namespace tandem::session
