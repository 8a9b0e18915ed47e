// libFuzzer target: frame decoding and dispatch in a session actor.
//
// Each input is a few frames separated by '\n'. A fresh session (the demo
// service and the specification's methods, a 4 KiB frame limit, one call of
// its own pending so responses have somewhere to go) on the deterministic
// backend gets them over the in-process transport; then virtual time moves
// on so timers fire, and the session is closed. Every frame the session
// sends must be valid JSON. Crashes, sanitizer reports, leaks and invalid
// output are findings.

#include "../../examples/rpc_session_demo/demo_service.hpp"

#include <tandem/runtime/deterministic.hpp>
#include <tandem/session.hpp>
#include <tandem/tandem.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace rpc = tandem::session;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const rpc::service> fuzz_service() {
  static const auto svc = [] {
    auto s = demo::make_service();
    s->add("subtract", [](const rpc::json& p) -> rpc::json {
      if (p.is_array() && p.size() == 2)
        return p[0].get<double>() - p[1].get<double>();
      return p.at("minuend").get<double>() - p.at("subtrahend").get<double>();
    });
    s->add("sum", [](std::vector<int> xs) {
      long long total = 0;
      for (int x : xs)
        total += x;
      return total;
    });
    s->add("notify_back", [](rpc::json p, rpc::call_context& ctx) {
      ctx.notify("note", p);
      return p;
    });
    s->add("call_back", [](rpc::json p, rpc::call_context& ctx) {
      auto promise = ctx.promise<rpc::json>();
      ctx.peer().call(ctx.self(), "peer_method", p, 20ms)
        .then([promise](rpc::json r) mutable { promise.deliver(r); },
              [promise](rpc::rpc_error e) mutable { promise.fail(e); });
      return promise;
    });
    s->add("throws", [](rpc::json) -> int { throw std::runtime_error("boom \xff"); });
    s->add("bad_utf8", [](rpc::json) { return std::string{"\xc3\x28"}; });
    return s;
  }();
  return svc;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  tandem::deterministic_scheduler sched{1};
  tandem::actor_system sys{sched};
  sys.set_log([](const std::string&) {});

  auto [a, b] = rpc::make_in_process_pair();
  rpc::session_options opts;
  opts.methods = fuzz_service();
  opts.limits.max_frame_bytes = 4096;
  auto session = rpc::spawn_session(sys, std::move(a), opts);
  auto wire = std::move(b);

  std::vector<std::string> out;
  auto recorder = sys.spawn([&out](tandem::actor_base* self) {
    return tandem::behavior{[&out](rpc::inbound_frame& f) { out.push_back(std::move(f.text)); },
                            [self](rpc::transport_closed&) { self->quit(); }};
  });
  wire->start(recorder);
  // A call of the session's own, id 1, so fuzzed responses can complete it.
  auto pending = session.call<rpc::json>("remote", rpc::json::array({1}), 50ms);

  std::size_t frames = 0;
  while (!input.empty() && frames < 32) {
    auto nl = input.find('\n');
    auto frame = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
    wire->write(std::string{frame});
    sched.run_until_idle();
    ++frames;
  }
  sched.advance(2s);
  wire->close();
  sched.run_until_idle();

  for (const auto& f : out)
    if (rpc::json::parse(f, nullptr, false).is_discarded())
      std::abort(); // the session sent something that is not JSON
  (void) pending.try_receive();
  return 0;
}
