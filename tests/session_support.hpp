#pragma once

// Helpers for the session tests: a session on the deterministic backend
// talking to a raw peer (the other end of an in-process pair, driven by the
// test with exact frames), and the demo service of protocol.md (the same one
// the demo program serves).

#include "../examples/rpc_session_demo/demo_service.hpp"
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

