#pragma once

// The demo service of protocol.md (add, echo, delay, fail, ticks), used by the
// session tests and the fuzzer. Timers only, never blocking.

#include <tandem/session.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tandem_test {

using tandem::session::json;

struct delay_params {
  std::int64_t ms = 0;
  json value;
};
inline void from_json(const json& j, delay_params& p) {
  j.at("ms").get_to(p.ms);
  if (p.ms < 0 || p.ms > 3600000)
    throw std::invalid_argument("ms must be within 0..3600000");
  p.value = j.value("value", json());
}

struct ticks_params {
  int n = 0;
  std::int64_t interval_ms = 0;
};
inline void from_json(const json& j, ticks_params& p) {
  j.at("n").get_to(p.n);
  j.at("interval_ms").get_to(p.interval_ms);
  // Bounded: a peer must not make the server arm millions of timers.
  if (p.n < 0 || p.n > 1000 || p.interval_ms < 0 || p.interval_ms > 60000)
    throw std::invalid_argument("n must be within 0..1000 and interval_ms within 0..60000");
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
