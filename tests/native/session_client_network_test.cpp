// session_client over real loopback WebSocket and TCP on the CAF pool: a
// server that stops fails the call in flight, the client retries while it is
// refused, and reconnects once a server listens on the port again. Real time
// with loose bounds; the backoff itself is checked in virtual time
// (session_client_test.cpp).

#include "../test_support.hpp"
#include "../../examples/rpc_session_demo/demo_service.hpp"
#include "raw_clients.hpp"

#include <tandem/session.hpp>
#include <tandem/session/connect.hpp>
#include <tandem/session/serve.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using tandem::session::json;
using tandem_test::eventually;
namespace rpc = tandem::session;

namespace {

struct outcome {
  std::int64_t call;
  std::optional<json> result;
  int error_code = 0;
};

std::unique_ptr<rpc::network_server> start_server(tandem::actor_system& sys, std::uint16_t ws_port,
                                                  std::uint16_t tcp_port) {
  rpc::server_options opts;
  opts.websocket_port = ws_port;
  opts.tcp_port = tcp_port;
  opts.stop_grace = 200ms;
  rpc::session_options s;
  s.methods = demo::make_service();
  auto started = rpc::serve(sys, std::move(opts), s);
  BOOST_REQUIRE_MESSAGE(started.has_value(), "serve failed");
  return std::move(*started);
}

void reconnects_after_a_server_restart(bool websocket) {
  // The callbacks' targets first: they outlive both systems.
  tandem_test::collector<outcome> outcomes;
  tandem_test::collector<std::string> states;
  std::atomic<int> attempts{0};
  tandem::actor_system server_sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  auto server = start_server(server_sys, 0, 0);
  auto ws_port = server->websocket_port();
  auto tcp_port = server->tcp_port();
  auto url = websocket ? server->websocket_url() : server->tcp_url();

  rpc::client_options opts;
  opts.reconnect = {20ms, 100ms};
  opts.connect = [url, &attempts](std::function<void()> on_open)
    -> tandem::expected<std::unique_ptr<rpc::connection>> {
    ++attempts;
    auto conn = rpc::connect(url, {}, 2000ms);
    if (conn)
      on_open();
    return conn;
  };
  opts.events.on_state = [&states](rpc::client_state s, const std::string&, tandem::duration) {
    states.push(rpc::to_string(s));
  };
  opts.events.on_result = [&outcomes](std::int64_t call, json& r) { outcomes.push({call, r, 0}); };
  opts.events.on_error = [&outcomes](std::int64_t call, const rpc::rpc_error& e) {
    outcomes.push({call, std::nullopt, e.code()});
  };
  auto client = rpc::spawn_session_client(sys, std::move(opts));
  auto find = [&](std::int64_t call) -> std::optional<outcome> {
    for (auto& o : outcomes.items())
      if (o.call == call)
        return o;
    return std::nullopt;
  };
  auto opens = [&] {
    auto s = states.items();
    return std::count(s.begin(), s.end(), "open");
  };

  BOOST_REQUIRE(eventually([&] { return opens() == 1; }));
  tandem::send(client, rpc::client_call{1, "add", json::array({2, 40}), 5s});
  BOOST_REQUIRE(eventually([&] { return find(1).has_value(); }));
  BOOST_TEST(find(1)->result.value() == json(42));

  // A call in flight when the server stops fails as a disconnect.
  tandem::send(client, rpc::client_call{2, "delay", json{{"ms", 10000}, {"value", 1}}, 20s});
  std::this_thread::sleep_for(50ms); // let the call reach the server (loose)
  server->stop();
  server.reset();
  BOOST_REQUIRE(eventually([&] { return find(2).has_value(); }, 5000ms));
  BOOST_TEST(find(2)->error_code == static_cast<int>(tandem::errc::channel_closed));

  // Refused while nothing listens; back once a server does again.
  BOOST_REQUIRE(eventually([&] { return attempts.load() >= 3; }));
  BOOST_TEST(opens() == 1);
  server = start_server(server_sys, ws_port, tcp_port);
  BOOST_REQUIRE(eventually([&] { return opens() == 2; }));
  tandem::send(client, rpc::client_call{3, "add", json::array({1, 2}), 5s});
  BOOST_REQUIRE(eventually([&] { return find(3).has_value(); }));
  BOOST_TEST(find(3)->result.value() == json(3));

  tandem::send(client, rpc::client_close{});
  BOOST_REQUIRE(eventually([&] { return !states.items().empty() && states.items().back() == "closed"; }));
  BOOST_TEST(eventually([&] { return server->open_connections() == 0; }));
  server->stop();
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_client_network)

BOOST_AUTO_TEST_CASE(websocket_reconnects_after_a_server_restart) { reconnects_after_a_server_restart(true); }

BOOST_AUTO_TEST_CASE(tcp_reconnects_after_a_server_restart) { reconnects_after_a_server_restart(false); }

BOOST_AUTO_TEST_SUITE_END()
