// session_client: a client that keeps a session to a server, on the
// deterministic backend (virtual time) over in-process pairs: calls and their
// errors, notifications, connection loss failing calls in flight, refused
// attempts retried with exponential backoff, close.

#include "session_support.hpp"

#include <tandem/session.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using tandem::session::json;
namespace rpc = tandem::session;

namespace tandem::session {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& os, client_state s) { return os << to_string(s); }
} // namespace tandem::session

namespace {

struct outcome {
  std::int64_t call;
  std::optional<json> result;
  std::optional<rpc::rpc_error> error;
  tandem::time_point at;
};

struct state_event {
  rpc::client_state state;
  std::string detail;
  tandem::duration retry_in;
  tandem::time_point at;
};

/// A client whose factory connects it to a server session (the demo
/// service) in the same system while `server_up`, and is refused otherwise.
struct client_fixture {
  client_fixture() : sched(11), sys(sched) {}

  void start(rpc::reconnect_policy policy = {250ms, 2s},
             const std::function<void(rpc::client_options&)>& adjust = {}) {
    rpc::client_options opts;
    opts.reconnect = policy;
    opts.connect = [this](std::function<void()> on_open)
      -> tandem::expected<std::unique_ptr<rpc::connection>> {
      ++attempts;
      attempt_times.push_back(sched.now());
      if (!server_up)
        return tandem::error{tandem::errc::channel_closed, "connection refused"};
      auto [a, b] = rpc::make_in_process_pair();
      rpc::session_options so;
      so.methods = demo::make_service();
      server = rpc::spawn_session(sys, std::move(b), std::move(so));
      on_open();
      return std::move(a);
    };
    opts.events.on_state = [this](rpc::client_state s, const std::string& detail, tandem::duration retry) {
      states.push_back({s, detail, retry, sched.now()});
    };
    opts.events.on_notification = [this](rpc::rpc_notification& n) {
      notifications.push_back(json{{"method", n.method}, {"params", n.params}});
    };
    opts.events.on_result = [this](std::int64_t call, json& r) {
      outcomes.push_back({call, r, std::nullopt, sched.now()});
    };
    opts.events.on_error = [this](std::int64_t call, const rpc::rpc_error& e) {
      outcomes.push_back({call, std::nullopt, e, sched.now()});
    };
    if (adjust)
      adjust(opts);
    client = rpc::spawn_session_client(sys, std::move(opts));
    sched.run_until_idle();
  }

  void call(std::int64_t id, std::string method, json params, tandem::duration timeout = rpc::no_timeout) {
    tandem::send(client, rpc::client_call{id, std::move(method), std::move(params), timeout});
    sched.run_until_idle();
  }

  const outcome* find(std::int64_t call) const {
    for (const auto& o : outcomes)
      if (o.call == call)
        return &o;
    return nullptr;
  }

  /// Whether `a` has terminated (a monitor tells at once if it has).
  bool is_down(const tandem::actor& a) {
    auto down = std::make_shared<bool>(false);
    sys.spawn([a, down](tandem::actor_base* self) {
      self->monitor(a);
      return tandem::behavior{[down, self](tandem::down_msg&) {
        *down = true;
        self->quit();
      }};
    });
    sched.run_until_idle();
    return *down;
  }

  rpc::client_state last_state() const { return states.back().state; }

  std::vector<rpc::client_state> state_names() const {
    std::vector<rpc::client_state> out;
    for (const auto& s : states)
      out.push_back(s.state);
    return out;
  }

  tandem::deterministic_scheduler sched;
  tandem::actor_system sys;
  bool server_up = true;
  int attempts = 0;
  std::vector<tandem::time_point> attempt_times;
  rpc::session_handle server;
  tandem::actor client;
  std::vector<state_event> states;
  std::vector<json> notifications;
  std::vector<outcome> outcomes;
};

using cs = rpc::client_state;

} // namespace

BOOST_AUTO_TEST_SUITE(session_client)

BOOST_FIXTURE_TEST_CASE(opens_and_answers_calls_with_results_and_errors, client_fixture) {
  start();
  BOOST_TEST((state_names() == std::vector<cs>{cs::connecting, cs::open}));
  call(1, "add", json::array({2, 40}));
  call(2, "echo", json{{"text", "héllo"}});
  call(3, "fail", nullptr);
  call(4, "nope", nullptr);
  BOOST_REQUIRE_EQUAL(outcomes.size(), 4u);
  BOOST_TEST(find(1)->result.value() == json(42));
  BOOST_TEST(find(2)->result.value() == (json{{"text", "héllo"}}));
  BOOST_REQUIRE(find(3)->error);
  BOOST_TEST(find(3)->error->code() == demo::fail_code);
  BOOST_TEST(find(3)->error->data().value() == (json{{"reason", "demo"}}));
  BOOST_TEST(find(4)->error->code() == rpc::rpc_code::method_not_found);
  BOOST_TEST(attempts == 1);
}

BOOST_FIXTURE_TEST_CASE(notifications_arrive_in_order_before_the_result, client_fixture) {
  start();
  call(1, "ticks", json{{"n", 3}, {"interval_ms", 100}});
  sched.advance(250ms);
  BOOST_TEST(notifications.size() == 2u);
  BOOST_TEST(outcomes.empty());
  sched.advance(100ms);
  BOOST_REQUIRE_EQUAL(notifications.size(), 3u);
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(notifications[i] == (json{{"method", "tick"}, {"params", {{"seq", i + 1}}}}));
  BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
  BOOST_TEST(outcomes[0].result.value() == json(3));
}

BOOST_FIXTURE_TEST_CASE(a_call_times_out_after_its_timeout, client_fixture) {
  start();
  auto t0 = sched.now();
  call(1, "delay", json{{"ms", 2000}, {"value", "late"}}, 300ms);
  sched.advance(299ms);
  BOOST_TEST(outcomes.empty());
  sched.advance(1ms);
  BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
  BOOST_TEST(outcomes[0].error->code() == static_cast<int>(tandem::errc::request_timeout));
  BOOST_TEST((outcomes[0].at - t0 == 300ms));
  sched.advance(3s); // the late answer is dropped
  BOOST_TEST(outcomes.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(cancel_fails_the_call_at_once_and_unknown_numbers_are_ignored, client_fixture) {
  start();
  call(1, "delay", json{{"ms", 5000}, {"value", 1}});
  call(2, "delay", json{{"ms", 100}, {"value", 2}});
  sched.advance(50ms);
  tandem::send(client, rpc::client_cancel{1});
  tandem::send(client, rpc::client_cancel{99});
  sched.run_until_idle();
  BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
  BOOST_TEST(outcomes[0].call == 1);
  BOOST_TEST(outcomes[0].error->code() == rpc::rpc_code::request_cancelled);
  sched.advance(10s);
  BOOST_REQUIRE_EQUAL(outcomes.size(), 2u);
  BOOST_TEST(find(2)->result.value() == json(2));
  tandem::send(client, rpc::client_cancel{2}); // finished: ignored
  sched.run_until_idle();
  BOOST_TEST(outcomes.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(losing_the_connection_fails_calls_in_flight_and_reconnects, client_fixture) {
  start();
  call(1, "delay", json{{"ms", 5000}, {"value", 1}}, 10s);
  sched.advance(10ms);
  server_up = false;
  server.close();
  sched.run_until_idle();
  BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
  BOOST_TEST(outcomes[0].error->code() == static_cast<int>(tandem::errc::channel_closed));
  BOOST_TEST(last_state() == cs::disconnected);
  BOOST_TEST((states.back().retry_in == 250ms));
  // While disconnected, calls fail at once.
  call(2, "add", json::array({1, 2}));
  BOOST_REQUIRE_EQUAL(outcomes.size(), 2u);
  BOOST_TEST(outcomes[1].error->code() == static_cast<int>(tandem::errc::channel_closed));
  // The server comes back; the next attempt, 250 ms later, opens.
  server_up = true;
  sched.advance(249ms);
  BOOST_TEST(attempts == 1);
  sched.advance(1ms);
  BOOST_TEST(attempts == 2);
  BOOST_TEST(last_state() == cs::open);
  call(3, "add", json::array({1, 2}));
  BOOST_TEST(find(3)->result.value() == json(3));
}

BOOST_FIXTURE_TEST_CASE(refused_attempts_back_off_exponentially_up_to_the_maximum, client_fixture) {
  server_up = false;
  start({100ms, 1s});
  sched.advance(100ms + 200ms + 400ms + 800ms + 1s + 1s);
  BOOST_REQUIRE_EQUAL(attempt_times.size(), 7u);
  std::vector<tandem::duration> gaps;
  for (std::size_t i = 1; i < attempt_times.size(); ++i)
    gaps.push_back(attempt_times[i] - attempt_times[i - 1]);
  BOOST_TEST((gaps == std::vector<tandem::duration>{100ms, 200ms, 400ms, 800ms, 1s, 1s}));
  BOOST_TEST(last_state() == cs::disconnected);
  BOOST_TEST(states.back().detail == "connection refused");
  // Once a connection opens, the next loss waits the initial time again.
  server_up = true;
  sched.advance(1s);
  BOOST_TEST(last_state() == cs::open);
  auto opened_at = sched.now();
  server.close();
  sched.run_until_idle();
  BOOST_TEST(last_state() == cs::disconnected);
  sched.advance(100ms);
  BOOST_TEST(last_state() == cs::open);
  BOOST_TEST((attempt_times.back() - opened_at == 100ms));
}

BOOST_FIXTURE_TEST_CASE(close_fails_pending_calls_reports_closed_last_and_stops_retrying, client_fixture) {
  start();
  call(1, "delay", json{{"ms", 5000}, {"value", 1}});
  tandem::send(client, rpc::client_close{});
  tandem::send(client, rpc::client_call{2, "add", json::array({1, 2}), rpc::no_timeout});
  sched.run_until_idle();
  BOOST_REQUIRE_EQUAL(outcomes.size(), 2u);
  for (const auto& o : outcomes)
    BOOST_TEST(o.error->code() == static_cast<int>(tandem::errc::channel_closed));
  BOOST_TEST(last_state() == cs::closed);
  BOOST_TEST(std::count_if(states.begin(), states.end(), [](auto& s) { return s.state == cs::closed; }) == 1);
  sched.advance(1min);
  BOOST_TEST(attempts == 1);
  BOOST_TEST(is_down(client));
  BOOST_TEST(is_down(server.as_actor()));
}

BOOST_FIXTURE_TEST_CASE(close_while_waiting_to_retry_ends_at_once, client_fixture) {
  server_up = false;
  start();
  BOOST_TEST(last_state() == cs::disconnected);
  tandem::send(client, rpc::client_close{});
  sched.run_until_idle();
  BOOST_TEST(last_state() == cs::closed);
  sched.advance(1min);
  BOOST_TEST(attempts == 1);
}

BOOST_FIXTURE_TEST_CASE(a_client_that_fails_closes_its_session, client_fixture) {
  // A callback that throws fails the client actor (an exception in a
  // handler); its session must not outlive it.
  start({}, [](rpc::client_options& opts) {
    opts.events.on_result = [](std::int64_t, json&) { throw std::runtime_error("callback failed"); };
  });
  BOOST_TEST(last_state() == cs::open);
  BOOST_TEST(!is_down(server.as_actor()));
  call(1, "add", json::array({1, 2}));
  BOOST_TEST(is_down(client));
  BOOST_TEST(is_down(server.as_actor()));
}

BOOST_AUTO_TEST_SUITE_END()
