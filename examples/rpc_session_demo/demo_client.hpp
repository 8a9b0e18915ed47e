#pragma once

// The demo's client: one actor that makes the calls of protocol.md's demo
// service through a session handle, one after another, printing each result
// with its latency, and checks every outcome (the exit status says whether
// all were as expected). The same over in-process, TCP and WebSocket.

#include "demo_service.hpp"

#include <tandem/session.hpp>
#include <tandem/tandem.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace demo {

using namespace std::chrono_literals;
namespace rpc = tandem::session;

/// Tells the client which session to call (it is spawned first, so that the
/// session can send it the peer's notifications: the ticks).
struct begin_calls {
  rpc::session_handle peer;
};

struct client_report {
  std::atomic<int> failures{0};
  std::atomic<int> calls{0};
};

class client final : public tandem::actor_base {
public:
  client(tandem::actor_config& cfg, std::shared_ptr<client_report> report)
      : actor_base(cfg), report_(std::move(report)) {}

  tandem::behavior make_behavior() override {
    steps_ = {[this] { add_positional(); }, [this] { add_named(); },  [this] { echo(); },
              [this] { delay(); },          [this] { delay_timeout(); }, [this] { delay_cancelled(); },
              [this] { ticks(); },          [this] { fail(); },       [this] { concurrent_delays(); }};
    return tandem::behavior{
        [this](begin_calls& s) {
          peer_ = std::move(s.peer);
          run_next();
        },
        [this](next_step) { run_next(); },
        [this](rpc::rpc_notification& n) {
          if (n.method != "tick")
            return;
          int seq = n.params.value("seq", -1);
          ticks_seen_.push_back(seq);
          std::printf("    tick seq=%d at %.2f ms\n", seq, ms_since(ticks_started_));
        }};
  }

private:
  struct next_step {};
  using clock = std::chrono::steady_clock;

  void run_next() {
    if (step_ == steps_.size()) {
      std::printf("%d calls, %s\n", report_->calls.load(),
                  report_->failures == 0 ? "all as expected" : "SOME NOT AS EXPECTED");
      std::fflush(stdout);
      peer_.close();
      quit();
      return;
    }
    steps_[step_++]();
  }
  void next() { send(this, next_step{}); }

  static double ms_since(clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  }

  /// Prints "  what  ->  outcome  (latency)" and counts a mismatch.
  void print(const char* what, const std::string& outcome, clock::time_point t0, bool as_expected) {
    ++report_->calls;
    if (!as_expected)
      ++report_->failures;
    std::printf("  %-44s -> %-34s %8.2f ms%s\n", what, outcome.c_str(), ms_since(t0),
                as_expected ? "" : "   (UNEXPECTED)");
    std::fflush(stdout);
  }

  static std::string describe(const rpc::rpc_error& e) {
    return "error " + std::to_string(e.code()) + " " + e.message();
  }

  /// A call whose expected outcome is a value.
  void expect_value(const char* what, std::string method, json params, json expected,
                    tandem::duration timeout = 5s) {
    auto t0 = clock::now();
    peer_.call(this, std::move(method), std::move(params), timeout)
        .then(
            [this, what, t0, expected](json v) {
              print(what, v.dump(), t0, v == expected);
              next();
            },
            [this, what, t0](const rpc::rpc_error& e) {
              print(what, describe(e), t0, false);
              next();
            });
  }

  /// A call whose expected outcome is an error with `code`.
  void expect_error(const char* what, rpc::pending_call<json> call, int code, clock::time_point t0) {
    call.then(
        [this, what, t0](json v) {
          print(what, v.dump(), t0, false);
          next();
        },
        [this, what, t0, code](const rpc::rpc_error& e) {
          print(what, describe(e), t0, e.code() == code);
          next();
        });
  }

  void add_positional() { expect_value("add [2, 3]", "add", json::array({2, 3}), 5); }
  void add_named() { expect_value("add {\"a\": 1.5, \"b\": 2.25}", "add", json{{"a", 1.5}, {"b", 2.25}}, 3.75); }
  void echo() {
    json p = {{"hello", "tandem"}, {"list", {1, 2, 3}}};
    expect_value("echo {\"hello\": \"tandem\", \"list\": [1,2,3]}", "echo", p, p);
  }
  void delay() {
    expect_value("delay 50 ms", "delay", json{{"ms", 50}, {"value", "waited"}}, "waited");
  }
  void delay_timeout() {
    auto t0 = clock::now();
    expect_error("delay 1000 ms with a 100 ms timeout",
                 peer_.call(this, "delay", json{{"ms", 1000}, {"value", "too late"}}, 100ms),
                 static_cast<int>(tandem::errc::request_timeout), t0);
  }
  void delay_cancelled() {
    auto t0 = clock::now();
    auto call = peer_.call(this, "delay", json{{"ms", 1000}, {"value", "never"}}, 5s);
    auto id = call.id();
    run_later(50ms, [this, id] { peer_.cancel(id); });
    expect_error("delay 1000 ms, cancelled after 50 ms", std::move(call), rpc::rpc_code::request_cancelled, t0);
  }
  void ticks() {
    // The service sends "tick" notifications {"seq": i} before its result;
    // the session passes them to this actor (session_options::notifications),
    // ahead of the result since both come through its mailbox in order.
    auto t0 = ticks_started_ = clock::now();
    ticks_seen_.clear();
    peer_.call(this, "ticks", json{{"n", 3}, {"interval_ms", 20}}, 5s)
        .then(
            [this, t0](json v) {
              print("ticks n=3 every 20 ms", v.dump(), t0, v == 3 && ticks_seen_ == std::vector<int>{1, 2, 3});
              next();
            },
            [this, t0](const rpc::rpc_error& e) {
              print("ticks n=3 every 20 ms", describe(e), t0, false);
              next();
            });
  }
  void fail() {
    auto t0 = clock::now();
    expect_error("fail", peer_.call(this, "fail", nullptr, 5s), fail_code, t0);
  }
  void concurrent_delays() {
    constexpr int n = 100;
    auto t0 = clock::now();
    auto left = std::make_shared<int>(n);
    auto ok = std::make_shared<int>(0);
    auto done = [this, left, ok, t0] {
      if (--*left > 0)
        return;
      print("100 concurrent delays of 200 ms", std::to_string(*ok) + " of 100 answered", t0,
            *ok == n && ms_since(t0) < 1000);
      next();
    };
    for (int i = 0; i < n; ++i)
      peer_.call(this, "delay", json{{"ms", 200}, {"value", i}}, 5s)
          .then(
              [ok, done, i](json v) {
                if (v == i)
                  ++*ok;
                done();
              },
              [done](const rpc::rpc_error&) { done(); });
  }

  rpc::session_handle peer_;
  std::shared_ptr<client_report> report_;
  std::vector<std::function<void()>> steps_;
  std::size_t step_ = 0;
  std::vector<int> ticks_seen_;
  clock::time_point ticks_started_;
};

} // namespace demo
