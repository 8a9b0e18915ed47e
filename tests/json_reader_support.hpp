#pragma once

// The fast JSON reader (session/src/rapidjson_sax_parse.hpp) next to
// nlohmann's SAX parser: both read the same text into an event recorder,
// and compare_readers() says whether they agree. Used by
// tests/json_reader_test.cpp and the differential fuzz target
// tests/fuzz/json_reader_fuzz.cpp.

#include "rapidjson_sax_parse.hpp"

#include <tandem/session/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace tandem_test {

using tandem::session::json;

/// Records every SAX event as a line of text (numbers with their type, a
/// double with its exact bits and its raw token, strings byte for byte),
/// and the deepest nesting seen. Accepts everything: the parser decides.
class sax_recorder final : public nlohmann::json_sax<json> {
public:
  std::vector<std::string> events;
  std::size_t depth = 0;
  std::size_t deepest = 0;

  bool null() override { return add("null"); }
  bool boolean(bool v) override { return add(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return add("int " + std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return add("uint " + std::to_string(v)); }
  bool number_float(number_float_t v, const string_t& s) override {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
    return add("float " + std::string{buf} + " " + s);
  }
  bool string(string_t& v) override { return add("string " + std::to_string(v.size()) + ":" + v); }
  bool binary(binary_t&) override { return add("binary"); }
  bool start_object(std::size_t n) override { return open("{ " + std::to_string(n)); }
  bool key(string_t& v) override { return add("key " + std::to_string(v.size()) + ":" + v); }
  bool end_object() override { return close("}"); }
  bool start_array(std::size_t n) override { return open("[ " + std::to_string(n)); }
  bool end_array() override { return close("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    events.emplace_back("error");
    return false;
  }

private:
  bool add(std::string e) {
    events.push_back(std::move(e));
    return true;
  }
  bool open(std::string e) {
    if (++depth > deepest)
      deepest = depth;
    return add(std::move(e));
  }
  bool close(std::string e) {
    --depth;
    return add(std::move(e));
  }
};

struct reader_comparison {
  bool fast_accepted = false;     // rapidjson_sax_parse returned true
  bool nlohmann_accepted = false; // json::sax_parse(strict) returned true
  std::size_t nlohmann_depth = 0; // the deepest nesting in nlohmann's events
  std::vector<std::string> fast_events, nlohmann_events;

  bool same_events() const { return fast_events == nlohmann_events; }
  /// The fast reader's promise: whenever it accepts, nlohmann accepts too,
  /// with the same events, and the text nests no deeper than the limit.
  bool consistent(std::size_t max_depth) const {
    return !fast_accepted || (nlohmann_accepted && same_events() && nlohmann_depth <= max_depth);
  }
  /// Consistent, and the fast reader did not give up.
  bool fast_agrees(std::size_t max_depth) const { return fast_accepted && consistent(max_depth); }
};

inline reader_comparison compare_readers(std::string_view text, std::size_t max_depth) {
  reader_comparison r;
  sax_recorder fast;
  r.fast_accepted = tandem::session::rapidjson_sax_parse(text, fast, max_depth);
  r.fast_events = std::move(fast.events);
  sax_recorder reference;
  r.nlohmann_accepted = json::sax_parse(text, &reference, json::input_format_t::json, /*strict=*/true);
  r.nlohmann_events = std::move(reference.events);
  r.nlohmann_depth = reference.deepest;
  return r;
}

/// Events as one printable line (for failure messages).
inline std::string describe(const std::vector<std::string>& events) {
  std::string out;
  for (const auto& e : events) {
    for (char c : e) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else {
        out += c;
      }
    }
    out += " | ";
  }
  return out;
}

} // namespace tandem_test
