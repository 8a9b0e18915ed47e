#pragma once

// A fast JSON reader for the codec's common frame (internal to the session
// library): RapidJSON's reader drives an nlohmann SAX interface. It either
// delivers exactly the events nlohmann::json::sax_parse(text, &sax,
// input_format_t::json, strict=true) would deliver, and returns true, or it
// returns false ("give up"): the caller then takes nlohmann's own path,
// which decides as before. It never accepts text that nlohmann rejects.

#include <tandem/session/json.hpp>

#include <cstddef>
#include <string_view>

namespace tandem::session {

/// Reads `text` (one JSON value, optionally surrounded by whitespace) and
/// sends its events to `sax`. False -- after any number of events -- when
/// the text is not JSON, when the result could differ from nlohmann's (a
/// number that is not finite as a double, a string with an escaped lone
/// low surrogate, anything after the value but whitespace), when arrays and
/// objects nest deeper than `max_depth`, or when `sax` returns false.
bool rapidjson_sax_parse(std::string_view text, nlohmann::json_sax<json>& sax, std::size_t max_depth);

} // namespace tandem::session
