// Sessions over real loopback TCP and WebSocket: the JSON-RPC 2.0 spec's
// section 7 examples as transcripts, the demo service's timing promise, bad
// input with a liveness check after each, vanishing clients and a server
// stop with calls in flight.

#include "../test_support.hpp"
#include "../../examples/rpc_session_demo/demo_service.hpp"
#include "raw_clients.hpp"

#include <tandem/session.hpp>
#include <tandem/session/connect.hpp>
#include <tandem/session/serve.hpp>

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

using namespace std::chrono_literals;
using tandem::session::json;
using tandem_test::eventually;
using tandem_test::flooder;
using tandem_test::raw_tcp;
using tandem_test::raw_ws;
namespace rpc = tandem::session;

namespace {

/// The methods the spec's examples call.
std::shared_ptr<rpc::service> spec_service() {
  auto svc = demo::make_service();
  svc->add("subtract", [](json p) -> json {
    if (p.is_array())
      return p.at(0).get<long>() - p.at(1).get<long>();
    return p.at("minuend").get<long>() - p.at("subtrahend").get<long>();
  });
  svc->add("sum", [](std::vector<long> v) {
    long s = 0;
    for (long x : v)
      s += x;
    return s;
  });
  svc->add("update", [](json) {});
  svc->add("notify_hello", [](json) {});
  svc->add("notify_sum", [](json) {});
  svc->add("get_data", [] { return json::array({"hello", 5}); });
  return svc;
}

struct server_fixture {
  explicit server_fixture(rpc::server_options opts = {}, std::shared_ptr<rpc::service> methods = spec_service()) {
    rpc::session_options s;
    s.methods = std::move(methods);
    auto started = rpc::serve(sys, std::move(opts), s);
    BOOST_REQUIRE_MESSAGE(started.has_value(), "serve failed");
    server = std::move(*started);
  }
  ~server_fixture() { server->stop(); }

  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  std::unique_ptr<rpc::network_server> server;
};

/// One line or message per frame, either transport.
struct peer {
  std::function<void(const std::string&)> send;
  std::function<std::optional<std::string>()> receive;
};

peer tcp_peer(std::shared_ptr<raw_tcp> t) {
  // One line per frame: the spec's multi-line examples go on one line.
  return {[t](std::string s) {
            std::replace(s.begin(), s.end(), '\n', ' ');
            t->send_line(s);
          },
          [t] { return t->read_line(); }};
}
peer ws_peer(std::shared_ptr<raw_ws> w) {
  return {[w](const std::string& s) { w->send_text(s); }, [w] { return w->read(); }};
}

/// Responses compare by id, result and error code (the spec's messages are
/// examples); a batch answer compares as a set.
json normalize(json j) {
  if (j.is_array()) {
    json out = json::array();
    for (auto& e : j)
      out.push_back(normalize(e));
    std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
    return out;
  }
  if (j.is_object() && j.contains("error"))
    j["error"] = json{{"code", j["error"].value("code", 0)}};
  return j;
}

/// Sends `request`; expects `expected` back ("" = nothing: checked by a
/// follow-up call whose answer must come next).
void exchange(peer& p, const std::string& request, const std::string& expected) {
  BOOST_TEST_CONTEXT("request " << request) {
    p.send(request);
    if (expected.empty()) {
      p.send(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":"follow-up"})");
      auto got = p.receive();
      BOOST_REQUIRE(got);
      BOOST_CHECK_EQUAL(json::parse(*got).value("id", json()).dump(), "\"follow-up\"");
      return;
    }
    auto got = p.receive();
    BOOST_REQUIRE(got);
    BOOST_CHECK_EQUAL(normalize(json::parse(*got)).dump(), normalize(json::parse(expected)).dump());
  }
}

void spec_section_7(peer p) {
  // rpc call with positional parameters
  exchange(p, R"({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})",
           R"({"jsonrpc": "2.0", "result": 19, "id": 1})");
  exchange(p, R"({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2})",
           R"({"jsonrpc": "2.0", "result": -19, "id": 2})");
  // rpc call with named parameters
  exchange(p, R"({"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3})",
           R"({"jsonrpc": "2.0", "result": 19, "id": 3})");
  exchange(p, R"({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4})",
           R"({"jsonrpc": "2.0", "result": 19, "id": 4})");
  // a Notification
  exchange(p, R"({"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]})", "");
  exchange(p, R"({"jsonrpc": "2.0", "method": "foobar"})", "");
  // rpc call of non-existent method
  exchange(p, R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})",
           R"({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})");
  // rpc call with invalid JSON
  exchange(p, R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
           R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})");
  // rpc call with invalid Request object
  exchange(p, R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})",
           R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})");
  // rpc call Batch, invalid JSON
  exchange(p, R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
])",
           R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})");
  // rpc call with an empty Array
  exchange(p, "[]", R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})");
  // rpc call with an invalid Batch (but not empty)
  exchange(p, "[1]", R"([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])");
  // rpc call with invalid Batch
  exchange(p, "[1,2,3]", R"([
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])");
  // rpc call Batch
  exchange(p, R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
  {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
  {"foo": "boo"},
  {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
  {"jsonrpc": "2.0", "method": "get_data", "id": "9"}])",
           R"([
  {"jsonrpc": "2.0", "result": 7, "id": "1"},
  {"jsonrpc": "2.0", "result": 19, "id": "2"},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
  {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}])");
  // rpc call Batch (all notifications)
  exchange(p, R"([
  {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}])",
           "");
}

/// A call on both transports answers (the check after each abuse case).
void check_alive(server_fixture& f) {
  raw_tcp t{f.server->tcp_port()};
  t.send_line(R"({"jsonrpc":"2.0","method":"add","params":[20,22],"id":7})");
  BOOST_CHECK_EQUAL(json::parse(t.read_line().value_or("{}")).value("result", json()).dump(), "42");
  raw_ws w{f.server->websocket_port()};
  w.send_text(R"({"jsonrpc":"2.0","method":"echo","params":["alive"],"id":8})");
  BOOST_CHECK_EQUAL(json::parse(w.read().value_or("{}")).value("result", json()).dump(), R"(["alive"])");
}


/// Makes `n` concurrent calls through a tandem client session; returns how
/// many succeeded with the expected value and the time they all took.
std::pair<int, std::chrono::milliseconds> concurrent_delays(const std::string& url, int n) {
  auto conn = rpc::connect(url);
  BOOST_REQUIRE(conn.has_value());
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto peer = rpc::spawn_session(sys, std::move(*conn));
  auto t0 = std::chrono::steady_clock::now();
  std::vector<tandem::oneshot_receiver<json>> calls;
  for (int i = 0; i < n; ++i)
    calls.push_back(peer.call<json>("delay", json{{"ms", 200}, {"value", i}}, 5s));
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    BOOST_REQUIRE(eventually([&] { return calls[i].ready(); }));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  for (int i = 0; i < n; ++i) {
    auto v = calls[i].try_receive();
    if (v && v->has_value() && v->value() == i)
      ++ok;
  }
  peer.close();
  return {ok, took};
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_network)

BOOST_AUTO_TEST_CASE(spec_section_7_over_tcp) {
  server_fixture f;
  spec_section_7(tcp_peer(std::make_shared<raw_tcp>(f.server->tcp_port())));
}

BOOST_AUTO_TEST_CASE(spec_section_7_over_websocket) {
  server_fixture f;
  spec_section_7(ws_peer(std::make_shared<raw_ws>(f.server->websocket_port())));
}

BOOST_AUTO_TEST_CASE(hundred_concurrent_delays_finish_in_under_a_second) {
  server_fixture f;
  for (auto url : {f.server->tcp_url(), f.server->websocket_url()}) {
    BOOST_TEST_CONTEXT(url) {
      auto [ok, took] = concurrent_delays(url, 100);
      BOOST_CHECK_EQUAL(ok, 100);
      BOOST_TEST(took.count() < 1000);
      BOOST_TEST_MESSAGE(url << ": 100 concurrent 200 ms delays in " << took.count() << " ms");
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_input_gets_the_protocol_error_and_others_keep_working) {
  server_fixture f;
  struct bad_case {
    const char* name;
    std::string frame;
    int code;
  };
  std::vector<bad_case> cases = {
      {"malformed JSON", R"({"jsonrpc":"2.0","method":)", -32700},
      {"not an object", R"("just a string")", -32600},
      {"wrong jsonrpc version", R"({"jsonrpc":"1.0","method":"add","params":[1,2],"id":1})", -32600},
      {"method not a string", R"({"jsonrpc":"2.0","method":42,"id":1})", -32600},
      {"params a scalar", R"({"jsonrpc":"2.0","method":"add","params":5,"id":1})", -32600},
      {"id an object", R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":{"x":1}})", -32600},
      {"wrong param types", R"({"jsonrpc":"2.0","method":"add","params":["a",{}],"id":1})", -32602},
      {"missing params", R"({"jsonrpc":"2.0","method":"delay","params":{},"id":1})", -32602},
      {"unknown method", R"({"jsonrpc":"2.0","method":"no.such","params":[],"id":1})", -32601},
      {"empty batch", "[]", -32600},
      {"binary garbage", std::string("\x01\x02\xff\xfe\x00garbage", 12), -32700},
      {"invalid UTF-8", "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xc3\x28\"],\"id\":1}", -32700},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      raw_tcp t{f.server->tcp_port()};
      t.send_line(c.frame);
      auto got = t.read_line();
      BOOST_REQUIRE(got);
      auto j = json::parse(*got, nullptr, false);
      BOOST_REQUIRE(!j.is_discarded());
      if (j.is_array()) {
        BOOST_REQUIRE_EQUAL(j.size(), 1u);
        j = j[0];
      }
      BOOST_CHECK_EQUAL(j["error"].value("code", 0), c.code);
      // The same connection goes on.
      t.send_line(R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":"next"})");
      BOOST_CHECK_EQUAL(json::parse(t.read_line().value_or("{}")).value("result", json()).dump(), "5");
      check_alive(f);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_vanishing_with_calls_in_flight) {
  server_fixture f;
  for (int round = 0; round < 20; ++round) {
    raw_tcp t{f.server->tcp_port()};
    for (int i = 0; i < 50; ++i)
      t.send_line(R"({"jsonrpc":"2.0","method":"delay","params":{"ms":300,"value":1},"id":)" + std::to_string(i) + "}");
    t.send_line(R"({"jsonrpc":"2.0","method":"ticks","params":{"n":100,"interval_ms":5},"id":"t"})");
    raw_ws w{f.server->websocket_port()};
    w.send_text(R"({"jsonrpc":"2.0","method":"delay","params":{"ms":300,"value":1},"id":1})");
  } // both gone, answers pending
  BOOST_TEST(eventually([&] { return f.server->open_connections() == 0; }));
  check_alive(f);
}

BOOST_AUTO_TEST_CASE(server_stop_fails_the_calls_in_flight) {
  auto f = std::make_unique<server_fixture>();
  auto conn = rpc::connect(f->server->websocket_url());
  BOOST_REQUIRE(conn.has_value());
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto peer = rpc::spawn_session(sys, std::move(*conn));
  auto quick = peer.call<json>("add", json::array({1, 2}), 5s);
  BOOST_REQUIRE(eventually([&] { return quick.ready(); }));
  auto slow = peer.call<json>("delay", json{{"ms", 10000}, {"value", 1}}, 20s);
  std::this_thread::sleep_for(50ms); // let the call reach the server (loose)
  auto t0 = std::chrono::steady_clock::now();
  f->server->stop();
  BOOST_REQUIRE(eventually([&] { return slow.ready(); }, 5000ms));
  auto r = slow.try_receive();
  BOOST_REQUIRE(r);
  BOOST_TEST(!r->has_value()); // failed (disconnect), not left pending
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
  f.reset();
}

BOOST_AUTO_TEST_SUITE_END()

// -- sessions on the server's I/O thread (server_options::sessions) ----------
//
// The same protocol, served by sessions on a cooperative loop driven by the
// server's io_context instead of the application's actor system. Real time:
// the bounds below are loose; what is checked is the outcome (the session
// logic's exact timing is covered on the deterministic backend in
// session_test).

namespace {

rpc::server_options on_io_thread(rpc::server_options o = {}) {
  o.sessions = rpc::session_thread::io_thread;
  return o;
}

/// Notes where its handlers ran and whether cancellation reached them.
struct probe {
  std::atomic<tandem::actor_system*> handler_system{nullptr};
  std::atomic<int> cancelled{0};
};

std::shared_ptr<rpc::service> io_thread_service(std::shared_ptr<probe> pr, tandem::actor pool_doubler) {
  auto svc = spec_service();
  svc->add("where", [pr](json, rpc::call_context& ctx) -> json {
    pr->handler_system = &ctx.self()->system();
    return "here";
  });
  svc->add("wait", [pr](json, rpc::call_context& ctx) {
    auto promise = ctx.promise<json>(); // answered by cancellation only
    ctx.on_cancel([pr, promise] { ++pr->cancelled; });
    return promise;
  });
  svc->add("count", [](std::vector<int> p, rpc::call_context& ctx) {
    int n = p.at(0);
    for (int i = 1; i <= n; ++i)
      ctx.stream(i);
    return n;
  });
  // A request to an actor on the application's pool: the answer comes back
  // to the session on the I/O thread's loop.
  svc->add("double_on_pool", [pool_doubler](std::vector<int> p, rpc::call_context& ctx) {
    auto promise = ctx.promise<int>();
    ctx.self()->request(pool_doubler, p.at(0)).then([promise](int y) mutable { promise.deliver(y); },
                                               [promise](tandem::error e) mutable { promise.fail(e); });
    return promise;
  });
  return svc;
}

struct io_thread_fixture {
  explicit io_thread_fixture(rpc::server_options opts = {}) {
    doubler = pool.spawn([](tandem::actor_base*) { return tandem::behavior{[](int x) { return 2 * x; }}; });
    rpc::session_options s;
    s.methods = io_thread_service(pr, doubler);
    auto started = rpc::serve(pool, on_io_thread(std::move(opts)), s);
    BOOST_REQUIRE_MESSAGE(started.has_value(), "serve failed");
    server = std::move(*started);
  }
  ~io_thread_fixture() { server->stop(); } // then the pool stops the doubler

  tandem::actor_system pool{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  std::shared_ptr<probe> pr = std::make_shared<probe>();
  tandem::actor doubler;
  std::unique_ptr<rpc::network_server> server;
};

json call_raw(raw_ws& w, const std::string& request) {
  w.send_text(request);
  return json::parse(w.read().value_or("{}"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_io_thread)

BOOST_AUTO_TEST_CASE(sessions_run_on_the_io_threads_system_only_when_asked) {
  io_thread_fixture f;
  BOOST_REQUIRE(f.server->io_actors() != nullptr);
  raw_ws w{f.server->websocket_port()};
  BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"where","params":[],"id":1})").value("result", json()),
                    "here");
  BOOST_TEST(f.pr->handler_system.load() == f.server->io_actors());
  BOOST_TEST(f.pr->handler_system.load() != &f.pool);

  // The default: the application's system.
  auto pr = std::make_shared<probe>();
  rpc::session_options s;
  s.methods = io_thread_service(pr, tandem::actor{});
  auto started = rpc::serve(f.pool, {}, s);
  BOOST_REQUIRE(started.has_value());
  auto server = std::move(*started);
  BOOST_TEST(server->io_actors() == nullptr);
  raw_tcp t{server->tcp_port()};
  t.send_line(R"({"jsonrpc":"2.0","method":"where","params":[],"id":1})");
  BOOST_REQUIRE(t.read_line());
  BOOST_TEST(pr->handler_system.load() == &f.pool);
  server->stop();
}

BOOST_AUTO_TEST_CASE(spec_section_7_over_both_transports) {
  io_thread_fixture f;
  spec_section_7(tcp_peer(std::make_shared<raw_tcp>(f.server->tcp_port())));
  spec_section_7(ws_peer(std::make_shared<raw_ws>(f.server->websocket_port())));
}

BOOST_AUTO_TEST_CASE(answers_come_in_order_of_completion_under_load) {
  // 500 calls written back to back on one connection: every one answered
  // once, with its own result (answers of one drain go out together).
  io_thread_fixture f;
  raw_ws w{f.server->websocket_port()};
  for (int i = 0; i < 500; ++i)
    w.send_text(R"({"jsonrpc":"2.0","method":"add","params":[)" + std::to_string(i) + R"(,1],"id":)" +
                std::to_string(i) + "}");
  std::vector<int> seen(500, 0);
  for (int i = 0; i < 500; ++i) {
    auto got = w.read();
    BOOST_REQUIRE(got);
    auto j = json::parse(*got);
    int id = j.at("id").get<int>();
    BOOST_REQUIRE(id >= 0 && id < 500);
    BOOST_CHECK_EQUAL(j.at("result").get<int>(), id + 1);
    ++seen[static_cast<std::size_t>(id)];
  }
  BOOST_TEST(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

BOOST_AUTO_TEST_CASE(timers_on_the_loop_hundred_concurrent_delays_and_ticks) {
  io_thread_fixture f;
  for (auto url : {f.server->tcp_url(), f.server->websocket_url()}) {
    BOOST_TEST_CONTEXT(url) {
      auto [ok, took] = concurrent_delays(url, 100);
      BOOST_CHECK_EQUAL(ok, 100);
      BOOST_TEST(took.count() < 1000);
    }
  }
  raw_ws w{f.server->websocket_port()};
  w.send_text(R"({"jsonrpc":"2.0","method":"ticks","params":{"n":5,"interval_ms":10},"id":"t"})");
  for (int i = 1; i <= 5; ++i) {
    auto tick = json::parse(w.read().value_or("{}"));
    BOOST_CHECK_EQUAL(tick.value("method", ""), "tick");
    BOOST_CHECK_EQUAL(tick["params"].value("seq", 0), i);
  }
  BOOST_CHECK_EQUAL(json::parse(w.read().value_or("{}")).value("result", json()), 5);
}

BOOST_AUTO_TEST_CASE(a_client_timeout_cancels_the_call_at_the_server) {
  io_thread_fixture f;
  auto conn = rpc::connect(f.server->websocket_url());
  BOOST_REQUIRE(conn.has_value());
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto peer = rpc::spawn_session(sys, std::move(*conn));
  auto call = peer.call<json>("wait", json::array(), 100ms);
  BOOST_REQUIRE(eventually([&] { return call.ready(); }));
  auto r = call.try_receive();
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(!r->has_value());
  BOOST_CHECK_EQUAL(r->error_value().code(), static_cast<int>(tandem::errc::request_timeout));
  // The client sent $/cancelRequest: the handler's on_cancel ran on the loop.
  BOOST_TEST(eventually([&] { return f.pr->cancelled.load() == 1; }));
  peer.close();
}

BOOST_AUTO_TEST_CASE(the_peer_cancels_a_call) {
  io_thread_fixture f;
  raw_ws w{f.server->websocket_port()};
  w.send_text(R"({"jsonrpc":"2.0","method":"wait","params":[],"id":"w"})");
  auto answer = call_raw(w, R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"w"}})");
  BOOST_CHECK_EQUAL(answer.value("id", json()), "w");
  BOOST_CHECK_EQUAL(answer["error"].value("code", 0), rpc::rpc_code::request_cancelled);
  BOOST_CHECK_EQUAL(f.pr->cancelled.load(), 1);
  // Cancelling again, or an unknown id, is ignored; the session goes on.
  w.send_text(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"w"}})");
  BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":2})").value("result", json()),
                    3);
}

BOOST_AUTO_TEST_CASE(a_stream_comes_before_its_result) {
  io_thread_fixture f;
  raw_tcp t{f.server->tcp_port()};
  t.send_line(R"({"jsonrpc":"2.0","method":"count","params":[4],"id":9})");
  for (int i = 1; i <= 4; ++i) {
    auto item = json::parse(t.read_line().value_or("{}"));
    BOOST_CHECK_EQUAL(item.value("method", ""), "$/stream");
    BOOST_CHECK_EQUAL(item["params"].value("id", json()), 9);
    BOOST_CHECK_EQUAL(item["params"].value("value", json()), i);
  }
  BOOST_CHECK_EQUAL(json::parse(t.read_line().value_or("{}")).value("result", json()), 4);
}

BOOST_AUTO_TEST_CASE(a_request_to_an_actor_on_the_pool_answers_on_the_loop) {
  io_thread_fixture f;
  raw_ws w{f.server->websocket_port()};
  for (int i = 0; i < 50; ++i)
    BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"double_on_pool","params":[)" + std::to_string(i) +
                                      R"(],"id":1})")
                          .value("result", json()),
                      2 * i);
}

BOOST_AUTO_TEST_CASE(bad_input_and_vanishing_clients_leave_the_others_working) {
  io_thread_fixture f;
  auto check = [&] {
    raw_tcp t{f.server->tcp_port()};
    t.send_line(R"({"jsonrpc":"2.0","method":"add","params":[20,22],"id":7})");
    BOOST_CHECK_EQUAL(json::parse(t.read_line().value_or("{}")).value("result", json()).dump(), "42");
  };
  for (const std::string& bad : {std::string{R"({"jsonrpc":"2.0","method":)"}, std::string{"[]"},
                                std::string("\x01\x02\xff\xfe\x00garbage", 12)}) {
    raw_tcp t{f.server->tcp_port()};
    t.send_line(bad);
    auto j = json::parse(t.read_line().value_or("null"), nullptr, false);
    BOOST_TEST((j.is_object() && j.contains("error")));
    check();
  }
  for (int round = 0; round < 20; ++round) {
    raw_tcp t{f.server->tcp_port()};
    for (int i = 0; i < 20; ++i)
      t.send_line(R"({"jsonrpc":"2.0","method":"delay","params":{"ms":300,"value":1},"id":)" + std::to_string(i) + "}");
    raw_ws w{f.server->websocket_port()};
    w.send_text(R"({"jsonrpc":"2.0","method":"wait","params":[],"id":1})");
  }
  BOOST_TEST(eventually([&] { return f.server->open_connections() == 0; }));
  check();
}

BOOST_AUTO_TEST_CASE(a_slow_reader_is_paused_and_others_stay_responsive) {
  rpc::server_options o;
  o.limits.max_outbound_bytes = 256 * 1024;
  io_thread_fixture f{o};
  raw_tcp slow{f.server->tcp_port()};
  slow.socket().set_option(boost::asio::socket_base::receive_buffer_size(64 * 1024));
  const std::string request =
      R"({"jsonrpc":"2.0","method":"echo","params":[")" + std::string(16 * 1024, 'p') + R"("],"id":1})" "\n";
  const long total = 2000; // 32 MiB of requests, as many answers
  // Echo requests, nothing read: the server's queue for this client fills up
  // to the cap, then it stops reading the client.
  flooder client{slow.socket(), request, total};
  BOOST_REQUIRE(client.started());
  std::size_t peak = 0;
  client.wait_until_blocked([&] { peak = std::max(peak, f.server->outbound_bytes()); });
  const long sent = client.sent();
  BOOST_TEST_MESSAGE("slow reader, sessions on the I/O thread: sent " << sent << " of " << total
                                                                      << ", server queue peak " << peak / 1024
                                                                      << " KiB");
  BOOST_TEST(sent < total);      // the server stopped reading it
  BOOST_TEST(peak <= 16u << 20); // bounded: the cap plus what was in flight
  {
    raw_tcp t{f.server->tcp_port()}; // others are served meanwhile
    t.send_line(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})");
    BOOST_CHECK_EQUAL(json::parse(t.read_line().value_or("{}")).value("result", json()), 2);
  }
  // Reading again lets everything through: one answer per request.
  long answered = 0;
  while (answered < total) {
    auto l = slow.read_line(20000ms);
    if (!l)
      break;
    ++answered;
  }
  client.join();
  BOOST_CHECK_EQUAL(answered, client.sent());
}

BOOST_AUTO_TEST_CASE(stop_fails_the_calls_in_flight_and_returns_with_timers_armed) {
  auto f = std::make_unique<io_thread_fixture>();
  auto conn = rpc::connect(f->server->websocket_url());
  BOOST_REQUIRE(conn.has_value());
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto peer = rpc::spawn_session(sys, std::move(*conn));
  auto quick = peer.call<json>("add", json::array({1, 2}), 5s);
  BOOST_REQUIRE(eventually([&] { return quick.ready(); }));
  // A 10 s timer armed on the I/O thread's loop, and a call that only
  // cancellation answers.
  auto slow = peer.call<json>("delay", json{{"ms", 10000}, {"value", 1}}, 20s);
  auto waiting = peer.call<json>("wait", json::array(), 20s);
  std::this_thread::sleep_for(50ms); // let the calls reach the server (loose)
  auto t0 = std::chrono::steady_clock::now();
  f->server->stop();
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s)); // the timer did not hold the I/O thread
  BOOST_CHECK_EQUAL(f->server->io_actors()->live_actors(), 0u);
  BOOST_REQUIRE(eventually([&] { return slow.ready() && waiting.ready(); }, 5000ms));
  auto r = slow.try_receive();
  BOOST_REQUIRE(r);
  BOOST_TEST(!r->has_value());
  BOOST_TEST(f->pr->cancelled.load() == 1); // the session's end cancelled "wait"
  f.reset();
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// User + system CPU time of this process (all threads) so far.
std::chrono::microseconds process_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](const timeval& t) { return std::chrono::seconds{t.tv_sec} + std::chrono::microseconds{t.tv_usec}; };
  return std::chrono::duration_cast<std::chrono::microseconds>(us(u.ru_utime) + us(u.ru_stime));
}

/// The process's CPU time over `idle` with the test thread asleep and every
/// connection quiet (the servers' threads are the only ones that could run).
std::chrono::microseconds cpu_while_idle(std::chrono::milliseconds idle) {
  auto c0 = process_cpu();
  std::this_thread::sleep_for(idle);
  return process_cpu() - c0;
}

rpc::server_options spinning(std::chrono::microseconds window, rpc::server_options o = {}) {
  o.idle_spin = window;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_idle_spin)

BOOST_AUTO_TEST_CASE(a_spinning_server_serves_both_transports_with_sessions_on_either_thread) {
  for (auto sessions : {rpc::session_thread::actor_system, rpc::session_thread::io_thread}) {
    BOOST_TEST_CONTEXT("sessions on the " << (sessions == rpc::session_thread::io_thread ? "I/O thread" : "pool")) {
      auto o = spinning(200us);
      o.sessions = sessions;
      server_fixture f{o};
      spec_section_7(tcp_peer(std::make_shared<raw_tcp>(f.server->tcp_port())));
      spec_section_7(ws_peer(std::make_shared<raw_ws>(f.server->websocket_port())));
      // Calls back to back, and one at a time with pauses longer than the
      // window (the thread has gone back to epoll between them).
      raw_ws w{f.server->websocket_port()};
      for (int i = 0; i < 200; ++i)
        w.send_text(R"({"jsonrpc":"2.0","method":"add","params":[)" + std::to_string(i) + R"(,1],"id":)" +
                    std::to_string(i) + "}");
      for (int i = 0; i < 200; ++i) {
        auto j = json::parse(w.read().value_or("{}"));
        BOOST_CHECK_EQUAL(j.value("result", -1), j.value("id", -1) + 1);
      }
      for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(5ms);
        BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":"p"})").value("result", 0),
                          5);
      }
      // Timers still fire while the thread spins or sleeps.
      auto [ok, took] = concurrent_delays(f.server->websocket_url(), 100);
      BOOST_CHECK_EQUAL(ok, 100);
      BOOST_TEST(took.count() < 1000);
      check_alive(f);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_idle_server_stops_spinning_after_the_window) {
  // A 2 ms window after a call, then 300 ms of quiet with the connection
  // open: the I/O thread must be asleep in epoll for nearly all of it
  // (a thread that kept polling would use the whole 300 ms of a core).
  server_fixture f{spinning(2000us, on_io_thread())};
  raw_ws w{f.server->websocket_port()};
  BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})").value("result", 0), 2);
  auto used = cpu_while_idle(300ms);
  BOOST_TEST_MESSAGE("idle server, 2 ms window: " << used.count() << " µs of CPU in 300 ms");
  BOOST_TEST(used.count() < 100'000);
  // And it still answers after having slept.
  BOOST_CHECK_EQUAL(call_raw(w, R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":2})").value("result", 0), 4);
}

BOOST_AUTO_TEST_CASE(within_the_window_the_io_thread_polls_instead_of_sleeping) {
  // A window longer than the quiet period: the thread keeps polling through
  // it, which a server that blocks at once (idle_spin 0) never does. Loose:
  // a twentieth of the period, whatever else the machine runs.
  server_fixture f{spinning(std::chrono::seconds{10})};
  raw_tcp t{f.server->tcp_port()};
  t.send_line(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})");
  BOOST_REQUIRE(t.read_line());
  auto used = cpu_while_idle(300ms);
  BOOST_TEST_MESSAGE("10 s window: " << used.count() << " µs of CPU in 300 ms");
  BOOST_TEST(used.count() > 15'000);
  // stop() ends the spinning thread (it runs out of work like a blocked one).
  auto t0 = std::chrono::steady_clock::now();
  f.server->stop();
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
}

BOOST_AUTO_TEST_CASE(a_negative_window_is_refused) {
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{1, 100})};
  rpc::session_options s;
  s.methods = demo::make_service();
  auto started = rpc::serve(sys, spinning(-1us), s);
  BOOST_REQUIRE(!started.has_value());
  BOOST_CHECK_EQUAL(started.error_value().code(), static_cast<int>(tandem::errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
