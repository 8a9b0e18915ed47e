// The server's WebSocket framing (session/src/native/websocket_frames.*):
// what a client's bytes decode to, however they are split, and what the
// decoder refuses with which close code (RFC 6455). The connection that uses
// it is tested over real sockets in transport_test.cpp.

#include "native/websocket_frames.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace native = tandem::session::native;
namespace ws_close = native::ws_close;
namespace ws_opcode = native::ws_opcode;

namespace {

/// A client frame: masked with a fixed key, `fin` and opcode as given; the
/// length in its shortest form unless `len_bytes` forces 2 or 8.
std::string client_frame(std::uint8_t opcode, const std::string& payload, bool fin = true, bool masked = true,
                         int len_bytes = 0, std::uint8_t rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | rsv | opcode));
  auto n = payload.size();
  unsigned char m = masked ? 0x80 : 0;
  if (len_bytes == 0)
    len_bytes = n < 126 ? 0 : n <= 0xffff ? 2 : 8;
  if (len_bytes == 0) {
    f.push_back(static_cast<char>(m | n));
  } else if (len_bytes == 2) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xff));
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked)
    f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ static_cast<char>(key[i % 4])) : payload[i]);
  return f;
}

/// Records what the decoder reports, as text.
struct recorder : native::ws_frame_handler {
  std::vector<std::string> events;
  std::uint16_t violation_code = 0;
  std::size_t pause_every = 0; // on_text pauses decoding after this many (0: never)
  bool on_text(std::string m) override {
    events.push_back("text " + m);
    return pause_every == 0 || events.size() % pause_every != 0;
  }
  void on_ping(std::string_view p) override { events.push_back("ping " + std::string{p}); }
  void on_pong(std::string_view p) override { events.push_back("pong " + std::string{p}); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close " + std::to_string(code) + " " + std::string{reason});
  }
  void on_violation(std::uint16_t code, std::string what) override {
    violation_code = code;
    events.push_back("violation " + std::to_string(code) + " " + what);
  }
};

std::vector<std::string> decode(const std::string& bytes, std::size_t max = 1024, std::size_t step = 0) {
  native::ws_frame_decoder d{max};
  recorder r;
  if (step == 0) {
    d.feed(bytes, r);
  } else {
    for (std::size_t i = 0; i < bytes.size(); i += step)
      d.feed(std::string_view{bytes}.substr(i, step), r);
  }
  return r.events;
}

std::uint16_t violation_of(const std::string& bytes, std::size_t max = 1024) {
  native::ws_frame_decoder d{max};
  recorder r;
  d.feed(bytes, r);
  BOOST_TEST(d.finished());
  return r.violation_code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(websocket_frames)

BOOST_AUTO_TEST_CASE(frames_decode_the_same_however_the_bytes_are_split) {
  std::string bytes = client_frame(ws_opcode::text, R"({"a":1})") + client_frame(ws_opcode::text, "") +
                      client_frame(ws_opcode::text, std::string(300, 'x')) +
                      client_frame(ws_opcode::text, std::string(70000, 'y')) + client_frame(ws_opcode::text, "end");
  const std::vector<std::string> expected = {"text {\"a\":1}", "text ", "text " + std::string(300, 'x'),
                                             "text " + std::string(70000, 'y'), "text end"};
  for (std::size_t step : {0, 1, 2, 3, 7, 125, 4096}) {
    BOOST_TEST_CONTEXT("step " << step) {
      BOOST_TEST(decode(bytes, 100000, step) == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fragmented_message_is_whole_and_control_frames_between_fragments_come_first) {
  std::string bytes = client_frame(ws_opcode::text, "[1,", false) + client_frame(ws_opcode::ping, "p1") +
                      client_frame(ws_opcode::continuation, "2,", false) + client_frame(ws_opcode::pong, "q") +
                      client_frame(ws_opcode::continuation, "3]", true) + client_frame(ws_opcode::text, "next");
  const std::vector<std::string> expected = {"ping p1", "pong q", "text [1,2,3]", "text next"};
  BOOST_TEST(decode(bytes) == expected, boost::test_tools::per_element());
  BOOST_TEST(decode(bytes, 1024, 1) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(on_text_pauses_decoding_and_an_empty_feed_goes_on) {
  native::ws_frame_decoder d{1024};
  recorder r;
  r.pause_every = 1;
  std::string two_and_a_half = client_frame(ws_opcode::text, "a") + client_frame(ws_opcode::text, "b");
  std::string third = client_frame(ws_opcode::text, "c");
  d.feed(two_and_a_half + third.substr(0, 3), r);
  BOOST_TEST(r.events == std::vector<std::string>{"text a"}, boost::test_tools::per_element());
  BOOST_TEST(d.paused());
  d.feed({}, r);
  BOOST_TEST(r.events.size() == 2u);
  BOOST_TEST(d.paused()); // the partial third frame is left
  d.feed({}, r);
  BOOST_TEST(!d.paused()); // nothing complete: wait for bytes
  BOOST_TEST(r.events.size() == 2u);
  d.feed(third.substr(3), r);
  BOOST_TEST(r.events == (std::vector<std::string>{"text a", "text b", "text c"}), boost::test_tools::per_element());
  BOOST_TEST(!d.paused());
}

BOOST_AUTO_TEST_CASE(utf8_is_checked_over_the_whole_message) {
  // "é" split between two fragments: each alone is invalid, the message is not.
  std::string split = client_frame(ws_opcode::text, "\"\xc3", false) + client_frame(ws_opcode::continuation, "\xa9\"");
  BOOST_TEST(decode(split) == std::vector<std::string>{"text \"\xc3\xa9\""}, boost::test_tools::per_element());
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "{\"m\":\"\xc3\x28\"}")) == ws_close::invalid_payload);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "a", false) + client_frame(ws_opcode::continuation, "\xff")) ==
             ws_close::invalid_payload);
  BOOST_TEST(native::valid_utf8("plain ascii, long enough for the word loop"));
  BOOST_TEST(native::valid_utf8("\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9 \xf4\x8f\xbf\xbf"));
  BOOST_TEST(!native::valid_utf8("\xc0\x80"));          // overlong NUL
  BOOST_TEST(!native::valid_utf8("\xe0\x80\xaf"));      // overlong
  BOOST_TEST(!native::valid_utf8("\xed\xa0\x80"));      // a surrogate
  BOOST_TEST(!native::valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  BOOST_TEST(!native::valid_utf8("abcdefgh\xe2\x82"));  // cut short
  BOOST_TEST(!native::valid_utf8("\x80"));
}

BOOST_AUTO_TEST_CASE(protocol_violations_get_1002) {
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "x", true, false)) == ws_close::protocol_error); // unmasked
  BOOST_TEST(violation_of(client_frame(ws_opcode::continuation, "x")) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "a", false) + client_frame(ws_opcode::text, "b")) ==
             ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::ping, "x", false)) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::ping, std::string(126, 'x'))) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(0x3, "x")) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(0xb, "x")) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "x", true, true, 0, 0x40)) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, "short", true, true, 2)) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, std::string(200, 'x'), true, true, 8)) ==
             ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::close, "\x03")) == ws_close::protocol_error);
  BOOST_TEST(violation_of(client_frame(ws_opcode::close, "\x03\xed")) == ws_close::protocol_error); // 1005
}

BOOST_AUTO_TEST_CASE(oversized_messages_get_1009_from_the_header_alone) {
  // Only the header of a 1 GiB frame: refused before any payload arrives.
  std::string header = client_frame(ws_opcode::text, std::string(70000, 'x')).substr(0, 14);
  header[2] = header[3] = header[4] = header[5] = 0;
  header[6] = 0x40;
  native::ws_frame_decoder d{1024};
  recorder r;
  d.feed(header, r);
  BOOST_TEST(r.violation_code == ws_close::too_big);
  // Exactly the limit passes; fragments over it together do not.
  BOOST_TEST(decode(client_frame(ws_opcode::text, std::string(1024, 'x'))).size() == 1u);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, std::string(1025, 'x'))) == ws_close::too_big);
  BOOST_TEST(violation_of(client_frame(ws_opcode::text, std::string(600, 'x'), false) +
                          client_frame(ws_opcode::continuation, std::string(600, 'x'))) == ws_close::too_big);
}

BOOST_AUTO_TEST_CASE(binary_messages_get_1003) {
  BOOST_TEST(violation_of(client_frame(ws_opcode::binary, std::string("\x00\xff", 2))) == ws_close::unsupported_data);
}

BOOST_AUTO_TEST_CASE(a_close_frame_ends_the_stream) {
  auto events = decode(client_frame(ws_opcode::close, "\x03\xe9" "bye") + client_frame(ws_opcode::text, "after"));
  BOOST_TEST(events == std::vector<std::string>{"close 1001 bye"}, boost::test_tools::per_element());
  events = decode(client_frame(ws_opcode::close, ""));
  BOOST_TEST(events == std::vector<std::string>{"close 1005 "}, boost::test_tools::per_element());
  BOOST_TEST(violation_of(client_frame(ws_opcode::close, "\x03\xe8\xff")) == ws_close::invalid_payload);
}

BOOST_AUTO_TEST_CASE(server_frames_are_unmasked_with_the_shortest_length) {
  auto header_of = [](std::size_t n) {
    std::string out;
    native::append_server_frame(out, ws_opcode::text, std::string(n, 'x'));
    BOOST_TEST(out.size() > n);
    return out.substr(0, out.size() - n);
  };
  BOOST_TEST(header_of(5) == std::string("\x81\x05", 2));
  BOOST_TEST(header_of(125) == std::string("\x81\x7d", 2));
  BOOST_TEST(header_of(126) == std::string("\x81\x7e\x00\x7e", 4));
  BOOST_TEST(header_of(70000) == std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  // A close reason is cut to fit 125 bytes, at a character boundary.
  std::string out;
  native::append_close_frame(out, ws_close::going_away, std::string(122, 'x') + "\xc3\xa9\xc3\xa9");
  BOOST_TEST(out.size() == 2u + 2u + 122u);
  BOOST_TEST(out.substr(0, 4) == std::string("\x88\x7c\x03\xe9", 4));
  BOOST_TEST(native::valid_utf8(out.substr(4)));
}

BOOST_AUTO_TEST_CASE(random_and_corrupted_frames_never_break_the_decoder) {
  // Mostly well-formed frames of every kind, some bytes flipped, fed in random
  // pieces: every message reported is valid UTF-8 within the limit, and
  // nothing is reported after a close or a violation.
  std::mt19937 rng{20261122};
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const std::uint8_t opcodes[] = {0x0, 0x1, 0x1, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa};
  struct checker : native::ws_frame_handler {
    bool ended = false;
    bool reported_after_end = false;
    bool bad_text = false;
    std::size_t max = 0;
    bool on_text(std::string m) override {
      reported_after_end |= ended;
      bad_text |= m.size() > max || !native::valid_utf8(m);
      return true;
    }
    void on_ping(std::string_view) override { reported_after_end |= ended; }
    void on_pong(std::string_view) override { reported_after_end |= ended; }
    void on_close(std::uint16_t, std::string_view) override {
      reported_after_end |= ended;
      ended = true;
    }
    void on_violation(std::uint16_t, std::string) override {
      reported_after_end |= ended;
      ended = true;
    }
  };
  for (int round = 0; round < 3000; ++round) {
    std::string bytes;
    for (auto frames = pick(6); frames > 0; --frames) {
      std::string payload(pick(4) == 0 ? pick(400) : pick(40), 'x');
      for (auto& c : payload)
        c = pick(8) == 0 ? static_cast<char>(pick(256)) : static_cast<char>('a' + pick(26));
      bytes += client_frame(opcodes[pick(sizeof opcodes)], payload, pick(4) != 0, pick(20) != 0);
    }
    for (auto flips = pick(3); flips > 0 && !bytes.empty(); --flips)
      bytes[pick(static_cast<std::uint32_t>(bytes.size()))] ^= static_cast<char>(1u << pick(8));
    checker c;
    c.max = 256;
    native::ws_frame_decoder d{c.max};
    for (std::size_t at = 0; at < bytes.size();) {
      auto n = std::min<std::size_t>(bytes.size() - at, 1 + pick(64));
      d.feed(std::string_view{bytes}.substr(at, n), c);
      at += n;
    }
    BOOST_TEST_REQUIRE(!c.reported_after_end);
    BOOST_TEST_REQUIRE(!c.bad_text);
    BOOST_TEST_REQUIRE(c.ended == d.finished());
  }
}

BOOST_AUTO_TEST_SUITE_END()
