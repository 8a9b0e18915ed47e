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

#include <algorithm>
#include <functional>
#include <thread>

using namespace std::chrono_literals;
using tandem::session::json;
using tandem_test::eventually;
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
  explicit server_fixture(rpc::server_options opts = {}) {
    rpc::session_options s;
    s.methods = spec_service();
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
