#pragma once

// Sessions carry parameters and results as nlohmann-json values; user types
// convert through their own to_json / from_json.

#include <nlohmann/json.hpp>

namespace tandem::session {

using json = nlohmann::json;

} // namespace tandem::session
