// The native transports below any session logic: each connection is owned by
// a frame-echo actor, so these tests see exactly what the transports
// deliver, write, refuse and close. Real loopback sockets; bounds are loose.

#include "../test_support.hpp"
#include "raw_clients.hpp"

#include <tandem/session/connect.hpp>
#include <tandem/session/network_server.hpp>

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using tandem_test::collector;
using tandem_test::eventually;
using tandem_test::flooder;
using tandem_test::framed_ws;
using tandem_test::raw_tcp;
using tandem_test::raw_ws;
namespace ts = tandem::session;

namespace {

struct closed_note {
  std::string peer;
  tandem::error reason;
};


/// Spawns an actor that writes every inbound frame back and records how its
/// transport ended.
tandem::actor spawn_echo(tandem::actor_system& sys, std::shared_ptr<ts::connection> conn,
                         std::shared_ptr<collector<std::string>> frames,
                         std::shared_ptr<collector<closed_note>> closes) {
  auto a = sys.spawn([conn, frames, closes](tandem::actor_base* self) {
    return tandem::behavior{
        [conn, frames](ts::inbound_frame& f) {
          frames->push(f.text);
          conn->write(std::move(f.text));
          conn->frame_processed();
        },
        [self, conn, closes](ts::transport_closed& c) {
          closes->push({conn->peer(), c.reason});
          self->quit();
        }};
  });
  conn->start(a);
  return a;
}

struct echo_server {
  explicit echo_server(ts::server_options opts = {}) {
    auto s = ts::network_server::start(std::move(opts), [this](std::unique_ptr<ts::connection> c) {
      spawn_echo(sys, std::shared_ptr<ts::connection>(std::move(c)), frames, closes);
    });
    BOOST_REQUIRE_MESSAGE(s.has_value(), "server start failed");
    server = std::move(*s);
  }
  ~echo_server() { server->stop(); }

  /// Another connection still gets answers (the liveness check after abuse).
  void check_alive() {
    raw_tcp t{server->tcp_port()};
    t.send_line(R"({"alive":1})");
    BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), R"({"alive":1})");
    raw_ws w{server->websocket_port()};
    w.send_text(R"({"alive":2})");
    BOOST_CHECK_EQUAL(w.read().value_or("<none>"), R"({"alive":2})");
  }

  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  std::shared_ptr<collector<std::string>> frames = std::make_shared<collector<std::string>>();
  std::shared_ptr<collector<closed_note>> closes = std::make_shared<collector<closed_note>>();
  std::unique_ptr<ts::network_server> server;
};

ts::server_options small_limits() {
  ts::server_options o;
  o.limits.max_frame_bytes = 1024;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(native_transports)

BOOST_AUTO_TEST_CASE(urls_name_the_bound_ephemeral_ports) {
  echo_server s;
  BOOST_TEST(s.server->tcp_port() != 0);
  BOOST_TEST(s.server->websocket_port() != 0);
  BOOST_CHECK_EQUAL(s.server->tcp_url(), "tcp://127.0.0.1:" + std::to_string(s.server->tcp_port()));
  BOOST_CHECK_EQUAL(s.server->websocket_url(),
                    "ws://127.0.0.1:" + std::to_string(s.server->websocket_port()) + "/rpc");
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_an_error_value) {
  echo_server s;
  ts::server_options o;
  o.tcp_port = s.server->tcp_port();
  auto second = ts::network_server::start(o, [](std::unique_ptr<ts::connection>) {});
  BOOST_REQUIRE(!second.has_value());
  BOOST_TEST(second.error_value().message().find("cannot listen") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tcp_frames_are_lines_in_order) {
  echo_server s;
  raw_tcp t{s.server->tcp_port()};
  // Two frames in one write, one split over two writes, CRLF, blank lines.
  t.send("{\"a\":1}\n{\"b\":2}\n{\"c\":");
  t.send("3}\r\n\n  \n[1,2]\n");
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), R"({"a":1})");
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), R"({"b":2})");
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), R"({"c":3})");
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), "[1,2]");
}

BOOST_AUTO_TEST_CASE(websocket_frames_are_text_messages) {
  echo_server s;
  raw_ws w{s.server->websocket_port()};
  w.send_text(R"({"a":1})");
  w.send_text("line one\nline two"); // newlines are just bytes here
  BOOST_CHECK_EQUAL(w.read().value_or("<none>"), R"({"a":1})");
  BOOST_CHECK_EQUAL(w.read().value_or("<none>"), "line one\nline two");
}

BOOST_AUTO_TEST_CASE(websocket_fragments_with_pings_between_and_many_frames_in_one_write) {
  echo_server s;
  framed_ws w{s.server->websocket_port()};
  // One write: a message in three fragments with a ping and a pong between
  // them, then 20 whole messages.
  std::string bytes = framed_ws::encode(0x1, "[\"a", false) + framed_ws::encode(0x9, "p1") +
                      framed_ws::encode(0x0, "b", false) + framed_ws::encode(0xa, "ignored") +
                      framed_ws::encode(0x0, "c\"]", true);
  for (int i = 0; i < 20; ++i)
    bytes += framed_ws::encode(0x1, std::to_string(i));
  w.send_raw(bytes);
  auto pong = w.read();
  BOOST_REQUIRE(pong);
  BOOST_CHECK_EQUAL(int{pong->opcode}, 0xa);
  BOOST_CHECK_EQUAL(pong->payload, "p1");
  auto whole = w.read();
  BOOST_REQUIRE(whole);
  BOOST_CHECK_EQUAL(int{whole->opcode}, 0x1);
  BOOST_TEST(whole->fin);
  BOOST_CHECK_EQUAL(whole->payload, "[\"abc\"]");
  for (int i = 0; i < 20; ++i) {
    auto f = w.read();
    BOOST_REQUIRE(f);
    BOOST_CHECK_EQUAL(f->payload, std::to_string(i));
  }
  BOOST_TEST(!w.saw_masked());
  // The client closes: the server answers with the same code and ends TCP.
  w.send_raw(framed_ws::encode(0x8, std::string("\x03\xe9", 2) + "bye"));
  auto close = w.read();
  BOOST_REQUIRE(close);
  BOOST_CHECK_EQUAL(int{close->opcode}, 0x8);
  BOOST_CHECK_EQUAL(close->payload, std::string("\x03\xe9", 2));
  BOOST_TEST(w.eof());
  BOOST_REQUIRE(eventually([&] { return s.closes->size() == 1; }));
  BOOST_TEST(s.closes->items()[0].reason.message().find("peer closed") != std::string::npos);
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(websocket_protocol_violations_close_with_1002) {
  echo_server s;
  const std::vector<std::string> violations = {
    framed_ws::encode(0x1, "unmasked", true, false),
    framed_ws::encode(0x0, "a continuation of nothing"),
    framed_ws::encode(0x1, "a", false) + framed_ws::encode(0x1, "b"),
    framed_ws::encode(0x9, "a fragmented ping", false),
    framed_ws::encode(0x5, "reserved opcode"),
  };
  for (const auto& v : violations) {
    framed_ws w{s.server->websocket_port()};
    w.send_raw(framed_ws::encode(0x1, "before"));
    auto echo = w.read();
    BOOST_REQUIRE(echo);
    BOOST_CHECK_EQUAL(echo->payload, "before");
    w.send_raw(v + framed_ws::encode(0x1, "after"));
    auto close = w.read();
    BOOST_REQUIRE(close);
    BOOST_CHECK_EQUAL(int{close->opcode}, 0x8);
    BOOST_REQUIRE_GE(close->payload.size(), 2u);
    BOOST_CHECK_EQUAL((static_cast<unsigned char>(close->payload[0]) << 8) | static_cast<unsigned char>(close->payload[1]),
                      1002);
    BOOST_TEST(w.eof()); // nothing after the close frame; "after" never echoed
  }
  BOOST_REQUIRE(eventually([&] { return s.closes->size() == violations.size(); }));
  BOOST_CHECK_EQUAL(s.frames->size(), violations.size()); // only the "before"s
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(tcp_frame_over_the_limit_gets_32600_and_a_close) {
  echo_server s{small_limits()};
  raw_tcp t{s.server->tcp_port()};
  t.send_line(std::string(1024, 'x')); // exactly the limit: fine
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>").size(), 1024u);
  t.send(std::string(5000, 'y')); // no newline yet: rejected without waiting for one
  auto line = t.read_line();
  BOOST_REQUIRE(line);
  BOOST_TEST(line->find("-32600") != std::string::npos);
  BOOST_TEST(line->find("\"id\":null") != std::string::npos);
  BOOST_TEST(t.closed_by_peer());
  BOOST_REQUIRE(eventually([&] { return s.closes->size() == 1; }));
  BOOST_TEST(s.closes->items()[0].reason.message().find("frame over 1024 bytes") != std::string::npos);
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(websocket_frame_over_the_limit_closes_with_1009) {
  echo_server s{small_limits()};
  raw_ws w{s.server->websocket_port()};
  w.send_text(std::string(1024, 'x'));
  BOOST_CHECK_EQUAL(w.read().value_or("<none>").size(), 1024u);
  w.send_text(std::string(1025, 'x'));
  BOOST_TEST(!w.read());
  BOOST_CHECK_EQUAL(w.close_code(), 1009);
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(default_limit_is_one_mebibyte) {
  echo_server s;
  raw_tcp t{s.server->tcp_port()};
  t.send_line(std::string(1u << 20, 'x'));
  BOOST_CHECK_EQUAL(t.read_line().value_or("").size(), 1u << 20);
  t.send_line(std::string((1u << 20) + 1, 'x'));
  BOOST_TEST(t.read_line().value_or("").find("-32600") != std::string::npos);
  BOOST_TEST(t.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(binary_websocket_frame_closes_with_1003) {
  echo_server s;
  raw_ws w{s.server->websocket_port()};
  w.send_binary(std::string("\x00\xff\x13garbage", 10));
  BOOST_TEST(!w.read());
  BOOST_CHECK_EQUAL(w.close_code(), 1003);
  BOOST_REQUIRE(eventually([&] { return s.closes->size() == 1; }));
  BOOST_TEST(s.closes->items()[0].reason.message().find("binary frame") != std::string::npos);
  BOOST_CHECK_EQUAL(s.frames->size(), 0u); // nothing of it reached the session
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_websocket_text_frame_closes_with_1007) {
  echo_server s;
  raw_ws w{s.server->websocket_port()};
  w.send_text("{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\"}");
  BOOST_TEST(!w.read());
  BOOST_CHECK_EQUAL(w.close_code(), 1007);
  BOOST_CHECK_EQUAL(s.frames->size(), 0u);
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(half_sent_frame_then_disconnect_delivers_nothing) {
  echo_server s;
  {
    raw_tcp t{s.server->tcp_port()};
    t.send(R"({"jsonrpc":"2.0","method":"add","params":[1,)");
  }
  {
    raw_ws w{s.server->websocket_port()};
    w.stream().next_layer().close(); // mid-connection, no close frame
  }
  BOOST_REQUIRE(eventually([&] { return s.closes->size() == 2; }));
  BOOST_CHECK_EQUAL(s.frames->size(), 0u);
  bool mid_frame = false;
  for (auto& c : s.closes->items())
    mid_frame |= c.reason.message().find("in the middle of a frame") != std::string::npos;
  BOOST_TEST(mid_frame);
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(binary_garbage_on_tcp_is_framed_not_fatal) {
  echo_server s;
  raw_tcp t{s.server->tcp_port()};
  std::string garbage;
  for (int i = 0; i < 4096; ++i)
    garbage.push_back(static_cast<char>((i * 131 + 7) % 256 == '\n' ? 0 : (i * 131 + 7) % 256));
  t.send(garbage + "\n");
  auto back = t.read_line();
  BOOST_REQUIRE(back);
  BOOST_CHECK_EQUAL(back->size(), garbage.size());
  s.check_alive();
}

BOOST_AUTO_TEST_CASE(thousands_of_connects_and_disconnects) {
  echo_server s;
  for (int i = 0; i < 2000; ++i) {
    if (i % 2 == 0) {
      raw_tcp t{s.server->tcp_port()};
      if (i % 4 == 0)
        t.send(R"({"half":)");
    } else if (i % 10 == 1) {
      raw_ws w{s.server->websocket_port()};
    } else {
      raw_tcp t{s.server->tcp_port()};
      t.send_line(R"({"n":1})");
    }
  }
  BOOST_TEST(eventually([&] { return s.server->open_connections() == 0; }, 30000ms));
  s.check_alive();
  BOOST_TEST(eventually([&] { return s.server->open_connections() == 0; }, 30000ms));
}

BOOST_AUTO_TEST_CASE(slow_reader_is_paused_and_others_stay_responsive) {
  ts::server_options o;
  o.limits.max_outbound_bytes = 256 * 1024;
  echo_server s{o};
  raw_tcp slow{s.server->tcp_port()};
  // Small buffers on the slow side so that the kernel absorbs little.
  slow.socket().set_option(boost::asio::socket_base::receive_buffer_size(64 * 1024));
  const std::string line = "[\"" + std::string(16 * 1024 - 5, 'p') + "\"]\n";
  const long total = (32 << 20) / static_cast<long>(line.size()); // 32 MiB of lines
  flooder client{slow.socket(), line, total};
  BOOST_REQUIRE(client.started());
  // The client sends requests and reads nothing: wait until its writes block
  // (the server stopped reading it), watching the server's queued bytes.
  std::size_t peak = 0;
  client.wait_until_blocked([&] { peak = std::max(peak, s.server->outbound_bytes()); });
  const std::size_t written = static_cast<std::size_t>(client.sent()) * line.size();
  const std::size_t total_bytes = static_cast<std::size_t>(total) * line.size();
  BOOST_TEST_MESSAGE("slow reader: client wrote " << written / 1024 << " KiB of " << total_bytes / 1024
                                                  << " KiB, server queue peak " << peak / 1024 << " KiB");
  // Without the pause the server would read all 32 MiB and queue most of the
  // answers; with it, it holds the cap plus the frames already taken in.
  BOOST_TEST(written < total_bytes);
  BOOST_TEST(peak <= 16u << 20);
  s.check_alive();
  // Reading again drains the queue, the server resumes, every answer arrives.
  std::size_t echoed = 0;
  while (echoed < total_bytes) {
    auto l = slow.read_line(20000ms);
    if (!l)
      break;
    echoed += l->size() + 1;
  }
  client.join();
  BOOST_CHECK_EQUAL(echoed, static_cast<std::size_t>(client.sent()) * line.size());
}

BOOST_AUTO_TEST_CASE(a_session_that_falls_behind_stops_the_reading) {
  // The owner takes frames but has not processed them yet: the transport
  // holds at max_inbound_frames and reads on once half are processed.
  ts::server_options o;
  o.limits.max_inbound_frames = 8;
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto got = std::make_shared<collector<std::string>>();
  std::shared_ptr<ts::connection> held;
  std::mutex held_mutex;
  auto started = ts::network_server::start(o, [&](std::unique_ptr<ts::connection> c) {
    std::shared_ptr<ts::connection> conn = std::move(c);
    auto sink = sys.spawn([got](tandem::actor_base* self) {
      return tandem::behavior{[got](ts::inbound_frame& f) { got->push(f.text); },
                              [self](ts::transport_closed&) { self->quit(); }};
    });
    conn->start(sink);
    std::lock_guard<std::mutex> guard{held_mutex};
    held = conn;
  });
  BOOST_REQUIRE(started.has_value());
  auto server = std::move(*started);
  {
    raw_ws w{server->websocket_port()};
    for (int i = 0; i < 100; ++i)
      w.send_text("[" + std::to_string(i) + "]");
    BOOST_REQUIRE(eventually([&] { return got->size() >= 8; }));
    std::this_thread::sleep_for(300ms); // loose: without the bound all 100 arrive at once
    BOOST_CHECK_EQUAL(got->size(), 8u);
    auto conn = [&] {
      std::lock_guard<std::mutex> guard{held_mutex};
      return held;
    }();
    BOOST_REQUIRE(conn);
    for (int i = 0; i < 3; ++i)
      conn->frame_processed();
    std::this_thread::sleep_for(100ms);
    BOOST_CHECK_EQUAL(got->size(), 8u); // 5 unprocessed: still above half
    std::size_t processed = 3;
    BOOST_REQUIRE(eventually([&] {
      while (processed < got->size()) {
        conn->frame_processed();
        ++processed;
      }
      return got->size() == 100;
    }));
    auto frames = got->items();
    for (int i = 0; i < 100; ++i)
      BOOST_CHECK_EQUAL(frames[static_cast<std::size_t>(i)], "[" + std::to_string(i) + "]");
  }
  server->stop();
}

BOOST_AUTO_TEST_CASE(a_silent_websocket_peer_is_pinged_then_closed) {
  ts::server_options o;
  o.limits.idle_timeout = 300ms;
  echo_server s{o};
  raw_ws silent{s.server->websocket_port()}; // never reads: never answers a ping
  // A tandem client always has a read pending, so it answers the server's
  // pings: sending nothing itself, it stays open well past the timeout.
  auto conn = ts::connect(s.server->websocket_url());
  BOOST_REQUIRE(conn.has_value());
  auto got = std::make_shared<collector<std::string>>();
  auto client_closed = std::make_shared<collector<closed_note>>();
  std::shared_ptr<ts::connection> c = std::move(*conn);
  auto sink = s.sys.spawn([got, client_closed](tandem::actor_base* self) {
    return tandem::behavior{[got](ts::inbound_frame& f) { got->push(f.text); },
                            [self, client_closed](ts::transport_closed& e) {
                              client_closed->push({"", e.reason});
                              self->quit();
                            }};
  });
  c->start(sink);
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(eventually([&] { return s.closes->size() == 1; }, 5000ms)); // the silent one
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
  std::this_thread::sleep_for(1500ms); // five half-periods
  BOOST_CHECK_EQUAL(s.closes->size(), 1u);
  BOOST_CHECK_EQUAL(client_closed->size(), 0u);
  BOOST_TEST(!c->write(R"({"still":"here"})"));
  BOOST_REQUIRE(eventually([&] { return got->size() == 1; }));
  BOOST_CHECK_EQUAL(got->items()[0], R"({"still":"here"})");
  BOOST_TEST(!silent.read(2000ms)); // closed by the server
  c->close();
  BOOST_REQUIRE(eventually([&] { return client_closed->size() == 1; }));
}

BOOST_AUTO_TEST_CASE(stop_writes_what_is_queued_then_closes_everyone) {
  ts::server_options o;
  o.stop_grace = 300ms; // the raw WebSocket peer below never answers the close
  auto s = std::make_unique<echo_server>(o);
  raw_tcp t{s->server->tcp_port()};
  raw_ws w{s->server->websocket_port()};
  t.send_line(R"({"x":1})");
  w.send_text(R"({"y":2})");
  BOOST_CHECK_EQUAL(t.read_line().value_or("<none>"), R"({"x":1})");
  BOOST_CHECK_EQUAL(w.read().value_or("<none>"), R"({"y":2})");
  s->server->stop();
  BOOST_TEST(t.closed_by_peer());
  BOOST_TEST(!w.read());
  BOOST_CHECK_EQUAL(w.close_code(), 1000);
  BOOST_REQUIRE(eventually([&] { return s->closes->size() == 2; }));
  s->server->stop(); // idempotent
  s.reset();
}

BOOST_AUTO_TEST_CASE(client_connects_over_tcp_and_websocket) {
  echo_server s;
  for (auto url : {s.server->tcp_url(), s.server->websocket_url()}) {
    BOOST_TEST_CONTEXT(url) {
      auto conn = ts::connect(url);
      BOOST_REQUIRE(conn.has_value());
      auto got = std::make_shared<collector<std::string>>();
      auto closed = std::make_shared<collector<closed_note>>();
      std::shared_ptr<ts::connection> c = std::move(*conn);
      auto sink = s.sys.spawn([got, closed](tandem::actor_base* self) {
        return tandem::behavior{[got](ts::inbound_frame& f) { got->push(f.text); },
                                [self, closed](ts::transport_closed& e) {
                                  closed->push({"", e.reason});
                                  self->quit();
                                }};
      });
      c->start(sink);
      BOOST_TEST(!c->write(R"({"one":1})"));
      BOOST_TEST(!c->write(R"({"two":2})"));
      BOOST_REQUIRE(eventually([&] { return got->size() == 2; }));
      BOOST_CHECK_EQUAL(got->items()[0], R"({"one":1})");
      BOOST_CHECK_EQUAL(got->items()[1], R"({"two":2})");
      c->close();
      BOOST_REQUIRE(eventually([&] { return closed->size() == 1; }));
      BOOST_TEST(!closed->items()[0].reason); // a local close is a normal end
      BOOST_TEST((c->write("late") == tandem::errc::receiver_down));
    }
  }
}

BOOST_AUTO_TEST_CASE(connect_errors_are_values) {
  BOOST_TEST(!ts::connect("http://127.0.0.1:1/").has_value());
  BOOST_TEST(!ts::connect("tcp://127.0.0.1").has_value());
  BOOST_TEST(!ts::connect("nonsense").has_value());
  echo_server s;
  auto port = s.server->tcp_port();
  s.server->stop();
  auto refused = ts::connect("tcp://127.0.0.1:" + std::to_string(port));
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error_value().message().find("cannot connect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(connect_gives_up_after_its_timeout) {
  // A listener that never accepts: the TCP connect completes from the
  // backlog, the WebSocket handshake would wait forever.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor mute{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto url = "ws://127.0.0.1:" + std::to_string(mute.local_endpoint().port()) + "/rpc";
  auto t0 = std::chrono::steady_clock::now();
  auto conn = ts::connect(url, {}, 200ms);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_REQUIRE(!conn.has_value());
  BOOST_TEST(conn.error_value().message().find("timed out") != std::string::npos);
  BOOST_TEST((took < 5s)); // loose: the point is that it returns at all
}

BOOST_AUTO_TEST_SUITE_END()
