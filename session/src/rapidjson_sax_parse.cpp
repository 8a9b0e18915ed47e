#include "rapidjson_sax_parse.hpp"

#include <rapidjson/allocators.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

// Why RapidJSON: nlohmann's lexer reads through an input adapter one
// character at a time with a virtual-free but heavy get()/unget() and
// token buffer per token; RapidJSON's reader reads the memory directly.
// On the common frame (a small request) this halves the decode's
// instructions (bench/RESULTS.md). What RapidJSON 1.1 does differently
// from nlohmann 3.11, and how each difference is closed here:
// - Numbers: RapidJSON's own conversions differ (its doubles are not
//   always strtod's, and it never turns an out-of-range integer into a
//   double the way nlohmann does). kParseNumbersAsStringsFlag hands us the
//   number's text and we convert by nlohmann's rules (raw_number()).
// - Strings: RapidJSON turns an escaped lone low surrogate ("\uDC00") into
//   the bytes ED B0..BF; nlohmann rejects it. Without
//   kParseValidateEncodingFlag RapidJSON passes invalid UTF-8 through;
//   nlohmann rejects it (the flag is set when the text has a byte >= 0x80).
// - The end: RapidJSON treats a NUL byte as the end of the input, as
//   nlohmann does, and would accept "{} \0x". With kParseStopWhenDoneFlag
//   we check the rest ourselves: whitespace only, else give up.
// - Depth: nlohmann's SAX parser has no limit; RapidJSON's reader recurses
//   per level. The adapter refuses to go deeper than max_depth (so the
//   recursion is bounded) and the caller's nlohmann path decides.

namespace tandem::session {

namespace {

/// The text as a RapidJSON input stream: the bytes of a string_view, NUL
/// at the end (as RapidJSON's own streams do).
struct view_stream {
  using Ch = char;
  const char* begin;
  const char* cur;
  const char* end;

  Ch Peek() const { return cur == end ? '\0' : *cur; }
  Ch Take() { return cur == end ? '\0' : *cur++; }
  std::size_t Tell() const { return static_cast<std::size_t>(cur - begin); }
  // Output: never used (not insitu), but the reader's templates name them.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }
};

} // namespace
} // namespace tandem::session

namespace rapidjson {
// A copy of the three pointers lives in registers while a value is read.
template <>
struct StreamTraits<tandem::session::view_stream> {
  enum { copyOptimization = 1 };
};
} // namespace rapidjson

namespace tandem::session {

namespace {

using sax_t = nlohmann::json_sax<json>;

/// True for a decoded string that holds an encoded UTF-16 surrogate
/// (ED A0..BF): only an escaped lone low surrogate gets there (a lone high
/// surrogate is an error in RapidJSON too, and validated raw bytes never
/// encode a surrogate).
bool has_surrogate(const char* s, std::size_t n) {
  const char* end = s + n;
  while (const void* p = std::memchr(s, '\xED', static_cast<std::size_t>(end - s))) {
    const char* at = static_cast<const char*>(p);
    if (at + 1 < end && (static_cast<unsigned char>(at[1]) & 0xE0) == 0xA0)
      return true;
    s = at + 1;
  }
  return false;
}

/// RapidJSON's events forwarded to an nlohmann SAX.
class sax_adapter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, sax_adapter> {
public:
  sax_adapter(sax_t& sax, std::size_t max_depth) : sax_(sax), max_depth_(max_depth) {}

  bool Null() { return sax_.null(); }
  bool Bool(bool b) { return sax_.boolean(b); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    // nlohmann: a number without '.', 'e' or 'E' is an integer -- signed
    // if it starts with '-', else unsigned -- when it fits (strtoll /
    // strtoull); everything else is a double from strtod, and a double
    // that is not finite is a parse error.
    const char* end = s + n;
    bool integer = true;
    for (const char* p = s; p != end; ++p)
      if (*p == '.' || *p == 'e' || *p == 'E') {
        integer = false;
        break;
      }
    if (integer) {
      if (*s == '-') {
        std::int64_t v = 0;
        auto r = std::from_chars(s, end, v);
        if (r.ec == std::errc{} && r.ptr == end)
          return sax_.number_integer(v);
      } else {
        std::uint64_t v = 0;
        auto r = std::from_chars(s, end, v);
        if (r.ec == std::errc{} && r.ptr == end)
          return sax_.number_unsigned(v);
      }
      // Out of range: a double, as in nlohmann.
    }
    // nlohmann's lexer writes the locale's decimal point into the text it
    // gives strtod; ours has '.', so any other locale gives up (rare: floats).
    if (!integer) {
      const std::lconv* loc = std::localeconv();
      if (loc != nullptr && loc->decimal_point != nullptr && *loc->decimal_point != '.')
        return false;
    }
    number_.assign(s, n); // NUL-terminated for strtod, and the raw token
    double d = std::strtod(number_.c_str(), nullptr);
    if (!std::isfinite(d))
      return false;
    return sax_.number_float(d, number_);
  }

  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (has_surrogate(s, n))
      return false;
    text_.assign(s, n);
    return sax_.string(text_);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (has_surrogate(s, n))
      return false;
    text_.assign(s, n);
    return sax_.key(text_);
  }

  bool StartObject() {
    if (++depth_ > max_depth_)
      return false;
    return sax_.start_object(static_cast<std::size_t>(-1));
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return sax_.end_object();
  }
  bool StartArray() {
    if (++depth_ > max_depth_)
      return false;
    return sax_.start_array(static_cast<std::size_t>(-1));
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return sax_.end_array();
  }

private:
  sax_t& sax_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::string text_;   // strings and keys, handed to the SAX (which may move it)
  std::string number_; // the text of a floating-point number
};

// The reader's stack (strings and numbers are copied there while read) is
// a pool over a buffer on the C++ stack: no heap allocation for a frame
// whose strings fit, 4 KiB chunks beyond.
using stack_allocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using reader_t = rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, stack_allocator>;

constexpr unsigned base_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;

template <unsigned Flags>
bool read(view_stream& in, sax_adapter& handler, reader_t& reader) {
  if (reader.Parse<Flags>(in, handler).IsError())
    return false;
  // Only whitespace may follow (RapidJSON stopped right after the value).
  for (const char* p = in.cur; p != in.end; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      return false;
  return true;
}

} // namespace

bool rapidjson_sax_parse(std::string_view text, sax_t& sax, std::size_t max_depth) {
  // Validating UTF-8 costs a table look-up per byte: only when needed.
  bool ascii = true;
  std::size_t i = 0;
  for (; ascii && i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    ascii = (word & 0x8080808080808080u) == 0;
  }
  for (; ascii && i < text.size(); ++i)
    ascii = static_cast<unsigned char>(text[i]) < 0x80;
  alignas(std::max_align_t) char buffer[1024];
  rapidjson::CrtAllocator base;
  stack_allocator pool{buffer, sizeof buffer, 4096, &base};
  reader_t reader{&pool, 256};
  sax_adapter handler{sax, max_depth};
  view_stream in{text.data(), text.data(), text.data() + text.size()};
  if (ascii)
    return read<base_flags>(in, handler, reader);
  return read<base_flags | rapidjson::kParseValidateEncodingFlag>(in, handler, reader);
}

} // namespace tandem::session
