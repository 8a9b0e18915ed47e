// Session logic on the deterministic backend over the in-process transport:
// calls and answers, timeouts at exact virtual times, cancellation both ways,
// late responses, disconnects with calls in flight, streams, calls in both
// directions, handlers that throw or answer later.

#include "session_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace rpc = tandem::session;
using rpc::json;
using rpc::rpc_error;
using demo::make_service;
using tandem_test::parse_frame;
using tandem_test::raw_peer_fixture;

namespace {

/// A client session and a server session (the demo service) on one
/// deterministic backend, connected in-process.
struct session_pair {
  explicit session_pair(rpc::session_options client_opts = {}, rpc::session_options server_opts = {},
                        std::uint64_t seed = 7)
      : sched(seed), sys(sched) {
    if (!server_opts.methods)
      server_opts.methods = make_service();
    auto [a, b] = rpc::make_in_process_pair();
    server = rpc::spawn_session(sys, std::move(a), std::move(server_opts));
    client = rpc::spawn_session(sys, std::move(b), std::move(client_opts));
    origin = sched.now();
  }

  tandem::duration elapsed() const { return sched.now() - origin; }

  tandem::deterministic_scheduler sched;
  tandem::actor_system sys;
  rpc::session_handle server;
  rpc::session_handle client;
  tandem::time_point origin;
};

/// What a caller saw: a value or an error, and when.
struct seen {
  std::optional<json> value;
  std::optional<rpc_error> error;
  tandem::duration at{};
  int completions = 0;
};

/// Spawns an actor that makes one call and records its outcome.
template <class R = json>
void call_and_record(session_pair& p, const rpc::session_handle& via, std::string method, json params,
                     tandem::duration timeout, seen& out, std::int64_t* id_out = nullptr) {
  p.sys.spawn([&p, via, method, params, timeout, &out, id_out](tandem::actor_base* self) {
    auto call = via.call<R>(self, method, params, timeout);
    if (id_out != nullptr)
      *id_out = call.id();
    call.then(
      [&p, &out](R v) {
        out.value = json(v);
        out.at = p.elapsed();
        ++out.completions;
      },
      [&p, &out](rpc_error e) {
        out.error = e;
        out.at = p.elapsed();
        ++out.completions;
      });
  });
}

} // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(a_call_gets_its_typed_result) {
  session_pair p;
  seen out;
  call_and_record<double>(p, p.client, "add", json::array({1, 2}), 1s, out);
  call_and_record<double>(p, p.client, "add", json{{"a", 40}, {"b", 2}}, 1s, out);
  p.sched.run_until_idle();
  BOOST_TEST(out.completions == 2);
  BOOST_TEST(!out.error);
  BOOST_TEST(out.at.count() == tandem::duration(tandem::duration::zero()).count());
}

BOOST_AUTO_TEST_CASE(results_convert_to_the_callers_type) {
  session_pair p;
  std::vector<int> got;
  std::optional<rpc_error> failed;
  p.sys.spawn([&](tandem::actor_base* self) {
    p.client.call<std::vector<int>>(self, "echo", json::array({1, 2, 3}), 1s)
      .then([&](std::vector<int> v) { got = v; }, [](rpc_error) {});
    p.client.call<std::vector<int>>(self, "echo", json{{"not", "a list"}}, 1s)
      .then([](std::vector<int>) {}, [&](rpc_error e) { failed = e; });
  });
  p.sched.run_until_idle();
  BOOST_TEST(got == (std::vector<int>{1, 2, 3}));
  BOOST_TEST_REQUIRE(failed.has_value());
  BOOST_TEST(failed->code() == static_cast<int>(tandem::errc::unexpected_response));
}

BOOST_AUTO_TEST_CASE(a_delayed_answer_arrives_at_its_exact_virtual_time) {
  session_pair p;
  seen out;
  call_and_record(p, p.client, "delay", json{{"ms", 200}, {"value", "late"}}, 1s, out);
  p.sched.advance(199ms);
  BOOST_TEST(out.completions == 0);
  p.sched.advance(1ms);
  BOOST_TEST(out.completions == 1);
  BOOST_TEST(out.value.value_or(json("<none>")) == json("late"));
  BOOST_TEST(out.at.count() == tandem::duration(200ms).count());
}

BOOST_AUTO_TEST_CASE(a_timeout_fails_the_call_at_its_exact_time_and_cancels_it_at_the_server) {
  session_pair p;
  seen out;
  call_and_record(p, p.client, "delay", json{{"ms", 500}, {"value", 1}}, 100ms, out);
  p.sched.advance(100ms - 1ns);
  BOOST_TEST(out.completions == 0);
  p.sched.advance(1ns);
  BOOST_TEST_REQUIRE(out.completions == 1);
  BOOST_TEST_REQUIRE(out.error.has_value());
  BOOST_TEST(out.error->code() == static_cast<int>(tandem::errc::request_timeout));
  BOOST_TEST(out.at.count() == tandem::duration(100ms).count());
  // $/cancelRequest reached the server: its delay timer was cancelled, so
  // nothing is left to fire, and nothing completes twice.
  p.sched.run_until_idle();
  BOOST_TEST(p.sys.timers().pending() == 0u);
  p.sched.run_until_quiet();
  BOOST_TEST(out.completions == 1);
  BOOST_TEST(p.sys.timers().pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_late_response_is_dropped_by_id) {
  raw_peer_fixture server; // the raw end plays a server that answers late
  seen out;
  std::optional<std::int64_t> id;
  auto origin = server.sched.now();
  server.sys.spawn([&](tandem::actor_base* self) {
    auto call = server.session.call<int>(self, "slow", json::array(), 50ms);
    id = call.id();
    call.then(
      [&](int v) {
        out.value = v;
        ++out.completions;
      },
      [&](rpc_error e) {
        out.error = e;
        out.at = server.sched.now() - origin;
        ++out.completions;
      });
  });
  server.sched.run_until_idle();
  BOOST_TEST_REQUIRE(server.log.frames.size() == 1u);
  auto request = parse_frame(server.log.frames[0]);
  BOOST_TEST(request["method"] == "slow");
  BOOST_TEST(request["id"] == json(*id));
  server.log.frames.clear();
  server.sched.advance(50ms);
  BOOST_TEST_REQUIRE(out.error.has_value());
  BOOST_TEST(out.at.count() == tandem::duration(50ms).count());
  // The client told the server to stop.
  BOOST_TEST_REQUIRE(server.log.frames.size() == 1u);
  BOOST_TEST(parse_frame(server.log.frames[0])
             == json::parse(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":)"
                            + std::to_string(*id) + "}}"));
  // The answer arrives anyway: dropped, nothing completes twice, no reply.
  auto frames = server.exchange(R"({"jsonrpc":"2.0","result":5,"id":)" + std::to_string(*id) + "}");
  BOOST_TEST(frames.empty());
  BOOST_TEST(out.completions == 1);
  BOOST_TEST(!out.value.has_value());
}

BOOST_AUTO_TEST_CASE(the_caller_cancels_a_pending_call) {
  session_pair p;
  seen out;
  std::int64_t id = 0;
  call_and_record(p, p.client, "delay", json{{"ms", 1000}, {"value", 1}}, 10s, out, &id);
  p.sched.advance(10ms);
  BOOST_TEST(out.completions == 0);
  p.client.cancel(id);
  p.sched.run_until_idle();
  BOOST_TEST_REQUIRE(out.completions == 1);
  BOOST_TEST_REQUIRE(out.error.has_value());
  BOOST_TEST(out.error->code() == rpc::rpc_code::request_cancelled);
  BOOST_TEST(out.at.count() == tandem::duration(10ms).count());
  // The server cancelled its timer (on_cancel); cancelling again is ignored.
  BOOST_TEST(p.sys.timers().pending() == 0u);
  p.client.cancel(id);
  p.sched.run_until_quiet();
  BOOST_TEST(out.completions == 1);
  BOOST_TEST(p.sys.timers().pending() == 0u);
}

BOOST_AUTO_TEST_CASE(the_peer_cancels_an_incoming_call_and_its_later_answer_is_dropped) {
  raw_peer_fixture f{[] {
    rpc::session_options o;
    o.methods = make_service();
    return o;
  }()};
  auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"delay","params":{"ms":100,"value":1},"id":"d1"})");
  BOOST_TEST(frames.empty());
  f.sched.advance(30ms);
  frames = f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"d1"}})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto answer = parse_frame(frames[0]);
  BOOST_TEST(answer["id"] == "d1");
  BOOST_TEST(answer["error"]["code"] == rpc::rpc_code::request_cancelled);
  f.log.frames.clear();
  f.sched.advance(200ms);
  BOOST_TEST(f.log.frames.empty());
  // Unknown and finished ids are ignored.
  frames = f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"d1"}})");
  BOOST_TEST(frames.empty());
  frames = f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}})");
  BOOST_TEST(frames.empty());
}

BOOST_AUTO_TEST_CASE(cancellation_finds_a_call_by_its_exact_id) {
  // Ids that compare equal as numbers or look alike as text are still
  // different ids: 1, 1.0, "1", "\u00e9" and its escaped form, a big unsigned.
  raw_peer_fixture f{[] {
    rpc::session_options o;
    o.methods = make_service();
    return o;
  }()};
  std::vector<std::string> ids = {"1", "1.0", "\"1\"", "\"\u00e9\"", "18446744073709551615", "-1", "null"};
  for (const auto& id : ids) {
    auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"delay","params":{"ms":100,"value":1},"id":)" + id + "}");
    BOOST_TEST(frames.empty());
  }
  for (const auto& id : ids) {
    BOOST_TEST_CONTEXT("id " << id) {
      auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":)" + id + "}}");
      BOOST_TEST_REQUIRE(frames.size() == 1u);
      auto answer = parse_frame(frames[0]);
      BOOST_TEST(answer["id"].dump() == json::parse(id).dump());
      BOOST_TEST(answer["error"]["code"] == rpc::rpc_code::request_cancelled);
      // Cancelling it again finds nothing.
      BOOST_TEST(f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":)" + id + "}}").empty());
    }
  }
  f.log.frames.clear();
  f.sched.advance(200ms);
  BOOST_TEST(f.log.frames.empty());
}

BOOST_AUTO_TEST_CASE(a_handler_that_answers_after_cancellation_is_ignored) {
  // The handler keeps its promise and answers long after the cancellation:
  // the caller has already had -32800, exactly once.
  auto svc = std::make_shared<rpc::service>();
  std::vector<rpc::rpc_promise<int>> kept;
  svc->add("hold", [&kept](rpc::call_context& ctx) {
    kept.push_back(ctx.promise<int>());
    return kept.back();
  });
  rpc::session_options o;
  o.methods = svc;
  raw_peer_fixture f{o};
  f.exchange(R"({"jsonrpc":"2.0","method":"hold","id":1})");
  auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0])["error"]["code"] == rpc::rpc_code::request_cancelled);
  BOOST_TEST_REQUIRE(kept.size() == 1u);
  BOOST_TEST(kept[0].cancelled());
  BOOST_TEST(!kept[0].deliver(5));
  f.sched.run_until_idle();
  BOOST_TEST(f.log.frames.size() == 1u);
}

BOOST_AUTO_TEST_CASE(disconnect_fails_every_pending_call_on_both_sides) {
  session_pair p;
  seen slow;
  seen slower;
  call_and_record(p, p.client, "delay", json{{"ms", 100}, {"value", 1}}, rpc::no_timeout, slow);
  call_and_record(p, p.client, "delay", json{{"ms", 900}, {"value", 2}}, rpc::no_timeout, slower);
  // A call the server makes to the client, which serves nothing: answered
  // -32601 at once; and one left hanging at a raw handler below.
  p.sched.advance(50ms);
  p.server.close();
  p.sched.run_until_idle();
  for (auto* s : {&slow, &slower}) {
    BOOST_TEST_REQUIRE(s->completions == 1);
    BOOST_TEST_REQUIRE(s->error.has_value());
    BOOST_TEST(s->error->code() == static_cast<int>(tandem::errc::channel_closed));
    BOOST_TEST(s->at.count() == tandem::duration(50ms).count());
  }
  // Both sessions quit; the server's delay timers were cancelled.
  p.sched.run_until_quiet();
  BOOST_TEST(p.sys.live_actors() == 0u);
  BOOST_TEST(p.sys.timers().pending() == 0u);
  // Calls after the disconnect fail at once.
  seen after;
  call_and_record(p, p.client, "add", json::array({1, 2}), 1s, after);
  p.sched.run_until_idle();
  BOOST_TEST_REQUIRE(after.error.has_value());
  BOOST_TEST(after.error->code() == static_cast<int>(tandem::errc::receiver_down));
}

BOOST_AUTO_TEST_CASE(a_stream_arrives_in_order_before_its_result) {
  tandem::deterministic_scheduler sched{3};
  tandem::actor_system sys{sched};
  auto origin = sched.now();
  std::vector<std::string> events;
  // The caller also receives the session's notifications: both come from the
  // session actor, so their order is the wire's order.
  auto caller = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{
      [&, self](rpc::session_handle s) {
        s.call<int>(self, "ticks", json{{"n", 3}, {"interval_ms", 10}}, 1s)
          .then([&](int n) {
            events.push_back("result " + std::to_string(n) + " at "
                             + std::to_string((sched.now() - origin) / 1ms));
          });
      },
      [&](rpc::rpc_notification& n) {
        events.push_back(n.method + " " + n.params["seq"].dump() + " at "
                         + std::to_string((sched.now() - origin) / 1ms));
      }};
  });
  auto [a, b] = rpc::make_in_process_pair();
  rpc::session_options server_opts;
  server_opts.methods = make_service();
  rpc::spawn_session(sys, std::move(a), server_opts);
  rpc::session_options client_opts;
  client_opts.notifications = caller;
  auto client = rpc::spawn_session(sys, std::move(b), client_opts);
  tandem::send(caller, client);
  sched.advance(100ms);
  BOOST_TEST(events == (std::vector<std::string>{"tick 1 at 10", "tick 2 at 20", "tick 3 at 30", "result 3 at 30"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stream_items_carry_the_call_id_and_reach_on_stream_before_the_result) {
  auto svc = make_service();
  svc->add("count", [](std::vector<int> params, rpc::call_context& ctx) {
    int n = params.at(0);
    auto promise = ctx.promise<int>();
    ctx.stream(0); // during the handler
    for (int i = 1; i <= n; ++i)
      ctx.self()->run_later(i * 5ms, [promise, i, n]() mutable {
        promise.stream(i); // later, from a continuation
        if (i == n)
          promise.deliver(n);
      });
    return promise;
  });
  rpc::session_options server_opts;
  server_opts.methods = svc;
  session_pair p{{}, server_opts};
  std::vector<std::string> events;
  std::vector<std::string> other_calls;
  p.sys.spawn([&](tandem::actor_base* self) {
    p.client
      .call<int>(self, "count", json::array({3}), 1s,
                 [&](json item) {
                   events.push_back("item " + item.dump() + " at " + std::to_string(p.elapsed() / 1ms));
                 })
      .then([&](int n) { events.push_back("result " + std::to_string(n) + " at " + std::to_string(p.elapsed() / 1ms)); });
    // A second stream at the same time: items go to their own call only.
    p.client.call<int>(self, "count", json::array({1}), 1s, [&](json item) { other_calls.push_back(item.dump()); })
      .then([&](int) { other_calls.push_back("done"); });
  });
  p.sched.advance(50ms);
  BOOST_TEST(events == (std::vector<std::string>{"item 0 at 0", "item 1 at 5", "item 2 at 10", "item 3 at 15",
                                                 "result 3 at 15"}),
             boost::test_tools::per_element());
  BOOST_TEST(other_calls == (std::vector<std::string>{"0", "1", "done"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stream_on_the_wire_names_its_call) {
  auto svc = std::make_shared<rpc::service>();
  svc->add("two", [](rpc::call_context& ctx) {
    ctx.stream("a");
    ctx.notify("plain", json{{"seq", 1}});
    return 2;
  });
  rpc::session_options o;
  o.methods = svc;
  raw_peer_fixture f{o};
  auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"two","id":"x"})");
  BOOST_TEST_REQUIRE(frames.size() == 3u);
  BOOST_TEST(parse_frame(frames[0])
             == json::parse(R"({"jsonrpc":"2.0","method":"$/stream","params":{"id":"x","value":"a"}})"));
  BOOST_TEST(parse_frame(frames[1]) == json::parse(R"({"jsonrpc":"2.0","method":"plain","params":{"seq":1}})"));
  BOOST_TEST(parse_frame(frames[2]) == json::parse(R"({"jsonrpc":"2.0","result":2,"id":"x"})"));
}

BOOST_AUTO_TEST_CASE(both_ends_call_each_other) {
  // The server's handler asks the client before it answers.
  auto server_svc = make_service();
  server_svc->add("greet", [](rpc::call_context& ctx) {
    auto promise = ctx.promise<std::string>();
    ctx.peer().call<std::string>(ctx.self(), "whoami", nullptr, 1s)
      .then([promise](std::string name) mutable { promise.deliver("hello, " + name); },
            [promise](rpc_error e) mutable { promise.fail(e); });
    return promise;
  });
  auto client_svc = std::make_shared<rpc::service>();
  client_svc->add("whoami", [] { return std::string{"client"}; });
  rpc::session_options client_opts;
  client_opts.methods = client_svc;
  rpc::session_options server_opts;
  server_opts.methods = server_svc;
  session_pair p{client_opts, server_opts};
  seen greeting;
  seen sum;
  call_and_record(p, p.client, "greet", nullptr, 1s, greeting);
  call_and_record(p, p.server, "whoami", nullptr, 1s, sum); // the server calls the client directly too
  p.sched.run_until_idle();
  BOOST_TEST(greeting.value.value_or(json("<none>")) == json("hello, client"));
  BOOST_TEST(sum.value.value_or(json("<none>")) == json("client"));
}

BOOST_AUTO_TEST_CASE(handler_errors_become_answers_and_the_session_lives_on) {
  auto svc = make_service();
  svc->add("throws", [](json) -> int { throw std::runtime_error("boom"); });
  svc->add("unknown_throw", [](json) -> int { throw 42; });
  svc->add("expected_error", [](json) -> tandem::expected<int> {
    return tandem::error{-32050, "not today"};
  });
  svc->add("tandem_error", [](json) { return tandem::error{tandem::errc::mailbox_full, "busy"}; });
  svc->add("returns_rpc_error", [](json) { return rpc_error{-32002, "custom", json{1, 2}}; });
  svc->add("drops_promise", [](rpc::call_context& ctx) { (void) ctx.promise<int>(); });
  svc->add("bad_utf8", [] { return std::string{"\xff\xfe"}; });
  rpc::session_options o;
  o.methods = svc;
  raw_peer_fixture f{o};
  struct expectation {
    std::string method;
    int code;
    std::string message_start;
  };
  const std::vector<expectation> cases = {
    {"throws", rpc::rpc_code::internal_error, "Internal error: boom"},
    {"unknown_throw", rpc::rpc_code::internal_error, "Internal error"},
    {"expected_error", -32050, "not today"},
    {"tandem_error", rpc::rpc_code::internal_error, "Internal error: mailbox_full: busy"},
    {"returns_rpc_error", -32002, "custom"},
    {"fail", -32001, "this method always fails"},
    {"drops_promise", rpc::rpc_code::internal_error, "Internal error"},
    {"bad_utf8", rpc::rpc_code::internal_error, "Internal error"},
    {"add", rpc::rpc_code::invalid_params, "Invalid params"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.method) {
      auto frames = f.exchange(R"({"jsonrpc":"2.0","method":")" + c.method + R"(","params":["x"],"id":1})");
      BOOST_TEST_REQUIRE(frames.size() == 1u);
      auto answer = parse_frame(frames[0]);
      BOOST_TEST(answer["id"] == 1);
      BOOST_TEST(answer["error"]["code"] == c.code);
      BOOST_TEST(answer["error"]["message"].get<std::string>().rfind(c.message_start, 0) == 0u);
    }
  }
  auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"returns_rpc_error","id":2})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0])["error"]["data"] == json({1, 2}));
  frames = f.exchange(R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":3})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0])["result"] == 5);
}

BOOST_AUTO_TEST_CASE(calls_from_outside_actors_complete_a_oneshot) {
  session_pair p;
  auto sum = p.client.call<int>("add", json::array({20, 22}), 1s);
  auto slow = p.client.call<int>("delay", json{{"ms", 50}, {"value", 7}}, 10ms);
  auto wrong = p.client.call<int>("nope", nullptr);
  p.sched.run_until_quiet();
  auto s = sum.try_receive();
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST_REQUIRE(s->has_value());
  BOOST_TEST(s->value() == 42);
  auto t = slow.try_receive();
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->error_value().code() == static_cast<int>(tandem::errc::request_timeout));
  auto w = wrong.try_receive();
  BOOST_TEST_REQUIRE(w.has_value());
  BOOST_TEST(w->error_value().code() == rpc::rpc_code::method_not_found);
}

BOOST_AUTO_TEST_CASE(a_oneshot_call_receives_its_stream_before_its_result) {
  auto svc = make_service();
  svc->add("count", [](std::vector<int> params, rpc::call_context& ctx) {
    int n = params.at(0);
    auto promise = ctx.promise<int>();
    for (int i = 1; i <= n; ++i)
      ctx.self()->run_later(i * 5ms, [promise, i, n]() mutable {
        promise.stream(i);
        if (i == n)
          promise.deliver(n);
      });
    return promise;
  });
  rpc::session_options server_opts;
  server_opts.methods = svc;
  session_pair p{{}, server_opts};
  std::vector<std::string> events;
  auto rx = p.client.call<int>("count", json::array({3}), 1s, [&](json item) {
    events.push_back("item " + item.dump() + " at " + std::to_string(p.elapsed() / 1ms));
  });
  // A move-only callable works too; a second call's items stay its own.
  std::vector<int> other;
  auto owned = std::make_unique<std::vector<int>*>(&other);
  auto rx2 = p.client.call<int>("count", json::array({1}), 1s,
                                [owned = std::move(owned)](json item) { (*owned)->push_back(item.get<int>()); });
  rx.on_complete([&](tandem::expected<int> r) {
    events.push_back("result " + (r ? std::to_string(*r) : tandem::to_string(r.error_value())) + " at "
                     + std::to_string(p.elapsed() / 1ms));
  });
  p.sched.advance(50ms);
  BOOST_TEST(events == (std::vector<std::string>{"item 1 at 5", "item 2 at 10", "item 3 at 15", "result 3 at 15"}),
             boost::test_tools::per_element());
  BOOST_TEST(other == (std::vector<int>{1}), boost::test_tools::per_element());
  auto r2 = rx2.try_receive();
  BOOST_TEST_REQUIRE(r2.has_value());
  BOOST_TEST(r2->value() == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_call_keeps_the_peers_error_data_through_tandem_error) {
  // The demo's "fail" answers -32001 with data {"reason": "demo"}.
  session_pair p;
  const json reason = {{"reason", "demo"}};
  auto rx = p.client.call<int>("fail", nullptr, 1s);
  std::optional<tandem::error> as_error;
  std::optional<rpc_error> as_rpc_error;
  p.sys.spawn([&](tandem::actor_base* self) {
    p.client.call<int>(self, "fail", nullptr, 1s).then([](int) {}, [&](const tandem::error& e) { as_error = e; });
    p.client.call<int>(self, "fail", nullptr, 1s).then([](int) {}, [&](const rpc_error& e) { as_rpc_error = e; });
  });
  p.sched.run_until_quiet();
  auto r = rx.try_receive();
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST_REQUIRE(!r->has_value());
  rpc_error from_oneshot{r->error_value()};
  BOOST_TEST(from_oneshot.code() == demo::fail_code);
  BOOST_TEST(from_oneshot.data().value_or(json("<none>")) == reason);
  BOOST_TEST_REQUIRE(as_error.has_value());
  BOOST_TEST(rpc_error{*as_error}.data().value_or(json("<none>")) == reason);
  BOOST_TEST_REQUIRE(as_rpc_error.has_value());
  BOOST_TEST(as_rpc_error->data().value_or(json("<none>")) == reason);
  // And back: a handler answering with a tandem::error made from an
  // rpc_error (e.g. forwarding a failed call's error) sends its data.
  auto svc = make_service();
  svc->add("forwards", [](json) -> tandem::expected<int> {
    return rpc_error{-32010, "forwarded", json{{"from", "upstream"}}}.to_error();
  });
  rpc::session_options o;
  o.methods = svc;
  raw_peer_fixture f{o};
  auto frames = f.exchange(R"({"jsonrpc":"2.0","method":"forwards","id":1})");
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(parse_frame(frames[0])["error"] == json::parse(R"({"code":-32010,"message":"forwarded","data":{"from":"upstream"}})"));
}

BOOST_AUTO_TEST_CASE(notifications_reach_handlers_or_the_sink_and_get_no_answer) {
  std::vector<std::string> seen_by_handler;
  std::vector<std::string> seen_by_sink;
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto svc = std::make_shared<rpc::service>();
  svc->add("log", [&](std::string line) { seen_by_handler.push_back(line); });
  auto sink = sys.spawn([&](tandem::actor_base*) {
    return tandem::behavior{[&](rpc::rpc_notification& n) { seen_by_sink.push_back(n.method + n.params.dump()); }};
  });
  auto [a, b] = rpc::make_in_process_pair();
  rpc::session_options server_opts;
  server_opts.methods = svc;
  server_opts.notifications = sink;
  rpc::spawn_session(sys, std::move(a), server_opts);
  auto client = rpc::spawn_session(sys, std::move(b), {});
  client.notify("log", json::array({"hello"}));
  client.notify("other", json{{"x", 1}});
  sched.run_until_idle();
  BOOST_TEST(seen_by_sink == (std::vector<std::string>{R"(other{"x":1})"}));
  // A notification whose params do not convert is dropped without an answer.
  BOOST_TEST(seen_by_handler.empty());
}

BOOST_AUTO_TEST_CASE(sessions_run_on_every_backend) {
  // Many calls at once, answers from the session itself, from timers and
  // from another actor (another thread on the CAF pool), and a stream: the
  // same code on every backend (and under TSan natively).
  for (auto& backend : tandem_test::all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      auto helper = sys.spawn([](tandem::actor_base* self) {
        return tandem::behavior{[](rpc::rpc_promise<int> p) {
                                  p.notify("progress", json{{"step", 1}});
                                  p.deliver(42);
                                },
                                [self](tandem_test::stop) { self->quit(); }};
      });
      auto svc = make_service();
      svc->add("elsewhere", [helper](rpc::call_context& ctx) {
        auto p = ctx.promise<int>();
        tandem::send(helper, p);
        return p;
      });
      auto [a, b] = rpc::make_in_process_pair();
      rpc::session_options server_opts;
      server_opts.methods = svc;
      rpc::spawn_session(sys, std::move(a), server_opts);
      auto client = rpc::spawn_session(sys, std::move(b));
      constexpr int calls = 200;
      std::atomic<int> good{0};
      std::atomic<int> done{0};
      sys.spawn([&, client, helper](tandem::actor_base* self) {
        auto finish = [&, client, helper](bool ok) {
          if (ok)
            ++good;
          if (++done == calls) {
            client.close();
            tandem::send(helper, tandem_test::stop{});
          }
        };
        for (int i = 0; i < calls; ++i) {
          switch (i % 4) {
            case 0:
              client.call<double>(self, "add", json::array({i, 1}), 10s)
                .then([finish, i](double v) { finish(v == i + 1); }, [finish](rpc_error) { finish(false); });
              break;
            case 1:
              client.call<int>(self, "delay", json{{"ms", 1}, {"value", i}}, 10s)
                .then([finish, i](int v) { finish(v == i); }, [finish](rpc_error) { finish(false); });
              break;
            case 2:
              client.call<int>(self, "elsewhere", nullptr, 10s)
                .then([finish](int v) { finish(v == 42); }, [finish](rpc_error) { finish(false); });
              break;
            default:
              client.call<int>(self, "ticks", json{{"n", 2}, {"interval_ms", 1}}, 10s)
                .then([finish](int n) { finish(n == 2); }, [finish](rpc_error) { finish(false); });
              break;
          }
        }
      });
      sys.await_all_actors_done();
      BOOST_TEST(done.load() == calls);
      BOOST_TEST(good.load() == calls);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
