#include "rapidjson_sax_parse.hpp"

#include <rapidjson/allocators.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

// Why RapidJSON: nlohmann's lexer reads through an input adapter one
// character at a time (get()/unget(), position bookkeeping, a token buffer
// per token); RapidJSON's reader reads the memory directly, here in situ
// on a copy of the text. On the common frame (a small request) this more
// than halves the decode's instructions (bench/RESULTS.md). What RapidJSON
// 1.1 does differently from nlohmann 3.11, and how each difference is
// closed here:
// - Numbers: RapidJSON's own conversions differ (its doubles are not
//   always strtod's, and it never turns an out-of-range integer into a
//   double the way nlohmann does). kParseNumbersAsStringsFlag hands us the
//   number's text and we convert by nlohmann's rules (RawNumber()).
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

/// A copy of the text as a RapidJSON in-situ stream (as its
/// InsituStringStream, but with an end instead of a terminating NUL; Peek
/// at the end gives NUL, as RapidJSON's own streams do): strings are
/// decoded in place and numbers handed over where they stand, instead of
/// being pushed character by character onto the reader's stack.
struct insitu_stream {
  using Ch = char;
  char* begin;
  char* cur;
  char* end;
  char* dst = nullptr;

  Ch Peek() const { return cur == end ? '\0' : *cur; }
  Ch Take() { return cur == end ? '\0' : *cur++; }
  std::size_t Tell() const { return static_cast<std::size_t>(cur - begin); }
  // The reader writes a decoded string over its own text (never ahead of
  // what it has read) and ends it with a NUL. Except at the end of the text:
  // there Take() stays put, and RapidJSON's UTF-8 validation still copies
  // the up-to-three continuation bytes of a sequence cut off by the end
  // (each a Put), which would write past the copy. Such a text fails to
  // parse; those writes are dropped.
  Ch* PutBegin() { return dst = cur; }
  void Put(Ch c) {
    if (dst < end)
      *dst = c;
    ++dst;
  }
  void Flush() {}
  std::size_t PutEnd(Ch* from) { return static_cast<std::size_t>(dst - from); }
};

} // namespace
} // namespace tandem::session

namespace rapidjson {
// A copy of the pointers lives in registers while a value is read. Needed
// too: in situ, ParseNumber finds a number's start with PutBegin() on the
// stream it was given, not on its (advanced) local copy -- as for
// RapidJSON's InsituStringStream, which has the same trait.
template <>
struct StreamTraits<tandem::session::insitu_stream> {
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
  /// `escapes`: whether the text has a backslash at all (else no string
  /// can hold an escaped surrogate, and none is searched for one).
  sax_adapter(sax_t& sax, std::size_t max_depth, bool escapes)
    : sax_(sax), max_depth_(max_depth), escapes_(escapes) {}

  bool Null() { return sax_.null(); }
  bool Bool(bool b) { return sax_.boolean(b); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    // In situ, the text is not NUL-terminated: use n.
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
    if (escapes_ && has_surrogate(s, n))
      return false;
    text_.assign(s, n);
    return sax_.string(text_);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (escapes_ && has_surrogate(s, n))
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
  bool escapes_;
  std::size_t depth_ = 0;
  std::string text_;   // strings and keys, handed to the SAX (which may move it)
  std::string number_; // the text of a floating-point number
};

// The reader's stack (in situ it holds nothing for strings and numbers) is
// a pool over a buffer on the C++ stack: no heap allocation for it.
using stack_allocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using reader_t = rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, stack_allocator>;

constexpr unsigned base_flags =
  rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;

template <unsigned Flags>
bool read(insitu_stream& in, sax_adapter& handler, reader_t& reader) {
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
  // The copy the reader decodes in place: on the C++ stack for the usual
  // frame, on the heap for a big one.
  char local[1024];
  std::unique_ptr<char[]> heap;
  char* copy = local;
  if (text.size() > sizeof local) {
    heap.reset(new char[text.size()]);
    copy = heap.get();
  }
  if (!text.empty())
    std::memcpy(copy, text.data(), text.size());
  insitu_stream in{copy, copy, copy + text.size()};

  alignas(std::max_align_t) char stack_buffer[1024];
  rapidjson::CrtAllocator base;
  stack_allocator pool{stack_buffer, sizeof stack_buffer, 4096, &base};
  reader_t reader{&pool, 256};
  bool escapes = !text.empty() && std::memchr(text.data(), '\\', text.size()) != nullptr;
  sax_adapter handler{sax, max_depth, escapes};
  if (ascii)
    return read<base_flags>(in, handler, reader);
  return read<base_flags | rapidjson::kParseValidateEncodingFlag>(in, handler, reader);
}

} // namespace tandem::session
