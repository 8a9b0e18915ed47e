// pingpong: two actors, one message in flight (Savina "PingPong").
//
// `ping` sends ping_msg{1} to `pong`, which answers pong_msg{n}; ping sends
// ping_msg{n+1}, and so on for --n round trips. Then ping tells pong to stop
// and both quit. Messages counted: 2 per round trip (the kick-off and the stop
// are not counted, on either side). Measures per-hop latency: each message
// wakes an idle actor, so every hop goes through the scheduler.
//
//   pingpong --impl tandem|caf|tandem-coop --n 1000000 --iterations 5 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <string>

namespace {

// -- tandem -----------------------------------------------------------------

namespace td {

struct ping_msg {
  long n;
};
struct pong_msg {
  long n;
};
struct stop_msg {};
struct kickoff {
  tandem::actor peer;
  long rounds;
};

struct ping_state {
  tandem::actor peer;
  long rounds = 0;
};

double once(tandem::actor_system& sys, long rounds, std::atomic<long>& result) {
  auto ping = sys.spawn([&result](tandem::stateful_actor<ping_state>* self) {
    return tandem::behavior{
      [self](const kickoff& k) {
        self->state.peer = k.peer;
        self->state.rounds = k.rounds;
        self->send(self->state.peer, ping_msg{bench::opaque_one});
      },
      [self, &result](const pong_msg& m) {
        if (m.n >= self->state.rounds) {
          result.store(m.n, std::memory_order_relaxed);
          self->send(self->state.peer, stop_msg{});
          self->state.peer = tandem::actor{};
          self->quit();
        } else {
          self->send(self->state.peer, ping_msg{m.n + bench::opaque_one});
        }
      },
    };
  });
  auto pong = sys.spawn(
    [](tandem::actor_base* self, tandem::actor peer) {
      return tandem::behavior{
        [self, peer](const ping_msg& m) { self->send(peer, pong_msg{m.n}); },
        [self](const stop_msg&) { self->quit(); },
      };
    },
    ping);
  auto t0 = bench::clock::now();
  tandem::send(ping, kickoff{pong, rounds});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> result{0};
  bench::run_and_report("pingpong", a, params, 2.0 * static_cast<double>(a.n), [&](long n) {
    result = 0;
    auto s = once(sys, n, result);
    bench::check(result.load() == n, "tandem pingpong: wrong round count");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct ping_msg {
  long n;
};
struct pong_msg {
  long n;
};
struct stop_msg {};
struct kickoff {
  caf::actor peer;
  long rounds;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping_msg& x) {
  return f(caf::meta::type_name("ping_msg"), x.n);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong_msg& x) {
  return f(caf::meta::type_name("pong_msg"), x.n);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_msg&) {
  return f(caf::meta::type_name("stop_msg"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kickoff& x) {
  return f(caf::meta::type_name("kickoff"), x.peer, x.rounds);
}

struct ping_state {
  caf::actor peer;
  long rounds = 0;
};

double once(caf::actor_system& sys, long rounds, std::atomic<long>& result) {
  auto ping = sys.spawn([&result](caf::stateful_actor<ping_state>* self) -> caf::behavior {
    return {
      [self](const kickoff& k) {
        self->state.peer = k.peer;
        self->state.rounds = k.rounds;
        self->send(self->state.peer, ping_msg{bench::opaque_one});
      },
      [self, &result](const pong_msg& m) {
        if (m.n >= self->state.rounds) {
          result.store(m.n, std::memory_order_relaxed);
          self->send(self->state.peer, stop_msg{});
          self->state.peer = caf::actor{};
          self->quit();
        } else {
          self->send(self->state.peer, ping_msg{m.n + bench::opaque_one});
        }
      },
    };
  });
  auto pong = sys.spawn(
    [](caf::event_based_actor* self, caf::actor peer) -> caf::behavior {
      return {
        [self, peer](const ping_msg& m) { self->send(peer, pong_msg{m.n}); },
        [self](const stop_msg&) { self->quit(); },
      };
    },
    ping);
  auto t0 = bench::clock::now();
  caf::anon_send(ping, kickoff{pong, rounds});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> result{0};
  bench::run_and_report("pingpong", a, params, 2.0 * static_cast<double>(a.n), [&](long n) {
    result = 0;
    auto s = once(sys, n, result);
    bench::check(result.load() == n, "caf pingpong: wrong round count");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 1'000'000);
  auto params = "round_trips=" + std::to_string(a.n) + ",msgs=" + std::to_string(2 * a.n);
  if (a.impl == "caf")
    cf::run(a, params);
  else
    td::run(a, params);
}
