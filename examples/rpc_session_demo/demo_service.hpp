#pragma once

// The demo service of protocol.md: add, echo, delay, fail, ticks. Waiting is
// done with timers on the session actor (delayed messages), never by
// blocking a thread. The one copy: the demo program, the session tests, the
// fuzzer and the benchmark all use it.

#include <tandem/session.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace demo {

using tandem::session::json;

struct add_params {
  json a, b;
};
inline void from_json(const json& j, add_params& p) {
  if (j.is_array()) {
    if (j.size() != 2)
      throw std::invalid_argument("add takes two numbers");
    p.a = j[0];
    p.b = j[1];
  } else {
    p.a = j.at("a");
    p.b = j.at("b");
  }
  if (!p.a.is_number() || !p.b.is_number())
    throw std::invalid_argument("add takes two numbers");
}

/// Integers stay integers (2 + 3 is 5, not 5.0) unless the sum overflows.
inline json add(const add_params& p) {
  auto fits = [](const json& v) {
    return v.is_number_integer() &&
           (!v.is_number_unsigned() || v.get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()));
  };
  if (fits(p.a) && fits(p.b)) {
    std::int64_t sum;
    if (!__builtin_add_overflow(p.a.get<std::int64_t>(), p.b.get<std::int64_t>(), &sum))
      return sum;
  }
  return p.a.get<double>() + p.b.get<double>();
}

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

/// Error code of `fail` (in the server range -32099..-32000).
inline constexpr int fail_code = -32001;

inline std::shared_ptr<tandem::session::service> make_service() {
  namespace rpc = tandem::session;
  auto svc = std::make_shared<rpc::service>();
  svc->add("add", [](add_params p) { return add(p); });
  svc->add("echo", [](json p) -> json {
    if (!p.is_array() && !p.is_object())
      throw rpc::rpc_error{rpc::rpc_code::invalid_params, "echo takes an array or an object"};
    return p;
  });
  svc->add("delay", [](delay_params p, rpc::call_context& ctx) {
    auto promise = ctx.promise<json>();
    auto timer = ctx.self()->run_later(std::chrono::milliseconds(p.ms),
                                       [promise, v = std::move(p.value)]() mutable { promise.deliver(v); });
    ctx.on_cancel([timer]() mutable { timer.cancel(); });
    return promise;
  });
  svc->add("fail", []() -> json {
    throw rpc::rpc_error{fail_code, "this method always fails", json{{"reason", "demo"}}};
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
    if (p.n == 0)
      promise.deliver(0);
    ctx.on_cancel([timers] {
      for (auto& t : *timers)
        t.cancel();
    });
    return promise;
  });
  return svc;
}

} // namespace demo
