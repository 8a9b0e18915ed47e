// The JSON-RPC 2.0 codec and the session's answers to it: the examples of
// section 7 of the specification as transcripts (exact request text in,
// parsed responses compared), and malformed input of every kind, each
// followed by a check that the session still answers.

#include "session_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using tandem::session::json;
using tandem::session::rpc_error;
namespace rpc = tandem::session;
using tandem_test::normalized;
using tandem_test::parse_frame;
using tandem_test::raw_peer_fixture;

namespace {

// The methods the specification's examples call.
std::shared_ptr<rpc::service> spec_service() {
  auto svc = std::make_shared<rpc::service>();
  svc->add("subtract", [](const json& p) -> json {
    if (p.is_array() && p.size() == 2)
      return p[0].get<double>() - p[1].get<double>();
    if (p.is_object())
      return p.at("minuend").get<double>() - p.at("subtrahend").get<double>();
    throw rpc_error{rpc::rpc_code::invalid_params, "Invalid params"};
  });
  svc->add("sum", [](std::vector<int> xs) {
    int s = 0;
    for (int x : xs)
      s += x;
    return s;
  });
  svc->add("get_data", [] { return json::array({"hello", 5}); });
  svc->add("echo", [](json p) { return p; });
  return svc;
}

rpc::session_options spec_options() {
  rpc::session_options o;
  o.methods = spec_service();
  return o;
}

struct transcript {
  std::string request;
  std::string response; // empty: nothing comes back
};

void check_transcript(raw_peer_fixture& f, const transcript& t) {
  BOOST_TEST_CONTEXT("request: " << t.request) {
    auto frames = f.exchange(t.request);
    if (t.response.empty()) {
      BOOST_TEST(frames.empty());
      return;
    }
    BOOST_TEST_REQUIRE(frames.size() == 1u);
    BOOST_TEST(normalized(parse_frame(frames[0])) == normalized(json::parse(t.response)));
  }
}

// Still serving: a fresh call gets its answer.
void check_alive(raw_peer_fixture& f) {
  auto frames = f.exchange(R"({"jsonrpc": "2.0", "method": "subtract", "params": [5, 3], "id": 77})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0]) == json::parse(R"({"jsonrpc": "2.0", "result": 2, "id": 77})"));
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_codec)

BOOST_AUTO_TEST_CASE(spec_section_7_examples) {
  raw_peer_fixture f{spec_options()};
  const std::vector<transcript> examples = {
    // positional parameters
    {R"({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 1})"},
    {R"({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2})",
     R"({"jsonrpc": "2.0", "result": -19, "id": 2})"},
    // named parameters
    {R"({"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 3})"},
    {R"({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 4})"},
    // notifications
    {R"({"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]})", ""},
    {R"({"jsonrpc": "2.0", "method": "foobar"})", ""},
    // non-existent method
    {R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})",
     R"({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})"},
    // invalid JSON
    {R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
     R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})"},
    // invalid Request object
    {R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})",
     R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})"},
    // batch, invalid JSON
    {R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
])",
     R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})"},
    // empty array
    {R"([])", R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})"},
    // an invalid batch, but not empty
    {R"([1])", R"([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])"},
    // invalid batch
    {R"([1,2,3])", R"([
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
])"},
    // batch
    {R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
  {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
  {"foo": "boo"},
  {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
  {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
])",
     R"([
  {"jsonrpc": "2.0", "result": 7, "id": "1"},
  {"jsonrpc": "2.0", "result": 19, "id": "2"},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
  {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
])"},
    // batch, all notifications
    {R"([
  {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
])",
     ""},
  };
  for (const auto& t : examples)
    check_transcript(f, t);
  check_alive(f);
}

BOOST_AUTO_TEST_SUITE_END()
