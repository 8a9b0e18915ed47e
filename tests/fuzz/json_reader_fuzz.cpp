// libFuzzer target: the codec's fast JSON reader (rapidjson_sax_parse)
// against nlohmann's SAX parser. Whenever the fast reader accepts a text,
// nlohmann must accept it too, with the same events (tests/
// json_reader_support.hpp), nested no deeper than the limit; the fast
// reader may give up on anything. Crashes, sanitizer reports and
// disagreements are findings.
//
// The first byte picks the depth limit (so small limits are hit often);
// the rest is the text.

#include "../json_reader_support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t max_depth = 128;
  if (size > 0 && data[0] < 8) { // a byte that is no JSON text's start
    max_depth = data[0];
    ++data;
    --size;
  }
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto r = tandem_test::compare_readers(text, max_depth);
  if (!r.consistent(max_depth)) {
    std::fprintf(stderr, "fast reader disagrees with nlohmann (max_depth %zu)\n fast:     %s\n nlohmann: %s\n",
                 max_depth, tandem_test::describe(r.fast_events).c_str(),
                 tandem_test::describe(r.nlohmann_events).c_str());
    std::abort();
  }
  return 0;
}
