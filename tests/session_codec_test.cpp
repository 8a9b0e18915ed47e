// The JSON-RPC 2.0 codec and the session's answers to it: the examples of
// section 7 of the specification as transcripts (exact request text in,
// parsed responses compared), and malformed input of every kind, each
// followed by a check that the session still answers.

#include "session_support.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
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

BOOST_AUTO_TEST_CASE(malformed_input_gets_the_protocols_error_and_the_session_lives_on) {
  raw_peer_fixture f{spec_options()};
  struct bad {
    std::string frame;
    int code;
    json id;
  };
  const std::string deep_valid = R"({"jsonrpc":"2.0","method":"echo","params":)" + std::string(200, '[')
                                 + std::string(200, ']') + R"(,"id":1})";
  const std::vector<bad> cases = {
    {"", rpc::rpc_code::parse_error, nullptr},
    {"garbage", rpc::rpc_code::parse_error, nullptr},
    {std::string("\x00\x01\xff\xfe\x00", 5), rpc::rpc_code::parse_error, nullptr},
    {"\x89PNG\r\n\x1a\n", rpc::rpc_code::parse_error, nullptr},
    {"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xff\xfe\"],\"id\":1}", rpc::rpc_code::parse_error, nullptr},
    {"{\"jsonrpc\":\"2.0\",\"method\":\"ech\xc3\",\"id\":1}", rpc::rpc_code::parse_error, nullptr},
    {R"({"jsonrpc":"2.0","method":"echo","params":["\ud800"],"id":1})", rpc::rpc_code::parse_error, nullptr},
    {R"({"jsonrpc":"2.0","method":"subtr)", rpc::rpc_code::parse_error, nullptr},
    {R"({"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":1)", rpc::rpc_code::parse_error, nullptr},
    {std::string(100000, '['), rpc::rpc_code::parse_error, nullptr},
    {deep_valid, rpc::rpc_code::invalid_request, nullptr},
    {"null", rpc::rpc_code::invalid_request, nullptr},
    {"42", rpc::rpc_code::invalid_request, nullptr},
    {R"("subtract")", rpc::rpc_code::invalid_request, nullptr},
    {"true", rpc::rpc_code::invalid_request, nullptr},
    {"{}", rpc::rpc_code::invalid_request, nullptr},
    {R"({"jsonrpc":"2.0","id":5})", rpc::rpc_code::invalid_request, 5},
    {R"({"method":"subtract","params":[1,2],"id":6})", rpc::rpc_code::invalid_request, 6},
    {R"({"jsonrpc":"1.0","method":"subtract","params":[1,2],"id":7})", rpc::rpc_code::invalid_request, 7},
    {R"({"jsonrpc":2.0,"method":"subtract","params":[1,2],"id":8})", rpc::rpc_code::invalid_request, 8},
    {R"({"jsonrpc":"2.0","method":"subtract","params":"1,2","id":9})", rpc::rpc_code::invalid_request, 9},
    {R"({"jsonrpc":"2.0","method":"subtract","params":null,"id":10})", rpc::rpc_code::invalid_request, 10},
    {R"({"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":{"a":1}})", rpc::rpc_code::invalid_request, nullptr},
    {R"({"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":[1]})", rpc::rpc_code::invalid_request, nullptr},
    {R"({"jsonrpc":"2.0","method":["subtract"],"id":11})", rpc::rpc_code::invalid_request, 11},
    {R"({"jsonrpc":"2.0","method":"subtract","params":["a","b"],"id":12})", rpc::rpc_code::internal_error, 12},
    {R"({"jsonrpc":"2.0","method":"sum","params":{"x":1},"id":13})", rpc::rpc_code::invalid_params, 13},
    {R"({"jsonrpc":"2.0","method":"sum","params":[1,"two"],"id":"s"})", rpc::rpc_code::invalid_params, "s"},
    {R"({"jsonrpc":"2.0","method":"nope","id":-1.5})", rpc::rpc_code::method_not_found, -1.5},
    {R"({"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":1e400})", rpc::rpc_code::parse_error, nullptr},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("frame: " << json(c.frame).dump(-1, ' ', true, json::error_handler_t::replace).substr(0, 120)) {
      auto frames = f.exchange(c.frame);
      BOOST_TEST_REQUIRE(frames.size() == 1u);
      auto answer = parse_frame(frames[0]);
      BOOST_TEST(answer["jsonrpc"] == "2.0");
      BOOST_TEST(answer["error"]["code"] == c.code);
      BOOST_TEST(answer["id"] == c.id);
      check_alive(f);
    }
  }
  // Responses nobody asked for, and responses without an id: dropped.
  for (const char* frame : {R"({"jsonrpc":"2.0","result":1,"id":99})", R"({"jsonrpc":"2.0","result":1})",
                            R"({"jsonrpc":"2.0","error":{"code":1,"message":"x"},"id":null})",
                            R"({"jsonrpc":"2.0","error":"nonsense","id":3})", R"([{"jsonrpc":"2.0","result":1,"id":4}])"}) {
    BOOST_TEST_CONTEXT("frame: " << frame) {
      BOOST_TEST(f.exchange(frame).empty());
      check_alive(f);
    }
  }
  // A batch mixing good, bad and garbage items answers each.
  auto frames = f.exchange(R"([{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}, "x", {}, 7,
                               {"jsonrpc":"2.0","method":"subtract","params":[1],"id":2}])");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto batch = parse_frame(frames[0]);
  BOOST_TEST_REQUIRE(batch.is_array());
  BOOST_TEST(batch.size() == 5u);
  check_alive(f);
}

BOOST_AUTO_TEST_CASE(frames_over_the_limit) {
  rpc::session_options o = spec_options();
  o.limits.max_frame_bytes = 256;
  raw_peer_fixture f{o};
  const std::string padding(300, ' ');
  // The id can be read: -32600 for it.
  auto frames = f.exchange(R"({"id": 41, "jsonrpc":"2.0","method":"subtract","params":[1,2])" + padding + "}");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto answer = parse_frame(frames[0]);
  BOOST_TEST(answer["id"] == 41);
  BOOST_TEST(answer["error"]["code"] == rpc::rpc_code::invalid_request);
  // Up to the limit is fine.
  std::string just = R"({"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":77})";
  just.insert(just.size() - 1, std::string(256 - just.size(), ' '));
  BOOST_TEST(just.size() == 256u);
  frames = f.exchange(just);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0])["result"] == 2);
  // No id to answer (a batch, garbage): the connection is closed cleanly.
  frames = f.exchange("[" + padding + "]");
  BOOST_TEST(frames.empty());
  BOOST_TEST_REQUIRE(f.log.closed.size() == 1u);
  f.sched.run_until_quiet();
  BOOST_TEST(f.sys.live_actors() == 0u);
}

BOOST_AUTO_TEST_CASE(batches_over_the_limit_get_one_error) {
  raw_peer_fixture f{spec_options()};
  std::string big = "[1";
  for (int i = 1; i < 1001; ++i)
    big += ",1";
  big += "]";
  auto frames = f.exchange(big);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto answer = parse_frame(frames[0]);
  BOOST_TEST(answer.is_object());
  BOOST_TEST(answer["error"]["code"] == rpc::rpc_code::invalid_request);
  BOOST_TEST(answer["id"] == nullptr);
  // At the limit, every item is answered.
  std::string full = "[1";
  for (int i = 1; i < 1000; ++i)
    full += ",1";
  full += "]";
  frames = f.exchange(full);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0]).size() == 1000u);
  check_alive(f);
}

BOOST_AUTO_TEST_CASE(the_codec_encodes_what_it_decodes) {
  rpc::json_rpc_codec codec;
  rpc::rpc_request call{json(7), "m", json{{"k", "v"}}};
  auto text = codec.encode(call);
  BOOST_TEST_REQUIRE(text.has_value());
  auto back = codec.decode(*text, 1 << 20);
  BOOST_TEST_REQUIRE(back.messages.size() == 1u);
  auto* req = std::get_if<rpc::rpc_request>(&back.messages[0]);
  BOOST_TEST_REQUIRE(req != nullptr);
  BOOST_TEST(req->id.value_or(json()) == json(7));
  BOOST_TEST(req->method == "m");
  BOOST_TEST(req->params == json({{"k", "v"}}));
  rpc::rpc_request note{std::nullopt, "n", nullptr};
  BOOST_TEST(json::parse(*codec.encode(note)) == json::parse(R"({"jsonrpc":"2.0","method":"n"})"));
  rpc::rpc_response err{json("x"), nullptr, rpc_error{-32001, "bad", json{{"why", 1}}}};
  BOOST_TEST(json::parse(*codec.encode(err))
             == json::parse(R"({"jsonrpc":"2.0","error":{"code":-32001,"message":"bad","data":{"why":1}},"id":"x"})"));
  // Invalid UTF-8 cannot be encoded: an error value, not an exception.
  rpc::rpc_response bad{json(1), json("\xff"), std::nullopt};
  auto failed = codec.encode(bad);
  BOOST_TEST(!failed.has_value());
  BOOST_TEST(failed.error_value().code() == rpc::rpc_code::internal_error);
  BOOST_TEST(codec.encode_batch({"1", "2"}) == "[1,2]");
  rpc::rpc_request bad_method{json(1), "\xc3\x28", nullptr};
  BOOST_TEST(!codec.encode(bad_method).has_value());
  rpc::rpc_response bad_id{json("ok\xff"), json(1), std::nullopt};
  BOOST_TEST(!codec.encode(bad_id).has_value());
  rpc::rpc_response bad_nested{json(1), json::array({"fine", "\xc3"}), std::nullopt};
  BOOST_TEST(!codec.encode(bad_nested).has_value());
}

// decode reads the common frame with a fast reader that gives up wherever
// its result could differ from nlohmann's; these frames look common but
// must be decided by the general path, exactly as nlohmann reads them.
BOOST_AUTO_TEST_CASE(frames_the_fast_reader_leaves_to_the_general_path) {
  rpc::json_rpc_codec codec;
  auto decode = [&](std::string_view frame) { return codec.decode(frame, 1 << 20); };
  auto code_of = [](const rpc::decoded_frame& d) {
    const auto* inv = d.messages.size() == 1 ? std::get_if<rpc::rpc_invalid>(&d.messages[0]) : nullptr;
    return inv != nullptr ? inv->error.code() : 0;
  };
  auto request_of = [](const rpc::decoded_frame& d) {
    return d.messages.size() == 1 ? std::get_if<rpc::rpc_request>(&d.messages[0]) : nullptr;
  };
  const std::string call = R"({"jsonrpc":"2.0","method":"m","params":[1],"id":1})";
  // nlohmann rejects these: a parse error, never a request.
  for (std::string frame : {std::string{R"({"jsonrpc":"2.0","method":"m","params":["\uDC00"],"id":1})"},
                            std::string{R"({"jsonrpc":"2.0","method":"\uDFFFm","id":1})"},
                            std::string{R"({"jsonrpc":"2.0","method":"m","params":[1.8e308],"id":1})"},
                            std::string{R"({"jsonrpc":"2.0","method":"m","id":17976931348623159e292})"},
                            std::string{"{\"jsonrpc\":\"2.0\",\"method\":\"m\xed\xb0\x80\",\"id\":1}"},
                            call + " x", call + call}) {
    BOOST_TEST_CONTEXT("frame: " << frame) {
      BOOST_TEST(code_of(decode(frame)) == rpc::rpc_code::parse_error);
    }
  }
  // nlohmann reads a NUL as the end of the text and skips a leading BOM.
  for (std::string frame : {call + std::string("\0junk", 5), "\xef\xbb\xbf" + call}) {
    BOOST_TEST_CONTEXT("frame: " << json(frame).dump(-1, ' ', true)) {
      auto d = decode(frame);
      const auto* req = request_of(d);
      BOOST_TEST_REQUIRE(req != nullptr);
      BOOST_TEST(req->method == "m");
      BOOST_TEST(req->params == json::array({1}));
      BOOST_TEST(req->id.value_or(json()) == json(1));
    }
  }
  // Numbers typed as nlohmann types them.
  {
    auto d = decode(R"({"jsonrpc":"2.0","method":"m","params":[-0,18446744073709551615,-9223372036854775809,0.5],"id":18446744073709551616})");
    const auto* req = request_of(d);
    BOOST_TEST_REQUIRE(req != nullptr);
    BOOST_TEST(req->id.value_or(json()).is_number_float());
    BOOST_TEST(req->id.value_or(json()).get<double>() == 18446744073709551616.0);
    BOOST_TEST_REQUIRE(req->params.size() == 4u);
    BOOST_TEST((req->params[0].type() == json::value_t::number_integer));
    BOOST_TEST((req->params[1].type() == json::value_t::number_unsigned));
    BOOST_TEST(req->params[1].get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
    BOOST_TEST(req->params[2].is_number_float());
    BOOST_TEST(req->params[3].get<double>() == 0.5);
  }
  // Nesting at the limit (128 by default) is read; one more level is refused.
  auto nested = [&](std::size_t levels) {
    return R"({"jsonrpc":"2.0","method":"m","params":)" + std::string(levels, '[') + std::string(levels, ']')
           + R"(,"id":1})";
  };
  BOOST_TEST(request_of(decode(nested(127))) != nullptr);
  BOOST_TEST(code_of(decode(nested(128))) == rpc::rpc_code::invalid_request);
}

BOOST_AUTO_TEST_CASE(requests_and_results_are_written_as_nlohmann_dumps_them) {
  // The codec writes the common messages around their dumped parts; the
  // bytes must be those of the whole message built as a json object and
  // dumped (sorted keys, no spaces), whatever the ids, params and results.
  rpc::json_rpc_codec codec;
  auto text = [&](const rpc::rpc_message& m) {
    auto e = codec.encode(m);
    return e.has_value() ? *e : std::string{"<error>"};
  };
  std::vector<json> ids = {json(0), json(-12), json(1.5), json("s\"q\u00e9"), json(nullptr),
                           json(std::uint64_t{18446744073709551615u}), json("plain id"),
                           json(std::numeric_limits<std::int64_t>::min()), json("back\\slash")};
  std::vector<json> values = {json(nullptr), json::array(), json::object(), json::array({1, "two", 3.25, nullptr}),
                              json{{"b", 1}, {"a", json{{"z", true}, {"y", json::array({false})}}}},
                              json("line\nbreak \u2603"), json(42), json(true), json(false), json(-3),
                              json(""), json("plain ~text"), json("tab\tdel\x7f"), json(1e300)};
  for (const auto& id : ids) {
    for (const auto& v : values) {
      BOOST_TEST_CONTEXT("id " << id.dump() << ", value " << v.dump()) {
        rpc::rpc_response resp{id, v, std::nullopt};
        json whole = {{"jsonrpc", "2.0"}, {"result", v}, {"id", id}};
        BOOST_TEST(text(resp) == whole.dump());
        if (v.is_null() || v.is_array() || v.is_object()) {
          rpc::rpc_request call{id, "m\u00e9th/od", v};
          json as_call = {{"jsonrpc", "2.0"}, {"method", "m\u00e9th/od"}, {"id", id}};
          if (!v.is_null())
            as_call["params"] = v;
          BOOST_TEST(text(call) == as_call.dump());
          rpc::rpc_request note{std::nullopt, "n", v};
          json as_note = {{"jsonrpc", "2.0"}, {"method", "n"}};
          if (!v.is_null())
            as_note["params"] = v;
          BOOST_TEST(text(note) == as_note.dump());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
