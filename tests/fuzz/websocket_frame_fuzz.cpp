// libFuzzer target: the WebSocket server's frame decoder
// (session/src/native/websocket_frames.*) over arbitrary client bytes.
//
// The first byte picks the message size limit and how the rest is cut into
// feeds (as reads would cut it). Every message reported must be valid UTF-8
// within the limit, nothing may be reported after a close or a violation,
// and pausing (on_text returning false) must lose nothing: the same input
// decoded with and without pauses reports the same events. Crashes,
// sanitizer reports and failed checks are findings.

#include "native/websocket_frames.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace native = tandem::session::native;

namespace {

struct recorder : native::ws_frame_handler {
  std::vector<std::string> events;
  std::size_t max = 0;
  bool pause = false;
  bool ended = false;
  bool on_text(std::string m) override {
    check(m.size() <= max && native::valid_utf8(m));
    note("t" + m);
    return !pause;
  }
  void on_ping(std::string_view p) override { note("i" + std::string{p}); }
  void on_pong(std::string_view p) override { note("o" + std::string{p}); }
  void on_close(std::uint16_t code, std::string_view r) override {
    note("c" + std::to_string(code) + std::string{r});
    ended = true;
  }
  void on_violation(std::uint16_t code, std::string) override {
    note("v" + std::to_string(code));
    ended = true;
  }
  void note(std::string e) {
    check(!ended);
    events.push_back(std::move(e));
  }
  static void check(bool ok) {
    if (!ok)
      std::abort();
  }
};

std::vector<std::string> run(std::string_view bytes, std::size_t max, std::size_t step, bool pause) {
  native::ws_frame_decoder d{max};
  recorder r;
  r.max = max;
  r.pause = pause;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    d.feed(bytes.substr(at, step), r);
    while (d.paused())
      d.feed({}, r);
  }
  recorder::check(r.ended == d.finished());
  return r.events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  const std::size_t limits[] = {0, 1, 16, 125, 126, 1024, 70000, 1u << 20};
  std::size_t max = limits[data[0] & 7];
  std::size_t step = 1 + (data[0] >> 3) * 7; // 1 .. 218 bytes per feed
  std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};
  auto whole = run(bytes, max, bytes.size() + 1, false);
  auto pieces = run(bytes, max, step, true);
  recorder::check(whole == pieces);
  return 0;
}
