#pragma once

// Helpers for the session tests: a session on the deterministic backend
// talking to a raw peer (the other end of an in-process pair, driven by the
// test with exact frames), and a demo-like service.

#include "test_support.hpp"

#include <tandem/session.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace tandem_test {

using tandem::session::json;

/// Frames the raw end received, and whether it was closed.
struct wire_log {
  std::vector<std::string> frames;
  std::vector<tandem::error> closed;
};

inline tandem::actor spawn_wire_recorder(tandem::actor_system& sys, wire_log& log) {
  return sys.spawn([&log](tandem::actor_base* self) {
    return tandem::behavior{
      [&log](tandem::session::inbound_frame& f) { log.frames.push_back(std::move(f.text)); },
      [&log, self](tandem::session::transport_closed& c) {
        log.closed.push_back(c.reason);
        self->quit();
      }};
  });
}

/// A session under test (deterministic backend) and the raw other end.
struct raw_peer_fixture {
  explicit raw_peer_fixture(tandem::session::session_options opts = {}, std::uint64_t seed = 7)
      : sched(seed), sys(sched) {
    auto [a, b] = tandem::session::make_in_process_pair();
    session = tandem::session::spawn_session(sys, std::move(a), std::move(opts));
    wire = std::move(b);
    recorder = spawn_wire_recorder(sys, log);
    wire->start(recorder);
    sched.run_until_idle();
  }

  /// Writes `frame` and runs until nothing is runnable; returns what came back.
  std::vector<std::string> exchange(const std::string& frame) {
    log.frames.clear();
    wire->write(frame);
    sched.run_until_idle();
    return log.frames;
  }

  tandem::deterministic_scheduler sched;
  tandem::actor_system sys;
  tandem::session::session_handle session;
  std::unique_ptr<tandem::session::connection> wire;
  wire_log log;
  tandem::actor recorder;
};

/// A response with its error message cut to the spec's text (before ':'),
/// batches sorted (they may be answered in any order).
inline json normalized(const json& j) {
  if (j.is_array()) {
    std::vector<json> items;
    for (const auto& x : j)
      items.push_back(normalized(x));
    std::sort(items.begin(), items.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
    return json(items);
  }
  json out = j;
  if (out.is_object() && out.contains("error") && out["error"].is_object()
      && out["error"].contains("message") && out["error"]["message"].is_string()) {
    auto m = out["error"]["message"].get<std::string>();
    out["error"]["message"] = m.substr(0, m.find(':'));
  }
  return out;
}

inline json parse_frame(const std::string& frame) {
  auto j = json::parse(frame, nullptr, false);
  BOOST_TEST_INFO("frame: " << frame);
  BOOST_CHECK(!j.is_discarded());
  return j;
}

} // namespace tandem_test

namespace tandem_test {

struct delay_params {
  std::int64_t ms = 0;
  json value;
};
inline void from_json(const json& j, delay_params& p) {
  j.at("ms").get_to(p.ms);
  if (p.ms < 0)
    throw std::invalid_argument("ms must not be negative");
  p.value = j.value("value", json());
}

struct ticks_params {
  int n = 0;
  std::int64_t interval_ms = 0;
};
inline void from_json(const json& j, ticks_params& p) {
  j.at("n").get_to(p.n);
  j.at("interval_ms").get_to(p.interval_ms);
}

struct add_params {
  double a = 0;
  double b = 0;
};
inline void from_json(const json& j, add_params& p) {
  if (j.is_array()) {
    if (j.size() != 2)
      throw std::invalid_argument("add takes two numbers");
    j[0].get_to(p.a);
    j[1].get_to(p.b);
  } else {
    j.at("a").get_to(p.a);
    j.at("b").get_to(p.b);
  }
}

/// The demo service of protocol.md (add, echo, delay, fail, ticks), with
/// timers only (never blocking).
inline std::shared_ptr<tandem::session::service> demo_service() {
  namespace rpc = tandem::session;
  auto svc = std::make_shared<rpc::service>();
  svc->add("add", [](add_params p) { return p.a + p.b; });
  svc->add("echo", [](json p) { return p; });
  svc->add("delay", [](delay_params p, rpc::call_context& ctx) {
    auto promise = ctx.promise<json>();
    auto timer = ctx.self()->run_later(std::chrono::milliseconds(p.ms),
                                       [promise, v = std::move(p.value)]() mutable { promise.deliver(v); });
    ctx.on_cancel([timer]() mutable { timer.cancel(); });
    return promise;
  });
  svc->add("fail", [](json) -> json {
    throw rpc::rpc_error{-32001, "this method always fails", json{{"reason", "demo"}}};
  });
  svc->add("ticks", [](ticks_params p, rpc::call_context& ctx) {
    auto promise = ctx.promise<int>();
    auto timers = std::make_shared<std::vector<tandem::timer_handle>>();
    for (int i = 1; i <= p.n; ++i)
      timers->push_back(ctx.self()->run_later(std::chrono::milliseconds(p.interval_ms * i),
                                              [promise, i, n = p.n]() mutable {
                                                promise.notify("tick", json{{"seq", i}});
                                                if (i == n)
                                                  promise.deliver(n);
                                              }));
    if (p.n <= 0)
      promise.deliver(0);
    ctx.on_cancel([timers] {
      for (auto& t : *timers)
        t.cancel();
    });
    return promise;
  });
  return svc;
}

} // namespace tandem_test
